"""The model is loaded and the corpus embedded once per session: embedding is the slow part."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from engagement.analysis.engine.embeddings import get_embedder
from engagement.analysis.engine.synthetic import synthetic_corpus

# Several hundred replies: five topics of 60 plus a campaign of 50.
PER_TOPIC = 60
CAMPAIGN_SIZE = 50


@pytest.fixture
def report_line(capsys):
    """Write a figure for the report to the terminal, even though output is captured."""

    def write(line: str) -> None:
        with capsys.disabled():
            sys.stdout.write(f"\n{line}")

    return write


@pytest.fixture(scope="session")
def embedder():
    return get_embedder()


@pytest.fixture(scope="session")
def corpus():
    return synthetic_corpus(seed=7, per_topic=PER_TOPIC, campaign_size=CAMPAIGN_SIZE)


@pytest.fixture(scope="session")
def later_replies():
    """Replies arriving after a first analysis: same topics, different seed, no campaign."""
    return synthetic_corpus(seed=8, per_topic=8, campaign_size=0)


@pytest.fixture(scope="session")
def corpus_embeddings(embedder, corpus) -> np.ndarray:
    return embedder.embed(corpus.texts)


@pytest.fixture(scope="session")
def later_embeddings(embedder, later_replies) -> np.ndarray:
    return embedder.embed(later_replies.texts)
