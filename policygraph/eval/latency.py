"""Suite 3 — latency per stage, over the dev set's content.

Every query is embedded for real (the query-embedding cache is bypassed): these are the numbers a
moderation agent calling the engine would see, on this machine. Reported per stage of the hybrid
retrieval (`RetrievalState.timings`: understand, embed, vector, terms, graph, fuse, verdicts), for the
vector-only path (understand + embed + vector search), and for the agent (total and per node of its
trace) when `policygraph.agent` can be imported.
"""

from __future__ import annotations

import logging
import os
import platform
import time
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

STAGES = ("understand", "embed", "vector", "terms", "graph", "fuse", "verdicts")
WARMUP = 5


def percentiles(values: Sequence[float]) -> dict:
    """n, p50, p95, mean and max in milliseconds (nearest-rank percentiles)."""
    xs = np.sort(np.asarray(values, dtype=np.float64))
    if not len(xs):
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}

    def pct(p: float) -> float:
        return round(float(xs[min(len(xs) - 1, max(0, int(np.ceil(p / 100 * len(xs))) - 1))]), 3)

    return {"n": int(len(xs)), "p50_ms": pct(50), "p95_ms": pct(95), "mean_ms": round(float(xs.mean()), 3),
            "max_ms": round(float(xs[-1]), 3)}


def _bar(seq, desc: str, progress: bool):
    if not progress:
        return seq
    from tqdm import tqdm

    return tqdm(seq, desc=desc, unit="query", leave=False)


def run_latency(engine, items, *, limit: int | None = None, systems: Sequence[str] = ("vector", "hybrid", "agent"),
                progress: bool = True, warmup: int = WARMUP) -> dict:
    """Time each system over the items' texts (DevItem-like: .text, .jurisdiction)."""
    from policygraph.models import ContentQuery
    from policygraph.retrieval import RetrievalState, Retriever

    items = list(items)[:limit] if limit else list(items)
    queries = [ContentQuery(text=i.text, jurisdiction=getattr(i, "jurisdiction", None)) for i in items]
    retr = Retriever(engine, cache_queries=False, vector_cache=0)  # every query embedded for real
    out: dict = {
        "items": len(queries), "warmup": warmup, "embedder": engine.embedder.name, "vector_device": engine.index.device,
        "vectors": len(engine.index), "cpu_count": os.cpu_count(), "machine": platform.machine(),
        "load_average_before": _load(), "systems": {}, "notes": [],
    }
    for q in queries[:warmup]:  # model pages, caches, the hubness table
        retr.run(RetrievalState(query=q))

    if "vector" in systems:
        totals = []
        for q in _bar(queries, "latency · vector", progress):
            t = time.perf_counter()
            st = RetrievalState(query=q)
            retr.understand(st)
            retr.embed(st)
            retr.vector_search(st)
            totals.append((time.perf_counter() - t) * 1000)
        out["systems"]["vector"] = {"total": percentiles(totals)}

    if "hybrid" in systems:
        stages: dict[str, list[float]] = defaultdict(list)
        totals = []
        for q in _bar(queries, "latency · hybrid", progress):
            t = time.perf_counter()
            st = retr.run(RetrievalState(query=q))
            retr.to_context(st)
            totals.append((time.perf_counter() - t) * 1000)
            for k, v in st.timings.items():
                stages[k].append(v)
        order = [s for s in STAGES if s in stages] + sorted(set(stages) - set(STAGES))
        out["systems"]["hybrid"] = {"total": percentiles(totals), "stages": {s: percentiles(stages[s]) for s in order}}

    if "agent" in systems:
        try:
            from policygraph.agent import PolicyAgent

            agent = PolicyAgent(engine, retriever=retr)
        except ImportError as exc:
            out["notes"].append(f"agent skipped: policygraph.agent cannot be imported ({exc})")
        except Exception as exc:  # an agent under construction must not sink the other suites
            out["notes"].append(f"agent skipped: constructing it failed ({type(exc).__name__}: {exc})")
        else:
            try:
                for q in queries[:warmup]:
                    agent.decide(q)
                nodes: dict[str, list[float]] = defaultdict(list)
                totals, second = [], 0
                for q in _bar(queries, "latency · agent", progress):
                    t = time.perf_counter()
                    d = agent.decide(q)
                    totals.append((time.perf_counter() - t) * 1000)
                    per: dict[str, float] = defaultdict(float)
                    for step in d.trace:
                        per[step.node] += step.ms
                    for k, v in per.items():
                        nodes[k].append(v)
                    second += bool(d.second_pass)
                out["systems"]["agent"] = {"total": percentiles(totals),
                                           "nodes": {k: percentiles(v) for k, v in nodes.items()},
                                           "second_pass_rate": round(second / max(1, len(queries)), 4)}
            except Exception as exc:
                log.exception("agent latency failed")
                out["notes"].append(f"agent failed during timing ({type(exc).__name__}: {exc})")
    out["load_average_after"] = _load()
    return out


def _load() -> list[float] | None:
    """1/5/15-minute load averages: timings on a machine busier than its CPU count are not comparable."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None
