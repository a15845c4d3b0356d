"""Under hostile load the service sheds work instead of hanging (issue 13, item 8), on a real HTTP server:

* given one key that floods the service with maximum-size content and batches from 8 clients, the
  excess is refused at once with 429 + Retry-After, never left to hang, while another key's ordinary
  requests are all answered, and a publish completes;
* readiness says "overloaded" while the queue is full;
* work whose client has gone is dropped, not done.

Latency under this load (a normal request's p99) is a benchmark, not a test: bench/bench_hostile_load.py.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from test_api import AUTHOR, NEW_POLICY, copy_engine, start_server, stop_server

HOSTILE_KEY, NORMAL_KEY = "hostile-agent-key-1f2e3d", "normal-agent-key-9a8b7c"
KEYS = f"{HOSTILE_KEY}:agent,{NORMAL_KEY}:agent,author-key-2a6b8e31f0:author"
HOSTILE, NORMAL = {"X-API-Key": HOSTILE_KEY}, {"X-API-Key": NORMAL_KEY}
MAX_CHARS = 2500


def big_content(i: int) -> str:
    words = ("the market report covers prices shipping and weather in the northern region while the "
             "city council debates the new bus lanes and a school fundraiser ").split()
    return " ".join(words[(i + k) % len(words)] for k in range(MAX_CHARS // 7))[:MAX_CHARS]


@pytest.fixture(scope="module")
def server(corpus_engine, embedding_cache_dir, tmp_path_factory):
    eng = copy_engine(corpus_engine, tmp_path_factory.mktemp("load") / "data", embedding_cache_dir)
    r = start_server(eng, keys=KEYS, max_content_chars=MAX_CHARS, max_batch_size=8, max_running_decisions=3,
                     per_key_running=2, max_queued_decisions=4, per_key_queued=2, retry_after_s=2)
    yield r
    stop_server(r)


def test_a_flooding_key_gets_429s_while_another_key_and_a_publish_are_served(server):
    stop = threading.Event()
    statuses: dict[int, int] = {}
    refusals: list[float] = []  # client-side seconds each 429 took
    bad: list[str] = []  # 429s without Retry-After or the right code
    lock = threading.Lock()

    def flood(i: int) -> None:
        with server.client() as c:
            n = 0
            while not stop.is_set():
                n += 1
                body = ({"items": [{"text": big_content(i + k)} for k in range(4)]} if n % 3 == 0 else
                        {"text": big_content(i + n)})
                t = time.monotonic()
                r = c.post("/v1/context/batch" if "items" in body else "/v1/context", json=body, headers=HOSTILE)
                took = time.monotonic() - t
                with lock:
                    statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                    if r.status_code in (429, 503):
                        code = "overloaded" if r.status_code == 429 else "deadline_exceeded"
                        if r.headers.get("Retry-After") != "2" or r.json()["error"]["code"] != code:
                            bad.append(r.text)
                    if r.status_code == 429:
                        refusals.append(took)
                if r.status_code == 429:
                    time.sleep(0.1)  # a flood, but not a busy loop: (well-behaved clients wait Retry-After)

    threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    normal: list[int] = []
    with server.client() as c:
        ready_seen = c.get("/readyz").json()
        for k in range(3):
            r = c.post("/v1/context", json={"text": f"Selling cheap ecstasy pills, DM me {k}"}, headers=NORMAL)
            normal.append(r.status_code)
        up = c.post("/v1/policies", files={"file": ("stadium-drones.md", NEW_POLICY.encode(), "text/markdown")},
                    headers=AUTHOR)
    stop.set()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a flooding client hung"
    assert normal == [200] * 3  # the other key is served throughout
    assert up.status_code in (200, 201), up.text  # a publish completes under the flood
    assert statuses.get(429, 0) > 0, statuses  # the excess is refused ...
    assert not bad, bad[:3]
    # ... at once, not after waiting: a refusal is decided on arrival (admission's queue is full), a queued
    # request waits up to its deadline (30 s here). Client-side times also hold every stall of the process the
    # server shares with the test's 9 client threads and a publish on two cores: in CI one refusal took 1.2 s,
    # and on a machine running two suites at once 26 s. So the typical refusal must be quick (here: 9 ms);
    # the slowest only must not be a refusal after a queued request's whole wait.
    refusals.sort()
    assert refusals[len(refusals) // 2] < 0.5, refusals
    assert refusals[-1] < 30.0, refusals
    # and nothing else goes wrong: no 5xx but a deadline that passed (503 deadline_exceeded + Retry-After,
    # checked above with the 429s), no dropped connection
    assert set(statuses) <= {200, 429, 503}, statuses
    assert ready_seen["status"] in ("ready", "not_ready")
    metrics = httpx.get(server.url + "/metrics").text
    assert "policygraph_admission_shed_total" in metrics


def test_readiness_reports_overload_while_the_queue_is_full(server):
    svc_adm = server.server.config.app.state.service.admission  # the app's own admission control
    held = []
    from policygraph.api.admission import WorkTicket

    # fill every running slot and the whole queue from other threads, then ask /readyz
    gate = threading.Event()

    def hold(key: str) -> None:
        with svc_adm.turn(key, WorkTicket.within(30)):
            held.append(key)
            gate.wait(30)

    ts = [threading.Thread(target=hold, args=(f"k{i}",), daemon=True) for i in range(3 + 4)]
    for t in ts:
        t.start()
    deadline = time.monotonic() + 10
    while svc_adm.stats().queued < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    with server.client() as c:
        r = c.get("/readyz")
    gate.set()
    for t in ts:
        t.join(30)
    assert r.status_code == 503 and any("overloaded" in p for p in r.json()["problems"]), r.text
    with server.client() as c:
        assert c.get("/readyz").status_code == 200


def test_work_whose_client_left_is_dropped(server):
    """Given every turn taken, when a client gives up on its waiting request, the request leaves the queue
    (counted as cancelled) instead of being run for nobody."""
    adm = server.server.config.app.state.service.admission
    from policygraph.api.admission import WorkTicket

    gate = threading.Event()
    holders = []  # the three running slots, held until the gate opens

    def hold(i: int) -> None:
        with adm.turn(f"h{i}", WorkTicket.within(30)):
            holders.append(i)
            gate.wait(30)

    ts = [threading.Thread(target=hold, args=(i,), daemon=True) for i in range(3)]
    for t in ts:
        t.start()
    while len(holders) < 3:
        time.sleep(0.02)
    before = adm.stats().cancelled
    with pytest.raises(httpx.TimeoutException), httpx.Client(base_url=server.url, timeout=0.5) as c:
        c.post("/v1/context", json={"text": "Selling cheap ecstasy pills, DM me"}, headers=NORMAL)
    deadline = time.monotonic() + 10
    while adm.stats().cancelled == before and time.monotonic() < deadline:
        time.sleep(0.05)
    gate.set()
    for t in ts:
        t.join(30)
    assert adm.stats().cancelled == before + 1
