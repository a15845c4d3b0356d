"""Calibrate the fusion weights and verdict thresholds on the labelled dev set.

    python -m eval.calibrate [DATA_DIR]

Query embeddings are cached, so each configuration costs only the retrieval itself. Prints the best
configurations; copy the chosen one into `policygraph.retrieval.Weights`. The dev set is small: prefer
round values and configurations that are good across a neighbourhood, not the single best point.
"""

from __future__ import annotations

import dataclasses
import itertools
import sys
from pathlib import Path

from eval.devset import engine_predictor, load_devset, run_devset
from policygraph.engine import Engine
from policygraph.retrieval import Retriever, Weights
from policygraph.settings import Settings


def evaluate(engine: Engine, items, w: Weights) -> dict:
    engine.retriever = Retriever(engine, w, cache_queries=True)
    s = run_devset("hybrid", engine_predictor(engine, "hybrid"), items).summary()
    per = s["per_language"]
    return {"top3": s["overall"]["top3"], "top1": s["overall"]["top1"],
            "min_lang_top3": min(v["top3"] for v in per.values() if v["top3"] is not None),
            "none": s["overall"]["none_correct"], "exception": s["overall"]["exception_correct"],
            "recall": s["overall"]["rule_recall@5"]}


def main() -> None:
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    engine = Engine(Settings(data_dir=data) if data else Settings())
    items = load_devset()
    base = Weights()
    grid = {
        "hub": [0.5, 0.75],
        "knn_k": [15, 20, 30],
        "knn_tau": [0.02, 0.03],
        "term_category": [0.2, 0.3],
    }
    rows = []
    for values in itertools.product(*grid.values()):
        w = dataclasses.replace(base, **dict(zip(grid, values, strict=True)))
        r = evaluate(engine, items, w)
        rows.append((r, dict(zip(grid, values, strict=True))))
        print(dict(zip(grid, values, strict=True)), r, flush=True)
    rows.sort(key=lambda x: -(x[0]["top3"] + x[0]["min_lang_top3"]))
    print("best:", rows[0])


if __name__ == "__main__":
    main()
