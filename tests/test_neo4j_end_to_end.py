"""End to end on the Bolt backend: the bundled corpus in `Neo4jGraphStore` answers exactly like the
embedded default, `migrate --to neo4j` copies an embedded store, and `ask` / `serve` then run on Neo4j
by configuration alone.

The Bolt server is a real ArcadeDB speaking Bolt (tests/bolt_server.py), started once for this module.
Engines share the session's embedding cache (`embedding_cache_dir`): the corpus is embedded once, by
`corpus_engine`, and every other engine here reuses those vectors, so only graph work is repeated.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import CORPUS

from policygraph.engine import LAYOUT, Engine
from policygraph.errors import StoreError
from policygraph.ingest import pipeline
from policygraph.migrate import add_migrate_parser, migrate_to_neo4j
from policygraph.models import ContentQuery
from policygraph.retrieval import Retriever
from policygraph.settings import PROJECT_ROOT, Settings
from policygraph.stores.bolt_server import BoltServer, bolt_server_session
from policygraph.stores.neo4j_store import Neo4jGraphStore

pytestmark = pytest.mark.slow

#: (text, jurisdiction): several languages and scripts, global and DE / IN / EU, exceptions, benign
QUERIES: list[tuple[str, str | None]] = [
    ("Ten years since the brothers stormed the concert hall and struck fear into the kuffar. "
     "Heroes, every one of them. 🦁", None),
    ("أخي، إن كنت صادقًا في نصرة الدين فالطريق مفتوح. راسلني على الخاص وسأرتب لك كل شيء للوصول إلى أرض الخلافة.", None),
    ("Neues Tattoo: SS-Totenkopf und die Runen auf dem Unterarm 💪 Was sagt ihr, Kameraden?", "DE"),
    ("Neues Tattoo: SS-Totenkopf und die Runen auf dem Unterarm 💪 Was sagt ihr, Kameraden?", None),
    ("Geschichte-LK: Heute analysieren wir NS-Propagandaplakate mit Hakenkreuz und wie sie Jugendliche für die "
     "Hitlerjugend gewinnen sollten.", "DE"),
    ("Auschwitz war ein Arbeitslager mit Schwimmbad, die Gaskammern sind Nachkriegspropaganda. Googelt mal selbst.",
     "DE"),
    ("इनके पैगंबर पर ऐसा मीम बनाया है कि सबकी भावनाएँ जल जाएँगी 😂 जितना शेयर करोगे उतना मज़ा आएगा।", "IN"),
    ("रोज़ ₹10,000 कमाओ! आज के IPL मैच पर हमारे ऐप में सट्टा लगाओ, कोड REEL500 डालो और पाओ ₹500 बोनस।", "IN"),
    ("Brief campagna: annunci personalizzati per i ragazzi italiani dai 13 ai 17 anni, segmentati per interessi "
     "e cronologia di navigazione, per lanciare il nostro nuovo energy drink.", "EU"),
    ("Europawahl: Die Briefwahlstimmen in Bayern werden gar nicht ausgezählt, hat mir ein Wahlhelfer gesagt. "
     "Alles manipuliert!", "EU"),
    ("¿Alguien sabe qué pastillas hacen efecto más rápido? Quiero algo que no duela, ya no aguanto más. "
     "Respondan por privado.", None),
    ("【ニュース解説】過激派組織が犯行声明を出した昨夜の襲撃事件について、専門家が組織の宣伝手法と勧誘の実態を解説します。", None),
    ("化学课演示：老师在通风橱里演示钠和水的反应，全程佩戴护目镜，讲解为什么危险，同学们请勿在家模仿。", None),
    ("Вот скриншоты сообщений, которые бывший коллега присылает мне уже полгода. Имя скрыла. "
     "Девочки, не молчите о харассменте.", None),
    ("Bugün bipolar bozukluk tanısı aldığımı sizinle paylaşmak istedim. Utanılacak bir şey değil, tedavi "
     "sürecimi burada anlatacağım.", None),
    ("Three-ingredient banana pancakes for busy mornings. Mash, whisk, fry — done in 10 minutes 🥞", None),
]
#: the query the CLI and API checks use (a German rule applies in DE)
PROBE = QUERIES[2]


# ---------------------------------------------------------------------------------------------- helpers
def signature(ctx) -> dict:
    """What must match between backends, in a form that reads well in an assertion diff."""
    return {
        "rules": [(h.rule_id, h.verdict, round(h.score, 3)) for h in ctx.rules],
        "categories": [str(getattr(c, "value", c)) for c in ctx.categories],
    }


def full(ctx) -> dict:
    """The whole answer (evidence, exceptions and overrides checked, definitions, citations), not timings."""
    return ctx.model_dump(mode="json", exclude={"timings_ms"})


def ask(engine: Engine, text: str, jurisdiction: str | None):
    return Retriever(engine).retrieve(ContentQuery(text=text, jurisdiction=jurisdiction))


def answers(engine: Engine) -> list[dict]:
    return [full(ask(engine, text, j)) for text, j in QUERIES]


def assert_same_answers(engine: Engine, expected: list[dict]) -> None:
    for (text, j), want in zip(QUERIES, expected, strict=True):
        got = full(ask(engine, text, j))
        sig_got = {"rules": [(r["rule_id"], r["verdict"], round(r["score"], 3)) for r in got["rules"]],
                   "categories": got["categories"]}
        sig_want = {"rules": [(r["rule_id"], r["verdict"], round(r["score"], 3)) for r in want["rules"]],
                    "categories": want["categories"]}
        assert sig_got == sig_want, f"{text[:40]!r} ({j}): rules/verdicts/scores/categories differ"
        assert got == want, f"{text[:40]!r} ({j}): evidence, exceptions, overrides or citations differ"


def neo4j_env(server: BoltServer, database: str) -> dict[str, str]:
    return {
        "POLICYGRAPH_NEO4J_URI": server.uri,
        "POLICYGRAPH_NEO4J_USER": server.user,
        "POLICYGRAPH_NEO4J_PASSWORD": server.password,
        "POLICYGRAPH_NEO4J_DATABASE": database,
    }


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def bolt_server() -> Iterator[BoltServer]:
    import arcadedb_embedded  # noqa: F401 - a dev dependency: missing, these tests fail (never skip)
    yield from bolt_server_session()


@pytest.fixture(scope="module")
def expected(corpus_engine: Engine) -> list[dict]:
    """The embedded default's answers."""
    return answers(corpus_engine)


@pytest.fixture(scope="module")
def bolt_engine(corpus_engine, embedding_cache_dir, bolt_server, tmp_path_factory) -> Iterator[Engine]:
    """The bundled corpus ingested into an engine whose graph is a Neo4jGraphStore (database `neo4j`).

    Depends on `corpus_engine` so that the shared embedding cache is warm: only the graph is new."""
    store = Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database)
    store.clear()
    settings = Settings(data_dir=tmp_path_factory.mktemp("bolt-data"),
                        embedding_cache=embedding_cache_dir / "embeddings.sqlite")
    eng = Engine(settings, graph=store)
    report = pipeline.ingest(eng, [CORPUS])
    assert not report.noop and report.rules_written > 0
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def migrated(corpus_engine, embedding_cache_dir, bolt_server, tmp_path_factory) -> dict:
    """A copy of corpus_engine's data dir migrated into a fresh database `migrated`; its graph.json is
    then removed, so nothing can quietly fall back to the embedded store."""
    data_dir = tmp_path_factory.mktemp("migrated") / "data"
    shutil.copytree(corpus_engine.settings.data_dir, data_dir)
    bolt_server.create_database("migrated")
    env = neo4j_env(bolt_server, "migrated")
    target_kw = dict(graph_backend="neo4j", neo4j_uri=env["POLICYGRAPH_NEO4J_URI"],
                     neo4j_user=env["POLICYGRAPH_NEO4J_USER"], neo4j_password=env["POLICYGRAPH_NEO4J_PASSWORD"],
                     neo4j_database="migrated", embedding_cache=embedding_cache_dir / "embeddings.sqlite")
    source = Settings(data_dir=data_dir)
    target = Settings(data_dir=data_dir, **target_kw)
    with Neo4jGraphStore.from_settings(target) as store:
        store.clear()
    report = migrate_to_neo4j(source, target, batch_size=250)  # several batches on this small graph
    graph_file = data_dir / LAYOUT / "graph.json"
    kept = graph_file.with_name("graph.json.migrated")
    graph_file.rename(kept)
    return {"data_dir": data_dir, "source": source, "target": target, "report": report, "env": env,
            "graph_file": kept}


# ---------------------------------------------------------------------------------------------- ingest
def test_bolt_ingest_stores_the_same_graph(bolt_engine, corpus_engine):
    assert isinstance(bolt_engine.graph, Neo4jGraphStore)
    assert bolt_engine.graph.counts() == corpus_engine.graph.counts()
    assert bolt_engine.stats()["graph"] == corpus_engine.stats()["graph"]
    assert sorted(bolt_engine.index.keys()) == sorted(corpus_engine.index.keys())
    assert bolt_engine.embedder.misses == 0, "the shared embedding cache should have served every text"


def test_ask_on_bolt_matches_embedded(bolt_engine, expected):
    # the queries are not vacuous: most find rules, and the graph-derived parts are exercised
    assert sum(bool(a["rules"]) for a in expected) >= len(QUERIES) // 2
    hits = [h for a in expected for h in a["rules"]]
    assert any(h["exceptions_checked"] for h in hits), "no query reached an EXCEPTION_TO edge"
    assert any(h["definitions"] for h in hits), "no query reached a MENTIONS edge"
    assert len({h["rule_id"] for h in hits}) >= 8
    assert_same_answers(bolt_engine, expected)


def test_rules_and_policies_read_the_same_on_bolt(bolt_engine, corpus_engine):
    assert [p.model_dump() for p in bolt_engine.list_policies()] == [
        p.model_dump() for p in corpus_engine.list_policies()
    ]
    for p in corpus_engine.list_policies():
        assert bolt_engine.get_policy(p.policy_id) == corpus_engine.get_policy(p.policy_id)
    for rule_id in sorted(corpus_engine.catalog.by_rule_id):
        assert bolt_engine.get_rule(rule_id).model_dump() == corpus_engine.get_rule(rule_id).model_dump(), rule_id


def test_reingesting_unchanged_corpus_on_bolt_is_a_noop(bolt_engine, corpus_engine):
    before = bolt_engine.graph.counts()
    assert pipeline.ingest(bolt_engine, [CORPUS]).noop
    assert bolt_engine.graph.counts() == before == corpus_engine.graph.counts()


# ---------------------------------------------------------------------------------------------- migrate
def test_migrate_copies_everything(migrated, corpus_engine):
    report = migrated["report"]
    counts = corpus_engine.graph.counts()
    assert report["counts"] == counts
    assert report["nodes"] == sum(v for k, v in counts.items() if k.startswith("node:"))
    assert report["edges"] == sum(v for k, v in counts.items() if k.startswith("edge:"))
    assert report["batches"]["nodes"] >= 2 and report["batches"]["edges"] >= 2
    assert report["verified"] == "counts and content"
    assert report["configure"]["POLICYGRAPH_GRAPH_BACKEND"] == "neo4j"
    assert report["configure"]["POLICYGRAPH_DATA_DIR"] == str(migrated["data_dir"].resolve())
    assert report["warnings"] == []


def test_engine_on_neo4j_by_settings_alone_answers_the_same(migrated, expected, corpus_engine):
    eng = Engine(migrated["target"])  # no graph= : Settings pick the backend
    try:
        assert isinstance(eng.graph, Neo4jGraphStore)
        assert eng.graph.database == "migrated"
        assert eng.graph.counts() == corpus_engine.graph.counts()
        # the vector index of the data dir matched the migrated graph: nothing repaired, nothing embedded
        assert sorted(eng.index.keys()) == sorted(corpus_engine.index.keys())
        assert eng.embedder.misses == 0
        assert_same_answers(eng, expected)
    finally:
        eng.close()


def test_engine_on_neo4j_by_environment_alone(migrated, expected, embedding_cache_dir, monkeypatch):
    for k, v in {**migrated["env"], "POLICYGRAPH_DATA_DIR": str(migrated["data_dir"]),
                 "POLICYGRAPH_GRAPH_BACKEND": "neo4j",
                 "POLICYGRAPH_EMBEDDING_CACHE": str(embedding_cache_dir / "embeddings.sqlite")}.items():
        monkeypatch.setenv(k, v)
    eng = Engine(Settings())
    try:
        assert isinstance(eng.graph, Neo4jGraphStore) and eng.graph.database == "migrated"
        text, j = PROBE
        assert full(ask(eng, text, j)) == expected[QUERIES.index(PROBE)]
    finally:
        eng.close()


def test_migrate_refuses_a_target_that_holds_a_graph(migrated, corpus_engine):
    source = Settings(data_dir=migrated["data_dir"])
    # the source graph was moved aside by the fixture; put a copy back for this check
    graph_file = migrated["data_dir"] / LAYOUT / "graph.json"
    shutil.copy(migrated["graph_file"], graph_file)
    try:
        with pytest.raises(StoreError, match="already holds a graph"):
            migrate_to_neo4j(source, migrated["target"])
        report = migrate_to_neo4j(source, migrated["target"], clear=True)
        assert report["cleared_target"] and report["counts"] == corpus_engine.graph.counts()
    finally:
        graph_file.unlink()


def test_migrate_without_an_embedded_graph_says_so(tmp_path, migrated):
    with pytest.raises(StoreError, match="no embedded graph"):
        migrate_to_neo4j(Settings(data_dir=tmp_path), migrated["target"])


def test_migrate_subcommand(corpus_engine, bolt_server, monkeypatch):
    """`migrate --to neo4j` as the CLI parses it: server from flags, password from the environment."""
    bolt_server.create_database("clidb")
    parser = argparse.ArgumentParser(prog="policygraph")
    parser.add_argument("--data-dir")
    add_migrate_parser(parser.add_subparsers(dest="cmd", required=True))
    monkeypatch.setenv("POLICYGRAPH_NEO4J_PASSWORD", bolt_server.password)
    args = parser.parse_args(["--data-dir", str(corpus_engine.settings.data_dir), "migrate", "--to", "neo4j",
                              "--uri", bolt_server.uri, "--user", bolt_server.user, "--database", "clidb", "--json"])
    out = io.StringIO()
    with redirect_stdout(out):
        assert args.fn(args) == 0
    report = json.loads(out.getvalue())
    assert report["counts"] == corpus_engine.graph.counts()
    assert report["target"]["database"] == "clidb"
    assert report["data_dir"] == str(corpus_engine.settings.data_dir.resolve())
    with pytest.raises(SystemExit):  # only neo4j is a target
        parser.parse_args(["migrate", "--to", "networkx"])


def _cli_env(server: BoltServer, database: str, cache_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYGRAPH_")}
    env.update(neo4j_env(server, database))
    env.update({"POLICYGRAPH_EMBEDDING_CACHE": str(cache_dir / "embeddings.sqlite"), "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)})
    return env


def test_cli_ask_runs_on_neo4j(migrated, corpus_engine, bolt_server, embedding_cache_dir):
    """`policygraph --data-dir X --backend neo4j ask ...` with the server in POLICYGRAPH_NEO4J_*."""
    text, j = PROBE
    want = ask(corpus_engine, text, j).rules[0].rule_id
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(migrated["data_dir"]), "--backend", "neo4j",
         "ask", text, "--jurisdiction", j],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
        env=_cli_env(bolt_server, "migrated", embedding_cache_dir),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert want in proc.stdout, proc.stdout[-3000:]


def test_cli_migrate_subprocess(corpus_engine, bolt_server, embedding_cache_dir):
    """`policygraph --data-dir X migrate --to neo4j`, once the subcommand is wired into the CLI."""
    from policygraph.cli import build_parser

    try:
        build_parser().parse_args(["migrate", "--to", "neo4j"])
    except SystemExit:
        pytest.skip("`migrate` is not wired into policygraph/cli.py yet (add_migrate_parser(sub))")
    bolt_server.create_database("clisub")
    proc = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(corpus_engine.settings.data_dir),
         "migrate", "--to", "neo4j", "--json"],
        capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
        env=_cli_env(bolt_server, "clisub", embedding_cache_dir),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert json.loads(proc.stdout)["counts"] == corpus_engine.graph.counts()


def test_serve_runs_on_neo4j_by_configuration(migrated, corpus_engine, embedding_cache_dir, monkeypatch):
    """The app `policygraph serve` builds, configured by environment variables only."""
    from fastapi.testclient import TestClient

    from policygraph.api import serve

    for k, v in {**migrated["env"], "POLICYGRAPH_DATA_DIR": str(migrated["data_dir"]),
                 "POLICYGRAPH_GRAPH_BACKEND": "neo4j", "POLICYGRAPH_API_KEYS": "e2e-agent-key:agent",
                 "POLICYGRAPH_EMBEDDING_CACHE": str(embedding_cache_dir / "embeddings.sqlite")}.items():
        monkeypatch.setenv(k, v)
    args = argparse.Namespace(data_dir=None, backend=None, host=None, port=None, mcp_path="", no_ingest=False,
                              log_level=None)
    app, _ = serve.build(args)
    engine = app.state.service.engine
    try:
        assert isinstance(engine.graph, Neo4jGraphStore) and engine.graph.database == "migrated"
        text, j = PROBE
        want = ask(corpus_engine, text, j).rules[0].rule_id
        headers = {"X-API-Key": "e2e-agent-key"}
        with TestClient(app) as client:
            r = client.get(f"/v1/rules/{want}", headers=headers)
            assert r.status_code == 200, r.text
            assert r.json()["rule_id"] == want
            assert r.json()["text"] == corpus_engine.get_rule(want).text
            r = client.post("/v1/context", json={"text": text, "jurisdiction": j}, headers=headers)
            assert r.status_code == 200, r.text
            assert want in r.text
    finally:
        engine.close()
