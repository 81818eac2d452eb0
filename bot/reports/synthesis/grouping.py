"""Grouping one question's contributions by meaning: agglomerative clustering (SciPy's
average linkage; scikit-learn's k-means first gathers very many answers into prototypes, and
its silhouette picks the count) on their multilingual sentence embeddings, so that the same point made in French, Spanish
and English lands in one theme.

A share of each language's offset is taken out first. A multilingual model still puts texts
of one language a little closer to each other, and within one question that bias outweighs
the differences between the points made; but a language's mean over one question also holds
the points its writers made, so taking all of it out pushes each text away from its own
language's points (a text's nearest neighbour was then in its own language 4 % of the time,
against 31 % if language played no part). The share taken out is the one at which a text's
nearest neighbour is in its own language as often as chance would have it: found from the
vectors alone, never from labels (on the labelled corpus, 6 to 20 % of the offset; the
agreement with a careful reader rose from 0.41 to 0.49 in adjusted Rand index, same-point
pairs in one theme from 76 to 84 %; README, "Measured").

Only the embeddings' cosine is compared. A lexical similarity that needs no translation
(character n-grams, cognates and names shared by French, English and Spanish), shared
nearest neighbours, a hubness correction and other ways of picking the count were tried:
none did better both on the labelled corpus and on random two-thirds of it, and the pairs
the grouping splits share no word that marks their point (README, "Measured").

The number of themes is chosen from the data: every count between a floor and a ceiling is
tried, and the one whose themes are best separated (the silhouette, on cosine distances)
wins. Themes too small to be a shared point go to "other points". Nothing here is random:
the same vectors give the same themes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import pdist, squareform
from sklearn.cluster import MiniBatchKMeans
from sklearn.metrics import silhouette_score

OTHER = -1  # the label of a contribution in no theme
FLOOR = 2  # themes, when there are enough contributions to make two
CEILING = 8  # more would not read as "key points"
SMALLEST_THEME = 2  # contributions: a point one person made is an "other point"
LANGUAGE_MEAN_FROM = 3  # texts in one language, to take out that language's mean
NEIGHBOURS_SAMPLE = 1_000  # texts, evenly spread, on which the share of the offset is found
SHARE_STEPS = 10  # halvings: the share is found to a thousandth
MOST_GROUPED_DIRECTLY = 2_000  # contributions; above, themes are grouped from PROTOTYPES
PROTOTYPES = 150


def group(vectors: np.ndarray, languages: Sequence[str | None]) -> np.ndarray:
    """A theme number per row of `vectors` (unit rows, one per contribution, written in
    `languages`), numbered from 0 by decreasing size, or OTHER."""
    count = len(vectors)
    if count < 2 * SMALLEST_THEME:
        return np.full(count, OTHER if count < SMALLEST_THEME else 0)
    vectors = without_language_offsets(vectors, languages)
    if count > MOST_GROUPED_DIRECTLY:
        # Agglomerative clustering costs the square of the points: past a few hundred,
        # k-means first gathers near-identical answers into prototypes, which are grouped.
        # The float32 rows are let go once copied: only the float64 copy is held while k-means runs.
        vectors = vectors.astype(np.float64)
        prototypes = MiniBatchKMeans(n_clusters=PROTOTYPES, random_state=0, n_init=1, batch_size=2048).fit(vectors)
        centres = _unit(prototypes.cluster_centers_)
        return _numbered(_grouped(centres)[prototypes.labels_])
    return _numbered(_grouped(vectors))


def without_language_offsets(vectors: np.ndarray, languages: Sequence[str | None]) -> np.ndarray:
    """The whole set's mean taken out of every text, then the share of each language's own
    offset (its mean less the whole set's) that `neutral_share` finds, then unit length again.
    Languages too rare here to have a mean of their own keep no offset. Float32 rows stay float32."""
    centred = vectors - vectors.mean(axis=0)
    codes = np.array([code or "" for code in languages])
    means = [code for code in sorted(set(codes)) if (codes == code).sum() >= LANGUAGE_MEAN_FROM]
    if len(means) > 1:
        # One row per language with a mean, then a zero row for the rare ones, counted as one language.
        offsets = np.zeros((len(means) + 1, centred.shape[1]), dtype=centred.dtype)
        language = np.full(len(codes), len(means))
        for number, code in enumerate(means):
            language[codes == code] = number
            offsets[number] = centred[codes == code].mean(axis=0)
        share = neutral_share(centred, offsets, language)
        for number in range(len(means)):  # a language at a time: no second copy of all the rows
            centred[language == number] -= share * offsets[number]
    centred /= _norms(centred)  # in place: no third copy of the rows
    return centred


def neutral_share(centred: np.ndarray, offsets: np.ndarray, language: np.ndarray) -> float:
    """The share (0 to 1) of the language offsets to take out for a text's nearest neighbour
    to be in its own language as often as chance would have it, found by halving on an evenly
    spread sample of the texts. `language`: each row's offset."""
    sample = np.unique(np.linspace(0, len(centred) - 1, min(len(centred), NEIGHBOURS_SAMPLE)).round().astype(int))
    rows, own = centred[sample], language[sample]
    sizes = np.bincount(own)
    chance = float(np.mean((sizes[own] - 1) / (len(sample) - 1)))

    def own_language_nearest(share: float) -> float:
        moved = rows - share * offsets[own]
        moved /= _norms(moved)
        similarities = moved @ moved.T
        np.fill_diagonal(similarities, -np.inf)
        return float(np.mean(own[similarities.argmax(axis=1)] == own))

    low, high = 0.0, 1.0
    if own_language_nearest(low) <= chance:
        return low
    for _ in range(SHARE_STEPS):
        middle = (low + high) / 2
        if own_language_nearest(middle) > chance:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _grouped(vectors: np.ndarray) -> np.ndarray:
    # The tree is built once (SciPy's average linkage, what scikit-learn's agglomerative
    # clustering runs), then cut at every count of themes tried.
    distances = pdist(vectors, metric="cosine")
    tree = linkage(distances, method="average")
    square = squareform(distances)
    best_labels, best_score = np.zeros(len(vectors), dtype=int), -1.0
    ceiling = min(CEILING, len(vectors) // SMALLEST_THEME)
    for themes in range(FLOOR, ceiling + 1):
        labels = fcluster(tree, t=themes, criterion="maxclust") - 1
        if len(set(labels)) < 2:
            continue
        score = float(silhouette_score(square, labels, metric="precomputed"))
        if score > best_score + 1e-9:  # ties keep the fewer themes
            best_labels, best_score = labels, score
    return best_labels


def _numbered(labels: np.ndarray) -> np.ndarray:
    """Themes numbered by decreasing size (ties by first member), the small ones OTHER."""
    sizes = np.bincount(labels)
    first = {label: index for index, label in reversed(list(enumerate(labels)))}
    order = sorted(
        (label for label in range(len(sizes)) if sizes[label] >= SMALLEST_THEME), key=lambda label: (-sizes[label], first[label])
    )
    renumber = {label: number for number, label in enumerate(order)}
    return np.array([renumber.get(label, OTHER) for label in labels], dtype=int)


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / _norms(vectors)


def _norms(vectors: np.ndarray) -> np.ndarray:
    """Each row's length, 1 for a zero row (left as it is)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.where(norms == 0, 1, norms)


def centroid(vectors: np.ndarray) -> np.ndarray:
    """The theme's direction: the unit mean of its members."""
    return _unit(vectors.mean(axis=0, keepdims=True))[0]
