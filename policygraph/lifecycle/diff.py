"""Rule-level diff between two versions of a policy, and conflict checks against the corpus.

Rules are matched by id first. Rules left over on both sides (ids that vanished and ids that appeared)
are paired by text similarity: a pair above `RENAME_THRESHOLD` is the same rule under a new id
("renamed" — with the generic parser, whose ids hash the text, every edited rule is one). Similarity
is word-level (difflib ratio over lower-cased words), candidates pre-filtered by word-set overlap, so a
300-rule document diffs in well under a second and the result does not depend on the embedder.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from policygraph.graph_model import jurisdiction_matches
from policygraph.lifecycle.models import CHANGE_KINDS, Conflict, DiffReport, FieldChange, RuleChange
from policygraph.models import PolicyDocument, RuleDoc

#: a vanished id and a new id whose texts are at least this similar are one renamed rule
RENAME_THRESHOLD = 0.6
#: two rules whose texts are at least this similar are near-duplicates (or contradictions)
CONFLICT_THRESHOLD = 0.85
META_FIELDS = ("kind", "severity", "actions", "jurisdictions", "category", "exception_to", "overrides", "refers_to",
               "signals", "satisfied_by")
_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def similarity(a: list[str], b: list[str]) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def _primary(r: RuleDoc) -> str:
    return r.text.get(r.language) or next(iter(r.text.values()), "")


def _meta(r: RuleDoc, field: str):
    v = getattr(r, field)
    if field in ("actions", "jurisdictions", "exception_to", "overrides", "refers_to"):
        return sorted(v)
    if field in ("signals", "satisfied_by"):
        return sorted(f"{m.label} ≥ {m.min_score:g}{' (applies)' if m.applies else ''}" for m in v)
    return getattr(v, "value", v)


def word_diff(old: str, new: str, width: int = 400) -> str:
    """`[-removed-] {+added+}` over words, with a little context, shortened to about `width` chars."""
    a, b = old.split(), new.split()
    out: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            chunk = a[i1:i2]
            out.append(" ".join(chunk) if len(chunk) <= 8 else f"{' '.join(chunk[:3])} … {' '.join(chunk[-3:])}")
        else:
            if i2 > i1:
                out.append(f"[-{' '.join(a[i1:i2])}-]")
            if j2 > j1:
                out.append(f"{{+{' '.join(b[j1:j2])}+}}")
    s = " ".join(out)
    return s if len(s) <= width else s[: width - 1] + "…"


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _compare(old: RuleDoc, new: RuleDoc, old_sections: dict[str, str], new_sections: dict[str, str]) -> RuleChange | None:
    kinds: list[str] = []
    meta = [FieldChange(field=f, old=_meta(old, f), new=_meta(new, f)) for f in META_FIELDS
            if _meta(old, f) != _meta(new, f)]
    langs = sorted(lg for lg in set(old.text) | set(new.text)
                   if old.text.get(lg) != new.text.get(lg) or old.titles.get(lg) != new.titles.get(lg))
    if langs:
        kinds.append("text_changed")
    if meta:
        kinds.append("metadata_changed")
    if old.section_id != new.section_id:
        kinds.append("moved")
    if not kinds:
        return None
    return RuleChange(
        rule_id=new.id, kinds=kinds, title=new.title, section=new_sections.get(new.section_id, new.section_id),
        old_section=old_sections.get(old.section_id, old.section_id) if "moved" in kinds else None,
        metadata=meta, languages_changed=langs,
        text_diff=word_diff(_primary(old), _primary(new)) if _primary(old) != _primary(new) else "",
    )


def match_renames(gone: list[RuleDoc], new: list[RuleDoc], threshold: float = RENAME_THRESHOLD) -> list[tuple[RuleDoc, RuleDoc, float]]:
    """Greedy one-to-one pairing of vanished and new rules by text similarity (best pairs first)."""
    gw = [words(_primary(r)) for r in gone]
    nw = [words(_primary(r)) for r in new]
    gs, ns = [set(w) for w in gw], [set(w) for w in nw]
    cands: list[tuple[float, int, int]] = []
    for i in range(len(gone)):
        for j in range(len(new)):
            # ratio <= 2*min/(len sum): skip pairs that cannot reach the threshold, then by word overlap
            la, lb = len(gw[i]), len(nw[j])
            if la + lb and 2 * min(la, lb) / (la + lb) < threshold:
                continue
            if _jaccard(gs[i], ns[j]) < threshold / 2:
                continue
            s = similarity(gw[i], nw[j])
            if s >= threshold:
                cands.append((s, i, j))
    cands.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_g: set[int] = set()
    used_n: set[int] = set()
    out = []
    for s, i, j in cands:
        if i in used_g or j in used_n:
            continue
        used_g.add(i)
        used_n.add(j)
        out.append((gone[i], new[j], round(s, 3)))
    return out


def diff_documents(old: PolicyDocument | None, new: PolicyDocument) -> DiffReport:
    """The rule-level diff from `old` (the current version; None for a new policy) to `new`."""
    report = DiffReport(policy_id=new.id, title=new.title, version=new.version,
                        base_version=old.version if old else None,
                        base_effective_from=old.effective_from if old else None,
                        effective_from=new.effective_from, effective_to=new.effective_to,
                        document_sha256=new.source.sha256)
    new_sections = {s.id: s.title for s in new.sections}
    changes: list[RuleChange] = []
    if old is None:
        changes = [RuleChange(rule_id=r.id, kinds=["added"], title=r.title, section=new_sections.get(r.section_id, ""),
                              text=_short(_primary(r))) for r in new.rules()]
        unchanged = 0
    else:
        old_sections = {s.id: s.title for s in old.sections}
        old_rules = {r.id: r for r in old.rules()}
        new_rules = {r.id: r for r in new.rules()}
        unchanged = 0
        for rid, r in new_rules.items():
            if rid in old_rules:
                c = _compare(old_rules[rid], r, old_sections, new_sections)
                if c is None:
                    unchanged += 1
                else:
                    changes.append(c)
        gone = [r for rid, r in old_rules.items() if rid not in new_rules]
        fresh = [r for rid, r in new_rules.items() if rid not in old_rules]
        paired_old: set[str] = set()
        paired_new: set[str] = set()
        for o, n, s in match_renames(gone, fresh):
            c = _compare(o, n, old_sections, new_sections)
            kinds = ["renamed"] + (c.kinds if c else [])
            changes.append(RuleChange(
                rule_id=n.id, old_rule_id=o.id, similarity=s, kinds=kinds, title=n.title,
                section=new_sections.get(n.section_id, ""), old_section=c.old_section if c else None,
                metadata=c.metadata if c else [], languages_changed=c.languages_changed if c else [],
                text_diff=c.text_diff if c else ""))
            paired_old.add(o.id)
            paired_new.add(n.id)
        for r in fresh:
            if r.id not in paired_new:
                changes.append(RuleChange(rule_id=r.id, kinds=["added"], title=r.title,
                                          section=new_sections.get(r.section_id, ""), text=_short(_primary(r))))
        for r in gone:
            if r.id not in paired_old:
                changes.append(RuleChange(rule_id=r.id, kinds=["removed"], title=r.title,
                                          section=old_sections.get(r.section_id, ""), text=_short(_primary(r))))
        report.policy_changes = _policy_changes(old, new)
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    changes.sort(key=lambda c: (order[c.kinds[0]], c.section, c.rule_id))
    report.changes = changes
    report.counts = {k: sum(k in c.kinds for c in changes) for k in CHANGE_KINDS} | {"unchanged": unchanged}
    report.unchanged = old is not None and not changes and not report.policy_changes
    return report


def _policy_changes(old: PolicyDocument, new: PolicyDocument) -> list[FieldChange]:
    out = []
    for f in ("title", "category", "jurisdictions", "languages", "effective_to"):
        a, b = getattr(old, f), getattr(new, f)
        a, b = getattr(a, "value", a), getattr(b, "value", b)
        if f in ("jurisdictions", "languages"):
            a, b = sorted(a), sorted(b)
        if a != b:
            out.append(FieldChange(field=f, old=a, new=b))
    if old.effective_from != new.effective_from and new.effective_from is not None:
        out.append(FieldChange(field="effective_from", old=old.effective_from, new=new.effective_from))
    ot = {t.id: t for t in old.definitions}
    nt = {t.id: t for t in new.definitions}
    for label, ids in (("definitions_added", sorted(set(nt) - set(ot))), ("definitions_removed", sorted(set(ot) - set(nt)))):
        if ids:
            out.append(FieldChange(field=label, new=ids))
    changed = sorted(k for k in set(ot) & set(nt) if ot[k].model_dump() != nt[k].model_dump())
    if changed:
        out.append(FieldChange(field="definitions_changed", new=changed))
    oe, ne = {e.id for e in old.examples}, {e.id for e in new.examples}
    if ne - oe:
        out.append(FieldChange(field="examples_added", new=len(ne - oe)))
    if oe - ne:
        out.append(FieldChange(field="examples_removed", new=len(oe - ne)))
    if old.preamble.strip() != new.preamble.strip():
        out.append(FieldChange(field="preamble", new="changed"))
    return out


# --------------------------------------------------------------------------- conflicts


def _related(a: RuleDoc, b: RuleDoc) -> bool:
    """Declared relations make a near-identical pair intended (a regional override, an exception)."""
    return (b.id in a.exception_to or a.id in b.exception_to or b.id in a.overrides or a.id in b.overrides)


def _overlap(a: RuleDoc, b: RuleDoc) -> bool:
    return any(jurisdiction_matches(list(b.jurisdictions), j) for j in a.jurisdictions) or \
        any(jurisdiction_matches(list(a.jurisdictions), j) for j in b.jurisdictions)


def find_conflicts(doc: PolicyDocument, check: Iterable[str], others: Iterable[PolicyDocument],
                   threshold: float = CONFLICT_THRESHOLD, limit: int = 200) -> list[Conflict]:
    """Rules of `doc` named in `check` (the added and changed ones) against every other rule of `doc`
    and the current rules of the other policies: near-identical text (same language) with the same
    kind and actions is a near-duplicate; with a different kind or actions (and overlapping
    jurisdictions) a contradiction."""
    check = set(check)
    mine = [r for r in doc.rules() if r.id in check]
    pool: list[tuple[str, RuleDoc]] = [(doc.id, r) for r in doc.rules()]
    for other in others:
        if other.id != doc.id:
            pool.extend((other.id, r) for r in other.rules())
    pw = [(pid, r, words(_primary(r))) for pid, r in pool]
    pset = [set(w) for _, _, w in pw]
    out: list[Conflict] = []
    seen: set[frozenset] = set()
    for r in mine:
        rw = words(_primary(r))
        rs = set(rw)
        for (pid, o, ow), os_ in zip(pw, pset, strict=True):
            if o.id == r.id or o.language != r.language or _related(r, o):
                continue
            key = frozenset((r.id, o.id))
            if key in seen:
                continue
            la, lb = len(rw), len(ow)
            if la + lb == 0 or 2 * min(la, lb) / (la + lb) < threshold or _jaccard(rs, os_) < threshold * 0.8:
                continue
            s = similarity(rw, ow)
            if s < threshold:
                continue
            seen.add(key)
            diffs = []
            if r.kind != o.kind:
                diffs.append(f"kind {r.kind} vs {o.kind}")
            if sorted(r.actions) != sorted(o.actions):
                diffs.append(f"actions {sorted(r.actions)} vs {sorted(o.actions)}")
            contradiction = bool(diffs) and _overlap(r, o)
            if diffs and not contradiction:
                continue  # different treatment for disjoint jurisdictions is a regional variant
            out.append(Conflict(
                kind="contradiction" if contradiction else "near_duplicate",
                scope="within" if pid == doc.id else "across", rule_id=r.id, other_rule_id=o.id,
                other_policy_id=pid, similarity=round(s, 3),
                detail="; ".join(diffs) if diffs else "same kind and actions: one of them is redundant"))
            if len(out) >= limit:
                return out
    out.sort(key=lambda c: (c.kind != "contradiction", -c.similarity, c.rule_id))
    return out


# --------------------------------------------------------------------------- rendering


def render_text(report: DiffReport, max_items: int = 40) -> str:
    """The report an author reads in a terminal."""
    lines = []
    base = f"v{report.base_version}" if report.base_version else "(new policy)"
    eff = report.effective_from.isoformat() if report.effective_from else "the day it is published"
    lines.append(f"{report.policy_id}: {base} → v{report.version}  ({report.title}; effective {eff})")
    if report.unchanged:
        lines.append("no changes: the document is the same as the current version")
        return "\n".join(lines)
    c = report.counts
    lines.append("rules: " + ", ".join(f"{c.get(k, 0)} {k.replace('_', ' ')}" for k in (*CHANGE_KINDS, "unchanged")))
    for pc in report.policy_changes:
        lines.append(f"policy {pc.field}: {_fmt(pc.old)} → {_fmt(pc.new)}" if pc.old is not None
                     else f"policy {pc.field}: {_fmt(pc.new)}")
    for w in report.warnings:
        lines.append(f"warning: {w}")
    shown = 0
    for ch in report.changes:
        if shown >= max_items:
            lines.append(f"… and {len(report.changes) - shown} more changes (use --json for all)")
            break
        shown += 1
        head = ch.kinds[0].upper().replace("_", " ")
        if "renamed" in ch.kinds:
            lines.append(f"\n{head} {ch.old_rule_id} → {ch.rule_id} (text similarity {ch.similarity:.2f})  {ch.title}")
        else:
            lines.append(f"\n{head:<16} {ch.rule_id}  {ch.title}")
        extra = [k.replace("_", " ") for k in ch.kinds[1:]]
        if extra:
            lines.append(f"  also: {', '.join(extra)}")
        if "moved" in ch.kinds:
            lines.append(f"  section: {ch.old_section} → {ch.section}")
        for m in ch.metadata:
            lines.append(f"  {m.field}: {_fmt(m.old)} → {_fmt(m.new)}")
        if ch.languages_changed and "text_changed" in ch.kinds:
            lines.append(f"  text changed in: {', '.join(ch.languages_changed)}")
        if ch.text_diff:
            lines.append(f"  {ch.text_diff}")
        if ch.text:
            lines.append(f"  \"{ch.text}\"")
    if report.conflicts:
        lines.append(f"\nconflicts: {sum(x.kind == 'contradiction' for x in report.conflicts)} contradictions, "
                     f"{sum(x.kind == 'near_duplicate' for x in report.conflicts)} near-duplicates")
        for x in report.conflicts[:max_items]:
            where = "same policy" if x.scope == "within" else f"policy {x.other_policy_id}"
            lines.append(f"  {x.kind.upper()}: {x.rule_id} ~ {x.other_rule_id} ({where}, similarity {x.similarity:.2f}): {x.detail}")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(map(str, v)) + "]"
    return str(v)
