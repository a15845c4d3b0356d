"""The lifecycle of a policy: draft → diff → evaluate → publish, history, rollback, audit.

State on disk, next to the engine's stores (`<data_dir>/v1/`):

* `lifecycle/drafts/<draft id>.json` — a draft: the parsed document, its diff against the version it
  was drafted from, who and when. Drafts are never in the graph or the vector index, so `ask` and the
  API's readers cannot see them.
* `documents/<policy>/v<N>.json` — every published version (the engine's own store, kept forever).
* `lifecycle/audit.jsonl` — append-only audit log (policygraph/audit.py).
* `lifecycle/publishing.json` — the publish journal: present only while a publish runs.

**Publishing** is the engine's versioned write (`Engine.ingest_documents`): the graph write is the
commit point (networkx: one flushed line appended to graph.log; Neo4j: one transaction). The journal is
written first; if the process dies, the next `Engine` start calls `recover_interrupted_publish`:
when the graph holds the new version the publish is completed (vector index repaired by the
engine's `_repair_vectors`, the version's document file written, the draft marked published);
otherwise nothing of it is visible, the previous version still serves, and the draft stays pending.
Either way the audit log says what happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from policygraph import audit
from policygraph.engine import Engine
from policygraph.errors import IngestError, LifecycleError, NotFound, StoreError
from policygraph.graph_model import policy_node_id, rule_passage
from policygraph.ingest import pipeline
from policygraph.ingest.reader import SourceFile
from policygraph.lifecycle.diff import diff_documents, find_conflicts, render_text
from policygraph.lifecycle.models import (
    DiffReport,
    Draft,
    EvaluationReport,
    History,
    ImpactItem,
    PublishReport,
    VersionInfo,
)
from policygraph.models import AuditEntry, ContentQuery, PolicyDocument
from policygraph.retrieval import Retriever
from policygraph.settings import Settings
from policygraph.stores.files import damage, read_stored
from policygraph.stores.networkx_store import atomic_write_bytes

log = logging.getLogger(__name__)


class ImpactProbe(Protocol):
    """One piece of content a draft's impact is measured on (a dev-set item, `policygraph/eval/devset`):
    the rules it should bring up when `expect` is "applies"."""

    @property
    def id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def language(self) -> str | None: ...
    @property
    def jurisdiction(self) -> str | None: ...
    @property
    def rule_ids(self) -> list[str]: ...
    @property
    def expect(self) -> str: ...


def content_hash(doc: PolicyDocument) -> str:
    """What a document says, without where it came from: version, status, source, spans and the
    effective dates left out (re-uploading the same text is recognised as unchanged)."""
    d = doc.model_dump(mode="json", exclude={"version", "status", "source", "translations", "effective_from",
                                             "effective_to"})
    for s in d["sections"]:
        for r in s["rules"]:
            r.pop("span", None)
    return hashlib.sha256(json.dumps(d, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _today() -> dt.date:
    return dt.date.today()


class Lifecycle:
    def __init__(self, engine: Engine, *, read_gate: Callable[[], AbstractContextManager] | None = None) -> None:
        if engine.in_memory or engine.docs_dir is None:
            raise LifecycleError("the policy lifecycle needs an on-disk data directory")
        self.engine = engine
        self.dir = engine.root / "lifecycle"
        self.drafts_dir = self.dir / "drafts"
        self.read_gate = read_gate or contextlib.nullcontext

    # ------------------------------------------------------------------ versions on disk
    @property
    def _docs_dir(self) -> Path:
        docs_dir = self.engine.docs_dir
        assert docs_dir is not None  # __init__ refuses an engine without one
        return docs_dir

    def scan_versions(self, policy_id: str) -> tuple[list[PolicyDocument], list[str]]:
        """The stored versions of a policy that can be read, and the files that cannot (damaged)."""
        pdir = self._docs_dir / policy_id
        if not pdir.exists():
            return [], []
        docs, damaged = [], []
        for f in sorted(pdir.glob("v*.json"), key=lambda p: int(p.stem[1:]) if p.stem[1:].isdigit() else -1):
            try:
                docs.append(read_stored(f, PolicyDocument))
            except StoreError as exc:
                damaged.append(str(exc))
        return docs, damaged

    def versions(self, policy_id: str) -> list[PolicyDocument]:
        docs, damaged = self.scan_versions(policy_id)
        if damaged:
            raise StoreError(damaged[0])
        return docs

    def version(self, policy_id: str, version: int) -> PolicyDocument:
        f = self._docs_dir / policy_id / f"v{version}.json"
        if not f.exists():
            raise NotFound(f"policy {policy_id} has no version {version}")
        return read_stored(f, PolicyDocument)

    # ------------------------------------------------------------------ parsing an upload
    def parse(self, paths: Iterable[str | Path] = (), *, sources: list[SourceFile] | None = None,
              policy_id: str | None = None) -> list[PolicyDocument]:
        """Parse and validate documents as `ingest` would (`policygraph/ingest/pipeline.py`). With
        `policy_id`, documents without PolicyGraph markup (Markdown, text, HTML) are parsed as a
        version of that policy."""
        eng = self.engine
        if sources is None:
            sources = pipeline.read_sources(paths, eng.settings.max_file_bytes)
        with self.read_gate():
            stored, catalog = eng.stored_documents(), eng.catalog
        docs = pipeline.parse(eng, sources, policy_id=policy_id, stored=stored, known_rules=set(catalog.by_rule_id))
        ids = [d.id for d in docs]
        if len(set(ids)) != len(ids):
            raise IngestError(docs[0].source.path, "several documents are versions of the same policy: draft them one at a time")
        return docs

    # ------------------------------------------------------------------ diff
    def _prepare(self, doc: PolicyDocument, base: PolicyDocument | None, effective_from: dt.date | None,
                 effective_to: dt.date | None, backfill: bool = False) -> tuple[PolicyDocument, list[str]]:
        """The document as it would be drafted, and notes on what was decided about it. A new version of
        a stored policy starts when it is published unless the author asks for a later date: a past
        `effective_from` that the file itself carries (typically the current version's, copied with the
        text) is dropped, with a note; one asked for explicitly is refused in `_date_warnings`."""
        doc = doc.model_copy(deep=True)
        notes = []
        if base is not None and doc.version <= base.version:
            doc.version = base.version + 1
        if effective_from is not None:
            doc.effective_from = effective_from
        elif base is not None and doc.effective_from is not None and doc.effective_from < _today() and not backfill:
            notes.append(f"the document's effective_from {doc.effective_from} is in the past and was not used: "
                         "this version is in force from the moment it is published")
            doc.effective_from = None
        if effective_to is not None:
            doc.effective_to = effective_to
        if doc.effective_to is not None and doc.effective_to <= (doc.effective_from or _today()):
            raise LifecycleError(f"policy {doc.id}: effective_to {doc.effective_to} is not after the version's "
                                 f"start ({doc.effective_from or 'the day it is published'})")
        doc.status = "published"
        return doc, notes

    def diff_document(self, doc: PolicyDocument, *, effective_from: dt.date | None = None,
                      effective_to: dt.date | None = None, backfill: bool = False
                      ) -> tuple[PolicyDocument, DiffReport]:
        """The document as it would be drafted (version numbered after the current one) and its diff
        against the current version, with conflict checks and date warnings. Writes nothing."""
        with self.read_gate():
            stored = self.engine.stored_documents()
        base = stored.get(doc.id)
        doc, notes = self._prepare(doc, base, effective_from, effective_to, backfill)
        if base is not None and content_hash(base) == content_hash(doc) and \
                doc.effective_from in (None, base.effective_from) and doc.effective_to in (None, base.effective_to):
            rep = diff_documents(base, doc)
            rep.unchanged, rep.version = True, base.version
            return doc, rep
        rep = diff_documents(base, doc)
        check = [c.rule_id for c in rep.changes if "removed" not in c.kinds]
        rep.conflicts = find_conflicts(doc, check, stored.values())
        rep.warnings = notes + self._date_warnings(doc.id, doc.effective_from, base, backfill=backfill)
        if base is not None and doc.version != base.version + 1:
            rep.warnings.append(f"version {doc.version} skips numbers after the current version {base.version}")
        return doc, rep

    def diff(self, paths: Iterable[str | Path] = (), *, sources: list[SourceFile] | None = None,
             policy_id: str | None = None, effective_from: dt.date | None = None,
             effective_to: dt.date | None = None) -> list[DiffReport]:
        return [self.diff_document(d, effective_from=effective_from, effective_to=effective_to)[1]
                for d in self.parse(paths, sources=sources, policy_id=policy_id)]

    def _date_warnings(self, policy_id: str, eff: dt.date | None, base: PolicyDocument | None,
                       raise_errors: bool = True, backfill: bool = False) -> list[str]:
        """Refuses a start date in the past: a publish never changes what any past date answers (the
        answers already given stay true). Warns about scheduled versions it cancels."""
        if base is None:
            return []
        today = _today()
        start = eff or today
        out = []
        versions = self.versions(policy_id)
        if start < today and backfill:
            out.append(f"backfill: in force from {start}; answers for dates from {start} on change when published")
        elif start < today and raise_errors:
            raise LifecycleError(f"policy {policy_id}: effective_from {start} is before today ({today}): a publish "
                                 "never changes what a past date answers; choose today or a later date, or leave it "
                                 "out (in force from the moment it is published)")
        for v in versions:
            if v.effective_from and v.effective_from > today and v.effective_from >= start:
                out.append(f"version {v.version}, scheduled from {v.effective_from}, will never be in force: "
                           f"this one replaces it from {start}")
        if eff is None:
            out.append("no effective date: in force from the day it is published")
        elif start > today:
            out.append(f"scheduled: served from {start}; the current version serves until then")
        return out

    # ------------------------------------------------------------------ drafts
    def _draft_path(self, draft_id: str) -> Path:
        if not draft_id or "/" in draft_id or draft_id.startswith(".") or len(draft_id) > 200:
            raise NotFound(f"no draft {draft_id!r}")
        return self.drafts_dir / f"{draft_id}.json"

    def load_draft(self, draft_id: str) -> tuple[Draft, PolicyDocument]:
        p = self._draft_path(draft_id)
        if not p.exists():
            raise NotFound(f"no draft {draft_id!r}")
        data = read_stored(p)
        try:
            return Draft.model_validate(data["draft"]), PolicyDocument.model_validate(data["document"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(damage(p, exc)) from None

    def save_draft(self, draft: Draft, doc: PolicyDocument) -> None:
        payload = {"draft": draft.model_dump(mode="json"), "document": doc.model_dump(mode="json")}
        atomic_write_bytes(self._draft_path(draft.id), json.dumps(payload, ensure_ascii=False, indent=1).encode())

    def drafts(self, policy_id: str | None = None, status: str | None = None) -> list[Draft]:
        return self.scan_drafts(policy_id, status)[0]

    def scan_drafts(self, policy_id: str | None = None, status: str | None = None) -> tuple[list[Draft], list[str]]:
        """The drafts that can be read (filtered), and the draft files that cannot (damaged)."""
        if not self.drafts_dir.exists():
            return [], []
        out, damaged = [], []
        for f in sorted(self.drafts_dir.glob("*.json")):
            try:
                data = read_stored(f)
                d = Draft.model_validate(data["draft"])
            except StoreError as exc:
                damaged.append(str(exc))
                continue
            except (KeyError, TypeError, ValueError) as exc:
                damaged.append(damage(f, exc))
                continue
            if (policy_id is None or d.policy_id == policy_id) and (status is None or d.status == status):
                out.append(d)
        return sorted(out, key=lambda d: d.created_at), damaged

    def create_draft(self, doc: PolicyDocument, *, author: str | None = None,
                     effective_from: dt.date | None = None, effective_to: dt.date | None = None,
                     kind: str = "revision", rollback_of: int | None = None,
                     backfill: bool = False) -> tuple[Draft | None, DiffReport]:
        """Store `doc` as a draft of the next version and return it with its diff. An unchanged
        document stores nothing: (None, the diff with `unchanged` set). The draft's texts are embedded
        now (into the embedding cache), so publishing it later is quick."""
        doc, rep = self.diff_document(doc, effective_from=effective_from, effective_to=effective_to, backfill=backfill)
        if rep.unchanged:
            return None, rep
        chash = content_hash(doc)
        eff = doc.effective_from.isoformat() if doc.effective_from else "onpublish"
        draft_id = f"{doc.id}-v{doc.version}-{hashlib.sha1(f'{chash}|{eff}|{kind}'.encode()).hexdigest()[:8]}"
        if self._draft_path(draft_id).exists():
            existing, _ = self.load_draft(draft_id)
            if existing.status == "pending":
                return existing, existing.diff
        author = author or audit.default_actor()
        misses = self.engine.embedder.misses
        try:  # warm the embedding cache outside any write phase
            passages = [rule_passage(r, lg) for r in doc.rules() for lg in r.text]
            if passages:
                self.engine.embedder.embed_passages(passages)
            if doc.examples:
                self.engine.embedder.embed_queries([e.text for e in doc.examples])
        except Exception:
            log.warning("pre-embedding the draft failed; publish will embed it", exc_info=True)
        draft = Draft(id=draft_id, policy_id=doc.id, version=doc.version, base_version=rep.base_version,
                      author=author, created_at=audit.now(), source=doc.source.path,
                      document_sha256=doc.source.sha256, content_hash=chash, kind=kind, rollback_of=rollback_of,
                      texts_embedded=self.engine.embedder.misses - misses, diff=rep, backfill=backfill)
        self.save_draft(draft, doc)
        audit.append(self.engine.root, AuditEntry(
            ts=draft.created_at, actor=author, action="draft" if kind == "revision" else "rollback_draft",
            policy_id=doc.id, version=doc.version, draft_id=draft_id, document_sha256=doc.source.sha256,
            source=doc.source.path, detail={"base_version": rep.base_version, "counts": rep.counts,
                                            "conflicts": len(rep.conflicts)}))
        return draft, rep

    def draft(self, paths: Iterable[str | Path] = (), *, sources: list[SourceFile] | None = None,
              policy_id: str | None = None, author: str | None = None, effective_from: dt.date | None = None,
              effective_to: dt.date | None = None, backfill: bool = False) -> list[tuple[Draft | None, DiffReport]]:
        """Draft each document as the next version of its policy. `backfill`: importing a policy's earlier
        history — the document's own (past) start date is kept, and answers for dates from it on change."""
        docs = self.parse(paths, sources=sources, policy_id=policy_id)
        return [self.create_draft(d, author=author, effective_from=effective_from, effective_to=effective_to,
                                  backfill=backfill) for d in docs]

    def discard(self, draft_id: str, author: str | None = None) -> Draft:
        with self.engine.transaction():
            draft, doc = self.load_draft(draft_id)
            if draft.status != "pending":
                raise LifecycleError(f"draft {draft_id} is {draft.status}, not pending")
            draft.status = "discarded"
            self.save_draft(draft, doc)
        audit.append(self.engine.root, AuditEntry(ts=audit.now(), actor=author or audit.default_actor(),
                                                  action="discard", policy_id=draft.policy_id,
                                                  version=draft.version, draft_id=draft_id,
                                                  document_sha256=draft.document_sha256))
        return draft

    # ------------------------------------------------------------------ publish
    def _journal(self) -> Path:
        return self.dir / "publishing.json"

    def publish(self, draft_id: str, *, author: str | None = None) -> PublishReport:
        """Make the draft the new version, atomically (see the module doc). Refuses a draft whose base
        is no longer the current version (someone published meanwhile): draft it again."""
        eng = self.engine
        author = author or audit.default_actor()
        t0 = time.perf_counter()
        with eng.transaction():
            draft, doc = self.load_draft(draft_id)
            if draft.status != "pending":
                raise LifecycleError(f"draft {draft_id} is {draft.status}, not pending")
            current = eng.stored_documents().get(draft.policy_id)
            cur_v = current.version if current else None
            if cur_v != draft.base_version:
                raise LifecycleError(f"draft {draft_id} was made against version {draft.base_version} of "
                                     f"{draft.policy_id}, but version {cur_v} is current now: draft it again")
            pub = self._publishable(draft, doc, current)
            renames = {c.rule_id: c.old_rule_id for c in draft.diff.changes if "renamed" in c.kinds and c.old_rule_id}
            action = "rollback" if draft.kind == "rollback" else "publish"
            journal = {"draft_id": draft_id, "policy_id": draft.policy_id, "version": pub.version,
                       "base_version": cur_v, "effective_from": pub.effective_from.isoformat() if pub.effective_from else None,
                       "actor": author, "action": action, "started": audit.now()}
            atomic_write_bytes(self._journal(), json.dumps(journal).encode())
            audit.append(eng.root, AuditEntry(ts=journal["started"], actor=author, action=f"{action}_started",
                                              policy_id=draft.policy_id, version=pub.version, draft_id=draft_id,
                                              document_sha256=pub.source.sha256,
                                              detail={"from_version": cur_v}))
            misses = eng.embedder.misses
            try:
                rep = eng.ingest_documents([pub], supersedes=renames, audit_context={
                    "actor": author, "action": action, "draft_id": draft_id, "from_version": cur_v,
                    "counts": draft.diff.counts, **({"rollback_of": draft.rollback_of} if draft.rollback_of else {})})
            except BaseException as exc:
                audit.append(eng.root, AuditEntry(ts=audit.now(), actor=author, action=f"{action}_failed",
                                                  policy_id=draft.policy_id, version=pub.version, draft_id=draft_id,
                                                  document_sha256=pub.source.sha256,
                                                  detail={"error": str(exc)[:500], "serving_version": cur_v}))
                self._journal().unlink(missing_ok=True)
                raise
            draft.status, draft.published_at, draft.published_by = "published", audit.now(), author
            self.save_draft(draft, doc)
            self._journal().unlink(missing_ok=True)
        changed = sum(v for k, v in draft.diff.counts.items() if k != "unchanged")
        return PublishReport(draft_id=draft_id, policy_id=draft.policy_id, version=pub.version,
                             effective_from=pub.effective_from or _today(), rules_written=rep.rules_written,
                             rules_changed=changed, vectors_embedded=eng.embedder.misses - misses,
                             seconds=time.perf_counter() - t0, noop=rep.noop)

    def _publishable(self, draft: Draft, doc: PolicyDocument, current: PolicyDocument | None) -> PolicyDocument:
        pub = doc.model_copy(deep=True)
        pub.status = "published"
        if current is not None and (pub.effective_from is None or pub.effective_from < _today()) and not draft.backfill:
            # the publish moment; a date asked for at draft time that has passed since is not back-dated
            pub.effective_from = _today()
        self._date_warnings(pub.id, pub.effective_from, current, backfill=draft.backfill)
        return pub

    def rollback(self, policy_id: str, to_version: int, *, author: str | None = None,
                 effective_from: dt.date | None = None) -> tuple[Draft, PublishReport]:
        """Publish version `to_version` again, as a new version (nothing is lost: the versions in
        between stay in the history)."""
        draft = self.rollback_draft(policy_id, to_version, author=author, effective_from=effective_from)
        return draft, self.publish(draft.id, author=author)

    def rollback_draft(self, policy_id: str, to_version: int, *, author: str | None = None,
                       effective_from: dt.date | None = None) -> Draft:
        """The draft of a rollback (the text of `to_version` as the next version), not yet published."""
        with self.read_gate():
            current = self.engine.stored_documents().get(policy_id)
        if current is None:
            raise NotFound(f"no policy {policy_id}")
        if to_version == current.version:
            raise LifecycleError(f"version {to_version} of {policy_id} is already the current version")
        old = self.version(policy_id, to_version)
        doc = old.model_copy(deep=True)
        doc.version = current.version + 1
        doc.effective_from = None
        doc.effective_to = None
        draft, _ = self.create_draft(doc, author=author, effective_from=effective_from, kind="rollback",
                                       rollback_of=to_version)
        if draft is None:
            raise LifecycleError(f"version {to_version} of {policy_id} says the same as the current version {current.version}")
        return draft

    # ------------------------------------------------------------------ history and audit
    def history(self, policy_id: str) -> History:
        versions, damaged = self.scan_versions(policy_id)
        if not versions and not damaged:
            raise NotFound(f"no policy {policy_id}")
        if not versions:
            raise StoreError(damaged[0])
        published: dict[int, AuditEntry] = {}
        for e in audit.read(self.engine.root, policy_id):
            if e.action in ("publish", "rollback", "ingest", "publish_recovered", "rollback_recovered") and e.version:
                published[e.version] = e
        today = _today()
        out = []
        for i, v in enumerate(versions):
            start = v.effective_from
            ends = [w.effective_from or today for w in versions[i + 1:]]
            if v.effective_to:
                ends.append(v.effective_to)
            end = min(ends) if ends else None
            s = start or dt.date.min
            if end is not None and end <= s:
                state = "never_in_force"
            elif s > today:
                state = "scheduled"
            elif end is not None and end <= today:
                state = "superseded"
            else:
                state = "in_force"
            entry = published.get(v.version)
            note = ""
            if entry and entry.detail.get("rollback_of"):
                note = f"rollback to version {entry.detail['rollback_of']}"
            out.append(VersionInfo(version=v.version, effective_from=start, effective_to=end, state=state,
                                   rules=len(v.rules()), source=v.source.path, document_sha256=v.source.sha256,
                                   published_at=entry.ts if entry else None, published_by=entry.actor if entry else None,
                                   draft_id=entry.draft_id if entry else None, note=note))
        return History(policy_id=policy_id, title=versions[-1].title, versions=out, damaged=damaged)

    def audit_log(self, policy_id: str | None = None, limit: int | None = None) -> list[AuditEntry]:
        return audit.read(self.engine.root, policy_id, limit)

    # ------------------------------------------------------------------ evaluate a draft
    def shadow_engine(self, docs: list[PolicyDocument], supersedes: dict[str, str] | None = None) -> Engine:
        """An in-memory copy of the live engine with `docs` published into it (nothing on disk
        changes). Vectors come from the live index and the shared embedding cache."""
        with self.read_gate():
            shadow = self.engine.in_memory_copy()
        if docs:
            shadow.ingest_documents(docs, supersedes=supersedes)
        return shadow

    def evaluate(self, draft_id: str, items: Sequence[ImpactProbe], *, at: dt.date | None = None
                 ) -> EvaluationReport:
        """Runs `items` (the dev set, `policygraph/eval/devset`, given by the caller) against the current
        corpus and against the corpus with the draft published, at the draft's effective date; lists the
        content whose applicable rules (rule id and verdict, `not_applicable` left out) change."""
        t0 = time.perf_counter()
        draft, doc = self.load_draft(draft_id)
        with self.read_gate():
            current = self.engine.stored_documents().get(draft.policy_id)
        pub = doc.model_copy(deep=True)
        pub.status = "published"
        if pub.effective_from is None and current is not None:
            pub.effective_from = _today()
        when = at or max(pub.effective_from or _today(), _today())
        renames = {c.rule_id: c.old_rule_id for c in draft.diff.changes if "renamed" in c.kinds and c.old_rule_id}
        shadow = self.shadow_engine([pub], renames)
        live = Retriever(self.engine, cache_queries=True)  # query vectors land in the cache the shadow reads
        draft_retriever = Retriever(shadow)
        out: list[ImpactItem] = []
        recall: dict[str, list[float]] = {"current": [], "draft": []}
        for it in items:
            q = ContentQuery(text=it.text, language=it.language, jurisdiction=it.jurisdiction, at=when)
            with self.read_gate():
                a = live.retrieve(q)
            b = draft_retriever.retrieve(q)
            sa = sorted(f"{h.rule_id}:{h.verdict}" for h in a.rules if h.verdict != "not_applicable")
            sb = sorted(f"{h.rule_id}:{h.verdict}" for h in b.rules if h.verdict != "not_applicable")
            if it.rule_ids and it.expect == "applies":
                for key, hits in (("current", a.rules), ("draft", b.rules)):
                    got = {h.rule_id for h in hits}
                    recall[key].append(len(got & set(it.rule_ids)) / len(it.rule_ids))
            if sa != sb:
                out.append(ImpactItem(id=it.id, text=it.text, expected_rules=list(it.rule_ids), current=sa, draft=sb,
                                      added=sorted(set(sb) - set(sa)), removed=sorted(set(sa) - set(sb))))
        shadow.close()
        rep = EvaluationReport(draft_id=draft_id, at=when, items=len(items), changed=len(out),
                               current_rule_recall=_mean(recall["current"]), draft_rule_recall=_mean(recall["draft"]),
                               changes=out, seconds=round(time.perf_counter() - t0, 2))
        audit.append(self.engine.root, AuditEntry(ts=audit.now(), actor=audit.default_actor(), action="evaluate",
                                                  policy_id=draft.policy_id, version=draft.version, draft_id=draft_id,
                                                  document_sha256=draft.document_sha256,
                                                  detail={"items": rep.items, "changed": rep.changed}))
        return rep


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


# --------------------------------------------------------------------------- crash recovery


def open_engine(settings: Settings) -> Engine:
    """Open a data dir for writing: the engine, with an interrupted publish (the process died while
    publishing) settled before anyone reads. What the CLI, the API and the MCP server open."""
    engine = Engine(settings)
    if not engine.in_memory:
        recover_interrupted_publish(engine)
    return engine


def recover_interrupted_publish(engine: Engine) -> str | None:
    """Settle a publish journal left over by a crash. Returns "completed" or "rolled_back" (None when
    there was nothing to do). Runs inside the engine's write transaction: a publish in progress in
    another process holds it (and removes its journal before letting go), so a journal found here
    belongs to a process that died — a running publish is waited for, never "recovered"."""
    jpath = engine.root / "lifecycle" / "publishing.json"
    if not jpath.exists():
        return None
    with engine.transaction():
        return _settle_journal(engine, jpath)


def _settle_journal(engine: Engine, jpath: Path) -> str | None:
    try:
        j = json.loads(jpath.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except ValueError:  # torn journal: it was being written, so the publish had not started
        jpath.unlink(missing_ok=True)
        return None
    lc = Lifecycle(engine)
    pid, version = j["policy_id"], int(j["version"])
    node = engine.graph.get_node(policy_node_id(pid))
    committed = node is not None and int(node.props.get("version", 0)) == version
    action = j.get("action", "publish")
    try:
        draft, doc = lc.load_draft(j["draft_id"])
    except NotFound:
        draft, doc = None, None
    if committed:
        doc_file = engine.docs_dir / pid / f"v{version}.json"
        if not doc_file.exists() and doc is not None:
            pub = doc.model_copy(deep=True)
            pub.status = "published"
            if j.get("effective_from"):
                pub.effective_from = dt.date.fromisoformat(j["effective_from"])
            engine.save_document(pub)
        if draft is not None and draft.status == "pending":
            draft.status, draft.published_at, draft.published_by = "published", audit.now(), j.get("actor")
            assert doc is not None  # load_draft() gave the draft and its document together
            lc.save_draft(draft, doc)
        outcome = "completed"
        detail = {"outcome": "the graph write had committed: publish completed on restart", "serving_version": version}
    else:
        # the document file is written after the commit only, so nothing to remove; be thorough anyway
        stale = engine.docs_dir / pid / f"v{version}.json"
        if stale.exists() and (node is None or int(node.props.get("version", 0)) < version):
            stale.unlink()
        outcome = "rolled_back"
        detail = {"outcome": "interrupted before the graph write: nothing of it is visible",
                  "serving_version": int(node.props["version"]) if node is not None else None}
    audit.append(engine.root, AuditEntry(
        ts=audit.now(), actor=j.get("actor") or audit.default_actor(),
        action=f"{action}_recovered" if committed else f"{action}_interrupted", policy_id=pid, version=version,
        draft_id=j.get("draft_id"), document_sha256=draft.document_sha256 if draft else None,
        detail=detail | {"started": j.get("started")}))
    jpath.unlink(missing_ok=True)
    log.warning("publish of %s v%d was interrupted: %s", pid, version, outcome)
    return outcome


__all__ = ["ImpactProbe", "Lifecycle", "content_hash", "open_engine", "recover_interrupted_publish", "render_text"]
