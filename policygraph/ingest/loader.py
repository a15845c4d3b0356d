"""Paths in, validated `PolicyDocument`s out.

Validation happens here, before anything is stored: a refused file raises `IngestError` naming the
file, the line and the problem, and the caller has not written anything yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from policygraph.errors import IngestError
from policygraph.ingest.authoring import RULE_ID_RE, ParsedFile, parse_authoring_markdown, parse_structured
from policygraph.ingest.generic.ids import slugify
from policygraph.ingest.reader import SUFFIX_FORMATS, SourceFile, read_source
from policygraph.language import detect_language
from policygraph.models import (
    ExampleDoc,
    PolicyDocument,
    RuleDoc,
    SectionDoc,
    SignalMapping,
    SourceInfo,
    Span,
    TermDoc,
    TranslationSource,
)
from policygraph.taxonomy import ACTIONS, RULE_KINDS, SEVERITIES, Category

POLICY_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
RULE_ID_IN_TEXT_RE = re.compile(r"\b[A-Z]{2,4}-\d+(?:\.\d+)+(?:-[A-Z0-9]+)?\b")
RULE_ATTRS = {"kind", "severity", "actions", "jurisdictions", "exception_to", "overrides", "refers_to", "category",
              "signals", "satisfied_by"}


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(
                f for f in sorted(p.rglob("*"))
                if f.is_file() and f.suffix.lower() in SUFFIX_FORMATS and not f.name.lower().startswith("readme")
                and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.exists():
            out.append(p)
        else:
            raise IngestError(str(p), "no such file or directory")
    return out


def _as_list(value: Any, path: str, line: int | None, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise IngestError(path, f"{what} must be a list of strings", line)


def signal_mappings(value: Any, path: str, line: int | None, what: str, rule: bool) -> list[SignalMapping]:
    """`signals: {weapon: 0.8, ai_generated_undisclosed: {min: 0.9, applies: true}}`: upstream labels with
    the score from which they count (a bare label list counts from 0.5)."""
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = dict.fromkeys(value, 0.5)
    if not isinstance(value, dict):
        raise IngestError(path, f"{what} must map a label to a minimum score, e.g. {{weapon: 0.8}}", line)
    out = []
    for label, spec in value.items():
        applies = False
        if isinstance(spec, dict):
            unknown = set(spec) - {"min", "applies"}
            if unknown or (spec.get("applies") is not None and not rule):
                raise IngestError(path, f"{what}: {label}: unknown key(s) {sorted(unknown or {'applies'})}; allowed: "
                                        f"{['min', 'applies'] if rule else ['min']}", line)
            applies = spec.get("applies", False)
            if not isinstance(applies, bool):
                raise IngestError(path, f"{what}: {label}: applies must be true or false, got {applies!r}", line)
            spec = spec.get("min", 0.5)
        if isinstance(spec, bool) or not isinstance(spec, (int, float)) or not 0.0 <= float(spec) <= 1.0:
            raise IngestError(path, f"{what}: {label}: the minimum score must be a number from 0 to 1, got {spec!r}",
                              line)
        try:
            out.append(SignalMapping(label=str(label), min_score=float(spec), applies=applies))
        except ValidationError:
            raise IngestError(path, f"{what}: label {label!r} must be lower-case letters, digits and _ . : - "
                                    "(at most 64 characters)", line) from None
    return out


def _date(value: Any, path: str, line: int | None, key: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise IngestError(path, f"{key} must be an ISO date (YYYY-MM-DD), got {value!r}", line) from None


def _rule_attrs(pf: ParsedFile, rid: str, attrs: dict[str, Any], default_juris: list[str]) -> dict[str, Any]:
    path = pf.source.path
    line = attrs.get("__line__")
    unknown = set(attrs) - RULE_ATTRS - {"__line__"}
    if unknown:
        raise IngestError(path, f"rule {rid}: unknown attribute(s) {sorted(unknown)}; allowed: {sorted(RULE_ATTRS)}", line)
    kind = attrs.get("kind")
    if kind not in RULE_KINDS:
        raise IngestError(path, f"rule {rid}: kind must be one of {list(RULE_KINDS)}, got {kind!r}", line)
    sev = attrs.get("severity")
    if sev not in SEVERITIES:
        raise IngestError(path, f"rule {rid}: severity must be one of {list(SEVERITIES)}, got {sev!r}", line)
    actions = _as_list(attrs.get("actions"), path, line, f"rule {rid}: actions")
    bad = [a for a in actions if a not in ACTIONS]
    if bad or not actions:
        raise IngestError(path, f"rule {rid}: unknown action(s) {bad or '(none given)'}; allowed: {list(ACTIONS)}", line)
    out = {
        "kind": kind,
        "severity": sev,
        "actions": actions,
        "jurisdictions": [j.upper() for j in _as_list(attrs.get("jurisdictions"), path, line, "jurisdictions")]
        or default_juris,
    }
    for key in ("exception_to", "overrides", "refers_to"):
        out[key] = _as_list(attrs.get(key), path, line, f"rule {rid}: {key}")
    for key in ("signals", "satisfied_by"):
        out[key] = signal_mappings(attrs.get(key), path, line, f"rule {rid}: {key}", rule=key == "signals")
    if attrs.get("category") is not None:
        try:
            out["category"] = Category(attrs["category"])
        except ValueError:
            raise IngestError(path, f"rule {rid}: unknown category {attrs['category']!r}", line) from None
    return out


def _build_original(pf: ParsedFile) -> PolicyDocument:
    path, meta = pf.source.path, pf.meta
    for key in ("id", "title", "category"):
        if not meta.get(key):
            raise IngestError(path, f"front matter lacks the required key {key!r}", 1)
    pid = str(meta["id"])
    if not POLICY_ID_RE.match(pid):
        raise IngestError(path, f"policy id {pid!r} must be lowercase letters, digits and '-'", pf.line_of("id"))
    try:
        category = Category(meta["category"])
    except ValueError:
        raise IngestError(
            path,
            f"unknown category {meta['category']!r}; must be one of: {', '.join(c.value for c in Category)}",
            pf.line_of("category"),
        ) from None
    version = meta.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise IngestError(path, f"version must be a positive integer, got {version!r}", pf.line_of("version"))
    body_text = " ".join(r.text for s in pf.sections for r in s.rules)
    language = str(meta.get("language") or detect_language(body_text))
    juris = [j.upper() for j in _as_list(meta.get("jurisdictions"), path, pf.line_of("jurisdictions"), "jurisdictions")] or ["GLOBAL"]

    known = {"id", "title", "category", "version", "status", "effective_from", "effective_to", "language",
             "jurisdictions", "translation_of", "definitions", "examples", "preamble"}
    unknown = set(meta) - known
    if unknown:
        raise IngestError(path, f"unknown front matter key(s) {sorted(unknown)}", pf.line_of(sorted(unknown)[0]))

    sections: list[SectionDoc] = []
    seen: dict[str, int] = {}
    for order, raw in enumerate(pf.sections):
        sid = slugify(raw.title) or "section"
        if sid in {s.id for s in sections}:
            sid = f"{sid}-{order}"
        rules = []
        for rr in raw.rules:
            if rr.id in seen:
                raise IngestError(path, f"duplicate rule id {rr.id} (first defined at line {seen[rr.id]})", rr.line)
            seen[rr.id] = rr.line
            attrs = _rule_attrs(pf, rr.id, rr.attrs, juris)
            refs = set(attrs.pop("refers_to")) | {m for m in RULE_ID_IN_TEXT_RE.findall(rr.text) if m != rr.id}
            cat = attrs.pop("category", category)
            rules.append(
                RuleDoc(
                    id=rr.id, title=rr.title, category=cat, text={language: rr.text},
                    titles={language: rr.title}, language=detect_language(rr.text) if language != "xx" else language,
                    span=Span(start=rr.start, end=rr.end, line=rr.line), section_id=sid,
                    refers_to=sorted(refs), **attrs,
                )
            )
        sections.append(SectionDoc(id=sid, title=raw.title, order=order, titles={language: raw.title}, rules=rules))
    if not seen:
        raise IngestError(path, "no rules found: a rule starts with a '### RULE-ID Title' heading", None)

    definitions = _terms(pf, pid)
    examples = _examples(pf, set(seen), language)
    try:
        return PolicyDocument(
            id=pid, title=str(meta["title"]), category=category, version=version,
            status=meta.get("status", "published"),
            effective_from=_date(meta.get("effective_from"), path, pf.line_of("effective_from"), "effective_from"),
            effective_to=_date(meta.get("effective_to"), path, pf.line_of("effective_to"), "effective_to"),
            language=language, languages=[language], jurisdictions=juris, preamble=pf.preamble,
            sections=sections, definitions=definitions, examples=examples,
            source=SourceInfo(path=path, sha256=pf.source.sha256, format=pf.source.format),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        raise IngestError(path, f"{'.'.join(map(str, err['loc']))}: {err['msg']}", pf.line_of(key)) from None


def _terms(pf: ParsedFile, pid: str) -> list[TermDoc]:
    path = pf.source.path
    raw = pf.meta.get("definitions") or []
    line = pf.line_of("definitions")
    if not isinstance(raw, list):
        raise IngestError(path, "definitions must be a list", line)
    out = []
    for d in raw:
        if not isinstance(d, dict) or not d.get("id") or not d.get("term"):
            raise IngestError(path, f"each definition needs 'id' and 'term', got {d!r}"[:200], line)
        aliases = d.get("aliases") or {}
        if not isinstance(aliases, dict) or not all(isinstance(v, list) for v in aliases.values()):
            raise IngestError(path, f"definition {d['id']}: aliases must map a language to a list of names", line)
        unknown = set(d) - {"id", "term", "definition", "aliases", "signals"}
        if unknown:
            raise IngestError(path, f"definition {d['id']}: unknown key(s) {sorted(unknown)}; allowed: "
                                    "id, term, definition, aliases, signals", line)
        out.append(TermDoc(id=str(d["id"]), term=str(d["term"]), definition=str(d.get("definition", "")).strip(),
                           aliases={str(k): [str(x) for x in v] for k, v in aliases.items()}, policy_id=pid,
                           signals=signal_mappings(d.get("signals"), path, line, f"definition {d['id']}: signals",
                                                   rule=False)))
    return out


def _examples(pf: ParsedFile, rule_ids: set[str], language: str) -> list[ExampleDoc]:
    path = pf.source.path
    raw = pf.meta.get("examples") or []
    line = pf.line_of("examples")
    if not isinstance(raw, list):
        raise IngestError(path, "examples must be a list", line)
    out = []
    for e in raw:
        if not isinstance(e, dict) or not e.get("rule") or not e.get("text"):
            raise IngestError(path, f"each example needs 'rule' and 'text', got {e!r}"[:200], line)
        if rule_ids and e["rule"] not in rule_ids:
            raise IngestError(path, f"example illustrates rule {e['rule']!r}, which this policy does not define", line)
        label = e.get("label", "violating")
        if label not in ("violating", "non_violating"):
            raise IngestError(path, f"example label must be violating or non_violating, got {label!r}", line)
        text = str(e["text"]).strip()
        eid = "ex-" + hashlib.sha1(f"{e['rule']}|{text}".encode()).hexdigest()[:12]
        out.append(ExampleDoc(id=eid, rule_id=str(e["rule"]), label=label,
                              language=str(e.get("language") or detect_language(text)), text=text,
                              rationale=str(e.get("rationale", "")).strip()))
    return out


def _merge_translation(doc: PolicyDocument, pf: ParsedFile) -> PolicyDocument:
    path = pf.source.path
    lang = pf.meta.get("language")
    if not lang:
        body = " ".join(r.text for s in pf.sections for r in s.rules)
        lang = detect_language(body)
    lang = str(lang)
    if lang in doc.languages:
        raise IngestError(path, f"policy {doc.id} already has text in language {lang!r}", pf.line_of("language"))
    if len(pf.sections) != len(doc.sections):
        raise IngestError(path, f"translation has {len(pf.sections)} sections, the original {doc.source.path} has "
                          f"{len(doc.sections)}: keep the same sections in the same order", None)
    by_id = {r.id: r for r in doc.rules()}
    translated: set[str] = set()
    for sec, raw in zip(doc.sections, pf.sections, strict=True):
        sec.titles[lang] = raw.title
        for rr in raw.rules:
            rule = by_id.get(rr.id)
            if rule is None:
                raise IngestError(path, f"rule {rr.id} is not in the original {doc.source.path}", rr.line)
            if rule.section_id != sec.id:
                raise IngestError(path, f"rule {rr.id} is in another section than in the original", rr.line)
            rule.text[lang] = rr.text
            rule.titles[lang] = rr.title
            rule.translation_sources[lang] = TranslationSource(
                document=path, span=Span(start=rr.start, end=rr.end, line=rr.line))
            translated.add(rr.id)
    missing = sorted(set(by_id) - translated)
    if missing:
        raise IngestError(path, f"translation lacks rule(s) {', '.join(missing)}", None)
    extra_terms = _terms(pf, doc.id)
    by_term = {t.id: t for t in doc.definitions}
    for t in extra_terms:
        if t.id in by_term:
            for lg, names in t.aliases.items():
                merged = by_term[t.id].aliases.setdefault(lg, [])
                merged.extend(n for n in names if n not in merged)
        else:
            doc.definitions.append(t)
    doc.examples.extend(_examples(pf, set(by_id), lang))
    doc.languages.append(lang)
    doc.translations.append(SourceInfo(path=path, sha256=pf.source.sha256, format=pf.source.format))
    return doc


def parse_file(src: SourceFile) -> ParsedFile | PolicyDocument:
    if src.format == "policygraph-md":
        return parse_authoring_markdown(src)
    if src.format == "yaml" or src.format == "json":
        return parse_structured(src)
    from policygraph.ingest.generic import parse_generic

    return parse_generic(src.text, path=src.path, fmt=src.format, sha256=src.sha256)


def load_documents(
    paths: Iterable[str | Path],
    *,
    max_bytes: int = 10 * 1024 * 1024,
    known_rule_ids: set[str] | frozenset[str] = frozenset(),
    known_policy_ids: set[str] | frozenset[str] = frozenset(),
    existing: dict[str, PolicyDocument] | None = None,
    sources: list[SourceFile] | None = None,
) -> list[PolicyDocument]:
    """Parse and validate every file under `paths` (or the given in-memory `sources`).

    `known_rule_ids` are rules already stored (exceptions and overrides may point at them);
    `existing` are stored documents a lone translation may attach to.
    """
    srcs = list(sources or [])
    if not sources:
        srcs = [read_source(p, max_bytes) for p in expand_paths(paths)]
    originals: dict[str, PolicyDocument] = {}
    translations: list[ParsedFile] = []
    for src in srcs:
        parsed = parse_file(src)
        if isinstance(parsed, PolicyDocument):
            doc = parsed
        elif parsed.meta.get("translation_of"):
            translations.append(parsed)
            continue
        else:
            doc = _build_original(parsed)
        if doc.id in originals:
            raise IngestError(src.path, f"policy id {doc.id!r} is also defined in {originals[doc.id].source.path}", 1)
        originals[doc.id] = doc
    for pf in translations:
        target = str(pf.meta["translation_of"])
        found = originals.get(target) or (existing or {}).get(target)
        if found is None:
            raise IngestError(pf.source.path, f"translation_of {target!r}: no such policy among the files or in the store",
                              pf.line_of("translation_of"))
        if target not in originals:
            found = found.model_copy(deep=True)
            originals[target] = found
        _merge_translation(found, pf)

    # corpus-wide checks
    owner: dict[str, str] = {}
    for doc in originals.values():
        for r in doc.rules():
            if r.id in owner and owner[r.id] != doc.id:
                raise IngestError(doc.source.path, f"duplicate rule id {r.id}: also defined in policy {owner[r.id]}",
                                  r.span.line if r.span else None)
            owner[r.id] = doc.id
    # rule ids are unique across the corpus: a new file may not take over a stored policy's rule
    # (a rule may move between policies only when its old policy is revised in the same batch)
    for stored in (existing or {}).values():
        if stored.id in originals:
            continue
        for r in stored.rules():
            if r.id in owner:
                doc = originals[owner[r.id]]
                mine = next(x for x in doc.rules() if x.id == r.id)
                raise IngestError(doc.source.path, f"duplicate rule id {r.id}: already stored under policy {stored.id} "
                                  f"({stored.source.path})", mine.span.line if mine.span else None)
    all_rules = set(owner) | set(known_rule_ids)
    all_policies = set(originals) | set(known_policy_ids)
    for doc in originals.values():
        for r in doc.rules():
            line = r.span.line if r.span else None
            for key in ("exception_to", "overrides"):
                for target in getattr(r, key):
                    if target not in all_rules:
                        raise IngestError(doc.source.path, f"rule {r.id}: {key} points at {target}, which does not exist", line)
            r.refers_to = [t for t in r.refers_to if t in all_rules or t in all_policies]
            for t in r.refers_to:
                if not (RULE_ID_RE.match(t) or t in all_policies):
                    raise IngestError(doc.source.path, f"rule {r.id}: refers_to {t!r} is neither a rule nor a policy", line)
    return list(originals.values())
