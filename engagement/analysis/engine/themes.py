"""Candidate themes: responses grouped by meaning, labelled, with quotes.

k-means on the sentence embeddings, with the number of themes chosen by silhouette within
bounds; labels from class-based TF-IDF (the words that set one group apart from the others);
quotes are the members nearest the group's centre. Everything is seeded, and ties are broken
by index, so the same texts and seed give the same themes.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence

import numpy as np

from .embeddings import Embedder, get_embedder
from .terms import content_words
from .types import CandidateTheme, Quote, ThemeMatch, ThemeSignature

QUOTES_PER_THEME = 3
LABEL_TERMS = 3
KEPT_TERMS = 10
# Silhouette on a sample keeps the choice of k linear in the number of responses.
SILHOUETTE_SAMPLE = 3000
# A new theme inherits a saved one when their score reaches this; see themes_match.
MATCH_THRESHOLD = 0.6


def _default_min_size(count: int) -> int:
    return max(3, math.ceil(count * 0.02))


def themes_find(
    texts: Sequence[str],
    *,
    seed: int = 0,
    max_themes: int = 8,
    min_themes: int = 2,
    min_size: int | None = None,
    embeddings: np.ndarray | None = None,
    embedder: Embedder | None = None,
) -> list[CandidateTheme]:
    """Group ``texts`` into at most ``max_themes`` themes, largest first.

    ``min_size`` (default: 2% of the responses, at least 3) is the smallest theme kept; the
    members of smaller groups join the nearest kept theme. Pass ``embeddings`` when they are
    already computed (rows L2-normalised, in the order of ``texts``).
    """
    count = len(texts)
    if count == 0:
        return []
    if embeddings is None:
        embeddings = (embedder or get_embedder()).embed(texts)
    vectors = np.asarray(embeddings, dtype=np.float64)
    min_size = _default_min_size(count) if min_size is None else min_size

    assignment = _cluster(vectors, seed=seed, min_themes=min_themes, max_themes=max_themes)
    assignment = _absorb_small(vectors, assignment, min_size=min_size)

    groups = [np.flatnonzero(assignment == label) for label in np.unique(assignment)]
    groups.sort(key=lambda members: (-len(members), int(members[0])))
    terms = _distinctive_terms(texts, groups)
    themes = []
    for key, members in enumerate(groups):
        centroid = _unit(vectors[members].mean(axis=0))
        themes.append(
            CandidateTheme(
                key=key,
                label=", ".join(terms[key][:LABEL_TERMS]) or "(no distinctive words)",
                terms=tuple(terms[key]),
                member_indices=tuple(int(index) for index in members),
                quotes=_quotes(texts, vectors, members, centroid),
                centroid=tuple(round(float(value), 6) for value in centroid),
            )
        )
    return themes


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def _cluster(vectors: np.ndarray, *, seed: int, min_themes: int, max_themes: int) -> np.ndarray:
    # Imported here: scikit-learn costs every process about 100 MiB, and few ever cluster.
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    count = len(vectors)
    distinct = len(np.unique(vectors.round(6), axis=0))
    upper = min(max_themes, distinct - 1, count - 1)
    if upper < max(2, min_themes):
        return np.zeros(count, dtype=int)
    # Every k scores above -inf (a silhouette lies in [-1, 1]), so the loop replaces this.
    best_labels, best_score = np.zeros(count, dtype=int), -math.inf
    for k in range(max(2, min_themes), upper + 1):
        labels = KMeans(n_clusters=k, random_state=seed, n_init=4).fit_predict(vectors)
        score = silhouette_score(
            vectors, labels, sample_size=min(count, SILHOUETTE_SAMPLE), random_state=seed
        )
        # Strictly greater: on a tie the smaller k, the simpler reading, wins.
        if score > best_score:
            best_labels, best_score = labels, score
    return best_labels


def _absorb_small(vectors: np.ndarray, assignment: np.ndarray, *, min_size: int) -> np.ndarray:
    labels, sizes = np.unique(assignment, return_counts=True)
    kept = labels[sizes >= min_size]
    if len(kept) == 0:
        return np.zeros_like(assignment)
    if len(kept) == len(labels):
        return assignment
    centroids = np.stack([_unit(vectors[assignment == label].mean(axis=0)) for label in kept])
    result = assignment.copy()
    orphans = np.flatnonzero(~np.isin(assignment, kept))
    result[orphans] = kept[np.argmax(vectors[orphans] @ centroids.T, axis=1)]
    return result


def _distinctive_terms(texts: Sequence[str], groups: list[np.ndarray]) -> list[list[str]]:
    """Class-based TF-IDF: each theme's words weighed against how common they are overall."""
    from sklearn.feature_extraction.text import CountVectorizer  # see _cluster

    documents = [" ".join(" ".join(content_words(texts[i])) for i in members) for members in groups]
    # content_words already dropped the stop words, so the documents are only split here.
    vectoriser = CountVectorizer(analyzer=str.split)
    try:
        counts = vectoriser.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # no content words anywhere
        return [[] for _ in groups]
    vocabulary = vectoriser.get_feature_names_out()
    term_frequency = counts / np.clip(counts.sum(axis=1, keepdims=True), 1, None)
    average_words = counts.sum() / len(groups)
    weights = term_frequency * np.log1p(average_words / counts.sum(axis=0))
    result = []
    for row in weights:
        # lexsort's last key is primary: highest weight first, then alphabetical.
        order = np.lexsort((vocabulary, -row))
        result.append([str(vocabulary[i]) for i in order[:KEPT_TERMS] if row[i] > 0])
    return result


def _quotes(
    texts: Sequence[str], vectors: np.ndarray, members: np.ndarray, centroid: np.ndarray
) -> tuple[Quote, ...]:
    similarity = vectors[members] @ centroid
    order = np.lexsort((members, -similarity.round(9)))
    quotes: list[Quote] = []
    seen: set[str] = set()
    for position in order:
        index = int(members[position])
        wording = " ".join(texts[index].lower().split())
        # A campaign's copies are all near the centre; one of them is enough.
        if wording in seen:
            continue
        seen.add(wording)
        quotes.append(Quote(index=index, text=texts[index]))
        if len(quotes) == QUOTES_PER_THEME:
            break
    return tuple(quotes)


def theme_signature(
    theme: CandidateTheme,
    *,
    theme_id: Hashable,
    response_ids: Sequence[Hashable] | None = None,
) -> ThemeSignature:
    """What to save alongside an accepted theme; ``response_ids[i]`` names ``texts[i]``."""
    return ThemeSignature(
        theme_id=theme_id,
        centroid=theme.centroid,
        member_ids=frozenset(
            response_ids[i] if response_ids is not None else i for i in theme.member_indices
        ),
    )


def theme_signatures_merge(
    signatures: Sequence[ThemeSignature], *, theme_id: Hashable
) -> ThemeSignature:
    """The signature of themes an analyst merged: all their members, a size-weighted centre."""
    weights = np.array([max(len(signature.member_ids), 1) for signature in signatures])
    centroids = np.array([signature.centroid for signature in signatures])
    centroid = _unit((centroids * weights[:, None]).sum(axis=0))
    return ThemeSignature(
        theme_id=theme_id,
        centroid=tuple(round(float(value), 6) for value in centroid),
        member_ids=frozenset().union(*(signature.member_ids for signature in signatures)),
    )


def themes_match(
    *,
    previous: Sequence[ThemeSignature],
    new: Sequence[CandidateTheme],
    response_ids: Sequence[Hashable] | None = None,
    threshold: float = MATCH_THRESHOLD,
) -> Mapping[int, ThemeMatch | None]:
    """Which saved theme each new candidate continues (by ``CandidateTheme.key``).

    The score is the mean of the centroids' cosine similarity and the member overlap: of the
    candidate's responses that some saved theme already held, the share this one held. With
    no such responses the score is the cosine similarity alone. Each candidate takes the
    saved theme with the best score if it reaches ``threshold``, else ``None`` (a new theme).
    Several candidates may continue one saved theme: that is how an analyst's merge holds
    when the clustering splits the theme again. ``response_ids`` must name responses the
    same way the saved signatures do (defaults to positions in the texts).
    """
    result: dict[int, ThemeMatch | None] = {}
    if not previous:
        return {theme.key: None for theme in new}
    known: set[Hashable] = set().union(*(signature.member_ids for signature in previous))
    saved_centroids = np.array([signature.centroid for signature in previous], dtype=np.float64)
    saved_centroids /= np.clip(np.linalg.norm(saved_centroids, axis=1, keepdims=True), 1e-12, None)
    for theme in new:
        members = {response_ids[i] if response_ids is not None else i for i in theme.member_indices}
        seen_before = members & known
        similarities = saved_centroids @ _unit(np.array(theme.centroid, dtype=np.float64))
        best: ThemeMatch | None = None
        for position, signature in enumerate(previous):
            similarity = float(similarities[position])
            if seen_before:
                overlap = len(seen_before & signature.member_ids) / len(seen_before)
                score = (similarity + overlap) / 2
            else:
                overlap, score = None, similarity
            if score >= threshold and (best is None or score > best.score):
                best = ThemeMatch(
                    theme_id=signature.theme_id,
                    score=round(score, 6),
                    centroid_similarity=round(similarity, 6),
                    member_overlap=None if overlap is None else round(overlap, 6),
                )
        result[theme.key] = best
    return result
