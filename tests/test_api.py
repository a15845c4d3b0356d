"""End-to-end tests of the HTTP API through a real uvicorn server on a free loopback port.

The engine behind each server works on a copy of the session's corpus data directory (the bundled
corpus, ingested once per test session by `corpus_engine`), so nothing here re-embeds the corpus and
the tests that upload change only their own copy.
"""

from __future__ import annotations

import logging
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from conftest import make_engine

from policygraph.api.app import create_app
from policygraph.api.config import ApiConfig, key_id
from policygraph.engine import Engine

AGENT_KEY = "agent-key-7d1f0c9e4b"
AUTHOR_KEY = "author-key-2a6b8e31f0"
ADMIN_KEY = "admin-key-c94e5d7a12"
KEYS = f"{AGENT_KEY}:agent,{AUTHOR_KEY}:author,{ADMIN_KEY}:admin"
AGENT = {"X-API-Key": AGENT_KEY}
AUTHOR = {"X-API-Key": AUTHOR_KEY}
MAX_CHARS = 2000
MAX_BATCH = 4
MAX_BODY = 64 * 1024
TIMEOUT = 180.0

PRAISE = "Glory to the brothers who carried out the attack yesterday. Join them and continue their fight!"

NEW_POLICY = """---
id: stadium-drones
title: Drones at Stadiums
category: dangerous_activities
version: 1
effective_from: 2025-01-01
language: en
jurisdictions: [GLOBAL]
examples:
  - rule: DRN-1.1
    label: violating
    language: en
    text: "Who wants to fly my fireworks drone over the stadium crowd during the cup final? DM me."
    rationale: Organises flying a pyrotechnic drone over a crowd.
---

## Drone flights over crowds

### DRN-1.1 Pyrotechnic drones over stadium crowds
{kind: prohibited, severity: high, actions: [remove, warn]}

Content that organises, offers or encourages flying drones loaded with fireworks, flares or other
pyrotechnics over stadium crowds or spectators during football matches or concerts.

### DRN-1.2 Drone photography of empty stadiums
{kind: allowed, severity: low, actions: [none], exception_to: [DRN-1.1]}

Footage of empty stadiums filmed by licensed drone pilots, without pyrotechnics or spectators.
"""

SECOND_POLICY = """---
id: balcony-barbecue
title: Balcony Barbecues
category: dangerous_activities
version: 1
effective_from: 2025-01-01
language: en
jurisdictions: [GLOBAL]
examples:
  - rule: BBQ-1.1
    label: violating
    language: en
    text: "Pour a litre of petrol on the charcoal grill on your 12th floor balcony for massive flames."
    rationale: Encourages an accelerant on a balcony grill.
  - rule: BBQ-1.1
    label: non_violating
    language: en
    text: "Our fire brigade explains why you should never use petrol to light a barbecue."
    rationale: Safety advice.
---

## Barbecue safety

### BBQ-1.1 Accelerants on balcony grills
{kind: prohibited, severity: medium, actions: [remove, warn]}

Content that encourages pouring petrol, lighter fluid or other accelerants on barbecue grills on
balconies of apartment buildings to make large flames.

### BBQ-1.2 Gas cylinder storage indoors
{kind: restricted, severity: medium, actions: [label, reduce_reach]}

Content that shows or recommends storing propane or butane cylinders indoors next to heaters.

### BBQ-1.3 Fire safety education
{kind: allowed, severity: low, actions: [none], exception_to: [BBQ-1.1, BBQ-1.2]}

Fire brigade campaigns and safety education that show these dangers in order to warn people.
"""

BROKEN_POLICY = """---
id: broken-policy
title: Broken
category: not_a_category
version: 1
language: en
---

## Section

### BR-1.1 A rule
{kind: prohibited, severity: high, actions: [remove]}

Text.
"""


# --------------------------------------------------------------------------- a real server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Running:
    url: str
    engine: Engine
    server: uvicorn.Server
    thread: threading.Thread

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=TIMEOUT, **kw)


def start_server(engine: Engine, **cfg_kw) -> Running:
    kw = {"keys": KEYS, "max_content_chars": MAX_CHARS, "max_batch_size": MAX_BATCH,
          "max_request_bytes": MAX_BODY, "max_upload_bytes": 256 * 1024}
    kw.update(cfg_kw)
    cfg = ApiConfig(**kw)
    app = create_app(engine, cfg)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                          access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        if not thread.is_alive() or time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    return Running(f"http://127.0.0.1:{port}", engine, server, thread)


def stop_server(r: Running) -> None:
    r.server.should_exit = True
    r.thread.join(timeout=30)


def copy_engine(corpus_engine: Engine, dest: Path, cache_dir: Path) -> Engine:
    """An engine on a copy of the session corpus's data directory: no re-embedding."""
    shutil.copytree(corpus_engine.settings.data_dir, dest)
    return make_engine(dest, cache_dir)


@pytest.fixture(scope="module")
def api(corpus_engine, embedding_cache_dir, tmp_path_factory) -> Iterator[Running]:
    eng = copy_engine(corpus_engine, tmp_path_factory.mktemp("api") / "data", embedding_cache_dir)
    r = start_server(eng)
    yield r
    stop_server(r)


def err(resp: httpx.Response) -> dict:
    body = resp.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return body["error"]


# --------------------------------------------------------------------------- context


def test_context_praise_of_attack_finds_violent_extremism(client):
    r = client.post("/v1/context", json={"text": PRAISE}, headers=AGENT)
    assert r.status_code == 200, r.text
    d = r.json()
    rules = d["context"]["rules"]
    assert rules, d
    assert any(h["category"] == "violent_extremism" for h in rules[:3]), [h["rule_id"] for h in rules]
    assert any(x["category"] == "violent_extremism" for x in d["decisions"])
    assert d["context"]["query"]["language"] == "en"
    hit = next(h for h in rules if h["category"] == "violent_extremism")
    assert hit["citations"] and hit["evidence"]
    assert isinstance(d["trace"], list) and d["trace"]
    assert "violent_extremism" in d["ranked_categories"]


def test_context_options_and_bearer_auth(client):
    r = client.post("/v1/context", json={"text": PRAISE, "jurisdiction": "DE", "top_k": 2, "at": "2026-06-01"},
                    headers={"Authorization": f"Bearer {AGENT_KEY}"})
    assert r.status_code == 200, r.text
    q = r.json()["context"]["query"]
    assert q["jurisdiction"] == "DE" and q["at"] == "2026-06-01"
    assert len(r.json()["context"]["rules"]) <= 2


def test_batch(client):
    items = [{"text": PRAISE}, {"text": "Buy 10,000 real followers for $5, fast delivery, DM now"}]
    r = client.post("/v1/context/batch", json={"items": items}, headers=AGENT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 2 and len(body["results"]) == 2
    assert body["results"][0]["context"]["query"]["text"] == PRAISE
    assert body["results"][1]["context"]["query"]["text"].startswith("Buy 10,000")


def test_batch_too_large(client):
    r = client.post("/v1/context/batch", json={"items": [{"text": "hello"}] * (MAX_BATCH + 1)}, headers=AGENT)
    assert r.status_code == 422
    e = err(r)
    assert e["code"] == "batch_too_large" and e["field"] == "items"


def test_batch_empty_and_bad_item(client):
    r = client.post("/v1/context/batch", json={"items": []}, headers=AGENT)
    assert r.status_code == 422 and err(r)["field"] == "items"
    r = client.post("/v1/context/batch", json={"items": [{"text": "ok"}, {"text": "ok", "top_k": 0}]}, headers=AGENT)
    assert r.status_code == 422 and err(r)["field"] == "items.1.top_k"


def test_content_too_long(client):
    r = client.post("/v1/context", json={"text": "a" * (MAX_CHARS + 1)}, headers=AGENT)
    assert r.status_code == 422
    e = err(r)
    assert e["code"] == "content_too_long" and e["field"] == "text"
    r = client.post("/v1/context/batch", json={"items": [{"text": "a" * (MAX_CHARS + 1)}]}, headers=AGENT)
    assert r.status_code == 422 and err(r)["code"] == "content_too_long" and err(r)["field"] == "items.0.text"


def test_structured_video_names_the_field_that_triggered_the_rule(client):
    """Given a video whose title and caption are a recipe, when its transcript sells drugs, the answer
    reaches the drug-sale rules and its evidence points into the transcript, with the span inside it."""
    transcript = "ok so while it cooks, anyone who wants the pills hit me up on telegram, molly and xanax, same day delivery"
    body = {"title": "Sunday arepas 🫓", "description": "grandma's recipe ❤️", "transcript": transcript,
            "hashtags": ["#EasyRecipes"], "media_type": "video", "region": "ES"}
    r = client.post("/v1/context", json=body, headers=AGENT)
    assert r.status_code == 200, r.text
    ctx = r.json()["context"]
    assert [f["field"] for f in ctx["query"]["fields"]] == ["title", "description", "transcript", "hashtags"]
    assert ctx["query"]["jurisdiction"] == "ES" and ctx["query"]["media_type"] == "video"
    drug = [h for h in ctx["rules"] if h["rule_id"] in ("RG-2.1", "RG-2.3")]
    assert drug, [h["rule_id"] for h in ctx["rules"]]
    ev = [e for e in drug[0]["evidence"] if e.get("field") == "transcript"]
    assert ev, drug[0]["evidence"]
    assert transcript[ev[0]["start"]:ev[0]["end"]].strip() and ev[0]["excerpt"] in transcript


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "media_type": "film"}, "media_type"),
        ({"signals": [{"label": "Weapon!", "score": 0.9}]}, "signals.0.label"),
        ({"signals": [{"label": "weapon", "score": 1.5}]}, "signals.0.score"),
        ({"provenance": {"detector_score": -1}}, "provenance.detector_score"),
        ({"title": "x", "region": "XYZ"}, "region"),
        ({"hashtags": []}, "text"),
    ],
)
def test_structured_fields_are_validated(client, body, field):
    r = client.post("/v1/context", json=body, headers=AGENT)
    assert r.status_code == 422, r.text
    assert err(r)["field"] == field, err(r)


def test_all_text_fields_together_are_bounded(client):
    half = "a " * (MAX_CHARS // 2 - 10)
    r = client.post("/v1/context", json={"transcript": half, "ocr_text": half, "description": half}, headers=AGENT)
    assert r.status_code == 422
    assert err(r)["code"] == "content_too_long" and "all text fields" in err(r)["field"]


def test_body_too_large(client):
    big = b'{"text": "' + b"a" * (MAX_BODY + 10) + b'"}'
    r = client.post("/v1/context", content=big, headers={**AGENT, "content-type": "application/json"})
    assert r.status_code == 413
    e = err(r)
    assert e["code"] == "request_too_large" and e["field"] == "body"


def test_body_too_large_chunked(api):
    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 8192
        yield b'"}'

    with api.client() as c:  # a fresh connection: the server closes it after a 413
        r = c.post("/v1/context", content=chunks(), headers={**AGENT, "content-type": "application/json"})
    assert r.status_code == 413 and err(r)["code"] == "request_too_large"


def test_malformed_json_422(client):
    r = client.post("/v1/context", content=b'{"text": "hello",', headers={**AGENT, "content-type": "application/json"})
    assert r.status_code == 422
    e = err(r)
    assert e["code"] == "malformed_json" and e["field"] == "body"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "text", "missing_field"),
        ({"text": ""}, "text", "invalid_field"),
        ({"text": "hi", "top_k": "many"}, "top_k", "invalid_field"),
        ({"text": "hi", "top_k": 51}, "top_k", "invalid_field"),
        ({"text": "hi", "at": "yesterday"}, "at", "invalid_field"),
        ({"text": "hi", "colour": "red"}, "colour", "unknown_field"),
        ({"text": 42}, "text", "invalid_field"),
        ({"text": "hi", "jurisdiction": "XYZ"}, "jurisdiction", "invalid_field"),
        ({"text": "hi", "language": "klingon"}, "language", "invalid_field"),
        ({"text": "hi", "top_k": "5"}, "top_k", "invalid_field"),
        ({"text": "hi", "top_k": True}, "top_k", "invalid_field"),
    ],
)
def test_invalid_fields_422_name_the_field(client, body, field, code):
    r = client.post("/v1/context", json=body, headers=AGENT)
    assert r.status_code == 422, r.text
    e = err(r)
    assert e["field"] == field and e["code"] == code, e
    assert field in e["message"]


def test_a_lone_surrogate_in_a_code_is_422_not_500(client):
    """JSON may escape a lone surrogate (\\ud800); the code validators refuse it like any unknown code."""
    for field in ("language", "jurisdiction"):
        body = ('{"text": "hi", "%s": "\\ud800"}' % field).encode()
        r = client.post("/v1/context", content=body, headers={**AGENT, "Content-Type": "application/json"})
        assert r.status_code == 422 and err(r)["field"] == field, r.text


def test_json_array_body_422(client):
    r = client.post("/v1/context", json=["not", "an", "object"], headers=AGENT)
    assert r.status_code == 422 and err(r)["field"] in ("body", "text")


# --------------------------------------------------------------------------- auth


def test_no_key_401(client):
    for method, path in [("POST", "/v1/context"), ("POST", "/v1/context/batch"), ("GET", "/v1/rules/VE-1.1"),
                         ("GET", "/v1/policies"), ("GET", "/v1/policies/violent-extremism"), ("POST", "/v1/policies")]:
        r = client.request(method, path, json={"text": "x"})
        assert r.status_code == 401, (method, path, r.text)
        assert err(r)["code"] == "unauthorized"
        assert r.headers.get("www-authenticate", "").startswith("Bearer")


def test_key_checked_before_the_body(client):
    r = client.post("/v1/context", content=b'{"text": ', headers={"content-type": "application/json"})
    assert r.status_code == 401 and err(r)["code"] == "unauthorized"
    r = client.post("/v1/policies", content=b"garbage", headers={**AGENT, "content-type": "text/plain"})
    assert r.status_code == 403 and err(r)["code"] == "forbidden"


def test_unknown_key_401(client):
    r = client.get("/v1/policies", headers={"X-API-Key": "not-a-key"})
    assert r.status_code == 401 and err(r)["code"] == "unauthorized"
    r = client.get("/v1/policies", headers={"Authorization": "Bearer not-a-key"})
    assert r.status_code == 401


def test_agent_key_cannot_upload_403(client, api):
    before = api.engine.stats()
    r = client.post("/v1/policies", json={"filename": "stadium-drones.md", "content": NEW_POLICY}, headers=AGENT)
    assert r.status_code == 403
    assert err(r)["code"] == "forbidden"
    assert api.engine.stats() == before


def test_keys_never_logged(api, caplog):
    caplog.set_level(logging.DEBUG)
    with api.client() as c:
        c.get("/v1/policies", headers=AGENT)
        c.get("/v1/policies", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
        c.get("/v1/policies", headers={"X-API-Key": "wrong-secret-key-123"})
        c.post("/v1/policies", json={"filename": "x.md", "content": "x"}, headers=AGENT)
    text = caplog.text
    assert "role=agent" in text and key_id(AGENT_KEY) in text  # the access log names the caller ...
    for secret in (AGENT_KEY, ADMIN_KEY, AUTHOR_KEY, "wrong-secret-key-123"):
        assert secret not in text  # ... but never by the key


# --------------------------------------------------------------------------- rules and policies


def test_get_rule_with_lang_and_at(client):
    r = client.get("/v1/rules/VE-1.1", headers=AGENT)
    assert r.status_code == 200, r.text
    v = r.json()
    assert v["rule_id"] == "VE-1.1" and v["language"] == "en" and v["policy_id"] == "violent-extremism"
    assert {"en", "de"} <= set(v["texts"])
    r = client.get("/v1/rules/VE-1.1", params={"lang": "de"}, headers=AGENT)
    assert r.status_code == 200 and r.json()["language"] == "de"
    assert r.json()["text"] == v["texts"]["de"]
    r = client.get("/v1/rules/VE-1.1", params={"at": "2026-06-01", "lang": "es"}, headers=AGENT)
    assert r.status_code == 200 and r.json()["language"] == "es"


def test_get_rule_not_in_force_or_unknown_404(client):
    r = client.get("/v1/rules/VE-1.1", params={"at": "1999-01-01"}, headers=AGENT)
    assert r.status_code == 404
    assert err(r)["code"] == "not_found" and "1999-01-01" in err(r)["message"]
    r = client.get("/v1/rules/NOPE-9.9", headers=AGENT)
    assert r.status_code == 404 and err(r)["code"] == "not_found"


def test_get_rule_bad_date_422(client):
    r = client.get("/v1/rules/VE-1.1", params={"at": "2026-13-45"}, headers=AGENT)
    assert r.status_code == 422 and err(r)["field"] == "at"


def test_policies_list_and_detail(client, api):
    r = client.get("/v1/policies", headers=AGENT)
    assert r.status_code == 200
    body = r.json()
    ids = [p["policy_id"] for p in body["policies"]]
    assert body["count"] == len(ids) >= 14
    assert "violent-extremism" in ids and ids == sorted(ids)
    ve = next(p for p in body["policies"] if p["policy_id"] == "violent-extremism")
    assert ve["rules"] > 0 and "de" in ve["languages"]
    r = client.get("/v1/policies/violent-extremism", headers=AGENT)
    assert r.status_code == 200
    d = r.json()
    assert d["policy_id"] == "violent-extremism" and d["sections"]
    assert any(rule["rule_id"] == "VE-1.1" for s in d["sections"] for rule in s["rules"])
    r = client.get("/v1/policies/no-such-policy", headers=AGENT)
    assert r.status_code == 404 and err(r)["code"] == "not_found"


def test_unknown_route_and_method(client):
    r = client.get("/v1/nothing", headers=AGENT)
    assert r.status_code == 404 and err(r)["code"] == "not_found"
    r = client.delete("/v1/policies", headers=AGENT)
    assert r.status_code == 405 and err(r)["code"] == "method_not_allowed"


# --------------------------------------------------------------------------- uploads


def test_broken_upload_400_and_nothing_changed(client, api):
    before = api.engine.stats()
    listed = client.get("/v1/policies", headers=AGENT).json()["count"]
    r = client.post("/v1/policies", files={"file": ("broken-policy.md", BROKEN_POLICY.encode(), "text/markdown")},
                    headers=AUTHOR)
    assert r.status_code == 400, r.text
    e = err(r)
    assert e["code"] == "invalid_document"
    assert e["file"] == "broken-policy.md"
    assert e["line"] == 4  # the category line
    assert "not_a_category" in e["problem"] or "category" in e["problem"]
    assert api.engine.stats() == before
    assert client.get("/v1/policies", headers=AGENT).json()["count"] == listed
    assert client.get("/v1/policies/broken-policy", headers=AGENT).status_code == 404


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"filename": "empty.md", "content": " \n"}, 400, "invalid_document"),
        ({"filename": "policy.exe", "content": "hello"}, 400, "invalid_document"),
        ({"filename": "x.md"}, 422, "missing_field"),
        ({"filename": "x.md", "content": "x", "extra": 1}, 422, "unknown_field"),
    ],
)
def test_bad_uploads(client, api, payload, status, code):
    before = api.engine.stats()
    r = client.post("/v1/policies", json=payload, headers=AUTHOR)
    assert r.status_code == status, r.text
    assert err(r)["code"] == code
    if status == 400:
        assert err(r)["file"] == payload["filename"] and err(r)["problem"]
    assert api.engine.stats() == before


def test_upload_malformed_json_and_wrong_type(client):
    r = client.post("/v1/policies", content=b'{"filename": ', headers={**AUTHOR, "content-type": "application/json"})
    assert r.status_code == 422 and err(r)["code"] == "malformed_json"
    r = client.post("/v1/policies", content=b"hello", headers={**AUTHOR, "content-type": "text/plain"})
    assert r.status_code == 415 and err(r)["code"] == "unsupported_media_type"


def test_upload_too_large_413(client):
    r = client.post("/v1/policies", json={"filename": "big.md", "content": "a" * (300 * 1024)}, headers=AUTHOR)
    assert r.status_code == 413 and err(r)["code"] == "request_too_large"


def test_author_upload_then_query_finds_new_rule(client, api):
    n = client.get("/v1/policies", headers=AGENT).json()["count"]
    assert client.get("/v1/rules/DRN-1.1", headers=AGENT).status_code == 404
    r = client.post("/v1/policies", files={"file": ("stadium-drones.md", NEW_POLICY.encode(), "text/markdown")},
                    headers=AUTHOR)
    assert r.status_code == 201, r.text
    rep = r.json()
    assert rep["policies"] == ["stadium-drones"] and rep["rules_written"] == 2 and not rep["noop"]
    # the same document again changes nothing
    r = client.post("/v1/policies", json={"filename": "stadium-drones.md", "content": NEW_POLICY},
                    headers={"X-API-Key": ADMIN_KEY})
    assert r.status_code == 200 and r.json()["noop"]
    assert client.get("/v1/policies", headers=AGENT).json()["count"] == n + 1
    v = client.get("/v1/rules/DRN-1.1", headers=AGENT)
    assert v.status_code == 200 and v.json()["exceptions"] == ["DRN-1.2"]
    r = client.post("/v1/context", json={"text": "Let's fly a drone full of fireworks and flares over the stadium "
                                                 "crowd during the football match tonight!", "top_k": 10},
                    headers=AGENT)
    assert r.status_code == 200
    ids = [h["rule_id"] for h in r.json()["context"]["rules"]]
    assert "DRN-1.1" in ids, ids


# --------------------------------------------------------------------------- ops


def test_healthz_readyz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "ready" and body["agent"] is True and body["policies"] >= 14 and body["rules"] > 0


def test_metrics(client):
    client.post("/v1/context", json={"text": PRAISE}, headers=AGENT)
    client.get("/v1/rules/NOPE-1", headers=AGENT)
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'policygraph_http_requests_total{method="POST",route="/v1/context",status="200"}' in text
    assert 'policygraph_http_request_duration_seconds_bucket{le="0.05",method="POST",route="/v1/context"}' in text
    assert 'policygraph_http_errors_total{code="not_found",route="/v1/rules/{rule_id}"}' in text
    assert 'policygraph_http_errors_total{code="unauthorized"' in text
    assert "policygraph_decisions_total" in text
    policies = [ln for ln in text.splitlines() if ln.startswith("policygraph_corpus_policies ")]
    assert policies and float(policies[0].split()[1]) >= 14
    assert "policygraph_corpus_rules " in text and "policygraph_corpus_vectors " in text


def test_openapi_complete(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for p in ("/v1/context", "/v1/context/batch", "/v1/rules/{rule_id}", "/v1/policies", "/v1/policies/{policy_id}",
              "/healthz", "/readyz", "/metrics"):
        assert p in paths, p
    ctx = paths["/v1/context"]["post"]
    assert ctx["requestBody"]["content"]["application/json"]["examples"]
    assert {"401", "403", "413", "422"} <= set(ctx["responses"])
    up = paths["/v1/policies"]["post"]
    assert {"multipart/form-data", "application/json"} <= set(up["requestBody"]["content"])
    assert {"400", "401", "403"} <= set(up["responses"])
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("type") == "apiKey" and s.get("name") == "X-API-Key" for s in schemes.values())
    props = spec["components"]["schemas"]["ContextRequest"]["properties"]
    for name in ("text", "transcript"):  # optional now: a string within the limit, or absent
        assert [s["maxLength"] for s in props[name]["anyOf"] if s.get("type") == "string"] == [MAX_CHARS], name
    assert {"title", "description", "ocr_text", "hashtags", "comments", "media_type", "signals", "provenance",
            "region"} <= set(props)
    assert {"video", "aigc"} <= set(ctx["requestBody"]["content"]["application/json"]["examples"])


# --------------------------------------------------------------------------- consistency under an upload


def test_concurrent_reads_during_upload(corpus_engine, embedding_cache_dir, tmp_path):
    """Threads hammer the read endpoints while an upload runs: no errors, reads complete during the
    upload, and every response shows the corpus before or after, never a half-ingested policy."""
    eng = copy_engine(corpus_engine, tmp_path / "data", embedding_cache_dir)
    srv = start_server(eng)
    try:
        with srv.client() as c:
            n0 = c.get("/v1/policies", headers=AGENT).json()["count"]
        stop = threading.Event()
        upload_window: dict[str, float] = {}
        problems: list[str] = []
        observations: list[tuple[float, float, str, int]] = []  # (started, finished, kind, count or rules seen)
        lock = threading.Lock()

        # The slow part of an upload (embedding a big document's texts) runs outside the exclusive
        # phase: make it slow enough here that reads demonstrably complete meanwhile.
        inner_embed = eng.embedder.embed_passages
        slowed = threading.Event()

        def slow_first_embed(texts):
            if not slowed.is_set():
                slowed.set()
                time.sleep(1.5)
            return inner_embed(texts)

        eng.embedder.embed_passages = slow_first_embed  # type: ignore[method-assign]

        def reader(i: int) -> None:
            with srv.client() as c:
                k = 0
                while not stop.is_set():
                    k += 1
                    t0 = time.time()
                    try:
                        if i < 2:  # two threads ask the agent; six read the catalogue
                            r = c.post("/v1/context", json={"text": "Pour petrol on the charcoal grill on the "
                                                                    "balcony for huge flames", "top_k": 10},
                                       headers=AGENT)
                            if r.status_code != 200:
                                problems.append(f"context {r.status_code} {r.text[:200]}")
                                continue
                            ids = {h["rule_id"] for h in r.json()["context"]["rules"]}
                            new = {x for x in ids if x.startswith("BBQ-")}
                            for h in r.json()["context"]["rules"]:
                                if h["rule_id"].startswith("BBQ-") and not h["text"]:
                                    problems.append("new rule without text")
                            with lock:
                                observations.append((t0, time.time(), "context", len(new)))
                        elif k % 2:
                            r = c.get("/v1/policies", headers=AGENT)
                            if r.status_code != 200:
                                problems.append(f"list {r.status_code} {r.text[:200]}")
                                continue
                            body = r.json()
                            if body["count"] not in (n0, n0 + 1):
                                problems.append(f"policy count {body['count']}")
                            for p in body["policies"]:
                                if p["rules"] == 0:
                                    problems.append(f"policy {p['policy_id']} listed with no rules")
                            bbq = [p for p in body["policies"] if p["policy_id"] == "balcony-barbecue"]
                            if bbq and bbq[0]["rules"] != 3:
                                problems.append(f"half policy: {bbq[0]}")
                            with lock:
                                observations.append((t0, time.time(), "list", body["count"]))
                        else:
                            r = c.get("/v1/policies/balcony-barbecue", headers=AGENT)
                            if r.status_code == 404:
                                seen = 0
                            elif r.status_code == 200:
                                rules = [x["rule_id"] for s in r.json()["sections"] for x in s["rules"]]
                                seen = len(rules)
                                if sorted(rules) != ["BBQ-1.1", "BBQ-1.2", "BBQ-1.3"]:
                                    problems.append(f"half policy detail: {rules}")
                            else:
                                problems.append(f"detail {r.status_code} {r.text[:200]}")
                                continue
                            with lock:
                                observations.append((t0, time.time(), "detail", seen))
                    except Exception as exc:  # noqa: BLE001 - a connection error is an error too
                        problems.append(f"{type(exc).__name__}: {exc}")

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(reader, i) for i in range(8)]
            time.sleep(1.0)
            with srv.client() as c:
                upload_window["start"] = time.time()
                r = c.post("/v1/policies", json={"filename": "balcony-barbecue.md", "content": SECOND_POLICY},
                           headers=AUTHOR)
                upload_window["end"] = time.time()
            assert r.status_code == 201, r.text
            time.sleep(1.0)
            stop.set()
            for f in futures:
                f.result()

        assert not problems, problems[:10]
        start, end = upload_window["start"], upload_window["end"]
        during = [o for o in observations if start < o[1] < end]
        assert during, "no read completed while the upload ran"
        after = [o for o in observations if o[0] > end]  # started after the upload answered
        assert after and all(o[3] == n0 + 1 for o in after if o[2] == "list")
        assert all(o[3] == 3 for o in after if o[2] == "detail")
        before = [o for o in observations if o[1] < start]  # finished before the upload began
        assert before and all(o[3] == n0 for o in before if o[2] == "list")
        assert all(o[3] == 0 for o in before if o[2] in ("detail", "context"))
        with srv.client() as c:
            assert c.get("/v1/policies", headers=AGENT).json()["count"] == n0 + 1
    finally:
        stop_server(srv)
