"""Stories for persistence: what one engine stored, a fresh engine on the same data directory finds —
the same answers (rule ids, verdicts, scores), the same stats, the same rule texts in every language —
and a data directory whose vector index was lost is repaired from the graph on start. Re-ingesting
unchanged files is a no-op. The CLI reads the same store as the library."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, make_engine

from policygraph.engine import Engine
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery, Decision, RuleView
from policygraph.retrieval import Retriever
from policygraph.settings import PROJECT_ROOT

FILES = [
    "suicide-self-harm.md",
    "suicide-self-harm.ar.md",  # translations: Arabic and Spanish text for the same rule ids
    "suicide-self-harm.es.md",
    "regulated-goods.md",
]

QUESTIONS = [
    ContentQuery(text="I can't do this anymore. Tonight I'm going to end my life, I already have the pills."),
    ContentQuery(text="Vendo pastillas de éxtasis, envío discreto por mensaje privado"),
    ContentQuery(text="لم أعد أحتمل هذه الحياة، سأنهي حياتي الليلة"),
    ContentQuery(text="Bet on tonight's IPL match on our app, deposit now and win big", jurisdiction="IN"),
]


def answers(eng: Engine) -> list[list[tuple[str, str, float, str]]]:
    out = []
    retriever = Retriever(eng)
    for q in QUESTIONS:
        ctx = retriever.retrieve(q)
        out.append([(h.rule_id, h.verdict, h.score, h.category.value) for h in ctx.rules])
    return out


def same_answers(a, b) -> None:
    assert len(a) == len(b)
    for qa, qb, q in zip(a, b, QUESTIONS, strict=True):
        assert [(r, v, c) for r, v, _, c in qa] == [(r, v, c) for r, v, _, c in qb], q.text
        for (_, _, sa, _), (_, _, sb, _) in zip(qa, qb, strict=True):
            assert sa == pytest.approx(sb, abs=1e-6), q.text


def rule_views(eng: Engine) -> dict[str, dict]:
    return {rid: eng.get_rule(rid).model_dump() for rid in sorted(eng.catalog.by_rule_id)}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def graph_digest(data_dir: Path) -> str:
    """The embedded graph on disk: its snapshot and the log of writes since."""
    root = data_dir / "v1"
    return digest(root / "graph.json") + digest(root / "graph.log")


def vector_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "v1" / "vectors").rglob("*.*"))


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedding_cache_dir):
    """Ingest the files into a new data dir, record what it answers, and close the engine."""
    src = tmp_path_factory.mktemp("policies")
    for name in FILES:
        shutil.copy(CORPUS / name, src / name)
    data_dir = tmp_path_factory.mktemp("persist-data")
    eng = make_engine(data_dir, embedding_cache_dir)
    report = pipeline.ingest(eng, [src])
    assert not report.noop
    assert sorted(report.policies) == ["regulated-goods", "suicide-self-harm"]
    assert report.languages == ["ar", "en", "es"]
    rec = {
        "src": src, "data_dir": data_dir, "cache": embedding_cache_dir,
        "answers": answers(eng), "stats": eng.stats(), "views": rule_views(eng),
        "graph": graph_digest(data_dir),
        "vectors": {f"{p.parent.name}/{p.name}": digest(p) for p in vector_files(data_dir)},
    }
    eng.close()
    # what the questions found is worth remembering across engines: real rules, not an empty list
    assert rec["answers"][0] and rec["answers"][0][0][3] == "suicide_self_harm"
    assert any(r == "RG-2.3" for r, *_ in rec["answers"][1])
    assert rec["answers"][3][0][0] == "RG-3.2-IN"
    assert {"rules/index.faiss", "rules/keys.json", "examples/index.faiss", "examples/keys.json"} <= set(rec["vectors"])
    return rec


def reopen(built, data_dir: Path | None = None) -> Engine:
    return make_engine(data_dir or built["data_dir"], built["cache"])


def test_fresh_engine_gives_identical_answers_and_stats(built):
    """Given a data dir written and closed by one engine, when a new engine opens it, then every
    question gets the same rules, verdicts and scores, and stats and rule views are identical."""
    eng = reopen(built)
    try:
        assert eng.stats() == built["stats"]
        assert rule_views(eng) == built["views"]
        same_answers(answers(eng), built["answers"])
    finally:
        eng.close()
    # opening and asking writes nothing
    assert graph_digest(built["data_dir"]) == built["graph"]


def test_stats_count_what_was_ingested(built):
    s = built["stats"]
    assert s["policies"] == 2
    assert s["rules"] == 13 + 12  # suicide-self-harm has 13 rules, regulated-goods 12
    assert s["languages"] == ["ar", "en", "es"]
    # one vector per rule text per language, plus one per labelled example
    ssh_texts, rg_texts = 13 * 3, 12
    assert s["vectors"] == ssh_texts + rg_texts + s["examples"]
    assert s["examples"] == 37 + 42


def test_reingesting_the_same_files_is_a_noop(built):
    """Given the stored policies, when the same files are ingested again (by a new engine), then the
    report says no-op, nothing is embedded or written, and the files on disk are byte-identical."""
    eng = reopen(built)
    try:
        report = pipeline.ingest(eng, [built["src"]])
        assert report.noop
        assert report.rules_written == 0 and report.vectors_embedded == 0
        assert report.rules_unchanged == 25
        assert eng.stats() == built["stats"]
        # file by file, in another order, is the same no-op
        report = pipeline.ingest(eng, [built["src"] / n for n in reversed(FILES)])
        assert report.noop
    finally:
        eng.close()
    assert graph_digest(built["data_dir"]) == built["graph"]
    assert {f"{p.parent.name}/{p.name}": digest(p) for p in vector_files(built["data_dir"])} == built["vectors"]


def rule_text_in(path: Path, rule_id: str) -> tuple[str, str]:
    """(title, text) of a rule read straight from an authoring-format file, independently of the parser:
    the heading's title, then the lines up to the next heading, minus an attribute line."""
    lines = path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, ln in enumerate(lines) if re.match(rf"^### {re.escape(rule_id)}\s", ln))
    title = lines[start][len(f"### {rule_id}"):].strip()
    body = []
    for ln in lines[start + 1:]:
        if ln.startswith("#"):
            break
        body.append(ln)
    while body and not body[0].strip():
        body.pop(0)
    if body and body[0].lstrip().startswith("{"):
        body.pop(0)
    return title, "\n".join(body).strip()


@pytest.mark.parametrize("rule_id", ["SSH-1.1", "SSH-2.4", "SSH-4.2"])
def test_translated_rule_texts_are_stored_per_language(built, rule_id):
    """Given the Arabic and Spanish translations were ingested with the original, when a rule is read in
    a language, then its text and title are that file's text and title, and the citation points at the
    file the shown text was read from, with the span of that text."""
    eng = reopen(built)
    try:
        for lang, fname in (("ar", "suicide-self-harm.ar.md"), ("es", "suicide-self-harm.es.md"),
                            ("en", "suicide-self-harm.md")):
            title, text = rule_text_in(built["src"] / fname, rule_id)
            view = eng.get_rule(rule_id, lang=lang)
            assert view.language == lang
            assert view.text == text
            assert view.title == title
            assert view.texts[lang] == text
            c = view.citation
            assert c.document == str(built["src"] / fname) and c.language == lang and c.span is not None
            source = (built["src"] / fname).read_text(encoding="utf-8")
            assert text in source[c.span.start:c.span.end]
            assert source.count("\n", 0, c.span.start) + 1 >= c.span.line
        view = eng.get_rule(rule_id)
        assert set(view.texts) == {"ar", "en", "es"}
        assert view.language == "en"
        c = view.citation
        assert c.document == str(built["src"] / "suicide-self-harm.md")
        assert c.span is not None
        source = (built["src"] / "suicide-self-harm.md").read_text(encoding="utf-8")
        assert view.text in source[c.span.start:c.span.end]
        assert source.count("\n", 0, c.span.start) + 1 >= c.span.line
        # a language that has no translation falls back to the original
        assert eng.get_rule(rule_id, lang="hi").language == "en"
        # regulated-goods has no translation: one language only
        assert set(eng.get_rule("RG-2.3", lang="ar").texts) == {"en"}
    finally:
        eng.close()


def copy_store(built, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(built["data_dir"], dst)
    return dst


def test_a_data_dir_with_one_vector_index_for_all_opens_split_into_partitions(built, tmp_path, caplog):
    """Given a data dir written before the vector index kept the labelled examples apart from the rule
    texts (one index.faiss for every vector), when an engine opens it, then its vectors are moved into the
    two partitions (nothing to repair, nothing embedded), the old files go, and it answers as before."""
    from policygraph.stores.faiss_index import FaissVectorIndex

    data_dir = copy_store(built, tmp_path)
    vdir = next((data_dir / "v1" / "vectors").iterdir())
    dim = json.loads((vdir / "rules" / "keys.json").read_text(encoding="utf-8"))["dim"]
    single = FaissVectorIndex(dim, vdir)  # the layout before: every vector in vdir itself
    for part in ("rules", "examples"):
        FaissVectorIndex(dim, vdir / part).for_each_chunk(single.add)
        shutil.rmtree(vdir / part)
    single.save()
    with caplog.at_level("WARNING", logger="policygraph.engine"):
        eng = reopen(built, data_dir)
    try:
        assert not any("repairing" in r.getMessage() for r in caplog.records)
        assert not (vdir / "index.faiss").exists() and (vdir / "examples" / "index.faiss").is_file()
        assert eng.stats()["vectors"] == built["stats"]["vectors"]
        same_answers(answers(eng), built["answers"])
    finally:
        eng.close()


@pytest.mark.parametrize("damage", ["delete-vectors-dir", "delete-index-file"])
def test_lost_vector_index_is_repaired_on_start(built, tmp_path, damage, caplog):
    """Given a data dir whose vector index is gone (a crash between the graph write and the index save,
    or a user cleaning up), when an engine opens it, then it rebuilds every vector from the graph, says
    so in the log, saves the index again, and answers exactly as before."""
    data_dir = copy_store(built, tmp_path)
    vdir = next((data_dir / "v1" / "vectors").iterdir()) / "examples"  # the labelled examples' partition
    if damage == "delete-vectors-dir":
        shutil.rmtree(vdir)
    else:
        (vdir / "index.faiss").unlink()
    with caplog.at_level("WARNING", logger="policygraph.engine"):
        eng = reopen(built, data_dir)
    try:
        assert any("repairing" in r.getMessage() for r in caplog.records)
        assert (vdir / "index.faiss").is_file() and (vdir / "keys.json").is_file()
        stats = eng.stats()
        assert {k: v for k, v in stats.items() if k != "data_dir"} == \
            {k: v for k, v in built["stats"].items() if k != "data_dir"}
        same_answers(answers(eng), built["answers"])
    finally:
        eng.close()
    # and the repaired index is complete: the next engine has nothing to repair
    caplog.clear()
    with caplog.at_level("WARNING", logger="policygraph.engine"):
        eng = reopen(built, data_dir)
    eng.close()
    assert not any("repairing" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("victim", ["index.faiss", "keys.json"])
def test_truncated_vector_files_are_repaired_on_start(built, tmp_path, victim):
    """Given a data dir whose vector file was cut short (disk full, a copy interrupted), when an engine
    opens it, then it rebuilds the index from the graph and answers as before."""
    data_dir = copy_store(built, tmp_path)
    f = next((data_dir / "v1" / "vectors").iterdir()) / "rules" / victim
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    eng = reopen(built, data_dir)
    try:
        assert eng.stats()["vectors"] == built["stats"]["vectors"]
        same_answers(answers(eng), built["answers"])
    finally:
        eng.close()


def test_a_vector_index_save_torn_between_its_two_files_is_repaired_on_start(built, tmp_path):
    """Given a data dir where a crash fell between the two renames of an index save — the new
    `index.faiss` beside the previous `keys.json` — when an engine opens it, then the pair is recognised
    as torn (not trusted: every query used to fail in FAISS), rebuilt from the graph, and the answers are
    as before."""
    data_dir = copy_store(built, tmp_path)
    vec_dir = next((data_dir / "v1" / "vectors").iterdir()) / "rules"
    meta = json.loads((vec_dir / "keys.json").read_text(encoding="utf-8"))
    dropped = sorted(meta["keys"])[: len(meta["keys"]) // 3]
    for k in dropped:  # the keys file of an earlier save: a third of the vectors unknown to it
        del meta["keys"][k]
    (vec_dir / "keys.json").write_text(json.dumps(meta), encoding="utf-8")
    eng = reopen(built, data_dir)
    try:
        assert eng.index.load_error and "torn" in eng.index.load_error
        assert eng.stats()["vectors"] == built["stats"]["vectors"]
        same_answers(answers(eng), built["answers"])
    finally:
        eng.close()


# --------------------------------------------------------------------------- the CLI on the same store


def cli(built, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(built["data_dir"]), *args],
        check=False, capture_output=True, text=True, timeout=180, cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_cli_show_and_stats_read_the_stored_data(built):
    """`policygraph show RULE --json` is the library's RuleView; `stats --json` the library's stats."""
    view = RuleView.model_validate_json(cli(built, "show", "SSH-2.4", "--lang", "ar", "--json").stdout)
    stored = built["views"]["SSH-2.4"]
    per_language = {"language", "text", "title", "citation"}
    assert {k: v for k, v in view.model_dump().items() if k not in per_language} == \
        {k: v for k, v in stored.items() if k not in per_language}
    assert view.language == "ar"
    assert (view.title, view.text) == rule_text_in(built["src"] / "suicide-self-harm.ar.md", "SSH-2.4")
    en = json.loads(cli(built, "show", "RG-2.3", "--json").stdout)
    assert en == json.loads(RuleView.model_validate(built["views"]["RG-2.3"]).model_dump_json())
    stats = json.loads(cli(built, "stats", "--json").stdout)
    assert stats == json.loads(json.dumps(built["stats"]))


def test_cli_show_unknown_rule_is_not_found(built):
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(built["data_dir"]), "show", "ZZ-9.9"],
        check=False, capture_output=True, text=True, timeout=180, cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 3
    assert "no rule ZZ-9.9" in proc.stderr


def test_cli_ask_json_carries_rules_with_evidence_and_citations(built):
    """`policygraph ask ... --json` prints the PolicyContext: the rules carry rule id, policy,
    category, verdict, score, evidence and citations. With --trace it prints the whole decision
    record, whose context is the same PolicyContext."""
    text = "Vendo pastillas de éxtasis, envío discreto por mensaje privado"
    data = json.loads(cli(built, "ask", text, "--json").stdout)
    rules = data["rules"]
    assert rules
    for r in rules:
        for key in ("rule_id", "policy_id", "category", "verdict", "score", "evidence", "citations"):
            assert key in r, key
        assert r["evidence"] and r["citations"]
        assert r["citations"][0]["policy_id"] == r["policy_id"]
    assert data["categories"][0] == "regulated_goods"
    assert "RG-2.3" in [r["rule_id"] for r in rules]
    full = json.loads(cli(built, "ask", text, "--json", "--trace").stdout)
    decision = Decision.model_validate(full)
    assert [r.rule_id for r in decision.context.rules] == [r["rule_id"] for r in rules]
    assert [s.node for s in decision.trace][:2] == ["understand", "retrieve"]
    # one decision per returned rule, with its verdict; the rest are the nearest rules ruled out
    ruled_in = [(d.rule_id, d.verdict) for d in decision.decisions if d.rule_id in {r["rule_id"] for r in rules}]
    assert ruled_in == [(r["rule_id"], r["verdict"]) for r in rules]
    assert all(d.verdict == "not_applicable" for d in decision.decisions[len(rules):])


def test_cli_ask_on_an_empty_store_says_to_ingest_first(tmp_path):
    """Asking before anything was ingested is an error that says what to do, not "no rule applies"."""
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(tmp_path / "empty"), "ask", "hello"],
        check=False, capture_output=True, text=True, timeout=180, cwd=PROJECT_ROOT,
    )
    assert proc.returncode == 1
    assert "no policies are stored" in proc.stderr and "policygraph ingest" in proc.stderr
    assert "No rule applies" not in proc.stdout
