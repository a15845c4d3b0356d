"""Stories from the edges a user meets in the first hour (issue 13): history that a publish cannot
rewrite, publishes from two processes that cannot lose one, another policy's exceptions that survive a
revision of the policy they point at, and bad input answered with one clear line, never a traceback.

Engines here use the small bundled MiniLM model (fast); the bundled corpus files are copied into a
temporary folder the author edits, as in tests/test_lifecycle.py.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS

from policygraph.cli import main as cli_main
from policygraph.engine import Engine
from policygraph.errors import LifecycleError
from policygraph.graph_model import rule_node_id
from policygraph.ingest import pipeline
from policygraph.lifecycle import Lifecycle, open_engine
from policygraph.models import ContentQuery
from policygraph.retrieval import Retriever, Weights
from policygraph.settings import PROJECT_ROOT, Settings

EMBEDDER = "all-MiniLM-L6-v2-bundled"
TODAY = dt.date.today()


def open_dir(data_dir: Path, cache_dir: Path) -> Engine:
    return open_engine(Settings(data_dir=data_dir, embedding_cache=cache_dir / "embeddings.sqlite", embedder=EMBEDDER))


@pytest.fixture
def authored(tmp_path, embedding_cache_dir) -> tuple[Engine, Lifecycle, Path]:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(CORPUS / "regulated-goods.md", src / "regulated-goods.md")
    eng = open_dir(tmp_path / "data", embedding_cache_dir)
    pipeline.ingest(eng, [src])
    return eng, Lifecycle(eng), src


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def in_force(eng: Engine, rule_id: str, at: dt.date) -> int | None:
    e = eng.catalog.current(rule_id, at)
    return e.version if e else None


# --------------------------------------------------------------------------- history cannot be rewritten


def test_publishing_an_edited_copy_never_changes_what_a_past_date_answers(authored):
    """Given version 5 in force since 2026-01-01, when an author copies the file (which still says
    `effective_from: 2026-01-01`), edits one rule, drafts and publishes it as the docs show, then the new
    version is in force from the publish day: yesterday still answers with version 5, and the history
    shows version 5 superseded today, not "never in force"."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    assert "effective_from: 2026-01-01" in f.read_text(encoding="utf-8")
    yesterday = TODAY - dt.timedelta(days=1)
    assert in_force(eng, "RG-2.1", yesterday) == 5
    edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    [(draft, diff)] = lc.draft([f])
    assert any("was not used" in w for w in diff.warnings), diff.warnings
    rep = lc.publish(draft.id)
    assert rep.version == 6 and rep.effective_from == TODAY
    assert in_force(eng, "RG-2.1", yesterday) == 5 and in_force(eng, "RG-2.1", TODAY) == 6
    states = {v.version: v.state for v in lc.history("regulated-goods").versions}
    assert states == {5: "superseded", 6: "in_force"}


def test_a_start_date_in_the_past_or_an_end_before_the_start_is_refused(authored):
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    edit(f, "is removed too.", "is removed too; so is kratom.")
    with pytest.raises(LifecycleError, match="never changes what a past date answers"):
        lc.draft([f], effective_from=TODAY - dt.timedelta(days=30))
    with pytest.raises(LifecycleError, match="is not after"):
        lc.draft([f], effective_from=TODAY + dt.timedelta(days=30), effective_to=TODAY + dt.timedelta(days=10))
    assert lc.drafts() == [] and in_force(eng, "RG-2.1", TODAY) == 5


# --------------------------------------------------------------------------- two processes, one publish

RACER = """
import sys, time
from pathlib import Path
from policygraph.engine import Engine
from policygraph.errors import LifecycleError
from policygraph.lifecycle import Lifecycle
from policygraph.settings import Settings
data_dir, cache, embedder, draft_id, go = sys.argv[1:6]
lc = Lifecycle(Engine(Settings(data_dir=data_dir, embedding_cache=cache, embedder=embedder)))
print("ready", flush=True)
while not Path(go).exists():
    time.sleep(0.005)
try:
    rep = lc.publish(draft_id, author=draft_id)
    print("published", rep.version, flush=True)
except LifecycleError as exc:
    print("refused", exc, flush=True)
"""


def _race(eng: Engine, cache: Path, draft_ids: list[str], go: Path) -> list[str]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(eng.settings.data_dir), str(cache), EMBEDDER, d,
                               str(go)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for d in draft_ids]
    for p in procs:  # both engines open, then both publish at the same moment
        assert p.stdout is not None and p.stdout.readline().strip() == "ready", p.stderr.read() if p.stderr else ""
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-3000:]
        outs.append(out.strip())
    return outs


def test_two_processes_publishing_at_once_never_lose_a_publish(authored, embedding_cache_dir, tmp_path):
    """Given two authors' drafts made against the same version, when two processes publish them at the
    same moment (twice over, to make the race likely), then each time exactly one is published and the
    other is refused with "draft it again" — no edit is silently overwritten — and the audit log says
    nothing was interrupted."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    cache = embedding_cache_dir / "embeddings.sqlite"
    for round_ in range(2):
        base = eng.stored_documents()["regulated-goods"].version
        edit(f, "is removed too.", f"is removed too (alice, round {round_}).")
        [(a, _)] = lc.draft([f], author="alice")
        edit(f, f"is removed too (alice, round {round_}).", f"is removed too (bob, round {round_}).")
        [(b, _)] = lc.draft([f], author="bob")
        edit(f, f"is removed too (bob, round {round_}).", "is removed too.")
        assert a.base_version == b.base_version == base
        outs = _race(eng, cache, [a.id, b.id], tmp_path / f"go-{round_}")
        assert sorted(o.split()[0] for o in outs) == ["published", "refused"], outs
        assert any("draft it again" in o for o in outs), outs
        fresh = open_dir(eng.settings.data_dir, embedding_cache_dir)
        assert fresh.get_rule("RG-2.1").version == base + 1
        winner = a if outs[0].startswith("published") else b
        assert ("alice" if winner is a else "bob") in fresh.get_rule("RG-2.1").text
        fresh.close()
        eng = open_dir(eng.settings.data_dir, embedding_cache_dir)
        lc = Lifecycle(eng)
    actions = [e.action for e in lc.audit_log("regulated-goods")]
    assert actions.count("publish") == 2 and "publish_interrupted" not in actions, actions
    assert [v.version for v in lc.history("regulated-goods").versions] == [5, 6, 7]


# --------------------------------------------------------------------------- edges across policies

WIDGETS = """\
---
id: widgets
title: Widgets
category: regulated_goods
version: {version}
effective_from: 2020-01-01
language: en
jurisdictions: [GLOBAL]
---
# Widgets

## Sale

### WG-1.1 Sale of contraband widgets
{{kind: prohibited, severity: high, actions: [remove]}}

Content that offers contraband widgets for sale, trade or delivery{tail}.
"""

WIDGET_NEWS = """\
---
id: widget-news
title: Widget news
category: regulated_goods
version: 1
effective_from: 2020-01-01
language: en
jurisdictions: [GLOBAL]
---
# Widget news

## Reporting

### WN-1.1 News about widget seizures
{kind: allowed, severity: low, actions: [none], exception_to: [WG-1.1], refers_to: [WG-1.1]}

News reports about police seizures of contraband widgets that offer none for sale.

### WN-2.1 Widget sales in Germany
{kind: prohibited, severity: critical, actions: [remove, escalate], jurisdictions: [DE], overrides: [WG-1.1]}

In Germany, any offer of contraband widgets is also reported to the authorities.
"""


def test_another_policys_exception_override_and_reference_survive_a_revision_of_their_target(
        tmp_path, embedding_cache_dir):
    """Given policy widget-news with an exception to, a German override of and a reference to rule WG-1.1
    of policy widgets, when widgets is revised (version 2), then the new WG-1.1 still has that
    exception, that override and that reference: a revision of one policy never drops another's."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "widgets.md").write_text(WIDGETS.format(version=1, tail=""), encoding="utf-8")
    (src / "widget-news.md").write_text(WIDGET_NEWS, encoding="utf-8")
    eng = open_dir(tmp_path / "data", embedding_cache_dir)
    pipeline.ingest(eng, [src])

    def relations(version: int) -> tuple[list[str], list[str], list[str]]:
        view = eng.get_rule("WG-1.1")
        assert view.version == version
        refs = eng.graph.neighbors([rule_node_id("WG-1.1", version)], ["REFERS_TO"], "in")
        return view.exceptions, view.overridden_by, sorted(o.props["rule_id"] for _, o in refs)

    assert relations(1) == (["WN-1.1"], ["WN-2.1"], ["WN-1.1"])
    (src / "widgets.md").write_text(WIDGETS.format(version=2, tail=", in any quantity"), encoding="utf-8")
    pipeline.ingest(eng, [src / "widgets.md"])
    assert relations(2) == (["WN-1.1"], ["WN-2.1"], ["WN-1.1"])
    # the answer checks the exception for content it covers
    minilm = Weights(apply=0.5, possible=0.4, exception_floor=0.4)  # thresholds are calibrated for e5
    ctx = Retriever(eng, minilm).retrieve(ContentQuery(text="Contraband widgets for sale, DM me for the price",
                                                       top_k=5))
    [hit] = [h for h in ctx.rules if h.rule_id == "WG-1.1"]
    assert hit.version == 2 and "WN-1.1" in [x.rule_id for x in hit.exceptions_checked]
    eng.close()


# --------------------------------------------------------------------------- clean errors


@pytest.mark.parametrize("argv, problem", [
    (["ask", "test", "--at", "2025-13-45"], "argument --at: invalid date '2025-13-45'"),
    (["ask", "test", "--at", "yesterday"], "argument --at: invalid date 'yesterday'"),
    (["ask", ""], "argument content: the content is empty"),
    (["ask", "test", "--jurisdiction", "XYZ"], "argument --jurisdiction: unknown jurisdiction 'XYZ'"),
    (["ask", "test", "--lang", "klingon"], "argument --lang: unknown language 'klingon'"),
    (["ask", "test", "--top-k", "0"], "argument --top-k: invalid number '0'"),
    (["show", "VE-1.1", "--at", "2026-02-30"], "argument --at: invalid date '2026-02-30'"),
    (["publish", "x", "--author"], "expected one argument"),
])
def test_bad_command_line_input_is_one_clear_line_and_exit_2(argv, problem, capsys, tmp_path):
    """The CLI refuses what the HTTP API refuses, with the option and the problem, and no traceback."""
    with pytest.raises(SystemExit) as exit_:
        cli_main(["--data-dir", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and problem in err and "Traceback" not in err, err


def test_an_unknown_rule_id_in_lower_case_gets_a_hint(corpus_engine, capsys):
    code = cli_main(["--data-dir", str(corpus_engine.settings.data_dir), "show", "ve-1.1"])
    err = capsys.readouterr().err
    assert code == 3 and "did you mean VE-1.1?" in err, err


def test_a_date_before_any_policy_was_in_force_says_so(corpus_engine):
    """Not "no rule applies": nothing was in force that day, whatever the content."""
    ctx = Retriever(corpus_engine).retrieve(ContentQuery(text="Join the brothers who carried out the attack",
                                                         at=dt.date(2020, 6, 1)))
    assert not ctx.rules and ctx.rationale.startswith("No policy was in force on 2020-06-01"), ctx.rationale


def test_reading_content_from_stdin(corpus_engine, monkeypatch, capsys):
    """`policygraph ask -` reads the content from standard input (a transcript piped in)."""
    import io
    import json

    text = "Bet on tonight's IPL match on our app, deposit now and win big"
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = cli_main(["--data-dir", str(corpus_engine.settings.data_dir), "ask", "-", "--jurisdiction", "IN",
                     "--json"])
    ctx = json.loads(capsys.readouterr().out)
    assert code == 0 and ctx["query"]["jurisdiction"] == "IN" and ctx["rules"], ctx["rationale"]


# --------------------------------------------------------------------------- every write is journaled

INGEST = """
import sys
from policygraph.ingest import pipeline
from policygraph.lifecycle import open_engine
from policygraph.settings import Settings
eng = open_engine(Settings(data_dir=sys.argv[1], embedding_cache=sys.argv[2], embedder=sys.argv[3]))
pipeline.ingest(eng, [sys.argv[4]])
print("ingested")
"""


@pytest.mark.parametrize("point, served", [("before_graph_write", 5), ("after_graph_write", 6),
                                           ("after_index_save", 6)])
def test_an_ingest_killed_at_any_crash_point_leaves_one_whole_version(authored, embedding_cache_dir, point, served):
    """Given version 5 stored, when a plain ingest of version 6 (what `POST /v1/policies` runs) is killed
    before the graph commit, right after it, or after the index save, then a restart serves one whole
    version — graph, vectors and stored document agree — and the history and the audit log say the same:
    no version served without its stored document, no stored document nobody can be served."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    edit(f, "version: 5", "version: 6")
    edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    eng.close()
    env = dict(os.environ, POLICYGRAPH_TEST_CRASH_AT=point, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.run([sys.executable, "-c", INGEST, str(eng.settings.data_dir),
                           str(embedding_cache_dir / "embeddings.sqlite"), EMBEDDER, str(f)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 137 and "ingested" not in proc.stdout, proc.stderr[-2000:]

    fresh = open_dir(eng.settings.data_dir, embedding_cache_dir)
    lc2 = Lifecycle(fresh)
    assert fresh.get_rule("RG-2.1").version == served
    assert ("vape" in fresh.get_rule("RG-2.1").text) == (served == 6)
    assert fresh.stored_documents()["regulated-goods"].version == served
    assert [v.version for v in lc2.history("regulated-goods").versions] == list(range(5, served + 1))
    assert set(fresh.index.keys()) == set(fresh.expected_vectors())
    assert not (fresh.root / "journal.json").exists()
    last = lc2.audit_log("regulated-goods")[-1]
    assert last.version == served and (last.detail.get("recovered") is True) == (served == 6)
    fresh.close()


def test_a_document_without_front_matter_says_its_structure_was_guessed(tmp_path, embedding_cache_dir, capsys,
                                                                          monkeypatch):
    """Given a Markdown file with no PolicyGraph front matter (a README, a policy from elsewhere), when it is
    ingested, the report and the CLI say that its policy and rules were guessed from its headings."""
    doc = tmp_path / "house-rules.md"
    doc.write_text("# House rules\n\n## Selling\n\nDo not sell weapons or drugs in the group chat.\n\n"
                   "## Respect\n\nNo insults about anyone's religion or origin.\n", encoding="utf-8")
    monkeypatch.setenv("POLICYGRAPH_EMBEDDER", EMBEDDER)
    monkeypatch.setenv("POLICYGRAPH_EMBEDDING_CACHE", str(embedding_cache_dir / "embeddings.sqlite"))
    assert cli_main(["--data-dir", str(tmp_path / "data"), "ingest", "-q", str(doc)]) == 0
    err = capsys.readouterr().err
    assert f"note: {doc}: no PolicyGraph front matter, so its structure was guessed" in err
    eng = open_dir(tmp_path / "data", embedding_cache_dir)
    rep = pipeline.ingest(eng, [doc])  # unchanged: a no-op, still named
    assert rep.noop and rep.notices and "rules from its headings" in rep.notices[0]


EXAMPLES = """
import sys
from policygraph.ingest import pipeline
from policygraph.lifecycle import open_engine
from policygraph.settings import Settings
eng = open_engine(Settings(data_dir=sys.argv[1], embedding_cache=sys.argv[2], embedder=sys.argv[3]))
pipeline.import_examples(eng, sys.argv[4])
print("imported")
"""


@pytest.mark.parametrize("point, stored", [("before_graph_write", False), ("after_graph_write", True),
                                           ("after_index_save", True)])
def test_an_examples_import_killed_at_any_crash_point_stores_all_rows_or_none(authored, embedding_cache_dir,
                                                                             tmp_path, point, stored):
    """Given labelled decisions being imported, when the process is killed before the graph commit, right
    after it, or after the index save, then a restart holds all of the file's rows or none, every example
    has its vector, and the audit log records the import exactly when it was stored."""
    eng, _lc, _src = authored
    rows = tmp_path / "decisions.jsonl"
    rows.write_text("\n".join(
        f'{{"text": "selling {w} pistols, cash only, DM me", "rule_id": "RG-1.1", "label": "violating"}}'
        for w in ("cheap", "unregistered", "untraceable")) + "\n", encoding="utf-8")
    before = len(eng.catalog.examples)
    eng.close()
    env = dict(os.environ, POLICYGRAPH_TEST_CRASH_AT=point, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.run([sys.executable, "-c", EXAMPLES, str(eng.settings.data_dir),
                           str(embedding_cache_dir / "embeddings.sqlite"), EMBEDDER, str(rows)],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 137 and "imported" not in proc.stdout, proc.stderr[-2000:]

    fresh = open_dir(eng.settings.data_dir, embedding_cache_dir)
    assert len(fresh.catalog.examples) == before + (3 if stored else 0)
    assert set(fresh.index.keys()) == set(fresh.expected_vectors())
    assert not (fresh.root / "journal.json").exists()
    imports = [e for e in Lifecycle(fresh).audit_log() if e.action == "examples_import"]
    assert [(e.source, e.detail.get("added"), e.detail.get("recovered")) for e in imports] == \
        ([(str(rows), 3, True)] if stored else [])
    fresh.close()


ROLLBACK = """
import sys
from policygraph.lifecycle import Lifecycle, open_engine
from policygraph.settings import Settings
eng = open_engine(Settings(data_dir=sys.argv[1], embedding_cache=sys.argv[2], embedder=sys.argv[3]))
lc = Lifecycle(eng)
draft = lc.rollback_draft("regulated-goods", int(sys.argv[4]), author="crashy")
lc.publish(draft.id, author="crashy")
print("rolled back")
"""


@pytest.mark.parametrize("point, serves_rollback", [("before_graph_write", False), ("after_graph_write", True)])
def test_a_rollback_killed_mid_publish_serves_one_whole_version(authored, embedding_cache_dir, point, serves_rollback):
    """Given v5 and a published v6, when a rollback to v5 is killed before or after its commit, a restart
    serves v6 (nothing happened) or v7 with v5's text (the rollback, completed), history and audit agreeing."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    (draft, _), = lc.draft([f])
    assert draft is not None
    lc.publish(draft.id)
    assert "vape" in eng.get_rule("RG-2.1").text
    eng.close()
    env = dict(os.environ, POLICYGRAPH_TEST_CRASH_AT=point, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.run([sys.executable, "-c", ROLLBACK, str(eng.settings.data_dir),
                           str(embedding_cache_dir / "embeddings.sqlite"), EMBEDDER, "5"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 137 and "rolled back" not in proc.stdout, proc.stderr[-2000:]

    fresh = open_dir(eng.settings.data_dir, embedding_cache_dir)
    rule = fresh.get_rule("RG-2.1")
    assert (rule.version, "vape" in rule.text) == ((7, False) if serves_rollback else (6, True))
    versions = [v.version for v in Lifecycle(fresh).history("regulated-goods").versions]
    assert versions == ([5, 6, 7] if serves_rollback else [5, 6])
    assert set(fresh.index.keys()) == set(fresh.expected_vectors())
    fresh.close()
