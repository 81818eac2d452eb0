"""The linker on the labelled corpora of tests/data (format: bot/linking_eval.py).

The seed corpus is every contribution of the 2013 e-discussion as posted; the chat
corpus is short, informal messages. Each must stay above the targets of issue 3.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.discussion import example_discussion_path, load_discussion
from bot.linking_eval import TARGET_RIGHT, TARGET_WRONG, evaluate
from facilitator.link_command import build_linker

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("corpus", ["linking_seed.jsonl", "linking_chat.jsonl"])
def test_the_linker_meets_its_targets_on_the_corpus(corpus):
    cases = [json.loads(line) for line in (DATA / corpus).read_text(encoding="utf-8").splitlines() if line.strip()]
    evaluation = evaluate(build_linker(load_discussion(example_discussion_path())), cases)
    details = evaluation.report() + "\n" + "\n".join(evaluation.failures)
    assert evaluation.share("right") >= TARGET_RIGHT, details
    assert evaluation.share("wrong") <= TARGET_WRONG, details


def test_the_seed_corpus_holds_every_contribution_of_the_seed():
    cases = [json.loads(line) for line in (DATA / "linking_seed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(cases) == 13
    assert sum(len(case["expected"]) for case in cases) == 31
