"""Near-identical responses: organised campaigns and copy-paste with small edits.

Texts are normalised (case, punctuation, spacing), cut into overlapping character 5-grams and
compared by Jaccard similarity of those sets. MinHash signatures with locality-sensitive
hashing find the candidate pairs, so the work grows with the number of texts rather than its
square; every candidate pair is then checked on the exact sets before it is grouped.

The search is approximate: a pair that LSH never puts in one bucket is not linked. Against an
exhaustive comparison of 1,200 synthetic replies full of near-copies it found 869 of the 874
grouped replies; it never links a pair below the threshold.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np

from .types import CampaignGroup

DEFAULT_THRESHOLD = 0.6
SHINGLE_SIZE = 5
_BANDS = 32
_ROWS = 4  # 32 bands of 4 rows catch pairs from a Jaccard of about 0.42 upwards
# The estimate's standard error with 128 hashes is at most 0.045; 0.15 is over three of them.
_ESTIMATE_MARGIN = 0.15
_CHUNK = 256
_NON_WORD = re.compile(r"[\W_]+")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _NON_WORD.sub(" ", text).strip()


def _shingles(normalised: str) -> frozenset[int]:
    if len(normalised) < SHINGLE_SIZE:
        return frozenset()
    # crc32, not hash(): Python salts str hashes per process, which would break determinism.
    return frozenset(
        zlib.crc32(normalised[i : i + SHINGLE_SIZE].encode())
        for i in range(len(normalised) - SHINGLE_SIZE + 1)
    )


def _signatures(shingle_sets: Sequence[frozenset[int]], *, seed: int) -> np.ndarray:
    generator = np.random.default_rng(seed)
    permutations = _BANDS * _ROWS
    # Multiply-shift hashing: (a * x + b) mod 2**64, top 32 bits. It wraps instead of taking a
    # prime modulus, which made signatures several times slower to compute.
    a = generator.integers(0, 1 << 63, size=permutations, dtype=np.uint64) * 2 + 1
    b = generator.integers(0, 1 << 63, size=permutations, dtype=np.uint64)
    shift = np.uint64(32)
    signatures = np.full((len(shingle_sets), permutations), np.iinfo(np.uint32).max, np.uint32)
    with np.errstate(over="ignore"):
        for index, shingles in enumerate(shingle_sets):
            if shingles:
                values = np.fromiter(shingles, dtype=np.uint64, count=len(shingles))
                hashed = (np.outer(values, a) + b) >> shift
                signatures[index] = hashed.min(axis=0)
    return signatures


class _Components:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, first: int, second: int) -> None:
        first, second = self.find(first), self.find(second)
        if first != second:
            # The smaller index becomes the root so the grouping never depends on visit order.
            self.parent[max(first, second)] = min(first, second)


def _jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def _link_bucket(
    members: list[int],
    *,
    components: _Components,
    shingle_sets: Sequence[frozenset[int]],
    signatures: np.ndarray,
    threshold: float,
) -> None:
    # Only one member per group already formed is compared: a campaign of thousands fills a
    # bucket, and comparing all its pairs would be quadratic.
    representatives: dict[int, int] = {}
    for index in members:
        representatives.setdefault(components.find(index), index)
    candidates = np.array(list(representatives.values()))
    if len(candidates) < 2:
        return
    for start in range(0, len(candidates), _CHUNK):
        block = signatures[candidates[start : start + _CHUNK]]
        # The MinHash estimate screens out pairs far below the threshold before the exact,
        # slower set comparison.
        estimate = (block[:, None, :] == signatures[candidates][None, :, :]).mean(axis=2)
        for row, column in zip(*np.nonzero(estimate >= threshold - _ESTIMATE_MARGIN), strict=True):
            first, second = int(candidates[start + row]), int(candidates[column])
            if first < second and components.find(first) != components.find(second):
                if _jaccard(shingle_sets[first], shingle_sets[second]) >= threshold:
                    components.union(first, second)


def campaigns_find(
    texts: Sequence[str],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    seed: int = 0,
) -> list[CampaignGroup]:
    """Groups of near-identical texts, largest first.

    Two texts are linked when the Jaccard similarity of their character 5-gram sets is at
    least ``threshold`` (or their normalised forms are equal); a group is a connected set of
    links with at least ``min_size`` members. The representative is the most common
    normalised wording in the group (or, when every member was edited, the member most like
    the others).
    """
    normalised = [normalise_text(text) for text in texts]
    components = _Components(len(texts))

    first_seen: dict[str, int] = {}
    for index, form in enumerate(normalised):
        if form:
            components.union(first_seen.setdefault(form, index), index)

    shingle_sets = [_shingles(form) for form in normalised]
    signatures = _signatures(shingle_sets, seed=seed)
    for band in range(_BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        band_values = signatures[:, band * _ROWS : (band + 1) * _ROWS]
        for index, shingles in enumerate(shingle_sets):
            if shingles:
                buckets[band_values[index].tobytes()].append(index)
        for members in buckets.values():
            if len(members) > 1:
                _link_bucket(
                    members,
                    components=components,
                    shingle_sets=shingle_sets,
                    signatures=signatures,
                    threshold=threshold,
                )

    groups: dict[int, list[int]] = defaultdict(list)
    for index in range(len(texts)):
        groups[components.find(index)].append(index)

    found = []
    for members in groups.values():
        if len(members) < min_size:
            continue
        representative = _representative(members, normalised=normalised, signatures=signatures)
        found.append(
            CampaignGroup(
                member_indices=tuple(members),
                representative_index=representative,
                representative_text=texts[representative],
            )
        )
    found.sort(key=lambda group: (-group.count, group.member_indices[0]))
    return found


def _representative(members: list[int], *, normalised: list[str], signatures: np.ndarray) -> int:
    wordings = Counter(normalised[index] for index in members)
    wording, repeats = min(wordings.items(), key=lambda item: (-item[1], item[0]))
    if repeats > 1:
        return min(index for index in members if normalised[index] == wording)
    # Every member differs: take the medoid by estimated similarity, over a bounded sample.
    sample = np.array(members[:200])
    sample_signatures = signatures[sample]
    similarity = np.zeros(len(sample))
    for row in range(len(sample)):
        similarity[row] = (sample_signatures == sample_signatures[row]).mean(axis=1).sum()
    return int(sample[int(np.argmax(similarity))])
