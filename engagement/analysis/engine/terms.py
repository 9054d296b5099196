"""Figures over raw texts: most used terms and the mix of languages."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import cache

from engagement.languages import language_detect

from .types import LanguageCount, TermCount

# Added to scikit-learn's English list: British forms and the filler of consultation replies.
_MORE_STOP_WORDS = {
    "whilst", "amongst", "towards", "learnt", "shan't", "needn't", "oughtn't", "ain't",
    "don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "won't", "wouldn't",
    "can't", "couldn't", "shouldn't", "haven't", "hasn't", "hadn't", "i'm", "i've", "i'd",
    "i'll", "it's", "we're", "we've", "they're", "there's", "that's", "let's", "you're",
    "just", "really", "think", "like", "make", "need", "want", "know", "going", "get", "got",
    "also", "would", "could", "should", "will", "may", "might", "must", "much", "many",
    "people", "lot", "lots", "yes", "okay", "ok", "etc", "please", "thank", "thanks",
}  # fmt: skip


@cache
def stop_words() -> frozenset[str]:
    """scikit-learn's English stop words plus ours.

    Read on first use: importing scikit-learn costs every process (web workers, Celery,
    commands) about 100 MiB, and most never count a term.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS) | _MORE_STOP_WORDS


_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("’", "'").lower()


def words(text: str) -> list[str]:
    """Lower-case words; apostrophes kept inside words, possessive ``'s`` dropped."""
    tokens = _WORD.findall(_normalise(text))
    return [token[:-2] if token.endswith("'s") else token for token in tokens]


def content_words(text: str) -> list[str]:
    stop = stop_words()
    return [word for word in words(text) if len(word) >= 3 and word not in stop]


def top_terms(texts: Sequence[str], *, n: int = 20) -> list[TermCount]:
    """The ``n`` terms used by most responses (each response counts a term once).

    Ties are broken alphabetically so the list is the same on every run.
    """
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(content_words(text)))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [TermCount(term=term, count=count) for term, count in ranked[:n]]


def language_of(text: str) -> str:
    """ISO 639-1 code of the text's words, "und" when they do not tell (engagement.languages)."""
    return language_detect(text)


def language_mix(texts: Sequence[str]) -> list[LanguageCount]:
    """How many texts are in each language, most common first."""
    counts = Counter(language_of(text) for text in texts)
    total = len(texts)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        LanguageCount(language=language, count=count, share=count / total)
        for language, count in ranked
    ]
