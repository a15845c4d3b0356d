"""Fit what is tuned — on fit halves only — and write it down.

    python -m policygraph.eval.calibrate [--data-dir DIR] [--write]

1. **Violation thresholds**: the classifier fits its own per category, out of fold, when it trains
   (`ContentClassifier.Config.target_false_applies`); its overall threshold is printed as the fallback for
   `Weights.violation_apply`.
2. **A small grid** over the fusion weights, scored on the fit halves of the dev set and MultiJail:
   top-3 category of the returned rules, MultiJail's agreement with English, dev `applies` precision.
3. **Confidence** (`policygraph/confidence.py`): a logistic model from each returned rule's features
   to "its category is what the content violates", fitted on the fit halves' answers.

Multilingual HateCheck is never used here. With `--write` the confidence model is saved to
`policygraph/confidence.json`; the weights are printed for `policygraph.retrieval.Weights`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
from pathlib import Path

import numpy as np

from policygraph.classifier import ContentClassifier

#: the same bar the classifier's thresholds are fitted to
TARGET_FALSE_APPLIES = ContentClassifier.Config().target_false_applies
GRID = {
    "rule_head": [0.02, 0.05],
    "topic_apply": [0.2, 0.3],
    "floor": [0.78, 0.80],
}
# the grid below names these fields (typed `dataclasses.replace`): a new GRID key must be added there too
assert list(GRID) == ["rule_head", "topic_apply", "floor"], "calibrate.main names the grid's fields"


def fit_items(settings):
    """Dev set fit half (as external-style items) and the MultiJail fit half."""
    from policygraph.eval import external as X
    from policygraph.eval.devset import load_devset, split_items

    dev = []
    for d in split_items(load_devset(), "fit"):
        if d.id.startswith("devE"):
            continue  # held-out items (written after the first calibration) are never fitted on
        cat = d.categories[0] if d.categories else "none"
        if d.expect == "none":
            cat = "none"
        dev.append(X.ExternalItem(id=d.id, text=d.text, language=d.language, category=cat,
                                  source_label=d.expect, dataset="devset", group=d.id))
    mj = [] if X.missing_reason(settings.shared_data) else \
        [x for x in X.load_multijail(settings.shared_data) if x.split == "fit"]
    return dev, mj


def score(engine, weights, dev, mj) -> tuple[dict, list]:
    from policygraph.agent import PolicyAgent
    from policygraph.eval import external as X
    from policygraph.retrieval import Retriever

    agent = PolicyAgent(engine, Retriever(engine, weights, cache_queries=True))
    rows = []

    def collect(items):
        out = []
        for it in items:
            st_ans = _answer_with_features(agent, it)
            out.append(X.Scored(item=it, answer=st_ans[0]))
            rows.extend(st_ans[1])
        return out

    dev_scored = collect(dev)
    d = X.ExternalReport("devset", "fit", dev_scored).summary()
    m = X.ExternalReport("multijail", "fit", collect(mj)).summary() if mj else None
    exc = [r for r in dev_scored if r.item.source_label == "exception"]
    exc_ok = [any(v == "exception_may_apply" for _, _, v in r.answer.rules) or not r.answer.applies for r in exc]
    result = {"dev_top3": d["overall"]["top3"], "dev_benign_applies": d["overall"]["benign_applies"],
              "dev_exception": round(sum(exc_ok) / len(exc_ok), 4) if exc_ok else None,
              "mj_top3": m["overall"]["top3"] if m else None,
              "mj_equals_english": m["consistency"]["top_category_equals_english"] if m else None}
    return result, rows


def _answer_with_features(agent, item):
    """The agent's answer and, per returned rule, (features, right?) for the confidence fit."""
    from policygraph.confidence import features
    from policygraph.eval.external import Answer
    from policygraph.models import ContentQuery
    from policygraph.retrieval import RetrievalState

    st = RetrievalState(query=ContentQuery(text=item.text))
    d = agent.decide_state(st, render=False)
    rows = []
    for i, h in enumerate(d.context.rules):
        if st.prediction is None:
            continue
        f = features(st.category_probs.get(h.category.value, 0.0), st.prediction.violating, h.score, i == 0,
                     h.verdict == "exception_may_apply")
        rows.append((f, item.category != "none" and h.category.value == item.category, i, item.dataset))
    return Answer(rules=tuple((h.rule_id, h.category.value, h.verdict) for h in d.context.rules)), rows


def fit_confidence(rows: list) -> tuple[tuple[float, ...], float, dict]:
    """Logistic calibration; each dataset weighs the same in total (the dev set is small and easy,
    MultiJail large and hard: unweighted, one would set the other's calibration)."""
    from sklearn.linear_model import LogisticRegression

    from policygraph.eval.external import reliability

    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=int)
    sets = [r[3] for r in rows]
    size = {k: sets.count(k) for k in set(sets)}
    weight = np.array([len(rows) / (len(size) * size[k]) for k in sets])
    m = LogisticRegression(C=1.0, max_iter=1000).fit(x, y, sample_weight=weight)
    p = m.predict_proba(x)[:, 1]
    first = [(float(pi), bool(yi)) for pi, yi, r in zip(p, y, rows, strict=True) if r[2] == 0]
    return tuple(float(c) for c in m.coef_[0]), float(m.intercept_[0]), {
        "rows": len(y), "first_rule_ece_on_fit": reliability(first)["ece"]}


def main(argv: list[str] | None = None) -> int:
    from policygraph.confidence import ConfidenceModel
    from policygraph.engine import Engine
    from policygraph.retrieval import Weights
    from policygraph.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m policygraph.eval.calibrate", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir")
    ap.add_argument("--write", action="store_true", help="save the confidence model to policygraph/confidence.json")
    ap.add_argument("--no-grid", action="store_true", help="keep the current weights, fit the confidence only")
    args = ap.parse_args(argv)
    settings = Settings(data_dir=Path(args.data_dir)) if args.data_dir else Settings()
    engine = Engine(settings)
    dev, mj = fit_items(settings)
    # the violation thresholds are the classifier's own (fitted out of fold when it trains); its overall
    # threshold is the fallback for categories with too few non-violating examples
    heads = engine.classifier.heads(engine.catalog, engine.index)
    t = heads.default_threshold if heads is not None and heads.default_threshold is not None else Weights().violation_apply
    print(f"violation_apply = {t} (fallback); per-category thresholds: {heads.thresholds if heads else {}}")
    base = dataclasses.replace(Weights(), violation_apply=t)
    best: tuple[float | None, Weights, list] = (None, base, [])
    # the grid's fields by name (each a float field of Weights), in GRID's order
    candidates = [base] if args.no_grid else [
        dataclasses.replace(base, rule_head=rule_head, topic_apply=topic_apply, floor=floor)
        for rule_head, topic_apply, floor in itertools.product(GRID["rule_head"], GRID["topic_apply"], GRID["floor"])]
    for w in candidates:
        r, rows = score(engine, w, dev, mj)
        objective = (r["dev_top3"] or 0) + (r["mj_top3"] or 0) + (r["mj_equals_english"] or 0) \
            + 0.5 * (r["dev_exception"] or 0) - 2 * max(0.0, (r["dev_benign_applies"] or 0) - TARGET_FALSE_APPLIES)
        print({k: getattr(w, k) for k in GRID}, r, f"objective {objective:.3f}", flush=True)
        if best[0] is None or objective > best[0]:
            best = (objective, w, rows)
    _, w, rows = best
    print("chosen weights:", {k: getattr(w, k) for k in GRID})
    coef, intercept, notes = fit_confidence(rows)
    notes["violation_apply"] = t
    model = ConfidenceModel(ConfidenceModel.Config(
        coef=coef, intercept=intercept, notes=notes,
        fitted_on=f"fit halves of the dev set ({len(dev)} items) and MultiJail ({len(mj)} items), "
                  f"{dt.date.today().isoformat()}"))
    print("confidence:", model.config)
    if args.write:
        model.save()
        print("wrote policygraph/confidence.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
