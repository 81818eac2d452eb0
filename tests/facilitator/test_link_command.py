"""`facilitator link`, run in-process through its argparse subcommand."""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

import pytest

from facilitator import link_command

CORPORA_DIR = Path(__file__).parents[1] / "linking" / "corpora"


def run_link(monkeypatch, capsys, arguments: list[str], stdin: bytes) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="facilitator")
    link_command.register(parser.add_subparsers(required=True))
    args = parser.parse_args(["link", *arguments])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    code = args.handler(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_one_message_prints_its_language_and_segments(monkeypatch, capsys):
    message = b"Pregunta 1: hay que coordinar esfuerzos.\nPregunta 3: compartir lecciones aprendidas."
    code, out, _ = run_link(monkeypatch, capsys, ["--round", "1"], message)
    assert code == 0
    answer = json.loads(out)
    assert answer["language"] == "es"
    assert [(s["question"], s["method"], s["text"]) for s in answer["segments"]] == [
        ("1.1", "reference", "hay que coordinar esfuerzos."),
        ("1.3", "reference", "compartir lecciones aprendidas."),
    ]
    assert all(0 < s["confidence"] <= 1 for s in answer["segments"])


def test_unsure_is_null_with_candidates_and_a_greeting_has_no_segment(monkeypatch, capsys):
    _, out, _ = run_link(monkeypatch, capsys, ["--round", "4"], b"Q5: the diaspora should sign too")
    (segment,) = json.loads(out)["segments"]
    assert segment["question"] is None and set(segment["candidates"]) == {"4.1", "4.2", "4.3", "4.4"}
    _, out, _ = run_link(monkeypatch, capsys, ["--round", "1"], "¡Hola a todos!".encode())
    assert json.loads(out)["segments"] == []


def test_jsonl_answers_every_line_in_order_and_reports_bad_lines(monkeypatch, capsys):
    lines = [
        json.dumps({"text": "Q1: the mayors", "round": 2}),
        "not json",
        json.dumps({"text": "hola", "round": 9}),
        json.dumps({"round": 1}),
        json.dumps({"text": "we did exactly that", "round": 3, "reply_to": "3.2"}),
        json.dumps({"text": "ok", "round": 1, "reply_to": "9.9"}),
    ]
    stdin = ("\n".join(lines[:2]) + "\n").encode() + b"\xff\xfe\n" + ("\n".join(lines[2:]) + "\n").encode()
    code, out, _ = run_link(monkeypatch, capsys, ["--jsonl"], stdin)
    assert code == 0
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 7
    assert answers[0]["segments"][0]["question"] == "2.1"
    assert "JSON" in answers[1]["error"] and answers[1]["error"].startswith("line 2")
    assert "UTF-8" in answers[2]["error"]
    assert "round 9" in answers[3]["error"]
    assert '"text"' in answers[4]["error"]
    assert answers[5]["segments"][0] == {"question": "3.2", "text": "we did exactly that", "method": "reply", "confidence": 1.0}
    assert "9.9" in answers[6]["error"]


def test_jsonl_uses_the_round_option_when_a_line_has_none(monkeypatch, capsys):
    _, out, _ = run_link(monkeypatch, capsys, ["--jsonl", "--round", "3"], json.dumps({"text": "Q2: yes"}).encode())
    assert json.loads(out)["segments"][0]["question"] == "3.2"


@pytest.mark.parametrize(
    "arguments, stdin, complaint",
    [
        (["--round", "1"], b"\xff\xfe broken", "not UTF-8"),
        (["--round", "7"], b"Q1: yes", "round 7"),
        ([], b"Q1: yes", "--round"),
        (["--round", "1", "--discussion", "/nonexistent/discussion.yaml"], b"Q1: yes", "no such file"),
    ],
)
def test_bad_input_for_one_message_is_a_clear_error_and_a_nonzero_exit(monkeypatch, capsys, arguments, stdin, complaint):
    code, out, err = run_link(monkeypatch, capsys, arguments, stdin)
    assert code != 0 and out == ""
    assert complaint in err and err.startswith("facilitator link:")


def test_eval_prints_right_unsure_wrong_per_method_and_overall(monkeypatch, capsys):
    code, out, _ = run_link(monkeypatch, capsys, ["--eval", str(CORPORA_DIR / "seed.jsonl")], b"")
    assert code == 0
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line and line.split()[0].isalpha()}
    assert rows["method"] == ["right", "unsure", "wrong", "total"]
    assert {"reference", "restated", "content", "overall"} <= set(rows)
    assert rows["overall"][3] == "31"


def test_eval_exits_nonzero_below_target(monkeypatch, capsys, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(
        json.dumps({"text": "Q1: yes", "round": 1, "expected": [{"question": "1.2", "method": "reference", "text_starts": "yes"}]}) + "\n",
        encoding="utf-8",
    )
    code, out, err = run_link(monkeypatch, capsys, ["--eval", str(corpus)], b"")
    assert code == link_command.EXIT_BELOW_TARGET and "below target" in err


def test_eval_names_every_faulty_line_of_the_corpus_by_its_line_in_the_file(monkeypatch, capsys, tmp_path):
    corpus = tmp_path / "corpus.jsonl"
    lines = [
        json.dumps({"text": "Q1: yes", "round": 1, "expected": [{"question": "1.1", "text_starts": "yes"}]}),
        "",
        json.dumps({"text": "hello", "round": 1}),
        "{not json",
        json.dumps({"text": "Q9: x", "round": 7, "expected": []}),
        json.dumps({"text": "Q1: x", "round": 1, "expected": [{"question": "9.9", "text_starts": "x"}]}),
    ]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = run_link(monkeypatch, capsys, ["--eval", str(corpus)], b"")
    assert code == link_command.EXIT_PROBLEM and out == ""
    named = [line.split(": ", 1)[0].rsplit(":", 1)[-1] for line in err.splitlines()[1:]]
    assert named == ["3", "4", "5", "6"]
    assert (
        '"expected" is missing' in err and "not valid JSON" in err and "round 7 is not a round" in err and "'9.9' is not a question" in err
    )


def test_eval_prints_each_kind_of_message_and_how_often_the_right_question_came_first(monkeypatch, capsys, tmp_path):
    cases = [
        {
            "text": "P2: falta de confianza",
            "round": 2,
            "kind": "marker",
            "expected": [{"question": "2.2", "method": "reference", "text_starts": "falta"}],
        },
        {
            "text": "our city runs a welcome desk for newcomers with language classes and legal advice",
            "round": 2,
            "kind": "no-marker",
            "expected": [{"question": "2.1", "method": "content", "text_starts": "our city"}],
        },
        {"text": "Thanks Daniel, very useful 👍", "round": 2, "kind": "not-answer", "expected": []},
    ]
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps(case) + "\n" for case in cases), encoding="utf-8")
    code, out, _ = run_link(monkeypatch, capsys, ["--eval", str(corpus)], b"")
    assert code == link_command.EXIT_BELOW_TARGET  # one of three asked: 67 % right
    rows = {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if line and line.split()[0] in {"marker", "no-marker", "not-answer"}
    }
    assert rows == {"marker": ["1", "0", "0", "1"], "no-marker": ["0", "1", "0", "1"], "not-answer": ["1", "0", "0", "1"]}
    assert "right question offered first: 1 of 1 asks" in out


def test_a_question_to_the_organisers_says_what_it_asks(monkeypatch, capsys):
    _, out, _ = run_link(monkeypatch, capsys, ["--round", "2", "--no-model"], b"what is the deadline for this week?")
    assert json.loads(out) == {"language": "en", "segments": [], "asks": "deadline"}


def test_the_model_ties_an_answer_that_shares_no_word_and_no_model_leaves_it_to_the_participant(monkeypatch, capsys):
    answer = "programas de radio comunitaria y páginas de facebook para llegar a los emigrados, y una oficina en el consulado".encode()
    _, out, _ = run_link(monkeypatch, capsys, ["--round", "3"], answer)
    assert [(s["question"], s["method"]) for s in json.loads(out)["segments"]] == [("3.1", "meaning")]
    _, out, _ = run_link(monkeypatch, capsys, ["--round", "3", "--no-model"], answer)
    assert [s["question"] for s in json.loads(out)["segments"]] == [None]
