from __future__ import annotations

from collections import Counter

import pytest

from engagement.analysis.engine.sentiment import (
    NEGATIVE_THRESHOLD,
    POSITIVE_THRESHOLD,
    SentimentModel,
    VaderSentimentModel,
    get_sentiment_model,
    sentiment_label,
)
from engagement.analysis.engine.types import SentimentScore
from tests.analysis.engine.labelled_sentiment import LABELLED_REPLIES

REQUIRED_ACCURACY = 0.80


class AlwaysNeutral:
    """A stand-in model, to show the interface is honoured whatever the implementation."""

    def score(self, texts):
        return [SentimentScore(compound=0.0, label="neutral") for _ in texts]


def test_labelled_consultation_replies_are_scored_above_the_stated_accuracy(report_line):
    assert len(LABELLED_REPLIES) >= 40
    texts = [text for text, _label in LABELLED_REPLIES]
    scores = get_sentiment_model().score(texts)
    right = sum(
        score.label == label for score, (_text, label) in zip(scores, LABELLED_REPLIES, strict=True)
    )
    accuracy = right / len(LABELLED_REPLIES)
    report_line(f"sentiment accuracy on {len(LABELLED_REPLIES)} labelled replies: {accuracy:.3f}")
    assert accuracy >= REQUIRED_ACCURACY


def test_labelled_set_is_balanced_across_the_three_labels():
    counts = Counter(label for _text, label in LABELLED_REPLIES)
    assert set(counts) == {"positive", "neutral", "negative"}
    assert min(counts.values()) >= 12


def test_compound_is_bounded_and_the_label_follows_the_thresholds():
    texts = [text for text, _label in LABELLED_REPLIES] + ["", "!!!", "Awful awful awful."]
    for score in get_sentiment_model().score(texts):
        assert -1.0 <= score.compound <= 1.0
        assert score.label == sentiment_label(score.compound)


@pytest.mark.parametrize(
    ("compound", "label"),
    [
        (POSITIVE_THRESHOLD, "positive"),
        (NEGATIVE_THRESHOLD, "negative"),
        (0.0, "neutral"),
        (0.049, "neutral"),
        (-0.049, "neutral"),
        (1.0, "positive"),
        (-1.0, "negative"),
    ],
)
def test_label_thresholds(compound, label):
    assert sentiment_label(compound) == label


def test_consultation_vocabulary_reads_strong_opposition_as_negative():
    text = "I strongly oppose the closure of the leisure centre."
    assert VaderSentimentModel().score([text])[0].label == "negative"
    # Plain VADER knows neither "oppose" nor "closure" and counts "strongly" as praise.
    assert VaderSentimentModel(lexicon_updates={}).score([text])[0].label == "positive"


def test_sentiment_model_is_chosen_by_dotted_path():
    model = get_sentiment_model(f"{__name__}.AlwaysNeutral")
    assert isinstance(model, SentimentModel)
    assert model.score(["Wonderful!"]) == [SentimentScore(compound=0.0, label="neutral")]
    assert isinstance(get_sentiment_model(None), VaderSentimentModel)
    assert get_sentiment_model() is get_sentiment_model() is get_sentiment_model(None)
