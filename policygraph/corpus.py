"""`Corpus`: what retrieval and the agent read from a stored policy corpus, and nothing else.

The engine (`policygraph/engine.py`) is one; an in-memory copy with a draft published into it (the
lifecycle's evaluation) is another. Retrieval and the agent depend on this protocol, not on `Engine`,
so they sit on the floor above it and never see its write side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # types only: importing the term linker at run time would load spaCy for every reader
    from policygraph.catalog import Catalog
    from policygraph.classifier import ContentClassifier
    from policygraph.embedding_cache import CachedEmbedder
    from policygraph.linking import TermLinker
    from policygraph.settings import Settings
    from policygraph.stores.base import GraphStore, VectorIndex


class Corpus(Protocol):
    """A stored policy corpus as readers see it. `catalog.generation` changes whenever the corpus does:
    what a reader derives from it is cached under that key, never under `id()` of an object."""

    # Read-only (properties), so that an implementation may hold a more specific type, e.g. the
    # engine's `index: FaissVectorIndex`; readers never assign to these.
    @property
    def settings(self) -> Settings: ...
    @property
    def graph(self) -> GraphStore: ...
    @property
    def index(self) -> VectorIndex: ...
    @property
    def embedder(self) -> CachedEmbedder: ...
    @property
    def catalog(self) -> Catalog: ...
    @property
    def linker(self) -> TermLinker: ...
    @property
    def classifier(self) -> ContentClassifier: ...


__all__ = ["Corpus"]
