"""The GraphStore contract, run identically against every backend.

Backends:
- `networkx`: the embedded default (persisted to a temporary file, so the file path is exercised too);
- `bolt`: `Neo4jGraphStore` against a real ArcadeDB server speaking Bolt (tests/bolt_server.py),
  started once per session;
- `neo4j`: `Neo4jGraphStore` against a real Neo4j 5 when `POLICYGRAPH_NEO4J_URI` is set (with
  `POLICYGRAPH_NEO4J_USER`, `POLICYGRAPH_NEO4J_PASSWORD`, `POLICYGRAPH_NEO4J_DATABASE`). Every test
  starts with `clear()`, which deletes this store's nodes in that database. See docs/neo4j.md.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from policygraph.errors import StoreError
from policygraph.settings import Settings
from policygraph.stores.base import Edge, GraphBatch, GraphStore, Node
from policygraph.stores.bolt_server import BoltServer, bolt_server_session
from policygraph.stores.neo4j_store import Neo4jGraphStore
from policygraph.stores.networkx_store import NetworkxGraphStore

NEO4J_URI = os.environ.get("POLICYGRAPH_NEO4J_URI")
BACKENDS = ["networkx", "bolt"] + (["neo4j"] if NEO4J_URI else [])
CYPHER_BACKENDS = [b for b in BACKENDS if b != "networkx"]

ARABIC = "يُحظر نشر محتوى يمجّد الإرهاب"
HINDI = "आतंकवादी संगठनों की प्रशंसा प्रतिबंधित है"
CJK = "禁止美化恐怖组织的内容。テロ組織を称賛するコンテンツ。"
INJECTION = "x'}) DETACH DELETE n //"


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def bolt_server() -> Iterator[BoltServer]:
    import arcadedb_embedded  # noqa: F401 - a dev dependency: missing, these tests fail (never skip)
    yield from bolt_server_session()


@pytest.fixture(scope="session")
def bolt_store(bolt_server: BoltServer) -> Iterator[Neo4jGraphStore]:
    store = Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password, bolt_server.database)
    yield store
    store.close()


@pytest.fixture(scope="session")
def neo4j_store() -> Iterator[Neo4jGraphStore]:
    store = Neo4jGraphStore(
        os.environ["POLICYGRAPH_NEO4J_URI"],
        os.environ.get("POLICYGRAPH_NEO4J_USER", "neo4j"),
        os.environ.get("POLICYGRAPH_NEO4J_PASSWORD", ""),
        os.environ.get("POLICYGRAPH_NEO4J_DATABASE", "neo4j"),
    )
    yield store
    store.clear()
    store.close()


def _open(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> GraphStore:
    if backend == "networkx":
        return NetworkxGraphStore(tmp_path / "graph.json")
    return request.getfixturevalue(f"{backend}_store")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> GraphStore:
    s = _open(request, request.param, tmp_path)
    s.clear()
    return s


@pytest.fixture(params=CYPHER_BACKENDS)
def cypher_store(request: pytest.FixtureRequest, tmp_path: Path) -> GraphStore:
    s = _open(request, request.param, tmp_path)
    s.clear()
    return s


# ---------------------------------------------------------------------------------------------- helpers
def rule(rid: str, **props: object) -> Node:
    return Node(id=rid, label="Rule", props=props)


def seed(store: GraphStore) -> None:
    """P1 -HAS_SECTION-> S1 -HAS_RULE-> R1, R2; R2 -EXCEPTION_TO-> R1; R1 -MENTIONS-> T1; R2 -MENTIONS-> T1."""
    store.apply(
        GraphBatch(
            nodes=[
                Node(id="P1", label="Policy", props={"title": "Violent Extremism", "version": 3}),
                Node(id="S1", label="Section", props={"title": "Praise", "order": 1}),
                rule("R1", kind="prohibited", severity="high"),
                rule("R2", kind="allowed", severity="low"),
                Node(id="T1", label="Term", props={"name": "terrorist organisation"}),
            ],
            edges=[
                Edge(src="P1", type="HAS_SECTION", dst="S1"),
                Edge(src="S1", type="HAS_RULE", dst="R1", props={"order": 1}),
                Edge(src="S1", type="HAS_RULE", dst="R2", props={"order": 2}),
                Edge(src="R2", type="EXCEPTION_TO", dst="R1"),
                Edge(src="R1", type="MENTIONS", dst="T1", props={"alias": "terror group", "lang": "en"}),
                Edge(src="R2", type="MENTIONS", dst="T1", props={"alias": "grupo terrorista", "lang": "es"}),
            ],
        )
    )


def keys(pairs: list[tuple[Edge, Node]]) -> list[tuple[str, str, str, str]]:
    """(src, type, dst, other node id) of each neighbor pair."""
    return [(e.src, e.type, e.dst, n.id) for e, n in pairs]


def snapshot(store: GraphStore) -> tuple[dict[str, int], list[Node], list[tuple[Edge, Node]]]:
    ids = [n.id for label in ("Policy", "Section", "Rule", "Term") for n in store.find_nodes(label)]
    return store.counts(), store.get_nodes(ids), store.neighbors(ids, direction="out")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


# ---------------------------------------------------------------------------------------------- nodes
def test_store_satisfies_the_protocol(store: GraphStore) -> None:
    assert isinstance(store, GraphStore)


def test_a_cleared_store_is_empty(store: GraphStore) -> None:
    assert store.counts() == {}
    assert store.get_node("R1") is None
    assert store.find_nodes("Rule") == []


def test_an_empty_batch_changes_nothing(store: GraphStore) -> None:
    seed(store)
    before = snapshot(store)
    store.apply(GraphBatch())
    assert snapshot(store) == before


def test_a_node_reads_back_as_written(store: GraphStore) -> None:
    store.apply(GraphBatch(nodes=[rule("RG-1.1", kind="prohibited", version=2, score=0.75, active=True)]))
    assert store.get_node("RG-1.1") == rule("RG-1.1", kind="prohibited", version=2, score=0.75, active=True)


def test_upserting_a_node_replaces_all_its_properties(store: GraphStore) -> None:
    store.apply(GraphBatch(nodes=[rule("R1", kind="prohibited", severity="high", note="old")]))
    store.apply(GraphBatch(nodes=[rule("R1", kind="restricted", valid_to="2026-06-01")]))
    assert store.get_node("R1") == rule("R1", kind="restricted", valid_to="2026-06-01")
    assert store.counts() == {"node:Rule": 1}


def test_the_last_upsert_of_a_node_in_a_batch_wins(store: GraphStore) -> None:
    store.apply(GraphBatch(nodes=[rule("R1", v=1), rule("R1", v=2)]))
    assert store.get_node("R1") == rule("R1", v=2)


def test_dict_list_and_none_properties_round_trip_exactly(store: GraphStore) -> None:
    props = {
        "text": {"en": "No praise of terrorist organisations.", "ar": ARABIC, "hi": HINDI, "zh": CJK},
        "aliases": {"en": ["terror group", "terrorist group"], "es": []},
        "actions": ["remove", "escalate"],
        "jurisdictions": ["GLOBAL"],
        "empty": [],
        "ints": [1, 2, 3],
        "floats": [0.5, 1.0],
        "flags": [True, False],
        "mixed": [1, "two", 3.0, None, True],
        "nested": [[1, 2], {"a": [None]}],
        "nothing": None,
        "zero": 0,
        "float_whole": 2.0,
        "negative": -7,
        "huge": 2**70,
        "blank": "",
        "json_looking": '{"en": "not a dict"}',
        "id": "a property called id",
        "__pgjson__x": "a key that looks internal",
        "__pglabel": "another",
        "spaced key / with ünïcode": "ok",
        "": "an empty key",
    }
    store.apply(GraphBatch(nodes=[rule("R1", **props)]))
    got = store.get_node("R1")
    assert got == rule("R1", **props)
    assert got is not None
    assert type(got.props["float_whole"]) is float and type(got.props["zero"]) is int
    assert type(got.props["floats"][1]) is float and got.props["flags"] == [True, False]


def test_unicode_text_in_arabic_hindi_and_cjk_round_trips(store: GraphStore) -> None:
    store.apply(
        GraphBatch(
            nodes=[
                Node(id="T-ar", label="Term", props={"name": ARABIC, "lang": "ar"}),
                Node(id="T-hi", label="Term", props={"name": HINDI, "lang": "hi"}),
                Node(id="T-zh", label="Term", props={"name": CJK, "lang": "zh"}),
                Node(id="T-emoji-😀", label="Term", props={"name": "😀 𠜎𠝹 supplementary planes", "lang": "und"}),
            ]
        )
    )
    assert store.get_node("T-ar") == Node(id="T-ar", label="Term", props={"name": ARABIC, "lang": "ar"})
    assert store.get_node("T-emoji-😀") == Node(
        id="T-emoji-😀", label="Term", props={"name": "😀 𠜎𠝹 supplementary planes", "lang": "und"}
    )
    assert [n.id for n in store.find_nodes("Term", {"name": HINDI})] == ["T-hi"]
    assert [n.id for n in store.find_nodes("Term", {"name": CJK})] == ["T-zh"]


def test_get_nodes_returns_the_existing_nodes_in_the_order_asked(store: GraphStore) -> None:
    seed(store)
    got = store.get_nodes(["T1", "missing", "R2", "P1", "R2"])
    assert [(n.id, n.label) for n in got] == [("T1", "Term"), ("R2", "Rule"), ("P1", "Policy"), ("R2", "Rule")]
    assert store.get_nodes([]) == []


def test_find_nodes_filters_by_label_and_every_where_item_ordered_by_id(store: GraphStore) -> None:
    store.apply(
        GraphBatch(
            nodes=[
                rule("R3", kind="prohibited", severity="high", version=1, tags=["a"], text={"en": "x"}),
                rule("R1", kind="prohibited", severity="high", version=2, tags=["a", "b"]),
                rule("R2", kind="allowed", severity="high", version=1, gone=None),
                rule("R10", kind="prohibited", severity="low", version=1),
                Node(id="R0", label="Example", props={"kind": "prohibited"}),
            ]
        )
    )
    assert [n.id for n in store.find_nodes("Rule")] == ["R1", "R10", "R2", "R3"]
    assert [n.id for n in store.find_nodes("Rule", {"kind": "prohibited"})] == ["R1", "R10", "R3"]
    assert [n.id for n in store.find_nodes("Rule", {"kind": "prohibited", "severity": "high"})] == ["R1", "R3"]
    assert [n.id for n in store.find_nodes("Rule", {"version": 1})] == ["R10", "R2", "R3"]
    assert [n.id for n in store.find_nodes("Rule", {"tags": ["a"]})] == ["R3"]
    assert [n.id for n in store.find_nodes("Rule", {"text": {"en": "x"}})] == ["R3"]
    # a None filter matches a None value and an absent property alike (dict.get semantics)
    assert [n.id for n in store.find_nodes("Rule", {"gone": None})] == ["R1", "R10", "R2", "R3"]
    assert [n.id for n in store.find_nodes("Rule", {"text": None})] == ["R1", "R10", "R2"]
    assert store.find_nodes("Rule", {"kind": "nope"}) == []
    assert store.find_nodes("Nothing") == []
    assert store.find_nodes("Rule", {"kind": "prohibited"})[0] == rule(
        "R1", kind="prohibited", severity="high", version=2, tags=["a", "b"]
    )


# ---------------------------------------------------------------------------------------------- edges
def test_neighbors_follow_direction_and_type_filters_ordered_by_src_type_dst(store: GraphStore) -> None:
    seed(store)
    assert keys(store.neighbors(["S1"])) == [("S1", "HAS_RULE", "R1", "R1"), ("S1", "HAS_RULE", "R2", "R2")]
    assert keys(store.neighbors(["R1"], direction="in")) == [
        ("R2", "EXCEPTION_TO", "R1", "R2"),
        ("S1", "HAS_RULE", "R1", "S1"),
    ]
    assert keys(store.neighbors(["R1"], direction="both")) == [
        ("R1", "MENTIONS", "T1", "T1"),
        ("R2", "EXCEPTION_TO", "R1", "R2"),
        ("S1", "HAS_RULE", "R1", "S1"),
    ]
    assert keys(store.neighbors(["R1", "R2"], ["MENTIONS"])) == [
        ("R1", "MENTIONS", "T1", "T1"),
        ("R2", "MENTIONS", "T1", "T1"),
    ]
    assert keys(store.neighbors(["R1"], ["EXCEPTION_TO", "HAS_RULE"], direction="in")) == [
        ("R2", "EXCEPTION_TO", "R1", "R2"),
        ("S1", "HAS_RULE", "R1", "S1"),
    ]
    assert keys(store.neighbors(["T1"], direction="in")) == [
        ("R1", "MENTIONS", "T1", "R1"),
        ("R2", "MENTIONS", "T1", "R2"),
    ]


def test_neighbors_of_nothing_or_of_no_type_are_empty(store: GraphStore) -> None:
    seed(store)
    assert store.neighbors([]) == []
    assert store.neighbors(["missing"], direction="both") == []
    assert store.neighbors(["R1"], edge_types=[]) == []
    assert store.neighbors(["R1"], edge_types=["NO_SUCH_TYPE"]) == []
    assert store.neighbors(["T1"]) == []  # T1 has only incoming edges


def test_neighbors_return_the_other_node_with_its_label_and_properties(store: GraphStore) -> None:
    seed(store)
    [(edge, node)] = store.neighbors(["P1"], ["HAS_SECTION"])
    assert edge == Edge(src="P1", type="HAS_SECTION", dst="S1")
    assert node == Node(id="S1", label="Section", props={"title": "Praise", "order": 1})


def test_an_edge_reached_from_several_queried_nodes_is_listed_once(store: GraphStore) -> None:
    seed(store)
    store.apply(GraphBatch(edges=[Edge(src="R1", type="REFERS_TO", dst="R1")]))  # a self-loop
    both = store.neighbors(["R1", "R2", "R1"], direction="both")
    assert keys(both) == [
        ("R1", "MENTIONS", "T1", "T1"),
        ("R1", "REFERS_TO", "R1", "R1"),
        ("R2", "EXCEPTION_TO", "R1", "R2"),  # the first queried node (R1) reaches it inward
        ("R2", "MENTIONS", "T1", "T1"),
        ("S1", "HAS_RULE", "R1", "S1"),
        ("S1", "HAS_RULE", "R2", "S1"),
    ]
    assert keys(store.neighbors(["R2", "R1"], ["EXCEPTION_TO"], direction="both")) == [
        ("R2", "EXCEPTION_TO", "R1", "R1")  # now R2 comes first and reaches it outward
    ]


def test_edge_properties_round_trip_and_an_upsert_replaces_them(store: GraphStore) -> None:
    seed(store)
    props = {"jurisdiction": "DE", "note": {"de": "strenger", "en": "stricter"}, "codes": ["DE", "AT"], "x": None}
    store.apply(GraphBatch(edges=[Edge(src="R1", type="OVERRIDES", dst="R2", props=props)]))
    [(edge, _)] = store.neighbors(["R1"], ["OVERRIDES"])
    assert edge == Edge(src="R1", type="OVERRIDES", dst="R2", props=props)
    store.apply(GraphBatch(edges=[Edge(src="R1", type="OVERRIDES", dst="R2", props={"jurisdiction": "FR"})]))
    [(edge, _)] = store.neighbors(["R1"], ["OVERRIDES"])
    assert edge.props == {"jurisdiction": "FR"}
    assert store.counts()["edge:OVERRIDES"] == 1  # one edge per (src, type, dst)


def test_an_edge_type_is_independent_of_others_between_the_same_nodes(store: GraphStore) -> None:
    seed(store)
    store.apply(GraphBatch(edges=[Edge(src="R2", type="REFERS_TO", dst="R1", props={"span": [3, 9]})]))
    assert keys(store.neighbors(["R2"], ["EXCEPTION_TO", "REFERS_TO"])) == [
        ("R2", "EXCEPTION_TO", "R1", "R1"),
        ("R2", "REFERS_TO", "R1", "R1"),
    ]


# ---------------------------------------------------------------------------------------------- deletes
def test_deleting_a_node_removes_every_edge_touching_it(store: GraphStore) -> None:
    seed(store)
    store.apply(GraphBatch(delete_nodes=["R1"]))
    assert store.get_node("R1") is None
    assert keys(store.neighbors(["S1", "R2", "T1"], direction="both")) == [
        ("P1", "HAS_SECTION", "S1", "P1"),
        ("R2", "MENTIONS", "T1", "T1"),
        ("S1", "HAS_RULE", "R2", "R2"),
    ]
    assert store.counts() == {
        "edge:HAS_RULE": 1,
        "edge:HAS_SECTION": 1,
        "edge:MENTIONS": 1,
        "node:Policy": 1,
        "node:Rule": 1,
        "node:Section": 1,
        "node:Term": 1,
    }


def test_deleting_an_edge_keeps_its_nodes_and_other_edges(store: GraphStore) -> None:
    seed(store)
    store.apply(GraphBatch(delete_edges=[("R2", "EXCEPTION_TO", "R1"), ("R1", "MENTIONS", "T1")]))
    assert store.neighbors(["R2"], ["EXCEPTION_TO"]) == []
    assert keys(store.neighbors(["T1"], direction="in")) == [("R2", "MENTIONS", "T1", "R2")]
    assert store.get_node("R1") is not None and store.get_node("R2") is not None


def test_deleting_what_does_not_exist_is_a_no_op(store: GraphStore) -> None:
    seed(store)
    before = snapshot(store)
    store.apply(
        GraphBatch(
            delete_nodes=["missing"],
            delete_edges=[("R1", "EXCEPTION_TO", "R2"), ("R1", "NO_SUCH", "T1"), ("x", "bad type!", "y")],
        )
    )
    assert snapshot(store) == before


def test_deletions_run_before_upserts_in_one_batch(store: GraphStore) -> None:
    seed(store)
    store.apply(
        GraphBatch(
            delete_nodes=["R1"],
            delete_edges=[("R2", "MENTIONS", "T1")],
            nodes=[Node(id="R1", label="Term", props={"name": "was a rule"})],  # may even change label
            edges=[Edge(src="R2", type="MENTIONS", dst="T1", props={"alias": "new"})],
        )
    )
    assert store.get_node("R1") == Node(id="R1", label="Term", props={"name": "was a rule"})
    assert store.neighbors(["R1"], direction="both") == []  # its old edges went with it
    [(edge, _)] = store.neighbors(["R2"], ["MENTIONS"])
    assert edge.props == {"alias": "new"}


# ---------------------------------------------------------------------------------------------- atomicity
def test_a_batch_with_a_dangling_edge_raises_and_changes_nothing(store: GraphStore) -> None:
    seed(store)
    before = snapshot(store)
    with pytest.raises(StoreError, match="no node 'nowhere'"):
        store.apply(
            GraphBatch(
                delete_nodes=["T1"],
                delete_edges=[("S1", "HAS_RULE", "R1")],
                nodes=[rule("R1", kind="changed"), rule("R9", kind="new")],
                edges=[Edge(src="R9", type="REFERS_TO", dst="R1"), Edge(src="R9", type="REFERS_TO", dst="nowhere")],
            )
        )
    assert snapshot(store) == before
    assert store.get_node("R9") is None


def test_an_edge_to_a_node_deleted_in_the_same_batch_is_dangling(store: GraphStore) -> None:
    seed(store)
    before = snapshot(store)
    with pytest.raises(StoreError, match="no node 'T1'"):
        store.apply(GraphBatch(delete_nodes=["T1"], edges=[Edge(src="R1", type="MENTIONS", dst="T1")]))
    assert snapshot(store) == before


def test_changing_the_label_of_an_existing_node_raises_and_changes_nothing(store: GraphStore) -> None:
    seed(store)
    before = snapshot(store)
    with pytest.raises(StoreError, match="exists with label 'Rule'"):
        store.apply(GraphBatch(nodes=[rule("R9"), Node(id="R1", label="Term")]))
    with pytest.raises(StoreError, match="exists with label"):
        store.apply(GraphBatch(nodes=[rule("R8"), Node(id="R8", label="Term")]))
    assert snapshot(store) == before


# ---------------------------------------------------------------------------------------------- counts, clear
def test_counts_give_nodes_per_label_and_edges_per_type(store: GraphStore) -> None:
    seed(store)
    assert store.counts() == {
        "edge:EXCEPTION_TO": 1,
        "edge:HAS_RULE": 2,
        "edge:HAS_SECTION": 1,
        "edge:MENTIONS": 2,
        "node:Policy": 1,
        "node:Rule": 2,
        "node:Section": 1,
        "node:Term": 1,
    }
    assert list(store.counts()) == sorted(store.counts())


def test_clear_removes_everything(store: GraphStore) -> None:
    seed(store)
    store.clear()
    assert store.counts() == {}
    assert store.get_nodes(["P1", "S1", "R1", "R2", "T1"]) == []
    seed(store)  # and the store is usable afterwards
    assert store.counts()["node:Rule"] == 2


def test_a_batch_of_5000_nodes_and_10000_edges_applies_at_once(store: GraphStore) -> None:
    n = 5000
    nodes = [
        rule(f"R{i:05d}", order=i, text={"en": f"rule {i}", "hi": f"नियम {i}"}, actions=["remove"]) for i in range(n)
    ]
    edges = [Edge(src=f"R{i:05d}", type="REFERS_TO", dst=f"R{(i + 1) % n:05d}") for i in range(n)]
    edges += [
        Edge(src=f"R{i:05d}", type="EXCEPTION_TO", dst=f"R{(i * 7 + 3) % n:05d}", props={"i": i}) for i in range(n)
    ]
    t0 = time.perf_counter()
    store.apply(GraphBatch(nodes=nodes, edges=edges))
    elapsed = time.perf_counter() - t0
    assert store.counts() == {"edge:EXCEPTION_TO": n, "edge:REFERS_TO": n, "node:Rule": n}
    assert store.get_node("R04321") == nodes[4321]
    assert keys(store.neighbors(["R00010"], direction="both")) == [
        ("R00001", "EXCEPTION_TO", "R00010", "R00001"),  # 1 * 7 + 3 = 10
        ("R00009", "REFERS_TO", "R00010", "R00009"),
        ("R00010", "EXCEPTION_TO", "R00073", "R00073"),
        ("R00010", "REFERS_TO", "R00011", "R00011"),
    ]
    assert len(store.neighbors([f"R{i:05d}" for i in range(0, n, 10)], ["REFERS_TO"])) == n // 10
    assert elapsed < 30, f"5,000 nodes + 10,000 edges took {elapsed:.1f} s"


# ---------------------------------------------------------------------------------------------- safety
def test_concurrent_batches_from_several_threads_all_land(store: GraphStore) -> None:
    seed(store)

    def writer(w: int) -> None:
        for i in range(15):
            nid = f"X{w}-{i}"
            store.apply(
                GraphBatch(
                    nodes=[Node(id=nid, label="Example", props={"w": w}), rule("R1", touched_by=w)],
                    edges=[Edge(src=nid, type="ILLUSTRATES", dst="R1"), Edge(src=nid, type="ILLUSTRATES", dst="R2")],
                )
            )

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(writer, range(4)))
    counts = store.counts()
    assert counts["node:Example"] == 60 and counts["edge:ILLUSTRATES"] == 120
    assert len(store.neighbors(["R1"], ["ILLUSTRATES"], direction="in")) == 60


def test_values_that_look_like_cypher_are_stored_verbatim(store: GraphStore) -> None:
    seed(store)
    nasty = {
        "title": INJECTION,
        "q": '"}) MATCH (m) DETACH DELETE m //',
        "b": "`) RETURN 1 //",
        "x'}) DETACH DELETE n //": "a key that looks like Cypher",
        "$param": "{not: a map}",
    }
    store.apply(
        GraphBatch(
            nodes=[Node(id=INJECTION, label="Policy", props=nasty)],
            edges=[Edge(src=INJECTION, type="DEFINES", dst="T1", props={"note": INJECTION})],
        )
    )
    assert store.get_node(INJECTION) == Node(id=INJECTION, label="Policy", props=nasty)
    assert [n.id for n in store.find_nodes("Policy", {"title": INJECTION})] == [INJECTION]
    assert [n.id for n in store.find_nodes("Policy", {"x'}) DETACH DELETE n //": "a key that looks like Cypher"})] == [
        INJECTION
    ]
    [(edge, node)] = store.neighbors([INJECTION])
    assert edge.props == {"note": INJECTION} and node.id == "T1"
    assert store.counts()["node:Rule"] == 2  # nothing was deleted
    store.apply(GraphBatch(delete_nodes=[INJECTION]))
    assert store.get_node(INJECTION) is None and store.get_node("P1") is not None


@pytest.mark.parametrize(
    "batch",
    [
        GraphBatch(nodes=[rule("R1"), Node(id="X", label="Rule) DETACH DELETE n //")]),
        GraphBatch(nodes=[rule("R1"), Node(id="X", label="has space")]),
        GraphBatch(nodes=[rule("R1"), Node(id="X", label="1Rule")]),
        GraphBatch(nodes=[rule("R1"), Node(id="X", label="")]),
        GraphBatch(nodes=[rule("R1"), Node(id="X", label="PGNode")]),
        GraphBatch(nodes=[rule("R1"), rule("R2")], edges=[Edge(src="R1", type="REFERS`]->()", dst="R2")]),
        GraphBatch(nodes=[rule("R1"), rule("R2")], edges=[Edge(src="R1", type="refers-to", dst="R2")]),
    ],
    ids=["cypher", "space", "digit", "empty", "reserved", "type-backtick", "type-dash"],
)
def test_an_invalid_label_or_type_is_rejected_before_anything_is_written(
    cypher_store: GraphStore, batch: GraphBatch
) -> None:
    # Cypher cannot take labels as parameters, so the Cypher backends accept only ^[A-Za-z][A-Za-z0-9_]*$.
    # (The networkx store accepts any string; the domain's labels and types all match.)
    with pytest.raises(StoreError, match="invalid"):
        cypher_store.apply(batch)
    assert cypher_store.counts() == {}
    assert cypher_store.find_nodes("Rule) DETACH DELETE n //") == []


# ---------------------------------------------------------------------------------------------- connection errors
def test_an_unreachable_server_gives_a_clear_error() -> None:
    uri = f"bolt://127.0.0.1:{closed_port()}"
    t0 = time.perf_counter()
    with pytest.raises(StoreError, match=f"cannot connect to Neo4j at {uri}"):
        Neo4jGraphStore(uri, "neo4j", "secret", "neo4j", connection_timeout=2.0)
    assert time.perf_counter() - t0 < 10


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", "127.0.0.1:7687", "bolt://[::1"])
def test_a_malformed_uri_gives_a_clear_error(uri: str) -> None:
    with pytest.raises(StoreError, match="cannot connect to Neo4j at "):
        Neo4jGraphStore(uri, "neo4j", "secret")


def test_a_wrong_password_gives_a_clear_error(bolt_server: BoltServer) -> None:
    with pytest.raises(StoreError, match=f"cannot connect to Neo4j at {bolt_server.uri}: authentication failed"):
        Neo4jGraphStore(bolt_server.uri, bolt_server.user, "not-the-password", bolt_server.database)


def test_a_missing_database_gives_a_clear_error(bolt_server: BoltServer) -> None:
    with pytest.raises(StoreError, match="database 'no_such_db' does not exist"):
        Neo4jGraphStore(bolt_server.uri, bolt_server.user, bolt_server.password, "no_such_db")


def test_the_store_is_built_from_settings(bolt_server: BoltServer, bolt_store: Neo4jGraphStore) -> None:
    settings = Settings(
        graph_backend="neo4j",
        neo4j_uri=bolt_server.uri,
        neo4j_user=bolt_server.user,
        neo4j_password=bolt_server.password,
        neo4j_database=bolt_server.database,
    )
    bolt_store.clear()
    with Neo4jGraphStore.from_settings(settings) as store:
        store.apply(GraphBatch(nodes=[rule("R1", kind="allowed")]))
    assert bolt_store.get_node("R1") == rule("R1", kind="allowed")  # same database, another connection
    bolt_store.clear()
