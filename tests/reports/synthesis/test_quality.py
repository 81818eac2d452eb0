"""The automatic themes against a careful reader's, on contributions written and labelled
by hand (tests/data/synthesis_themes.jsonl: four questions, fr/en/es, 25 pairs making the
same point in two languages)."""

from __future__ import annotations

from functools import cache

import pytest

from bot.reports.synthesis.evaluation import GroupingScores, score_grouping
from tests.reports.synthesis.corpus import LABELLED, embed, read


@cache
def scores() -> GroupingScores:
    rows = read(LABELLED)
    return score_grouping(rows, embed([row["text"] for row in rows]))


def test_grouping_by_meaning_beats_grouping_words_in_each_language():
    figures = scores()
    print("\n" + figures.report())
    assert figures.mean >= figures.baseline_mean + 0.25
    assert all(figures.adjusted_rand[key] > figures.baseline_adjusted_rand[key] for key in figures.adjusted_rand)


def test_the_grouping_comes_close_to_a_careful_reader():
    # Taking out all of each language's offset pushed texts away from their own language's
    # points: 0.41. The neutral share of it gives 0.49.
    assert scores().mean >= 0.45


def test_most_points_made_in_two_languages_share_a_theme():
    assert scores().pairs_share >= 0.8  # 21 of 25; 19 with all of each language's offset taken out


@pytest.mark.xfail(strict=True, reason="measured ARI 0.49 and 84 % of pairs together; the targets are 0.5 and 90 %")
def test_the_grouping_meets_its_targets():
    figures = scores()
    assert figures.mean >= 0.5 and figures.pairs_share >= 0.9
