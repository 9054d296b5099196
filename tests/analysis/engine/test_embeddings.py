from __future__ import annotations

import socket

import numpy as np
import pytest

from engagement.analysis.engine.embeddings import (
    Embedder,
    HashingEmbedder,
    MiniLMEmbedder,
    get_embedder,
)

# Cosine similarities that the sentence-transformers documentation prints for
# all-MiniLM-L6-v2 (run with PyTorch); the numpy port must reproduce them.
PUBLISHED_SIMILARITIES = (
    ("The new movie is awesome", "The new movie is so great", 0.8939),
    ("The cat sits outside", "The cat plays in the garden", 0.6788),
    ("I love pasta", "Do you like pizza?", 0.5096),
    ("I love pasta", "The new movie is so great", 0.2560),
)


def test_packaged_model_reproduces_the_published_similarities(embedder):
    for first, second, expected in PUBLISHED_SIMILARITIES:
        vectors = embedder.embed([first, second])
        assert float(vectors[0] @ vectors[1]) == pytest.approx(expected, abs=1e-3)


def test_embeddings_are_unit_rows_in_input_order(embedder):
    texts = ["Short.", "A much longer reply about the bus timetable and the station car park."]
    together = embedder.embed(texts)
    assert together.shape == (2, embedder.dimension)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    # Padding to the longest text in a batch must not change a shorter text's vector.
    assert np.allclose(together[0], embedder.embed(["Short."])[0], atol=1e-5)
    assert np.allclose(together[1], embedder.embed([texts[1]])[0], atol=1e-5)


def test_empty_input_gives_an_empty_matrix(embedder):
    assert embedder.embed([]).shape == (0, embedder.dimension)


def test_model_loads_and_embeds_with_the_network_refused(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network use during model loading")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    vectors = MiniLMEmbedder().embed(["The library should open on Saturdays."])
    assert vectors.shape == (1, 384)


def test_embedder_is_built_once_per_process():
    assert get_embedder() is get_embedder() is get_embedder(None)
    assert get_embedder() is get_embedder("engagement.analysis.engine.embeddings.MiniLMEmbedder")
    assert isinstance(get_embedder(), Embedder)


def test_embedder_is_chosen_by_dotted_path():
    chosen = get_embedder("engagement.analysis.engine.embeddings.HashingEmbedder")
    assert isinstance(chosen, HashingEmbedder)


def test_hashing_fallback_is_deterministic_and_normalised():
    texts = ["Fix the potholes on Mill Lane", "Potholes on Mill Lane again", ""]
    first = HashingEmbedder().embed(texts)
    assert np.array_equal(first, HashingEmbedder().embed(texts))
    assert np.allclose(np.linalg.norm(first[:2], axis=1), 1.0, atol=1e-6)
    assert not first[2].any()
    assert first[0] @ first[1] > 0.3
