"""A persistent embedding cache keyed by (model, role, text): re-ingesting unchanged rules and
re-running the eval harness do not pay for the embedding model again.

*Seed files* (`VectorSeed`) are read-only vectors shipped with a corpus: `policies/vectors/<model>.npz`
holds every text of the bundled corpus with the bundled model's vector for it, so a first ingest does
not spend two minutes embedding what was embedded when the corpus was written. A seed answers only
for its own model and for the exact text (the key is the same as the cache's); a text edited since is
embedded for real. `scripts/seed_vectors.py` writes one; tests/test_vector_seed.py re-embeds a sample
with the live model and requires the same vectors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def seed_file_name(model_name: str) -> str:
    """The seed file of one model in a seed folder: its name with anything but letters, digits, '.',
    '-' and '_' replaced."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_name) + ".npz"


def cache_key(model_name: str, role: str, text: str) -> bytes:
    return hashlib.sha1(f"{model_name}\x1f{role}\x1f{text}".encode()).digest()


class VectorSeed:
    """Vectors shipped with a corpus for one model (an .npz of `model`, `roles`, `texts`, `vectors`),
    looked up by the cache's key. Read lazily, on the first miss of the cache."""

    def __init__(self, path: Path, model_name: str) -> None:
        self.path = path
        self.model_name = model_name
        self._rows: dict[bytes, int] | None = None
        self._vectors: np.ndarray | None = None

    def _load(self) -> None:
        rows: dict[bytes, int] = {}
        vectors = np.zeros((0, 0), np.float32)
        try:
            with np.load(self.path, allow_pickle=False) as z:
                if str(z["model"]) == self.model_name:
                    vectors = np.asarray(z["vectors"], dtype=np.float32)
                    for i, (role, text) in enumerate(zip(z["roles"].tolist(), z["texts"].tolist(), strict=True)):
                        rows[cache_key(self.model_name, role, text)] = i
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:  # a damaged seed costs time, never an answer
            log.warning("vector seed %s is unreadable (%s): embedding without it", self.path, exc)
            rows = {}
        self._rows, self._vectors = rows, vectors

    def get(self, key: bytes) -> np.ndarray | None:
        if self._rows is None:
            self._load()
        assert self._rows is not None and self._vectors is not None
        i = self._rows.get(key)
        return None if i is None else self._vectors[i]

    @staticmethod
    def write(path: Path, model_name: str, rows: Sequence[tuple[str, str, np.ndarray]]) -> None:
        """Write a seed of (role, text, vector) rows, sorted so that the file changes only with its rows."""
        rows = sorted(rows, key=lambda r: (r[0], r[1]))
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(tmp, model=np.str_(model_name), roles=np.array([r[0] for r in rows]),
                            texts=np.array([r[1] for r in rows]),
                            vectors=np.stack([np.asarray(r[2], np.float32) for r in rows]))
        os.replace(tmp, path)


class CachedEmbedder:
    """Wraps any `Embedder`; stores vectors in SQLite (`path=None`: in memory). `seed_dirs`: folders
    that may hold a seed file for this model (`VectorSeed`), consulted when the cache misses."""

    def __init__(self, inner, path: str | Path | None = None, seed_dirs: Sequence[Path] = ()) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open(path)
        except sqlite3.DatabaseError as exc:
            if path is None:
                raise
            # the cache is derived data: a damaged file is moved aside and the cache starts empty
            aside = Path(f"{path}.damaged-{int(time.time())}")
            log.warning("embedding cache %s is unreadable (%s): moved to %s, starting an empty one", path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{path}{suffix}").exists():
                    os.replace(f"{path}{suffix}", f"{aside}{suffix}")
            self._db = self._open(path)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        #: of the hits, how many came from a seed file
        self.seeded = 0
        self._seeds = [VectorSeed(d / seed_file_name(self.name), self.name) for d in seed_dirs
                       if (d / seed_file_name(self.name)).is_file()]

    @staticmethod
    def _open(path: str | Path | None) -> sqlite3.Connection:
        db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE IF NOT EXISTS emb (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
            db.execute("SELECT count(*) FROM emb").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _key(self, role: str, text: str) -> bytes:
        return cache_key(self.name, role, text)

    def _from_seed(self, key: bytes) -> np.ndarray | None:
        for seed in self._seeds:
            v = seed.get(key)
            if v is not None:
                return v
        return None

    def _embed(self, role: str, texts: Sequence[str], fn, batch: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        keys = [self._key(role, t) for t in texts]
        with self._lock:
            found: dict[bytes, bytes] = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})"
                found.update(self._db.execute(q, chunk).fetchall())
        todo = []
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], np.float32)
                continue
            seeded = self._from_seed(k) if self._seeds else None
            if seeded is None:
                todo.append(i)
            else:
                out[i] = seeded
                self.seeded += 1
        self.hits += len(texts) - len(todo)
        self.misses += len(todo)
        for s in range(0, len(todo), batch):
            idx = todo[s : s + batch]
            vecs = fn([texts[i] for i in idx])
            out[idx] = vecs
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?)",
                                     [(keys[i], vecs[j].astype(np.float32).tobytes()) for j, i in enumerate(idx)])
                self._db.commit()
        return out

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("query", texts, self.inner.embed_queries)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed("passage", texts, self.inner.embed_passages)

    def keep_resident(self) -> int:
        """The wrapped embedder's `keep_resident()` where it has one (a model read from a mapped file)."""
        keep = getattr(self.inner, "keep_resident", None)
        return keep() if keep is not None else 0

    def close(self) -> None:
        self._db.close()
