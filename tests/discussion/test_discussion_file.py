"""Discussion files: the example loads, and every problem is reported with its field."""

import copy
import datetime as dt
import re
import textwrap

import pytest
import yaml

from bot.discussion.spec import DiscussionFileError, load_discussion, parse_discussion, parse_duration, past_dates_warning
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


@pytest.mark.parametrize(("first", "second"), [("7d", "36h"), ("1 week", "36 hours"), ("7 jours", "36 horas"), ("1 semana", "36 heures")])
def test_a_round_may_last_a_duration_typed_as_the_commands_take_it_or_in_words(tmp_path, first, second):
    data = copy.deepcopy(SMALL_DISCUSSION)
    for raw_round, typed in zip(data["rounds"], (first, second), strict=True):
        raw_round["duration"] = typed
    first_round, second_round = load_discussion(write(tmp_path, data)).rounds
    assert first_round.closes_at - first_round.opens_at == dt.timedelta(days=7) and second_round.opens_at == first_round.closes_at
    assert second_round.closes_at - second_round.opens_at == dt.timedelta(hours=36)


def test_a_question_written_as_its_texts_alone_is_numbered_by_its_place(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][0]["questions"] = [question["text"] for question in data["rounds"][0]["questions"]]
    data["rounds"][1]["questions"][0]["text"].pop("es")
    data["rounds"][1]["questions"].append({"fr": "Et après ?", "en": "And then?", "de": "Und dann?"})
    problems = problems_of(tmp_path, data)
    assert problems == [
        "question 2.1: the Spanish text is missing",
        "question 2.2: the Spanish text is missing",
        "question 2.2: 'de' is not one of the discussion's languages",
    ]
    data["rounds"][1]["questions"] = SMALL_DISCUSSION["rounds"][1]["questions"]
    spec = load_discussion(write(tmp_path, data))
    assert [(q.key, q.texts["en"]) for q in spec.questions] == [
        ("1.1", "How to cooperate?"),
        ("1.2", "Which mechanisms?"),
        ("2.1", "Which practices?"),
    ]


def test_a_round_after_one_whose_times_are_wrong_is_not_also_said_to_miss_its_opening(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][0]["duration"] = "a week"
    problems = problems_of(tmp_path, data)
    assert problems == ["round 1: duration: 'a week' is not a duration such as 2d, 12h, 30m or P2D"]


def test_missing_translation_is_named_with_its_field(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    del data["rounds"][0]["questions"][1]["text"]["es"]
    assert problems_of(tmp_path, data) == ["question 1.2: the Spanish text is missing"]


def test_round_closing_before_it_opens(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][0] = {**data["rounds"][0], "opens": "2013-07-10T09:00", "closes": "2013-07-09T09:00"}
    del data["rounds"][0]["duration"]
    assert "round 1: closes: the round closes before it opens" in problems_of(tmp_path, data)


def test_duplicate_question_id(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["rounds"][1]["questions"][0]["id"] = "1.1"
    [problem] = problems_of(tmp_path, data)
    assert problem.startswith("question 1.1: the id is used twice, first on line ")


def test_a_missing_discussion_id_is_said_missing_not_malformed(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["slug"] = data.pop("id")
    problems = problems_of(tmp_path, data)
    assert "id: missing: give the discussion a short identifier, e.g. id: cities-2027" in problems
    assert any(problem.startswith("slug: unknown key") for problem in problems)


def test_unknown_time_zone_is_reported_with_the_rounds_own_faults(tmp_path):
    data = {**copy.deepcopy(SMALL_DISCUSSION), "timezone": "Europe/Atlantis"}
    data["rounds"][0] = {**data["rounds"][0], "opens": "2013-07-10T09:00", "closes": "2013-07-09T09:00"}
    del data["rounds"][0]["duration"]
    assert sorted(problems_of(tmp_path, data)) == [
        "round 1: closes: the round closes before it opens",
        "timezone: 'Europe/Atlantis' is not a known time zone such as Europe/Brussels",
    ]


def test_an_organiser_whose_id_has_the_wrong_form_for_its_platform_is_a_problem(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["organisers"] = ["telegram:@marie", "telegram:123456"]
    assert problems_of(tmp_path, data) == [
        "organisers: 'telegram:@marie': a telegram id is a number (the person's id, e.g. from @userinfobot), such as telegram:123456"
    ]


def test_every_problem_is_reported_at_once(tmp_path):
    data = copy.deepcopy(SMALL_DISCUSSION)
    data["languages"] = ["fr", "en", "xx-nope"]
    data["rounds"][0]["duration"] = "one week"
    data["organisers"] = ["alice"]
    data["on_forget"] = "shred"
    del data["title"]
    problems = problems_of(tmp_path, data)
    assert {
        "languages: 'xx-nope' is not a known language code",
        "round 1: duration: 'one week' is not a duration such as 2d, 12h, 30m or P2D",
        "organisers: 'alice' must be PLATFORM:USER_ID, such as telegram:123456",
        "on_forget: must be one of anonymise, delete",
        "title: the text is missing",
    } <= set(problems)


def test_others_answers_are_shown_after_answering_unless_the_file_says_at_once(tmp_path, example):
    assert example.others_answers == "after_answering"
    assert load_discussion(write(tmp_path, copy.deepcopy(SMALL_DISCUSSION))).others_answers == "after_answering"
    at_once = {**copy.deepcopy(SMALL_DISCUSSION), "others_answers": "at_once"}
    assert load_discussion(write(tmp_path, at_once)).others_answers == "at_once"
    wrong = {**copy.deepcopy(SMALL_DISCUSSION), "others_answers": "never"}
    assert problems_of(tmp_path, wrong) == ["others_answers: must be one of after_answering, at_once"]


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
    assert (problem.line, problem.field) == (3, "column 24")  # the "?" of "Who pays?"
    assert "must be in quotes" in problem.message


def test_validate_command_exit_codes(tmp_path, capsys):
    assert main(["validate", str(write(tmp_path, SMALL_DISCUSSION))]) == 0
    assert "valid: small, 2 rounds, 3 questions" in capsys.readouterr().out
    data = copy.deepcopy(SMALL_DISCUSSION)
    del data["rounds"][0]["questions"][0]["text"]["fr"]
    path = write(tmp_path, data, "bad.yaml")
    assert main(["validate", str(path)]) == 2
    assert re.search(rf"^{re.escape(str(path))}:\d+: question 1.1: the French text is missing$", capsys.readouterr().err, re.M)


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
    assert ": note:" not in capsys.readouterr().err


FAULTY = """\
id: faulty
languages: [fr, en, es]
timezone: Europe/Brussels
on_forgett: delete
title: {fr: Titre, en: Title, es: Título}
invitation: {fr: Bienvenue, en: Welcome, es: Bienvenida}
starts: 2013-07-08T09:00
rounds:
  - duration: P7D
    questions:
      - id: "1.1"
        text: {fr: Un, en: One, es: Uno}
      - id: "1.2"
        txt: {fr: Deux}
      - id: "1.3"
        text:
          fr: Trois
          en: Three
  - duraton: P7D
    questions:
      - id: "1.1"
        text: {fr: Quatre, en: Four, es: Cuatro}
"""


def test_validate_reports_every_problem_with_its_line_and_question(tmp_path, capsys):
    path = tmp_path / "m4d.yaml"
    path.write_text(FAULTY, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:4: on_forgett: unknown key; did you mean on_forget?",
        f"{path}:13: question 1.2: the text is missing",
        f"{path}:14: question 1.2: txt: unknown key; did you mean text?",
        f"{path}:16: question 1.3: the Spanish text is missing",
        f"{path}:19: round 2: duraton: unknown key; did you mean duration?",
        f"{path}:19: round 2: closes: missing: give closes or duration",
        f"{path}:21: question 1.1: the id is used twice, first on line 11",
    ]


def test_the_quoting_hint_only_where_quoting_is_the_cause(tmp_path):
    def problem_in(text: str):
        path = tmp_path / "d.yaml"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        with pytest.raises(DiscussionFileError) as raised:
            load_discussion(path)
        [problem] = raised.value.problems
        return problem

    colon = problem_in("id: x\ntitle:\n  en: Note: this\n")
    assert colon.line == 3 and "must be in quotes" in colon.message
    indented = problem_in("id: x\nrounds:\n  - duration: P7D\n     questions: []\n")
    assert indented.line == 4 and "quotes" not in indented.message and "indentation" in indented.message
    dedented = problem_in("id: x\nrounds:\n  - duration: P7D\n questions: []\n")
    assert "quotes" not in dedented.message and "indentation" in dedented.message
    unclosed = problem_in("id: x\nlanguages: [fr, en\n")
    assert "quotes" not in unclosed.message


ONE_ROUND = """\
id: one-round
languages: [fr, en]
timezone: Europe/Brussels
title: {fr: Titre, en: Title}
invitation: {fr: Bienvenue, en: Welcome}
rounds:
  - opens: 2013-07-08T09:00
    closes: 2013-07-15T09:00
    questions:
      - id: "1.1"
        text: {fr: Un, en: One}
      - id: "1.2"
        text: {fr: Deux, en: Two}
"""


def problems_in(tmp_path, text: str) -> list[str]:
    """The problems of a discussion file written as `text`, each as LINE: FIELD: MESSAGE."""
    path = tmp_path / "d.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DiscussionFileError) as raised:
        load_discussion(path)
    return [f"{p.line}: {p.field}: {p.message}" for p in raised.value.problems]


def test_a_question_id_yaml_reads_as_a_number_is_to_be_quoted(tmp_path):
    unquoted = ONE_ROUND.replace('id: "1.1"', "id: 1.1").replace('id: "1.2"', "id: 1.10")
    assert problems_in(tmp_path, unquoted) == [
        '10: question 1.1: the id must be in quotes: write id: "1.1"',
        '12: question 1.10: the id must be in quotes: write id: "1.10" (unquoted, YAML reads it as 1.1)',
    ]
    assert problems_in(tmp_path, ONE_ROUND.replace('id: "1.2"', "id: 2")) == ['12: question 2: the id must be in quotes: write id: "2"']


def test_a_single_language_may_be_given_without_brackets(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(re.sub(r", en: \w+", "", ONE_ROUND).replace("[fr, en]", "fr"), encoding="utf-8")
    spec = load_discussion(path)
    assert spec.languages == ("fr",)
    assert [q.texts for q in spec.questions] == [{"fr": "Un"}, {"fr": "Deux"}]


@pytest.mark.parametrize(
    ("languages", "problem"),
    [
        ("{fr: French}", "2: languages: must list at least one language code, such as [fr, en, es]"),
        ("[fr, english]", "2: languages: 'english' is not a known language code"),
        ("[fr, en, fr]", "2: languages: a language is listed twice"),
    ],
)
def test_a_wrong_language_list_is_the_only_problem_reported_not_every_text(tmp_path, languages, problem):
    assert problems_in(tmp_path, ONE_ROUND.replace("[fr, en]", languages)) == [problem]


def test_a_key_given_twice_is_a_problem_at_its_line(tmp_path):
    twice = (
        ONE_ROUND.replace("id: one-round\n", "id: one-round\nid: two-rounds\n")
        .replace("    closes: 2013-07-15T09:00\n", "    closes: 2013-07-15T09:00\n    closes: 2013-07-16T09:00\n")
        .replace("        text: {fr: Un, en: One}\n", "        text: {fr: Un, en: One}\n        text: {fr: Uno, en: Uno}\n")
        .replace("{fr: Deux, en: Two}", "{fr: Deux, fr: Two}")
    )
    assert problems_in(tmp_path, twice) == [
        "2: id: given twice, first on line 1",
        "10: round 1: closes: given twice, first on line 9",
        "14: question 1.1: text: given twice, first on line 13",
        "16: question 1.2: fr: given twice, first on line 16",
        "16: question 1.2: the English text is missing",
    ]


def test_a_merge_key_is_not_a_key_given_twice(tmp_path):
    path = tmp_path / "d.yaml"
    merged = ONE_ROUND.replace("title: {fr: Titre, en: Title}", "title: &title {fr: Titre, en: Title}").replace(
        "invitation: {fr: Bienvenue, en: Welcome}", "invitation: {<<: *title, en: Welcome}"
    )
    path.write_text(merged, encoding="utf-8")
    assert load_discussion(path).invitation == {"fr": "Titre", "en": "Welcome"}


def test_a_round_gives_closes_or_duration_not_both(tmp_path):
    both = ONE_ROUND.replace("    closes: 2013-07-15T09:00\n", "    closes: 2013-07-15T09:00\n    duration: P7D\n")
    assert problems_in(tmp_path, both) == ["9: round 1: duration: give closes or duration, not both"]


def test_validate_warns_of_a_discussion_whose_rounds_are_all_over(tmp_path, capsys):
    path = write(tmp_path, SMALL_DISCUSSION)
    assert main(["validate", str(path)]) == 0, "a warning, not a problem"
    assert capsys.readouterr().err.splitlines() == [
        f"{path}: warning: every round is in the past (the last closed on 2013-07-22 09:00, Europe/Brussels time), "
        "as in a file copied from an earlier discussion: none will open by itself: give the rounds new dates, or open the first by hand (the rounds after it then move with it)"
    ]
    tomorrow = {**copy.deepcopy(SMALL_DISCUSSION), "starts": f"{dt.date.today() + dt.timedelta(days=1)}T09:00"}
    assert main(["validate", str(write(tmp_path, tomorrow, "tomorrow.yaml"))]) == 0
    assert capsys.readouterr().err == ""


def test_a_discussion_is_past_once_its_last_round_has_closed():
    spec = parse_discussion(SMALL_DISCUSSION, "small.yaml")
    last_close = spec.rounds[-1].closes_at
    assert past_dates_warning(spec, last_close - dt.timedelta(minutes=1)) is None
    assert past_dates_warning(spec, last_close) is not None
