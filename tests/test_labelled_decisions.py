"""Labelled decisions as knowledge: `policygraph examples import`.

Given the bundled corpus, when an operator imports labelled enforcement decisions, then they become
examples of the rules they name (a row naming only a category attaches to the closest rule of it,
and the report says so), a second import of the same file adds nothing, the content classifier is
retrained from them, and a file with any bad row is refused whole with its line, leaving the store as
it was.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import CORPUS, make_engine

from policygraph.errors import IngestError
from policygraph.ingest import pipeline

ROWS = [
    {"text": "Pastillas de éxtasis y MDMA, envío discreto a toda Europa, pedidos por Telegram.", "language": "es",
     "rule_id": "RG-2.1", "label": "violating", "source": "queue-2026-11"},
    {"text": "La policía incautó 40 kilos de cocaína en el puerto de Algeciras, informa la Guardia Civil.",
     "category": "regulated_goods", "label": "non_violating", "source": "queue-2026-11"},
    {"text": "Receta de tortilla de patatas de mi abuela, sin cebolla (lo siento).", "category": "none",
     "label": "non_violating", "source": "queue-2026-11"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory, embedding_cache_dir):
    eng = make_engine(tmp_path_factory.mktemp("decisions"), embedding_cache_dir)
    pipeline.ingest(eng, [CORPUS])
    return eng


def write(path, rows) -> str:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n",
                    encoding="utf-8")
    return str(path)


def test_imported_decisions_become_examples_and_retrain_the_classifier(engine, tmp_path):
    before = len(engine.catalog.examples)
    heads_before = engine.classifier.heads(engine.catalog, engine.index)
    report = pipeline.import_examples(engine, write(tmp_path / "d.jsonl", ROWS))
    assert (report.rows, report.added, report.unchanged) == (3, 3, 0)
    assert report.attached_by_category == 1 and report.benign == 1
    assert len(engine.catalog.examples) == before + 3
    sale = engine.get_rule("RG-2.1")
    assert any(ex["text"] == ROWS[0]["text"] and ex["label"] == "violating" for ex in sale.examples)
    news = next(e for e in engine.catalog.examples.values()
                if engine.graph.get_node(e.node_id).props["text"] == ROWS[1]["text"])
    assert news.rule_id.startswith("RG-") and engine.catalog.latest(news.rule_id).kind == "allowed"
    assert engine.classifier.heads(engine.catalog, engine.index) is not heads_before  # retrained
    again = pipeline.import_examples(engine, write(tmp_path / "d.jsonl", ROWS))
    assert (again.added, again.unchanged) == (0, 3)


def test_a_file_with_one_bad_row_changes_nothing(engine, tmp_path):
    before = dict(engine.catalog.examples)
    bad = [ROWS[0] | {"text": "Otra venta de éxtasis, distinta"}, {"text": "x", "rule_id": "NOPE-9", "label": "violating"}]
    with pytest.raises(IngestError) as e:
        pipeline.import_examples(engine, write(tmp_path / "bad.jsonl", bad))
    assert e.value.line == 2 and "NOPE-9" in e.value.problem
    assert engine.catalog.examples == before


def test_several_files_go_in_one_write_with_a_report_and_an_audit_entry_each(engine, tmp_path):
    """Given two JSONL files beside each other, when they are stored together (as an ingest of a folder
    does: whole files grouped into writes of about `examples_per_write` rows, not one write per file), then
    each gets its own report and audit entry, a row already stored from the first file counts as unchanged
    in the second, and no write journal is left behind."""
    from policygraph import audit
    from policygraph.models import LabelledDecision

    a = [LabelledDecision.model_validate(ROWS[0] | {"text": "Vendo pastillas de MDMA, entrega en mano en Madrid"})]
    b = [a[0], LabelledDecision.model_validate(ROWS[0] | {"text": "MDMA y éxtasis al por mayor, escribe por privado"})]
    entries = len(audit.read(engine.root))
    settings = engine.settings
    engine.settings = settings.model_copy(update={"examples_per_write": 2})  # a.jsonl and b.jsonl: two writes
    try:
        reports = engine.add_decision_files([("a.jsonl", list(enumerate(a, 1))), ("b.jsonl", list(enumerate(b, 1)))])
    finally:
        engine.settings = settings
    assert [(r.file, r.added, r.unchanged) for r in reports] == [("a.jsonl", 1, 0), ("b.jsonl", 1, 1)]
    new = audit.read(engine.root)[entries:]
    assert [(e.action, e.source, e.detail["added"]) for e in new] == [("examples_import", "a.jsonl", 1),
                                                                      ("examples_import", "b.jsonl", 1)]
    assert not (engine.root / "journal.json").exists()


def test_the_cli_imports_and_refuses_with_exit_2(engine, tmp_path):
    env = {**os.environ, "POLICYGRAPH_EMBEDDING_CACHE": str(engine.settings.embedding_cache)}
    cli = [sys.executable, "-m", "policygraph.cli", "--data-dir", str(engine.settings.data_dir), "examples", "import"]
    ok = subprocess.run([*cli, "-q", write(tmp_path / "ok.jsonl", [ROWS[0] | {"text": "Tengo éxtasis para el finde"}])],
                        capture_output=True, text=True, timeout=300, env=env)
    assert ok.returncode == 0, ok.stderr
    assert "1 row, 1 added" in ok.stdout
    bad = subprocess.run([*cli, write(tmp_path / "bad.jsonl", ['{"text": "x", "label": "maybe", "category": "none"}'])],
                         capture_output=True, text=True, timeout=300, env=env)
    assert bad.returncode == 2
    assert "bad.jsonl:1: label" in bad.stderr and "nothing was stored" in bad.stderr
    assert "Traceback" not in bad.stderr
