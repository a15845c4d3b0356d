"""How the domain model (DESIGN.md §2) is laid out in a `GraphStore`: node ids, labels, properties
and edges, and the translation of a `PolicyDocument` into one atomic `GraphBatch`.

This module is the only place that spells or parses a node id or a vector key:

    policy:{policy_id}                 section:{policy_id}/{section_id}     term:{term_id}
    rule:{rule_id}@{version}           example:{example_id}                 jurisdiction:{code}
    vector key of a rule text: {rule node id}|{language};  of an example: its node id
"""

from __future__ import annotations

import datetime as dt
import hashlib

from policygraph.models import Citation, LabelledDecision, PolicyDocument, RuleDoc, SignalMapping, Span
from policygraph.stores.base import Edge, GraphBatch, Node

EU_MEMBERS = {
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT",
    "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
}


def policy_node_id(pid: str) -> str:
    return f"policy:{pid}"


def section_node_id(pid: str, sid: str) -> str:
    return f"section:{pid}/{sid}"


def rule_node_id(rid: str, version: int) -> str:
    return f"rule:{rid}@{version}"


def term_node_id(tid: str) -> str:
    return f"term:{tid}"


#: what every labelled example's node id and vector key start with (before the ':')
EXAMPLE_NAMESPACE = "example"


def example_node_id(eid: str) -> str:
    return f"{EXAMPLE_NAMESPACE}:{eid}"


def decision_node_id(row: LabelledDecision, rule_id: str | None) -> str:
    """An imported labelled decision's node id: stable for the same text, rule, category and label, so
    importing a file twice adds nothing."""
    key = "\x1f".join([row.text, rule_id or "", str(row.category or ""), row.label])
    return example_node_id("d-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16])


#: `version` of an imported decision: it illustrates whichever version of its rule is in force
ANY_VERSION = 0


def jurisdiction_node_id(code: str) -> str:
    return f"jurisdiction:{code}"


def vector_key(rule_node: str, lang: str) -> str:
    return f"{rule_node}|{lang}"


def parse_vector_key(key: str) -> tuple[str, str | None]:
    """(node id, language) of a vector key; an example's key is its node id (language None)."""
    node_id, sep, lang = key.rpartition("|")
    return (node_id, lang) if sep else (key, None)


def is_example_id(node_id_or_key: str) -> bool:
    """Does this node id (or vector key) name a labelled example?"""
    return node_id_or_key.startswith(EXAMPLE_NAMESPACE + ":")


def term_id_of(node_id: str) -> str:
    """The term id inside a term node id."""
    return node_id.split(":", 1)[1]


def citation(props: dict, section_title: str, lang: str) -> Citation:
    """Where a rule node's text in `lang` comes from: the document, and the span in it when known (the
    source text's own span, or the translation file's)."""
    span, document = None, props.get("source_path", "")
    if props.get("span_start") is not None and lang == props.get("language"):
        span = Span(start=props["span_start"], end=props["span_end"], line=props["span_line"])
    elif lang in (props.get("translation_sources") or {}):  # the translation's own file and span
        document, start, end, line = props["translation_sources"][lang]
        span = Span(start=start, end=end, line=line)
    return Citation(document=document, policy_id=props["policy_id"], section=section_title,
                    version=props["version"], language=lang, span=span)


def jurisdiction_matches(rule_juris: list[str], query_juris: str | None) -> bool:
    """GLOBAL rules apply everywhere; regional rules only where asked (EU covers its members)."""
    if "GLOBAL" in rule_juris:
        return True
    if not query_juris:
        return False
    q = query_juris.upper()
    return q in rule_juris or (q in EU_MEMBERS and "EU" in rule_juris)


def in_force(valid_from: str | None, valid_to: str | None, at: dt.date) -> bool:
    day = at.isoformat()
    return (valid_from is None or valid_from <= day) and (valid_to is None or day < valid_to)


def rule_passage(rule: RuleDoc, lang: str) -> str:
    title = rule.titles.get(lang) or ""
    text = rule.text[lang]
    return f"{title}. {text}" if title else text


def text_hash(rule: RuleDoc) -> str:
    payload = "\x1f".join(f"{k}={rule.text[k]}|{rule.titles.get(k, '')}" for k in sorted(rule.text))
    return hashlib.sha1(payload.encode()).hexdigest()


def signal_props(mappings: list[SignalMapping]) -> dict[str, list]:
    """Signal mappings as a node property: label → [min score, applies]."""
    return {m.label: [m.min_score, m.applies] for m in mappings}


def signal_mappings(prop: dict | None) -> tuple[SignalMapping, ...]:
    """The inverse of `signal_props` (nodes written before signals existed have none)."""
    return tuple(SignalMapping(label=k, min_score=float(v[0]), applies=bool(v[1])) for k, v in sorted((prop or {}).items()))


def document_batch(doc: PolicyDocument, mentions: dict[str, list[str]]) -> GraphBatch:
    """Every node and edge of one policy version. `mentions` maps rule id → linked term ids."""
    pid = doc.id
    vf = doc.effective_from.isoformat() if doc.effective_from else None
    vt = doc.effective_to.isoformat() if doc.effective_to else None
    nodes: list[Node] = [
        Node(id=policy_node_id(pid), label="Policy", props={
            "policy_id": pid, "title": doc.title, "category": doc.category.value, "version": doc.version,
            "status": doc.status, "effective_from": vf, "effective_to": vt, "language": doc.language,
            "languages": list(doc.languages), "jurisdictions": list(doc.jurisdictions), "preamble": doc.preamble,
            "source_path": doc.source.path, "source_sha256": doc.source.sha256, "source_format": doc.source.format,
            "translation_paths": [t.path for t in doc.translations],
            "translation_sha256": [t.sha256 for t in doc.translations],
        })
    ]
    edges: list[Edge] = []
    juris_codes: set[str] = set()
    for sec in doc.sections:
        snid = section_node_id(pid, sec.id)
        nodes.append(Node(id=snid, label="Section", props={
            "section_id": sec.id, "policy_id": pid, "title": sec.title, "titles": dict(sec.titles), "order": sec.order,
        }))
        edges.append(Edge(src=policy_node_id(pid), type="HAS_SECTION", dst=snid))
        for rule in sec.rules:
            rnid = rule_node_id(rule.id, doc.version)
            nodes.append(Node(id=rnid, label="Rule", props={
                "rule_id": rule.id, "policy_id": pid, "version": doc.version, "kind": rule.kind,
                "severity": rule.severity, "actions": list(rule.actions), "jurisdictions": list(rule.jurisdictions),
                "category": rule.category.value, "title": rule.title, "titles": dict(rule.titles),
                "text": dict(rule.text), "language": rule.language, "section_id": sec.id,
                "section_title": sec.title, "policy_title": doc.title,
                "span_start": rule.span.start if rule.span else None, "span_end": rule.span.end if rule.span else None,
                "span_line": rule.span.line if rule.span else None, "valid_from": vf, "valid_to": vt,
                "status": doc.status, "text_hash": text_hash(rule), "source_path": doc.source.path,
                "translation_sources": {lang: [t.document, t.span.start, t.span.end, t.span.line]
                                        for lang, t in sorted(rule.translation_sources.items())},
                "signals": signal_props(rule.signals), "satisfied_by": signal_props(rule.satisfied_by),
            }))
            edges.append(Edge(src=snid, type="HAS_RULE", dst=rnid))
            for code in rule.jurisdictions:
                juris_codes.add(code)
                edges.append(Edge(src=rnid, type="APPLIES_IN", dst=jurisdiction_node_id(code)))
            for tid in mentions.get(rule.id, []):
                edges.append(Edge(src=rnid, type="MENTIONS", dst=term_node_id(tid)))
    for term in doc.definitions:
        nodes.append(Node(id=term_node_id(term.id), label="Term", props={
            "term_id": term.id, "term": term.term, "definition": term.definition,
            "aliases": {k: list(v) for k, v in term.aliases.items()}, "policy_id": pid,
            "signals": signal_props(term.signals),
        }))
        edges.append(Edge(src=policy_node_id(pid), type="DEFINES", dst=term_node_id(term.id)))
    for ex in doc.examples:
        nodes.append(Node(id=example_node_id(ex.id), label="Example", props={
            "example_id": ex.id, "rule_id": ex.rule_id, "label": ex.label, "language": ex.language,
            "text": ex.text, "rationale": ex.rationale, "policy_id": pid, "version": doc.version,
        }))
        edges.append(Edge(src=example_node_id(ex.id), type="ILLUSTRATES", dst=rule_node_id(ex.rule_id, doc.version)))
    for code in sorted(juris_codes):
        nodes.append(Node(id=jurisdiction_node_id(code), label="Jurisdiction", props={"code": code}))
    return GraphBatch(nodes=nodes, edges=edges)


def decision_batch(rows: list[tuple[str, LabelledDecision, str | None, str, str, str | None]]) -> GraphBatch:
    """Nodes (and ILLUSTRATES edges) for imported labelled decisions: (node id, row, rule id, category,
    language, the rule node it illustrates now)."""
    nodes, edges = [], []
    for node_id, row, rule_id, category, language, rule_node in rows:
        nodes.append(Node(id=node_id, label="Example", props={
            "example_id": node_id.split(":", 1)[1], "rule_id": rule_id or "", "category": category,
            "label": row.label, "language": language, "text": row.text, "rationale": row.note,
            "source": row.source, "kind": row.kind, "version": ANY_VERSION, "imported": True,
        }))
        if rule_node:
            edges.append(Edge(src=node_id, type="ILLUSTRATES", dst=rule_node))
    return GraphBatch(nodes=nodes, edges=edges)
