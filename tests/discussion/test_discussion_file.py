"""Discussion files: the example loads, and every problem is reported with its field."""

import copy
import datetime as dt

import pytest
import yaml

from bot.discussion.spec import DiscussionFileError, load_discussion, parse_duration
from facilitator.cli import main
from tests.conftest import SMALL_DISCUSSION


def write(tmp_path, data, name="discussion.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def problems_of(tmp_path, data) -> list[str]:
    with pytest.raises(DiscussionFileError) as error:
        load_discussion(write(tmp_path, data))
    return [f"{p.field}: {p.message}" for p in error.value.problems]


def test_the_example_is_the_2013_e_discussion(example):
    assert example.slug == "m4d-2013"
    assert example.languages == ("fr", "en", "es")
    assert [q.key for q in example.questions] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "1.5",
        "2.1",
        "2.2",
        "2.3",
        "3.1",
        "3.2",
        "3.3",
        "4.1",
        "4.2",
        "4.3",
        "4.4",
    ]
    assert all(set(q.texts) == {"fr", "en", "es"} for q in example.questions)
    brussels_start = example.rounds[0].opens_at.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert brussels_start.date() == dt.date(2013, 7, 8)
    assert example.rounds[-1].closes_at.date() in (dt.date(2013, 8, 4), dt.date(2013, 8, 5))


def test_rounds_follow_each_other_from_a_start_and_durations(small):
    first, second = small.rounds
    assert first.opens_at == dt.datetime(2013, 7, 8, 7, 0, tzinfo=dt.UTC)  # 09:00 in Brussels, summer time
    assert first.closes_at == second.opens_at == first.opens_at + dt.timedelta(days=7)


def test_durations_can_be_minutes_for_a_rehearsal():
    assert parse_duration("PT2M") == dt.timedelta(minutes=2)
    assert parse_duration("P1W") == dt.timedelta(days=7)
    for wrong in ("P1M", "7 days", "P", "PT", "P0D"):
        with pytest.raises(ValueError):
            parse_duration(wrong)


def test_missing_translation_is_named_with_its_field(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    del data["rounds"][0]["questions"][1]["text"]["es"]
    assert problems_of(tmp_path, data) == ["rounds[1].questions[2].text.es: the Spanish text is missing"]


def test_round_closing_before_it_opens(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][0] = {**data["rounds"][0], "opens": "2013-07-10T09:00", "closes": "2013-07-09T09:00"}
    del data["rounds"][0]["duration"]
    assert "rounds[1].closes: the round closes before it opens" in problems_of(tmp_path, data)


def test_duplicate_question_id(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][1]["questions"][0]["id"] = "1.1"
    assert problems_of(tmp_path, data) == ["rounds[2].questions[1].id: duplicate id '1.1', already used at rounds[1].questions[1]"]


def test_unknown_time_zone(tmp_path):
    data = {**copy.deepcopy(SMALL_DISCUSSION), "timezone": "Europe/Atlantis"}
    problems = problems_of(tmp_path, data)
    assert problems[0] == "timezone: 'Europe/Atlantis' is not a known time zone such as Europe/Brussels"


def test_every_problem_is_reported_at_once(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["languages"] = ["fr", "en", "xx-nope"]
    data["rounds"][0]["duration"] = "one week"
    data["organisers"] = ["alice"]
    data["on_forget"] = "shred"
    del data["title"]
    problems = problems_of(tmp_path, data)
    fields = {p.split(":")[0] for p in problems}
    assert {"languages[3]", "rounds[1].duration", "organisers[1]", "on_forget", "title"} <= fields


def test_not_yaml_and_no_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("rounds: [unclosed", encoding="utf-8")
    with pytest.raises(DiscussionFileError, match="not valid YAML"):
        load_discussion(path)
    with pytest.raises(DiscussionFileError, match="no such file"):
        load_discussion(tmp_path / "absent.yaml")


def test_a_yaml_mistake_is_shown_where_it_is_with_the_usual_cause(tmp_path):
    path = tmp_path / "unquoted.yaml"
    path.write_text("id: x\nquestions:\n  - text: {en: Who pays?, fr: Qui paie ?}\n", encoding="utf-8")
    with pytest.raises(DiscussionFileError) as raised:
        load_discussion(path)
    [problem] = raised.value.problems
    assert problem.field == "line 3, column 24"  # the "?" of "Who pays?"
    assert "must be in quotes" in problem.message


def test_validate_command_exit_codes(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, SMALL_DISCUSSION))]) == 0
    assert "valid: small, 2 rounds, 3 questions" in capsys.readouterr().out
    data = copy.deepcopy(SMALL_DISCUSSION)
    del data["rounds"][0]["questions"][0]["text"]["fr"]
    path = write(tmp_path, data, "bad.yaml")
    assert main(["validate", str(path)]) == 2
    assert f"{path}: rounds[1].questions[1].text.fr: the French text is missing" in capsys.readouterr().err


def test_validate_notes_a_language_the_bot_does_not_speak(tmp_path, capsys):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["languages"].append("pt")
    for texts in [data["title"], data["invitation"]] + [q["text"] for r in data["rounds"] for q in r["questions"]]:
        texts["pt"] = "texto"
    assert main(["validate", str(write(tmp_path, data))]) == 0, "a note, not a problem"
    assert (
        "participants reading pt get the questions and invitation in their language and the bot's messages in English"
        in capsys.readouterr().err
    )
    assert main(["validate", str(write(tmp_path, SMALL_DISCUSSION, "small.yaml"))]) == 0
    assert "note" not in capsys.readouterr().err
