"""Work per request on hostile but valid content (issue 13, item 8): the agent's decision time for
maximum-length and degenerate inputs, as a ratio to a normal 20-word request measured in the same run.

    .venv/bin/python bench/bench_hostile_inputs.py [--data-dir DIR] [--repeat 3]

Uses the data dir's stored corpus (default: settings; ingest `policies/` there first). Prints a Markdown
table: input, characters, median seconds, ratio to the 20-word request, and the slowest stage.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from policygraph.agent import PolicyAgent
from policygraph.lifecycle import open_engine
from policygraph.models import ContentQuery
from policygraph.settings import Settings

INPUTS = {
    "20 words (normal)": "Selling cheap pills online, DM me for the price, fast discreet shipping to every country, "
                         "cash or crypto",
    "20,000 characters of prose": ("Buy cheap pills online, DM me for the price and fast shipping. " * 320)[:20000],
    "10,000 emoji in a row": "😀🔥💊" * 3334,
    "20,000 letters, no space": "a" * 20000,
    "20,000 characters of Thai": ("ขายยาราคาถูกออนไลน์ติดต่อทางข้อความส่วนตัว" * 500)[:20000],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", help="a data dir holding the corpus (default: settings)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    eng = open_engine(Settings.from_args(args))
    agent = PolicyAgent(eng)
    agent.decide(ContentQuery(text="warm-up: is this allowed?"))
    rows = []
    for name, text in INPUTS.items():
        times, slowest = [], ("", 0.0)
        for _ in range(args.repeat):
            t = time.perf_counter()
            d = agent.decide(ContentQuery(text=text))
            times.append(time.perf_counter() - t)
            stage = max(((k, v) for k, v in d.context.timings_ms.items() if k != "agent_total"), key=lambda kv: kv[1])
            slowest = max(slowest, stage, key=lambda kv: kv[1])
        rows.append((name, len(text), statistics.median(times), slowest))
    base = rows[0][2]
    print(f"\nWork per request on hostile content · {platform.machine()} · {os.cpu_count()} CPUs · "
          f"load average {os.getloadavg()[0]:.2f} · median of {args.repeat}\n")
    print("| input | characters | seconds | × the 20-word request | slowest stage (ms) |")
    print("|---|---|---|---|---|")
    for name, n, sec, (stage, ms) in rows:
        print(f"| {name} | {n:,} | {sec:.3f} | {sec / base:.1f} | {stage} {ms:.0f} |")
    eng.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
