"""The quality gate: CI fails when answer quality falls, not only when code breaks.

Given the bundled corpus and its labelled decisions, the dev set's report half, the multimodal items'
report half (structured content, policygraph/eval/multimodal.py) and the quick subset
of the external report halves (Multilingual HateCheck, MultiJail: 40 cases per language, 40 prompts)
are answered by the agent and compared with the committed `policygraph/eval/baselines/quality.json` through the
harness's regression gate (tolerances in `policygraph/eval/harness.py:TOLERANCES`, e.g. top-3 may not drop by
more than 0.03, benign `applies` may not rise by more than 0.03). The external part skips, saying
why, when `../shared/data/external-eval` is absent; CI always has it.

To move the baseline after a deliberate change, regenerate it with the command in
`policygraph/eval/baselines/README.md` and say why in the commit.
"""

from __future__ import annotations

import json

import pytest

from policygraph.eval.external import missing_reason
from policygraph.eval.harness import compare_reports, run_eval
from policygraph.settings import PROJECT_ROOT

BASELINE = PROJECT_ROOT / "policygraph" / "eval" / "baselines" / "quality.json"


@pytest.fixture(scope="module")
def quality_report(corpus_engine, tmp_path_factory):
    reason = missing_reason(corpus_engine.settings.shared_data)
    if reason:
        pytest.skip(f"the quality gate needs the external eval data: {reason}")
    report, _ = run_eval(corpus_engine.settings, ["devset", "multimodal", "external"], quick=True,
                         out_dir=tmp_path_factory.mktemp("quality"), charts=False, progress=False)
    return report


def test_answer_quality_holds_against_the_committed_baseline(quality_report):
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    cmp_ = compare_reports(baseline, quality_report)
    external = {r["metric"] for r in cmp_["rows"] if r["metric"].startswith("external.")}
    assert {"external.hatecheck.top3", "external.hatecheck.benign_applies", "external.multijail.top3",
            "external.multijail.top_category_equals_english"} <= external
    assert any(r["metric"] == "devset.agent.top3" for r in cmp_["rows"])
    assert {"multimodal.structured.top3", "multimodal.structured.overall_correct"} <= {r["metric"] for r in cmp_["rows"]}
    assert not cmp_["failed"], "\n".join(f"{r['metric']}: {r['baseline']} -> {r['current']} (tolerance "
                                         f"{r['tolerance']})" for r in cmp_["regressions"])


def test_the_gate_fails_when_quality_falls(quality_report):
    """The gate is not decorative: this run, with 5 points less HateCheck top-3 or 5 points more benign
    content given `applies`, fails against itself."""
    for metric, delta in (("top3", -0.05), ("benign_applies", +0.05)):
        worse = json.loads(json.dumps(quality_report))
        worse["suites"]["external"]["datasets"]["hatecheck"]["overall"][metric] += delta
        cmp_ = compare_reports(quality_report, worse)
        assert [r["metric"] for r in cmp_["regressions"]] == [f"external.hatecheck.{metric}"]
