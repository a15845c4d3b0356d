"""The vector index: FAISS inner product over L2-normalised vectors, keyed by strings.

`IndexIDMap2(IndexFlatIP)` holds the vectors under int64 ids; a side table maps our string keys
(`<rule node id>|<lang>`, `example:<id>`) to those ids. Exact search, so a filter given as the set of
allowed keys is applied *before* top-k through a FAISS `IDSelectorBatch`. When FAISS reports a GPU
(and settings allow it) searches run on a GPU copy of the index; GPU flat indexes take no selector, so
a filtered GPU search scores every vector and filters exactly — same results, no silent truncation.

From `Approximate.from_vectors` vectors on, the index becomes approximate (a FAISS IVF index: the vectors
are grouped into cells by k-means and a search scans the cells nearest the query, so its cost grows with
the square root of the index, not with it). Filters still apply before top-k: a filter that allows few
vectors is searched exactly over those vectors; a wider one scans more cells the fewer vectors it allows.
Recall@10 against exact search is measured by `bench/bench_ann.py`.

On disk: a snapshot (`index.faiss` + `keys.json`) and a log of the writes since (`vectors.log`): a save
appends the keys and vectors added and the keys removed since the last one, so publishing one rule writes
that rule's vectors, not the index. Once the log is as large as the snapshot (or the index was trained
again), a save writes a new snapshot. Snapshot and log share an epoch; a log of another epoch is one the
snapshot already holds. A torn last record (a kill mid-save) is ignored: the engine repairs the index from
the graph on open anyway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from policygraph.errors import DimensionMismatch
from policygraph.stores.networkx_store import atomic_write_bytes, log_line, read_log_lines

log = logging.getLogger(__name__)


def gpu_count() -> int:
    try:
        return int(faiss.get_num_gpus())
    except AttributeError:  # faiss-cpu builds may lack the symbol
        return 0


#: a filter allowing at least this share of an approximate index is searched without the selector, then
#: filtered (`FaissVectorIndex._wide_filtered`)
WIDE_FILTER_SHARE = 0.25

#: FAISS's id → position table kept as a hash table: an IVF index then reconstructs and removes by any id
HASHTABLE_DIRECT_MAP = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]


@dataclass
class Sums:
    """The sum of a group of vectors, the sum of their squared norms, and how many there are."""

    total: np.ndarray
    squares: float
    count: int


@dataclass(frozen=True)
class Approximate:
    """When the index turns approximate and how it searches then (FAISS `IndexIVFFlat`)."""

    #: below this many vectors the search is exact (a flat scan of 50k vectors costs ~1 ms)
    from_vectors: int = 50_000
    #: cells = this × sqrt(vectors), set when trained
    lists_per_sqrt: float = 4.0
    #: share of the cells an unfiltered search scans (at least `min_probe`): on 13k real multilingual-e5
    #: vectors and 1,000 real content queries, 10 % of the cells gave recall@10 0.95, 19 % 0.988, 30 % 0.996
    #: (bench/bench_ann.py)
    probe_share: float = 0.25
    min_probe: int = 16
    #: a filter that allows at most this many vectors is searched exactly over them
    exact_below_allowed: int = 4_096
    #: k-means is trained on this many vectors per cell (a deterministic sample)
    train_per_list: int = 40
    #: trained again once the index has grown this many times over the size it was trained at
    retrain_growth: float = 4.0
    #: vectors moved into a newly trained index per piece (what a retraining holds beyond the two indexes)
    retrain_chunk: int = 100_000


class FaissVectorIndex:
    @dataclass(frozen=True)
    class Config:
        """When a save writes a new snapshot instead of appending to the log."""

        #: the log has reached this share of the snapshot's size ...
        compact_at_share: float = 1.0
        #: ... and at least this many bytes
        compact_min_bytes: int = 8 * 1024 * 1024

    def __init__(self, dim: int, path: str | Path | None = None, use_gpu: bool | None = None,
                 search_threads: int | None = 1, approximate: Approximate | None = None,
                 config: Config | None = None) -> None:
        """`search_threads`: CPU threads of one search (None: FAISS's default, every core). One by default:
        a flat search over tens of thousands of vectors takes a fraction of a millisecond, and FAISS's
        OpenMP threads otherwise spin on every core for it, taking CPU from the other requests (under
        load a request cost twice its wall time in CPU). `approximate`: when the index becomes approximate
        (default `Approximate()`)."""
        self.dim = dim
        self.search_threads = search_threads
        self.approximate = approximate or Approximate()
        self.config = config or FaissVectorIndex.Config()
        self.path = Path(path) if path is not None else None
        #: the writes since the last save, in order (what the next save appends, and what `rollback` undoes)
        self._pending: list[tuple] = []
        #: the snapshot's epoch (None: none written with a log yet), the log's end, the snapshot's size
        self._epoch: str | None = None
        self._log_end = 0
        self._snapshot_bytes = 0
        self._lock = threading.RLock()
        self._reset()
        self.use_gpu = gpu_count() > 0 if use_gpu is None else (use_gpu and gpu_count() > 0)
        self._gpu_index = None
        self._gpu_dirty = True
        self.load_error: str | None = None
        if self.path is not None and (self.path / "index.faiss").exists():
            try:
                self._load()
            except DimensionMismatch:
                raise  # a configuration error (another embedder), not damage
            except Exception as exc:  # truncated or corrupt files: start empty, the engine re-embeds
                self.load_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                log.warning("vector index in %s is unreadable (%s); starting empty, the engine will repair it",
                            self.path, self.load_error)
                self._reset()

    def _reset(self) -> None:
        """An empty index."""
        self._index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dim))
        #: the IVF index once approximate (then `_index` is it), and the size it was trained at
        self._ivf: Any = None
        self._trained_at = 0
        self._key_to_id: dict[str, int] = {}
        self._id_to_key: dict[int, str] = {}
        self._next_id = 0
        self._sums: dict[str, Sums] | None = None  # see sums_by_namespace
        self._mutated()

    def _mutated(self) -> None:
        """The keys or vectors changed: the GPU copy and the filters' id arrays are out of date."""
        self._gpu_dirty = True
        #: id(allowed set) -> (that set, its ids, search parameters, selector, its vectors when searched
        #: exactly): readers pass the same set object for the same filter (the catalog keeps one per date and
        #: jurisdiction), so mapping its keys to ids is done once, not per search
        self._allowed_ids: dict[int, tuple[set[str], np.ndarray, Any, Any, np.ndarray | None]] = {}

    @property
    def device(self) -> str:
        return "gpu" if self.use_gpu and self._ivf is None else "cpu"

    @property
    def mode(self) -> str:
        """"exact", or "approximate (IVF, N cells, P probed)"."""
        if self._ivf is None:
            return "exact"
        return f"approximate (IVF, {self._ivf.nlist} cells, {self._probe()} probed)"

    def _probe(self, share_allowed: float = 1.0) -> int:
        """Cells to scan: `probe_share` of them, more the smaller the share of vectors a filter allows."""
        cfg, lists = self.approximate, self._ivf.nlist
        return min(lists, max(cfg.min_probe, math.ceil(cfg.probe_share * lists / max(share_allowed, 1e-9))))

    @staticmethod
    def _as_ivf(index: Any) -> Any:
        """The IVF view of a deserialised index (`index` keeps owning it: the caller holds both)."""
        ivf: Any = faiss.downcast_index(index)  # (the stubs type it as a plain Index)
        ivf.set_direct_map_type(HASHTABLE_DIRECT_MAP)  # reconstruct and remove by id
        return ivf

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The approximate index's stored vectors of these ids, one row each (the lock is held)."""
        if not len(ids):
            return np.zeros((0, self.dim), np.float32)
        return self._ivf.reconstruct_batch(np.ascontiguousarray(ids, dtype=np.int64))

    def _fit_mode(self) -> None:
        """Turn approximate at `from_vectors`, train again after `retrain_growth` (the lock is held)."""
        cfg, n = self.approximate, len(self._key_to_id)
        if self._ivf is None and n < cfg.from_vectors:
            return
        if self._ivf is not None and n < self._trained_at * cfg.retrain_growth:
            return
        # the vectors are read in pieces from the index as stored (a copy of all of them beside the old index
        # and the new one made retraining at 1.3M vectors the ingest's peak: 3 x 2 GB)
        ids, rows = self._stored_rows()
        # (k-means wants ~40 vectors per cell: a small index gets fewer cells)
        lists = max(1, min(int(cfg.lists_per_sqrt * math.sqrt(n)), n // cfg.train_per_list))
        sample = np.random.default_rng(0).choice(n, size=min(n, lists * cfg.train_per_list), replace=False)
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dim), self.dim, lists, faiss.METRIC_INNER_PRODUCT)
        ivf.train(rows(np.sort(sample)))
        ivf.set_direct_map_type(HASHTABLE_DIRECT_MAP)  # reconstruct and remove by id
        for start in range(0, n, cfg.retrain_chunk):
            ivf.add_with_ids(rows(np.arange(start, min(n, start + cfg.retrain_chunk))),
                             ids[start: start + cfg.retrain_chunk])
        self._pending.append(("train", self._index, self._ivf, self._trained_at))
        self._index = self._ivf = ivf
        self._trained_at = n
        self._mutated()
        log.info("vector index: %d vectors, %s", n, self.mode)

    def _stored_rows(self) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        """Every stored id, in the order `matrix()` gives them, and a function from positions in that order
        to their vectors, read from the index as stored without copying the rest (the lock is held)."""
        if self._ivf is not None:
            ids = np.fromiter(self._key_to_id.values(), dtype=np.int64, count=len(self._key_to_id))
            return ids, lambda at: self._vectors_of(ids[at])
        idmap: Any = self._index  # an IndexIDMap2 over an IndexFlatIP (the stubs type both as Index)
        flat: Any = faiss.downcast_index(idmap.index)
        # a view of the flat index's own storage (valid while it lives: the caller holds it)
        stored = faiss.rev_swig_ptr(flat.get_xb(), flat.ntotal * self.dim).reshape(flat.ntotal, self.dim)
        return faiss.vector_to_array(idmap.id_map), lambda at: np.ascontiguousarray(stored[at])

    # ------------------------------------------------------------------ persistence
    def _load(self) -> None:
        assert self.path is not None
        meta = json.loads((self.path / "keys.json").read_text(encoding="utf-8"))
        if meta["dim"] != self.dim:
            raise DimensionMismatch(f"{self.path}: index has dimension {meta['dim']}, embedder gives {self.dim}")
        blob = (self.path / "index.faiss").read_bytes()
        # the two files are one unit: keys.json names the index it was written with (a crash between the
        # two renames leaves a pair that disagrees; treated as damage, the engine rebuilds from the graph)
        if "index_sha256" in meta and hashlib.sha256(blob).hexdigest() != meta["index_sha256"]:
            raise ValueError("index.faiss and keys.json were written by different saves (torn save)")
        self._index = faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))
        self._trained_at = int(meta.get("trained_at") or 0)
        self._ivf = self._as_ivf(self._index) if self._trained_at else None
        if self._index.ntotal != len(meta["keys"]):
            raise ValueError(f"torn or damaged save: index.faiss holds {self._index.ntotal} vectors, keys.json "
                             f"names {len(meta['keys'])}")
        self._key_to_id = {k: int(v) for k, v in meta["keys"].items()}
        self._id_to_key = {v: k for k, v in self._key_to_id.items()}
        self._next_id = int(meta["next_id"])
        self._epoch, self._snapshot_bytes, self._log_end = meta.get("epoch"), len(blob), 0
        log_file = self.path / "vectors.log"
        if self._epoch is not None and log_file.exists():
            records, end, problem = read_vector_log(log_file.read_bytes(), self.dim)
            if records and records[0][0].get("epoch") == self._epoch:
                for head, vecs in records[1:]:
                    self._replay(head, vecs)
                self._log_end = end
                if problem:
                    log.warning("%s ends with %s: an interrupted save, ignored (the engine repairs the index "
                                "from the graph)", log_file, problem)
        self._sums = None
        self._mutated()

    def _replay(self, head: dict, vecs: np.ndarray) -> None:
        """One logged save: its removals and additions, in order."""
        at = 0
        for op in head["ops"]:
            keys = op["keys"]
            if op["op"] == "remove":
                gone = [self._key_to_id.pop(k) for k in keys if k in self._key_to_id]
                for i in gone:
                    self._id_to_key.pop(i, None)
                if gone:
                    self._index.remove_ids(np.asarray(gone, dtype=np.int64))  # type: ignore[arg-type]
            else:
                ids = np.asarray(op["ids"], dtype=np.int64)
                self._index.add_with_ids(np.ascontiguousarray(vecs[at: at + len(keys)]), ids)
                at += len(keys)
                for k, i in zip(keys, ids.tolist(), strict=True):
                    self._key_to_id[k] = i
                    self._id_to_key[i] = k
        self._next_id = int(head["next_id"])

    def save(self) -> None:
        """Persist the writes since the last save: appended to the log, or a new snapshot when the log has
        grown as large as the snapshot, the index was trained again, or there is no snapshot yet."""
        if self.path is None:
            self._pending.clear()
            return
        with self._lock:
            log_file = self.path / "vectors.log"
            cfg = self.config
            due = self._log_end >= max(cfg.compact_min_bytes, cfg.compact_at_share * self._snapshot_bytes)
            # (no log of this snapshot's epoch read or written yet: `_log_end` is 0)
            if (self._epoch is None or due or self._log_end == 0 or not log_file.exists()
                    or any(op[0] == "train" for op in self._pending)
                    or not (self.path / "index.faiss").exists()):
                self._save_snapshot()
            elif self._pending:
                self._append_log(log_file)
            self._pending.clear()

    def _save_snapshot(self) -> None:
        assert self.path is not None
        self.path.mkdir(parents=True, exist_ok=True)
        epoch = uuid.uuid4().hex
        blob = np.asarray(faiss.serialize_index(self._index)).tobytes()
        meta = {"dim": self.dim, "next_id": self._next_id, "keys": self._key_to_id, "epoch": epoch,
                "index_sha256": hashlib.sha256(blob).hexdigest(), "trained_at": self._trained_at}
        # each file is replaced atomically; the pair is checked on load (`index_sha256`), so a crash
        # between the two renames is detected and repaired instead of breaking every query; the log of the
        # previous epoch is ignored from the moment keys.json names the new one
        atomic_write_bytes(self.path / "index.faiss", blob)
        atomic_write_bytes(self.path / "keys.json", json.dumps(meta, ensure_ascii=False).encode())
        header = log_line({"epoch": epoch})
        atomic_write_bytes(self.path / "vectors.log", header)
        self._epoch, self._snapshot_bytes, self._log_end = epoch, len(blob), len(header)

    def _append_log(self, log_file: Path) -> None:
        """The writes since the last save as one record at the log's end (a torn record a killed save left
        there is cut off first)."""
        ops, chunks = [], []
        for op in self._pending:
            if op[0] == "add":
                ops.append({"op": "add", "keys": op[1], "ids": op[2].tolist()})
                chunks.append(op[3])
            else:
                ops.append({"op": "remove", "keys": op[1]})
        vecs = np.concatenate(chunks).astype(np.float32, copy=False).tobytes() if chunks else b""
        head = {"ops": ops, "next_id": self._next_id, "vector_bytes": len(vecs), "vector_crc": zlib.crc32(vecs)}
        record = log_line(head) + vecs
        with open(log_file, "r+b") as fh:
            fh.seek(self._log_end)
            fh.write(record)
            fh.truncate()
            fh.flush()
            os.fsync(fh.fileno())
        self._log_end += len(record)

    # ------------------------------------------------------------------ writes
    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate keys in one add()")
        with self._lock:
            self.remove([k for k in keys if k in self._key_to_id])
            ids = np.arange(self._next_id, self._next_id + len(keys), dtype=np.int64)
            self._next_id += len(keys)
            if len(keys):
                self._index.add_with_ids(vecs, ids)
                self._pending.append(("add", list(keys), ids, vecs.copy()))
                self._sum_in(list(keys), vecs, 1.0)
            for k, i in zip(keys, ids.tolist(), strict=True):
                self._key_to_id[k] = i
                self._id_to_key[i] = k
            self._mutated()
            self._fit_mode()

    def remove(self, keys: Iterable[str]) -> int:
        with self._lock:
            gone = [k for k in dict.fromkeys(keys) if k in self._key_to_id]
            if not gone:
                return 0
            ids = [self._key_to_id[k] for k in gone]
            # kept until the next save: what `rollback` puts back
            self._pending.append(("remove", gone, np.asarray(ids, dtype=np.int64), self._stored_vectors(ids)))
            self._sum_in(gone, self._pending[-1][3], -1.0)
            for k, i in zip(gone, ids, strict=True):
                del self._key_to_id[k]
                self._id_to_key.pop(i, None)
            # faiss's Python wrapper also takes an array of ids (the stub lists only an IDSelector)
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
            self._mutated()
            return len(ids)

    # ------------------------------------------------------------------ reads
    def keys(self) -> list[str]:
        return sorted(self._key_to_id)

    def __len__(self) -> int:
        return len(self._key_to_id)

    def get_vector(self, key: str) -> np.ndarray | None:
        i = self._key_to_id.get(key)
        # without an `x` buffer the stub's first (torch) overload is picked; faiss returns an ndarray here
        return None if i is None else self._index.reconstruct(i)  # type: ignore[return-value]

    def sums_by_namespace(self) -> dict[str, Sums]:
        """Per key namespace (what a key has before its first ':'): the sum of its vectors (float64), the sum
        of their squared norms and their count. Read from the whole index once, then kept up to date by every
        add and remove, so a statistic over the index (the retriever's hubness) costs nothing after a write."""
        with self._lock:
            if self._sums is None:
                self._sums = {}
                self.for_each_chunk(lambda keys, vecs: self._sum_in(keys, vecs, 1.0))
            return {ns: Sums(s.total.copy(), s.squares, s.count) for ns, s in self._sums.items()}

    def _sum_in(self, keys: list[str], vecs: np.ndarray, sign: float) -> None:
        """Add (sign 1) or take out (-1) these vectors from the namespace sums, when they are kept."""
        if self._sums is None or not keys:
            return
        spaces = np.array([k.partition(":")[0] for k in keys])
        for ns in np.unique(spaces).tolist():
            rows = vecs[spaces == ns]
            got = self._sums.setdefault(ns, Sums(np.zeros(self.dim), 0.0, 0))
            got.total += sign * rows.sum(axis=0, dtype=np.float64)
            got.squares += sign * float(np.einsum("ij,ij->", rows, rows, dtype=np.float64))
            got.count += int(sign) * len(rows)

    def for_each_chunk(self, fn: Callable[[list[str], np.ndarray], None], size: int = 100_000) -> None:
        with self._lock:
            ids, rows = self._stored_rows()
            for start in range(0, len(ids), size):
                part = ids[start: start + size]
                fn([self._id_to_key[int(i)] for i in part], rows(np.arange(start, start + len(part))))

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Every key and its vector (row i is key i) in one copy: for small indexes and checks; a statistic
        over a large one reads it in pieces (`for_each_chunk`, `sums_by_namespace`)."""
        return _whole(self)

    def _searcher(self):
        if not self.use_gpu or self._ivf is not None:  # (the approximate index searches on the CPU)
            return self._index
        if self._gpu_dirty or self._gpu_index is None:
            res = faiss.StandardGpuResources()
            self._gpu_index = faiss.index_cpu_to_gpu(res, 0, self._index)
            self._gpu_res = res
            self._gpu_dirty = False
        return self._gpu_index

    def _ids_of(self, allowed: set[str]) -> tuple[np.ndarray, Any, np.ndarray | None]:
        """The ids of the allowed keys that are in the index, FAISS search parameters that select them and,
        when the approximate index searches them exactly, their vectors (the lock is held). All kept per
        filter set: building the selector cost more than the search."""
        cached = self._allowed_ids.get(id(allowed))
        if cached is not None and cached[0] is allowed:  # the cache holds the set: its id is not reused
            return cached[1], cached[2], cached[4]
        ids = np.sort(np.fromiter((self._key_to_id[key] for key in allowed if key in self._key_to_id), dtype=np.int64))
        sel = faiss.IDSelectorBatch(ids)
        vectors = None
        # SWIG constructors take attributes as keywords; the stub's __init__ takes none
        if self._ivf is None:
            params = faiss.SearchParameters(sel=sel)  # type: ignore[call-arg]
        elif len(ids) <= self.approximate.exact_below_allowed:
            params, vectors = None, self._vectors_of(ids)
        else:  # the fewer vectors the filter allows, the more cells are scanned to find k of them
            share = len(ids) / max(1, len(self._key_to_id))
            params = faiss.SearchParametersIVF(sel=sel, nprobe=self._probe(share))  # type: ignore[call-arg]
        if len(self._allowed_ids) >= 64:
            self._allowed_ids.clear()
        # the parameters point at the selector: both kept
        self._allowed_ids[id(allowed)] = (allowed, ids, params, sel, vectors)
        return ids, params, vectors

    @staticmethod
    def _exact_top(q: np.ndarray, ids: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k of `q` (rows) over these vectors: (scores, ids) as FAISS returns them."""
        scores = q @ vectors.T
        k = min(k, len(ids))
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part = np.take_along_axis(scores, top, axis=1)
        order = np.argsort(-part, axis=1, kind="stable")
        return np.take_along_axis(part, order, axis=1), ids[np.take_along_axis(top, order, axis=1)]

    def search(self, vector: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        """The k best keys by inner product; `allowed` (a set not changed after it is passed) filters
        before top-k."""
        return self.search_many(np.asarray(vector, dtype=np.float32).reshape(1, self.dim), k, allowed)[0]

    def search_many(
        self, vectors: np.ndarray, k: int, allowed: set[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        q = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        with self._lock:
            n = len(self._key_to_id)
            if n == 0 or k <= 0:
                return [[] for _ in range(len(q))]
            exact_vectors = None
            if allowed is not None:
                allowed_ids, params, exact_vectors = self._ids_of(allowed)
                if not len(allowed_ids):
                    return [[] for _ in range(len(q))]
            index = self._searcher()
            if self.search_threads is not None and self.device == "cpu":
                faiss.omp_set_num_threads(self.search_threads)  # OpenMP settings are per calling thread
            if allowed is None and self._ivf is not None:
                # SWIG constructors take attributes as keywords; the stub's __init__ takes none
                scores, ids = index.search(q, min(k, n), params=faiss.SearchParametersIVF(  # type: ignore[call-arg]
                    nprobe=self._probe()))
            elif allowed is None:
                scores, ids = index.search(q, min(k, n))
            elif exact_vectors is not None:
                scores, ids = self._exact_top(q, allowed_ids, exact_vectors, k)
            elif self._ivf is not None and len(allowed_ids) >= WIDE_FILTER_SHARE * n:
                return self._wide_filtered(q, k, allowed_ids, params)
            elif self.device == "cpu":
                scores, ids = index.search(q, min(k, len(allowed_ids)), params=params)
            else:
                scores, ids = index.search(q, n)
                keep = set(allowed_ids)
                out = []
                for srow, irow in zip(scores, ids, strict=True):
                    row = [(self._id_to_key[i], float(s)) for s, i in zip(srow, irow, strict=True) if i in keep]
                    out.append(row[:k])
                return out
            return [
                [(self._id_to_key[i], float(s)) for s, i in zip(srow, irow, strict=True) if i >= 0]
                for srow, irow in zip(scores, ids, strict=True)
            ]

    def _wide_filtered(self, q: np.ndarray, k: int, allowed_ids: np.ndarray,
                       params: Any) -> list[list[tuple[str, float]]]:
        """A filter that allows much of the approximate index (today's versions among all versions, one
        jurisdiction's rules among all): an unfiltered search for more than k whose allowed hits are kept
        scans the usual cells; through the selector, the cells scanned grow as the allowed share shrinks
        (213k vectors, half allowed: 5 ms instead of 20). A row with fewer than k allowed hits is searched
        again through the selector. `allowed_ids` is sorted (`_ids_of`)."""
        n = len(self._key_to_id)
        wide_k = min(n, math.ceil(k * n / len(allowed_ids) * 2) + 8)
        # SWIG constructors take attributes as keywords; the stub's __init__ takes none
        unfiltered = faiss.SearchParametersIVF(nprobe=self._probe())  # type: ignore[call-arg]
        scores, ids = self._ivf.search(q, wide_k, params=unfiltered)
        at = np.minimum(np.searchsorted(allowed_ids, ids), len(allowed_ids) - 1)
        ok = (allowed_ids[at] == ids) & (ids >= 0)
        out: list[list[tuple[str, float]]] = []
        for row, (srow, irow, krow) in enumerate(zip(scores, ids, ok, strict=True)):
            if krow.sum() < k and wide_k < n:
                s2, i2 = self._ivf.search(q[row: row + 1], min(k, len(allowed_ids)), params=params)
                srow, irow, krow = s2[0], i2[0], i2[0] >= 0
            out.append([(self._id_to_key[int(i)], float(s)) for s, i in zip(srow[krow][:k], irow[krow][:k], strict=True)])
        return out

    # ------------------------------------------------------------------ rollback support
    def mark(self) -> tuple[int, int]:
        """A point to `rollback()` to if a multi-store write fails half-way: costs nothing (the writes since
        the last save are kept anyway, with the vectors they removed)."""
        with self._lock:
            return len(self._pending), self._next_id

    def rollback(self, mark: tuple[int, int]) -> None:
        """Undo every write since `mark`, newest first."""
        at, next_id = mark
        with self._lock:
            while len(self._pending) > at:
                op = self._pending.pop()
                if op[0] == "train":
                    self._index, self._ivf, self._trained_at = op[1], op[2], op[3]
                elif op[0] == "add":
                    for k in op[1]:
                        self._id_to_key.pop(self._key_to_id.pop(k), None)
                    self._index.remove_ids(op[2])
                else:
                    self._index.add_with_ids(op[3], op[2])
                    for k, i in zip(op[1], op[2].tolist(), strict=True):
                        self._key_to_id[k] = i
                        self._id_to_key[i] = k
            self._next_id = next_id
            self._sums = None  # (rare: read again when next asked)
            self._mutated()

    def _stored_vectors(self, ids: list[int]) -> np.ndarray:
        """The stored vectors of these ids (the lock is held)."""
        if self._ivf is not None:
            return self._vectors_of(np.asarray(ids, dtype=np.int64))
        out = np.empty((len(ids), self.dim), np.float32)
        for row, i in enumerate(ids):
            self._index.reconstruct(i, out[row])
        return out

    def snapshot(self) -> tuple:
        """A whole copy of the index in memory (an in-memory copy of a corpus starts from one)."""
        with self._lock:
            return (faiss.serialize_index(self._index), dict(self._key_to_id), self._next_id, self._trained_at)

    def restore(self, snap: tuple) -> None:
        with self._lock:
            blob, key_to_id, next_id, trained_at = snap
            self._index = faiss.deserialize_index(blob)
            self._trained_at = trained_at
            self._ivf = self._as_ivf(self._index) if trained_at else None
            self._key_to_id = dict(key_to_id)
            self._id_to_key = {v: k for k, v in key_to_id.items()}
            self._next_id = next_id
            self._pending.clear()
            self._epoch = None  # the log does not describe this change: the next save writes a snapshot
            self._sums = None
            self._mutated()


def read_vector_log(data: bytes, dim: int) -> tuple[list[tuple[dict, np.ndarray]], int, str | None]:
    """The records of `vectors.log` (header, the float32 vectors it added), the offset after the last whole
    one, and what is wrong after it (None when nothing is). The first record is the epoch line."""
    records: list[tuple[dict, np.ndarray]] = []
    at = 0
    while at < len(data):
        nl = data.find(b"\n", at)
        if nl < 0:
            return records, at, f"a torn record at byte {at} (no line end)"
        heads, _, problem = read_log_lines(data[at: nl + 1])
        if problem:
            return records, at, problem.replace("at byte 0", f"at byte {at}")
        head, start = heads[0], nl + 1
        size = int(head.get("vector_bytes", 0))
        blob = data[start: start + size]
        if len(blob) != size or size % (4 * dim) or zlib.crc32(blob) != head.get("vector_crc", 0):
            return records, at, f"a torn record at byte {at} (its vectors are incomplete)"
        records.append((head, np.frombuffer(blob, dtype=np.float32).reshape(-1, dim)))
        at = start + size
    return records, at, None


class PartitionedVectorIndex:
    """Vectors kept in one FAISS index per partition of their keys — the labelled examples (content-like,
    by far the most: a million at 100k rules) apart from the rule texts — so a search for rules scans rule
    vectors only, and one for examples examples only. Each partition is a `FaissVectorIndex` in a
    subfolder of `path` (its own snapshot, log, and exact or approximate mode by its own size). A search
    asks every partition with the same filter (a partition holding none of the allowed keys answers
    nothing at once) and merges the best k. A data dir written with one index for all opens split."""

    def __init__(self, dim: int, partitions: Sequence[str], partition_of: Callable[[str], str],
                 path: str | Path | None = None, use_gpu: bool | None = None, search_threads: int | None = 1,
                 approximate: Approximate | None = None, config: FaissVectorIndex.Config | None = None) -> None:
        """`partition_of(key)`: which of `partitions` a key goes to; the rest as `FaissVectorIndex`."""
        self.dim = dim
        self.path = Path(path) if path is not None else None
        self.partition_of = partition_of
        self.parts: dict[str, FaissVectorIndex] = {
            name: FaissVectorIndex(dim, self.path / name if self.path is not None else None, use_gpu=use_gpu,
                                   search_threads=search_threads, approximate=approximate, config=config)
            for name in partitions}
        first = next(iter(self.parts.values()))
        self.use_gpu, self.search_threads, self.approximate = first.use_gpu, first.search_threads, first.approximate
        if self.path is not None and (self.path / "index.faiss").exists():
            self._split_single_index(use_gpu, search_threads, approximate, config)

    def _split_single_index(self, use_gpu, search_threads, approximate, config) -> None:
        """Move the vectors of an index written before partitions (`path/index.faiss`) into them, save them,
        then drop the old files. An unreadable old index is dropped too (the engine repairs from the graph)."""
        assert self.path is not None
        if not any(len(p) for p in self.parts.values()):  # (else split before, and killed before the old went)
            old = FaissVectorIndex(self.dim, self.path, use_gpu=use_gpu, search_threads=search_threads,
                                   approximate=approximate, config=config)
            old.for_each_chunk(self.add)
            self.save()
        for name in ("index.faiss", "keys.json", "vectors.log"):
            (self.path / name).unlink(missing_ok=True)
        log.info("vector index in %s split into partitions %s", self.path, ", ".join(self.parts))

    def _split(self, keys: Iterable[str]) -> dict[str, list[int]]:
        rows: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            rows.setdefault(self.partition_of(k), []).append(i)
        return rows

    # ------------------------------------------------------------------ the VectorIndex protocol
    @property
    def load_error(self) -> str | None:
        return "; ".join(f"{name}: {p.load_error}" for name, p in self.parts.items() if p.load_error) or None

    @property
    def device(self) -> str:
        return next(iter(self.parts.values())).device

    @property
    def mode(self) -> str:
        """Each partition's size and search, e.g. "rules 300,000 exact; examples 1,000,000 approximate (IVF, ...)"."""
        return "; ".join(f"{name} {len(p):,} {p.mode}" for name, p in self.parts.items())

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        vecs = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(keys), self.dim)
        for name, rows in self._split(keys).items():
            self.parts[name].add([keys[i] for i in rows], vecs[rows])

    def remove(self, keys: Iterable[str]) -> int:
        keys = list(keys)
        return sum(self.parts[name].remove([keys[i] for i in rows]) for name, rows in self._split(keys).items())

    def keys(self) -> list[str]:
        return sorted(k for p in self.parts.values() for k in p.keys())

    def __len__(self) -> int:
        return sum(len(p) for p in self.parts.values())

    def get_vector(self, key: str) -> np.ndarray | None:
        return self.parts[self.partition_of(key)].get_vector(key)

    def search(self, vector: np.ndarray, k: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
        return self.search_many(np.asarray(vector, dtype=np.float32).reshape(1, self.dim), k, allowed)[0]

    def search_many(self, vectors: np.ndarray, k: int,
                    allowed: set[str] | None = None) -> list[list[tuple[str, float]]]:
        found = [p.search_many(vectors, k, allowed) for p in self.parts.values()]
        out = []
        for rows in zip(*found, strict=True):
            hits = [h for row in rows for h in row]
            hits.sort(key=lambda h: -h[1])
            out.append(hits[:k])
        return out

    def save(self) -> None:
        for p in self.parts.values():
            p.save()

    def mark(self) -> dict[str, tuple[int, int]]:
        return {name: p.mark() for name, p in self.parts.items()}

    def rollback(self, mark: dict[str, tuple[int, int]]) -> None:
        for name, p in self.parts.items():
            p.rollback(mark[name])

    def snapshot(self) -> tuple:
        return tuple(p.snapshot() for p in self.parts.values())

    def restore(self, snap: tuple) -> None:
        for p, part in zip(self.parts.values(), snap, strict=True):
            p.restore(part)

    def for_each_chunk(self, fn: Callable[[list[str], np.ndarray], None], size: int = 100_000) -> None:
        for p in self.parts.values():
            p.for_each_chunk(fn, size)

    def matrix(self) -> tuple[list[str], np.ndarray]:
        return _whole(self)

    def sums_by_namespace(self) -> dict[str, Sums]:
        out: dict[str, Sums] = {}
        for p in self.parts.values():
            for ns, s in p.sums_by_namespace().items():
                got = out.setdefault(ns, Sums(np.zeros(self.dim), 0.0, 0))
                got.total += s.total
                got.squares += s.squares
                got.count += s.count
        return out


def _whole(index: FaissVectorIndex | PartitionedVectorIndex) -> tuple[list[str], np.ndarray]:
    """Every key of an index and its vector in one copy, gathered from its `for_each_chunk`."""
    keys: list[str] = []
    parts: list[np.ndarray] = [np.zeros((0, index.dim), np.float32)]

    def collect(k: list[str], vecs: np.ndarray) -> None:
        keys.extend(k)
        parts.append(vecs)

    index.for_each_chunk(collect)
    return keys, np.concatenate(parts)
