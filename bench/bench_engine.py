"""Engine benchmark: ingest of the bundled corpus (cold and unchanged re-ingest) and `ask` latency.

    .venv/bin/python bench/bench_engine.py [--queries 200] [--data-dir DIR] [--keep]

Cold ingest starts from an empty data directory AND an empty embedding cache, so every rule text,
translation and example is embedded for real. `ask` latency is measured after a warm-up over the dev
set's content (every query embedded for real, no query cache), for hybrid retrieval (`Engine.ask`)
and for the agent (`PolicyAgent.decide`, what `policygraph ask` runs). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from policygraph.agent import PolicyAgent  # noqa: E402
from policygraph.engine import Engine  # noqa: E402
from policygraph.eval.devset import load_devset  # noqa: E402
from policygraph.eval.latency import percentiles  # noqa: E402
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery  # noqa: E402
from policygraph.retrieval import Retriever  # noqa: E402
from policygraph.settings import Settings  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", type=int, default=200, help="timed queries per system (after 10 warm-up)")
    ap.add_argument("--data-dir", help="where to build the store (default: a fresh temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    args = ap.parse_args()

    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="pg-bench-"))
    if data_dir.exists() and any(data_dir.iterdir()):
        sys.exit(f"{data_dir} is not empty: a cold ingest needs an empty data directory")
    rows: list[tuple[str, str]] = []
    try:
        settings = Settings(data_dir=data_dir)
        t = time.perf_counter()
        eng = Engine(settings)
        t_open = time.perf_counter() - t
        t = time.perf_counter()
        rep = pipeline.ingest(eng, [settings.corpus_dir])
        t_cold = time.perf_counter() - t
        rows.append(("ingest, cold (empty store and embedding cache)",
                     f"{t_cold:.1f} s — {len(rep.policies)} policies, {rep.rules_written} rules, "
                     f"{rep.vectors_embedded} texts embedded ({rep.vectors_embedded / max(t_cold, 1e-9):.1f}/s)"))
        t = time.perf_counter()
        rep2 = pipeline.ingest(eng, [settings.corpus_dir])
        rows.append(("re-ingest, unchanged", f"{time.perf_counter() - t:.2f} s (no-op: {rep2.noop})"))
        eng.close()
        t = time.perf_counter()
        eng = Engine(settings)
        rows.append(("open a stored engine (load graph, index, models)", f"{time.perf_counter() - t + 0:.2f} s "
                                                                       f"(first open incl. model load {t_open:.2f} s)"))

        texts = [it.text for it in load_devset()]
        agent = PolicyAgent(eng, Retriever(eng, vector_cache=0))  # every query embedded for real
        retriever = agent.retriever
        for q in texts[:10]:  # warm-up: model kernels, spaCy, caches of the catalog
            retriever.retrieve(ContentQuery(text=q))
            agent.decide(ContentQuery(text=q))
        qs = [texts[i % len(texts)] for i in range(args.queries)]
        for name, fn in (("ask (hybrid retrieval)", lambda q: retriever.retrieve(ContentQuery(text=q))),
                         ("ask (agent, as the CLI/API)", lambda q: agent.decide(ContentQuery(text=q)))):
            ms, embed = [], []
            for q in qs:
                t = time.perf_counter()
                out = fn(q)
                ms.append((time.perf_counter() - t) * 1000)
                ctx = out.context if hasattr(out, "context") else out
                embed.append(ctx.timings_ms.get("embed", 0.0))
            p, e = percentiles(ms), percentiles(embed)
            rows.append((name, f"p50 {p['p50_ms']:.1f} ms · p95 {p['p95_ms']:.1f} ms · mean {p['mean_ms']:.1f} ms "
                               f"(of which embedding p50 {e['p50_ms']:.1f} ms) over {p['n']} queries"))
    finally:
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)

    load = os.getloadavg()
    print(f"\nPolicyGraph engine benchmark · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
          f"embedder {settings.embedder} · load average {load[0]:.2f}\n")
    print("| measure | result |\n|---|---|")
    for k, v in rows:
        print(f"| {k} | {v} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
