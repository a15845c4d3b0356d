"""Pure ASGI middleware: the request body limit, and metrics + access logging.

The access log names the caller by role and a short key digest only, never the key.
"""

from __future__ import annotations

import json
import logging
import time
from typing import ClassVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("policygraph.api.access")


class _TooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, body: dict, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()),
                            *(headers or [])]})
    await send({"type": "http.response.body", "body": data})


class BodyLimitMiddleware:
    """Refuses request bodies over the limit with 413, from the Content-Length header when there is
    one and by counting the bytes otherwise (chunked uploads). `upload_paths` get the upload limit."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int, upload_paths: tuple[str, ...]) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = upload_max_bytes
        self.upload_paths = upload_paths

    def _too_large(self, limit: int) -> dict:
        return {"error": {"code": "request_too_large",
                          "message": f"request body over the limit of {limit:,} bytes", "field": "body"}}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.upload_max_bytes if path.rstrip("/") in self.upload_paths else self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    scope.setdefault("state", {})["error_code"] = "request_too_large"
                    await _send_json(send, 413, self._too_large(limit), [(b"connection", b"close")])
                    return
        seen = 0
        exceeded = False
        started = False

        async def counting_receive() -> Message:
            nonlocal seen, exceeded
            msg = await receive()
            if msg["type"] == "http.request":
                seen += len(msg.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _TooLarge()
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            if exceeded:  # whatever the app made of the cut-off body, the answer is 413
                return
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            scope.setdefault("state", {})["error_code"] = "request_too_large"
            await _send_json(send, 413, self._too_large(limit), [(b"connection", b"close")])


class KeyAuthMiddleware:
    """Checks the API key before anything reads the request body, so a request without a valid key
    gets 401 (and one with too weak a role 403) whatever its body. `rule(method, path)` names the
    role a request needs, or None for open endpoints. Keys come from `X-API-Key` or
    `Authorization: Bearer`; the request state gets the role and a short key digest (for the log)."""

    def __init__(self, app: ASGIApp, keys, rule) -> None:
        self.app, self.keys, self.rule = app, keys, rule

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from policygraph.api.config import allows, key_id

        needed = self.rule(scope.get("method", "GET"), scope.get("path", ""))
        key = None
        for name, value in scope.get("headers", []):
            if name == b"x-api-key" and value:
                key = value.decode("latin-1").strip()
                break
            if name == b"authorization" and value[:7].lower() == b"bearer ":
                key = key or value[7:].decode("latin-1").strip()
        state = scope.setdefault("state", {})
        role = self.keys.role_of(key)
        if key:
            state["key_id"] = key_id(key)
        if role:
            state["role"] = role
        if needed is None:
            await self.app(scope, receive, send)
            return
        if role is None:
            state["error_code"] = "unauthorized"
            msg = "unknown API key" if key else "an API key is required (header X-API-Key or Authorization: Bearer)"
            await _send_json(send, 401, {"error": {"code": "unauthorized", "message": msg}},
                             [(b"www-authenticate", b'Bearer realm="policygraph"')])
            return
        if not allows(role, needed):
            state["error_code"] = "forbidden"
            await _send_json(send, 403, {"error": {"code": "forbidden", "message":
                                                   f"this endpoint needs the {needed} role; the key has the {role} role"}})
            return
        await self.app(scope, receive, send)


class Metrics:
    """The app's Prometheus metrics, on a private registry (one per app)."""

    def __init__(self, stats_fn=None, admission=None, caches=None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("policygraph_http_requests_total", "HTTP requests by route and status",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("policygraph_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.errors = Counter("policygraph_http_errors_total", "HTTP requests that ended in an error, by code",
                              ["route", "code"], registry=self.registry)
        self.in_flight = Gauge("policygraph_http_requests_in_flight", "HTTP requests being served",
                               registry=self.registry)
        self.uploads = Counter("policygraph_uploads_total", "Policy uploads by result (ok, noop, refused)",
                               ["result"], registry=self.registry)
        self.decisions = Counter("policygraph_decisions_total", "Agent decisions made (batch items count singly)",
                                 registry=self.registry)
        if stats_fn is not None:
            self.registry.register(_CorpusCollector(stats_fn))
        if admission is not None:
            self.registry.register(_AdmissionCollector(admission))
        if caches is not None:
            self.registry.register(_CacheCollector(caches))


class _CacheCollector:
    """Hits, misses and size of the service's caches (`caches()` -> {name: LruCache})."""

    def __init__(self, caches) -> None:
        self.caches = caches

    def describe(self):
        return list(self.collect())

    def collect(self):
        hits = CounterMetricFamily("policygraph_cache_hits", "Cache hits by cache", labels=["cache"])
        misses = CounterMetricFamily("policygraph_cache_misses", "Cache misses by cache", labels=["cache"])
        size = GaugeMetricFamily("policygraph_cache_entries", "Entries held by cache", labels=["cache"])
        for name, cache in sorted(self.caches().items()):
            st = cache.stats()
            hits.add_metric([name], float(st.hits))
            misses.add_metric([name], float(st.misses))
            size.add_metric([name], float(st.size))
        yield hits
        yield misses
        yield size


class _AdmissionCollector:
    """Decision work running and waiting, and what admission control refused (policygraph/api/admission.py)."""

    def __init__(self, admission) -> None:
        self.admission = admission

    def describe(self):
        return list(self.collect())

    def collect(self):
        s = self.admission.stats()
        yield GaugeMetricFamily("policygraph_decisions_running", "Decisions running now", value=float(s.running))
        yield GaugeMetricFamily("policygraph_decisions_waiting", "Decisions waiting for a turn", value=float(s.queued))
        for name, doc, v in (("admitted", "Decisions given a turn", s.admitted),
                             ("shed", "Requests refused at once with 429 (too much waiting)", s.shed),
                             ("deadline", "Requests whose deadline passed while waiting (503)", s.deadline),
                             ("cancelled", "Requests dropped while waiting because the client left", s.cancelled)):
            yield CounterMetricFamily(f"policygraph_admission_{name}", doc, value=float(v))


class _CorpusCollector:
    """Corpus size, read from the engine at scrape time."""

    FIELDS: ClassVar[dict[str, str]] = {"policies": "Policies stored", "rules": "Distinct rule ids", "rule_versions": "Rule versions stored",
              "terms": "Defined terms", "examples": "Labelled examples", "vectors": "Vectors in the index"}

    def __init__(self, stats_fn) -> None:
        self.stats_fn = stats_fn

    def describe(self):
        return [GaugeMetricFamily(f"policygraph_corpus_{k}", v) for k, v in self.FIELDS.items()]

    def collect(self):
        try:
            s = self.stats_fn()
        except Exception:  # a scrape must not fail because the store hiccups
            log.warning("corpus stats unavailable for /metrics", exc_info=True)
            return
        for k, doc in self.FIELDS.items():
            yield GaugeMetricFamily(f"policygraph_corpus_{k}", doc, value=float(s.get(k, 0)))
        g = GaugeMetricFamily("policygraph_corpus_languages", "Languages with rule text")
        g.add_metric([], float(len(s.get("languages", []))))
        yield g


class ObservabilityMiddleware:
    """Counts, times and logs every HTTP request, labelled by route template (not the raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, mounts: tuple[str, ...] = (),
                 static_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.m = metrics
        self.mounts = mounts
        self.static_paths = frozenset(static_paths)

    def _route(self, scope: Scope) -> str:
        route = scope.get("route")
        path = getattr(route, "path", None)
        if path:
            return path
        p = scope.get("path", "")
        if p in self.static_paths:  # answered before routing (e.g. 413)
            return p
        for m in self.mounts:
            if p == m or p.startswith(m + "/"):
                return m
        return "unmatched"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})

        async def capture(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
            await send(msg)

        self.m.in_flight.inc()
        try:
            await self.app(scope, receive, capture)
        finally:
            self.m.in_flight.dec()
            dt = time.perf_counter() - t0
            route = self._route(scope)
            method = scope.get("method", "")
            self.m.requests.labels(method, route, str(status)).inc()
            self.m.latency.labels(method, route).observe(dt)
            if status >= 400:
                self.m.errors.labels(route, state.get("error_code") or f"http_{status}").inc()
            log.info("%s %s %d %.1fms role=%s key=%s", method, route, status, dt * 1000,
                     state.get("role", "-"), state.get("key_id", "-"))
