"""Which language a reply is written in: Welsh, English or another, as far as its words say.

py3langid (a naive Bayes model over byte n-grams, shipped in its wheel, deterministic)
knows Welsh among its 97 languages; on tests/analysis/data/language_labelled.csv (short
replies in Welsh, English and both, written the way people post) it separates Welsh from
English well once the parts of a post that are no language are taken out: links, @handles,
emoji, and the ``#`` of hashtags (``#AerGlân`` keeps its words, "aer glân").
``scripts/bench_language.py`` prints its precision and recall per language.

A network's own language tag is what its client chose, often the author's default setting
rather than the words (Mastodon's ``language``, Bluesky's ``langs``), so where the words
clearly say Welsh or English, between those two the words win (``language_recorded``).

Pure: no models, no other app (both the record and the analysis use it).
"""

from __future__ import annotations

import functools
from typing import Any

import regex

UNDETERMINED = "und"
WELSH = "cy"
ENGLISH = "en"
# Fewer words than this and a language guess is noise ("ok", "Cytuno", "Yes!").
MIN_WORDS_FOR_LANGUAGE = 3
# The model's probability (normalised over its languages) below which it is not sure.
MIN_CONFIDENCE = 0.5

_LINK = regex.compile(r"(?:https?://|www\.)\S+", regex.IGNORECASE)
_HANDLE = regex.compile(r"(?<![\w@])@[\w.-]+(?:@[\w.-]+)?")
_HASHTAG = regex.compile(r"#(\w+)")
_CAMEL = regex.compile(r"(?<=\p{Ll})(?=\p{Lu})")
_WORD = regex.compile(r"\p{L}+(?:['’]\p{L}+)*")


def language_text(text: str) -> str:
    """The words of a post that belong to a language: no links, handles, emoji or ``#``."""
    text = _LINK.sub(" ", text)
    text = _HANDLE.sub(" ", text)
    text = _HASHTAG.sub(lambda match: _CAMEL.sub(" ", match.group(1)), text)
    return " ".join(_WORD.findall(text))


@functools.cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_detect(text: str) -> str:
    """The ISO 639-1 code of the language of ``text``'s words, or "und" when they are too
    few or the model is unsure."""
    words = language_text(text)
    if len(words.split()) < MIN_WORDS_FOR_LANGUAGE:
        return UNDETERMINED
    language, confidence = _identifier().classify(words)
    return str(language) if confidence >= MIN_CONFIDENCE else UNDETERMINED


def language_primary(tag: str) -> str:
    """The language of a tag as networks send it ("en-GB", "CY", "cy_GB"): "en", "cy"."""
    return tag.replace("_", "-").split("-")[0].strip().lower()


def language_recorded(*, reported: str, text: str) -> str:
    """The language a response is recorded in, from the tag it came with and its words.

    No tag: the words' language (or "" when they do not tell). A Welsh or English tag
    ("cy", "en-GB") is recorded as its language, unless the words are clearly the other
    of the two: then the words win. Any other tag is kept as it came: the model is only
    trusted here to tell Welsh from English.
    """
    detected = language_detect(text)
    if not reported:
        return "" if detected == UNDETERMINED else detected
    primary = language_primary(reported)
    if primary in {WELSH, ENGLISH}:
        return detected if detected in {WELSH, ENGLISH} else primary
    return reported
