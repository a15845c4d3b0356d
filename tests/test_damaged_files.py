"""Damaged files in a data dir (issue 13, item 12): a crash, a full disk or a hand edit leaves a file torn or
garbled. Derived files are rebuilt; a damaged stored file is named (file and problem) while everything
else is still served; nothing reads a torn line into the next entry.

Engines use the small bundled MiniLM model (fast), on one policy of the bundled corpus.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS

from policygraph import audit
from policygraph.cli import main as cli_main
from policygraph.errors import StoreError
from policygraph.ingest import pipeline
from policygraph.lifecycle import Lifecycle, open_engine
from policygraph.models import AuditEntry, ContentQuery
from policygraph.retrieval import Retriever
from policygraph.settings import Settings

EMBEDDER = "all-MiniLM-L6-v2-bundled"


def settings(data_dir: Path, cache: Path) -> Settings:
    return Settings(data_dir=data_dir, embedding_cache=cache, embedder=EMBEDDER)


@pytest.fixture
def data(tmp_path, embedding_cache_dir) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(CORPUS / "regulated-goods.md", src / "regulated-goods.md")
    eng = open_engine(settings(tmp_path / "data", embedding_cache_dir / "embeddings.sqlite"))
    pipeline.ingest(eng, [src])
    eng.close()
    return tmp_path / "data"


def test_a_garbage_generation_stamp_is_rewritten_not_fatal(data, embedding_cache_dir):
    """Given random bytes in the data dir's `generation` stamp, an engine opens, answers, and a reload
    over the garbage works (the stamp only tells engines to reload)."""
    stamp = next(data.rglob("generation"))
    stamp.write_bytes(b"\xff\xfe\x00garbage\x80")
    eng = open_engine(settings(data, embedding_cache_dir / "embeddings.sqlite"))
    assert {e.rule_id for e in eng.catalog.rules.values()} >= {"RG-1.1", "RG-2.1"}
    stamp.write_bytes(b"\x00\x01 other garbage")  # "another process wrote": the engine reloads over it
    assert eng.stale() and eng.reload()
    assert eng.catalog.rules and not eng.stale()
    Retriever(eng).retrieve(ContentQuery(text="Selling unregistered pistols and ammo, cash only"))


def test_a_garbage_embedding_cache_is_moved_aside_and_rebuilt(data, tmp_path, caplog):
    cache = tmp_path / "cache" / "embeddings.sqlite"
    cache.parent.mkdir()
    cache.write_bytes(b"this is not a database" * 100)
    eng = open_engine(settings(data, cache))
    Retriever(eng).retrieve(ContentQuery(text="Selling unregistered pistols and ammo, cash only"))
    assert eng.catalog.rules
    assert list(cache.parent.glob("embeddings.sqlite.damaged-*")), "the damaged cache was kept aside for a look"
    assert "unreadable" in caplog.text


def test_a_truncated_draft_is_named_and_the_other_drafts_are_listed(data, embedding_cache_dir, tmp_path, capsys,
                                                                   monkeypatch):
    eng = open_engine(settings(data, embedding_cache_dir / "embeddings.sqlite"))
    lc = Lifecycle(eng)
    src = tmp_path / "src" / "regulated-goods.md"
    for word in ("firearms", "weapons"):
        src.write_text(src.read_text(encoding="utf-8").replace("ammunition", f"ammunition ({word})", 1), encoding="utf-8")
        lc.draft([src])
    drafts, damaged = lc.scan_drafts()
    assert len(drafts) == 2 and not damaged
    torn = lc.drafts_dir / f"{drafts[0].id}.json"
    torn.write_bytes(torn.read_bytes()[:200])
    drafts, damaged = lc.scan_drafts()
    assert len(drafts) == 1 and len(damaged) == 1
    assert str(torn) in damaged[0] and "not valid JSON" in damaged[0]
    eng.close()
    monkeypatch.setenv("POLICYGRAPH_EMBEDDER", EMBEDDER)
    monkeypatch.setenv("POLICYGRAPH_EMBEDDING_CACHE", str(embedding_cache_dir / "embeddings.sqlite"))
    assert cli_main(["--data-dir", str(data), "drafts"]) == 0
    out = capsys.readouterr()
    assert drafts[0].id in out.out and f"warning: {torn}" in out.err


def test_a_truncated_stored_version_is_named_in_the_history(data, embedding_cache_dir, tmp_path):
    eng = open_engine(settings(data, embedding_cache_dir / "embeddings.sqlite"))
    lc = Lifecycle(eng)
    src = tmp_path / "src" / "regulated-goods.md"
    src.write_text(src.read_text(encoding="utf-8").replace("ammunition", "ammunition and parts", 1), encoding="utf-8")
    (draft, _diff), = lc.draft([src])
    assert draft is not None
    lc.publish(draft.id)
    versions = sorted((eng.docs_dir / "regulated-goods").glob("v*.json"))
    assert len(versions) == 2
    versions[0].write_text('{"id": "regulated-goods", "title": ', encoding="utf-8")
    h = lc.history("regulated-goods")
    assert [v.version for v in h.versions] == [int(versions[1].stem[1:])]
    assert len(h.damaged) == 1 and str(versions[0]) in h.damaged[0]
    with pytest.raises(StoreError, match="is damaged"):
        lc.versions("regulated-goods")  # what needs every version says which file is damaged


def test_a_torn_last_audit_line_does_not_swallow_the_next_entry(tmp_path):
    root = tmp_path
    first = AuditEntry(ts=audit.now(), actor="ana", action="ingest", policy_id="p", version=1)
    audit.append(root, first)
    with open(audit.audit_path(root), "a", encoding="utf-8") as fh:
        fh.write('{"ts": "2026-11-30T10:00:00+00:00", "actor": "bo')  # a crash mid-append
    second = AuditEntry(ts=audit.now(), actor="cy", action="publish", policy_id="p", version=2,
                        detail={"at": dt.date.today().isoformat()})
    audit.append(root, second)
    assert [e.actor for e in audit.read(root)] == ["ana", "cy"]


def test_a_missing_graph_file_is_damage_and_nothing_is_wiped(data, embedding_cache_dir, capsys):
    """Given a data dir whose graph.json is gone but whose stored documents and vectors are there, opening it
    is refused with the file named and the way back, and the vectors are left as they were (starting on an
    empty graph would "repair" them all away and then answer that no policy is stored)."""
    (graph_file,) = data.rglob("graph.json")
    graph_file.unlink()
    vectors = {p: p.read_bytes() for p in data.rglob("vectors/*/*/*")}  # vectors/<embedder>/<partition>/<file>
    assert vectors
    with pytest.raises(StoreError, match=r"graph\.json is missing.*stored policy documents.*nothing was changed"):
        open_engine(settings(data, embedding_cache_dir / "embeddings.sqlite"))
    assert cli_main(["--data-dir", str(data), "stats"]) == 1
    err = capsys.readouterr().err
    assert "graph.json is missing" in err and "Traceback" not in err
    assert {p: p.read_bytes() for p in data.rglob("vectors/*/*/*")} == vectors
    assert not graph_file.exists()
