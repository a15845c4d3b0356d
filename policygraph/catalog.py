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


@dataclass(frozen=True)
class _Delta:
    """What the writes since a filter set was computed changed: the vector keys of rule versions written or
    deleted (the old ones), the rule node ids written, the example node ids written or deleted and the rule
    ids written (their examples follow the version in force). Applied to a set against the newest catalog,
    every key whose answer could have changed is asked again."""

    stale_rule_keys: frozenset[str] = frozenset()
    rule_nodes: frozenset[str] = frozenset()
    example_nodes: frozenset[str] = frozenset()
    rule_ids: frozenset[str] = frozenset()

    def __or__(self, other: _Delta) -> _Delta:
        return _Delta(self.stale_rule_keys | other.stale_rule_keys, self.rule_nodes | other.rule_nodes,
                      self.example_nodes | other.example_nodes, self.rule_ids | other.rule_ids)

    def size(self) -> int:
        return len(self.stale_rule_keys) + len(self.rule_nodes) + len(self.example_nodes) + len(self.rule_ids)


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
    #: how this catalog's filter sets were made: read from the whole catalog, or patched from an earlier one's
    filters_computed: int = 0
    filters_patched: int = 0
    _filters: dict[tuple, set[str]] = field(default_factory=dict)
    #: filter sets of the catalogs this one was updated from, with what changed since (see `_Delta`): a
    #: query after a write patches one instead of reading the whole corpus again
    _inherited: dict[tuple, tuple[set[str], _Delta]] = field(default_factory=dict)
    _by_policy: dict[tuple[str, int], list[RuleEntry]] | None = None
    _by_rule_examples: dict[str, dict[int, tuple[str, ...]]] | None = None

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
        cat.inherit(*self._filters_for(cat, ids, rule_ids))
        return cat

    def inherit(self, filters: dict[tuple, tuple[set[str], _Delta]],
                by_rule_examples: dict[str, dict[int, tuple[str, ...]]] | None) -> None:
        """Take the filter sets (with what changed since each) and the examples-by-rule index an earlier
        catalog hands on to this one (`updated`)."""
        self._inherited, self._by_rule_examples = filters, by_rule_examples

    #: a filter set is patched after writes that changed at most this share of the corpus; else read again
    PATCH_SHARE = 0.125

    def _filters_for(self, cat: Catalog, ids: list[str], rule_ids: set[str]) -> tuple[
            dict[tuple, tuple[set[str], _Delta]], dict[str, dict[int, tuple[str, ...]]] | None]:
        """What the updated catalog `cat` inherits: this catalog's filter sets (its own and those it inherited)
        with the change of this write, and its examples-by-rule index updated for the change."""
        stale = {vector_key(nid, lang) for nid in ids if nid in self.rules for lang in self.rules[nid].languages}
        delta = _Delta(frozenset(stale), frozenset(n for n in ids if n in cat.rules),
                       frozenset(n for n in ids if n in self.examples or n in cat.examples), frozenset(rule_ids))
        limit = self.PATCH_SHARE * (len(cat.rules) + len(cat.examples))
        inherited: dict[tuple, tuple[set[str], _Delta]] = {}
        for key, (keys, before) in self._inherited.items():
            if key not in self._filters and (both := before | delta).size() <= limit:
                inherited[key] = (keys, both)
        if delta.size() <= limit:
            for key, keys in self._filters.items():
                inherited[key] = (keys, delta)
        if self._by_rule_examples is None:
            return inherited, None
        by = dict(self._by_rule_examples)
        written: dict[str, list[ExampleEntry]] = {}
        for n in delta.example_nodes:
            if (e := cat.examples.get(n)) is not None and e.rule_id:
                written.setdefault(e.rule_id, []).append(e)
        for rid in {e.rule_id for n in delta.example_nodes for e in (self.examples.get(n), cat.examples.get(n))
                    if e is not None and e.rule_id}:
            versions: dict[int, list[str]] = {}
            for version, nids in by.get(rid, {}).items():
                versions[version] = [n for n in nids if n not in delta.example_nodes]
            for e in sorted(written.get(rid, []), key=lambda e: e.node_id):
                versions.setdefault(e.version, []).append(e.node_id)
            kept = {v: tuple(nids) for v, nids in versions.items() if nids}
            if kept:
                by[rid] = kept
            else:
                by.pop(rid, None)
        return inherited, by

    def _example_index(self) -> dict[str, dict[int, tuple[str, ...]]]:
        """rule id -> version (ANY_VERSION for imported ones) -> the node ids of its labelled examples (built on
        first use, then kept up to date by `updated`)."""
        if self._by_rule_examples is None:
            by: dict[str, dict[int, list[str]]] = {}
            for ex in self.examples.values():
                if ex.rule_id:
                    by.setdefault(ex.rule_id, {}).setdefault(ex.version, []).append(ex.node_id)
            self._by_rule_examples = {rid: {v: tuple(n) for v, n in vs.items()} for rid, vs in by.items()}
        return self._by_rule_examples

    def examples_of_rule(self, rule_id: str) -> list[str]:
        """The node ids of a rule's labelled examples, every version."""
        return [n for nids in self._example_index().get(rule_id, {}).values() for n in nids]

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

    def policy_rules(self, policy_id: str, version: int) -> list[RuleEntry]:
        """The rules of one version of a policy (an index built on first use: the rendering asked for a
        policy's rules on every query, and a scan of 100,000 rules took ~20 ms)."""
        if self._by_policy is None:
            by: dict[tuple[str, int], list[RuleEntry]] = {}
            for e in self.rules.values():
                by.setdefault((e.policy_id, e.version), []).append(e)
            self._by_policy = by
        return self._by_policy.get((policy_id, version), [])

    def _rule_allowed(self, e: RuleEntry, at: dt.date, jurisdiction: str | None) -> bool:
        return self.live(e, at) and jurisdiction_matches(list(e.jurisdictions), jurisdiction)

    def _keep(self, key: tuple, keys: set[str], patched: bool = False) -> set[str]:
        if patched:
            self.filters_patched += 1
        else:
            self.filters_computed += 1
        if len(self._filters) > 256:
            self._filters.clear()
        self._filters[key] = keys
        return keys

    def allowed_rule_keys(self, at: dt.date, jurisdiction: str | None) -> set[str]:
        """The vector keys of the rule versions in force at `at` in `jurisdiction` (one set object per
        question and catalog: the vector index keeps its ids by the set)."""
        key = ("rule", at, jurisdiction)
        cached = self._filters.get(key)
        if cached is not None:
            return cached
        inherited = self._inherited.get(key)
        if inherited is not None:  # the set before the writes since, patched
            keys, delta = set(inherited[0]), inherited[1]
            keys -= delta.stale_rule_keys
            for nid in delta.rule_nodes:
                e = self.rules.get(nid)
                if e is not None and self._rule_allowed(e, at, jurisdiction):
                    keys.update(vector_key(nid, lang) for lang in e.languages)
            return self._keep(key, keys, patched=True)
        keys = set()
        for e in self.rules.values():
            if self._rule_allowed(e, at, jurisdiction):
                keys.update(vector_key(e.node_id, lang) for lang in e.languages)
        return self._keep(key, keys)

    def _example_allowed(self, ex: ExampleEntry, at: dt.date, jurisdiction: str | None) -> bool:
        e = self.example_rule(ex, at)
        return e is not None and self._rule_allowed(e, at, jurisdiction)

    def allowed_example_keys(self, at: dt.date, jurisdiction: str | None) -> set[str]:
        """The labelled examples whose rule version is in force at `at` in `jurisdiction` (benign content
        about no rule is never a candidate's example)."""
        key = ("example", at, jurisdiction)
        cached = self._filters.get(key)
        if cached is not None:
            return cached
        inherited = self._inherited.get(key)
        if inherited is not None:  # the set before the writes since, patched
            keys, delta = set(inherited[0]), inherited[1]
            affected = set(delta.example_nodes)
            for rid in delta.rule_ids:
                affected.update(self.examples_of_rule(rid))
            keys -= affected
            for nid in affected:
                ex = self.examples.get(nid)
                if ex is not None and ex.rule_id and self._example_allowed(ex, at, jurisdiction):
                    keys.add(nid)
            return self._keep(key, keys, patched=True)
        keys = set()
        # by rule and version: each rule version's verdict asked once, its examples added in one piece (1M
        # examples of 100k rules: a loop over the examples took seconds)
        for rid, by_version in self._example_index().items():
            for version, nids in by_version.items():
                e = self.current(rid, at) if version == ANY_VERSION else self.rules.get(rule_node_id(rid, version))
                if e is not None and self._rule_allowed(e, at, jurisdiction):
                    keys.update(nids)
        return self._keep(key, keys)
