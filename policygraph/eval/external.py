"""Suite `external` — data nobody on this team wrote: Multilingual HateCheck and MultiJail.

Both files live outside the project (`<shared_data>/external-eval/`, see its README) and are read by
path, never copied. Each is split deterministically into a *fit* half and a *report* half:

- HateCheck by case id (it is never fitted on: its cases share templates; the fit half exists only
  so that the two halves can be compared);
- MultiJail by prompt, so all ten languages of a prompt sit on one side;
- the dev set by item id (`split_of`), the same rule.

What counts, everywhere, is what the moderation agent receives: the categories of the first three
rules of the returned `PolicyContext` ("top 3"), the first rule's category ("top 1"), and whether any
rule came back `applies`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

HATECHECK_FILE = "multilingual_hatecheck.jsonl"
MULTIJAIL_FILE = "multijail.jsonl"
SPLITS = ("fit", "report")


def split_of(key: str) -> str:
    """Deterministic half: the parity of the first byte of the key's SHA-256 (no seed to forget)."""
    return SPLITS[hashlib.sha256(key.encode("utf-8")).digest()[0] & 1]


@dataclass(frozen=True)
class ExternalItem:
    id: str
    text: str
    language: str
    category: str  # a taxonomy category or "none"
    source_label: str
    dataset: str  # "hatecheck" | "multijail"
    group: str  # what the split is keyed by: the case id, or the MultiJail prompt

    @property
    def split(self) -> str:
        return split_of(f"{self.dataset}:{self.group}")

    @property
    def functionality(self) -> str:
        """HateCheck's functional test (`derog_dehum_h`, `counter_quote_nh`...), or the MultiJail tag."""
        return self.source_label.split("/", 1)[-1]


def external_dir(shared_data: Path) -> Path:
    return Path(shared_data) / "external-eval"


def missing_reason(shared_data: Path) -> str | None:
    """Why the suite cannot run here, or None when both files are present."""
    d = external_dir(shared_data)
    absent = [f for f in (HATECHECK_FILE, MULTIJAIL_FILE) if not (d / f).is_file()]
    return f"external eval data not found: {', '.join(str(d / f) for f in absent)}" if absent else None


def _rows(path: Path) -> Iterable[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_hatecheck(shared_data: Path) -> list[ExternalItem]:
    return [ExternalItem(id=r["id"], text=r["text"], language=r["lang"], category=r["category"],
                         source_label=r["source_label"], dataset="hatecheck", group=r["id"])
            for r in _rows(external_dir(shared_data) / HATECHECK_FILE)]


def load_multijail(shared_data: Path) -> list[ExternalItem]:
    out = []
    for r in _rows(external_dir(shared_data) / MULTIJAIL_FILE):
        prompt = r["id"].rsplit("-", 1)[0]  # multijail-5-en -> multijail-5
        out.append(ExternalItem(id=r["id"], text=r["text"], language=r["lang"], category=r["category"],
                                source_label=r["source_label"], dataset="multijail", group=prompt))
    return out


@dataclass(frozen=True)
class Answer:
    """What a system returned for one item: its rules in order, as (rule id, category, verdict)."""

    rules: tuple[tuple[str, str, str], ...]
    confidence: tuple[float, ...] = ()

    @property
    def categories(self) -> list[str]:
        return [c for _, c, _ in self.rules]

    @property
    def applies(self) -> bool:
        return any(v == "applies" for _, _, v in self.rules)


Predict = Callable[[ExternalItem], Answer]


@dataclass
class Scored:
    item: ExternalItem
    answer: Answer

    @property
    def top1(self) -> bool:
        return self.answer.categories[:1] == [self.item.category]

    @property
    def top3(self) -> bool:
        return self.item.category in self.answer.categories[:3]


def _rate(xs: list[bool]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def _agg(rs: list[Scored]) -> dict:
    flagged = [r for r in rs if r.item.category != "none"]
    benign = [r for r in rs if r.item.category == "none"]
    return {
        "n": len(rs),
        "flagged": len(flagged),
        "benign": len(benign),
        "top1": _rate([r.top1 for r in flagged]),
        "top3": _rate([r.top3 for r in flagged]),
        "flagged_applies": _rate([r.answer.applies for r in flagged]),
        "benign_applies": _rate([r.answer.applies for r in benign]),
    }


@dataclass
class ExternalReport:
    dataset: str
    split: str
    scored: list[Scored] = field(default_factory=list)

    def summary(self) -> dict:
        by_lang: dict[str, list[Scored]] = defaultdict(list)
        by_func: dict[str, list[Scored]] = defaultdict(list)
        for r in self.scored:
            by_lang[r.item.language].append(r)
            by_func[r.item.functionality].append(r)
        out = {"dataset": self.dataset, "split": self.split, "overall": _agg(self.scored),
               "per_language": {k: _agg(v) for k, v in sorted(by_lang.items())},
               "per_functionality": {k: _agg(v) for k, v in sorted(by_func.items())}}
        if self.dataset == "multijail":
            out["consistency"] = consistency(self.scored)
        return out


def consistency(rs: list[Scored]) -> dict:
    """MultiJail: the same prompt in ten languages should reach the same rules. Share of prompts whose
    top rule is the same in every language, and per language how often its top category equals the
    English prompt's top category."""
    by_prompt: dict[str, dict[str, Answer]] = defaultdict(dict)
    for r in rs:
        by_prompt[r.item.group][r.item.language] = r.answer
    same_rule = []
    agree: dict[str, list[bool]] = defaultdict(list)
    for answers in by_prompt.values():
        tops = {lang: (a.rules[0][0] if a.rules else None) for lang, a in answers.items()}
        same_rule.append(len(set(tops.values())) == 1 and None not in tops.values())
        en = answers.get("en")
        if en is None:
            continue
        en_cat = en.categories[0] if en.rules else None
        for lang, a in answers.items():
            if lang != "en":
                agree[lang].append((a.categories[0] if a.rules else None) == en_cat)
    pairs = [x for xs in agree.values() for x in xs]
    return {"prompts": len(by_prompt), "same_top_rule_all_languages": _rate(same_rule),
            "top_category_equals_english": _rate(pairs),
            "per_language_equals_english": {k: _rate(v) for k, v in sorted(agree.items())}}


def run_external(predict: Predict, items: list[ExternalItem], dataset: str, split: str,
                 progress: bool = False) -> ExternalReport:
    rep = ExternalReport(dataset=dataset, split=split)
    chosen = [x for x in items if split == "all" or x.split == split]
    it: Iterable[ExternalItem] = chosen
    if progress:
        from tqdm import tqdm

        it = tqdm(chosen, desc=f"{dataset} · {split}", unit="item", leave=False)
    for item in it:
        rep.scored.append(Scored(item=item, answer=predict(item)))
    return rep


def agent_predictor(agent) -> Predict:
    """What the moderation agent receives from `PolicyAgent.decide` (no language hint: detected)."""
    from policygraph.models import ContentQuery

    def predict(item: ExternalItem) -> Answer:
        d = agent.decide(ContentQuery(text=item.text), render=False)
        conf = {x.rule_id: x.confidence for x in d.decisions}
        return Answer(rules=tuple((h.rule_id, str(h.category.value), h.verdict) for h in d.context.rules),
                      confidence=tuple(conf.get(h.rule_id, 0.0) for h in d.context.rules))

    return predict


def limit_per_language(items: list[ExternalItem], n: int) -> list[ExternalItem]:
    """About n items of each language (stable: the first flagged and the first benign ones), for --quick
    runs. MultiJail keeps whole prompts: the first n."""
    if items and items[0].dataset == "multijail":
        groups = sorted({x.group for x in items}, key=lambda g: int(g.rsplit("-", 1)[1]))[:n]
        return [x for x in items if x.group in set(groups)]
    seen: dict[tuple[str, bool], int] = defaultdict(int)
    out = []
    for x in items:  # half flagged, half benign per language
        key = (x.language, x.category == "none")
        if seen[key] < (n + 1) // 2:
            seen[key] += 1
            out.append(x)
    return out


def calibration(rs: list[Scored], bins: int = 10) -> dict:
    """Reliability of the first rule's confidence as the probability that its category is right (benign
    items: that no rule should have come back), expected calibration error over equal-width bins."""
    pairs = []
    for r in rs:
        if not r.answer.rules or not r.answer.confidence:
            continue
        right = r.item.category != "none" and r.answer.rules[0][1] == r.item.category
        pairs.append((float(r.answer.confidence[0]), bool(right)))
    return reliability(pairs, bins)


def reliability(pairs: list[tuple[float, bool]], bins: int = 10) -> dict:
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, y) for p, y in pairs if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        if not inside:
            continue
        conf = sum(p for p, _ in inside) / len(inside)
        acc = sum(y for _, y in inside) / len(inside)
        ece += len(inside) / len(pairs) * abs(conf - acc)
        table.append({"bin": [round(lo, 2), round(hi, 2)], "n": len(inside), "confidence": round(conf, 4),
                      "accuracy": round(acc, 4)})
    return {"n": len(pairs), "ece": round(ece, 4) if pairs else None, "bins": table}


def format_summary(s: dict) -> str:
    """One Markdown table per dataset: per language, then overall."""
    head = ["language", "n", "top1", "top3", "flagged applies", "benign applies"]
    if s["dataset"] == "multijail":
        head.append("top cat = en")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    eq = s.get("consistency", {}).get("per_language_equals_english", {})
    for lang, a in [*s["per_language"].items(), ("ALL", s["overall"])]:
        row = [lang, str(a["n"]), _f(a["top1"]), _f(a["top3"]), _f(a["flagged_applies"]), _f(a["benign_applies"])]
        if s["dataset"] == "multijail":
            row.append(_f(eq.get(lang)) if lang != "ALL" else _f(s["consistency"]["top_category_equals_english"]))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _f(x) -> str:
    return "—" if x is None else f"{x:.2f}"
