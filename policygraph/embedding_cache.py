"""A persistent embedding cache keyed by (model, role, text): re-ingesting unchanged rules and
re-running the eval harness do not pay for the embedding model again."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

class CachedEmbedder:
    """Wraps any `Embedder`; stores vectors in SQLite (`path=None`: in memory)."""

    def __init__(self, inner, path: str | Path | None = None) -> None:
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
        return hashlib.sha1(f"{self.name}\x1f{role}\x1f{text}".encode()).digest()

    def _embed(self, role: str, texts: Sequence[str], fn, batch: int = 64) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        keys = [self._key(role, t) for t in texts]
        with self._lock:
            found: dict[bytes, bytes] = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                q = f"SELECT k, v FROM emb WHERE k IN ({','.join('?' * len(chunk))})"
                found.update(self._db.execute(q, chunk).fetchall())
        todo = [i for i, k in enumerate(keys) if k not in found]
        for i, k in enumerate(keys):
            if k in found:
                out[i] = np.frombuffer(found[k], np.float32)
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

    def close(self) -> None:
        self._db.close()
