"""The author console (docs/console.md): the page, its static files, and the JSON routes the page needs
beyond `/v1` (everything else it calls is the documented API: policies, rules, drafts, history,
audit, rollback, context).

    GET  /console                                   the page (no key needed to load it; the key is entered in it)
    GET  /console/static/{name}                     its script, style sheet and icon (shipped in the package)
    GET  /console/api/policies                      policies with jurisdictions, the version in force, scheduled ones (agent)
    GET  /console/api/policies/{id}/document        a stored version as parsed: sections, rules per language,
                                                    relations both ways (agent)
    GET  /console/api/policies/{id}/source          the source text of a stored version or one of its translations (agent)
    GET  /console/api/policies/{id}/compare         what publishing version K's text again would change (rollback preview) (agent)
    POST /console/api/policies/{id}/rules/{rule}/draft   edit one rule's text in place → a draft (author)
    POST /console/api/sources                       keep an uploaded document's text for the console (author)
    GET  /console/api/drafts/{id}/compare           a draft's word diffs, rule by rule and language by language (author)
    POST /console/api/drafts/{id}/evaluate          the dev set and a sample of the external sets (author)
    POST /console/api/drafts/{id}/publish           publish now or on a date (re-dates the draft first if needed) (author)

The source text of a version is found by its recorded path (the bundled corpus) or in the console's own
store (`<data_dir>/v1/console/sources/<sha256>`, filled by documents drafted through the console); in
both cases only bytes whose SHA-256 is the one the stored version records are returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import logging
import re
from pathlib import Path, PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, ConfigDict, Field

from policygraph.api.config import Role
from policygraph.api.errors import ApiError
from policygraph.api.lifecycle_routes import DraftResult
from policygraph.api.service import PolicyService, safe_filename
from policygraph.api.uploads import read_upload
from policygraph.errors import LifecycleError, NotFound
from policygraph.eval import external
from policygraph.eval.devset import impact_items
from policygraph.ingest.reader import decode_policy_bytes, read_source
from policygraph.lifecycle import Lifecycle
from policygraph.lifecycle.diff import diff_documents
from policygraph.lifecycle.models import DiffReport, Draft, EvaluationReport, PublishReport
from policygraph.models import PolicyDocument, RuleDoc
from policygraph.settings import PROJECT_ROOT
from policygraph.stores.networkx_store import atomic_write_bytes

log = logging.getLogger("api.console")

CONSOLE_PATH = "/console"
API = CONSOLE_PATH + "/api"
STATIC_DIR = Path(__file__).resolve().parent / "static"
_MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                ".svg": "image/svg+xml", ".png": "image/png"}
#: the page loads nothing but its own files and talks to nothing but this server
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache"}
#: most items per language (HateCheck) or prompts (MultiJail) of the external sets in one evaluation
MAX_EXTERNAL = 50
_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+", re.UNICODE)


# --------------------------------------------------------------------------- response models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConsolePolicy(_Model):
    policy_id: str
    title: str
    category: str
    status: str
    newest_version: int
    in_force_version: int | None = Field(description="The version serving today (None: none yet)")
    effective_from: dt.date | None = Field(description="Of the version in force")
    effective_to: dt.date | None
    scheduled: list[dict[str, Any]] = Field(description="Versions published for a later date: version, effective_from")
    languages: list[str]
    jurisdictions: list[str] = Field(description="The policy's own jurisdictions")
    rule_jurisdictions: list[str] = Field(description="Jurisdictions its rules name besides GLOBAL (regional overrides)")
    rules: int
    source: str


class PolicyOverview(_Model):
    count: int
    policies: list[ConsolePolicy]


class RuleRefOut(_Model):
    rule_id: str
    policy_id: str


class Incoming(_Model):
    exceptions: list[RuleRefOut] = Field(default_factory=list, description="Rules that are exceptions to this one")
    overridden_by: list[RuleRefOut] = Field(default_factory=list)
    referenced_by: list[RuleRefOut] = Field(default_factory=list)


class DocumentView(_Model):
    policy_id: str
    version: int
    newest_version: int
    in_force_version: int | None
    document: dict[str, Any] = Field(description="The stored PolicyDocument of that version")
    incoming: dict[str, Incoming] = Field(description="Per rule id: relations other rules hold to it (current versions)")
    source_kept: bool = Field(description="Its source text can be opened (and a rule edited in place)")


class SourceText(_Model):
    policy_id: str
    version: int
    document: str
    format: str
    sha256: str
    text: str


class Segment(_Model):
    op: Literal["equal", "delete", "insert"]
    text: str


class LanguageDiff(_Model):
    language: str
    title: list[Segment]
    text: list[Segment]


class RuleTexts(_Model):
    rule_id: str
    old_rule_id: str | None = None
    kinds: list[str]
    languages: list[LanguageDiff]


class TextComparison(_Model):
    policy_id: str
    from_version: int | None
    to_version: int
    rules: list[RuleTexts]


class CompareResult(_Model):
    diff: DiffReport
    texts: TextComparison


class SourceKept(_Model):
    sha256: str
    kept: bool


class EvalSet(_Model):
    name: str
    label: str
    items: int
    changed: int
    note: str = ""


class ConsoleEvaluation(_Model):
    report: EvaluationReport
    sets: list[EvalSet]
    item_sets: dict[str, str] = Field(description="Changed item id → the set it is from")
    external_missing: str | None = Field(None, description="Why the external sets were not run here")


class ConsolePublish(_Model):
    draft: Draft
    publish: PublishReport
    redated_from: str | None = Field(None, description="The draft this one replaced to change its effective date")


class RuleEdit(_Model):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "We remove content that offers ... is removed too.", "base_version": 5}]})
    text: str = Field(min_length=1, max_length=200_000, description="The rule's new text (primary language)")
    base_version: int | None = Field(None, description="The version the author edited; refused if another is newest now")
    effective_from: dt.date | None = None


# --------------------------------------------------------------------------- helpers


def segments(old: str, new: str) -> list[Segment]:
    """Word-level diff as segments (whitespace normalised): what stayed, what went, what came."""
    a = _TOKEN.findall(" ".join(old.split()))
    b = _TOKEN.findall(" ".join(new.split()))
    out: list[Segment] = []

    def add(op: Literal["equal", "delete", "insert"], toks: list[str]) -> None:
        text = "".join(toks)
        if not text:
            return
        if out and out[-1].op == op:
            out[-1].text += text
        else:
            out.append(Segment(op=op, text=text))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("equal", a[i1:i2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    # the spaces around a changed run belong to the unchanged text: only words are marked
    for i, seg in enumerate(out):
        if seg.op == "equal" or not seg.text.strip():
            continue
        lead = len(seg.text) - len(seg.text.lstrip())
        if lead and i > 0 and out[i - 1].op == "equal":
            out[i - 1].text += seg.text[:lead]
            seg.text = seg.text[lead:]
        trail = len(seg.text) - len(seg.text.rstrip())
        if trail and i + 1 < len(out) and out[i + 1].op == "equal":
            out[i + 1].text = seg.text[-trail:] + out[i + 1].text
            seg.text = seg.text[:-trail]
    return out


def compare_texts(old: PolicyDocument | None, new: PolicyDocument, report: DiffReport) -> TextComparison:
    """Per changed rule of `report`, per language whose title or text differs: word segments."""
    old_rules = {r.id: r for r in old.rules()} if old else {}
    new_rules = {r.id: r for r in new.rules()}
    out: list[RuleTexts] = []
    for ch in report.changes:
        if not {"added", "removed", "renamed", "text_changed"} & set(ch.kinds):
            continue
        before = old_rules.get(ch.old_rule_id or ch.rule_id) if "added" not in ch.kinds else None
        after = new_rules.get(ch.rule_id) if "removed" not in ch.kinds else None
        either = after or before
        primary = either.language if either else ""
        langs = sorted(set(before.text if before else {}) | set(after.text if after else {}),
                       key=lambda lg: (lg != primary, lg))
        rows = []
        for lg in langs:
            ot, nt = _text(before, lg), _text(after, lg)
            oh, nh = _title(before, lg), _title(after, lg)
            if ot == nt and oh == nh:
                continue
            rows.append(LanguageDiff(language=lg, title=segments(oh, nh), text=segments(ot, nt)))
        out.append(RuleTexts(rule_id=ch.rule_id, old_rule_id=ch.old_rule_id, kinds=list(ch.kinds), languages=rows))
    return TextComparison(policy_id=new.id, from_version=old.version if old else None, to_version=new.version,
                          rules=out)


def _text(r: RuleDoc | None, lang: str) -> str:
    return r.text.get(lang, "") if r else ""


def _title(r: RuleDoc | None, lang: str) -> str:
    if r is None:
        return ""
    return r.titles.get(lang) or (r.title if lang == r.language else "")


@dataclasses.dataclass(frozen=True)
class _Probe:
    """An external-set item as the draft evaluation reads it (`policygraph.lifecycle.ImpactProbe`)."""

    id: str
    text: str
    language: str | None
    jurisdiction: str | None = None
    rule_ids: list[str] = dataclasses.field(default_factory=list)
    expect: str = "none"


class SourceStore:
    """Finds the exact bytes a stored version was read from; keeps those of documents drafted here."""

    def __init__(self, svc: PolicyService) -> None:
        self.svc = svc
        eng = svc.engine
        self.dir = None if eng.in_memory else eng.root / "console" / "sources"

    def keep(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if self.dir is not None:
            target = self.dir / sha
            if not target.exists():
                self.dir.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target, data)
        return sha

    def find(self, path: str, sha256: str) -> bytes | None:
        settings = self.svc.engine.settings
        candidates: list[Path] = []
        if self.dir is not None and re.fullmatch(r"[0-9a-f]{64}", sha256):
            candidates.append(self.dir / sha256)
        p = Path(path)
        if p.is_absolute():
            candidates.append(p)
        else:
            corpus = Path(settings.corpus_dir)
            candidates += [Path.cwd() / p, PROJECT_ROOT / p, corpus / p.name, corpus.parent / p]
        for c in candidates:
            try:
                if not c.is_file() or c.stat().st_size > settings.max_file_bytes:
                    continue
                data = c.read_bytes()
            except OSError:
                continue
            if hashlib.sha256(data).hexdigest() == sha256:
                return data
        return None


def _actor(request: Request, author: str | None) -> str:
    """As the lifecycle routes name an HTTP caller: "<author> (key <digest>)"."""
    state = request.scope.get("state", {})
    kid = state.get("key_id")
    who = f"key {kid}" if kid else "api"
    return f"{author} ({who})" if author else who


def _today() -> dt.date:
    return dt.date.today()


# --------------------------------------------------------------------------- the router


def console_required_role(method: str, path: str) -> Role:
    """The role a console JSON route needs, checked before its body is read (the routes check again): reads
    are the agent's, except drafts; every write is the author's."""
    if method in ("GET", "HEAD") and not path.startswith(API + "/drafts"):
        return "agent"
    return "author"


def build_console_router(svc: PolicyService, *, author_role, agent_role) -> APIRouter:
    """`author_role` / `agent_role`: the app's auth dependencies (Depends objects), as for the lifecycle routes."""
    lc = Lifecycle(svc.engine, read_gate=svc.gate.read)
    store = SourceStore(svc)
    router = APIRouter(tags=["console"])
    static_files = {p.name: p for p in STATIC_DIR.iterdir() if p.is_file() and p.suffix in _MEDIA_TYPES} \
        if STATIC_DIR.is_dir() else {}

    # ------------------------------------------------------------------ the page
    @router.get(CONSOLE_PATH, include_in_schema=False)
    def page() -> HTMLResponse:
        html = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(html, headers=_HEADERS)

    @router.get(CONSOLE_PATH + "/static/{name}", include_in_schema=False)
    def static(name: Annotated[str, PathParam(max_length=64)]) -> FileResponse:
        f = static_files.get(name)
        if f is None:
            raise HTTPException(404)
        return FileResponse(f, media_type=_MEDIA_TYPES[f.suffix], headers=_HEADERS)

    # ------------------------------------------------------------------ reading
    def stored() -> dict[str, PolicyDocument]:
        svc.sync()
        with svc.gate.read():
            return svc.engine.stored_documents()

    def in_force(policy_id: str) -> tuple[int | None, list[dict[str, Any]], dict[int, Any]]:
        hist = lc.history(policy_id)
        by_version = {v.version: v for v in hist.versions}
        now = next((v.version for v in hist.versions if v.state == "in_force"), None)
        later = [{"version": v.version, "effective_from": v.effective_from} for v in hist.versions
                 if v.state == "scheduled"]
        return now, later, by_version

    @router.get(API + "/policies", response_model=PolicyOverview, dependencies=[agent_role],
                summary="Policies for the console: version in force, scheduled versions, jurisdictions")
    def policies() -> PolicyOverview:
        out = []
        for pid, doc in sorted(stored().items()):
            now, later, versions = in_force(pid)
            cur = versions.get(now) if now is not None else None
            rule_j = sorted({j for r in doc.rules() for j in r.jurisdictions} - {"GLOBAL"})
            out.append(ConsolePolicy(
                policy_id=pid, title=doc.title, category=str(getattr(doc.category, "value", doc.category)),
                status=doc.status, newest_version=doc.version, in_force_version=now,
                effective_from=cur.effective_from if cur else None, effective_to=cur.effective_to if cur else None,
                scheduled=later, languages=sorted(doc.languages), jurisdictions=list(doc.jurisdictions),
                rule_jurisdictions=rule_j, rules=cur.rules if cur else len(doc.rules()), source=doc.source.path))
        return PolicyOverview(count=len(out), policies=out)

    @router.get(API + "/policies/{policy_id}/document", response_model=DocumentView, dependencies=[agent_role],
                summary="A stored version of a policy as parsed (default: the version in force today)")
    def document(policy_id: Annotated[str, PathParam(max_length=128)],
                 version: Annotated[int | None, Query(ge=1)] = None) -> DocumentView:
        docs = stored()
        newest = docs.get(policy_id)
        if newest is None:
            raise NotFound(f"no policy {policy_id}")
        now, _, _ = in_force(policy_id)
        v = version or now or newest.version
        doc = lc.version(policy_id, v)
        incoming: dict[str, Incoming] = {r.id: Incoming() for r in doc.rules()}
        for pid, other in docs.items():
            for r in (doc if pid == policy_id else other).rules():
                for target, bucket in ((r.exception_to, "exceptions"), (r.overrides, "overridden_by"),
                                       (r.refers_to, "referenced_by")):
                    for t in target:
                        if t in incoming:
                            getattr(incoming[t], bucket).append(RuleRefOut(rule_id=r.id, policy_id=pid))
        return DocumentView(policy_id=policy_id, version=doc.version, newest_version=newest.version,
                            in_force_version=now, document=doc.model_dump(mode="json"), incoming=incoming,
                            source_kept=store.find(doc.source.path, doc.source.sha256) is not None)

    @router.get(API + "/policies/{policy_id}/source", response_model=SourceText, dependencies=[agent_role],
                summary="The source text of a stored version (or of one of its translation files)")
    def source(policy_id: Annotated[str, PathParam(max_length=128)],
               version: Annotated[int, Query(ge=1)],
               document: Annotated[str | None, Query(max_length=1000, description="Default: the version's own "
                                                     "source; or the path of one of its translations")] = None
               ) -> SourceText:
        doc = lc.version(policy_id, version)
        files = {s.path: s for s in [doc.source, *doc.translations]}
        info = files.get(document or doc.source.path)
        if info is None:
            raise NotFound(f"{document} is not a source of {policy_id} version {version}")
        data = store.find(info.path, info.sha256)
        if data is None:
            raise NotFound(f"the source text of {info.path} (version {version}) is not kept here: it was uploaded "
                           "before the console kept texts, or its file has changed since")
        text = decode_policy_bytes(data, info.path, svc.engine.settings.max_file_bytes)
        return SourceText(policy_id=policy_id, version=version, document=info.path, format=info.format,
                          sha256=info.sha256, text=text)

    @router.get(API + "/policies/{policy_id}/compare", response_model=CompareResult, dependencies=[agent_role],
                summary="What publishing version K's text again would change (the rollback preview); writes nothing")
    def compare_version(policy_id: Annotated[str, PathParam(max_length=128)],
                        to_version: Annotated[int, Query(ge=1)]) -> CompareResult:
        current = stored().get(policy_id)
        if current is None:
            raise NotFound(f"no policy {policy_id}")
        target = lc.version(policy_id, to_version).model_copy(deep=True)
        target.version = current.version + 1  # as `Lifecycle.rollback_draft` drafts it: in force when published
        target.effective_from = target.effective_to = None
        rep = diff_documents(current, target)
        return CompareResult(diff=rep, texts=compare_texts(current, target, rep))

    # ------------------------------------------------------------------ drafts
    @router.get(API + "/drafts/{draft_id}/compare", response_model=TextComparison, dependencies=[author_role],
                summary="A draft's word diffs, rule by rule and language by language")
    def compare_draft(draft_id: Annotated[str, PathParam(max_length=200)]) -> TextComparison:
        draft, doc = lc.load_draft(draft_id)
        base = lc.version(draft.policy_id, draft.base_version) if draft.base_version else None
        return compare_texts(base, doc, draft.diff)

    @router.post(API + "/sources", response_model=SourceKept, dependencies=[author_role],
                 summary="Keep the text of a document drafted through the console (its bytes, by SHA-256)")
    async def keep_source(request: Request) -> SourceKept:
        """Body as for `POST /v1/drafts`. Kept only when a draft or a stored version was read from exactly
        these bytes (so the store holds nothing else)."""
        _, data = await read_upload(request)
        sha = hashlib.sha256(data).hexdigest()

        def known() -> bool:
            if any(d.document_sha256 == sha for d in lc.drafts()):
                return True
            return any(doc.source.sha256 == sha for doc in stored().values())

        if not await run_in_threadpool(known):
            raise ApiError(409, "conflict", "no draft or stored version was read from this document: draft it first")
        await run_in_threadpool(store.keep, data)
        return SourceKept(sha256=sha, kept=True)

    @router.post(API + "/policies/{policy_id}/rules/{rule_id}/draft", response_model=DraftResult, status_code=201,
                 dependencies=[author_role], summary="Edit one rule's text in place: a draft of the whole document")
    def edit_rule(request: Request, policy_id: Annotated[str, PathParam(max_length=128)],
                  rule_id: Annotated[str, PathParam(max_length=64)], body: Annotated[RuleEdit, Body()],
                  author: Annotated[str | None, Query(max_length=128)] = None) -> DraftResult:
        """The rule's text (in the document's own language) is replaced in the newest stored version's
        source text, and the result is drafted as an upload of that file would be."""
        doc = stored().get(policy_id)
        if doc is None:
            raise NotFound(f"no policy {policy_id}")
        if body.base_version is not None and body.base_version != doc.version:
            raise LifecycleError(f"version {doc.version} of {policy_id} is the newest now, not {body.base_version}: "
                                 "reload the policy and edit again")
        rule = next((r for r in doc.rules() if r.id == rule_id), None)
        if rule is None:
            raise NotFound(f"no rule {rule_id} in version {doc.version} of {policy_id}")
        data = store.find(doc.source.path, doc.source.sha256)
        if data is None or rule.span is None:
            raise LifecycleError(f"the source text of {policy_id} version {doc.version} is not kept here: upload the "
                                 "revised document instead")
        text = decode_policy_bytes(data, doc.source.path, svc.engine.settings.max_file_bytes)
        if rule.span.end > len(text):
            raise LifecycleError(f"rule {rule_id}'s place in {doc.source.path} is out of range: upload the document")
        new_text = text[:rule.span.start] + body.text.strip("\n") + text[rule.span.end:]
        max_bytes = svc.engine.settings.max_file_bytes
        new_bytes = new_text.encode("utf-8")
        sources = [read_source(safe_filename(PurePath(doc.source.path).name), max_bytes, data=new_bytes)]
        for t in doc.translations:  # drafted with the document, as they were stored (else they would be dropped)
            tdata = store.find(t.path, t.sha256)
            if tdata is None:
                raise LifecycleError(f"the source text of the translation {t.path} is not kept here: upload the revised "
                                     "documents instead")
            sources.append(read_source(safe_filename(PurePath(t.path).name), max_bytes, data=tdata))
        generic = doc.source.format != "policygraph-md"
        with svc.upload_lock:
            [(draft, diff)] = lc.draft(sources=sources, policy_id=policy_id if generic else None,
                                       author=_actor(request, author), effective_from=body.effective_from)
        if draft is not None:
            store.keep(new_bytes)
        return DraftResult(stored=draft is not None, draft=draft, diff=diff)

    @router.post(API + "/drafts/{draft_id}/evaluate", response_model=ConsoleEvaluation, dependencies=[author_role],
                 summary="The draft's impact on the dev set and on a sample of the external sets")
    def evaluate(draft_id: Annotated[str, PathParam(max_length=200)],
                 scope: Annotated[Literal["all", "policy"], Query()] = "policy",
                 external_per_language: Annotated[int, Query(ge=0, le=MAX_EXTERNAL, description=(
                     "HateCheck cases per language and MultiJail prompts (all their languages) from the report "
                     "half; 0: the dev set only"))] = 5,
                 at: Annotated[dt.date | None, Query()] = None) -> ConsoleEvaluation:
        draft, doc = lc.load_draft(draft_id)
        dev = impact_items(scope, doc.category.value)
        probes: list[Any] = list(dev)
        sets = {i.id: "dev" for i in dev}
        counts = {"dev": len(dev)}
        shared = Path(svc.engine.settings.shared_data)
        missing = external.missing_reason(shared) if external_per_language else None
        if external_per_language and missing is None:
            for name, loader in (("hatecheck", external.load_hatecheck), ("multijail", external.load_multijail)):
                items = [x for x in loader(shared) if x.split == "report"]
                items = external.limit_per_language(items, external_per_language)
                for x in items:
                    pid = f"{name}:{x.id}"
                    probes.append(_Probe(id=pid, text=x.text, language=x.language))
                    sets[pid] = name
                counts[name] = len(items)
        rep = lc.evaluate(draft_id, probes, at=at)
        changed: dict[str, int] = {}
        for item in rep.changes:
            changed[sets.get(item.id, "dev")] = changed.get(sets.get(item.id, "dev"), 0) + 1
        labels = {"dev": f"dev set ({'items of this policy category' if scope == 'policy' else 'all items'})",
                  "hatecheck": "Multilingual HateCheck (report half, sample)",
                  "multijail": "MultiJail (report half, sample)"}
        out = [EvalSet(name=k, label=labels[k], items=n, changed=changed.get(k, 0)) for k, n in counts.items()]
        return ConsoleEvaluation(report=rep, sets=out, item_sets={i.id: sets.get(i.id, "dev") for i in rep.changes},
                                 external_missing=missing if external_per_language else None)

    @router.post(API + "/drafts/{draft_id}/publish", response_model=ConsolePublish, dependencies=[author_role],
                 summary="Publish now or on a date; a draft made for another date is re-dated first")
    def publish(request: Request, draft_id: Annotated[str, PathParam(max_length=200)],
                when: Annotated[str, Query(pattern=r"^(now|\d{4}-\d{2}-\d{2})$",
                                           description="now, or the day it comes into force (YYYY-MM-DD)")] = "now",
                author: Annotated[str | None, Query(max_length=128)] = None) -> ConsolePublish:
        """Publishing a draft on another day than it was made for drafts the same document again with that
        day, publishes the new draft and discards the old one; if the publish fails, the new draft is
        discarded and the old one stays pending: nothing is half-done."""
        who = _actor(request, author)
        today = _today()
        try:
            target = today if when == "now" else dt.date.fromisoformat(when)
        except ValueError:
            raise ApiError(422, "invalid_field", f"when: {when} is not a date", field="when") from None
        with svc.upload_lock:
            draft, doc = lc.load_draft(draft_id)
            if draft.status != "pending":
                raise LifecycleError(f"draft {draft_id} is {draft.status}, not pending")
            eff = draft.diff.effective_from
            if eff == target or (when == "now" and (eff is None or eff <= today)):
                with svc.gate.write():
                    rep = lc.publish(draft_id, author=who)
                svc.changed()
                return ConsolePublish(draft=lc.load_draft(draft_id)[0], publish=rep)
            new, diff = lc.create_draft(doc, author=who, effective_from=target, kind=draft.kind,
                                        rollback_of=draft.rollback_of, backfill=draft.backfill)
            if new is None:
                raise LifecycleError(f"draft {draft_id} says the same as the current version now: nothing to publish")
            try:
                with svc.gate.write():
                    rep = lc.publish(new.id, author=who)
            except Exception:
                if new.id != draft_id:
                    try:
                        lc.discard(new.id, author=who)
                    except Exception:
                        log.warning("could not discard the re-dated draft %s", new.id, exc_info=True)
                raise
            svc.changed()
            if new.id != draft_id:
                lc.discard(draft_id, author=who)
            return ConsolePublish(draft=lc.load_draft(new.id)[0], publish=rep, redated_from=draft_id)

    return router


__all__ = ["CONSOLE_PATH", "build_console_router", "compare_texts", "segments"]
