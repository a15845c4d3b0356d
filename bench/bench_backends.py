"""Graph backends compared: the embedded networkx store and Neo4jGraphStore over Bolt.

    .venv/bin/python bench/bench_backends.py [--queries 1000] [--cache PATH] [--ingest-runs 3]

For each backend it ingests the bundled corpus (policies/) and runs `--queries` `ask` queries, cycling
through the dev set (policygraph/eval/devset/*.jsonl, each text with its jurisdiction), and prints a table:

- ingest time of the corpus with a *warm* embedding cache, so that it measures parsing, linking and the
  graph writes rather than the embedding model, plus the part of it spent in the graph store; the cold
  time (empty cache: every rule text and example embedded) is measured once, on networkx, when the
  cache starts empty;
- p50 / p95 of the retrieval stages that touch the graph: `timings["graph"]` (the `expand` stage:
  exceptions, overrides, references and terms of the candidates, then the candidate rule nodes) and
  `timings["terms"]` (rules mentioning the linked terms), and of the whole `ask`. Query embeddings are
  cached (`Retriever(engine, cache_queries=True)`, every query run once untimed first), so the model
  does not hide the graph cost.

The Bolt backend is a real ArcadeDB server speaking Bolt, started by this script (tests/bolt_server.py:
Java runtime and jars from the `arcadedb-embedded` wheel). Against a real Neo4j 5, set
POLICYGRAPH_NEO4J_URI (+ _USER, _PASSWORD, _DATABASE) and pass --neo4j: it adds a third column (and
clears the :PGNode graph of that database).

Then it profiles where the time of a Bolt graph call goes, over `--profile-queries` queries:
time blocked on the socket (the server working plus loopback transfer), the driver's own Python work
(session and transaction handling, Bolt message packing and unpacking, building records), and the
store's decoding (JSON properties, pydantic `Node`/`Edge`, ordering); with the floor of one empty
managed read transaction (`RETURN 1`) and the server-reported query times where the server reports
them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from policygraph.engine import Engine  # noqa: E402
from policygraph.ingest import pipeline  # noqa: E402
from policygraph.models import ContentQuery  # noqa: E402
from policygraph.retrieval import Retriever  # noqa: E402
from policygraph.settings import Settings  # noqa: E402
from policygraph.stores.neo4j_store import Neo4jGraphStore  # noqa: E402

CORPUS = ROOT / "policies"
DEVSET = ROOT / "policygraph" / "eval" / "devset"
STORE_METHODS = ("apply", "get_node", "get_nodes", "find_nodes", "neighbors", "counts", "clear")
STAGES = ("graph", "terms", "total")


# ---------------------------------------------------------------------------------------------- helpers
def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def packstream_impl() -> str:
    """Whether the neo4j driver decodes Bolt messages in Rust (neo4j-rust-ext installed) or pure Python."""
    try:
        from neo4j._codec.packstream.v1 import _rust_unpack  # type: ignore[attr-defined]
    except ImportError:  # pragma: no cover - driver layout changed
        return "unknown"
    return "Rust extension (neo4j-rust-ext)" if _rust_unpack else "pure Python"


def devset_queries() -> list[tuple[str, str | None]]:
    rows = []
    for path in sorted(glob.glob(str(DEVSET / "*.jsonl"))):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    r = json.loads(line)
                    rows.append((r["text"], r.get("jurisdiction")))
    if not rows:
        raise SystemExit(f"no dev set under {DEVSET}")
    return rows


class StoreTimer:
    """Wraps a graph store's methods on the instance: calls and seconds per method."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls: Counter[str] = Counter()
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._orig: dict[str, Callable] = {}

    def __enter__(self) -> StoreTimer:
        for name in STORE_METHODS:
            orig = getattr(self.store, name)
            self._orig[name] = orig

            def timed(*a: Any, _orig: Callable = orig, _name: str = name, **kw: Any) -> Any:
                t = time.perf_counter()
                try:
                    return _orig(*a, **kw)
                finally:
                    self.calls[_name] += 1
                    self.seconds[_name] += time.perf_counter() - t

            setattr(self.store, name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._orig:
            delattr(self.store, name)  # back to the class's method

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
        yield


# ---------------------------------------------------------------------------------------------- backends
class Backend:
    def __init__(self, name: str, settings_kw: dict[str, Any], make_store: Callable[[], Any] | None) -> None:
        self.name = name
        self.settings_kw = settings_kw
        self.make_store = make_store  # None: the engine opens its own (networkx in the data dir)

    def engine(self, data_dir: Path, cache: Path) -> Engine:
        settings = Settings(data_dir=data_dir, embedding_cache=cache, **self.settings_kw)
        if self.make_store is None:
            return Engine(settings)
        store = self.make_store()
        store.clear()
        return Engine(settings, graph=store)


def ingest_once(backend: Backend, workdir: Path, cache: Path, tag: str) -> tuple[Engine, dict[str, float]]:
    data_dir = workdir / f"{backend.name}-{tag}"
    shutil.rmtree(data_dir, ignore_errors=True)
    eng = backend.engine(data_dir, cache)
    misses0 = eng.embedder.misses
    with StoreTimer(eng.graph) as st:
        t = time.perf_counter()
        report = pipeline.ingest(eng, [CORPUS])
        wall = time.perf_counter() - t
    return eng, {
        "wall": wall,
        "graph_io": st.total,
        "apply": st.seconds["apply"],
        "embedded": eng.embedder.misses - misses0,
        "rules": report.rules_written,
    }


def run_queries(eng: Engine, queries: list[tuple[str, str | None]], n: int) -> dict[str, list[float]]:
    retriever = Retriever(eng, cache_queries=True)
    for text, j in queries:  # warm: query embeddings into the cache, connections, caches
        retriever.retrieve(ContentQuery(text=text, jurisdiction=j))
    out: dict[str, list[float]] = defaultdict(list)
    for i in range(n):
        text, j = queries[i % len(queries)]
        ctx = retriever.retrieve(ContentQuery(text=text, jurisdiction=j))
        for k, v in ctx.timings_ms.items():
            out[k].append(v)
    return out


def answers(eng: Engine, queries: list[tuple[str, str | None]]) -> list[Any]:
    retriever = Retriever(eng, cache_queries=True)
    out = []
    for text, j in queries:
        ctx = retriever.retrieve(ContentQuery(text=text, jurisdiction=j))
        out.append(ctx.model_dump(mode="json", exclude={"timings_ms"}))
    return out


# ---------------------------------------------------------------------------------------------- Bolt profile
class SocketMeter:
    """Time blocked in the Bolt socket's recv_into, and the number of sends (one per flush)."""

    def __init__(self) -> None:
        from neo4j._async_compat.network import BoltSocketBase

        self.cls = BoltSocketBase
        self.recv_s = 0.0
        self.recvs = 0
        self.sends = 0

    def __enter__(self) -> SocketMeter:
        meter, cls = self, self.cls
        self._recv, self._send = cls.recv_into, cls.sendall

        @functools.wraps(self._recv)
        def recv_into(sock: Any, *a: Any, **kw: Any) -> Any:
            t = time.perf_counter()
            try:
                return meter._recv(sock, *a, **kw)
            finally:
                meter.recv_s += time.perf_counter() - t
                meter.recvs += 1

        @functools.wraps(self._send)
        def sendall(sock: Any, *a: Any, **kw: Any) -> Any:
            meter.sends += 1
            return meter._send(sock, *a, **kw)

        cls.recv_into, cls.sendall = recv_into, sendall
        return self

    def __exit__(self, *exc: object) -> None:
        self.cls.recv_into, self.cls.sendall = self._recv, self._send


def profile_bolt(eng: Engine, queries: list[tuple[str, str | None]], n: int) -> dict[str, Any]:
    import neo4j

    store: Neo4jGraphStore = eng.graph  # type: ignore[assignment]
    retriever = Retriever(eng, cache_queries=True)
    # 1. the floor: one empty managed read transaction, as every store read opens one
    floor = []
    for _ in range(300):
        t = time.perf_counter()
        store._query("RETURN 1 AS one")
        floor.append((time.perf_counter() - t) * 1000)
    # 2. server-reported times and payloads of the store's own queries
    server_ms: list[float] = []
    rows_per_call: list[int] = []
    bytes_per_call: list[int] = []
    orig_query = store._query

    def query_with_summary(query: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx: neo4j.ManagedTransaction) -> tuple[list[dict[str, Any]], Any]:
            result = tx.run(query, params)
            rows = [r.data() for r in result]
            return rows, result.consume()

        with store.driver.session(database=store.database, default_access_mode=neo4j.READ_ACCESS) as s:
            rows, summary = s.execute_read(work)
        avail, consumed = summary.result_available_after, summary.result_consumed_after
        if avail is not None or consumed is not None:
            server_ms.append(float(avail or 0) + float(consumed or 0))
        rows_per_call.append(len(rows))
        bytes_per_call.append(len(json.dumps(rows, ensure_ascii=False, default=str).encode()))
        return rows

    store._query = query_with_summary  # type: ignore[method-assign]
    try:
        for i in range(min(n, 100)):
            text, j = queries[i % len(queries)]
            retriever.retrieve(ContentQuery(text=text, jurisdiction=j))
    finally:
        del store._query  # back to the class's method
    assert store._query == orig_query
    # 3. the split: socket wait vs driver Python vs store decode, over the graph stages only
    query_s = 0.0

    def timed_query(query: str, **params: Any) -> list[dict[str, Any]]:
        nonlocal query_s
        t = time.perf_counter()
        try:
            return orig_query(query, **params)
        finally:
            query_s += time.perf_counter() - t

    stage_ms: defaultdict[str, float] = defaultdict(float)
    store._query = timed_query  # type: ignore[method-assign]
    try:
        with StoreTimer(store) as st, SocketMeter() as sock:
            for i in range(n):
                text, j = queries[i % len(queries)]
                ctx = retriever.retrieve(ContentQuery(text=text, jurisdiction=j))
                for k in ("graph", "terms", "verdicts"):
                    stage_ms[k] += ctx.timings_ms.get(k, 0.0)
    finally:
        del store._query
    read_calls = sum(st.calls[m] for m in ("get_node", "get_nodes", "find_nodes", "neighbors"))
    store_s = st.total
    return {
        "queries": n,
        "floor_ms": {"p50": pct(floor, 50), "p95": pct(floor, 95)},
        "calls_per_query": {m: st.calls[m] / n for m in STORE_METHODS if st.calls[m]},
        "read_calls_per_query": read_calls / n,
        "sends_per_call": sock.sends / max(read_calls, 1),
        "per_query_ms": {
            "store": store_s * 1000 / n,
            "socket_wait": sock.recv_s * 1000 / n,
            "driver_python": (query_s - sock.recv_s) * 1000 / n,
            "store_decode": (store_s - query_s) * 1000 / n,
            "floor_x_calls": pct(floor, 50) * read_calls / n,
        },
        "stage_ms_per_query": {k: v / n for k, v in stage_ms.items()},
        "server_reported_ms_per_call": (statistics.mean(server_ms) if server_ms else None),
        "server_reported_calls": len(server_ms),
        "rows_per_call": statistics.mean(rows_per_call) if rows_per_call else 0,
        "kb_per_call": statistics.mean(bytes_per_call) / 1024 if bytes_per_call else 0,
        "rows_per_call_max": max(rows_per_call, default=0),
    }


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--queries", type=int, default=1000, help="timed ask queries per backend (default 1000)")
    ap.add_argument("--ingest-runs", type=int, default=3, help="warm ingests per backend (default 3)")
    ap.add_argument("--profile-queries", type=int, default=200, help="queries for the Bolt profile (default 200)")
    ap.add_argument("--cache", type=Path, help="embedding cache to use (default: a fresh one, so the first "
                    "ingest is also the cold measurement)")
    ap.add_argument("--neo4j", action="store_true", help="also a real Neo4j from POLICYGRAPH_NEO4J_* (cleared!)")
    ap.add_argument("--heap", default="1g", help="ArcadeDB heap (default 1g)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    from policygraph.stores.bolt_server import start_bolt_server

    workdir = Path(tempfile.mkdtemp(prefix="pg-bench-"))
    cache = args.cache or workdir / "embeddings.sqlite"
    queries = devset_queries()
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; {len(queries)} dev-set texts; "
          f"{args.queries} timed queries per backend", flush=True)
    import neo4j

    print(f"# neo4j driver {neo4j.__version__}, Bolt packstream: {packstream_impl()}", flush=True)
    t = time.perf_counter()
    server = start_bolt_server(heap=args.heap)
    server_start = time.perf_counter() - t
    print(f"# ArcadeDB (Bolt) up on {server.uri} in {server_start:.1f}s", flush=True)
    results: dict[str, Any] = {"queries": args.queries, "devset": len(queries), "cpus": os.cpu_count(),
                               "load_average": os.getloadavg()[0], "driver": neo4j.__version__,
                               "packstream": packstream_impl(), "backends": {}}
    try:
        backends = [
            Backend("networkx", {}, None),
            Backend("bolt (ArcadeDB)", {}, lambda: Neo4jGraphStore(server.uri, server.user, server.password,
                                                                   server.database)),
        ]
        if args.neo4j:
            backends.append(Backend("neo4j", {}, lambda: Neo4jGraphStore.from_settings(Settings())))

        # cold: only when the cache is empty, on networkx (graph writes are then noise next to the model)
        cold = None
        cache_empty = not cache.exists() or cache.stat().st_size == 0
        if cache_empty:
            print("# cold ingest (empty embedding cache) ...", flush=True)
            eng, cold = ingest_once(backends[0], workdir, cache, "cold")
            eng.close()
            print(f"#   {cold['wall']:.1f}s, {cold['embedded']} texts embedded", flush=True)
        results["cold_ingest"] = cold

        reference = None
        for b in backends:
            runs = []
            eng = None
            for r in range(args.ingest_runs):
                if eng is not None:
                    eng.close()
                eng, m = ingest_once(b, workdir, cache, f"warm{r}")
                assert m["embedded"] == 0, f"the embedding cache was not warm ({m['embedded']} texts embedded)"
                runs.append(m)
                print(f"# {b.name}: warm ingest {r + 1}: {m['wall']:.2f}s, graph {m['graph_io']:.2f}s "
                      f"(apply {m['apply']:.2f}s)", flush=True)
            assert eng is not None
            got = answers(eng, queries)  # also warms the query embeddings
            if reference is None:
                reference = got
            same = sum(a == b_ for a, b_ in zip(reference, got, strict=True))
            t = time.perf_counter()
            timings = run_queries(eng, queries, args.queries)
            wall = time.perf_counter() - t
            entry: dict[str, Any] = {
                "ingest_warm_s": statistics.median(m["wall"] for m in runs),
                "ingest_warm_min_s": min(m["wall"] for m in runs),
                "ingest_graph_s": statistics.median(m["graph_io"] for m in runs),
                "ingest_apply_s": statistics.median(m["apply"] for m in runs),
                "ingest_runs": runs,
                "same_answers": f"{same}/{len(queries)}",
                "queries_wall_s": wall,
                "counts": eng.graph.counts(),
            }
            for k in sorted(timings):
                entry[k] = {"p50": pct(timings[k], 50), "p95": pct(timings[k], 95),
                            "mean": statistics.mean(timings[k])}
            if isinstance(eng.graph, Neo4jGraphStore):
                print(f"# {b.name}: profiling {args.profile_queries} queries ...", flush=True)
                entry["profile"] = profile_bolt(eng, queries, args.profile_queries)
            results["backends"][b.name] = entry
            print(f"# {b.name}: {args.queries} queries in {wall:.1f}s; answers identical to networkx: "
                  f"{entry['same_answers']}", flush=True)
            eng.close()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    return 0


def render(results: dict[str, Any]) -> str:
    lines = []
    cold = results.get("cold_ingest")
    lines.append(f"Bundled corpus, {results['queries']} `ask` queries per backend (dev set, "
                 f"{results['devset']} texts cycled; query embeddings cached). Times in ms unless noted.")
    lines.append("")
    lines.append("| backend | ingest, warm cache (s) | of which graph store (s) | expand `graph` p50 / p95 "
                 "| `terms` p50 / p95 | `ask` total p50 / p95 | same answers |")
    lines.append("|---|---|---|---|---|---|---|")
    for name, e in results["backends"].items():
        g, tm, tot = e.get("graph", {}), e.get("terms", {}), e.get("total", {})
        lines.append(
            f"| {name} | {e['ingest_warm_s']:.1f} | {e['ingest_graph_s']:.2f} "
            f"| {g.get('p50', float('nan')):.2f} / {g.get('p95', float('nan')):.2f} "
            f"| {tm.get('p50', float('nan')):.2f} / {tm.get('p95', float('nan')):.2f} "
            f"| {tot.get('p50', float('nan')):.1f} / {tot.get('p95', float('nan')):.1f} | {e['same_answers']} |"
        )
    lines.append("")
    for name, e in results["backends"].items():
        runs = "; ".join(f"{m['wall']:.1f} s (graph store {m['graph_io']:.2f} s)" for m in e["ingest_runs"])
        lines.append(f"Warm ingests, {name}, in order: {runs}.")
    lines.append("Ingest with a warm cache still parses, validates and links every document: its wall time is "
                 "mostly that, not the graph writes.")
    if cold:
        lines.append(f"Cold ingest (empty embedding cache, networkx): {cold['wall']:.1f} s, "
                     f"{cold['embedded']} texts embedded; the graph store took {cold['graph_io']:.2f} s of it.")
    else:
        lines.append("Cold ingest: not measured (the given --cache was already warm).")
    for name, e in results["backends"].items():
        p = e.get("profile")
        if not p:
            continue
        q = p["per_query_ms"]
        lines.append("")
        lines.append(f"Where a query's Bolt time goes ({name}, {p['queries']} queries, per query, ms; "
                     f"neo4j driver {results.get('driver')}, packstream {results.get('packstream')}):")
        lines.append("")
        lines.append("| part | ms / query | share |")
        lines.append("|---|---|---|")
        for key, label in (
            ("socket_wait", "blocked on the socket (server work + loopback transfer)"),
            ("driver_python", "driver Python (session/tx, Bolt pack/unpack, records)"),
            ("store_decode", "store decode (JSON props, Node/Edge, ordering)"),
        ):
            lines.append(f"| {label} | {q[key]:.2f} | {q[key] / q['store'] * 100:.0f}% |")
        lines.append(f"| **all graph-store calls** | **{q['store']:.2f}** | 100% |")
        lines.append("")
        calls = ", ".join(f"{m} {c:.2f}" for m, c in p["calls_per_query"].items())
        server = "not reported by this server"
        if p["server_reported_ms_per_call"] is not None:
            server = (f"{p['server_reported_ms_per_call']:.2f} ms per call "
                      f"(server-reported, {p['server_reported_calls']} calls)")
        lines.append(
            f"Store calls per query: {calls} ({p['read_calls_per_query']:.2f} reads, each its own session and "
            f"managed transaction, {p['sends_per_call']:.1f} socket sends per call: BEGIN, RUN+PULL, COMMIT). "
            f"Empty read transaction (`RETURN 1`): p50 {p['floor_ms']['p50']:.2f} ms, "
            f"p95 {p['floor_ms']['p95']:.2f} ms; "
            f"× reads = {q['floor_x_calls']:.2f} ms per query. Server query time: {server}. "
            f"Payload: {p['rows_per_call']:.0f} rows (max {p['rows_per_call_max']}), "
            f"{p['kb_per_call']:.1f} KiB per call."
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
