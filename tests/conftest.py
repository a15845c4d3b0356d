"""Shared fixtures. The bundled corpus is ingested once per test session, with the real bundled
multilingual embedder, into a temporary data directory; tests that change state make their own."""

from __future__ import annotations

import fcntl
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from policygraph.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "policies"


def shared_data() -> Path:
    return Settings().shared_data


def real_policies_dir() -> Path:
    return shared_data() / "real-policies" / "tiktok-community-guidelines"


def _shared_corpus(tmp_path_factory) -> Path:
    """Under pytest-xdist: the bundled corpus embedded once for the whole run, in the run's shared temporary
    folder, by the first worker that needs it (the others wait on a file lock). Holds data/ and cache/."""
    from policygraph.ingest import pipeline

    run_dir = tmp_path_factory.getbasetemp().parent  # this run's folder, shared by its workers
    shared = run_dir / "corpus-shared"
    with open(run_dir / "corpus.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (shared / "done").exists():
                eng = make_engine(shared / "data", shared / "cache")
                pipeline.ingest(eng, [CORPUS])
                eng.close()  # the cache's write-ahead log is folded into the file
                (shared / "done").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return shared


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory) -> Path:
    """One embedding cache for the session: engines in different data dirs reuse vectors by text."""
    return tmp_path_factory.mktemp("embcache")


def _merge_cache(shared: Path, cache_dir: Path) -> None:
    """Add the shared corpus's vectors to this worker's cache (SQLite, safe while other engines hold it open)."""
    db = sqlite3.connect(str(cache_dir / "embeddings.sqlite"))
    try:
        db.execute("CREATE TABLE IF NOT EXISTS emb (k BLOB PRIMARY KEY, v BLOB NOT NULL)")
        db.execute("ATTACH DATABASE ? AS shared", (str(shared / "cache" / "embeddings.sqlite"),))
        db.execute("INSERT OR IGNORE INTO emb SELECT k, v FROM shared.emb")
        db.commit()
        db.execute("DETACH DATABASE shared")
    finally:
        db.close()


def make_engine(data_dir: Path, cache_dir: Path | None = None, **kw):
    """An engine on its own data dir; `cache_dir` shares embeddings between the session's engines.
    (Imported here, not at the top: the unit tier must not pay for the engine's imports.)"""
    from policygraph.engine import Engine

    if cache_dir is not None:
        kw.setdefault("embedding_cache", cache_dir / "embeddings.sqlite")
    return Engine(Settings(data_dir=data_dir, **kw))


def ingest_corpus(data_dir: Path, cache_dir: Path | None = None) -> Path:
    """The bundled corpus ingested into `data_dir` (a few seconds: its vectors ship in policies/vectors)."""
    from policygraph.ingest import pipeline

    eng = make_engine(data_dir, cache_dir)
    try:
        pipeline.ingest(eng, [CORPUS])
    finally:
        eng.close()
    return data_dir


@pytest.fixture(scope="session")
def corpus_engine(tmp_path_factory, embedding_cache_dir, worker_id):
    """The bundled corpus, ingested once per run (under pytest-xdist, once for all workers: each works
    on its own copy of the data dir)."""
    from policygraph.ingest import pipeline

    mine = tmp_path_factory.mktemp("corpus")
    if worker_id == "master":  # one process: nobody to share with
        eng = make_engine(mine, embedding_cache_dir)
        pipeline.ingest(eng, [CORPUS])
        return eng
    shared = _shared_corpus(tmp_path_factory)
    _merge_cache(shared, embedding_cache_dir)
    shutil.copytree(shared / "data", mine, dirs_exist_ok=True)
    return make_engine(mine, embedding_cache_dir)


@pytest.fixture(scope="module")
def client(api):
    """An HTTP client of the module's `api` server (each module that serves one defines `api`)."""
    with api.client() as c:
        yield c


@pytest.fixture(autouse=True, scope="session")
def _offline():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
