"""An in-memory snapshot of which rule versions and examples exist, rebuilt from the graph after each
write. It answers the pre-filter questions of the hot path (which vectors are in force for this
jurisdiction and date?) without a store round trip; every fact in it is read from the graph store."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field

from policygraph.graph_model import (
    ANY_VERSION,
    in_force,
    jurisdiction_matches,
    rule_node_id,
    signal_mappings,
    vector_key,
)
from policygraph.models import SignalMapping
from policygraph.stores.base import GraphStore, Node


@dataclass(frozen=True)
class RuleEntry:
    node_id: str
    rule_id: str
    policy_id: str
    version: int
    kind: str
    category: str
    jurisdictions: tuple[str, ...]
    valid_from: str | None
    valid_to: str | None
    status: str
    languages: tuple[str, ...]
    signals: tuple[SignalMapping, ...] = ()  # upstream labels that bring content to the rule
    satisfied_by: tuple[SignalMapping, ...] = ()  # labels that mean the rule is met


@dataclass(frozen=True)
class ExampleEntry:
    node_id: str
    rule_id: str  # "" for benign content about no rule
    version: int  # ANY_VERSION (0): imported, illustrates whichever version of the rule is in force
    label: str  # violating | non_violating
    category: str  # the rule's category, or the row's own ("none" for everyday content)
    language: str = ""


#: every loaded catalog gets the next number: caches keyed by it can never confuse two catalogs
_GENERATIONS = itertools.count(1)


def _term_maps(graph: GraphStore) -> tuple[dict[str, str], dict[str, list[tuple[str, SignalMapping]]]]:
    """(term id -> its policy's category, upstream label -> the terms mapped to it), read from the graph."""
    policy_cat = {n.props["policy_id"]: n.props["category"] for n in graph.find_nodes("Policy")}
    term_category: dict[str, str] = {}
    signal_terms: dict[str, list[tuple[str, SignalMapping]]] = {}
    for n in graph.find_nodes("Term"):
        if n.props.get("policy_id") in policy_cat:
            term_category[n.props["term_id"]] = policy_cat[n.props["policy_id"]]
        for m in signal_mappings(n.props.get("signals")):
            signal_terms.setdefault(m.label, []).append((n.props["term_id"], m))
    return term_category, signal_terms


def _example_entry(n: Node, cat: Catalog) -> ExampleEntry:
    """An example node's entry; without a category of its own it takes its rule's (the newest version in `cat`)."""
    p = n.props
    latest = cat.latest(p["rule_id"]) if p["rule_id"] else None
    category = str(getattr(p.get("category"), "value", p.get("category")) or (latest.category if latest else "none"))
    return ExampleEntry(n.id, p["rule_id"], int(p.get("version", 1)), p["label"], category, p.get("language", ""))


def _labelling(ex: ExampleEntry | None) -> tuple | None:
    """What a classifier learns from an example (see Catalog.labels_generation)."""
    return None if ex is None else (ex.rule_id, ex.label, ex.category)


def _rule_entry(n: Node) -> RuleEntry:
    p = n.props
    return RuleEntry(n.id, p["rule_id"], p["policy_id"], int(p["version"]), p["kind"], p["category"],
                     tuple(p.get("jurisdictions") or ["GLOBAL"]), p.get("valid_from"), p.get("valid_to"),
                     p.get("status", "published"), tuple(sorted((p.get("text") or {}).keys())),
                     signal_mappings(p.get("signals")), signal_mappings(p.get("satisfied_by")))


@dataclass
class Catalog:
    rules: dict[str, RuleEntry] = field(default_factory=dict)  # by node id
    examples: dict[str, ExampleEntry] = field(default_factory=dict)  # by node id
    by_rule_id: dict[str, list[RuleEntry]] = field(default_factory=dict)
    term_category: dict[str, str] = field(default_factory=dict)  # term id -> its policy's category
    signal_terms: dict[str, list[tuple[str, SignalMapping]]] = field(default_factory=dict)  # label -> terms
    signal_rule_ids: dict[str, set[str]] = field(default_factory=dict)  # label -> rule ids with a mapping (any version)
    generation: int = field(default_factory=lambda: next(_GENERATIONS))
    #: changes only when the labelled examples did (which exist, and each one's rule, label and category): a
    #: write that changed none keeps it, so the classifier knows its heads still fit without fingerprinting
    #: 100,000 examples again (a new policy version writes its examples again, with only the version changed)
    labels_generation: int = field(default_factory=lambda: next(_GENERATIONS))
    _filters: dict[tuple, set[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, graph: GraphStore) -> Catalog:
        cat = cls()
        for n in graph.find_nodes("Rule"):
            e = _rule_entry(n)
            cat.rules[n.id] = e
            cat.by_rule_id.setdefault(e.rule_id, []).append(e)
            for m in e.signals:
                cat.signal_rule_ids.setdefault(m.label, set()).add(e.rule_id)
        for versions in cat.by_rule_id.values():
            versions.sort(key=lambda e: e.version)
        cat.term_category, cat.signal_terms = _term_maps(graph)
        for n in graph.find_nodes("Example"):
            cat.examples[n.id] = _example_entry(n, cat)
        return cat

    def updated(self, graph: GraphStore, node_ids: Iterable[str]) -> Catalog:
        """The catalog after a write that touched (wrote or deleted) these nodes, read again from the graph:
        a new catalog (the next generation) that shares every untouched entry with this one, so a one-rule
        publish costs what it changed, not the corpus. This catalog is left as it was (readers may hold it)."""
        ids = sorted(set(node_ids))
        if len(ids) * 4 > len(self.rules) + len(self.examples):  # much of the corpus (a first ingest): read it all
            return Catalog.load(graph)
        now = {n.id: n for n in graph.get_nodes(ids)}
        cat = Catalog(rules=dict(self.rules), examples=dict(self.examples), by_rule_id=dict(self.by_rule_id),
                      term_category=self.term_category, signal_terms=self.signal_terms,
                      signal_rule_ids=dict(self.signal_rule_ids))
        rule_ids: set[str] = set()
        terms_touched = False
        for nid in ids:
            node = now.get(nid)
            old_rule = cat.rules.pop(nid, None)
            if old_rule is not None:
                rule_ids.add(old_rule.rule_id)
            cat.examples.pop(nid, None)
            if node is None:
                terms_touched = terms_touched or (old_rule is None and nid not in self.examples)
            elif node.label == "Rule":
                e = cat.rules[nid] = _rule_entry(node)
                rule_ids.add(e.rule_id)
                if old_rule is not None and old_rule.category != e.category:
                    return Catalog.load(graph)  # examples take their rule's category: rare, so read it all again
            elif node.label in ("Policy", "Term"):
                terms_touched = True
        touched = set(ids)
        written: dict[str, list[RuleEntry]] = {}
        for n in ids:
            if n in cat.rules:
                written.setdefault(cat.rules[n].rule_id, []).append(cat.rules[n])
        for rid in rule_ids:
            versions = sorted([e for e in self.by_rule_id.get(rid, []) if e.node_id not in touched]
                              + written.get(rid, []), key=lambda e: e.version)
            if versions:
                cat.by_rule_id[rid] = versions
            else:
                cat.by_rule_id.pop(rid, None)
            labels = {m.label for e in versions for m in e.signals}
            for label, holders in list(cat.signal_rule_ids.items()):
                if (rid in holders) != (label in labels):
                    holders = cat.signal_rule_ids[label] = set(holders) ^ {rid}  # a copy: the old one is shared
                    if not holders:
                        del cat.signal_rule_ids[label]
            for label in labels - set(cat.signal_rule_ids):
                cat.signal_rule_ids[label] = {rid}
        if terms_touched:
            cat.term_category, cat.signal_terms = _term_maps(graph)
        labels_changed = False
        for nid in ids:
            node = now.get(nid)
            if node is not None and node.label == "Example":
                cat.examples[nid] = _example_entry(node, cat)
            labels_changed = labels_changed or _labelling(cat.examples.get(nid)) != _labelling(self.examples.get(nid))
        if not labels_changed:
            cat.labels_generation = self.labels_generation
        return cat

    def example_rule(self, ex: ExampleEntry, at: dt.date) -> RuleEntry | None:
        """The rule version an example illustrates at `at` (None for benign content about no rule)."""
        if not ex.rule_id:
            return None
        if ex.version == ANY_VERSION:
            return self.current(ex.rule_id, at)
        return self.rules.get(rule_node_id(ex.rule_id, ex.version))

    def live(self, e: RuleEntry, at: dt.date) -> bool:
        return e.status == "published" and in_force(e.valid_from, e.valid_to, at)

    def current(self, rule_id: str, at: dt.date) -> RuleEntry | None:
        """The version of `rule_id` in force at `at` (the newest such)."""
        for e in reversed(self.by_rule_id.get(rule_id, [])):
            if self.live(e, at):
                return e
        return None

    def latest(self, rule_id: str) -> RuleEntry | None:
        versions = self.by_rule_id.get(rule_id)
        return versions[-1] if versions else None

    def signal_rules(self, label: str, at: dt.date) -> list[tuple[RuleEntry, SignalMapping]]:
        """The rules in force at `at` that an upstream label is mapped to."""
        out: list[tuple[RuleEntry, SignalMapping]] = []
        for rule_id in self.signal_rule_ids.get(label, ()):
            e = self.current(rule_id, at)
            if e is not None:
                out.extend((e, m) for m in e.signals if m.label == label)
        return out

    def allowed_rule_keys(self, at: dt.date, jurisdiction: str | None) -> set[str]:
        cached = self._filters.get(("rule", at, jurisdiction))
        if cached is not None:
            return cached
        keys: set[str] = set()
        for e in self.rules.values():
            if self.live(e, at) and jurisdiction_matches(list(e.jurisdictions), jurisdiction):
                keys.update(vector_key(e.node_id, lang) for lang in e.languages)
        if len(self._filters) > 256:
            self._filters.clear()
        self._filters[("rule", at, jurisdiction)] = keys
        return keys

    def allowed_example_keys(self, at: dt.date, jurisdiction: str | None) -> set[str]:
        cached = self._filters.get(("example", at, jurisdiction))
        if cached is not None:
            return cached
        keys: set[str] = set()
        # the examples' rule versions and their verdicts, worked out once per rule (100,000 examples of 10,000
        # rules: 0.68 s when each example asked again)
        current: dict[str, RuleEntry | None] = {}
        allowed: dict[str, bool] = {}
        for ex in self.examples.values():
            if not ex.rule_id:
                continue
            if ex.version == ANY_VERSION:
                if ex.rule_id not in current:
                    current[ex.rule_id] = self.current(ex.rule_id, at)
                e = current[ex.rule_id]
            else:
                e = self.rules.get(rule_node_id(ex.rule_id, ex.version))
            if e is None:
                continue
            ok = allowed.get(e.node_id)
            if ok is None:
                ok = allowed[e.node_id] = self.live(e, at) and jurisdiction_matches(list(e.jurisdictions), jurisdiction)
            if ok:
                keys.add(ex.node_id)
        self._filters[("example", at, jurisdiction)] = keys
        return keys
