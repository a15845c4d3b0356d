"""`policygraph migrate --to neo4j`: copy the embedded (networkx) rule graph into Neo4j.

Only the graph moves. The FAISS vector index, the embedding cache and the parsed policy documents stay
in the data directory, so after a migration the same data directory is used with the Neo4j backend:

    policygraph --data-dir DIR migrate --to neo4j          # POLICYGRAPH_NEO4J_URI/USER/PASSWORD/DATABASE
    export POLICYGRAPH_DATA_DIR=DIR POLICYGRAPH_GRAPH_BACKEND=neo4j
    policygraph ask "..."                                  # and `serve`: configuration alone

The copy goes through the `GraphStore` protocol only: every node (per label, from `counts()` and
`find_nodes`), then every edge (`neighbors(..., direction="out")`), written with `apply()` in batches of
a few thousand, nodes first so that every edge finds its endpoints. Afterwards `counts()` of both stores
must match, and (by default) every node and edge is read back from Neo4j and compared with the source.
Stop writers (ingest) while migrating: the copy is of the graph as it was when it started.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr

from policygraph.engine import LAYOUT
from policygraph.errors import StoreError
from policygraph.settings import Settings
from policygraph.stores.base import Edge, GraphBatch, GraphStore, Node, export_graph
from policygraph.terminal import positive_int, progress_bar

log = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[str, int, int], None]

#: nodes (or edges) per `apply()`: one transaction each
DEFAULT_BATCH_SIZE = 2000
#: ids per read while exporting and verifying
READ_CHUNK = 1000


def embedded_graph_path(settings: Settings) -> Path:
    """Where the embedded store of this data directory keeps its graph."""
    return settings.data_dir / LAYOUT / "graph.json"


def _chunks(items: Sequence[T], size: int) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _verify_content(target: GraphStore, nodes: list[Node], edges: list[Edge]) -> None:
    """Read every node and edge back from `target` and compare with what was written."""
    ids = [n.id for n in nodes]
    got: dict[str, Node] = {}
    for chunk in _chunks(ids, READ_CHUNK):
        got.update((n.id, n) for n in target.get_nodes(list(chunk)))
    for n in nodes:
        m = got.get(n.id)
        if m is None:
            raise StoreError(f"migration check: node {n.id!r} is missing in the target")
        if m.label != n.label or m.props != n.props:
            raise StoreError(f"migration check: node {n.id!r} differs in the target: {m!r} != {n!r}")
    got_edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for chunk in _chunks(ids, READ_CHUNK):
        for edge, _ in target.neighbors(list(chunk), None, "out"):
            got_edges[(edge.src, edge.type, edge.dst)] = edge.props
    for e in edges:
        key = (e.src, e.type, e.dst)
        if key not in got_edges:
            raise StoreError(f"migration check: edge {e.src} -[{e.type}]-> {e.dst} is missing in the target")
        if got_edges[key] != e.props:
            raise StoreError(f"migration check: edge {e.src} -[{e.type}]-> {e.dst} has different properties")


def copy_graph(
    source: GraphStore,
    target: GraphStore,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    clear: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Copy every node and edge of `source` into `target` (which must be empty unless `clear`)."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    t0 = time.perf_counter()
    existing = target.counts()
    if existing and not clear:
        held = sum(v for k, v in existing.items() if k.startswith("node:"))
        raise StoreError(
            f"the target {target!r} already holds a graph ({held} nodes); refusing to mix graphs. "
            "Clear it first (`policygraph migrate --to neo4j --clear` deletes every :PGNode node there)"
        )
    if existing:
        target.clear()
    nodes, edges = export_graph(source)
    expected = source.counts()
    t_export = time.perf_counter()
    node_batches = edge_batches = 0
    if progress:
        progress("nodes", 0, len(nodes))
    for i, chunk in enumerate(_chunks(nodes, batch_size)):
        target.apply(GraphBatch(nodes=list(chunk)))
        node_batches += 1
        if progress:
            progress("nodes", min((i + 1) * batch_size, len(nodes)), len(nodes))
    if progress:
        progress("edges", 0, len(edges))
    for i, edge_chunk in enumerate(_chunks(edges, batch_size)):
        target.apply(GraphBatch(edges=list(edge_chunk)))
        edge_batches += 1
        if progress:
            progress("edges", min((i + 1) * batch_size, len(edges)), len(edges))
    t_write = time.perf_counter()
    got = target.counts()
    if got != expected:
        diff = {k: (expected.get(k, 0), got.get(k, 0)) for k in sorted(set(expected) | set(got))
                if expected.get(k, 0) != got.get(k, 0)}
        raise StoreError(f"migration check failed: counts differ (source, target): {diff}")
    if verify:
        _verify_content(target, nodes, edges)
    t_end = time.perf_counter()
    return {
        "nodes": len(nodes),
        "edges": len(edges),
        "batches": {"nodes": node_batches, "edges": edge_batches, "size": batch_size},
        "counts": got,
        "verified": "counts and content" if verify else "counts",
        "cleared_target": bool(existing),
        "seconds": {
            "export": round(t_export - t0, 3),
            "write": round(t_write - t_export, 3),
            "verify": round(t_end - t_write, 3),
            "total": round(t_end - t0, 3),
        },
    }


def migrate_to_neo4j(
    source_settings: Settings,
    target_settings: Settings,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    clear: bool = False,
    verify: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Copy the embedded graph of `source_settings.data_dir` into the Neo4j server of `target_settings`.

    The target database must hold no PolicyGraph graph yet (`clear=True` deletes its `:PGNode` nodes
    first). Raises `StoreError` when the source graph is missing, the server cannot be reached, or the
    copy does not check out. Returns a summary; its `configure` item is the configuration that runs
    `serve` and `ask` on the migrated graph: the *same* data directory (it keeps the vector index, the
    embedding cache and the documents) with `graph_backend=neo4j`.
    """
    from policygraph.stores.neo4j_store import Neo4jGraphStore
    from policygraph.stores.networkx_store import NetworkxGraphStore

    path = embedded_graph_path(source_settings)
    if not path.exists():
        raise StoreError(
            f"no embedded graph at {path}: nothing to migrate (ingest into this data directory first, "
            "or point --data-dir / POLICYGRAPH_DATA_DIR at the one that holds it)"
        )
    source = NetworkxGraphStore(path)
    target = Neo4jGraphStore.from_settings(target_settings)
    try:
        report = copy_graph(source, target, batch_size=batch_size, clear=clear, verify=verify, progress=progress)
    finally:
        target.close()
        source.close()
    data_dir = source_settings.data_dir.resolve()
    warnings = []
    if target_settings.data_dir.resolve() != data_dir:
        warnings.append(
            f"the target settings name data dir {target_settings.data_dir}, but the vector index, embedding "
            f"cache and documents of this graph are in {data_dir}: run the Neo4j backend with that one"
        )
    return {
        "source": str(path),
        "target": {"uri": target_settings.neo4j_uri, "database": target_settings.neo4j_database,
                   "user": target_settings.neo4j_user},
        **report,
        "data_dir": str(data_dir),
        "configure": {
            "POLICYGRAPH_DATA_DIR": str(data_dir),
            "POLICYGRAPH_GRAPH_BACKEND": "neo4j",
            "POLICYGRAPH_NEO4J_URI": target_settings.neo4j_uri,
            "POLICYGRAPH_NEO4J_USER": target_settings.neo4j_user,
            "POLICYGRAPH_NEO4J_DATABASE": target_settings.neo4j_database,
            "POLICYGRAPH_NEO4J_PASSWORD": "<the same password>",
        },
        "warnings": warnings,
    }


# ---------------------------------------------------------------------------------------------- CLI
def settings_from_args(args: argparse.Namespace) -> tuple[Settings, Settings]:
    """(source, target) settings: the data dir of `--data-dir` (or POLICYGRAPH_DATA_DIR / the default),
    the server from --uri/--user/--password/--database over POLICYGRAPH_NEO4J_* / the config file."""
    data_dir = getattr(args, "data_dir", None)
    source = Settings(data_dir=Path(data_dir)) if data_dir else Settings()
    update: dict[str, Any] = {"graph_backend": "neo4j"}
    for arg, field in (("uri", "neo4j_uri"), ("user", "neo4j_user"), ("database", "neo4j_database")):
        if getattr(args, arg, None):
            update[field] = getattr(args, arg)
    if getattr(args, "password", None) is not None:
        update["neo4j_password"] = SecretStr(args.password)
    target = source.model_copy(update=update)
    return source, target


def cmd_migrate(args: argparse.Namespace) -> int:
    import json

    source, target = settings_from_args(args)
    report = migrate_to_neo4j(
        source, target, batch_size=args.batch_size, clear=args.clear, verify=not args.no_verify,
        progress=None if (args.quiet or args.json) else progress_bar(unit="item"),
    )
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    t = report["target"]
    print(f"migrated {report['nodes']} nodes and {report['edges']} edges from {report['source']} "
          f"to {t['uri']} (database {t['database']}) in {report['seconds']['total']:.1f}s; "
          f"verified: {report['verified']}")
    print("graph: " + ", ".join(f"{k}={v}" for k, v in report["counts"].items()))
    for w in report["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    print("\nThe vector index, embedding cache and documents stay in the data directory. To run `serve` and "
          "`ask` on Neo4j, keep that data directory and switch the backend:")
    for k, v in report["configure"].items():
        print(f"  export {k}={v}")
    return 0


def add_migrate_parser(sub: Any) -> argparse.ArgumentParser:
    """Add `migrate --to neo4j [--uri --user --password --database]` to the `policygraph` subcommands."""
    s = sub.add_parser(
        "migrate",
        help="copy the embedded graph into Neo4j (the data dir keeps the vectors, cache and documents)",
        description="Copy every node and edge of the embedded graph of the data directory into Neo4j, then "
        "check counts and content. Afterwards run with the same data directory and "
        "POLICYGRAPH_GRAPH_BACKEND=neo4j. Server settings default to POLICYGRAPH_NEO4J_URI, _USER, "
        "_PASSWORD and _DATABASE (or the config file).",
    )
    s.add_argument("--to", required=True, choices=["neo4j"], help="target backend")
    s.add_argument("--uri", help="Bolt URI, e.g. bolt://db:7687 (env POLICYGRAPH_NEO4J_URI)")
    s.add_argument("--user", help="user (env POLICYGRAPH_NEO4J_USER)")
    s.add_argument("--password", help="password (prefer env POLICYGRAPH_NEO4J_PASSWORD: argv is visible to ps)")
    s.add_argument("--database", help="database (env POLICYGRAPH_NEO4J_DATABASE; default neo4j)")
    s.add_argument("--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE,
                   help=f"nodes or edges per transaction (default {DEFAULT_BATCH_SIZE})")
    s.add_argument("--clear", action="store_true",
                   help="delete the PolicyGraph graph (:PGNode nodes) already in the target database first")
    s.add_argument("--no-verify", action="store_true", help="check counts only, not every node and edge")
    s.add_argument("--json", action="store_true", help="print the report as JSON")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(fn=cmd_migrate)
    return s


__all__ = ["add_migrate_parser", "cmd_migrate", "copy_graph", "export_graph", "migrate_to_neo4j"]
