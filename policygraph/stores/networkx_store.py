"""The embedded default graph store: a networkx MultiDiGraph persisted in the data directory as a snapshot
(`graph.json`) and an append-only log of the batches written since (`graph.log`).

A write costs what it changes, not the size of the corpus: a batch is validated against the graph, appended
to the log as one checksummed line and flushed to disk (the commit point), then applied to the graph in
place; only the read views of the nodes and edges it touched are dropped. Once the log has grown as large
as the snapshot, the next write folds it in: the whole graph is written to a new snapshot (atomic rename)
and a new log started. A snapshot and its log share an epoch, so a crash between the two steps leaves an
old log the new snapshot already contains, and it is ignored.

Crash safety: a kill before the line is flushed leaves, at most, a torn last line, which is not a commit:
opening the store ignores it and the next write cuts it off. A failed batch (a label conflict, an edge
to a missing node) is refused before anything is written or changed. Every read takes the store's lock,
so no read sees half of a batch; reads of several calls that must agree (one decision) are kept apart
from writes by the caller (the API's read/write gate).
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import threading
import uuid
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from policygraph.errors import StoreError
from policygraph.stores.base import Direction, Edge, GraphBatch, Node

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old or the new content, never a mix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def log_line(record: dict) -> bytes:
    """One log record as a line: its CRC-32, a space, its JSON, a newline (a torn line fails the check)."""
    body = json.dumps(record, ensure_ascii=False, default=str, separators=(",", ":")).encode("utf-8")
    return b"%08x %s\n" % (zlib.crc32(body), body)


def read_log_lines(data: bytes) -> tuple[list[dict], int, str | None]:
    """The records of a log's bytes, the offset after the last good one, and what is wrong after it (None
    when nothing is): a torn or corrupt line ends the good part."""
    records: list[dict] = []
    at = 0
    while at < len(data):
        nl = data.find(b"\n", at)
        if nl < 0:
            return records, at, "torn (no line end)"
        line = data[at:nl]
        try:
            crc, body = line.split(b" ", 1)
            if int(crc, 16) != zlib.crc32(body):
                raise ValueError("checksum mismatch")
            records.append(json.loads(body))
        except ValueError as exc:
            return records, at, f"not a whole record ({exc})"
        at = nl + 1
    return records, at, None


class NetworkxGraphStore:
    """`GraphStore` on networkx. `path=None` keeps the graph in memory only."""

    @dataclass(frozen=True)
    class Config:
        #: the log is folded into a new snapshot once it is this share of the snapshot's size ...
        compact_at_share: float = 1.0
        #: ... and at least this many bytes (small corpora: a few publishes would each rewrite everything)
        compact_min_bytes: int = 4 * 1024 * 1024

    def __init__(self, path: str | Path | None = None, config: Config | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.config = config or NetworkxGraphStore.Config()
        self._write_lock = threading.Lock()  # one writer at a time
        self._lock = threading.Lock()  # a read or the in-place application of a batch
        self._g: nx.MultiDiGraph = nx.MultiDiGraph()
        self._reset_views()
        #: the snapshot's epoch (None: a snapshot written before the log existed), the log's end as read
        #: or written by this store, and the files' identities (another process's compaction replaces them)
        self._epoch: str | None = None
        self._log_end = 0
        self._log_stale = False
        self._files: tuple[int, int] = (0, 0)
        self._snapshot_bytes = 0
        if self.path is not None and self.path.exists():
            self._open_from_disk()

    @property
    def log_path(self) -> Path:
        assert self.path is not None
        return self.path.with_suffix(".log")

    def _reset_views(self) -> None:
        """Drop every read view (a new graph): they are built again on demand."""
        #: {node id: Node}: one read view per node, shared by readers, dropped when a write touches the node
        self._views: dict[str, Node] = {}
        #: {(src, type, dst): Edge}: the same for edges
        self._edge_views: dict[tuple[str, str, str], Edge] = {}
        #: {(node id, side): {edge type: [(src, dst, data)]}}, see _typed_edges
        self._typed: dict[tuple[str, str], dict[str, list[tuple[str, str, dict]]]] = {}
        #: {label: sorted node ids}, see _ids_by_label (None: not built yet)
        self._labels: dict[str, list[str]] | None = None
        #: {(label, property): {value: sorted node ids}}, see _ids_where (None: a value that is not hashable)
        self._by_prop: dict[tuple[str, str], dict[Any, list[str]] | None] = {}

    # ------------------------------------------------------------------ persistence
    def _open_from_disk(self) -> None:
        """The snapshot, then the log's batches of the same epoch (the lock or the constructor holds off readers)."""
        assert self.path is not None
        g, self._epoch = self._load(self.path)
        self._snapshot_bytes = self.path.stat().st_size
        self._g = g
        self._reset_views()
        self._log_end = 0
        self._log_stale = False  # a log of another epoch (the snapshot holds it already): replaced on the next write
        if self._epoch is not None and self.log_path.exists():
            data = self.log_path.read_bytes()
            records, good_end, problem = read_log_lines(data)
            rest = data[good_end:]
            if problem and rest.count(b"\n") > (1 if rest.endswith(b"\n") else 0):
                # more lines follow the bad one: not a write killed mid-line, but damage; nothing after it is trusted
                line = data.count(b"\n", 0, good_end) + 1
                raise StoreError(f"{self.log_path} is damaged: line {line} is {problem}; "
                                 "nothing was changed. Restore the data dir from a backup, or move it aside and "
                                 "ingest the policies again")
            self._log_stale = not (records and records[0].get("epoch") == self._epoch)
            if not self._log_stale:
                for i, rec in enumerate(records[1:], start=2):
                    try:
                        self._apply_logged(_batch_of(rec))
                    except (StoreError, KeyError, TypeError, ValueError) as exc:
                        raise StoreError(f"{self.log_path} is damaged: line {i} cannot be applied ({exc})") from None
                self._log_end = good_end
                if problem:  # a write killed mid-line: not committed, cut off by the next write
                    log.warning("%s: its last line is %s: an interrupted write, ignored", self.log_path, problem)
        self._files = self._identity()

    def _identity(self) -> tuple[int, int]:
        """(snapshot inode, log inode): another process that folds the log in replaces both files."""
        assert self.path is not None

        def ino(p: Path) -> int:
            try:
                return p.stat().st_ino
            except FileNotFoundError:
                return 0
        return ino(self.path), ino(self.log_path)

    @staticmethod
    def _load(path: Path) -> tuple[nx.MultiDiGraph, str | None]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read graph file {path}: {exc}") from exc
        if data.get("format") != FORMAT_VERSION:
            raise StoreError(f"{path}: unsupported graph format {data.get('format')!r}")
        g = nx.MultiDiGraph()
        for n in data["nodes"]:
            g.add_node(n["id"], label=n["label"], props=n["props"])
        for e in data["edges"]:
            g.add_edge(e["src"], e["dst"], key=e["type"], props=e["props"])
        return g, data.get("epoch")

    def _dump(self, g: nx.MultiDiGraph, epoch: str) -> bytes:
        nodes = [{"id": n, "label": d["label"], "props": d["props"]} for n, d in g.nodes(data=True)]
        edges = [
            {"src": s, "type": k, "dst": t, "props": d["props"]} for s, t, k, d in g.edges(keys=True, data=True)
        ]
        return json.dumps(
            {"format": FORMAT_VERSION, "epoch": epoch, "nodes": nodes, "edges": edges}, ensure_ascii=False, default=str
        ).encode("utf-8")

    def _write_snapshot(self) -> None:
        """Fold the log in: the whole graph as a new snapshot of a new epoch, then an empty log of that epoch
        (the writer holds the write lock; readers may go on: nothing here changes the graph)."""
        assert self.path is not None
        epoch = uuid.uuid4().hex
        blob = self._dump(self._g, epoch)
        atomic_write_bytes(self.path, blob)  # from here the old log is of another epoch: ignored
        self._epoch, self._snapshot_bytes = epoch, len(blob)
        self._start_log()

    def _start_log(self) -> None:
        """An empty log of the snapshot's epoch in place of whatever log is there."""
        header = log_line({"epoch": self._epoch})
        atomic_write_bytes(self.log_path, header)
        self._log_end, self._log_stale = len(header), False
        self._files = self._identity()

    def _catch_up(self) -> None:
        """Before appending: make sure this store's view is the files' (the writer holds the write lock).
        Another process's writes are normally picked up by the engine's reload first; this covers one that
        died before saying so: its complete lines are applied here, a torn line it left is cut off."""
        assert self.path is not None
        if self._epoch is None or not self.log_path.exists() or self._identity() != self._files:
            if self.path.exists() and self._identity() != self._files:
                log.warning("%s was rewritten by another process: reloading it before this write", self.path)
                with self._lock:
                    self._open_from_disk()
            if self._epoch is None or not self.log_path.exists():
                self._write_snapshot()
                return
        if self._log_stale:
            self._start_log()
            return
        size = self.log_path.stat().st_size
        if size == self._log_end:
            return
        with open(self.log_path, "rb") as fh:
            fh.seek(self._log_end)
            tail = fh.read()
        records, good, _ = read_log_lines(tail)
        if records:
            log.warning("%s has %d batch(es) this process had not read: applying them first", self.log_path, len(records))
            with self._lock:
                for rec in records:
                    self._apply_logged(_batch_of(rec))
        self._log_end += good  # (a torn line after it is cut off by the append)

    def _append(self, batch: GraphBatch) -> None:
        """The commit point: the batch as one line at the log's end, flushed to disk. A failed write leaves
        the log as it was."""
        line = log_line({"batch": _batch_record(batch)})
        with open(self.log_path, "r+b") as fh:
            try:
                fh.seek(self._log_end)
                fh.write(line)
                fh.truncate()  # whatever a killed writer left after the last whole line
                fh.flush()
                os.fsync(fh.fileno())
            except OSError as exc:
                fh.truncate(self._log_end)
                raise StoreError(f"cannot write to {self.log_path}: {exc}") from exc
        self._log_end += len(line)

    def _compact_if_due(self) -> None:
        cfg = self.config
        logged = self._log_end
        if logged < max(cfg.compact_min_bytes, cfg.compact_at_share * self._snapshot_bytes):
            return
        try:
            self._write_snapshot()
        except OSError as exc:  # the batch is committed in the log; folding it in can wait for the next write
            log.warning("could not fold %s into a new snapshot (%s); will try again", self.log_path, exc)

    # ------------------------------------------------------------------ writes
    def apply(self, batch: GraphBatch) -> None:
        if not batch:
            return
        with self._write_lock:
            if self.path is not None:
                self._catch_up()
            self._validate(batch)
            if self.path is not None:
                self._append(batch)
            with self._lock:
                self._mutate(batch)
            if self.path is not None:
                self._compact_if_due()

    def _validate(self, batch: GraphBatch) -> None:
        """Refuse a batch that cannot apply whole, before anything is written: a node written with another
        label than it has, an edge whose ends will not exist (deletions run first)."""
        g = self._g
        deleted = set(batch.delete_nodes)
        labels: dict[str, str] = {}
        for node in batch.nodes:
            have = labels.get(node.id)
            if have is None and node.id not in deleted and g.has_node(node.id):
                have = g.nodes[node.id]["label"]
            if have is not None and have != node.label:
                raise StoreError(f"node {node.id!r} exists with label {have!r}, not {node.label!r}")
            labels[node.id] = node.label
        for edge in batch.edges:
            for end in (edge.src, edge.dst):
                if end not in labels and (end in deleted or not g.has_node(end)):
                    raise StoreError(f"edge {edge.src} -[{edge.type}]-> {edge.dst}: no node {end!r}")

    def _apply_logged(self, batch: GraphBatch) -> None:
        """A batch read from the log: checked like a new one (a line that cannot apply is damage), then applied."""
        self._validate(batch)
        self._mutate(batch)

    def _mutate(self, batch: GraphBatch) -> None:
        """Apply a batch `_validate` passed to the graph in place and drop the read views it touches (the caller
        holds the lock, or no reader can see the graph yet)."""
        g = self._g
        for nid in batch.delete_nodes:
            if g.has_node(nid):
                for s, t, k in list(g.in_edges(nid, keys=True)) + list(g.out_edges(nid, keys=True)):
                    self._edge_touched(s, k, t)
                self._label_list_remove(g.nodes[nid]["label"], nid)
                self._unindex(nid, g.nodes[nid])
                self._views.pop(nid, None)
                self._typed.pop((nid, "out"), None)
                self._typed.pop((nid, "in"), None)
                g.remove_node(nid)
        for src, typ, dst in batch.delete_edges:
            if g.has_edge(src, dst, key=typ):
                g.remove_edge(src, dst, key=typ)
                self._edge_touched(src, typ, dst)
        for node in batch.nodes:
            if not g.has_node(node.id):
                self._label_list_add(node.label, node.id)
            else:
                self._unindex(node.id, g.nodes[node.id])
            g.add_node(node.id, label=node.label, props=_copy_props(node.props))
            self._index(node.id, g.nodes[node.id])
            self._views.pop(node.id, None)
        for edge in batch.edges:
            g.add_edge(edge.src, edge.dst, key=edge.type, props=_copy_props(edge.props))
            self._edge_touched(edge.src, edge.type, edge.dst)

    def _unindex(self, nid: str, data: dict) -> None:
        """Take a node out of the property indexes built for its label (before it changes or goes)."""
        for (label, key), by_value in self._by_prop.items():
            if label == data["label"] and by_value is not None and key in data["props"]:
                ids = by_value.get(_hashable(data["props"][key]), [])
                at = bisect.bisect_left(ids, nid)
                if at < len(ids) and ids[at] == nid:
                    del ids[at]

    def _index(self, nid: str, data: dict) -> None:
        """Put a written node into the property indexes built for its label."""
        for (label, key), by_value in list(self._by_prop.items()):
            if label == data["label"] and by_value is not None and key in data["props"]:
                value = _hashable(data["props"][key])
                if value is _UNHASHABLE:
                    self._by_prop[(label, key)] = None
                else:
                    bisect.insort(by_value.setdefault(value, []), nid)

    def _edge_touched(self, src: str, typ: str, dst: str) -> None:
        self._edge_views.pop((src, typ, dst), None)
        self._typed.pop((src, "out"), None)
        self._typed.pop((dst, "in"), None)

    def _label_list_add(self, label: str, nid: str) -> None:
        if self._labels is not None:
            bisect.insort(self._labels.setdefault(label, []), nid)

    def _label_list_remove(self, label: str, nid: str) -> None:
        if self._labels is not None:
            ids = self._labels.get(label, [])
            at = bisect.bisect_left(ids, nid)
            if at < len(ids) and ids[at] == nid:
                del ids[at]

    def clear(self) -> None:
        with self._write_lock:
            with self._lock:
                self._g = nx.MultiDiGraph()
                self._reset_views()
            if self.path is not None:
                self._write_snapshot()

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _node(g: nx.MultiDiGraph, nid: str) -> Node:
        d = g.nodes[nid]
        # model_construct: the store's own, already validated data (validating it again on every read was
        # a tenth of a decision's graph work)
        return Node.model_construct(id=nid, label=d["label"], props=_copy_props(d["props"]))

    def _view(self, nid: str) -> Node:
        """The node as the agent's reads get it: built once and shared until a write touches the node (the
        lock is held). Building a Node with copied properties for every read was a quarter of a decision's
        non-embedding work. Views are read-only: a writer builds new nodes."""
        node = self._views.get(nid)
        if node is None:
            node = self._views[nid] = self._node(self._g, nid)
        return node

    def get_node(self, node_id: str) -> Node | None:
        with self._lock:
            return self._view(node_id) if self._g.has_node(node_id) else None

    def get_nodes(self, node_ids: Sequence[str]) -> list[Node]:
        with self._lock:
            g = self._g
            return [self._view(n) for n in node_ids if g.has_node(n)]

    def _ids_by_label(self) -> dict[str, list[str]]:
        """Node ids per label, sorted, built once and kept up to date by writes: finding the few Term or
        Policy nodes among a million labelled examples walked every node (the lock is held)."""
        if self._labels is None:
            by_label: dict[str, list[str]] = {}
            for nid, d in self._g.nodes(data=True):
                by_label.setdefault(d["label"], []).append(nid)
            for ids in by_label.values():
                ids.sort()
            self._labels = by_label
        return self._labels

    def _ids_where(self, label: str, key: str) -> dict[Any, list[str]] | None:
        """{value: sorted ids} of one property over one label's nodes, built on the first query that filters
        on it and kept up to date by writes (the lock is held): the agent asking for one policy's examples
        walked all 100,000 of them at 10k rules. None when some value cannot be a key (a list, a dict)."""
        if (label, key) not in self._by_prop:
            by_value: dict[Any, list[str]] = {}
            nodes = self._g.nodes
            usable = True
            for nid in self._ids_by_label().get(label, ()):
                props = nodes[nid]["props"]
                if key in props:
                    value = _hashable(props[key])
                    if value is _UNHASHABLE:
                        usable = False
                        break
                    by_value.setdefault(value, []).append(nid)  # (label ids are sorted: so is each list)
            self._by_prop[(label, key)] = by_value if usable else None
        return self._by_prop[(label, key)]

    def find_nodes(self, label: str, where: dict[str, Any] | None = None) -> list[Node]:
        with self._lock:
            out = []
            nodes = self._g.nodes
            candidates: Iterable[str] = self._ids_by_label().get(label, ())
            if where:
                key, value = next(iter(where.items()))
                by_value = self._ids_where(label, key)
                hashable = _hashable(value)
                # (None also matches nodes without the property: those are not in the index)
                if by_value is not None and hashable is not _UNHASHABLE and value is not None:
                    candidates = by_value.get(hashable, ())
            for nid in candidates:
                if where and any(nodes[nid]["props"].get(k) != v for k, v in where.items()):
                    continue
                out.append(self._view(nid))
            return out

    def neighbors(
        self,
        node_ids: Sequence[str],
        edge_types: Sequence[str] | None = None,
        direction: Direction = "out",
    ) -> list[tuple[Edge, Node]]:
        sides = [d for d in ("out", "in") if direction in (d, "both")]
        seen: set[tuple[str, str, str]] = set()
        out: list[tuple[Edge, Node]] = []
        with self._lock:
            g = self._g
            edge_views = self._edge_views
            for nid in node_ids:
                if not g.has_node(nid):
                    continue
                for side in sides:
                    typed = self._typed_edges(nid, side)
                    for k in (edge_types if edge_types is not None else list(typed)):
                        for s, t, d in typed.get(k, ()):
                            if (s, k, t) in seen:
                                continue
                            seen.add((s, k, t))
                            edge = edge_views.get((s, k, t))
                            if edge is None:
                                edge = edge_views[(s, k, t)] = Edge.model_construct(
                                    src=s, type=k, dst=t, props=_copy_props(d["props"]))
                            out.append((edge, self._view(t if side == "out" else s)))
        out.sort(key=lambda p: (p[0].src, p[0].type, p[0].dst))
        return out

    def _typed_edges(self, nid: str, side: str) -> dict[str, list[tuple[str, str, dict]]]:
        """A node's edges on one side, by type, kept until a write touches one of them (the lock is held): a
        rule with hundreds of examples pointing at it is not walked through again for the three edge types
        a reader asks for."""
        typed = self._typed.get((nid, side))
        if typed is None:
            typed = {}
            g = self._g
            edges = g.out_edges(nid, keys=True, data=True) if side == "out" else g.in_edges(nid, keys=True, data=True)
            for s, t, k, d in edges:
                typed.setdefault(k, []).append((s, t, d))
            self._typed[(nid, side)] = typed
        return typed

    def counts(self) -> dict[str, int]:
        with self._lock:
            g = self._g
            out: dict[str, int] = {}
            for _, d in g.nodes(data=True):
                out[f"node:{d['label']}"] = out.get(f"node:{d['label']}", 0) + 1
            for _, _, k in g.edges(keys=True):
                out[f"edge:{k}"] = out.get(f"edge:{k}", 0) + 1
            return dict(sorted(out.items()))


_UNHASHABLE = object()


def _hashable(value: Any) -> Any:
    """`value` as an index key: scalars as they are (a dict's keys agree with `==`, which `find_nodes`
    filters by: 1, 1.0 and True are one key, as they are equal); `_UNHASHABLE` for lists and dicts."""
    if isinstance(value, (list, dict, set)):
        return _UNHASHABLE
    return value


def _batch_record(batch: GraphBatch) -> dict:
    """A batch as the log stores it."""
    return {"delete_nodes": list(batch.delete_nodes), "delete_edges": [list(e) for e in batch.delete_edges],
            "nodes": [{"id": n.id, "label": n.label, "props": n.props} for n in batch.nodes],
            "edges": [{"src": e.src, "type": e.type, "dst": e.dst, "props": e.props} for e in batch.edges]}


def _batch_of(record: dict) -> GraphBatch:
    """A logged batch, as written (the store's own data: not validated again)."""
    b = record["batch"]
    return GraphBatch.model_construct(
        delete_nodes=list(b["delete_nodes"]), delete_edges=[tuple(e) for e in b["delete_edges"]],
        nodes=[Node.model_construct(id=n["id"], label=n["label"], props=n["props"]) for n in b["nodes"]],
        edges=[Edge.model_construct(src=e["src"], type=e["type"], dst=e["dst"], props=e["props"]) for e in b["edges"]])


def _copy_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in props.items()}
