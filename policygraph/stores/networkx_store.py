"""The embedded default graph store: a networkx MultiDiGraph persisted as JSON in the data directory.

Writes are copy-on-write: a batch is validated, applied to a copy of the graph, written to disk with an
atomic rename, and only then swapped in. Readers holding the previous graph keep a consistent view, a
failed batch changes nothing, and a crash mid-write leaves the previous file intact.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from policygraph.errors import StoreError
from policygraph.stores.base import Direction, Edge, GraphBatch, Node

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


class NetworkxGraphStore:
    """`GraphStore` on networkx. `path=None` keeps the graph in memory only."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._write_lock = threading.Lock()
        self._g: nx.MultiDiGraph = nx.MultiDiGraph()
        #: (graph, {(node id, side): {edge type: [(src, dst, data)]}}), see _typed_edges
        self._typed: tuple[nx.MultiDiGraph | None, dict] = (None, {})
        #: (graph, {node id: Node}, {(src, type, dst): Edge}): the read views handed out for that graph, see _view
        self._views: tuple[nx.MultiDiGraph | None, dict, dict] = (None, {}, {})
        #: (graph, {label: sorted node ids}), see _ids_by_label
        self._labels: tuple[nx.MultiDiGraph | None, dict[str, list[str]]] = (None, {})
        if self.path is not None and self.path.exists():
            self._g = self._load(self.path)

    # ------------------------------------------------------------------ persistence
    @staticmethod
    def _load(path: Path) -> nx.MultiDiGraph:
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
        return g

    def _dump(self, g: nx.MultiDiGraph) -> bytes:
        nodes = [{"id": n, "label": d["label"], "props": d["props"]} for n, d in g.nodes(data=True)]
        edges = [
            {"src": s, "type": k, "dst": t, "props": d["props"]} for s, t, k, d in g.edges(keys=True, data=True)
        ]
        return json.dumps(
            {"format": FORMAT_VERSION, "nodes": nodes, "edges": edges}, ensure_ascii=False, default=str
        ).encode("utf-8")

    # ------------------------------------------------------------------ writes
    def apply(self, batch: GraphBatch) -> None:
        if not batch:
            return
        with self._write_lock:
            g = self._g.copy()
            for nid in batch.delete_nodes:
                if g.has_node(nid):
                    g.remove_node(nid)
            for src, typ, dst in batch.delete_edges:
                if g.has_edge(src, dst, key=typ):
                    g.remove_edge(src, dst, key=typ)
            for node in batch.nodes:
                if g.has_node(node.id) and g.nodes[node.id]["label"] != node.label:
                    raise StoreError(
                        f"node {node.id!r} exists with label {g.nodes[node.id]['label']!r}, not {node.label!r}"
                    )
                g.add_node(node.id, label=node.label, props=_copy_props(node.props))
            for edge in batch.edges:
                for end in (edge.src, edge.dst):
                    if not g.has_node(end):
                        raise StoreError(f"edge {edge.src} -[{edge.type}]-> {edge.dst}: no node {end!r}")
                g.add_edge(edge.src, edge.dst, key=edge.type, props=_copy_props(edge.props))
            if self.path is not None:
                atomic_write_bytes(self.path, self._dump(g))
            self._g = g  # the swap: readers see all of the batch or none of it

    def clear(self) -> None:
        with self._write_lock:
            g = nx.MultiDiGraph()
            if self.path is not None:
                atomic_write_bytes(self.path, self._dump(g))
            self._g = g

    def close(self) -> None:
        pass

    # ------------------------------------------------------------------ reads
    @staticmethod
    def _node(g: nx.MultiDiGraph, nid: str) -> Node:
        d = g.nodes[nid]
        # model_construct: the store's own, already validated data (validating it again on every read was
        # a tenth of a decision's graph work)
        return Node.model_construct(id=nid, label=d["label"], props=_copy_props(d["props"]))

    def _views_of(self, g: nx.MultiDiGraph) -> tuple[dict[str, Node], dict[tuple[str, str, str], Edge]]:
        held, nodes, edges = self._views
        if held is not g:
            nodes, edges = {}, {}
            self._views = (g, nodes, edges)
        return nodes, edges

    def _view(self, g: nx.MultiDiGraph, nid: str) -> Node:
        """The node as the agent's reads get it: built once per graph version and shared (a write swaps in a
        new graph, so a view is never stale). Building a Node with copied properties for every read was a
        quarter of a decision's non-embedding work. Views are read-only: a writer builds new nodes."""
        nodes, _ = self._views_of(g)
        node = nodes.get(nid)
        if node is None:
            node = nodes[nid] = self._node(g, nid)
        return node

    def get_node(self, node_id: str) -> Node | None:
        g = self._g
        return self._view(g, node_id) if g.has_node(node_id) else None

    def get_nodes(self, node_ids: Sequence[str]) -> list[Node]:
        g = self._g
        return [self._view(g, n) for n in node_ids if g.has_node(n)]

    def _ids_by_label(self, g: nx.MultiDiGraph) -> dict[str, list[str]]:
        """Node ids per label, sorted, kept per graph version: finding the few Term or Policy nodes among a
        million labelled examples walked every node."""
        held, by_label = self._labels
        if held is not g:
            by_label = {}
            for nid, d in g.nodes(data=True):
                by_label.setdefault(d["label"], []).append(nid)
            for ids in by_label.values():
                ids.sort()
            self._labels = (g, by_label)
        return by_label

    def find_nodes(self, label: str, where: dict[str, Any] | None = None) -> list[Node]:
        g = self._g
        out = []
        nodes = g.nodes
        for nid in self._ids_by_label(g).get(label, ()):
            if where and any(nodes[nid]["props"].get(k) != v for k, v in where.items()):
                continue
            out.append(self._view(g, nid))
        return out

    def neighbors(
        self,
        node_ids: Sequence[str],
        edge_types: Sequence[str] | None = None,
        direction: Direction = "out",
    ) -> list[tuple[Edge, Node]]:
        g = self._g
        sides = [d for d in ("out", "in") if direction in (d, "both")]
        seen: set[tuple[str, str, str]] = set()
        out: list[tuple[Edge, Node]] = []
        _, edge_views = self._views_of(g)
        for nid in node_ids:
            if not g.has_node(nid):
                continue
            for side in sides:
                typed = self._typed_edges(g, nid, side)
                for k in (edge_types if edge_types is not None else list(typed)):
                    for s, t, d in typed.get(k, ()):
                        if (s, k, t) in seen:
                            continue
                        seen.add((s, k, t))
                        edge = edge_views.get((s, k, t))
                        if edge is None:
                            edge = edge_views[(s, k, t)] = Edge.model_construct(
                                src=s, type=k, dst=t, props=_copy_props(d["props"]))
                        out.append((edge, self._view(g, t if side == "out" else s)))
        out.sort(key=lambda p: (p[0].src, p[0].type, p[0].dst))
        return out

    def _typed_edges(self, g: nx.MultiDiGraph, nid: str, side: str) -> dict[str, list[tuple[str, str, dict]]]:
        """A node's edges on one side, by type, kept for the graph they were read from (a write swaps in a
        new graph, so they are never stale): a rule with hundreds of examples pointing at it is not walked
        through again for the three edge types a reader asks for."""
        held, by_node = self._typed
        if held is not g:
            by_node = {}
            self._typed = (g, by_node)
        typed = by_node.get((nid, side))
        if typed is None:
            typed = {}
            edges = g.out_edges(nid, keys=True, data=True) if side == "out" else g.in_edges(nid, keys=True, data=True)
            for s, t, k, d in edges:
                typed.setdefault(k, []).append((s, t, d))
            by_node[(nid, side)] = typed
        return typed

    def counts(self) -> dict[str, int]:
        g = self._g
        out: dict[str, int] = {}
        for _, d in g.nodes(data=True):
            out[f"node:{d['label']}"] = out.get(f"node:{d['label']}", 0) + 1
        for _, _, k in g.edges(keys=True):
            out[f"edge:{k}"] = out.get(f"edge:{k}", 0) + 1
        return dict(sorted(out.items()))


def _copy_props(props: dict[str, Any]) -> dict[str, Any]:
    return {k: (dict(v) if isinstance(v, dict) else list(v) if isinstance(v, list) else v) for k, v in props.items()}
