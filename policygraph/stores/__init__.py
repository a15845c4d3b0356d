"""Storage seams: the graph store, the vector index and the embedder, each behind a protocol."""

from policygraph.stores.base import Edge, Embedder, GraphBatch, GraphStore, Node, VectorIndex

__all__ = ["Edge", "Embedder", "GraphBatch", "GraphStore", "Node", "VectorIndex"]
