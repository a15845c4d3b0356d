"""The eval harness behind `policygraph eval`: runs the suites, writes report.json (stable schema,
`schema_version`), report.md and charts/*.png, and gates regressions against a baseline report.

    policygraph eval [--quick] [--suite udhr|devset|latency|all] [--out DIR] [--compare BASELINE.json]
                     [--udhr-dir PATH] [--langs KEY,KEY] [--runs p1_article,...]
    python -m policygraph.eval.harness [--data-dir DIR] ...same options...

Exit status: 0 when everything ran (and, with --compare, nothing regressed beyond tolerance);
4 when a compared metric regressed beyond its tolerance; 2 when --compare found nothing comparable.
See docs/eval.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import TypedDict

from policygraph.eval.udhr import QUICK_LANGS
from policygraph.settings import Settings

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SUITES = ("udhr", "devset", "multimodal", "external", "adversarial", "latency")
SYSTEMS = ("vector", "hybrid", "agent")
QUICK_RUNS = ("p1_article", "p1_sentence")
QUICK_LATENCY_ITEMS = 60
QUICK_EXTERNAL_PER_LANGUAGE = 40
QUICK_ADVERSARIAL_ITEMS = 120
EXIT_REGRESSION = 4
EXIT_NOTHING_TO_COMPARE = 2

#: The regression gate: (metric pattern, kind, tolerance). First match wins. "drop": fails when
#: current < baseline - tolerance (absolute); "rise_rel": fails when current > baseline × (1 + tolerance).
#: Latency rows apply only with --gate-latency (timings depend on the machine and its load).
TOLERANCES: list[tuple[str, str, float]] = [
    ("udhr.*.macro.acc@1", "drop", 0.02),
    ("udhr.*.macro.recall@5", "drop", 0.02),
    ("udhr.*.macro.mrr", "drop", 0.02),
    ("udhr.*.lang.*.acc@1", "drop", 0.10),
    ("devset.*.top1", "drop", 0.03),
    ("devset.*.top3", "drop", 0.03),
    ("devset.*.rule_recall@5", "drop", 0.03),
    ("devset.*.exception_correct", "drop", 0.05),
    ("devset.*.none_correct", "drop", 0.05),
    ("devset.*.overall_correct", "drop", 0.03),
    ("multimodal.*.top3", "drop", 0.03),
    ("multimodal.*.overall_correct", "drop", 0.05),
    ("external.*.top3", "drop", 0.03),
    ("external.*.benign_applies", "rise_abs", 0.03),
    ("external.multijail.top_category_equals_english", "drop", 0.05),
    ("adversarial.*.drop", "rise_abs", 0.03),
    ("latency.*.p95_ms", "rise_rel", 1.0),
]


# --------------------------------------------------------------------------- suites 2 and 3


def corpus_engine(settings, progress: bool = True):
    """The engine on the user's data dir; the bundled corpus is ingested when it holds no policy."""
    from policygraph.ingest import pipeline
    from policygraph.lifecycle import open_engine

    eng = open_engine(settings)
    if not eng.catalog.rules:
        log.info("no policies in %s: ingesting the bundled corpus from %s", settings.data_dir, settings.corpus_dir)
        bar = None
        if progress:
            from policygraph.eval.udhr import IngestBar

            bar = IngestBar(True, "corpus · embed rules")
        pipeline.ingest(eng, [settings.corpus_dir], progress=bar)
        if bar:
            bar.close()
    return eng


def run_devset_suite(engine, systems=SYSTEMS, progress: bool = True, split: str = "report") -> dict:
    """Suite 2: policygraph/eval/devset.py scores on one half of the dev set (the report half by default: the fit
    half is what policygraph/eval/calibrate.py tunes on); one summary per system on the same engine and items.
    Query embeddings are cached here (accuracy does not depend on it; suite 3 measures real latency)."""
    from policygraph.eval.devset import engine_predictor, format_table, load_devset, run_devset, split_items
    from policygraph.retrieval import Retriever

    items = split_items(load_devset(), split)
    retriever = Retriever(engine, cache_queries=True)
    out: dict = {"items": len(items), "split": split, "systems": {}, "notes": []}
    t0 = time.perf_counter()
    for mode in systems:
        try:
            predict = engine_predictor(engine, mode, retriever)
        except ImportError as exc:
            out["notes"].append(f"{mode} skipped: cannot import it ({exc})")
            continue
        except Exception as exc:
            out["notes"].append(f"{mode} skipped: constructing it failed ({type(exc).__name__}: {exc})")
            continue
        try:
            out["systems"][mode] = run_devset(mode, predict, items, progress=progress).summary()
        except Exception as exc:
            log.exception("dev set run failed for %s", mode)
            out["notes"].append(f"{mode} failed ({type(exc).__name__}: {exc})")
    if out["systems"]:
        out["table_md"] = format_table(list(out["systems"].values()))
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def run_multimodal_suite(engine, split: str = "report") -> dict:
    """Suite `multimodal`: structured content (fields, labels, provenance) against the same content flattened
    into one string (policygraph/eval/multimodal.py), on one half of its items."""
    from policygraph.agent import PolicyAgent
    from policygraph.eval.multimodal import run_multimodal

    return run_multimodal(PolicyAgent(engine), split)


def run_external_suite(engine, settings, split: str = "report", progress: bool = True,
                       limit_per_language: int | None = None) -> dict:
    """Suite `external`: Multilingual HateCheck and MultiJail (policygraph/eval/external.py), on one half."""
    from policygraph.agent import PolicyAgent
    from policygraph.eval import external as X

    reason = X.missing_reason(settings.shared_data)
    if reason:
        log.warning("suite external skipped: %s", reason)
        return {"skipped": reason}
    agent = PolicyAgent(engine)
    predict = X.agent_predictor(agent)
    t0 = time.perf_counter()
    out: dict = {"split": split, "datasets": {}}
    for name, items in (("hatecheck", X.load_hatecheck(settings.shared_data)),
                        ("multijail", X.load_multijail(settings.shared_data))):
        if limit_per_language:
            items = X.limit_per_language(items, limit_per_language)
        rep = X.run_external(predict, items, name, split, progress=progress)
        summary = rep.summary()
        summary["table_md"] = X.format_summary(summary)
        summary["calibration"] = X.calibration(rep.scored)
        out["datasets"][name] = summary
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


def run_adversarial_suite(engine, settings, split: str = "report", progress: bool = True,
                          limit: int | None = None) -> dict:
    """Suite `adversarial`: every item of the dev set and the external sets (one half), perturbed by each
    attack of policygraph/eval/adversarial.py; top-3 on the perturbed item against the clean one."""
    from policygraph.agent import PolicyAgent
    from policygraph.eval import adversarial as A
    from policygraph.eval import external as X
    from policygraph.eval.devset import load_devset, split_items

    agent = PolicyAgent(engine)
    predict = X.agent_predictor(agent)
    items: list = []
    for d in split_items(load_devset(), split):
        if d.categories and d.expect == "applies":
            items.append(X.ExternalItem(id=d.id, text=d.text, language=d.language, category=d.categories[0],
                                        source_label="devset", dataset="devset", group=d.id))
    if not X.missing_reason(settings.shared_data):
        ext = X.load_hatecheck(settings.shared_data) + X.load_multijail(settings.shared_data)
        items += [x for x in ext if x.split == split and x.category != "none"]
    items = A.sample(items, limit) if limit else items
    t0 = time.perf_counter()
    out = A.run_attacks(predict, items, progress=progress)
    out["split"] = split
    out["seconds"] = round(time.perf_counter() - t0, 2)
    return out


# --------------------------------------------------------------------------- orchestration


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or None
    except Exception:
        return None


def _load() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def run_eval(
    settings,
    suites=SUITES,
    quick: bool = False,
    out_dir: str | Path = "eval-report",
    compare: str | Path | None = None,
    *,
    udhr_dir: str | Path | None = None,
    languages: list[str] | None = None,
    runs: list[str] | None = None,
    charts: bool = True,
    progress: bool = True,
    gate_latency: bool = False,
) -> tuple[dict, int]:
    """Run the suites, write out_dir/report.json, report.md and charts/*.png; returns (report, exit code)."""
    from policygraph.eval import udhr as U

    t0 = time.perf_counter()
    suites = [s for s in SUITES if s in set(suites)]
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    if languages is None and quick:
        languages = list(U.QUICK_LANGS)
    if runs is None:
        runs = list(QUICK_RUNS if quick else U.ALL_RUNS)
    report: dict = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {"suites": suites, "quick": quick, "languages": languages, "udhr_runs": runs,
                   "data_dir": str(settings.data_dir), "compare": str(compare) if compare else None},
        "environment": {"python": platform.python_version(), "platform": platform.platform(),
                        "cpu_count": os.cpu_count(), "embedder": settings.embedder, "git_commit": _git_commit(),
                        "load_average_start": _load()},
        "suites": {},
    }
    if "udhr" in suites:
        d = U.udhr_dir(settings, udhr_dir)
        if not U.available(d):
            report["suites"]["udhr"] = {"skipped": f"UDHR data not found in {d}"}
            log.warning("suite udhr skipped: no UDHR data in %s", d)
        else:
            report["suites"]["udhr"] = U.run_udhr(settings, directory=d, languages=languages, runs=runs,
                                                  progress=progress)
    if {"devset", "multimodal", "latency", "external", "adversarial"} & set(suites):
        eng = corpus_engine(settings, progress)
        try:
            if "devset" in suites:
                report["suites"]["devset"] = run_devset_suite(eng, progress=progress)
            if "multimodal" in suites:
                report["suites"]["multimodal"] = run_multimodal_suite(eng)
            if "external" in suites:
                report["suites"]["external"] = run_external_suite(
                    eng, settings, progress=progress, limit_per_language=QUICK_EXTERNAL_PER_LANGUAGE if quick else None)
            if "adversarial" in suites:
                report["suites"]["adversarial"] = run_adversarial_suite(
                    eng, settings, progress=progress, limit=QUICK_ADVERSARIAL_ITEMS if quick else None)
            if "latency" in suites:
                from policygraph.eval.devset import load_devset
                from policygraph.eval.latency import run_latency

                report["suites"]["latency"] = run_latency(eng, load_devset(),
                                                          limit=QUICK_LATENCY_ITEMS if quick else None,
                                                          progress=progress)
        finally:
            eng.close()
    code = 0
    if compare:
        baseline = json.loads(Path(compare).read_text(encoding="utf-8"))
        report["comparison"] = compare_reports(baseline, report, gate_latency=gate_latency)
        report["comparison"]["baseline"] = str(compare)
        if report["comparison"]["compared"] == 0:
            code = EXIT_NOTHING_TO_COMPARE
        elif report["comparison"]["failed"]:
            code = EXIT_REGRESSION
    report["environment"]["load_average_end"] = _load()
    report["duration_s"] = round(time.perf_counter() - t0, 2)
    write_report(report, out_dir, charts=charts)
    return report, code


def write_report(report: dict, out_dir: Path, charts: bool = True) -> None:
    from policygraph.eval.report import write_charts, write_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    chart_files = write_charts(report, out_dir / "charts") if charts else []
    report["charts"] = [str(p.relative_to(out_dir)) for p in chart_files]
    tmp = out_dir / "report.json.tmp"
    tmp.write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out_dir / "report.json")
    write_markdown(report, out_dir / "report.md")


# --------------------------------------------------------------------------- the regression gate


def _udhr_runs(report: dict) -> dict:
    return ((report.get("suites") or {}).get("udhr") or {}).get("runs") or {}


def flatten_metrics(baseline: dict, current: dict) -> tuple[dict[str, float], dict[str, float], dict[str, int]]:
    """The comparable metrics of both reports, by name. UDHR macro averages are recomputed over the
    languages both reports evaluated, so a run on a subset compares fairly with a larger baseline."""
    b_out: dict[str, float] = {}
    c_out: dict[str, float] = {}
    common_n: dict[str, int] = {}
    b_runs, c_runs = _udhr_runs(baseline), _udhr_runs(current)
    for run in sorted(set(b_runs) & set(c_runs)):
        bl, cl = b_runs[run].get("per_language") or {}, c_runs[run].get("per_language") or {}
        common = sorted(set(bl) & set(cl))
        if not common:
            continue
        common_n[run] = len(common)
        for m in ("acc@1", "recall@5", "mrr"):
            b_out[f"udhr.{run}.macro.{m}"] = sum(bl[k][m] for k in common) / len(common)
            c_out[f"udhr.{run}.macro.{m}"] = sum(cl[k][m] for k in common) / len(common)
        for k in common:
            b_out[f"udhr.{run}.lang.{k}.acc@1"] = bl[k]["acc@1"]
            c_out[f"udhr.{run}.lang.{k}.acc@1"] = cl[k]["acc@1"]

    def devset(rep: dict, out: dict) -> None:
        for system, s in (((rep.get("suites") or {}).get("devset") or {}).get("systems") or {}).items():
            for m, v in (s.get("overall") or {}).items():
                if isinstance(v, int | float) and not m.endswith("_ms") and m != "n":
                    out[f"devset.{system}.{m}"] = float(v)

    def multimodal(rep: dict, out: dict) -> None:
        for system, s in (((rep.get("suites") or {}).get("multimodal") or {}).get("systems") or {}).items():
            for m in ("top1", "top3", "overall_correct", "none_correct"):
                if (s.get("overall") or {}).get(m) is not None:
                    out[f"multimodal.{system}.{m}"] = float(s["overall"][m])

    def latency(rep: dict, out: dict) -> None:
        for system, s in (((rep.get("suites") or {}).get("latency") or {}).get("systems") or {}).items():
            if (s.get("total") or {}).get("p95_ms") is not None:
                out[f"latency.{system}.total.p95_ms"] = s["total"]["p95_ms"]
            for stage, p in (s.get("stages") or {}).items():
                if p.get("p95_ms") is not None:
                    out[f"latency.{system}.{stage}.p95_ms"] = p["p95_ms"]

    def external(rep: dict, out: dict) -> None:
        for name, s in ((((rep.get("suites") or {}).get("external") or {}).get("datasets")) or {}).items():
            for m in ("top1", "top3", "benign_applies"):
                if (s.get("overall") or {}).get(m) is not None:
                    out[f"external.{name}.{m}"] = float(s["overall"][m])
            cons = s.get("consistency") or {}
            if cons.get("top_category_equals_english") is not None:
                out[f"external.{name}.top_category_equals_english"] = float(cons["top_category_equals_english"])

    def adversarial(rep: dict, out: dict) -> None:
        for attack, a in ((((rep.get("suites") or {}).get("adversarial") or {}).get("attacks")) or {}).items():
            if a.get("drop") is not None:
                out[f"adversarial.{attack}.drop"] = float(a["drop"])

    for rep, out in ((baseline, b_out), (current, c_out)):
        devset(rep, out)
        multimodal(rep, out)
        external(rep, out)
        adversarial(rep, out)
        latency(rep, out)
    keys = set(b_out) & set(c_out)
    return {k: b_out[k] for k in keys}, {k: c_out[k] for k in keys}, common_n


def tolerance_for(metric: str, gate_latency: bool = False) -> tuple[str, float] | None:
    for pattern, kind, tol in TOLERANCES:
        if fnmatch.fnmatchcase(metric, pattern):
            if metric.startswith("latency.") and not gate_latency:
                return None
            return kind, tol
    return None


class _ComparedMetric(TypedDict):
    """One row of `compare_reports`."""

    metric: str
    baseline: float
    current: float
    delta: float
    tolerance: str | None
    status: str


def compare_reports(baseline: dict, current: dict, gate_latency: bool = False) -> dict:
    """Compare every metric present in both reports against its tolerance."""
    bv = baseline.get("schema_version")
    if bv != SCHEMA_VERSION:
        raise ValueError(f"baseline has schema_version {bv}; this harness writes {SCHEMA_VERSION}")
    b, c, common_n = flatten_metrics(baseline, current)
    rows: list[_ComparedMetric] = []
    regressions: list[_ComparedMetric] = []
    gated = 0
    for name in sorted(b):
        tol = tolerance_for(name, gate_latency)
        row: _ComparedMetric = {"metric": name, "baseline": round(b[name], 4), "current": round(c[name], 4),
               "delta": round(c[name] - b[name], 4), "tolerance": None, "status": "info"}
        if tol is not None:
            kind, t = tol
            gated += 1
            row["tolerance"] = f"-{t:g}" if kind == "drop" else f"+{t:g}" if kind == "rise_abs" else f"+{t * 100:g}%"
            if kind == "drop":
                bad = c[name] < b[name] - t - 1e-9
                better = c[name] > b[name] + 1e-9
            elif kind == "rise_abs":
                bad = c[name] > b[name] + t + 1e-9
                better = c[name] < b[name] - 1e-9
            else:
                bad = c[name] > b[name] * (1 + t)
                better = c[name] < b[name]
            row["status"] = "regressed" if bad else "improved" if better else "ok"
            if bad:
                regressions.append(row)
        rows.append(row)
    # keep the report readable: every aggregate row, and per-language rows only when they moved
    shown = [r for r in rows if ".lang." not in r["metric"] or r["status"] in ("regressed", "improved")]
    return {"compared": gated, "metrics_in_both": len(rows), "udhr_common_languages": common_n,
            "failed": bool(regressions), "regressions": regressions, "rows": shown,
            "tolerances": [{"pattern": p, "kind": k, "tolerance": t} for p, k, t in TOLERANCES]}


# --------------------------------------------------------------------------- command line


def _add_arguments(s: argparse.ArgumentParser) -> None:
    s.add_argument("--quick", action="store_true",
                   help=f"suite 1 on {len(QUICK_LANGS)} fixed languages, protocol 1 only (article and sentence "
                        f"queries); latency on {QUICK_LATENCY_ITEMS} items")
    s.add_argument("--suite", action="append", choices=[*SUITES, "all"],
                   help="suite to run (repeatable; default all)")
    s.add_argument("--out", default="eval-report", help="output directory (default ./eval-report)")
    s.add_argument("--compare", metavar="BASELINE.json",
                   help=f"regression gate: exit {EXIT_REGRESSION} when a metric falls beyond its tolerance")
    s.add_argument("--udhr-dir", help="UDHR translations (default <shared_data>/udhr; env POLICYGRAPH_UDHR_DIR)")
    s.add_argument("--langs", help="comma-separated UDHR translation keys to query with (e.g. fra,rus,cmn_hans)")
    s.add_argument("--runs", help="comma-separated UDHR runs: p1_article,p1_sentence,p2_sentence,p2_sentence_excl")
    s.add_argument("--gate-latency", action="store_true", help="also gate p95 latencies (+100%% tolerance)")
    s.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")


def add_eval_parser(sub) -> argparse.ArgumentParser:
    """Add the `eval` subcommand to the CLI's subparsers (it sets `fn`)."""
    s = sub.add_parser("eval", help="run the eval harness: UDHR cross-lingual, dev set, latency; regression gate",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_arguments(s)
    s.set_defaults(fn=cmd_eval)
    return s


def _split(s: str | None) -> list[str] | None:
    return [x.strip() for x in s.split(",") if x.strip()] if s else None


def cmd_eval(args) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    settings = Settings.from_args(args)
    suites = args.suite or ["all"]
    suites = list(SUITES) if "all" in suites else suites
    report, code = run_eval(settings, suites, quick=args.quick, out_dir=args.out, compare=args.compare,
                            udhr_dir=args.udhr_dir, languages=_split(args.langs), runs=_split(args.runs),
                            charts=not args.no_charts, progress=not args.quiet, gate_latency=args.gate_latency)
    from policygraph.eval.report import summary_lines

    for line in summary_lines(report):
        print(line)
    print(f"report: {Path(args.out) / 'report.md'} (JSON: report.json)")
    if code == EXIT_REGRESSION:
        print(f"REGRESSION against {args.compare}: {len(report['comparison']['regressions'])} metric(s) "
              "beyond tolerance", file=sys.stderr)
    elif code == EXIT_NOTHING_TO_COMPARE:
        print(f"nothing comparable between this run and {args.compare}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m policygraph.eval.harness", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", help="data directory (env POLICYGRAPH_DATA_DIR)")
    p.add_argument("--backend", choices=["networkx", "neo4j"])
    p.add_argument("-v", "--verbose", action="store_true")
    _add_arguments(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return cmd_eval(args)


if __name__ == "__main__":
    sys.exit(main())
