"""Plain, frozen results of the analysis engine; callers store or render them."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Literal

# "not_analysed": written in a language the sentiment model cannot read (a Welsh reply and
# an English-only model); counted apart, never as neutral.
SentimentLabel = Literal["positive", "neutral", "negative", "not_analysed"]


@dataclass(frozen=True)
class SentimentScore:
    compound: float | None  # in [-1, 1]; None when not analysed
    label: SentimentLabel


@dataclass(frozen=True)
class Quote:
    index: int  # position of the response in the texts analysed
    text: str


@dataclass(frozen=True)
class CandidateTheme:
    key: int  # position in this run's result; not stable across runs (use themes_match)
    label: str
    terms: tuple[str, ...]
    member_indices: tuple[int, ...]
    quotes: tuple[Quote, ...]
    centroid: tuple[float, ...]  # unit-length mean of the members' embeddings

    @property
    def size(self) -> int:
        return len(self.member_indices)


@dataclass(frozen=True)
class ThemeSignature:
    """What a saved theme remembers so a re-run can find it again, whatever its name."""

    theme_id: Hashable
    centroid: tuple[float, ...]
    member_ids: frozenset[Hashable]


@dataclass(frozen=True)
class ThemeMatch:
    theme_id: Hashable
    score: float
    centroid_similarity: float
    member_overlap: float | None  # None when the candidate has no previously seen members


@dataclass(frozen=True)
class CampaignGroup:
    member_indices: tuple[int, ...]
    representative_index: int
    representative_text: str

    @property
    def count(self) -> int:
        return len(self.member_indices)


@dataclass(frozen=True)
class TermCount:
    term: str
    count: int  # number of responses that use the term at least once


@dataclass(frozen=True)
class LanguageCount:
    language: str  # ISO 639-1 code, or "und" when too short to tell
    count: int
    share: float  # count / number of texts
