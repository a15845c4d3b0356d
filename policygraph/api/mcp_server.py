"""The MCP server: the same engine and agent as the HTTP API, as MCP tools and resources.

Tools
  find_applicable_policies(content?, language?, jurisdiction?, at?, top_k?, title?, description?,
                           transcript?, ocr_text?, hashtags?, comments?, media_type?, signals?,
                           provenance?, region?)   the decision (structured)
  explain_decision(content, ...)     the rationale, the agent's trace and the rendered policies
  get_rule(rule_id, at?, lang?)      one rule as stored
  list_policies()                    every stored policy
Resources
  policy://index                     every stored policy (JSON)
  policy://{policy_id}               one policy with its sections, rules and definitions (JSON)

Run it:
  python -m policygraph.api.mcp_server --transport stdio [--data-dir D]
  python -m policygraph.api.mcp_server --transport http --port 8001 [--data-dir D]    (endpoint /mcp)
`policygraph serve` also mounts the streamable HTTP endpoint at /mcp of the HTTP API.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field

from policygraph.api.service import PolicyService, ensure_corpus
from policygraph.errors import ContentTooLong, NotFound, NotServed
from policygraph.lifecycle import open_engine
from policygraph.models import (
    ContentQuery,
    MediaType,
    PolicySummary,
    Provenance,
    QueryUnderstood,
    RenderedPolicy,
    RuleDecision,
    RuleHit,
    RuleView,
    TraceStep,
    UpstreamSignal,
)

log = logging.getLogger("policygraph.api.mcp")

INSTRUCTIONS = (
    "PolicyGraph answers which Trust & Safety policy rules apply to a piece of content, with evidence and "
    "citations. Call find_applicable_policies with the content (any language); call explain_decision for "
    "the reasoning trace and self-contained policy texts; get_rule for a rule's full text at a date or in "
    "a language. Read policy://index for the list of policies and policy://{policy_id} for one policy."
)


class ApplicablePolicies(BaseModel):
    """The agent's decision on one piece of content."""

    query: QueryUnderstood = Field(description="The content as understood: language, jurisdiction, date, terms")
    categories: list[str] = Field(description="The categories of the returned rules, best first (none when no rule "
                                              "is returned)")
    decisions: list[RuleDecision] = Field(description="A verdict per rule, with confidence and citations")
    rules: list[RuleHit] = Field(description="The ranked rules with text, evidence and citations")
    rationale: str


class Explanation(BaseModel):
    """Why the agent decided what it did."""

    rationale: str
    decisions: list[RuleDecision]
    trace: list[TraceStep] = Field(description="Every step the agent took, with inputs, outputs and timings")
    rendered: list[RenderedPolicy] = Field(description="Self-contained texts of the applicable policies")
    second_pass: bool = False
    llm_used: bool = False


class PolicyIndex(BaseModel):
    count: int
    policies: list[PolicySummary]


def _query(svc: PolicyService, **fields) -> ContentQuery:
    """The ContentQuery of a tool call (arguments left out are not sent); ValueError says what is wrong."""
    if "content" in fields:
        fields["text"] = fields.pop("content")
    q = ContentQuery(**{k: v for k, v in fields.items() if v is not None and v != []})
    try:
        svc.check_query(q)
    except ContentTooLong as exc:
        raise ValueError(f"{exc.field}: {exc}") from None
    return q


def _refusing_unknown_arguments(fn, title: str):
    """The SDK's tool for `fn`, refusing arguments it does not take, as the HTTP API refuses unknown
    fields: the SDK builds each tool's argument model with pydantic's default `extra="ignore"`, so
    `{"content": "x", "colour": "red"}` would silently drop `colour`. Its argument model is swapped for
    a subclass with `extra="forbid"` (`FuncMetadata` reads `arg_model` at each call), and the published
    input schema says `additionalProperties: false`. An unknown argument is then a tool error
    (`isError: true`) naming it, like any other invalid argument."""
    from mcp.server.mcpserver.tools import Tool
    from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
    from pydantic import ConfigDict

    tool = Tool.from_function(fn, title=title)
    lax = tool.fn_metadata.arg_model
    strict: type[ArgModelBase] = type(lax.__name__, (lax,), {"model_config": ConfigDict(extra="forbid"),
                                                          "__module__": lax.__module__, "__qualname__": lax.__qualname__})
    tool.fn_metadata.arg_model = strict
    tool.parameters = strict.model_json_schema(by_alias=True)
    return tool


class without_event_stream:  # noqa: N801 - reads as what it does to the app it wraps
    """The streamable HTTP endpoint, answering `GET` with 405: the server is stateless (every request stands
    alone, answered as JSON), so it has nothing to push on a standing event stream, and the MCP transport
    lets such a server refuse the GET. Without this an idle `GET /mcp` stayed open for ever, one per client.
    (An ASGI class, not a function: a router takes a plain function for a request handler.)"""

    BODY = json.dumps({"error": {"code": "method_not_allowed", "message": (
        "this MCP endpoint is stateless and offers no event stream: send JSON-RPC requests with POST")}}).encode()

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET":
            await send({"type": "http.response.start", "status": 405,
                        "headers": [(b"allow", b"POST"), (b"content-type", b"application/json"),
                                    (b"content-length", str(len(self.BODY)).encode())]})
            await send({"type": "http.response.body", "body": self.BODY})
            return
        await self.app(scope, receive, send)


def build_mcp_server(svc: PolicyService):
    """An MCPServer over the service. Tools are plain functions: the SDK runs them in worker threads."""
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ToolError

    def find_applicable_policies(
        content: str | None = None,
        language: str | None = None,
        jurisdiction: str | None = None,
        at: dt.date | None = None,
        top_k: Annotated[int, Field(ge=1, le=50, strict=True)] = 5,
        title: str | None = None,
        description: str | None = None,
        transcript: str | None = None,
        ocr_text: str | None = None,
        hashtags: list[str] | None = None,
        comments: list[str] | None = None,
        media_type: MediaType | None = None,
        signals: list[UpstreamSignal] | None = None,
        provenance: Provenance | None = None,
        region: str | None = None,
    ) -> ApplicablePolicies:
        """Which policy rules apply to this content, with a verdict per rule, evidence and citations.

        content: the text to check (caption, comment, transcript...), any language. Optional when
            the structured fields below are given.
        language: ISO 639-1 code of the content; detected when absent (per field for structured content).
        jurisdiction: ISO 3166 alpha-2 code or EU; regional rules for it override global ones.
        at: date (YYYY-MM-DD) whose rules apply; default today.
        top_k: at most this many rules.
        title, description, transcript, ocr_text, hashtags, comments: what was seen of a video, image,
            live stream or post, field by field; evidence names the field it came from.
        media_type: video, image, live, audio or text.
        signals: upstream classifier labels, e.g. [{"label": "weapon", "score": 0.93, "model": "vision-v3"}].
        provenance: AIGC provenance, e.g. {"declared_ai": false, "detector_score": 0.97, "c2pa": [...]}.
        region: where it was posted (ISO 3166 alpha-2); the jurisdiction when none is given.
        """
        try:
            d = svc.decide(_query(
                svc, content=content, language=language, jurisdiction=jurisdiction, at=at, top_k=top_k, title=title,
                description=description, transcript=transcript, ocr_text=ocr_text, hashtags=hashtags,
                comments=comments, media_type=media_type, signals=signals, provenance=provenance, region=region))
        except (ValueError, NotServed) as exc:
            raise ToolError(str(exc)) from None
        c = d.context
        return ApplicablePolicies(query=c.query, categories=[x.value for x in c.categories],
                                  decisions=d.decisions, rules=c.rules, rationale=c.rationale)

    def explain_decision(
        content: str | None = None,
        language: str | None = None,
        jurisdiction: str | None = None,
        at: dt.date | None = None,
        top_k: Annotated[int, Field(ge=1, le=50, strict=True)] = 5,
        title: str | None = None,
        description: str | None = None,
        transcript: str | None = None,
        ocr_text: str | None = None,
        hashtags: list[str] | None = None,
        comments: list[str] | None = None,
        media_type: MediaType | None = None,
        signals: list[UpstreamSignal] | None = None,
        provenance: Provenance | None = None,
        region: str | None = None,
    ) -> Explanation:
        """Why the agent decided what it did for this content: the rationale, each step of its trace,
        and the applicable policies rendered as self-contained texts for a moderation model."""
        try:
            d = svc.decide(_query(
                svc, content=content, language=language, jurisdiction=jurisdiction, at=at, top_k=top_k, title=title,
                description=description, transcript=transcript, ocr_text=ocr_text, hashtags=hashtags,
                comments=comments, media_type=media_type, signals=signals, provenance=provenance, region=region))
        except (ValueError, NotServed) as exc:
            raise ToolError(str(exc)) from None
        return Explanation(rationale=d.context.rationale, decisions=d.decisions, trace=d.trace, rendered=d.rendered,
                           second_pass=d.second_pass, llm_used=d.llm_used)

    def get_rule(rule_id: str, at: dt.date | None = None, lang: str | None = None) -> RuleView:
        """One rule as stored: the version in force at `at` (default today), its text in `lang` when a
        translation exists, its exceptions, overrides, terms, examples and citation."""
        try:
            return svc.get_rule(rule_id, at=at, lang=lang)
        except NotFound as exc:
            raise ToolError(str(exc)) from None

    def list_policies() -> PolicyIndex:
        """Every stored policy: id, title, category, version, languages, number of rules."""
        items = svc.list_policies()
        return PolicyIndex(count=len(items), policies=items)

    tools = [_refusing_unknown_arguments(fn, title) for fn, title in (
        (find_applicable_policies, "Find applicable policies"), (explain_decision, "Explain decision"),
        (get_rule, "Get rule"), (list_policies, "List policies"))]
    mcp = MCPServer("policygraph", title="PolicyGraph", instructions=INSTRUCTIONS, version="0.1.0",
                    log_level="WARNING", tools=tools)

    @mcp.resource("policy://index", name="policies", title="Policy index", mime_type="application/json",
                  description="Every stored policy (id, title, category, version, languages, rules)")
    def policy_index() -> str:
        items = svc.list_policies()
        return json.dumps({"count": len(items), "policies": [p.model_dump(mode="json") for p in items]},
                          ensure_ascii=False)

    def read_policy(policy_id: str) -> str:
        try:
            return json.dumps(svc.get_policy(policy_id), ensure_ascii=False, default=str)
        except NotFound as exc:
            raise ResourceError(str(exc)) from None

    @mcp.resource("policy://{policy_id}", name="policy", title="Policy", mime_type="application/json",
                  description="One policy with its sections, rules and definitions")
    def policy(policy_id: str) -> str:
        return read_policy(policy_id)

    # Each stored policy is also listed as a concrete resource (clients that only show listed
    # resources see them all); uploads add theirs.
    from mcp.server.mcpserver.resources import FunctionResource

    listed: set[str] = set()

    def list_concrete() -> None:
        for p in svc.list_policies():
            if p.policy_id in listed:
                continue
            listed.add(p.policy_id)
            mcp.add_resource(FunctionResource.from_function(
                fn=(lambda pid=p.policy_id: read_policy(pid)), uri=f"policy://{p.policy_id}", name=p.policy_id,
                title=p.title, description=f"{p.title} ({p.category}, v{p.version}, {p.rules} rules)",
                mime_type="application/json"))

    list_concrete()
    svc.on_change.append(list_concrete)
    return mcp


# --------------------------------------------------------------------------- entry point


def open_service(data_dir: str | None, ingest_if_empty: bool = True, max_content_chars: int | None = None):
    """The engine on `data_dir` (default: settings), with the bundled corpus ingested when the store is
    empty, wrapped in a PolicyService."""
    from policygraph.api.config import ApiConfig
    from policygraph.settings import Settings

    settings = Settings(data_dir=Path(data_dir)) if data_dir else Settings()
    engine = open_engine(settings)
    if ingest_if_empty:
        ensure_corpus(engine)
    limit = max_content_chars or ApiConfig().max_content_chars
    cfg = ApiConfig()
    return PolicyService(engine, max_content_chars=limit, admission=cfg.admission(), deadline_s=cfg.decision_deadline_s,
                         decision_cache=cfg.decision_cache)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m policygraph.api.mcp_server", description="PolicyGraph MCP server")
    p.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    p.add_argument("--host", default=None, help="http: interface (default POLICYGRAPH_API_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="http: port (default POLICYGRAPH_API_PORT or 8000)")
    p.add_argument("--path", default="/mcp", help="http: endpoint path (default /mcp)")
    p.add_argument("--data-dir", default=None, help="data directory (env POLICYGRAPH_DATA_DIR)")
    p.add_argument("--no-ingest", action="store_true", help="do not ingest the bundled corpus into an empty store")
    p.add_argument("--no-auth", action="store_true",
                   help="http: serve without API keys (loopback development only)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    # stdout is the stdio transport: every log goes to stderr
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    svc = open_service(args.data_dir, ingest_if_empty=not args.no_ingest)
    mcp = build_mcp_server(svc)
    if args.transport == "stdio":
        mcp.run("stdio")
        return 0

    import contextlib

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route

    from policygraph.api.config import ApiConfig, KeyStore
    from policygraph.api.middleware import KeyAuthMiddleware

    cfg = ApiConfig()
    host = args.host or cfg.host
    port = args.port if args.port is not None else cfg.port
    keys = KeyStore.from_config(cfg)
    inner = without_event_stream(mcp.streamable_http_app(streamable_http_path=args.path, stateless_http=True,
                                                         json_response=True, host=host))
    endpoint: without_event_stream | KeyAuthMiddleware = inner
    if not args.no_auth:
        if not len(keys):
            log.warning("no API keys configured: every MCP request will answer 401 (set POLICYGRAPH_API_KEYS "
                        "or pass --no-auth on loopback)")
        endpoint = KeyAuthMiddleware(inner, keys, rule=lambda method, path: "agent")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with mcp.session_manager.run():
            yield

    app = Starlette(routes=[Route(args.path, endpoint=endpoint)], lifespan=lifespan)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
