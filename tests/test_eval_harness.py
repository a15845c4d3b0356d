"""The eval harness: UDHR parsing and metrics (no data needed), the regression gate, and an
end-to-end run of the CI subset of suite 1 compared against the committed baseline.

The end-to-end part runs cold (its own data dir, so no embedding is cached): 12 translations ×
30 article queries + the 30 English pivot articles ≈ 390 texts, about 1-2 minutes on 2 cores. It
skips when the UDHR data is absent (`../shared/data/udhr`, or POLICYGRAPH_UDHR_DIR).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import numpy as np
import pytest

from policygraph.eval import udhr as U
from policygraph.eval.harness import (
    EXIT_NOTHING_TO_COMPARE,
    EXIT_REGRESSION,
    SCHEMA_VERSION,
    add_eval_parser,
    cmd_eval,
    compare_reports,
    main,
    run_eval,
    tolerance_for,
)
from policygraph.settings import PROJECT_ROOT, Settings

BASELINE = PROJECT_ROOT / "policygraph" / "eval" / "baselines" / "quick.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- no data needed


def test_first_sentence_splits_many_scripts():
    assert U.first_sentence(["All human beings are born free. They are endowed with reason."]) == \
        "All human beings are born free."
    # too short a first sentence is extended
    assert U.first_sentence(["Art. one. Everyone has the right to life."]).startswith("Art. one. Everyone")
    assert U.first_sentence(["人人生而自由,在尊严和权利上一律平等。他们赋有理性和良心。"]) == "人人生而自由,在尊严和权利上一律平等。"
    hi = "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है । उन्हें बुद्धि मिली है ।"
    assert U.first_sentence([hi]).endswith("है ।")
    am = "የሰው፡ልጅ፡ሁሉ፡ሲወለድ፡ነጻና፡በክብርና፡በመብትም፡እኩልነት፡ያለው፡ነው።፡የተፈጥሮ፡ማስተዋልና"
    assert U.first_sentence([am]).endswith("ነው።")
    assert U.first_sentence(["no punctuation at all here"]) == "no punctuation at all here"


def test_dominant_script():
    assert U.dominant_script(["Всё хорошо, ok"]) == "Cyrillic"
    assert U.dominant_script(["すべての人間は"]) == "CJK"
    assert U.dominant_script(["ᐃᓄᐃᑦ ᐊᓯᐊᒍᑦ"]) == "Canadian Syllabics"
    assert U.dominant_script(["Ꭰ Ꭱ Ꭲ"]) == "Cherokee"
    assert U.dominant_script(["123 !?"]) == "Unknown"


def test_rank_metrics():
    scores = np.array([[0.9, 0.1, 0.2], [0.3, 0.2, 0.8], [0.5, 0.5, 0.1]])
    ranks = U.rank_of_gold(scores, np.array([0, 0, 1]))
    assert ranks.tolist() == [1, 2, 2]  # a tie counts against the gold
    m = U.metrics_from_ranks(ranks)
    assert m["acc@1"] == pytest.approx(1 / 3, abs=1e-4) and m["recall@5"] == 1.0
    assert m["mrr"] == pytest.approx((1 + 0.5 + 0.5) / 3, abs=1e-4)


def _fake_report(per_lang: dict[str, float], dev_top3: float | None = None) -> dict:
    langs = {k: {"iso639_3": k, "name": k, "bcp47": k, "region": "Europe", "script": "Latin", "stage": 4,
                 "direction": "ltr"} for k in per_lang}
    ranks = {k: np.array([1] * round(v * 30) + [2] * (30 - round(v * 30))) for k, v in per_lang.items()}
    run = U.summarise_run("p1_article", ranks, {k: np.zeros(30, int) for k in per_lang}, langs)
    rep = {"schema_version": SCHEMA_VERSION, "suites": {"udhr": {"runs": {"p1_article": run}, "languages": langs}}}
    if dev_top3 is not None:
        rep["suites"]["devset"] = {"systems": {"hybrid": {"overall": {"n": 10, "top1": 0.5, "top3": dev_top3,
                                                                      "p50_ms": 3.0}}}}
    return rep


def test_gate_compares_common_languages_and_tolerances():
    base = _fake_report({"fra": 0.9, "rus": 0.8, "nav": 0.1}, dev_top3=0.9)
    same = _fake_report({"fra": 0.9, "rus": 0.8}, dev_top3=0.9)
    r = compare_reports(base, same)
    assert not r["failed"] and r["udhr_common_languages"] == {"p1_article": 2}
    # macro over the two shared languages only: nav's 0.1 in the baseline does not count
    row = next(x for x in r["rows"] if x["metric"] == "udhr.p1_article.macro.acc@1")
    assert row["baseline"] == pytest.approx(0.85, abs=1e-4)
    # one language drops 0.2 (beyond its 0.10 tolerance) and the macro by 0.1 (beyond 0.02)
    worse = _fake_report({"fra": 0.7, "rus": 0.8}, dev_top3=0.9)
    r = compare_reports(base, worse)
    assert r["failed"]
    assert {x["metric"] for x in r["regressions"]} >= {"udhr.p1_article.lang.fra.acc@1",
                                                       "udhr.p1_article.macro.acc@1"}
    # within tolerance: a 0.033 drop of one language (1 article of 30) moves the macro by 0.017 < 0.02
    slightly = _fake_report({"fra": 0.8667, "rus": 0.8}, dev_top3=0.88)
    assert not compare_reports(base, slightly)["failed"]
    # dev-set metrics are gated too
    assert compare_reports(base, _fake_report({"fra": 0.9, "rus": 0.8}, dev_top3=0.8))["failed"]
    # latency is only gated on request
    assert tolerance_for("latency.hybrid.total.p95_ms") is None
    assert tolerance_for("latency.hybrid.total.p95_ms", gate_latency=True) == ("rise_rel", 1.0)
    with pytest.raises(ValueError):
        compare_reports({**base, "schema_version": 999}, same)


def test_cli_parser_wiring():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    add_eval_parser(sub)
    args = p.parse_args(["eval", "--quick", "--suite", "udhr", "--out", "x", "--compare", "b.json",
                         "--udhr-dir", "/d", "--langs", "fra,rus"])
    assert args.fn is cmd_eval and args.quick and args.suite == ["udhr"] and args.udhr_dir == "/d"
    assert args.compare == "b.json" and args.langs == "fra,rus"


def test_committed_baseline_is_well_formed():
    base = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert base["schema_version"] == SCHEMA_VERSION
    runs = base["suites"]["udhr"]["runs"]
    assert set(U.CI_LANGS) <= set(runs["p1_article"]["per_language"])
    assert runs["p1_article"]["n_languages"] >= 30


# --------------------------------------------------------------------------- end to end (needs the UDHR)


@pytest.fixture(scope="module")
def udhr_path() -> Path:
    d = U.udhr_dir(Settings())
    if not U.available(d):
        pytest.skip(f"UDHR data not found in {d} (set POLICYGRAPH_UDHR_DIR or POLICYGRAPH_SHARED_DATA)")
    return d


@pytest.fixture(scope="module")
def ci_run(tmp_path_factory, udhr_path):
    data = tmp_path_factory.mktemp("eval-data")
    settings = Settings(data_dir=data)
    out = data / "report"
    report, code = run_eval(settings, ["udhr"], out_dir=out, compare=BASELINE, udhr_dir=udhr_path,
                            languages=list(U.CI_LANGS), runs=["p1_article"], progress=False)
    return report, code, out, settings


def test_ci_subset_passes_the_gate_against_the_committed_baseline(ci_run):
    report, code, _, _ = ci_run
    cmp_ = report["comparison"]
    assert code == 0, cmp_["regressions"]
    assert not cmp_["failed"]
    assert cmp_["udhr_common_languages"] == {"p1_article": len(U.CI_LANGS)}
    assert cmp_["compared"] >= len(U.CI_LANGS) + 3


def test_report_json_schema(ci_run):
    _, _, out, _ = ci_run
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert rep["schema_version"] == SCHEMA_VERSION
    assert {"generated_at", "config", "environment", "suites", "duration_s", "charts", "comparison"} <= set(rep)
    u = rep["suites"]["udhr"]
    assert u["pivot"] == "eng" and u["query_languages"] == len(U.CI_LANGS)
    assert {"languages", "runs", "timings", "excluded", "complete_translations"} <= set(u)
    run = u["runs"]["p1_article"]
    assert {"macro", "per_language", "per_article_acc@1", "by_script", "by_region", "worst",
            "languages_at_least_0.9"} <= set(run)
    assert set(run["per_language"]) == set(U.CI_LANGS)
    for key, m in run["per_language"].items():
        assert m["n"] == 30 and 0 <= m["acc@1"] <= m["recall@5"] <= 1 and 0 < m["mrr"] <= 1
        meta = u["languages"][key]
        assert meta["iso639_3"] and meta["name"] and meta["script"] and meta["region"]
    assert u["languages"]["arb"]["script"] == "Arabic" and u["languages"]["cmn_hans"]["script"] == "CJK"
    assert len(run["per_article_acc@1"]) == 30
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# PolicyGraph eval report")


def test_charts_are_png_files(ci_run):
    report, _, out, _ = ci_run
    assert report["charts"], "no charts written"
    for rel in report["charts"]:
        p = out / rel
        assert p.suffix == ".png" and p.read_bytes()[:8] == PNG_MAGIC and p.stat().st_size > 5000
    assert "charts/udhr_p1_article_languages.png" in report["charts"]


def test_query_translations_are_never_ingested(ci_run):
    from policygraph.engine import Engine

    _, _, _, settings = ci_run
    eng = Engine(U.eval_settings(settings, "udhr-pivot"))
    try:
        keys = eng.index.keys()
        assert len(keys) == 30 and all(k.endswith("|en") for k in keys)
    finally:
        eng.close()


def test_degraded_baseline_fails_the_gate(ci_run, tmp_path):
    """A baseline with better numbers than this run: the CLI exits non-zero (warm cache: seconds)."""
    _, _, _, settings = ci_run
    base = json.loads(BASELINE.read_text(encoding="utf-8"))
    better = copy.deepcopy(base)
    for m in better["suites"]["udhr"]["runs"]["p1_article"]["per_language"].values():
        m["acc@1"] = min(1.0, m["acc@1"] + 0.2)
        m["mrr"] = min(1.0, m["mrr"] + 0.2)
    path = tmp_path / "better.json"
    path.write_text(json.dumps(better), encoding="utf-8")
    code = main(["--data-dir", str(settings.data_dir), "--suite", "udhr", "--langs", ",".join(U.CI_LANGS),
                 "--runs", "p1_article", "--out", str(tmp_path / "out"), "--compare", str(path), "--no-charts",
                 "-q"])
    assert code == EXIT_REGRESSION
    rep = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert rep["comparison"]["failed"] and rep["comparison"]["regressions"]
    # a baseline with nothing in common is an error of its own
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"schema_version": SCHEMA_VERSION, "suites": {}}), encoding="utf-8")
    code = main(["--data-dir", str(settings.data_dir), "--suite", "udhr", "--langs", "fra", "--runs", "p1_article",
                 "--out", str(tmp_path / "out2"), "--compare", str(empty), "--no-charts", "-q"])
    assert code == EXIT_NOTHING_TO_COMPARE
