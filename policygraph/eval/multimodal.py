"""Suite `multimodal`: structured content (title, transcript, on-screen text, hashtags, comments, upstream
classifier labels, AIGC provenance) against the same content flattened into one string.

The items (`policygraph/eval/multimodal/items.jsonl`, written by this team: 84 items in 12 languages,
half `fit`, half `report`) are what a moderation agent holds for one video or post: violations hidden in
the transcript or the on-screen text under a benign caption, labels that decide (`weapon 0.93` + "DM for
price"), AI-generated media with and without disclosure, and benign content on sensitive topics. Each is
scored as the dev set scores its items (`policygraph/eval/devset.py: score_item`), twice:

* `structured` — the `ContentQuery` with its fields, as the moderation agent sends it now;
* `flattened` — every field in one `text` (labels and provenance written out as words), as it had to
  be sent before: the baseline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from policygraph.eval.devset import DevItem, DevReport, Prediction, format_table, score_item
from policygraph.models import TEXT_FIELDS, ContentQuery

if TYPE_CHECKING:
    from policygraph.agent import PolicyAgent

ITEMS_PATH = Path(__file__).resolve().parent / "multimodal" / "items.jsonl"
SYSTEMS = ("structured", "flattened")


class MultimodalItem(BaseModel):
    id: str
    split: str
    language: str
    jurisdiction: str | None = None
    content: dict[str, Any]
    categories: list[str]
    rule_ids: list[str]
    expect: str
    exception_rule_ids: list[str] = Field(default_factory=list)
    where: str
    note: str = ""

    def query(self) -> ContentQuery:
        return ContentQuery(**self.content, jurisdiction=self.jurisdiction)

    def flattened(self) -> ContentQuery:
        return ContentQuery(text=flatten(self.query()), jurisdiction=self.jurisdiction)

    def dev_item(self) -> DevItem:
        return DevItem(id=self.id, text=flatten(self.query()), language=self.language, jurisdiction=self.jurisdiction,
                       categories=self.categories, rule_ids=self.rule_ids, expect=self.expect,
                       exception_rule_ids=self.exception_rule_ids, note=self.note)


def flatten(q: ContentQuery) -> str:
    """Everything the query holds as one string, the way an agent without structured fields sends it."""
    lines = []
    for f in TEXT_FIELDS:
        v = getattr(q, f)
        if isinstance(v, list) and v:
            lines.append(" ".join(v))
        elif v:
            lines.append(v)
    if q.signals:
        lines.append("Detected: " + ", ".join(f"{s.label} {s.score:.2f}" for s in q.signals))
    pv = q.provenance
    if pv is not None:
        bits = []
        if pv.declared_ai is not None:
            bits.append("labelled AI-generated" if pv.declared_ai else "declared not AI-generated")
        if pv.detector_score is not None:
            bits.append(f"AI detector {pv.detector_score:.2f}")
        bits.extend(pv.c2pa)
        if bits:
            lines.append("Provenance: " + ", ".join(bits))
    return "\n".join(lines) or "(empty)"


def load_items(path: Path | None = None) -> list[MultimodalItem]:
    p = path or ITEMS_PATH
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(MultimodalItem.model_validate(json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{p}:{n}: {exc}") from None
    return out


def predict(agent: PolicyAgent, q: ContentQuery) -> Prediction:
    t = time.perf_counter()
    d = agent.decide(q, render=False)
    ms = (time.perf_counter() - t) * 1000
    kept = [x for x in d.decisions if x.verdict != "not_applicable"]
    return Prediction(categories=[str(x.category.value) for x in kept], rules=[(x.rule_id, x.verdict) for x in kept],
                      ms=ms, confidence=[x.confidence for x in kept])


def run_multimodal(agent: PolicyAgent, split: str = "report", items: list[MultimodalItem] | None = None) -> dict:
    """Both systems on one half of the items (`all` for every item), one run; the summary per system, per
    `where` (which field carries the violation) and the structured-minus-flattened gap in top-3."""
    chosen = [i for i in (items if items is not None else load_items()) if split == "all" or i.split == split]
    out: dict = {"items": len(chosen), "split": split, "systems": {}, "by_where": {}}
    t0 = time.perf_counter()
    for system in SYSTEMS:
        rep = DevReport(system=system, split=split)
        for it in chosen:
            rep.results.append(score_item(it.dev_item(), predict(agent, it.query() if system == "structured"
                                                                 else it.flattened())))
        out["systems"][system] = rep.summary()
        where: dict[str, list] = {}
        for it, r in zip(chosen, rep.results, strict=True):
            where.setdefault(it.where, []).append(r)
        out["by_where"][system] = {
            w: {"n": len(rs), "top3": _mean([r.top3 for r in rs]), "correct": _mean([r.correct for r in rs])}
            for w, rs in sorted(where.items())}
    s, f = (out["systems"][x]["overall"] for x in SYSTEMS)
    if s.get("top3") is not None and f.get("top3") is not None:
        out["top3_gain"] = round(s["top3"] - f["top3"], 4)
    out["table_md"] = format_table(list(out["systems"].values()))
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def _mean(xs: list) -> float | None:
    vals = [float(x) for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None
