"""The stop words, read from scikit-learn on first use (see tests/cms/test_setup_imports.py)."""

from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from engagement.analysis.engine.terms import content_words, stop_words


def test_stop_words_are_scikit_learns_and_ours():
    assert stop_words() >= ENGLISH_STOP_WORDS
    assert {"whilst", "thanks", "don't"} <= stop_words()
    assert content_words("Whilst the buses are thanks to them, the timetable is not") == [
        "buses",
        "timetable",
    ]
