"""Fast tier: the vector index turns approximate (FAISS IVF) once it holds `Approximate.from_vectors`
vectors — real FAISS, synthetic clustered vectors, a threshold lowered to a few thousand. What must
hold: recall@10 against exact search of at least 0.98 with and without filters, a filter still applied
before top-k (every hit allowed, a narrow filter searched exactly), and everything the exact index
does (remove, read back, save and load, snapshot and restore) still done."""

from __future__ import annotations

import numpy as np
import pytest

from policygraph.stores.faiss_index import Approximate, FaissVectorIndex

DIM = 32
SMALL = Approximate(from_vectors=2_000, probe_share=0.1, min_probe=4, exact_below_allowed=300)


def clustered(n: int, seed: int, centers: int = 60) -> np.ndarray:
    """Unit vectors around `centers` topics, like embeddings of content about a few dozen subjects."""
    rng = np.random.default_rng(seed)
    c = np.random.default_rng(0).normal(size=(centers, DIM))
    x = c[rng.integers(0, centers, n)] + 0.8 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def keys(n: int, start: int = 0) -> list[str]:
    return [f"k{i}" for i in range(start, start + n)]


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return clustered(4_000, seed=1)


@pytest.fixture(scope="module")
def pair(data) -> tuple[FaissVectorIndex, FaissVectorIndex]:
    """The same vectors in an approximate index and in an exact one."""
    approx, exact = FaissVectorIndex(DIM, approximate=SMALL), FaissVectorIndex(DIM)
    for idx in (approx, exact):
        idx.add(keys(len(data)), data)
    return approx, exact


def recall_at_10(approx: FaissVectorIndex, exact: FaissVectorIndex, queries: np.ndarray, allowed=None) -> float:
    got = approx.search_many(queries, 10, allowed)
    want = exact.search_many(queries, 10, allowed)
    return float(np.mean([len({k for k, _ in g} & {k for k, _ in w}) / max(1, len(w)) for g, w in zip(got, want, strict=True)]))


def test_below_the_threshold_the_index_is_exact_and_at_it_approximate(data):
    idx = FaissVectorIndex(DIM, approximate=SMALL)
    idx.add(keys(1_999), data[:1_999])
    assert idx.mode == "exact"
    idx.add(["k1999"], data[1_999:2_000])
    assert idx.mode.startswith("approximate (IVF, 50 cells")  # 4 × sqrt(2000) = 178, but 40 vectors per cell


def test_recall_at_10_against_exact_search_is_at_least_098(pair):
    approx, exact = pair
    assert approx.mode.startswith("approximate")
    assert recall_at_10(approx, exact, clustered(300, seed=7)) >= 0.98


def test_a_wide_filter_still_applies_before_top_k_with_recall_at_least_098(pair):
    approx, exact = pair
    allowed = set(keys(4_000)[::3])  # a third of the index: searched approximately, more cells scanned
    queries = clustered(300, seed=8)
    assert all(k in allowed for row in approx.search_many(queries, 10, allowed) for k, _ in row)
    assert all(len(row) == 10 for row in approx.search_many(queries, 10, allowed))
    assert recall_at_10(approx, exact, queries, allowed) >= 0.98


def test_filters_of_every_width_keep_recall_at_least_098(pair):
    """Wide filters (a quarter of the index or more) are searched without the selector and filtered after;
    narrower ones through it: either way only allowed keys, ten of them, and the exact search's ten."""
    approx, exact = pair
    rng = np.random.default_rng(4)
    queries = clustered(200, seed=12)
    for share in (0.15, 0.3, 0.5, 0.9):
        allowed = {k for k in keys(4_000) if rng.random() < share}
        got = approx.search_many(queries, 10, allowed)
        assert all(len(row) == 10 and all(k in allowed for k, _ in row) for row in got)
        assert recall_at_10(approx, exact, queries, allowed) >= 0.98, share


def test_a_wide_filter_that_allows_none_of_the_nearest_keys_is_searched_again_through_the_selector(pair, monkeypatch):
    """Half the keys allowed, but none of the 1,500 nearest to the query: the unfiltered search finds
    fewer than ten allowed keys, and the row is searched again as a narrower filter would be."""
    import policygraph.stores.faiss_index as faiss_index

    approx, _ = pair
    q = clustered(1, seed=13)[0]
    nearest = [k for k, _ in approx.search(q, 1_500)]
    allowed = set(keys(4_000)) - set(nearest)
    assert len(allowed) >= 0.25 * len(approx)
    got = approx.search(q, 10, allowed)
    monkeypatch.setattr(faiss_index, "WIDE_FILTER_SHARE", 2.0)  # every filter through the selector
    assert got == approx.search(q, 10, set(allowed)) and len(got) == 10


def test_a_narrow_filter_is_searched_exactly(pair):
    approx, exact = pair
    allowed = set(keys(4_000)[5::40])  # 100 vectors: at most `exact_below_allowed`
    queries = clustered(50, seed=9)
    got, want = approx.search_many(queries, 10, allowed), exact.search_many(queries, 10, allowed)
    for g, w in zip(got, want, strict=True):
        assert [k for k, _ in g] == [k for k, _ in w]
        np.testing.assert_allclose([s for _, s in g], [s for _, s in w], rtol=1e-5)


def test_removed_keys_are_gone_and_stored_vectors_read_back(data):
    idx = FaissVectorIndex(DIM, approximate=SMALL)
    idx.add(keys(2_500), data[:2_500])
    assert idx.remove(["k7", "k8"]) == 2
    assert idx.get_vector("k7") is None
    np.testing.assert_array_equal(idx.get_vector("k9"), data[9])
    assert idx.search(data[7], 5)[0][0] != "k7"
    assert idx.search(data[9], 1) == [("k9", pytest.approx(1.0, abs=1e-5))]
    ks, mat = idx.matrix()
    assert len(ks) == 2_498 and mat.shape == (2_498, DIM)
    for k, row in list(zip(ks, mat, strict=True))[::250]:
        np.testing.assert_array_equal(row, data[int(k[1:])])


def test_a_saved_approximate_index_loads_back_approximate_with_the_same_answers(tmp_path, data):
    idx = FaissVectorIndex(DIM, tmp_path, approximate=SMALL)
    idx.add(keys(2_500), data[:2_500])
    idx.save()
    again = FaissVectorIndex(DIM, tmp_path, approximate=SMALL)
    assert again.load_error is None and again.mode == idx.mode
    q = clustered(20, seed=11)
    assert again.search_many(q, 10) == idx.search_many(q, 10)
    again.remove(["k1"])  # removal still works on a loaded index
    assert again.get_vector("k1") is None and len(again) == 2_499


def test_a_snapshot_restores_the_approximate_index(data):
    idx = FaissVectorIndex(DIM, approximate=SMALL)
    idx.add(keys(2_500), data[:2_500])
    snap = idx.snapshot()
    idx.remove(keys(100))
    idx.restore(snap)
    assert len(idx) == 2_500 and idx.mode.startswith("approximate")
    np.testing.assert_array_equal(idx.get_vector("k50"), data[50])


def test_the_index_is_trained_again_once_it_has_grown_fourfold():
    more = clustered(8_200, seed=5)
    idx = FaissVectorIndex(DIM, approximate=SMALL)
    idx.add(keys(2_000), more[:2_000])
    first = idx.mode
    idx.add(keys(5_999, 2_000), more[2_000:7_999])
    assert idx.mode == first  # 7,999 < 4 × 2,000: not yet
    idx.add(keys(201, 7_999), more[7_999:])
    assert idx.mode != first and "cells" in idx.mode and len(idx) == 8_200
