"""Stories for refused input: given a store that already holds a valid policy, when a bad file is
ingested, then ingest raises an `IngestError` that names the file, the line (where a line makes sense)
and the problem — and nothing already stored changes: not the stats, not the rules and their texts,
not a byte of the graph file, the vector index or the stored documents, and a fresh engine opened on
the same data directory sees exactly what was there before."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_engine

from policygraph.engine import Engine
from policygraph.errors import IngestError
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery
from policygraph.retrieval import Retriever
from policygraph.settings import PROJECT_ROOT

# A small valid policy in the authoring format: a definition, an example, a prohibited rule and an
# allowance that is an exception to it. Small so that it embeds in a moment.
GOOD = """\
---
id: test-widgets
title: Test Widgets
category: regulated_goods
version: 1
effective_from: 2020-01-01
language: en
jurisdictions: [GLOBAL]
definitions:
  - id: tw-widget
    term: contraband widget
    definition: A widget whose sale is banned everywhere.
    aliases:
      en: [contraband widget, hot widget]
examples:
  - rule: TW-1.1
    label: violating
    language: en
    text: "Selling hot widgets cheap, DM me for prices."
    rationale: Offers banned widgets for sale.
---

# Test Widgets

Rules about contraband widgets.

## Sale of widgets

### TW-1.1 Sale of contraband widgets
{kind: prohibited, severity: high, actions: [remove, strike]}

Content that offers contraband widgets for sale, trade or delivery.

### TW-1.2 News about widget seizures
{kind: allowed, severity: low, actions: [label], exception_to: [TW-1.1]}

Reporting about police seizures of contraband widgets, without offering any for sale.
"""

# A second, different valid policy (its own ids): used as the good half of a bad batch.
OTHER = """\
---
id: test-gadgets
title: Test Gadgets
category: fraud_scams_spam
version: 1
effective_from: 2020-01-01
language: en
---

## Gadget scams

### TG-1.1 Fake gadget giveaways
{kind: prohibited, severity: medium, actions: [remove]}

Content that promises free gadgets in exchange for a payment or a login.
"""

QUESTION = "Selling hot widgets, cheap, message me"


def lineno(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line of `text` that contains `needle`."""
    hits = [i for i, ln in enumerate(text.split("\n"), 1) if needle in ln]
    assert len(hits) >= nth, f"{needle!r} not in the document"
    return hits[nth - 1]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def graph_bytes(root: Path) -> bytes:
    """The embedded graph on disk: its snapshot and the log of writes since."""
    return (root / "graph.json").read_bytes() + b"|" + (root / "graph.log").read_bytes()


def answer(eng: Engine) -> list[tuple[str, str, float]]:
    """The answer to one question. The query's embedding comes from the shared embedding cache (the
    retriever's `cache_queries` option): the graph and the vector index answering are the real ones."""
    ctx = Retriever(eng, cache_queries=True).retrieve(ContentQuery(text=QUESTION))
    assert ctx.rules, "the question should find test-widgets' rules"
    return [(h.rule_id, h.verdict, round(h.score, 6)) for h in ctx.rules]


def state(eng: Engine) -> dict:
    """Everything a refused ingest must leave alone, as seen through the engine and on disk."""
    root = eng.root
    files = {p.relative_to(root).as_posix(): sha(p) for p in sorted(root.rglob("*"))
             if p.is_file() and "cache" not in p.relative_to(root).parts}
    return {
        "stats": eng.stats(),
        "rules": {rid: eng.get_rule(rid).model_dump() for rid in sorted(eng.catalog.by_rule_id)},
        "policies": sorted(p.model_dump_json() for p in eng.list_policies()),
        "vectors": {k: eng.index.get_vector(k).tobytes() for k in list(eng.index.keys())},
        "files": files,
    }


def build_store(data_dir: Path, src_dir: Path, cache_dir: Path) -> dict:
    """An engine whose store holds test-widgets; the baseline state and answer to compare against."""
    src = src_dir / "test-widgets.md"
    src.write_text(GOOD, encoding="utf-8")
    eng = make_engine(data_dir, cache_dir)
    report = pipeline.ingest(eng, [src])
    assert report.policies == ["test-widgets"] and report.rules_written == 2
    base = state(eng)
    assert base["stats"]["rules"] == 2 and base["stats"]["vectors"] == 3  # 2 rule texts + 1 example
    assert (eng.root / "graph.json").is_file()
    return {"engine": eng, "data_dir": data_dir, "cache": cache_dir, "state": base,
            "answer": answer(eng), "graph": graph_bytes(eng.root)}


@pytest.fixture(scope="module")
def store(tmp_path_factory, embedding_cache_dir):
    s = build_store(tmp_path_factory.mktemp("ingest-errors-data"), tmp_path_factory.mktemp("good"),
                    embedding_cache_dir)
    yield s
    s["engine"].close()


def refused(store, paths: list[Path]) -> IngestError:
    """Ingest `paths`, expect a refusal, and check that nothing stored changed (live and reopened)."""
    eng: Engine = store["engine"]
    before = state(eng)
    assert before == store["state"], "an earlier test changed the store"
    with pytest.raises(IngestError) as info:
        pipeline.ingest(eng, paths)
    assert state(eng) == before
    assert graph_bytes(eng.root) == store["graph"]
    fresh = make_engine(store["data_dir"], store["cache"])
    try:
        assert state(fresh) == before
        assert answer(fresh) == store["answer"]
    finally:
        fresh.close()
    return info.value


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


# --------------------------------------------------------------------------- validation errors

# (case, how to break GOOD, the line the error must name (a needle in the bad text), words of the problem)
BROKEN = [
    ("unknown-category",
     lambda t: t.replace("category: regulated_goods", "category: widgets_and_gadgets"),
     "category: widgets_and_gadgets", ["unknown category", "widgets_and_gadgets"]),
    ("duplicate-rule-id",
     lambda t: t.replace("### TW-1.2 News about widget seizures", "### TW-1.1 News about widget seizures")
     .replace("exception_to: [TW-1.1]", "refers_to: []"),
     ("### TW-1.1", 2), ["duplicate rule id TW-1.1", f"first defined at line {lineno(GOOD, '### TW-1.1')}"]),
    ("exception-to-missing-rule",
     lambda t: t.replace("exception_to: [TW-1.1]", "exception_to: [TW-9.9]"),
     "### TW-1.2", ["TW-1.2", "exception_to", "TW-9.9", "does not exist"]),
    ("overrides-missing-rule",
     lambda t: t.replace("exception_to: [TW-1.1]", "jurisdictions: [DE], overrides: [XX-1.1]"),
     "### TW-1.2", ["TW-1.2", "overrides", "XX-1.1", "does not exist"]),
    ("invalid-severity",
     lambda t: t.replace("severity: high", "severity: apocalyptic"),
     "severity: apocalyptic", ["TW-1.1", "severity", "apocalyptic"]),
    ("invalid-action",
     lambda t: t.replace("actions: [remove, strike]", "actions: [remove, obliterate]"),
     "obliterate", ["TW-1.1", "action", "obliterate"]),
    ("invalid-kind",
     lambda t: t.replace("kind: prohibited", "kind: forbidden"),
     "kind: forbidden", ["TW-1.1", "kind", "forbidden"]),
    ("malformed-rule-id",
     lambda t: t.replace("### TW-1.2 News", "### tw_12 News"),
     "### tw_12", ["rule id", "tw_12"]),
    ("example-for-missing-rule",
     lambda t: t.replace("  - rule: TW-1.1", "  - rule: TW-7.7"),
     "examples:", ["TW-7.7", "does not define"]),
    ("front-matter-unclosed",
     lambda t: t.replace("---\n\n# Test Widgets", "\n# Test Widgets"),
     "---", ["front matter is not closed"]),
    ("front-matter-invalid-yaml",
     lambda t: t.replace("title: Test Widgets", "title: Test: Widgets: broken"),
     "title: Test: Widgets", ["front matter is not valid YAML", "mapping values are not allowed"]),
    ("front-matter-bad-indentation",
     lambda t: t.replace("    term: contraband widget", "   term: contraband widget"),
     "   term: contraband widget", ["front matter is not valid YAML"]),
    ("front-matter-missing-category",
     lambda t: t.replace("category: regulated_goods\n", ""),
     "---", ["front matter lacks the required key 'category'"]),
    ("attribute-line-invalid-yaml",
     lambda t: t.replace("{kind: allowed, severity: low, actions: [label], exception_to: [TW-1.1]}",
                         "{kind: allowed, severity: low, actions: [label"),
     "{kind: allowed", ["attribute line of rule TW-1.2"]),
    ("bad-date",
     lambda t: t.replace("effective_from: 2020-01-01", "effective_from: the first of May"),
     "effective_from:", ["effective_from", "ISO date"]),
]


@pytest.mark.parametrize("case,mutate,where,words", BROKEN, ids=[b[0] for b in BROKEN])
def test_invalid_document_is_refused_with_file_line_and_problem(store, tmp_path, case, mutate, where, words):
    """Given a store holding test-widgets, when a revised test-widgets.md with one mistake arrives,
    then the error names that file, the line of the mistake and the problem, and the store is as it
    was (the revision would otherwise *replace* the stored policy, so this is the sharpest case)."""
    text = mutate(GOOD)
    assert text != GOOD
    bad = write(tmp_path, "test-widgets.md", text)
    err = refused(store, [bad])
    assert err.path == str(bad)
    needle, nth = where if isinstance(where, tuple) else (where, 1)
    assert err.line == lineno(text, needle, nth), f"{err}"
    for w in words:
        assert w in err.problem, f"{w!r} not in {err.problem!r}"
    assert str(err).startswith(f"{bad}:{err.line}: ")
    assert err.to_dict() == {"file": str(bad), "line": err.line, "problem": err.problem}


def test_line_numbers_are_the_real_ones(tmp_path, store):
    """The same checks with the line numbers written out, so a helper bug cannot hide a wrong line."""
    cases = [
        (GOOD.replace("category: regulated_goods", "category: nonsense"), 4),
        (GOOD.replace("severity: high", "severity: huge"), 30),
        (GOOD.replace("exception_to: [TW-1.1]", "exception_to: [TW-9.9]"), 34),
        (GOOD.replace("title: Test Widgets", "title: a: b"), 3),
    ]
    for text, line in cases:
        err = refused(store, [write(tmp_path, "test-widgets.md", text)])
        assert err.line == line, str(err)


# --------------------------------------------------------------------------- files that are not documents


def test_empty_file(store, tmp_path):
    bad = write(tmp_path, "empty.md", "")
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line is None
    assert "empty" in err.problem


def test_whitespace_only_file(store, tmp_path):
    bad = write(tmp_path, "blank.md", "\n\n   \n\t\n")
    err = refused(store, [bad])
    assert err.path == str(bad) and "empty" in err.problem


def test_binary_garbage_names_the_line_of_the_first_nul(store, tmp_path):
    bad = tmp_path / "garbage.md"
    bad.write_bytes(b"---\nid: x\n" + bytes(range(256)) * 8)
    err = refused(store, [bad])
    assert err.path == str(bad)
    assert err.line == 3  # the first NUL byte is on the third line
    assert "binary" in err.problem and "not a text document" in err.problem


def test_invalid_utf8_names_the_line_of_the_bad_byte(store, tmp_path):
    bad = tmp_path / "latin1.md"
    bad.write_bytes(b"---\nid: x\ntitle: ok\n" + "title: Gefährliche Güter\n".encode("latin-1"))
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line == 4
    assert "not valid UTF-8" in err.problem


def test_fifty_megabyte_file_is_refused_before_reading(store, tmp_path):
    """A sparse 50 MB file costs no disk; the default limit is 10 MB; the message gives both sizes."""
    bad = tmp_path / "huge.md"
    size = 50 * 1024 * 1024
    with open(bad, "wb") as fh:
        fh.write(b"---\n")
        fh.seek(size - 1)
        fh.write(b"\n")
    assert bad.stat().st_size == size
    assert store["engine"].settings.max_file_bytes == 10 * 1024 * 1024
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line is None
    assert "over the limit" in err.problem
    assert f"{size:,}" in err.problem and f"{10 * 1024 * 1024:,}" in err.problem


def test_unsupported_file_type(store, tmp_path):
    bad = write(tmp_path, "policy.docx", GOOD)
    err = refused(store, [bad])
    assert err.path == str(bad) and "unsupported file type" in err.problem


def test_missing_path(store, tmp_path):
    err = refused(store, [tmp_path / "nowhere.md"])
    assert err.path == str(tmp_path / "nowhere.md") and "no such file" in err.problem


# --------------------------------------------------------------------------- structured documents

STRUCTURED_YAML = """\
id: test-structured
title: Structured
category: regulated_goods
version: 1
sections:
  - title: One
    rules:
      - id: TS-1.1
        title: First
        kind: prohibited
        severity: high
        actions: [remove]
        text: Content that sells structured widgets.
"""


def test_structured_yaml_syntax_error(store, tmp_path):
    text = STRUCTURED_YAML.replace("text: Content that sells", "text: Content: that sells")
    bad = write(tmp_path, "structured.yaml", text)
    err = refused(store, [bad])
    assert err.path == str(bad)
    assert err.line == 13 == lineno(text, "text: Content: that")
    assert "not valid YAML" in err.problem


def test_structured_yaml_unclosed_quote_names_the_line_where_it_opens(store, tmp_path):
    text = STRUCTURED_YAML.replace("text: Content that sells", 'text: "Content that sells')
    bad = write(tmp_path, "structured.yaml", text)
    err = refused(store, [bad])
    assert err.path == str(bad) and "not valid YAML" in err.problem
    assert err.line == lineno(text, 'text: "Content') == 13


def test_structured_yaml_invalid_severity_names_the_rule_line(store, tmp_path):
    text = STRUCTURED_YAML.replace("severity: high", "severity: extreme")
    bad = write(tmp_path, "structured.yaml", text)
    err = refused(store, [bad])
    assert err.path == str(bad)
    assert err.line == lineno(text, "id: TS-1.1") == 8
    assert "TS-1.1" in err.problem and "severity" in err.problem and "extreme" in err.problem


def test_structured_yaml_unknown_category(store, tmp_path):
    text = STRUCTURED_YAML.replace("category: regulated_goods", "category: snacks")
    bad = write(tmp_path, "structured.yaml", text)
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line == 3
    assert "unknown category 'snacks'" in err.problem


def test_structured_json_syntax_error(store, tmp_path):
    text = (
        '{\n'
        '  "id": "test-json",\n'
        '  "title": "JSON",\n'
        '  "category": "regulated_goods",\n'
        '  "sections": [\n'
        '    {"title": "One", "rules": [{"id": "TJ-1.1", "text": "x", "kind": "prohibited"},]}\n'
        '  ]\n'
        '}\n'
    )
    bad = write(tmp_path, "structured.json", text)
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line == 6  # the trailing comma
    assert "not valid JSON" in err.problem


# --------------------------------------------------------------------------- batches and translations


def test_batch_with_one_bad_file_stores_nothing(store, tmp_path):
    """Two good new files and one bad one in a folder: the error names the bad file, and neither good
    file's policy is stored (all-or-nothing)."""
    folder = tmp_path / "batch"
    folder.mkdir()
    write(folder, "a-gadgets.md", OTHER)
    write(folder, "b-more.md", OTHER.replace("test-gadgets", "test-more").replace("TG-1.1", "TM-1.1"))
    bad_text = OTHER.replace("test-gadgets", "test-broken").replace("TG-1.1", "TB-1.1").replace(
        "severity: medium", "severity: enormous")
    bad = write(folder, "c-broken.md", bad_text)
    err = refused(store, [folder])
    assert err.path == str(bad)
    assert err.line == lineno(bad_text, "severity: enormous")
    assert "enormous" in err.problem
    eng = store["engine"]
    assert {p.policy_id for p in eng.list_policies()} == {"test-widgets"}
    assert "TG-1.1" not in eng.catalog.by_rule_id and "TM-1.1" not in eng.catalog.by_rule_id


def test_batch_where_the_bad_file_comes_first(store, tmp_path):
    good = write(tmp_path, "z-gadgets.md", OTHER)
    bad = write(tmp_path, "a-empty.md", "")
    err = refused(store, [bad, good])
    assert err.path == str(bad)
    assert "TG-1.1" not in store["engine"].catalog.by_rule_id


def test_batch_with_a_cross_file_duplicate_rule_id(store, tmp_path):
    """Two new files that define the same rule id: refused, naming the second file and the rule line."""
    first = write(tmp_path, "a-gadgets.md", OTHER)
    dup_text = OTHER.replace("test-gadgets", "test-dup")
    dup = write(tmp_path, "b-dup.md", dup_text)
    err = refused(store, [first, dup])
    assert err.path == str(dup)
    assert err.line == lineno(dup_text, "### TG-1.1")
    assert "duplicate rule id TG-1.1" in err.problem and "test-gadgets" in err.problem


def test_translation_of_a_missing_policy(store, tmp_path):
    text = "---\nid: nothing-here\ntranslation_of: nothing-here\nlanguage: de\ntitle: Nichts\n---\n\n" \
           "## Abschnitt\n\n### NH-1.1 Regel\n\nText der Regel.\n"
    bad = write(tmp_path, "nothing-here.de.md", text)
    err = refused(store, [bad])
    assert err.path == str(bad) and err.line == 3
    assert "translation_of 'nothing-here'" in err.problem


def test_translation_naming_a_rule_the_original_lacks(store, tmp_path):
    """A German translation of the stored test-widgets that invents a rule TW-1.3."""
    text = ("---\nid: test-widgets\ntranslation_of: test-widgets\nlanguage: de\ntitle: Test-Widgets\n---\n\n"
            "## Verkauf von Widgets\n\n"
            "### TW-1.1 Verkauf\n\nInhalte, die Schmuggel-Widgets anbieten.\n\n"
            "### TW-1.2 Nachrichten\n\nBerichte über Beschlagnahmungen.\n\n"
            "### TW-1.3 Erfunden\n\nEine Regel, die das Original nicht kennt.\n")
    bad = write(tmp_path, "test-widgets.de.md", text)
    err = refused(store, [bad])
    assert err.path == str(bad)
    assert err.line == lineno(text, "### TW-1.3")
    assert "TW-1.3" in err.problem and "not in the original" in err.problem


def test_rule_id_already_stored_under_another_policy(tmp_path, embedding_cache_dir):
    """docs/authoring-format.md: rule ids are unique across the whole corpus and ingest refuses a file
    whose rule id is used twice. A new policy that reuses TW-1.1 (stored in test-widgets) must be
    refused, and TW-1.1 must still belong to test-widgets. (Its own store: the bug overwrites it.)"""
    own = build_store(tmp_path / "data", tmp_path, embedding_cache_dir)
    try:
        text = OTHER.replace("TG-1.1 Fake gadget giveaways", "TW-1.1 Fake gadget giveaways")
        bad = write(tmp_path, "gadgets.md", text)
        err = refused(own, [bad])
        assert err.path == str(bad) and err.line == lineno(text, "### TW-1.1")
        assert "TW-1.1" in err.problem
    finally:
        own["engine"].close()


# --------------------------------------------------------------------------- the CLI


def test_cli_ingest_of_a_bad_file_exits_non_zero_with_file_and_line(store, tmp_path):
    """`policygraph --data-dir D ingest BAD`: exit status 2, `error: BAD:LINE: problem` on stderr,
    nothing on stdout, and the store untouched."""
    text = GOOD.replace("category: regulated_goods", "category: widgets_and_gadgets")
    bad = write(tmp_path, "test-widgets.md", text)
    before = graph_bytes(store["engine"].root)
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(store["data_dir"]), "ingest", "-q", str(bad)],
        check=False, capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 2, proc.stderr
    assert f"{bad}:4: unknown category 'widgets_and_gadgets'" in proc.stderr
    assert "nothing was stored" in proc.stderr
    assert proc.stdout == ""
    assert graph_bytes(store["engine"].root) == before
    fresh = make_engine(store["data_dir"], store["cache"])
    try:
        assert state(fresh)["rules"] == store["state"]["rules"]
        assert state(fresh)["stats"] == store["state"]["stats"]
    finally:
        fresh.close()
