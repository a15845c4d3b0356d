"""A bounded loopback soak (issue 13): a real server under mixed reads for a while, with a publish every
minute and one server restart in the middle. Reports errors, resident memory over time, and whether every
answer given after a publish came from the new version only.

    .venv/bin/python bench/soak.py --data-dir /tmp/pg-soak            # 10 minutes, concurrency 4
    .venv/bin/python bench/soak.py --data-dir /tmp/pg-soak --minutes 3 --publish-every 30

The data dir is written to (a small policy `soak-policy` gets a new version per publish): give it a
copy. Errors are any non-200 answer or connection error outside the restart window (requests during the
restart are retried and counted apart). "Stale" is an answer for rule SOAK-1.1 from an older version
than the last publish acknowledged before the request was sent. Memory: the server's RSS every 5 s;
"growth" compares the level at the end (the median RSS of the last minute) with the level one minute after
the restart (the median of the minute after that): the last half, warmed up. Medians, because each publish
holds two corpus versions for a few seconds (readers in flight keep the old one) and a single sample taken
then reads ~25 MB high; the single-sample figure (last sample vs first after restart + 60 s) is printed too.

Exit status 0 when there were no errors and no stale answers and growth over the last half <= 2 %.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time

import httpx
from served import launch, load_average, rss_mb, start_server, stop, wait_ready

AGENT, AUTHOR = "soak-agent-key", "soak-author-key"
TEXTS = ["Selling cheap ecstasy pills, DM me", "Those people are vermin and should be wiped out",
         "Lose 10 kg in a week: just stop eating", "Click this link to verify your bank account",
         "Vendo pastillas de éxtasis, envío discreto", "Happy birthday grandma, we love you",
         "Ruhm den Brüdern, die den Anschlag verübt haben", "Throwing fireworks at the neighbours' dog lol"]
POLICY = """---
id: soak-policy
title: Soak test policy
category: dangerous_activities
version: {version}
language: en
---

## Fireworks

### SOAK-1.1 Fireworks aimed at people or animals
{{kind: prohibited, severity: high, actions: [remove]}}

Content that shows or encourages aiming lit fireworks at people or animals (soak revision {version}).
"""


class Soak:
    def __init__(self, url: str) -> None:
        self.url = url
        self.published = 0  # the newest version acknowledged
        self.restarting = threading.Event()
        self.lock = threading.Lock()
        self.ok = self.errors = self.stale = self.during_restart = 0
        self.error_samples: list[str] = []

    def note(self, ok: bool, what: str = "") -> None:
        with self.lock:
            if ok:
                self.ok += 1
            elif self.restarting.is_set():
                self.during_restart += 1
            else:
                self.errors += 1
                if len(self.error_samples) < 5:
                    self.error_samples.append(what)

    def reader(self, i: int, until: float) -> None:
        c = httpx.Client(base_url=self.url, timeout=60, headers={"X-API-Key": AGENT})
        n = 0
        while time.time() < until:
            n += 1
            want = self.published
            try:
                kind = n % 4
                if kind == 0:
                    r = c.get("/v1/rules/SOAK-1.1")
                    if r.status_code == 200 and r.json()["version"] < want:
                        with self.lock:
                            self.stale += 1
                elif kind == 1:
                    r = c.get("/v1/policies")
                else:
                    r = c.post("/v1/context", json={"text": f"{TEXTS[(i + n) % len(TEXTS)]} ({i}-{n})"})
                self.note(r.status_code == 200, f"{r.status_code} {r.text[:160]}")
            except httpx.HTTPError as exc:
                self.note(False, f"{type(exc).__name__}: {exc}")
                time.sleep(0.2)
        c.close()

    def publish(self, version: int) -> None:
        try:
            with httpx.Client(base_url=self.url, timeout=300) as c:
                r = c.post("/v1/policies", headers={"X-API-Key": AUTHOR},
                           files={"file": ("soak-policy.md", POLICY.format(version=version).encode(), "text/markdown")})
            if r.status_code in (200, 201):
                self.published = version
            self.note(r.status_code in (200, 201), f"publish {r.status_code} {r.text[:160]}")
        except httpx.HTTPError as exc:
            self.note(False, f"publish {type(exc).__name__}: {exc}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", required=True, help="a data dir to serve and write to (give it a copy)")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--publish-every", type=float, default=60.0, help="seconds between publishes (default 60)")
    args = ap.parse_args(argv)

    keys = f"{AGENT}:agent,{AUTHOR}:author"
    proc, url, port, log = launch(args.data_dir, keys, "soak")
    wait_ready(url, proc, 600)
    soak = Soak(url)
    soak.publish(int(time.time()))  # the soak policy exists from the start
    t0 = time.time()
    until = t0 + args.minutes * 60
    readers = [threading.Thread(target=soak.reader, args=(i, until), daemon=True) for i in range(args.concurrency)]
    for t in readers:
        t.start()
    memory: list[tuple[float, float]] = []
    next_publish, restarted_at, next_sample = t0 + args.publish_every, None, t0
    try:
        while time.time() < until:
            now = time.time()
            if now >= next_sample:
                memory.append((now - t0, rss_mb(proc.pid)))
                next_sample += 5
            if now >= next_publish:
                soak.publish(int(now))
                next_publish += args.publish_every
            if restarted_at is None and now - t0 >= args.minutes * 30:
                soak.restarting.set()
                stop(proc)
                proc = start_server(args.data_dir, keys, port, log)
                wait_ready(url, proc, 600)
                soak.restarting.clear()
                restarted_at = time.time() - t0
            time.sleep(0.5)
        for t in readers:
            t.join(120)
    finally:
        stop(proc)

    after = [(t, m) for t, m in memory if restarted_at is not None and t >= restarted_at + 60]
    raw = (after[-1][1] - after[0][1]) / after[0][1] * 100 if len(after) >= 2 else float("nan")
    growth = float("nan")
    if after and after[-1][0] - after[0][0] >= 180:  # two minutes apart at least
        first = statistics.median(m for t, m in after if t < after[0][0] + 60)
        last = statistics.median(m for t, m in after if t > after[-1][0] - 60)
        growth = (last - first) / first * 100
    print(f"\nsoak: {args.minutes:g} min, concurrency {args.concurrency}, a publish every {args.publish_every:g} s, "
          f"restart at {restarted_at or 0:.0f} s; {os.cpu_count()} CPUs; load average {load_average()}")
    print("| answers ok | errors | stale answers | retried during the restart | RSS start MB | RSS end MB | "
          "growth over the last half (minute medians) | single samples |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| {soak.ok} | {soak.errors} | {soak.stale} | {soak.during_restart} | {memory[0][1]:.0f} | "
          f"{memory[-1][1]:.0f} | {growth:.2f} % | {raw:.2f} % |")
    for e in soak.error_samples:
        print(f"  error: {e}")
    print("memory (s, MB): " + ", ".join(f"{t:.0f}:{m:.0f}" for t, m in memory[:: max(1, len(memory) // 12)]))
    met = soak.errors == 0 and soak.stale == 0 and growth <= 2.0
    print(f"zero errors, zero stale answers, growth <= 2 %: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
