"""The HTTP API and the MCP tools at their edges (issue 13): interactive docs that work offline, bodies
that are not JSON answered as `malformed_json`, 401/403 on every route of the OpenAPI document, and MCP
tools that refuse arguments they do not take.

One real uvicorn server (tests/test_api.py's `start_server`) over an empty data directory: nothing here
needs the corpus, so the file runs in seconds without the session's corpus fixture.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from conftest import make_engine
from test_api import AGENT_KEY, AUTHOR_KEY, MAX_BODY, Running, err, start_server, stop_server

AGENT = {"X-API-Key": AGENT_KEY}
AUTHOR = {"X-API-Key": AUTHOR_KEY}
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def api(embedding_cache_dir, tmp_path_factory) -> Iterator[Running]:
    r = start_server(make_engine(tmp_path_factory.mktemp("edges") / "data", embedding_cache_dir), warmup=False)
    yield r
    stop_server(r)


# --------------------------------------------------------------------------- offline docs (issue item 6)

_REFERENCE = re.compile(r"""(?:\bsrc|\bhref|\bspec-url)\s*=\s*["']([^"']*)["']|\burl:\s*'([^']*)'""")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_everything_from_this_server(client, api, page):
    r = client.get(page)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), r.text[:300]
    html = r.text
    assert "cdn" not in html.lower(), html
    assert not re.search(r"https?://", html), f"an absolute URL in {page}: {html}"
    refs = [a or b for a, b in _REFERENCE.findall(html)]
    scripts = [x for x in refs if x.endswith(".js")]
    assert scripts and any(x.endswith(".css") for x in refs) == (page == "/docs"), refs
    origin = urlsplit(api.url)
    for ref in refs:
        url = urljoin(api.url + page, ref)
        assert (urlsplit(url).scheme, urlsplit(url).netloc) == (origin.scheme, origin.netloc), ref
        asset = client.get(url)
        assert asset.status_code == 200, (ref, asset.status_code)
        ctype = asset.headers["content-type"]
        if ref.endswith(".js"):
            assert "javascript" in ctype and len(asset.content) > 100_000, (ref, ctype)
        elif ref.endswith(".css"):
            assert ctype.startswith("text/css") and len(asset.content) > 10_000, (ref, ctype)
        elif ref.endswith(".png"):
            assert ctype == "image/png" and asset.content.startswith(b"\x89PNG"), (ref, ctype)
        else:
            assert ref.endswith("openapi.json") and asset.json()["paths"], ref


def test_docs_assets_are_only_the_known_files(client):
    for name in ("core.py", "__init__.py", "..%2F__init__.py", "nope.js", "x" * 65):
        r = client.get(f"/docs-static/{name}")
        assert r.status_code in (404, 422), (name, r.status_code)
        err(r)


# --------------------------------------------------------------------------- malformed JSON (issue item 12)

def _deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


MALFORMED = {
    "invalid_utf8": b'{"text": "caf\xe9 con leche"}',
    "invalid_utf8_start": b'{"text": "\xff\xfe\xfa"}',
    "truncated_utf8": b'{"text": "\xe2\x82"}',
    "deep_5000": _deep(5000),
    "deep_5000_in_a_field": b'{"text": "x", "signals": ' + _deep(5000) + b"}",
    "huge_integer": b'{"text": "x", "top_k": ' + b"9" * 5000 + b"}",
}


@pytest.mark.parametrize("path", ["/v1/context", "/v1/context/batch"])
@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_unreadable_json_is_422_malformed_json(client, path, case):
    body = MALFORMED[case]
    if path.endswith("/batch") and body.startswith(b"{"):
        body = b'{"items": [' + body + b"]}"
    r = client.post(path, content=body, headers={**AGENT, **JSON})
    assert r.status_code == 422, (case, r.status_code, r.text[:300])
    e = err(r)
    assert e["code"] == "malformed_json" and e["field"] == "body", e
    assert "not valid JSON" in e["message"], e


@pytest.mark.parametrize("path", ["/v1/context", "/v1/context/batch"])
@pytest.mark.parametrize("depth", [10, 500, 900, 990, 1000, 1100, 2000, 5000, 30_000])
def test_deep_json_never_5xx(client, path, depth):
    for body in (_deep(depth), b'{"items": ' + _deep(depth) + b"}", b'{"text": ' + _deep(depth) + b"}",
                 b'{"text": "x", "provenance": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"):
        r = client.post(path, content=body, headers={**AGENT, **JSON})
        if len(body) > MAX_BODY:  # refused by size before anything parses it
            assert r.status_code == 413 and err(r)["code"] == "request_too_large", r.text[:300]
            continue
        assert r.status_code == 422, (depth, body[:40], r.status_code, r.text[:300])
        assert err(r)["code"] in ("malformed_json", "invalid_field", "missing_field", "unknown_field"), r.text[:300]


# --------------------------------------------------------------------------- 401/403 on every route (issue item 15)

#: Routes that need no key, spelled out: a new route is never public by accident. (`/metrics` is public
#: by default, POLICYGRAPH_API_PUBLIC_METRICS; the console page and its static files are not in the
#: OpenAPI document, the console's JSON routes are and need keys.)
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/metrics")}
#: Routes left out of the OpenAPI document on purpose, and the key each needs (None: public).
UNDOCUMENTED = {("GET", "/openapi.json"): None, ("HEAD", "/openapi.json"): None, ("GET", "/docs"): None,
                ("GET", "/redoc"): None, ("GET", "/docs-static/{name}"): None, ("GET", "/console"): None,
                ("GET", "/console/static/{name}"): None, ("*", "/mcp"): "agent"}

PATH_VALUES = {"rule_id": "VE-1.1", "policy_id": "violent-extremism", "draft_id": "d-0123456789ab",
               "name": "x.js"}
BODIES = {"/v1/context": {"text": "hello"}, "/v1/context/batch": {"items": [{"text": "hello"}]},
          "/v1/policies": {"filename": "x.md", "content": "---\nid: x\n---\n"},
          "/v1/drafts": {"filename": "x.md", "content": "---\nid: x\n---\n"},
          "/v1/policies/{policy_id}/rollback": {"to_version": 1}}
GARBAGE = b'{"text": '  # not JSON: an endpoint that read the body first would answer 422
#: The console's in-place edit takes a JSON body: the key must be checked before it is read.
JSON_BODY_CONSOLE_ROUTES = {("POST", "/console/api/policies/{policy_id}/rules/{rule_id}/draft")}


def expected_role(method: str, path: str) -> str | None:
    """The role each route needs (docs/api.md, docs/lifecycle.md, docs/console.md): agents read and ask;
    drafts and the audit log are for authors; every other write needs an author."""
    if (method, path) in PUBLIC:
        return None
    if method == "GET":
        return "author" if "/drafts" in path or path == "/v1/audit" else "agent"
    return "agent" if path in ("/v1/context", "/v1/context/batch") else "author"


def _routes(routes, prefix: str = "", deps: tuple = ()) -> Iterator[tuple[str, object, tuple]]:
    """(path, route, dependencies) of every route, into included routers (FastAPI keeps them nested)."""
    for r in routes:
        if hasattr(r, "original_router"):
            ctx = r.include_context
            yield from _routes(r.original_router.routes, prefix + ctx.prefix, deps + tuple(ctx.dependencies))
        else:
            yield prefix + r.path, r, deps + tuple(getattr(r, "dependencies", ()) or ())


def _declared_roles(deps: tuple) -> set[str]:
    """The roles named by a route's key dependencies (the app's `_auth_dependency(keys, needed)`)."""
    roles = set()
    for d in deps:
        fn = getattr(d, "dependency", None)
        if fn is not None and fn.__qualname__.startswith("_auth_dependency."):
            roles.add(inspect.getclosurevars(fn).nonlocals["needed"])
    return roles


@pytest.fixture(scope="module")
def operations(client) -> list[tuple[str, str]]:
    spec = client.get("/openapi.json").json()
    ops = sorted((m.upper(), p) for p, item in spec["paths"].items() for m in item
                 if m in ("get", "post", "put", "patch", "delete"))
    assert len(ops) >= 20 and ("POST", "/v1/context") in ops and ("GET", "/v1/audit") in ops, ops
    return ops


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m.group(1), "x"), path)


def test_public_routes_exist_and_need_no_key(client, operations):
    assert PUBLIC <= set(operations)
    for method, path in sorted(PUBLIC):
        assert client.request(method, path).status_code in (200, 503), path  # /readyz: 503 on an empty store
    for (method, path), role in UNDOCUMENTED.items():
        if role is None and method == "GET":
            r = client.get(_fill(path).replace("x.js", "favicon.png") if "docs-static" in path else _fill(path))
            assert r.status_code in (200, 404), (path, r.status_code)  # the console's files: 404 if absent
            assert r.status_code != 401


def test_every_route_declares_the_role_it_needs(api, operations):
    """What the app declares (route dependencies) agrees with the table of roles, and no route is
    outside the OpenAPI document unless listed in UNDOCUMENTED."""
    app = api.server.config.app
    seen: dict[tuple[str, str], set[str]] = {}
    for path, route, deps in _routes(app.routes):
        for method in sorted(getattr(route, "methods", None) or {"*"}):
            seen[(method, path)] = _declared_roles(deps)
    problems = []
    for method, path in operations:
        want = expected_role(method, path)
        got = seen.get((method, path))
        if got is None:
            problems.append(f"{method} {path}: in the OpenAPI document but not found among the app's routes")
        elif got != ({want} if want else set()):
            problems.append(f"{method} {path}: declares {sorted(got)}, expected {want}")
    undocumented = {k for k in seen if k not in set(operations)}
    problems += [f"{m} {p}: a route outside the OpenAPI document; list it in UNDOCUMENTED with its role"
                 for m, p in sorted(undocumented - set(UNDOCUMENTED))]
    assert not problems, "\n".join(problems)


def _send(client: httpx.Client, method: str, path: str, headers: dict, garbage: bool) -> httpx.Response:
    url = _fill(path)
    if method == "GET":
        return client.get(url, headers=headers)
    if garbage:
        return client.request(method, url, content=GARBAGE, headers={**headers, **JSON})
    return client.request(method, url, json=BODIES.get(path, {}), headers=headers)


def test_no_key_or_an_unknown_key_is_401_on_every_route(client, operations):
    failures = []
    for method, path in operations:
        if expected_role(method, path) is None:
            continue
        for who, headers in [("no key", {}), ("unknown key", {"X-API-Key": "not-a-key"}),
                             ("unknown bearer", {"Authorization": "Bearer not-a-key"}),
                             ("empty key", {"X-API-Key": ""})]:
            for garbage in (False, True):
                r = _send(client, method, path, headers, garbage)
                ok = (r.status_code == 401 and r.headers.get("www-authenticate", "").startswith("Bearer")
                      and r.json().get("error", {}).get("code") == "unauthorized")
                if not ok:
                    failures.append(f"{method} {path} ({who}, {'garbage' if garbage else 'plausible'} body): "
                                    f"{r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def test_an_agent_key_is_403_on_every_author_route(client, operations):
    failures = []
    author_routes = [(m, p) for m, p in operations if expected_role(m, p) in ("author", "admin")]
    assert len(author_routes) >= 10, author_routes
    for method, path in author_routes:
        for headers in (AGENT, {"Authorization": f"Bearer {AGENT_KEY}"}):
            for garbage in (False, True):
                r = _send(client, method, path, headers, garbage)
                if not (r.status_code == 403 and r.json().get("error", {}).get("code") == "forbidden"):
                    failures.append(f"{method} {path} ({'garbage' if garbage else 'plausible'} body): "
                                    f"{r.status_code} {r.text[:120]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("method", "path"), sorted(JSON_BODY_CONSOLE_ROUTES))
def test_the_key_is_checked_before_the_body_on_the_console_routes(client, method, path):
    for headers, status in (({}, 401), ({"X-API-Key": "not-a-key"}, 401), (AGENT, 403)):
        r = _send(client, method, path, headers, garbage=True)
        assert r.status_code == status, (headers, r.status_code, r.text[:200])


def test_the_right_key_gets_past_the_check_on_every_route(client, operations):
    """The check is not simply 'refuse everything': the role the route needs gets through (answers
    are 404/409/422 here, the store being empty and the bodies garbage, but never 401/403 or 5xx)."""
    failures = []
    for method, path in operations:
        role = expected_role(method, path)
        if role is None:
            continue
        headers = AGENT if role == "agent" else AUTHOR
        r = _send(client, method, path, headers, garbage=method != "GET")
        if r.status_code in (401, 403) or r.status_code >= 500:
            failures.append(f"{method} {path}: {r.status_code} {r.text[:160]}")
        elif r.status_code >= 400:
            err(r)
    assert not failures, "\n".join(failures)


def test_metrics_need_a_key_when_not_public(embedding_cache_dir, tmp_path):
    r = start_server(make_engine(tmp_path / "data", embedding_cache_dir), warmup=False, public_metrics=False)
    try:
        with r.client() as c:
            assert c.get("/metrics").status_code == 401
            assert c.get("/metrics", headers={"X-API-Key": "not-a-key"}).status_code == 401
            assert c.get("/metrics", headers=AGENT).status_code == 200
            assert c.get("/docs").status_code == 200 and c.get("/healthz").status_code == 200
    finally:
        stop_server(r)


def test_mcp_needs_an_agent_key(client):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}}
    hdrs = {"accept": "application/json, text/event-stream"}
    for headers in ({}, {"X-API-Key": "not-a-key"}):
        r = client.post("/mcp", json=init, headers={**hdrs, **headers})
        assert r.status_code == 401 and err(r)["code"] == "unauthorized", r.text
    r = client.post("/mcp", json=init, headers={**hdrs, **AGENT})
    assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- MCP: unknown arguments (issue item 12)

UNKNOWN_ARGUMENTS = [
    ("find_applicable_policies", {"content": "x", "colour": "red"}, "colour"),
    ("find_applicable_policies", {"content": "x", "text": "the HTTP name, not the tool's"}, "text"),
    ("explain_decision", {"content": "x", "Content": "y"}, "Content"),
    ("get_rule", {"rule_id": "VE-1.1", "language": "de"}, "language"),
    ("list_policies", {"verbose": True}, "verbose"),
]


async def _mcp(url: str, calls) -> tuple[dict, list]:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers=AGENT, timeout=httpx2.Timeout(120.0)) as hc,
        streamable_http_client(url, http_client=hc) as (read, write),
        ClientSession(read, write, read_timeout_seconds=120.0) as session,
    ):
        await session.initialize()
        tools = {t.name: t for t in (await session.list_tools()).tools}
        results = [await session.call_tool(name, args, read_timeout_seconds=120.0) for name, args in calls]
        return tools, results


def test_mcp_tools_refuse_unknown_arguments(api):
    calls = [(name, args) for name, args, _ in UNKNOWN_ARGUMENTS] + [("list_policies", {})]
    tools, results = asyncio.run(asyncio.wait_for(_mcp(api.url + "/mcp", calls), 240))
    assert set(tools) == {"find_applicable_policies", "explain_decision", "get_rule", "list_policies"}
    for t in tools.values():  # the published schema says so too
        assert t.input_schema.get("additionalProperties") is False, (t.name, t.input_schema)
    for (name, args, bad), res in zip(UNKNOWN_ARGUMENTS, results[:-1], strict=True):
        assert res.is_error, (name, args, res)
        text = res.content[0].text
        assert bad in text and "Extra inputs are not permitted" in text, (name, text)
    ok = results[-1]
    assert not ok.is_error and ok.structured_content == {"count": 0, "policies": []}, ok
