"""The HTTP API: `create_app(engine, api_config) -> FastAPI`.

One Engine per process. The agent's work is CPU-bound, so every engine call runs in the threadpool
(plain `def` endpoints, or `run_in_threadpool`); the event loop only moves bytes. See docs/api.md.
"""

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.models import Example
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field, create_model

from policygraph.api.admission import WorkTicket
from policygraph.api.config import ApiConfig, KeyStore, Role, allows, key_id
from policygraph.api.errors import ApiError, ErrorResponse, install_error_handlers
from policygraph.api.memory import freeze_long_lived
from policygraph.api.middleware import BodyLimitMiddleware, KeyAuthMiddleware, Metrics, ObservabilityMiddleware
from policygraph.api.service import PolicyService
from policygraph.api.uploads import UPLOAD_JSON_EXAMPLE, UploadJson, read_upload
from policygraph.engine import Engine
from policygraph.models import CompactDecision, ContentQuery, Decision, IngestReport, PolicySummary, RuleView

log = logging.getLogger("api")

VERSION = "0.1.0"
UPLOAD_PATH = "/v1/policies"

# --------------------------------------------------------------------------- examples (OpenAPI)

CONTEXT_EXAMPLES: dict[str, Example] = {
    "praise": {
        "summary": "Praise of a terrorist attack",
        "value": {"text": "Glory to the brothers who carried out the attack yesterday, join them!",
                  "jurisdiction": "DE"},
    },
    "multilingual": {
        "summary": "Spanish content, language detected, a point in time",
        "value": {"text": "Compra seguidores baratos, 10.000 por 5 euros", "at": "2026-06-01", "top_k": 3},
    },
    "video": {
        "summary": "A video, field by field: benign caption, violating speech, an upstream label",
        "value": {"title": "Sunday arepas 🫓", "description": "grandma's recipe, family day ❤️",
                  "transcript": "while the dough rests: the white and the green just arrived, message me on "
                                "telegram, I deliver all over the north side",
                  "ocr_text": "📲 menu in bio", "hashtags": ["#EasyRecipes", "#plug_life"], "media_type": "video",
                  "signals": [{"label": "drugs", "score": 0.82, "model": "vision-v3"}], "region": "CO"},
    },
    "aigc": {
        "summary": "A realistic AI video with no disclosure",
        "value": {"title": "The minister admits the vote will be postponed",
                  "transcript": "Due to security concerns the election will be postponed by one month.",
                  "media_type": "video", "provenance": {"declared_ai": False, "detector_score": 0.97,
                                                        "c2pa": ["c2pa.created: trainedAlgorithmicMedia"]}},
    },
}

BATCH_EXAMPLE: dict[str, Example] = {
    "two": {
        "summary": "Two items",
        "value": {"items": [{"text": "Glory to the brothers who carried out the attack"},
                            {"text": "Lose 10 kg in a week: just stop eating"}]},
    }
}

DECISION_EXAMPLE = {
    "context": {
        "query": {"text": "Glory to the brothers who carried out the attack", "language": "en",
                  "language_detected": True, "jurisdiction": None, "at": "2026-11-24", "linked_terms": []},
        "rules": [{
            "rule_id": "VE-1.1", "policy_id": "violent-extremism", "policy_title": "Violent Extremism",
            "category": "violent_extremism", "version": 3, "kind": "prohibited", "severity": "high",
            "actions": ["remove", "strike"], "jurisdictions": ["GLOBAL"], "title": "Praise of violent extremists",
            "text": "Content that praises, celebrates or justifies a violent extremist organisation...",
            "text_language": "en", "score": 0.82, "verdict": "applies",
            "evidence": [{"signal": "vector", "score": 0.87, "detail": "rule text similarity"}],
            "exceptions_checked": [{"rule_id": "VE-1.4", "title": "News reporting and documentary",
                                    "relation": "exception", "score": 0.41, "matched": False}],
            "overrides_checked": [], "definitions": [],
            "citations": [{"document": "policies/violent-extremism.md", "policy_id": "violent-extremism",
                           "section": "Praise, support and recruitment", "version": 3, "language": "en",
                           "span": {"start": 1830, "end": 2012, "line": 41}}],
        }],
        "categories": ["violent_extremism"],
        "rationale": "VE-1.1 applies: the content praises an attack; no exception matched.",
        "timings_ms": {"embed": 14.1, "vector": 1.2, "graph": 2.3, "total": 21.0},
    },
    "decisions": [{"rule_id": "VE-1.1", "policy_id": "violent-extremism", "category": "violent_extremism",
                   "verdict": "applies", "confidence": 0.86, "rationale": "Praises an attack.", "citations": []}],
    "ranked_categories": ["violent_extremism"],
    "second_pass": False, "llm_used": False,
    "trace": [{"node": "retrieve", "inputs": {"top_k": 5}, "outputs": {"rules": 3}, "ms": 20.5}],
    "rendered": [],
}


def _responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    docs = {
        400: "Refused document: file, line and problem; nothing was changed",
        401: "No API key, or an unknown one",
        403: "The key's role does not allow this",
        404: "No such rule or policy",
        409: "The document conflicts with what is stored (e.g. an older version)",
        413: "Request body over the size limit",
        415: "Unsupported content type",
        422: "Invalid request: malformed JSON, an invalid or unknown field, content or batch over the limit",
        429: "Too much work waiting (for this key or in all): refused at once; try again after Retry-After",
        503: "Not ready (agent unavailable or empty corpus), or the request's deadline passed (Retry-After)",
    }
    return {c: {"model": ErrorResponse, "description": docs[c]} for c in codes}


# --------------------------------------------------------------------------- request / response models


class BatchResponse(BaseModel):
    count: int
    results: list[Decision] | list[CompactDecision]


#: `?view=`: the whole decision, or only rule ids, verdicts and the rendered policies
View = Literal["full", "compact"]
_VIEW = Query(description="`full` (default): evidence, citations, rationale and trace; `compact`: rule ids, "
                          "verdicts, confidence and the rendered policies only (what most agents read)")


def _json(model: BaseModel) -> Response:
    """A response body serialised once by pydantic (the route's response model documents it; FastAPI would
    validate the finished model again and encode it a second time)."""
    return Response(model.model_dump_json(), media_type="application/json")


class PolicyList(BaseModel):
    count: int
    policies: list[PolicySummary]


class Health(BaseModel):
    status: str
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})


class Ready(BaseModel):
    status: str
    policies: int
    rules: int
    agent: bool
    problems: list[str] = Field(default_factory=list)
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "ready", "policies": 14, "rules": 177, "agent": True, "problems": []}]})


def _request_models(cfg: ApiConfig) -> tuple[type[ContentQuery], type[BaseModel]]:
    """The request models carry the configured limits, so validation and the OpenAPI schema agree."""
    context_req = create_model(
        "ContextRequest",
        __base__=ContentQuery,
        text=(str | None, Field(None, min_length=1, max_length=cfg.max_content_chars,
                                description=f"The content as one text: caption, comment, transcript... (at most "
                                            f"{cfg.max_content_chars:,} characters; all text fields together too)")),
        transcript=(str | None, Field(None, min_length=1, max_length=cfg.max_content_chars,
                                      description="Speech transcript (ASR)")),
    )
    batch_req = create_model(
        "BatchRequest",
        __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [BATCH_EXAMPLE["two"]["value"]]}),
        items=(list[context_req], Field(min_length=1, max_length=cfg.max_batch_size,
                                        description=f"At most {cfg.max_batch_size} items")),
    )
    return context_req, batch_req


# --------------------------------------------------------------------------- auth

_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key (agent, author or admin)")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token")


def _auth_dependency(keys: KeyStore, needed: Role):
    def check(request: Request,
              api_key: Annotated[str | None, Depends(_api_key_header)] = None,
              bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None) -> str:
        key = api_key or (bearer.credentials if bearer else None)
        state = request.scope.setdefault("state", {})
        if key:
            state["key_id"] = key_id(key)
        role = keys.role_of(key)
        if role is None:
            raise ApiError(401, "unauthorized", "an API key is required (header X-API-Key or Authorization: Bearer)"
                           if not key else "unknown API key", headers={"WWW-Authenticate": 'Bearer realm="policygraph"'})
        state["role"] = role
        if not allows(role, needed):
            raise ApiError(403, "forbidden", f"this endpoint needs the {needed} role; the key has the {role} role")
        return role

    return check


# --------------------------------------------------------------------------- the app


def _caller(request: Request) -> str:
    """Whose turn it is (admission control): the key's digest the auth dependency noted."""
    return str(request.scope.get("state", {}).get("key_id", ""))


async def _served(request: Request, watched: WorkTicket, fn, *args, **kwargs):
    """Run blocking decision work in the thread pool while watching the client: when it disconnects,
    the ticket is cancelled and the work stops at its next step (or leaves the queue)."""
    async def watch() -> None:
        while not await request.is_disconnected():
            await asyncio.sleep(0.1)
        watched.cancel()

    watcher = asyncio.create_task(watch())
    try:
        return await run_in_threadpool(fn, *args, **kwargs)
    finally:
        watcher.cancel()


def create_app(engine: Engine, api_config: ApiConfig | None = None, *, service: PolicyService | None = None,
               mount_mcp: bool | None = None) -> FastAPI:
    cfg = api_config or ApiConfig()
    svc = service or PolicyService(engine, max_content_chars=cfg.max_content_chars, admission=cfg.admission(),
                                   deadline_s=cfg.decision_deadline_s, decision_cache=cfg.decision_cache)
    keys = KeyStore.from_config(cfg)
    if not len(keys):
        log.warning("no API keys configured (POLICYGRAPH_API_KEYS or POLICYGRAPH_API_KEYS_FILE): "
                    "every endpoint but /healthz, /readyz and /metrics will answer 401")
    metrics = Metrics(stats_fn=svc.stats, admission=svc.admission, caches=svc.caches)
    # create_model() classes: mypy cannot use them as types, hence the valid-type and attr-defined
    # ignores on the two context endpoints
    ContextRequest, BatchRequest = _request_models(cfg)
    agent_role = Depends(_auth_dependency(keys, "agent"))
    author_role = Depends(_auth_dependency(keys, "author"))

    mcp_path = cfg.mcp_path if (mount_mcp if mount_mcp is not None else bool(cfg.mcp_path)) else ""
    mcp_server = None
    if mcp_path:
        from policygraph.api.mcp_server import build_mcp_server, without_event_stream

        mcp_server = build_mcp_server(svc)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if cfg.warmup:  # load the agent and run one decision now, not on the first request
            await run_in_threadpool(_warm_up, svc)
        if mcp_server is not None:
            async with mcp_server.session_manager.run():
                yield
        else:
            yield

    app = FastAPI(
        title="PolicyGraph API",
        version=VERSION,
        summary="Which policy rules apply to this content, and why.",
        description=(
            "Ask which Trust & Safety policy rules apply to a piece of content; read rules and policies; "
            "upload policy documents.\n\n"
            "**Auth**: send an API key in `X-API-Key` (or `Authorization: Bearer <key>`). Roles: `agent` reads "
            "(context, rules, policies), `author` also uploads, `admin` may do everything.\n\n"
            "**Errors** are always `{\"error\": {\"code\", \"message\", \"field\"?, ...}}`."
        ),
        lifespan=lifespan,
        # /docs and /redoc are served below from assets shipped in a package (no CDN): they work offline
        docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
        openapi_tags=[
            {"name": "context", "description": "Which rules apply to content (the agent's decision)"},
            {"name": "rules", "description": "Rules as stored, at a point in time, in a language"},
            {"name": "policies", "description": "Policy documents: list, read, upload"},
            {"name": "lifecycle", "description": "Drafts, diffs, publish, rollback, history, audit (authors)"},
            {"name": "ops", "description": "Health, readiness, metrics"},
        ],
    )
    app.state.service = svc
    app.state.metrics = metrics
    app.state.api_config = cfg
    install_error_handlers(app)
    _add_offline_docs(app)

    # ------------------------------------------------------------------ context
    @app.post("/v1/context", response_model=Decision | CompactDecision, tags=["context"], dependencies=[agent_role],
              summary="Which rules apply to this content",
              responses={**_responses(401, 403, 413, 422, 429, 503),
                         200: {"content": {"application/json": {"example": DECISION_EXAMPLE}}}})
    async def context(request: Request,
                      query: Annotated[ContextRequest, Body(openapi_examples=CONTEXT_EXAMPLES)],  # type: ignore[valid-type]
                      view: Annotated[View, _VIEW] = "full") -> Response:
        """Runs the policy agent on the content: the PolicyContext (ranked rules with evidence and
        citations), a verdict per rule, the agent's trace and the applicable policies rendered for a
        downstream moderation model (`view=compact`: rule ids, verdicts and the rendered policies only).
        The same request against the same corpus version is answered from the decision cache
        (`cached: true`). Under load: 429 (too much waiting) or 503 (deadline), each with Retry-After;
        work whose client left is stopped."""
        q = ContentQuery.model_validate(query.model_dump())  # type: ignore[attr-defined]
        ticket = WorkTicket.within(svc.deadline_s, svc.admission.retry_after)
        decision = await _served(request, ticket, svc.decide, q, key=_caller(request), ticket=ticket)
        metrics.decisions.inc()
        return _json(decision.compact() if view == "compact" else decision)

    @app.post("/v1/context/batch", response_model=BatchResponse, tags=["context"], dependencies=[agent_role],
              summary=f"Several contents at once (at most {cfg.max_batch_size})",
              responses=_responses(401, 403, 413, 422, 429, 503))
    async def context_batch(request: Request,
                            batch: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLE)],  # type: ignore[valid-type]
                            view: Annotated[View, _VIEW] = "full") -> Response:
        """One decision per item, in order, all against the same corpus version."""
        queries = [ContentQuery.model_validate(i.model_dump()) for i in batch.items]  # type: ignore[attr-defined]
        ticket = svc.batch_ticket(len(queries))
        results = await _served(request, ticket, svc.decide_many, queries, key=_caller(request), ticket=ticket)
        metrics.decisions.inc(len(results))
        if view == "compact":
            results = [d.compact() for d in results]
        return _json(BatchResponse(count=len(results), results=results))

    # ------------------------------------------------------------------ rules
    @app.get("/v1/rules/{rule_id}", response_model=RuleView, tags=["rules"], dependencies=[agent_role],
             summary="One rule: the version in force at a date, in a language",
             responses=_responses(401, 403, 404, 422))
    def get_rule(
        rule_id: Annotated[str, Path(description="Rule id, e.g. VE-1.1", examples=["VE-1.1"], max_length=64)],
        at: Annotated[dt.date | None, Query(description="The version in force on this date (default today)",
                                            examples=["2026-06-01"])] = None,
        lang: Annotated[str | None, Query(description="Text in this language when a translation exists",
                                          examples=["de"], max_length=16)] = None,
    ) -> RuleView:
        return svc.get_rule(rule_id, at=at, lang=lang)

    # ------------------------------------------------------------------ policies
    @app.get("/v1/policies", response_model=PolicyList, tags=["policies"], dependencies=[agent_role],
             summary="Every stored policy", responses=_responses(401, 403))
    def list_policies() -> PolicyList:
        items = svc.list_policies()
        return PolicyList(count=len(items), policies=items)

    @app.get("/v1/policies/{policy_id}", tags=["policies"], dependencies=[agent_role],
             summary="One policy with its sections, rules and definitions",
             responses={**_responses(401, 403, 404), 200: {"content": {"application/json": {"example": {
                 "policy_id": "violent-extremism", "title": "Violent Extremism", "category": "violent_extremism",
                 "version": 3, "status": "published", "languages": ["ar", "de", "en", "es", "hi"],
                 "sections": [{"section_id": "praise-support-and-recruitment",
                               "title": "Praise, support and recruitment",
                               "rules": [{"rule_id": "VE-1.1", "title": "Praise of violent extremists",
                                          "kind": "prohibited", "severity": "high", "jurisdictions": ["GLOBAL"]}]}],
                 "definitions": [{"term_id": "terrorist-organisation", "term": "terrorist organisation",
                                  "definition": "A group that uses or threatens violence against civilians..."}]}}}}})
    def get_policy(policy_id: Annotated[str, Path(description="Policy id", examples=["violent-extremism"],
                                                  max_length=128)]) -> dict[str, Any]:
        return svc.get_policy(policy_id)

    @app.post(UPLOAD_PATH, response_model=IngestReport, status_code=201, tags=["policies"],
              dependencies=[author_role], summary="Upload a policy document (authors)",
              responses={**_responses(400, 401, 403, 409, 413, 415, 422),
                         200: {"model": IngestReport, "description": "The document was already stored as given"}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "multipart/form-data": {"schema": {
                      "type": "object", "required": ["file"],
                      "properties": {"file": {"type": "string", "format": "binary",
                                              "description": "The document; its name's suffix picks the format"}}}},
                  "application/json": {"schema": UploadJson.model_json_schema(),
                                       "example": UPLOAD_JSON_EXAMPLE},
              }}})
    async def upload_policy(request: Request, response: Response) -> IngestReport:
        """Parse, validate and store one document (authoring-format Markdown, plain Markdown, text,
        HTML, YAML or JSON). All or nothing: a refused document answers 400 with the file, line and
        problem, and nothing stored changes. Readers see the corpus before or after, never between."""
        filename, data = await read_upload(request)
        try:
            report = await run_in_threadpool(svc.upload, filename, data)
        except Exception as exc:
            from policygraph.errors import PolicyGraphError

            if isinstance(exc, PolicyGraphError):
                metrics.uploads.labels("refused").inc()
            raise
        metrics.uploads.labels("noop" if report.noop else "ok").inc()
        if report.noop:
            response.status_code = 200
        return report

    # ------------------------------------------------------------------ lifecycle (drafts, publish, rollback)
    from policygraph.api.lifecycle_routes import DRAFTS_PATH, build_lifecycle_router, lifecycle_required_role

    app.include_router(build_lifecycle_router(svc, author_role=author_role, agent_role=agent_role))
    from policygraph.api.console import (  # the author console (docs/console.md)
        CONSOLE_API_PATH,
        build_console_router,
        console_required_role,
    )

    app.include_router(build_console_router(svc, author_role=author_role, agent_role=agent_role))

    # ------------------------------------------------------------------ ops
    @app.get("/healthz", response_model=Health, tags=["ops"], summary="Liveness: the process answers")
    def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Ready, tags=["ops"], summary="Readiness: agent loaded, corpus not empty",
             responses={503: {"model": Ready, "description": "Not ready; `problems` says why"}})
    def readyz(response: Response) -> Ready:
        problems = []
        ok, why = svc.agent_ready()
        if not ok:
            problems.append(why or "agent unavailable")
        s = svc.stats()
        if not s.get("policies"):
            problems.append("no policies stored")
        busy = svc.admission.overloaded()
        if busy:
            problems.append(busy)
        if problems:
            response.status_code = 503
        return Ready(status="not_ready" if problems else "ready", policies=s.get("policies", 0),
                     rules=s.get("rules", 0), agent=ok, problems=problems)

    metrics_deps = [] if cfg.public_metrics else [agent_role]

    @app.get("/metrics", tags=["ops"], dependencies=metrics_deps, summary="Prometheus metrics",
             response_class=Response,
             responses={200: {"content": {"text/plain": {"example":
                                                         "policygraph_http_requests_total{method=\"POST\","
                                                         "route=\"/v1/context\",status=\"200\"} 42.0\n"}}}})
    def metrics_endpoint() -> Response:
        """Request counts, latencies and errors by route, uploads, decisions, and the corpus size."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # ------------------------------------------------------------------ MCP (streamable HTTP)
    if mcp_server is not None:
        from starlette.routing import Route

        mcp_asgi = without_event_stream(mcp_server.streamable_http_app(
            streamable_http_path=mcp_path, stateless_http=True, json_response=True, host=cfg.host))
        app.router.routes.append(Route(mcp_path, endpoint=mcp_asgi, include_in_schema=False))

    def required_role(method: str, path: str) -> Role | None:
        """Checked before the body is read (KeyAuthMiddleware); the endpoints' dependencies check again."""
        if path.startswith("/v1/") or path == "/v1":
            if lifecycle_required_role(method, path):
                return "author"
            return "author" if method == "POST" and path.rstrip("/") == UPLOAD_PATH else "agent"
        if mcp_path and path.rstrip("/") == mcp_path:
            return "agent"
        if path.startswith(CONSOLE_API_PATH):  # the console's JSON routes (the page and its files are public)
            return console_required_role(method, path)
        if path == "/metrics" and not cfg.public_metrics:
            return "agent"
        return None

    # outermost last: metrics/logging see everything; the key is checked before the body is read;
    # the body limit applies before any parsing
    app.add_middleware(BodyLimitMiddleware, max_bytes=cfg.max_request_bytes, upload_max_bytes=cfg.max_upload_bytes,
                       upload_paths=(UPLOAD_PATH, DRAFTS_PATH))
    app.add_middleware(KeyAuthMiddleware, keys=keys, rule=required_role)
    static = tuple(route_path for r in app.routes if (route_path := getattr(r, "path", None)) and "{" not in route_path)
    app.add_middleware(ObservabilityMiddleware, metrics=metrics, mounts=(mcp_path,) if mcp_path else (),
                       static_paths=static)
    return app


def _warm_up(svc: PolicyService) -> None:
    ok, why = svc.agent_ready()
    if not ok:
        log.warning("agent unavailable: %s", why)
        return
    # the model's weights resident from the start: read page by page as new tokens arrive, they grew the
    # server's memory for as long as it ran
    log.info("model weights resident: %.0f MB", svc.engine.embedder.keep_resident() / 1e6)
    try:
        if svc.stats().get("policies"):
            svc.decide(ContentQuery(text="warm-up: is this content allowed?"))
    except Exception:
        log.warning("warm-up decision failed", exc_info=True)
    freeze_long_lived()  # in a server: what is loaded now lives as long as the process


# --------------------------------------------------------------------------- interactive docs, offline

DOCS_STATIC_PATH = "/docs-static"
_DOCS_ASSETS = {"swagger-ui-bundle.js": "text/javascript; charset=utf-8", "swagger-ui.css": "text/css; charset=utf-8",
                "redoc.standalone.js": "text/javascript; charset=utf-8", "favicon.png": "image/png"}


def _add_offline_docs(app: FastAPI) -> None:
    """`/docs` (Swagger UI) and `/redoc` with their JavaScript, CSS and icon served by this app from the
    `fastapi_offline` package (`/docs-static/...`), not from a CDN: the pages work on an offline host.
    No key is needed for them, as for `/openapi.json`."""
    import importlib.resources
    from pathlib import Path as FsPath

    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import FileResponse, HTMLResponse

    assets = FsPath(str(importlib.resources.files("fastapi_offline") / "static"))
    missing = sorted(n for n in _DOCS_ASSETS if not (assets / n).is_file())
    if missing:
        log.warning("interactive docs assets missing from %s: %s (reinstall fastapi-offline)", assets, missing)

    def url(request: Request, path: str) -> str:
        return f"{request.scope.get('root_path', '').rstrip('/')}{path}"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"), title=f"{app.title} - Swagger UI",
            swagger_js_url=url(request, f"{DOCS_STATIC_PATH}/swagger-ui-bundle.js"),
            swagger_css_url=url(request, f"{DOCS_STATIC_PATH}/swagger-ui.css"),
            swagger_favicon_url=url(request, f"{DOCS_STATIC_PATH}/favicon.png"),
            swagger_ui_parameters={"validatorUrl": None, **(app.swagger_ui_parameters or {})})

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=url(request, app.openapi_url or "/openapi.json"), title=f"{app.title} - ReDoc",
            redoc_js_url=url(request, f"{DOCS_STATIC_PATH}/redoc.standalone.js"),
            redoc_favicon_url=url(request, f"{DOCS_STATIC_PATH}/favicon.png"), with_google_fonts=False)

    @app.get(DOCS_STATIC_PATH + "/{name}", include_in_schema=False)
    def docs_asset(name: Annotated[str, Path(max_length=64)]) -> Response:
        media_type = _DOCS_ASSETS.get(name)
        if media_type is None or not (assets / name).is_file():
            raise ApiError(404, "not_found", f"no docs asset {name!r}")
        return FileResponse(assets / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
