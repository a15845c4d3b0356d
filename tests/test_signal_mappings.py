"""Upstream labels in the authoring format (`signals:`, `satisfied_by:`): parsed, validated with the file and
line, stored on the document, and a change of mapping is a change a policy author sees in a draft's diff.
No model: the documents are parsed, not embedded."""

from __future__ import annotations

from pathlib import Path

import pytest

from policygraph.errors import IngestError
from policygraph.ingest.loader import load_documents
from policygraph.lifecycle.diff import diff_documents
from policygraph.settings import PROJECT_ROOT

REGULATED = PROJECT_ROOT / "policies" / "regulated-goods.md"
SYNTHETIC = PROJECT_ROOT / "policies" / "synthetic-media.md"


def _doc(path: Path):
    return load_documents([path])[0]


def test_the_bundled_corpus_maps_labels_to_rules_and_terms():
    rg = _doc(REGULATED)
    rules = {r.id: r for r in rg.rules()}
    assert [(m.label, m.min_score, m.applies) for m in rules["RG-1.1"].signals] == [("weapon", 0.8, False)]
    terms = {t.id: t for t in rg.definitions}
    assert [m.label for m in terms["rg-firearm"].signals] == ["weapon"]
    sm = {r.id: r for r in _doc(SYNTHETIC).rules()}
    disclosure = sm["SM-1.1"]
    assert [(m.label, m.min_score, m.applies) for m in disclosure.signals] == [("ai_generated_undisclosed", 0.9, True)]
    assert [m.label for m in disclosure.satisfied_by] == ["ai_disclosed"]


def test_a_changed_mapping_shows_in_the_diff(tmp_path):
    """Given the regulated-goods policy, when an author raises the weapon label's threshold of RG-1.1, the
    draft's diff lists RG-1.1 as changed with the old and the new mapping."""
    new = tmp_path / "regulated-goods.md"
    new.write_text(REGULATED.read_text(encoding="utf-8").replace("signals: {weapon: 0.8}}", "signals: {weapon: 0.9}}"),
                   encoding="utf-8")
    report = diff_documents(_doc(REGULATED), _doc(new))
    assert [c.rule_id for c in report.changes] == ["RG-1.1"]
    fields = {f.field: (f.old, f.new) for f in report.changes[0].metadata}
    assert fields == {"signals": (["weapon ≥ 0.8"], ["weapon ≥ 0.9"])}


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ("signals: {weapon: 2}", "from 0 to 1"),
        ("signals: 5", "must map a label to a minimum score"),
        ("signals: {Weapon!: 0.8}", "lower-case letters"),
        ("signals: {weapon: {min: 0.8, always: true}}", "unknown key"),
        ("satisfied_by: {ai_disclosed: yes}", "from 0 to 1"),
    ],
)
def test_a_malformed_mapping_is_refused_with_file_and_line(tmp_path, mapping, problem):
    bad = tmp_path / "regulated-goods.md"
    text = REGULATED.read_text(encoding="utf-8")
    bad.write_text(text.replace("signals: {weapon: 0.8}}", mapping + "}"), encoding="utf-8")
    line = next(i for i, t in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if mapping in t)
    with pytest.raises(IngestError) as exc:
        load_documents([bad])
    assert exc.value.line == line and problem in str(exc.value), str(exc.value)
    assert "RG-1.1" in str(exc.value)


def test_a_definition_with_an_unknown_key_is_refused(tmp_path):
    bad = tmp_path / "regulated-goods.md"
    bad.write_text(REGULATED.read_text(encoding="utf-8").replace("    signals: {weapon: 0.8}\n", "    signal: {weapon: 0.8}\n", 1),
                   encoding="utf-8")
    with pytest.raises(IngestError, match=r"definition rg-firearm: unknown key\(s\) \['signal'\]"):
        load_documents([bad])
