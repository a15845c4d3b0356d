"""Serving stories on the real bundled corpus through a real uvicorn server on a loopback port: the decision
cache (a repeat is answered from it, a change of the corpus is never), `?view=compact`, batches of up to 64
items, and the cache counters on /metrics.

The corpus is ingested once for this module into a temporary data directory (about 5 s: the corpus ships
seed vectors); the server works on a copy of it, so the uploads at the end change only that copy.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS, ingest_corpus, make_engine
from test_api import AGENT_KEY, AUTHOR_KEY, NEW_POLICY, Running, err, start_server, stop_server

from policygraph.api.config import ApiConfig

AGENT = {"X-API-Key": AGENT_KEY}
AUTHOR = {"X-API-Key": AUTHOR_KEY}
#: the server runs with the shipped default batch limit (test_api.py's helper would lower it to 4)
DEFAULT_BATCH = ApiConfig.model_fields["max_batch_size"].default

COMPACT_FIELDS = {"decisions", "categories", "language", "jurisdiction", "at", "low_information", "rendered", "cached"}
COMPACT_RULE_FIELDS = {"rule_id", "policy_id", "category", "verdict", "confidence"}

FOLLOWERS = "Buy 10,000 real followers for $5, fast delivery, DM now"
PILLS = "anyone who wants the pills hit me up on telegram, molly and xanax, same day delivery"


# --------------------------------------------------------------------------- the server


@pytest.fixture(scope="module")
def pristine(embedding_cache_dir, tmp_path_factory) -> Path:
    """The bundled corpus ingested into a data directory of this module's own (never served directly)."""
    return ingest_corpus(tmp_path_factory.mktemp("serving-corpus") / "data", embedding_cache_dir)


@pytest.fixture(scope="module")
def api(pristine, embedding_cache_dir, tmp_path_factory) -> Iterator[Running]:
    data = tmp_path_factory.mktemp("serving") / "data"
    shutil.copytree(pristine, data)
    r = start_server(make_engine(data, embedding_cache_dir), max_batch_size=DEFAULT_BATCH)
    try:
        yield r
    finally:
        stop_server(r)
        r.engine.close()


def ask(client: httpx.Client, body: dict, view: str | None = None) -> dict:
    params = {"view": view} if view else None
    r = client.post("/v1/context", json=body, params=params, headers=AGENT)
    assert r.status_code == 200, r.text
    return r.json()


def verdicts(decision: dict) -> list[tuple[str, str]]:
    return [(d["rule_id"], d["verdict"]) for d in decision["decisions"]]


def rule_ids(decision: dict) -> list[str]:
    return [h["rule_id"] for h in decision["context"]["rules"]]


def metric(text: str, name: str, cache: str) -> float | None:
    """The value of `name{cache="..."}` in a Prometheus text exposition, or None when it is not there."""
    m = re.search(rf'^{re.escape(name)}\{{cache="{re.escape(cache)}"\}} (\S+)$', text, re.MULTILINE)
    return float(m.group(1)) if m else None


def cache_numbers(client: httpx.Client, cache: str) -> tuple[float | None, float | None, float | None]:
    r = client.get("/metrics")
    assert r.status_code == 200, r.text
    return (metric(r.text, "policygraph_cache_hits_total", cache), metric(r.text, "policygraph_cache_misses_total", cache),
            metric(r.text, "policygraph_cache_entries", cache))


# --------------------------------------------------------------------------- the decision cache


def test_a_repeated_request_is_answered_from_the_cache_with_the_same_decision(client):
    body = {"text": FOLLOWERS}
    first = ask(client, body)
    assert first["cached"] is False
    assert ("FS-3.1", "applies") in verdicts(first), verdicts(first)
    again = ask(client, body)
    assert again["cached"] is True
    assert verdicts(again) == verdicts(first)
    assert again["decisions"] == first["decisions"]  # confidence, rationale and citations too
    assert again["ranked_categories"] == first["ranked_categories"]
    assert rule_ids(again) == rule_ids(first)
    assert again["rendered"] == first["rendered"]
    assert {**again, "cached": False} == first  # the whole answer, as it was (it is kept compressed)


def test_a_different_date_jurisdiction_or_top_k_is_decided_afresh_and_then_cached_on_its_own(client):
    text = "Glory to the brothers who carried out the attack yesterday. Join them and continue their fight!"
    base = {"text": text}
    assert ask(client, base)["cached"] is False
    assert ask(client, base)["cached"] is True
    for variant in ({"at": "2026-06-01"}, {"jurisdiction": "DE"}, {"top_k": 3}):
        body = {**base, **variant}
        fresh = ask(client, body)
        assert fresh["cached"] is False, variant
        q = fresh["context"]["query"]
        if "at" in variant:
            assert q["at"] == "2026-06-01"
        if "jurisdiction" in variant:
            assert q["jurisdiction"] == "DE"
        if "top_k" in variant:
            assert len(fresh["context"]["rules"]) <= 3
        repeat = ask(client, body)
        assert repeat["cached"] is True, variant
        assert verdicts(repeat) == verdicts(fresh) and repeat["context"]["query"] == q
    assert ask(client, base)["cached"] is True  # the variants did not push the plain request out


def test_metrics_count_decision_cache_hits_misses_and_entries(client):
    hits0, misses0, entries0 = cache_numbers(client, "decisions")
    assert None not in (hits0, misses0, entries0), "no decisions cache on /metrics"
    qv_hits0, _, qv_entries0 = cache_numbers(client, "query_vectors")
    assert qv_hits0 is not None and qv_entries0 is not None and qv_entries0 >= 1, \
        "the agent is loaded (warm-up): its query vector cache must be on /metrics"
    body = {"text": "Lose 10 kg in a week: just stop eating and drink only water, it works"}
    assert ask(client, body)["cached"] is False
    assert cache_numbers(client, "decisions") == (hits0, misses0 + 1, entries0 + 1)
    assert ask(client, body)["cached"] is True
    assert ask(client, body)["cached"] is True
    assert cache_numbers(client, "decisions") == (hits0 + 2, misses0 + 1, entries0 + 1)
    # another date: a new decision, but the text's vector is taken from the query vector cache
    assert ask(client, {**body, "at": "2026-03-01"})["cached"] is False
    assert cache_numbers(client, "decisions") == (hits0 + 2, misses0 + 2, entries0 + 2)
    qv_hits, _, qv_entries = cache_numbers(client, "query_vectors")
    assert qv_hits is not None and qv_hits >= qv_hits0 + 1
    assert qv_entries == qv_entries0 + 1  # the text was embedded once, for its first request


def test_with_the_decision_cache_switched_off_every_request_is_decided_afresh(api, monkeypatch):
    """POLICYGRAPH_API_DECISION_CACHE=0: a second app over the same engine never answers from a cache."""
    monkeypatch.setenv("POLICYGRAPH_API_DECISION_CACHE", "0")
    off = start_server(api.engine, max_batch_size=DEFAULT_BATCH, warmup=False)
    try:
        with off.client() as c:
            body = {"text": "Buy cheap likes and views for your channel, 1000 likes for 2 dollars"}
            first, second = ask(c, body), ask(c, body)
            assert first["cached"] is False and second["cached"] is False
            assert verdicts(first) == verdicts(second)
            r = c.post("/v1/context/batch", json={"items": [body, body]}, headers=AGENT)
            assert r.status_code == 200, r.text
            assert [x["cached"] for x in r.json()["results"]] == [False, False]
            hits, misses, entries = cache_numbers(c, "decisions")
            assert (hits, entries) == (0, 0), (hits, misses, entries)
    finally:
        stop_server(off)


# --------------------------------------------------------------------------- ?view=compact


def test_the_compact_view_has_only_rule_ids_verdicts_and_the_rendered_policies(client):
    body = {"text": PILLS}
    r_compact = client.post("/v1/context", params={"view": "compact"}, json=body, headers=AGENT)
    assert r_compact.status_code == 200, r_compact.text
    compact = r_compact.json()
    assert set(compact) == COMPACT_FIELDS, sorted(compact)
    assert "trace" not in compact and "context" not in compact
    assert compact["cached"] is False
    assert compact["decisions"] and all(set(d) == COMPACT_RULE_FIELDS for d in compact["decisions"])
    r_full = client.post("/v1/context", json=body, headers=AGENT)
    assert r_full.status_code == 200, r_full.text
    full = r_full.json()
    assert full["cached"] is True  # the same request: the compact one was decided and remembered
    assert {"context", "trace", "decisions"} <= set(full)
    assert verdicts(compact) == verdicts(full)
    assert [d["confidence"] for d in compact["decisions"]] == [d["confidence"] for d in full["decisions"]]
    assert [d["policy_id"] for d in compact["decisions"]] == [d["policy_id"] for d in full["decisions"]]
    q = full["context"]["query"]
    assert compact["categories"] == full["context"]["categories"]
    assert (compact["language"], compact["jurisdiction"], compact["at"]) == (q["language"], q["jurisdiction"], q["at"])
    assert compact["rendered"] == full["rendered"]
    assert any(rid.startswith("RG-") for rid, _ in verdicts(compact)), verdicts(compact)
    assert len(r_compact.content) * 3 < len(r_full.content), (len(r_compact.content), len(r_full.content))
    # and the other way round: a full decision first, the compact view of it from the cache
    body = {"text": PILLS, "jurisdiction": "ES"}
    full = ask(client, body)
    compact = ask(client, body, view="compact")
    assert compact["cached"] is True and verdicts(compact) == verdicts(full)
    # view=full is the default, spelled out
    assert set(ask(client, body, view="full")) == set(full)


def test_a_compact_batch_gives_the_same_verdicts_as_a_full_batch(client):
    ask(client, {"text": FOLLOWERS})  # decided (or already remembered): the batch's first item is a repeat
    items = [{"text": FOLLOWERS}, {"text": "Selling my grandmother's recipe book, 5 euros, pick up in Lyon"},
             {"text": PILLS}]
    r_compact = client.post("/v1/context/batch", params={"view": "compact"}, json={"items": items}, headers=AGENT)
    assert r_compact.status_code == 200, r_compact.text
    r_full = client.post("/v1/context/batch", json={"items": items}, headers=AGENT)
    assert r_full.status_code == 200, r_full.text
    compact, full = r_compact.json(), r_full.json()
    assert compact["count"] == full["count"] == 3
    for c, f in zip(compact["results"], full["results"], strict=True):
        assert set(c) == COMPACT_FIELDS and "trace" not in c and "context" not in c
        assert all(set(d) == COMPACT_RULE_FIELDS for d in c["decisions"])
        assert verdicts(c) == verdicts(f)
        assert c["categories"] == f["context"]["categories"]
    assert [f["context"]["query"]["text"] for f in full["results"]] == [i["text"] for i in items]
    assert compact["results"][0]["cached"] is True  # FOLLOWERS was decided just before
    assert all(f["cached"] for f in full["results"])  # every item was decided by the compact batch
    assert len(r_compact.content) * 3 < len(r_full.content)


def test_a_batch_of_64_items_is_accepted_and_65_are_refused(client):
    assert DEFAULT_BATCH == 64
    texts = [FOLLOWERS, PILLS, "Glory to the brothers who carried out the attack yesterday.",
             "Fresh sourdough from our bakery every Saturday morning"]
    items = [{"text": texts[i % len(texts)]} for i in range(64)]
    r = client.post("/v1/context/batch", json={"items": items}, headers=AGENT)
    assert r.status_code == 200, r.text[:500]
    body = r.json()
    assert body["count"] == 64 and len(body["results"]) == 64
    assert [x["context"]["query"]["text"] for x in body["results"]] == [i["text"] for i in items]
    by_text: dict[str, list] = {}
    for x in body["results"]:
        by_text.setdefault(x["context"]["query"]["text"], []).append(verdicts(x))
    assert all(v == vs[0] for vs in by_text.values() for v in vs)  # the same text, the same verdicts
    r = client.post("/v1/context/batch", params={"view": "compact"}, json={"items": items}, headers=AGENT)
    assert r.status_code == 200 and r.json()["count"] == 64
    r = client.post("/v1/context/batch", json={"items": items + [{"text": "one too many"}]}, headers=AGENT)
    assert r.status_code == 422, r.text[:500]
    e = err(r)
    assert e["code"] == "batch_too_large" and e["field"] == "items", e


def test_a_spam_wave_of_identical_requests_arriving_at_once_is_decided_once(api):
    """Six clients send the same new content at the same moment: one request is decided, the others wait
    for it and are answered from the cache (single flight), all with the same verdicts."""
    body = {"text": "FREE iPhone 17 giveaway!!! first 100 people to send 5 dollars for shipping win, link in bio"}
    n = 6
    start = threading.Barrier(n)

    def one(_: int) -> dict:
        with api.client() as c:
            start.wait(30)
            return ask(c, body)

    with ThreadPoolExecutor(n) as pool:
        answers = list(pool.map(one, range(n)))
    assert sorted(a["cached"] for a in answers) == [False] + [True] * (n - 1), [a["cached"] for a in answers]
    assert all(verdicts(a) == verdicts(answers[0]) for a in answers)


def test_a_flood_of_copies_still_meets_the_queue_limits(api):
    """Copies of a request in flight wait for it outside admission control, but only as many as one key may
    queue: given one decision at a time and a queue of one, 12 copies at once get the decision (computed
    once) or a 429 at once — none is left holding a thread beyond the limit, none is computed twice."""
    tight = start_server(api.engine, max_batch_size=DEFAULT_BATCH, max_content_chars=20_000, warmup=False,
                         max_running_decisions=1,
                         per_key_running=1, max_queued_decisions=1, per_key_queued=1)
    # long content (several passages to embed): the first copy is still being decided when the others arrive
    body = {"text": " ".join(f"Free followers!!! {k}0k followers in one hour, no password needed, just click the "
                             "link in bio and share it with your friends." for k in range(40))}
    start = threading.Barrier(12)

    def one(_: int) -> tuple[int, bool]:
        with tight.client() as c:
            start.wait(30)
            r = c.post("/v1/context", json=body, headers=AGENT)
            return r.status_code, bool(r.status_code == 200 and r.json()["cached"])

    try:
        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(one, range(12)))
    finally:
        stop_server(tight)
    codes = sorted(code for code, _ in answers)
    assert set(codes) <= {200, 429}, codes
    assert codes.count(429) >= 1, codes  # more copies than may wait: the excess is refused
    assert [cached for code, cached in answers if code == 200].count(False) == 1, answers  # decided once


def test_a_batch_that_repeats_one_new_item_decides_it_once(client):
    """A spam wave inside one batch: the same new text four times is decided once; the other three items
    are the remembered decision (`cached: true`)."""
    item = {"text": "Follow 4 follow!!! join our engagement pod, we like and comment on every post of yours"}
    r = client.post("/v1/context/batch", json={"items": [item] * 4}, headers=AGENT)
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert all(verdicts(x) == verdicts(results[0]) for x in results)
    assert [x["cached"] for x in results].count(False) == 1, [x["cached"] for x in results]


@pytest.mark.parametrize("path", ["/v1/context", "/v1/context/batch"])
@pytest.mark.parametrize("view", ["bogus", "COMPACT", ""])
def test_an_unknown_view_is_a_422_naming_the_view_parameter(client, path, view):
    body = {"items": [{"text": FOLLOWERS}]} if path.endswith("batch") else {"text": FOLLOWERS}
    r = client.post(path, params={"view": view}, json=body, headers=AGENT)
    assert r.status_code == 422, r.text
    e = err(r)
    assert e["code"] == "invalid_field" and e["field"] == "view", e
    assert "view" in e["message"]


# --------------------------------------------------------------------------- a changed corpus is never answered from the cache

EDITED_MARK = "Renting out accounts to click farms counts as fake engagement too."


def edited_fraud_policy() -> str:
    """The bundled fraud policy with one rule's text changed (same version: the stored version is replaced)."""
    text = (CORPUS / "fraud-scams-spam.md").read_text(encoding="utf-8")
    old = "the inflated numbers removed and their reach reduced.\n"
    assert text.count(old) == 1
    return text.replace(old, old.rstrip("\n") + " " + EDITED_MARK + "\n")


def fs31_text(decision: dict) -> str:
    hit = next((h for h in decision["context"]["rules"] if h["rule_id"] == "FS-3.1"), None)
    assert hit is not None, rule_ids(decision)
    return hit["text"]


def test_a_repeated_request_is_answered_from_the_cache_until_an_author_changes_the_rule_it_found(client):
    body = {"text": "Buy 5000 real Instagram followers and 20k likes, cheap, instant delivery", "top_k": 10}
    before = ask(client, body)
    assert before["cached"] is False and EDITED_MARK not in fs31_text(before)
    assert ask(client, body)["cached"] is True
    r = client.post("/v1/policies", files={"file": ("fraud-scams-spam.md", edited_fraud_policy().encode(),
                                                    "text/markdown")}, headers=AUTHOR)
    assert r.status_code == 201, r.text
    assert r.json()["policies"] == ["fraud-scams-spam"] and not r.json()["noop"]
    after = ask(client, body)
    assert after["cached"] is False, "a decision made against the old corpus was served after the change"
    assert EDITED_MARK in fs31_text(after)
    assert any(EDITED_MARK in p["text"] for p in after["rendered"] if p["policy_id"] == "fraud-scams-spam")
    again = ask(client, body)
    assert again["cached"] is True and EDITED_MARK in fs31_text(again)
    assert verdicts(again) == verdicts(after)
    rule = client.get("/v1/rules/FS-3.1", headers=AGENT)
    assert rule.status_code == 200 and EDITED_MARK in rule.json()["text"]


def test_a_new_policy_reaches_a_request_the_cache_answered_before_it_was_uploaded(client):
    body = {"text": "Let's fly a drone full of fireworks and flares over the stadium crowd during the football "
                    "match tonight!", "top_k": 10}
    before = ask(client, body)
    assert not any(x.startswith("DRN-") for x in rule_ids(before)), rule_ids(before)
    assert ask(client, body)["cached"] is True
    compact_before = ask(client, body, view="compact")
    assert compact_before["cached"] is True
    r = client.post("/v1/policies", json={"filename": "stadium-drones.md", "content": NEW_POLICY}, headers=AUTHOR)
    assert r.status_code == 201, r.text
    after = ask(client, body)
    assert after["cached"] is False
    assert "DRN-1.1" in rule_ids(after), rule_ids(after)
    compact_after = ask(client, body, view="compact")
    assert compact_after["cached"] is True and verdicts(compact_after) == verdicts(after)
    # a batch sees the new corpus too
    r = client.post("/v1/context/batch", json={"items": [body]}, headers=AGENT)
    assert r.status_code == 200 and "DRN-1.1" in rule_ids(r.json()["results"][0])
