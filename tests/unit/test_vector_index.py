"""Fast tier: the FAISS vector index (real FAISS, synthetic vectors) on disk. A snapshot's two files are one
unit — a save torn between them is detected on load, never trusted; a save between snapshots appends only
what changed to the log, and a save killed half-way through its record loses only that record."""

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
    every_save_a_snapshot = FaissVectorIndex.Config(compact_at_share=0.0, compact_min_bytes=0)
    idx = FaissVectorIndex(8, tmp_path, config=every_save_a_snapshot)
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



def files(path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def test_a_save_after_a_small_change_appends_it_to_the_log_and_leaves_the_snapshot_alone(tmp_path):
    rng = np.random.default_rng(5)
    vecs = rng.normal(size=(40, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx = FaissVectorIndex(8, tmp_path)
    idx.add([f"k{i}" for i in range(30)], vecs[:30])
    idx.save()
    before = files(tmp_path)
    idx.remove(["k3", "k4"])
    idx.add(["k5", "new"], vecs[30:32])  # k5 replaced, one key new
    idx.save()
    after = files(tmp_path)
    assert after["index.faiss"] == before["index.faiss"] and after["keys.json"] == before["keys.json"]
    assert after["vectors.log"].startswith(before["vectors.log"])
    assert len(after["vectors.log"]) - len(before["vectors.log"]) < 2 * 8 * 4 + 400  # two vectors and their keys
    again = FaissVectorIndex(8, tmp_path)
    assert again.load_error is None and again.keys() == idx.keys() and "k3" not in again.keys()
    for k in idx.keys():
        np.testing.assert_array_equal(again.get_vector(k), idx.get_vector(k))
    np.testing.assert_allclose(again.get_vector("k5"), vecs[30], rtol=1e-6)


def test_a_save_killed_mid_record_loses_that_record_only_and_the_next_save_cuts_it_off(tmp_path):
    idx = FaissVectorIndex(8, tmp_path)
    idx.add(["a", "b"], V[:2])
    idx.save()
    idx.add(["c"], V[2:3])
    idx.save()
    whole = (tmp_path / "vectors.log").read_bytes()
    idx.add(["d"], V[3:4])
    idx.save()
    log = (tmp_path / "vectors.log").read_bytes()
    (tmp_path / "vectors.log").write_bytes(log[: len(log) - 5])  # the kill: d's vector half written
    torn = FaissVectorIndex(8, tmp_path)
    assert torn.load_error is None and torn.keys() == ["a", "b", "c"]  # d was never saved
    torn.add(["e"], V[4:5])
    torn.save()
    assert (tmp_path / "vectors.log").read_bytes().startswith(whole)
    again = FaissVectorIndex(8, tmp_path)
    assert again.keys() == ["a", "b", "c", "e"] and again.search(V[4], 1) == [("e", 1.0)]


def test_rollback_undoes_every_write_since_the_mark(tmp_path):
    idx = FaissVectorIndex(8, tmp_path)
    idx.add(["a", "b", "c"], V[:3])
    idx.save()
    mark = idx.mark()
    idx.remove(["a"])
    idx.add(["b", "z"], V[5:7])  # b replaced by another vector
    idx.rollback(mark)
    assert idx.keys() == ["a", "b", "c"]
    for i, k in enumerate("abc"):
        np.testing.assert_array_equal(idx.get_vector(k), V[i])
    idx.save()  # nothing left to save: the files are as they were
    assert FaissVectorIndex(8, tmp_path).keys() == ["a", "b", "c"]


def test_a_log_as_large_as_the_snapshot_is_folded_into_a_new_one_and_an_older_epochs_log_is_ignored(tmp_path):
    cfg = FaissVectorIndex.Config(compact_at_share=1.0, compact_min_bytes=0)
    idx = FaissVectorIndex(8, tmp_path, config=cfg)
    idx.add(["a"], V[:1])
    idx.save()
    snapshot = (tmp_path / "index.faiss").read_bytes()
    for i in range(1, 8):  # each save appends a record; the log soon outgrows the one-vector snapshot
        idx.add([f"k{i}"], V[i: i + 1])
        idx.save()
    assert (tmp_path / "index.faiss").read_bytes() != snapshot  # folded in at least once
    assert len((tmp_path / "vectors.log").read_bytes()) < 2 * len((tmp_path / "index.faiss").read_bytes())
    old_log = (tmp_path / "vectors.log").read_bytes()  # of the current epoch: it added k7 (the last save)
    assert b'"k7"' in old_log
    every_save_a_snapshot = FaissVectorIndex.Config(compact_at_share=0.0, compact_min_bytes=0)
    idx = FaissVectorIndex(8, tmp_path, config=every_save_a_snapshot)
    idx.remove(["k7"])
    idx.save()  # a new snapshot, of a new epoch, without k7
    # a crash between a new snapshot and its empty log leaves the previous epoch's log beside it: ignored
    (tmp_path / "vectors.log").write_bytes(old_log)
    again = FaissVectorIndex(8, tmp_path)
    assert again.load_error is None and again.keys() == idx.keys() and "k7" not in again.keys()
    again.add(["after"], V[2:3])  # the next save does not append to the stale log
    again.save()
    last = FaissVectorIndex(8, tmp_path)
    assert last.load_error is None and last.keys() == again.keys() and "k7" not in last.keys()


def _plain_sums(idx):
    keys, mat = idx.matrix()
    out = {}
    for ns in {k.partition(":")[0] for k in keys}:
        rows = mat[[k.partition(":")[0] == ns for k in keys]].astype(np.float64)
        out[ns] = (rows.sum(axis=0), float((rows * rows).sum()), len(rows))
    return out


def test_namespace_sums_kept_by_writes_equal_sums_read_from_scratch():
    """The sums a statistic over the index reads (the retriever's hubness) are read once, then kept by every
    add and remove; after adds, a replacement, removals and a rolled-back write they equal the plain sums,
    flat and approximate."""
    from policygraph.stores.faiss_index import Approximate

    rng = np.random.default_rng(5)
    for approximate in (None, Approximate(from_vectors=40, train_per_list=4)):
        idx = FaissVectorIndex(8, approximate=approximate)
        keys = [f"{'example' if i % 3 else 'rule'}:{i}" for i in range(60)]
        idx.add(keys[:30], rng.normal(size=(30, 8)).astype(np.float32))
        idx.sums_by_namespace()  # read once here, kept from now on
        idx.add(keys[30:], rng.normal(size=(30, 8)).astype(np.float32))
        idx.add(keys[:2], rng.normal(size=(2, 8)).astype(np.float32))  # replaced
        idx.remove(keys[10:20])
        for step in ("kept by writes", "after a rollback"):
            got, plain = idx.sums_by_namespace(), _plain_sums(idx)
            assert set(got) == set(plain) == {"example", "rule"}, step
            for ns, (total, squares, count) in plain.items():
                np.testing.assert_allclose(got[ns].total, total, rtol=1e-5, atol=1e-5, err_msg=step)
                assert abs(got[ns].squares - squares) < 1e-3 and got[ns].count == count, step
            mark = idx.mark()
            idx.add(["example:late"], rng.normal(size=(1, 8)).astype(np.float32))
            idx.rollback(mark)
