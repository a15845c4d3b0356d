"""HTTP routes of the policy lifecycle (docs/lifecycle.md). Authors write and read drafts and the audit
log; agents may read a policy's history.

    POST /v1/drafts                       upload a revised document as a draft → its diff (201; 200 unchanged)
    GET  /v1/drafts                       list drafts
    GET  /v1/drafts/{id}                  one draft
    GET  /v1/drafts/{id}/diff             its diff (JSON; ?format=text for the readable report)
    POST /v1/drafts/{id}/evaluate         dev-set impact: content whose applicable rules change
    POST /v1/drafts/{id}/publish          publish (atomic for readers: under the service's write gate)
    POST /v1/drafts/{id}/discard
    POST /v1/policies/{id}/rollback       {"to_version": N, "effective_from"?: DATE}
    GET  /v1/policies/{id}/history
    GET  /v1/audit                        ?policy_id=&limit=

Publishing reuses `PolicyService`'s upload lock (one write at a time) and its readers-writer gate (a
reader sees the corpus before or after a publish, never between); the slow parts (parsing, diffing,
embedding the draft's texts, evaluating) run outside the exclusive phase.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from policygraph.api.service import PolicyService, safe_filename
from policygraph.api.uploads import read_upload
from policygraph.eval.devset import impact_items
from policygraph.ingest.reader import read_source
from policygraph.lifecycle import Lifecycle
from policygraph.lifecycle.diff import render_text
from policygraph.lifecycle.models import DiffReport, Draft, EvaluationReport, History, PublishReport
from policygraph.models import AuditEntry

DRAFTS_PATH = "/v1/drafts"
#: write endpoints: author role, checked before the body is read (policygraph/api/app.py required_role)
AUTHOR_WRITE_PREFIXES = (DRAFTS_PATH, "/v1/policies/")


class DraftResult(BaseModel):
    stored: bool = Field(description="False: the document is the same as the current version; nothing drafted")
    draft: Draft | None
    diff: DiffReport


class DraftList(BaseModel):
    count: int
    drafts: list[Draft]
    damaged: list[str] = Field(default_factory=list, description="Draft files that could not be read (file and "
                                                                 "problem): the other drafts are listed")


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"to_version": 2}]})
    to_version: int = Field(ge=1, description="The version whose text is published again, as a new version")
    effective_from: dt.date | None = Field(None, description="Default: today")


class RollbackResult(BaseModel):
    draft: Draft
    publish: PublishReport


class AuditList(BaseModel):
    count: int
    entries: list[AuditEntry]


def _actor(request: Request, author: str | None) -> str:
    state = request.scope.get("state", {})
    kid = state.get("key_id")
    who = f"key {kid}" if kid else "api"
    return f"{author} ({who})" if author else who


def build_lifecycle_router(svc: PolicyService, *, author_role, agent_role) -> APIRouter:
    """`author_role` / `agent_role`: the app's auth dependencies (Depends objects)."""
    lc = Lifecycle(svc.engine, read_gate=svc.gate.read)
    router = APIRouter(tags=["lifecycle"])

    @router.post(DRAFTS_PATH, response_model=DraftResult, status_code=201, dependencies=[author_role],
                 summary="Upload a revised document as a draft; returns its rule-level diff (authors)")
    async def create_draft(
        request: Request, response: Response,
        policy_id: Annotated[str | None, Query(max_length=128, description="Parse a document without PolicyGraph "
                                               "markup as a version of this policy")] = None,
        effective_from: Annotated[dt.date | None, Query()] = None,
        effective_to: Annotated[dt.date | None, Query()] = None,
        author: Annotated[str | None, Query(max_length=128)] = None,
        backfill: Annotated[bool, Query(description="Importing a policy's earlier history: keep the document's "
                                        "own start date even when it is in the past")] = False,
    ) -> DraftResult:
        """Body: the document, as for `POST /v1/policies` (multipart field `file`, or JSON
        `{filename, content}`). Nothing is served until the draft is published."""
        filename, data = await read_upload(request)
        name = safe_filename(filename)
        src = read_source(name, svc.engine.settings.max_file_bytes, data=data)

        def work():
            with svc.upload_lock:
                return lc.draft(sources=[src], policy_id=policy_id, author=_actor(request, author),
                                effective_from=effective_from, effective_to=effective_to, backfill=backfill)

        [(draft, diff)] = await run_in_threadpool(work)
        if draft is None:
            response.status_code = 200
        return DraftResult(stored=draft is not None, draft=draft, diff=diff)

    @router.get(DRAFTS_PATH, response_model=DraftList, dependencies=[author_role], summary="List drafts")
    def list_drafts(policy_id: Annotated[str | None, Query(max_length=128)] = None,
                    status: Annotated[Literal["pending", "published", "discarded"] | None, Query()] = None) -> DraftList:
        items, damaged = lc.scan_drafts(policy_id, status)
        return DraftList(count=len(items), drafts=items, damaged=damaged)

    @router.get(DRAFTS_PATH + "/{draft_id}", response_model=Draft, dependencies=[author_role], summary="One draft")
    def get_draft(draft_id: Annotated[str, Path(max_length=200)]) -> Draft:
        return lc.load_draft(draft_id)[0]

    @router.get(DRAFTS_PATH + "/{draft_id}/diff", response_model=DiffReport, dependencies=[author_role],
                summary="A draft's diff against the version it was drafted from",
                responses={200: {"content": {"text/plain": {}}}})
    def get_diff(draft_id: Annotated[str, Path(max_length=200)],
                 format: Annotated[Literal["json", "text"], Query()] = "json"):
        diff = lc.load_draft(draft_id)[0].diff
        if format == "text":
            return PlainTextResponse(render_text(diff, max_items=10_000))
        return diff

    @router.post(DRAFTS_PATH + "/{draft_id}/evaluate", response_model=EvaluationReport, dependencies=[author_role],
                 summary="Dev-set impact: the content whose applicable rules change with the draft")
    def evaluate(draft_id: Annotated[str, Path(max_length=200)],
                 at: Annotated[dt.date | None, Query(description="Default: the draft's effective date")] = None,
                 scope: Annotated[Literal["all", "policy"], Query()] = "all") -> EvaluationReport:
        doc = lc.load_draft(draft_id)[1]
        return lc.evaluate(draft_id, impact_items(scope, doc.category.value), at=at)

    @router.post(DRAFTS_PATH + "/{draft_id}/publish", response_model=PublishReport, dependencies=[author_role],
                 summary="Publish a draft (atomic)")
    def publish(request: Request, draft_id: Annotated[str, Path(max_length=200)],
                author: Annotated[str | None, Query(max_length=128)] = None) -> PublishReport:
        with svc.upload_lock, svc.gate.write():
            rep = lc.publish(draft_id, author=_actor(request, author))
        svc.changed()
        return rep

    @router.post(DRAFTS_PATH + "/{draft_id}/discard", response_model=Draft, dependencies=[author_role],
                 summary="Discard a pending draft")
    def discard(request: Request, draft_id: Annotated[str, Path(max_length=200)],
                author: Annotated[str | None, Query(max_length=128)] = None) -> Draft:
        return lc.discard(draft_id, author=_actor(request, author))

    @router.post("/v1/policies/{policy_id}/rollback", response_model=RollbackResult, dependencies=[author_role],
                 summary="Publish an earlier version again, as a new version")
    def rollback(request: Request, policy_id: Annotated[str, Path(max_length=128)],
                 body: Annotated[RollbackRequest, Body()],
                 author: Annotated[str | None, Query(max_length=128)] = None) -> RollbackResult:
        who = _actor(request, author)
        with svc.upload_lock:
            draft = lc.rollback_draft(policy_id, body.to_version, author=who, effective_from=body.effective_from)
            with svc.gate.write():
                rep = lc.publish(draft.id, author=who)
        svc.changed()
        return RollbackResult(draft=lc.load_draft(draft.id)[0], publish=rep)

    @router.get("/v1/policies/{policy_id}/history", response_model=History, dependencies=[agent_role],
                summary="Every version of a policy with its period in force")
    def history(policy_id: Annotated[str, Path(max_length=128)]) -> History:
        return lc.history(policy_id)

    @router.get("/v1/audit", response_model=AuditList, dependencies=[author_role], summary="The audit log")
    def audit_log(policy_id: Annotated[str | None, Query(max_length=128)] = None,
                  limit: Annotated[int | None, Query(ge=1, le=10_000)] = None) -> AuditList:
        entries = lc.audit_log(policy_id, limit)
        return AuditList(count=len(entries), entries=entries)

    return router


def lifecycle_required_role(method: str, path: str) -> str | None:
    """The role a lifecycle path needs, for the auth middleware (checked before the body is read)."""
    p = path.rstrip("/")
    if p.startswith(DRAFTS_PATH) or p == "/v1/audit" or (method == "POST" and p.endswith("/rollback")):
        return "author"
    return None
