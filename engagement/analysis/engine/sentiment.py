"""Sentiment per response, behind a swappable interface.

Labels come from the compound score with VADER's published cut-offs:
``compound >= 0.05`` is positive, ``compound <= -0.05`` is negative, anything between is
neutral.

A model says which languages it reads (``languages``, ISO 639-1 codes; absent means any).
VADER reads English only: a reply in another language, Welsh say, is not scored as if
it were English (its Welsh words are unknown to VADER and would come out "neutral"); it
is labelled "not_analysed" (``sentiment_scores``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from django.utils.module_loading import import_string

from engagement.languages import UNDETERMINED, language_primary

from .types import SentimentLabel, SentimentScore

POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
DEFAULT_SENTIMENT_MODEL = "engagement.analysis.engine.sentiment.VaderSentimentModel"
NOT_ANALYSED: SentimentLabel = "not_analysed"

# VADER's lexicon was built from social media in American English. Consultation replies say
# "I object", "I oppose", "my concern is" far more than tweets do, and VADER scores none of
# those words; "strongly" is in its lexicon as a positive word, which made "I strongly oppose"
# positive. Valences on VADER's own -4..4 scale.
CONSULTATION_LEXICON: Mapping[str, float] = MappingProxyType(
    {
        "oppose": -2.0,
        "opposes": -2.0,
        "opposed": -2.0,
        "opposing": -1.8,
        "opposition": -1.5,
        "object": -1.5,
        "objection": -1.8,
        "objections": -1.8,
        "against": -1.2,
        "concern": -1.2,
        "concerns": -1.2,
        "concerned": -1.3,
        "worried": -1.5,
        "unsafe": -2.0,
        "rubbish": -2.0,
        "shambles": -2.3,
        "pointless": -1.8,
        "unaffordable": -1.8,
        "congestion": -1.0,
        "gridlock": -1.5,
        "closure": -0.8,
        "cuts": -1.0,
        "sensible": 1.5,
        "welcomed": 2.0,
        "overdue": 0.8,
        "supportive": 1.8,
        "backing": 1.5,
        "strongly": 0.0,
    }
)


@runtime_checkable
class SentimentModel(Protocol):
    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        """One score per text, in order."""
        ...


def sentiment_label(compound: float) -> SentimentLabel:
    if compound >= POSITIVE_THRESHOLD:
        return "positive"
    if compound <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def model_reads(model: object, language: str) -> bool:
    """Whether ``model`` (a sentiment model or an embedder) reads text in ``language``.

    A model without ``languages`` reads any; a text whose language is unknown ("" or
    "und", too short to tell) is read, as it always was.
    """
    languages = getattr(model, "languages", None)
    if languages is None or language in ("", UNDETERMINED):
        return True
    return language_primary(language) in languages


def sentiment_scores(
    *, model: SentimentModel, texts: Sequence[str], languages: Sequence[str]
) -> list[SentimentScore]:
    """One score per text, in order; "not_analysed" for a text the model cannot read."""
    readable = [index for index, language in enumerate(languages) if model_reads(model, language)]
    scored = dict(zip(readable, model.score([texts[index] for index in readable]), strict=True))
    return [
        scored.get(index, SentimentScore(compound=None, label=NOT_ANALYSED))
        for index in range(len(texts))
    ]


class VaderSentimentModel:
    """VADER (lexicon and rules, offline), with a consultation vocabulary added."""

    # Its lexicon and rules are English (Welsh words are simply unknown to it).
    languages = frozenset({"en"})

    def __init__(self, *, lexicon_updates: Mapping[str, float] = CONSULTATION_LEXICON) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyser = SentimentIntensityAnalyzer()
        for word, valence in lexicon_updates.items():
            if valence == 0.0:
                self._analyser.lexicon.pop(word, None)
            else:
                self._analyser.lexicon[word] = valence

    def score(self, texts: Sequence[str]) -> list[SentimentScore]:
        scores = []
        for text in texts:
            compound = float(self._analyser.polarity_scores(text)["compound"])
            scores.append(SentimentScore(compound=compound, label=sentiment_label(compound)))
        return scores


def get_sentiment_model(path: str | None = None) -> SentimentModel:
    """The model named by a dotted path (``HUB_SENTIMENT_MODEL``), built once per process."""
    return _sentiment_model(path or DEFAULT_SENTIMENT_MODEL)


@functools.cache
def _sentiment_model(path: str) -> SentimentModel:
    return import_string(path)()
