"""Fast tier: the FAISS vector index (real FAISS, synthetic vectors) saves its two files as one unit —
a save torn between them is detected on load, never trusted."""

from __future__ import annotations

import numpy as np

from policygraph.stores.faiss_index import FaissVectorIndex

V = np.eye(8, dtype=np.float32)


def test_a_saved_index_loads_back_whole(tmp_path):
    idx = FaissVectorIndex(8, tmp_path)
    idx.add(["a", "b", "c"], V[:3])
    idx.save()
    again = FaissVectorIndex(8, tmp_path)
    assert again.load_error is None and sorted(again.keys()) == ["a", "b", "c"]
    assert again.search(V[2], 1) == [("c", 1.0)]


def test_a_save_torn_between_its_two_files_is_detected(tmp_path):
    """The crash: the new index.faiss was renamed into place, the new keys.json was not."""
    idx = FaissVectorIndex(8, tmp_path)
    idx.add(["a", "b"], V[:2])
    idx.save()
    earlier_keys = (tmp_path / "keys.json").read_bytes()
    idx.add(["c"], V[2:3])
    idx.save()
    (tmp_path / "keys.json").write_bytes(earlier_keys)
    torn = FaissVectorIndex(8, tmp_path)
    assert torn.load_error is not None and "torn" in torn.load_error
    assert len(torn) == 0  # empty: the engine rebuilds it from the graph on open


def test_the_whole_matrix_reads_back_every_key_with_its_vector_after_removals():
    rng = np.random.default_rng(3)
    vecs = rng.normal(size=(6, 8)).astype(np.float32)
    idx = FaissVectorIndex(8)
    idx.add(list("abcdef"), vecs)
    idx.remove(["b", "e"])
    idx.add(["b"], vecs[4:5])  # a key added again gets a new row
    keys, mat = idx.matrix()
    assert sorted(keys) == ["a", "b", "c", "d", "f"] and mat.shape == (5, 8)
    for k, row in zip(keys, mat, strict=True):
        np.testing.assert_array_equal(row, idx.get_vector(k))

