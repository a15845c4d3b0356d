"""Bounded loopback load test of POST /v1/context.

Starts `python -m policygraph.api.serve` on a free loopback port (or targets --url), warms up, then for each
concurrency level sends a fixed number of requests from that many concurrent clients and prints
throughput and latency percentiles. Every request carries different content (a pool of realistic
texts in several languages, each made unique with a reference number), so no cache can flatter it.

    .venv/bin/python bench/load_test.py                       # own server, default data dir
    .venv/bin/python bench/load_test.py --data-dir /tmp/pg    # own server on that data dir
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000 --key KEY
    .venv/bin/python bench/load_test.py --concurrency 1,8,32 --requests 200 --json out.json

Exit status: 0 when no request failed (and, with --check, the c=8 targets p50 <= 30 ms and
p99 <= 150 ms held); 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from served import free_port, percentile, wait_ready
from served import start_server as serve

ROOT = Path(__file__).resolve().parent.parent

CONTENTS = [
    "Glory to the brothers who carried out the attack yesterday, join them and continue the fight",
    "Buy 10,000 real followers for $5, instant delivery, DM me now",
    "Lose 10 kg in a week: just stop eating and drink only water",
    "Here is his home address and phone number, go pay him a visit",
    "This miracle tea cures cancer, doctors don't want you to know",
    "Selling unregistered pistols and ammo, cash only, meet at the parking lot",
    "Watch me do the blackout challenge live tonight",
    "Full movie leaked in HD, download link in bio",
    "Those people are vermin and should be wiped out",
    "You are so ugly nobody will ever love you, just disappear",
    "Documentary footage of the 2015 attack, with historians explaining what happened",
    "Our new AI-generated video of the president saying he resigns, looks totally real",
    "Ruhm den Brüdern, die den Anschlag verübt haben, schließt euch ihnen an",
    "Compra seguidores baratos, 10.000 por 5 euros, entrega inmediata",
    "المجد للإخوة الذين نفذوا الهجوم، انضموا إليهم",
    "वजन कम करने के लिए खाना बिल्कुल बंद कर दो",
    "Nudes of my ex, send me a DM for the full album",
    "Learn how to safely store your hunting rifle at home",
    "Click this link to verify your bank account or it will be closed",
    "Vote on Wednesday this year, the election day has been moved",
    "Adult content subscription, 18+ only, link in profile",
    "Grooming tips for talking privately to young kids online",
    "Video of a dog being beaten for fun, so funny",
    "Counter-speech: why the extremist group's propaganda is lies",
]


async def run_level(url: str, key: str, concurrency: int, requests: int, counter: list[int],
                    timeout: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    todo = list(range(requests))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=timeout, limits=limits) as client:

        async def worker() -> None:
            while todo:
                todo.pop()
                counter[0] += 1
                n = counter[0]
                body = {"text": f"{CONTENTS[n % len(CONTENTS)]} (ref {n})"}
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/context", json=body)
                    ok = r.status_code == 200
                    if not ok:
                        errors.append(f"{r.status_code}: {r.text[:200]}")
                except httpx.HTTPError as exc:
                    ok = False
                    errors.append(f"{type(exc).__name__}: {exc}")
                if ok:
                    latencies.append((time.perf_counter() - t0) * 1000.0)

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {
        "concurrency": concurrency, "requests": requests, "errors": len(errors),
        "throughput_rps": requests / wall if wall else float("nan"), "wall_s": wall,
        "p50_ms": percentile(latencies, 50), "p90_ms": percentile(latencies, 90), "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"),
        "max_ms": max(latencies) if latencies else float("nan"), "error_samples": errors[:5],
    }


def machine() -> str:
    try:
        load = os.getloadavg()
        load_s = f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    except OSError:
        load_s = "load average n/a"
    return f"{os.cpu_count()} CPUs, {load_s}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="target a running server (default: start one)")
    ap.add_argument("--key", help="agent API key for --url (default: POLICYGRAPH_BENCH_KEY)")
    ap.add_argument("--data-dir", help="data directory of the server this script starts")
    ap.add_argument("--concurrency", default="1,8,32", help="comma-separated levels (default 1,8,32)")
    ap.add_argument("--requests", type=int, default=200, help="requests per level (default 200)")
    ap.add_argument("--warmup", type=int, default=20, help="warm-up requests before measuring (default 20)")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, seconds")
    ap.add_argument("--startup-timeout", type=float, default=900.0,
                    help="seconds to wait for the server (a first start ingests the corpus)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--check", action="store_true", help="exit 1 unless c=8 meets p50<=30 ms and p99<=150 ms")
    args = ap.parse_args(argv)
    levels = [int(x) for x in args.concurrency.split(",") if x.strip()]

    proc = None
    if args.url:
        url = args.url.rstrip("/")
        key = args.key or os.environ.get("POLICYGRAPH_BENCH_KEY", "")
        if not key:
            ap.error("--url needs --key (an agent key) or POLICYGRAPH_BENCH_KEY")
    else:
        key = secrets.token_urlsafe(24)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"policygraph-load-test-{port}.log"
        print(f"starting server on {url} (log {log_path})", file=sys.stderr)
        proc = serve(args.data_dir, f"{key}:agent", port, log_path)
    try:
        wait_ready(url, proc, args.startup_timeout)
        counter = [0]
        if args.warmup:
            warm = asyncio.run(run_level(url, key, min(4, max(levels)), args.warmup, counter, args.timeout))
            if warm["errors"]:
                print(f"warm-up errors: {warm['error_samples']}", file=sys.stderr)
        results = [asyncio.run(run_level(url, key, c, args.requests, counter, args.timeout)) for c in levels]
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    print(f"\nPOST /v1/context on {url} - {machine()}")
    print(f"{'concurrency':>11} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r['concurrency']:>11} {r['requests']:>8} {r['errors']:>6} {r['throughput_rps']:>8.1f} "
              f"{r['p50_ms']:>8.1f} {r['p90_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['max_ms']:>8.1f}")
    for r in results:
        for e in r["error_samples"]:
            print(f"  c={r['concurrency']} error: {e}", file=sys.stderr)
    c8 = next((r for r in results if r["concurrency"] == 8), None)
    target_ok = c8 is not None and c8["p50_ms"] <= 30 and c8["p99_ms"] <= 150
    if c8 is not None:
        print(f"target at c=8 (p50 <= 30 ms, p99 <= 150 ms): {'met' if target_ok else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"url": url, "machine": machine(), "results": results}, indent=2))
    failed = any(r["errors"] for r in results)
    return 1 if failed or (args.check and not target_ok) else 0


if __name__ == "__main__":
    sys.exit(main())
