"""Suite 2 — which policy applies: the labelled dev set of the bundled corpus.

Each item is a piece of content with the categories and rule ids that apply (`expect: applies`), an
exception that carves it out (`expect: exception`), or nothing (`expect: none`).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    from policygraph.corpus import Corpus
    from policygraph.retrieval import Retriever

DEVSET_DIR = Path(__file__).resolve().parent / "devset"


class DevItem(BaseModel):
    id: str
    text: str
    language: str
    jurisdiction: str | None = None
    categories: list[str]
    rule_ids: list[str]
    expect: str
    exception_rule_ids: list[str] = []
    note: str = ""


def load_devset(path: Path | None = None) -> list[DevItem]:
    root = path or DEVSET_DIR
    files = sorted(root.glob("*.jsonl")) if root.is_dir() else [root]
    items = []
    for f in files:
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                items.append(DevItem.model_validate_json(line))
    return items


def impact_items(scope: str = "all", category: str | None = None) -> list[DevItem]:
    """The dev-set items a draft's impact is measured on (`Lifecycle.evaluate`): all of them, or with
    scope "policy" those of the draft's category."""
    items = load_devset()
    return [i for i in items if category in i.categories] if scope == "policy" else items


@dataclass
class Prediction:
    """What a system said about one item: categories ranked, rules returned with verdicts."""

    categories: list[str]  # the categories of the returned rules, in their order (what the agent receives)
    rules: list[tuple[str, str]]  # (rule id, verdict); rules the agent ruled out are not here
    ms: float
    confidence: list[float] = field(default_factory=list)  # per returned rule, when the system gives one


@dataclass
class ItemResult:
    item: DevItem
    pred: Prediction
    top1: bool | None = None
    top3: bool | None = None
    rule_recall: float | None = None
    correct: bool = False  # the item's own notion of right (exception / none cases)


@dataclass
class DevReport:
    system: str
    split: str = "all"
    results: list[ItemResult] = field(default_factory=list)

    def summary(self) -> dict:
        def agg(rs: list[ItemResult]) -> dict:
            cat = [r for r in rs if r.top3 is not None]
            exc = [r for r in rs if r.item.expect == "exception"]
            none = [r for r in rs if r.item.expect == "none"]
            ms = sorted(r.pred.ms for r in rs)
            # rule-level precision and recall of "applies": what the moderation agent would act on
            said = [(r, rid) for r in rs for rid, v in r.pred.rules if v == "applies"]
            wanted = [(r, rid) for r in rs if r.item.expect == "applies" for rid in r.item.rule_ids]
            return {
                "n": len(rs),
                "applies_precision": _mean([r.item.expect == "applies" and rid in r.item.rule_ids for r, rid in said]),
                "applies_recall": _mean([(rid, "applies") in r.pred.rules for r, rid in wanted]),
                "top1": _mean([r.top1 for r in cat]),
                "top3": _mean([r.top3 for r in cat]),
                "rule_recall@5": _mean([r.rule_recall for r in cat]),
                "exception_correct": _mean([r.correct for r in exc]),
                "none_correct": _mean([r.correct for r in none]),
                "overall_correct": _mean([r.correct for r in rs]),
                "ece": _ece(rs),
                "p50_ms": ms[len(ms) // 2] if ms else None,
                "p95_ms": ms[min(len(ms) - 1, int(len(ms) * 0.95))] if ms else None,
            }

        by_lang: dict[str, list[ItemResult]] = defaultdict(list)
        for r in self.results:
            by_lang[r.item.language].append(r)
        return {"system": self.system, "split": self.split, "overall": agg(self.results),
                "per_language": {k: agg(v) for k, v in sorted(by_lang.items())}}


def _ece(rs: list[ItemResult]) -> float | None:
    """Expected calibration error of the first rule's confidence as P(its category is the item's)."""
    from policygraph.eval.external import reliability

    pairs = [(r.pred.confidence[0], bool(r.item.categories) and r.pred.categories[0] in r.item.categories)
             for r in rs if r.pred.confidence and r.pred.categories]
    return reliability(pairs)["ece"] if pairs else None


def _mean(xs: list) -> float | None:
    xs = [float(x) for x in xs if x is not None]
    return round(sum(xs) / len(xs), 4) if xs else None


def score_item(item: DevItem, pred: Prediction) -> ItemResult:
    r = ItemResult(item=item, pred=pred)
    verdicts = dict(pred.rules)
    if item.categories:
        r.top1 = bool(pred.categories[:1]) and pred.categories[0] in item.categories
        r.top3 = any(c in item.categories for c in pred.categories[:3])
        if item.rule_ids:
            r.rule_recall = sum(1 for x in item.rule_ids if x in verdicts) / len(item.rule_ids)
    if item.expect == "none":
        r.correct = not any(v == "applies" for v in verdicts.values())
    elif item.expect == "exception":
        # right when the carved-out rule is flagged as possibly excepted, or no prohibition "applies"
        flagged = any(verdicts.get(x) == "exception_may_apply" for x in item.rule_ids)
        r.correct = flagged or not any(v == "applies" for v in verdicts.values())
    else:
        r.correct = bool(r.top3)
    return r


def split_items(items: list[DevItem], split: str) -> list[DevItem]:
    """The fit or report half (by item id, see policygraph/eval/external.py), or every item for "all"."""
    from policygraph.eval.external import split_of

    return items if split == "all" else [x for x in items if split_of(f"devset:{x.id}") == split]


def run_devset(system: str, predict: Callable[[DevItem], Prediction], items: list[DevItem],
               progress: bool = False, split: str = "all") -> DevReport:
    rep = DevReport(system=system, split=split)
    items = split_items(items, split)
    it = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc=f"dev set · {system}", unit="item", leave=False)
    for item in it:
        rep.results.append(score_item(item, predict(item)))
    return rep


#: cosine at which the vector-only baseline says a rule applies (multilingual-e5-small similarities
#: sit in a compressed 0.75-0.92 band; 0.85 is about where on-topic rule texts start)
VECTOR_APPLIES = 0.85


def engine_predictor(engine: Corpus, mode: str = "hybrid", retriever: Retriever | None = None
                     ) -> Callable[[DevItem], Prediction]:
    """`vector`: rule-text vectors only; `hybrid`: the engine's retrieval (vectors, examples, terms,
    graph); `agent`: the LangGraph agent. `retriever` (default: a fresh one, default weights) is the
    retrieval every mode runs on."""
    # imported here, not at the top: the lifecycle reads the dev set through this module and should
    # not pay for LangGraph
    from policygraph.agent import PolicyAgent
    from policygraph.graph_model import parse_vector_key
    from policygraph.models import ContentQuery
    from policygraph.retrieval import RetrievalState, Retriever

    retr = retriever or Retriever(engine)
    if mode == "agent":
        agent = PolicyAgent(engine, retr)

        def predict_agent(item: DevItem) -> Prediction:
            t = time.perf_counter()
            d = agent.decide(ContentQuery(text=item.text, jurisdiction=item.jurisdiction))
            ms = (time.perf_counter() - t) * 1000
            kept = [x for x in d.decisions if x.verdict != "not_applicable"]
            return Prediction(categories=[str(x.category.value) for x in kept],
                              rules=[(x.rule_id, x.verdict) for x in kept], ms=ms,
                              confidence=[x.confidence for x in kept])

        return predict_agent

    def predict(item: DevItem) -> Prediction:
        t = time.perf_counter()
        st = RetrievalState(query=ContentQuery(text=item.text, jurisdiction=item.jurisdiction))
        if mode == "vector":
            # the plain RAG baseline: cosine over rule texts alone (no examples, terms, graph, hubness
            # correction or category vote); the same time/jurisdiction filters; categories ranked by
            # their best rule; the top rules "apply" above a fixed cosine threshold
            retr.understand(st)
            retr.embed(st)
            u, cat = st.understood, engine.catalog
            assert u is not None and st.qvec is not None  # set by understand() and embed()
            keys = cat.allowed_rule_keys(u.at, u.jurisdiction)
            best: dict[str, float] = {}
            for key, score in engine.index.search(st.qvec, 30, keys):
                node_id = parse_vector_key(key)[0]
                e = cat.rules[node_id]
                if e.kind != "allowed" and score > best.get(node_id, -1.0):
                    best[node_id] = score
            ranked = sorted(best.items(), key=lambda kv: -kv[1])
            cats: list[str] = []
            for node_id, _ in ranked:
                c = str(cat.rules[node_id].category)
                if c not in cats:
                    cats.append(c)
            rules = [(cat.rules[n].rule_id, "applies" if s_ >= VECTOR_APPLIES else "possibly_applies")
                     for n, s_ in ranked[:5]]
            return Prediction(categories=cats, rules=rules, ms=(time.perf_counter() - t) * 1000)
        retr.run(st)
        ms = (time.perf_counter() - t) * 1000
        return Prediction(categories=[str(h.category.value) for h in st.hits],
                          rules=[(h.rule_id, h.verdict) for h in st.hits], ms=ms)

    return predict


def format_table(summaries: list[dict]) -> str:
    langs = sorted({lang for s in summaries for lang in s["per_language"]})
    head = "| language | n | " + " | ".join(f"{s['system']} top1 | {s['system']} top3" for s in summaries) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(summaries))]
    for lang in [*langs, "ALL"]:
        row = [lang]
        first = summaries[0]["overall"] if lang == "ALL" else summaries[0]["per_language"][lang]
        row.append(str(first["n"]))
        for s in summaries:
            a = s["overall"] if lang == "ALL" else s["per_language"][lang]
            row += [_f(a["top1"]), _f(a["top3"])]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _f(x) -> str:
    return "—" if x is None else f"{x:.2f}"


def dump(report: DevReport) -> list[dict]:
    return [{"id": r.item.id, "language": r.item.language, "expect": r.item.expect, "categories": r.item.categories,
             "rule_ids": r.item.rule_ids, "pred_categories": r.pred.categories[:3], "pred_rules": r.pred.rules,
             "top3": r.top3, "correct": r.correct} for r in report.results]


if __name__ == "__main__":  # quick look: python -m policygraph.eval.devset DATA_DIR
    import sys

    from policygraph.engine import Engine
    from policygraph.settings import Settings

    eng = Engine(Settings(data_dir=Path(sys.argv[1])) if len(sys.argv) > 1 else Settings())  # read only
    items = load_devset()
    reps = [run_devset(m, engine_predictor(eng, m), items, progress=True) for m in ("vector", "hybrid")]
    sums = [r.summary() for r in reps]
    print(format_table(sums))
    for s in sums:
        print(s["system"], json.dumps(s["overall"]))
    if "--misses" in sys.argv:
        for r in reps[-1].results:
            if not r.correct or r.top3 is False:
                print(json.dumps(dump_one := {"id": r.item.id, "expect": r.item.expect, "cats": r.item.categories,
                                              "rules": r.item.rule_ids, "pred": r.pred.categories[:3],
                                              "got": r.pred.rules[:4], "text": r.item.text[:90]}, ensure_ascii=False))
