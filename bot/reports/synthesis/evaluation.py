"""How close the automatic themes come to a careful reader's, on a labelled corpus: the
adjusted Rand index of the grouping against the labels, per question, beside a baseline that
groups words (TF-IDF) in each language on its own; and how many pairs of contributions that
make the same point in two languages land in one theme.

A corpus row: {"question", "language", "theme", "pair", "text"}; a theme "other" is a point
nobody else made, so each such row counts as a group of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from bot.reports.synthesis.grouping import OTHER, group

ALONE = "other"


@dataclass(frozen=True)
class GroupingScores:
    adjusted_rand: dict[str, float]  # per question
    baseline_adjusted_rand: dict[str, float]
    pairs: int
    pairs_together: int

    @property
    def mean(self) -> float:
        return float(np.mean(list(self.adjusted_rand.values())))

    @property
    def baseline_mean(self) -> float:
        return float(np.mean(list(self.baseline_adjusted_rand.values())))

    @property
    def pairs_share(self) -> float:
        return self.pairs_together / self.pairs if self.pairs else 1.0

    def report(self) -> str:
        lines = [f"{'question':10} {'ARI':>6} {'baseline':>9}"]
        lines += [f"{key:10} {self.adjusted_rand[key]:6.3f} {self.baseline_adjusted_rand[key]:9.3f}" for key in self.adjusted_rand]
        lines.append(f"{'mean':10} {self.mean:6.3f} {self.baseline_mean:9.3f}")
        lines.append(f"same point in two languages, one theme: {self.pairs_together} of {self.pairs} ({self.pairs_share:.0%})")
        return "\n".join(lines)


def _truth(rows: Sequence[dict]) -> list[str]:
    return [f"{ALONE}-{index}" if row["theme"] == ALONE else row["theme"] for index, row in enumerate(rows)]


def _predicted(labels: np.ndarray, prefix: str = "") -> list[str]:
    return [f"{prefix}alone-{index}" if label == OTHER else f"{prefix}{label}" for index, label in enumerate(labels)]


def score_grouping(rows: Sequence[dict], vectors: np.ndarray) -> GroupingScores:
    """`vectors`: each row's embedding, in order."""
    by_question: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_question[row["question"]].append(index)
    scores, baseline = {}, {}
    pairs: dict[str, list[int]] = defaultdict(list)
    for key, indexes in by_question.items():
        members = [rows[index] for index in indexes]
        labels = group(vectors[indexes], [row["language"] for row in members])
        scores[key] = adjusted_rand_score(_truth(members), _predicted(labels))
        baseline[key] = adjusted_rand_score(_truth(members), _words_in_each_language(members))
        for row, label in zip(members, labels, strict=True):
            if row.get("pair"):
                pairs[row["pair"]].append(int(label))
    together = sum(1 for labels in pairs.values() if len(labels) == 2 and labels[0] == labels[1] != OTHER)
    return GroupingScores(scores, baseline, len(pairs), together)


def _words_in_each_language(members: Sequence[dict]) -> list[str]:
    predicted = [""] * len(members)
    for language in {row["language"] for row in members}:
        indexes = [index for index, row in enumerate(members) if row["language"] == language]
        texts = [members[index]["text"] for index in indexes]
        words = TfidfVectorizer(sublinear_tf=True).fit_transform(texts).toarray()
        norms = np.linalg.norm(words, axis=1, keepdims=True)
        labels = group(words / np.where(norms == 0, 1, norms), [language] * len(texts))
        for index, label in zip(indexes, _predicted(labels, f"{language}-"), strict=True):
            predicted[index] = label
    return predicted
