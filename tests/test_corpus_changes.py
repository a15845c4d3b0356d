"""Stories of a corpus that keeps changing under a running agent: what the agent derives from the corpus
(rendered policies, hubness, classifier heads) follows every write, and a store outage reaches an author
as "try again later", never as a conflict of their own making.

Both stories are issue 11's bugs: caches keyed by `id(catalog)` served a freed catalog's entries to a new
catalog at the same address (publishing 12 versions of one policy, versions 7 and 9 were rendered as
"Gambling v5"), and `StoreError` meant both "you sent an older version" and "Neo4j is down", so the API
answered 409 for an outage.
"""

from __future__ import annotations

import gc
import shutil
import threading

import pytest
from conftest import CORPUS, make_engine

from policygraph.agent import PolicyAgent
from policygraph.engine import Engine
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery

DRUGS = ContentQuery(text="Selling MDMA pills and ecstasy, DM me for prices, discreet shipping worldwide")


@pytest.fixture
def own_copy(corpus_engine, embedding_cache_dir, tmp_path) -> Engine:
    """A writable copy of the session's corpus (no re-embedding: the data dir is copied)."""
    shutil.copytree(corpus_engine.settings.data_dir, tmp_path / "data")
    return make_engine(tmp_path / "data", embedding_cache_dir)


def test_after_each_of_twelve_publishes_the_agent_renders_the_version_just_published(own_copy):
    """Given the agent answering drug-sale content with the regulated-goods policy, when that policy
    is published twelve times in a row (each version with its own title), then after every publish the
    policy text rendered for the downstream model carries the new version's title: nothing the agent
    cached about an earlier corpus is served for the new one."""
    eng = own_copy
    agent = PolicyAgent(eng)
    first = agent.decide(DRUGS)
    assert "regulated-goods" in {r.policy_id for r in first.rendered}, "the story needs the policy rendered"
    doc = eng.stored_documents()["regulated-goods"]
    for _ in range(12):
        doc = doc.model_copy(deep=True)
        doc.version += 1
        doc.title = f"Regulated goods, revision {doc.version}"
        eng.ingest_documents([doc])
        gc.collect()  # free the previous catalogs, as a long-running server eventually does
        rendered = {r.policy_id: r for r in agent.decide(DRUGS).rendered}
        assert rendered["regulated-goods"].title == doc.title
        assert rendered["regulated-goods"].text.startswith(f"# {doc.title} ")


def test_a_graph_store_outage_is_503_store_unavailable_and_an_older_version_is_409(tmp_path, embedding_cache_dir):
    """Given the HTTP API on the Neo4j backend (a real Bolt server), when an author uploads an older
    version of a stored policy the answer is 409 conflict (their document); when the graph server then
    goes away, an upload and a rule lookup answer 503 store_unavailable with Retry-After — the author
    did nothing wrong and may try again — and nothing is reported as a conflict."""
    from test_api import AUTHOR, start_server, stop_server

    from policygraph.settings import Settings
    from policygraph.stores.bolt_server import start_bolt_server

    srv = start_bolt_server(database="outage")
    running = None
    try:
        settings = Settings(data_dir=tmp_path / "data", graph_backend="neo4j", neo4j_uri=srv.uri,
                            neo4j_user=srv.user, neo4j_password=srv.password, neo4j_database=srv.database,
                            embedding_cache=embedding_cache_dir / "embeddings.sqlite")
        eng = Engine(settings)
        pipeline.ingest(eng, [CORPUS / "privacy-personal-data.md"])
        running = start_server(eng)
        older = (CORPUS / "privacy-personal-data.md").read_text(encoding="utf-8").replace(
            "version: 2", "version: 1", 1)
        assert older != (CORPUS / "privacy-personal-data.md").read_text(encoding="utf-8")
        with running.client(headers=AUTHOR) as c:
            r = c.post("/v1/policies", json={"filename": "privacy.md", "content": older})
            assert r.status_code == 409 and r.json()["error"]["code"] == "conflict", r.text

            srv.stop()
            r = c.post("/v1/policies", json={"filename": "regulated-goods.md",
                                             "content": (CORPUS / "regulated-goods.md").read_text(encoding="utf-8")})
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "store_unavailable" and r.headers.get("Retry-After")
            r = c.get("/v1/rules/PR-1.1")
            assert r.status_code == 503 and r.json()["error"]["code"] == "store_unavailable", r.text
    finally:
        if running is not None:
            stop_server(running)
        srv.stop()


def test_an_upload_is_parsed_once_and_outside_the_exclusive_write_phase(own_copy, monkeypatch):
    """Given the service, when an author uploads a revised policy, the document is parsed and validated
    once, before the exclusive phase (readers go on meanwhile), and the write only stores it; readers
    then see the new version."""
    from policygraph.api.service import PolicyService

    svc = PolicyService(own_copy)
    calls: list[bool] = []
    real_parse = pipeline.parse

    def counting_parse(*args, **kwargs):
        calls.append(svc.gate.writing)  # is the exclusive phase on while parsing?
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(pipeline, "parse", counting_parse)
    text = (CORPUS / "privacy-personal-data.md").read_text(encoding="utf-8")
    revised = text.replace("version: 2", "version: 3", 1)
    report = svc.upload("privacy-personal-data.md", revised.encode("utf-8"))
    assert not report.noop and calls == [False]
    assert svc.get_rule("PR-1.1").version == 3


def test_a_publish_landing_mid_batch_leaves_every_item_answered_against_the_newest_version(own_copy, monkeypatch):
    """Given a batch of eight drug-sale posts, whose items are embedded and decided side by side, when an
    author publishes a retitled regulated-goods policy after the first item was decided and before the
    others are, then every item of the batch renders the new title: the items decided before the publish
    are decided again, so one batch never mixes two corpus versions."""
    from policygraph.api.service import PolicyService

    svc = PolicyService(own_copy)
    agent = svc.agent
    decided_one = threading.Event()
    published: list[str] = []
    real_decide, real_prepare = agent.decide, agent.retriever.prepare_vectors
    text = (CORPUS / "regulated-goods.md").read_text(encoding="utf-8")
    revised = text.replace("version: 5", "version: 6", 1).replace(
        "title: Regulated Goods and Services", "title: Regulated goods, revised mid-batch", 1)
    assert revised.count("revised mid-batch") == 1 and "version: 6" in revised

    def deciding(*args, **kwargs):
        out = real_decide(*args, **kwargs)
        decided_one.set()
        return out

    def preparing(query):
        if query.text.endswith("#5") and not published:  # an item embedded after the first was decided
            assert decided_one.wait(60), "no item was decided before the publish"
            svc.upload("regulated-goods.md", revised.encode("utf-8"))
            published.append(query.text)
        return real_prepare(query)

    monkeypatch.setattr(agent, "decide", deciding)
    monkeypatch.setattr(agent.retriever, "prepare_vectors", preparing)
    items = [ContentQuery(text=f"{DRUGS.text} #{i}") for i in range(8)]
    results = svc.decide_many(items)
    assert published, "the story needs the publish to land mid-batch"
    titles = [{r.policy_id: r.title for r in d.rendered}.get("regulated-goods") for d in results]
    assert titles == ["Regulated goods, revised mid-batch"] * 8, titles
