"""A normal caller's latency while another key floods the service (issue 13, item 8), on a real server.

Starts `policygraph.api.serve` on a free loopback port (its own copy of nothing: it serves --data-dir),
measures a normal client's short requests alone (the floor), then again while 8 clients of a hostile key
send maximum-size content and batches as fast as they can, and a publish arrives in the middle. Prints
the normal client's p50/p99 both ways, what the hostile key got (200 / 429 / 503), how long the publish
took, and the load average. Timings on a shared machine are noisy: read the ratio to the floor.

    .venv/bin/python bench/bench_hostile_load.py --data-dir /tmp/pg [--seconds 30] [--normal 40]

Exit status 0 when nothing failed (no 5xx but 503 deadline_exceeded, no dropped connection) and the
publish completed; the p99 target (<= 1 s) is printed, not enforced.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time

import httpx
from served import launch, load_average, percentile, stop, wait_ready

HOSTILE, NORMAL, AUTHOR = "bench-hostile-key", "bench-normal-key", "bench-author-key"
NORMAL_TEXTS = ["Selling cheap ecstasy pills, DM me", "Those people are vermin and should be wiped out",
                "Lose 10 kg in a week: just stop eating", "Click this link to verify your bank account",
                "Learn how to safely store your hunting rifle at home", "Happy birthday grandma, we love you"]
POLICY = """---
id: bench-hostile-publish
title: Bench publish
category: dangerous_activities
version: {version}
language: en
---

## Section

### BHP-1.1 Throwing fireworks at people
{{kind: prohibited, severity: high, actions: [remove]}}

Videos that show or encourage throwing lit fireworks at people or animals (revision {version}).
"""


def big(i: int, chars: int) -> str:
    """Maximum-size content, different every time (a repeat would be answered from the decision cache)."""
    words = ("market report prices shipping weather northern region council debates bus lanes school fundraiser "
             "harvest festival river bridge repairs library opening hours").split()
    tag = f"ref {i} {secrets.token_hex(4)} "
    return (tag + " ".join(words[(i * 7 + k) % len(words)] for k in range(chars // 6)))[:chars]


def normal_run(url: str, n: int, slow: list | None = None) -> tuple[list[float], list[int]]:
    """`slow` collects (started at, latency ms, the server's timings) of each request, to explain the tail."""
    lat, statuses = [], []
    with httpx.Client(base_url=url, timeout=120) as c:
        for k in range(n):
            t = time.perf_counter()
            text = f"{NORMAL_TEXTS[k % len(NORMAL_TEXTS)]} #{k} {secrets.token_hex(3)}"  # never a cache hit
            r = c.post("/v1/context", json={"text": text},
                       headers={"X-API-Key": NORMAL})
            lat.append((time.perf_counter() - t) * 1000)
            statuses.append(r.status_code)
            if slow is not None and r.status_code == 200:
                timings = r.json()["context"]["timings_ms"]
                slow.append((t, lat[-1], {k: timings.get(k, 0.0) for k in TIMINGS}))
    return lat, statuses


TIMINGS = ("wait_turn", "embed", "wait_gate", "agent_total")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="the data dir to serve (default: the settings' default)")
    ap.add_argument("--normal", type=int, default=40, help="normal requests per phase (default 40)")
    ap.add_argument("--hostile-clients", type=int, default=8)
    ap.add_argument("--max-chars", type=int, default=20_000, help="the hostile content size (the server's limit)")
    args = ap.parse_args(argv)

    proc, url, _port, _log = launch(args.data_dir, f"{HOSTILE}:agent,{NORMAL}:agent,{AUTHOR}:author", "hostile",
                                    POLICYGRAPH_API_MAX_CONTENT_CHARS=str(args.max_chars))
    try:
        wait_ready(url, proc, 600)
        normal_run(url, 5)  # warm-up
        floor, floor_status = normal_run(url, args.normal)

        stop_flag = threading.Event()
        hostile: dict[int, int] = {}
        lock = threading.Lock()

        def flood(i: int) -> None:
            with httpx.Client(base_url=url, timeout=300) as c:
                n = 0
                while not stop_flag.is_set():
                    n += 1
                    try:
                        if n % 3 == 0:
                            r = c.post("/v1/context/batch", json={"items": [{"text": big(i + k, args.max_chars)}
                                                                            for k in range(8)]},
                                       headers={"X-API-Key": HOSTILE})
                        else:
                            r = c.post("/v1/context", json={"text": big(i + n, args.max_chars)},
                                       headers={"X-API-Key": HOSTILE})
                        code = r.status_code
                    except httpx.HTTPError:
                        code = -1
                    with lock:
                        hostile[code] = hostile.get(code, 0) + 1
                    if code == 429:
                        time.sleep(0.1)

        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(args.hostile_clients)]
        for t in threads:
            t.start()
        time.sleep(2)
        publish: dict[str, float | int] = {}

        def do_publish() -> None:
            t = time.perf_counter()
            publish["started"] = t
            with httpx.Client(base_url=url, timeout=300) as c:
                r = c.post("/v1/policies", headers={"X-API-Key": AUTHOR}, files={
                    "file": ("bench-hostile-publish.md", POLICY.format(version=int(time.time())).encode(), "text/markdown")})
            publish.update(status=r.status_code, seconds=time.perf_counter() - t)

        pub = threading.Thread(target=do_publish)
        pub.start()
        slow: list = []
        loaded, loaded_status = normal_run(url, args.normal, slow)
        pub.join(300)
        stop_flag.set()
        for t in threads:
            t.join(300)
        load = load_average()
    finally:
        stop(proc)

    print(f"\nhostile load: {args.hostile_clients} clients of one key sending {args.max_chars:,}-character content and "
          f"8-item batches; {os.cpu_count()} CPUs; load average {load}")
    print("| phase | n | p50 ms | p99 ms | statuses |")
    print("|---|---|---|---|---|")
    for name, lat, st in (("normal key alone (floor)", floor, floor_status), ("normal key under flood", loaded, loaded_status)):
        print(f"| {name} | {len(lat)} | {percentile(lat, 50):.0f} | {percentile(lat, 99):.0f} | "
              f"{', '.join(f'{k}: {st.count(k)}' for k in sorted(set(st)))} |")
    print(f"\np99 under flood / floor p99: {percentile(loaded, 99) / max(percentile(floor, 99), 1e-9):.1f}x; "
          f"target p99 <= 1000 ms: {'met' if percentile(loaded, 99) <= 1000 else 'NOT met'}")
    print(f"hostile key: {', '.join(f'{k}: {v}' for k, v in sorted(hostile.items()))} "
          "(429 = refused at once, 503 = deadline passed, -1 = connection error)")
    print(f"publish during the flood: status {publish.get('status')}, {publish.get('seconds', float('nan')):.1f} s")
    print("slowest normal requests under flood (start relative to the publish's; the server's timings, ms):")
    for started, ms, timings in sorted(slow, key=lambda x: -x[1])[:3]:
        print(f"  {ms:.0f} ms, started {started - publish.get('started', started):+.2f} s: "
              + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    failed = (set(floor_status + loaded_status) != {200} or -1 in hostile
              or any(k >= 500 and k != 503 for k in hostile) or publish.get("status") not in (200, 201))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
