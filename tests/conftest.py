"""Shared fixtures. The bundled corpus is ingested once per test session, with the real bundled
multilingual embedder, into a temporary data directory; tests that change state make their own."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from policygraph.settings import PROJECT_ROOT, Settings

CORPUS = PROJECT_ROOT / "policies"


def shared_data() -> Path:
    return Settings().shared_data


def real_policies_dir() -> Path:
    return shared_data() / "real-policies" / "tiktok-community-guidelines"


@pytest.fixture(scope="session")
def embedding_cache_dir(tmp_path_factory) -> Path:
    """One embedding cache for the session: engines in different data dirs reuse vectors by text."""
    return tmp_path_factory.mktemp("embcache")


def make_engine(data_dir: Path, cache_dir: Path | None = None, **kw):
    """An engine on its own data dir; `cache_dir` shares embeddings between the session's engines.
    (Imported here, not at the top: the unit tier must not pay for the engine's imports.)"""
    from policygraph.engine import Engine

    if cache_dir is not None:
        kw.setdefault("embedding_cache", cache_dir / "embeddings.sqlite")
    return Engine(Settings(data_dir=data_dir, **kw))


@pytest.fixture(scope="session")
def corpus_engine(tmp_path_factory, embedding_cache_dir):
    from policygraph.ingest import pipeline

    eng = make_engine(tmp_path_factory.mktemp("corpus"), embedding_cache_dir)
    pipeline.ingest(eng, [CORPUS])
    return eng


@pytest.fixture(autouse=True, scope="session")
def _offline():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
