"""Fast tier: the embedded graph store on disk is a snapshot (`graph.json`) and a log of the batches written
since (`graph.log`). A write appends what it changes and leaves the snapshot alone; a write killed
mid-line is not a commit and is cut off by the next write; a damaged line inside the log is an error that
names the file and line; a log as large as the snapshot is folded into a new one, and the previous epoch's
log, left by a crash between the two steps, is never replayed over it."""

from __future__ import annotations

import json
import zlib

import pytest

from policygraph.errors import StoreError
from policygraph.stores.base import Edge, GraphBatch, Node, export_graph
from policygraph.stores.networkx_store import NetworkxGraphStore


def rule(i: int, text: str = "") -> Node:
    return Node(id=f"rule:R-{i}", label="Rule", props={"rule_id": f"R-{i}", "text": {"en": text or f"rule {i}"}})


def store_with(tmp_path, n: int = 20, config: NetworkxGraphStore.Config | None = None) -> NetworkxGraphStore:
    s = NetworkxGraphStore(tmp_path / "graph.json", config)
    s.apply(GraphBatch(nodes=[Node(id="policy:P", label="Policy", props={"policy_id": "P"})]
                       + [rule(i) for i in range(n)],
                       edges=[Edge(src=f"rule:R-{i}", type="IN_POLICY", dst="policy:P") for i in range(n)]))
    return s


def whole(store: NetworkxGraphStore) -> tuple:
    nodes, edges = export_graph(store)
    return [n.model_dump() for n in nodes], [e.model_dump() for e in edges]


def test_a_small_write_appends_a_line_and_leaves_the_snapshot_as_it_was(tmp_path):
    s = store_with(tmp_path)
    snapshot = (tmp_path / "graph.json").read_bytes()
    logged = (tmp_path / "graph.log").read_bytes()
    s.apply(GraphBatch(nodes=[rule(3, "rule three, revised")], delete_nodes=["rule:R-7"],
                       delete_edges=[("rule:R-4", "IN_POLICY", "policy:P")]))
    assert (tmp_path / "graph.json").read_bytes() == snapshot
    after = (tmp_path / "graph.log").read_bytes()
    assert after.startswith(logged) and after.count(b"\n") == logged.count(b"\n") + 1
    assert len(after) - len(logged) < 400  # the change, not the graph
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert whole(reopened) == whole(s)
    assert reopened.get_node("rule:R-3").props["text"] == {"en": "rule three, revised"}
    assert reopened.get_node("rule:R-7") is None
    assert reopened.neighbors(["rule:R-4"]) == [] and len(reopened.neighbors(["rule:R-5"])) == 1


def test_reads_after_an_in_place_write_see_the_write_and_nothing_stale(tmp_path):
    """Reads are served from views kept per node; a write must drop exactly the ones it touched."""
    s = store_with(tmp_path)
    assert s.get_node("rule:R-1").props["text"]["en"] == "rule 1"
    assert [e.dst for e, _ in s.neighbors(["rule:R-1"])] == ["policy:P"]
    assert len(s.neighbors(["policy:P"], direction="in")) == 20
    assert len(s.find_nodes("Rule")) == 20
    s.apply(GraphBatch(nodes=[rule(1, "changed"), rule(99)], delete_nodes=["rule:R-2"],
                       edges=[Edge(src="rule:R-99", type="IN_POLICY", dst="policy:P")]))
    assert s.get_node("rule:R-1").props["text"]["en"] == "changed"
    assert [n.id for n in s.find_nodes("Rule")] == sorted(f"rule:R-{i}" for i in [*range(20), 99] if i != 2)
    into_policy = {e.src for e, _ in s.neighbors(["policy:P"], direction="in")}
    assert "rule:R-99" in into_policy and "rule:R-2" not in into_policy and len(into_policy) == 20
    assert [n.props["text"]["en"] for _, n in s.neighbors(["policy:P"], direction="in") if n.id == "rule:R-1"] == ["changed"]


def test_a_write_killed_mid_line_is_not_a_commit_and_the_next_write_cuts_it_off(tmp_path):
    s = store_with(tmp_path)
    s.apply(GraphBatch(nodes=[rule(1, "first revision")]))
    good = (tmp_path / "graph.log").read_bytes()
    s.apply(GraphBatch(nodes=[rule(1, "second revision")]))
    torn = (tmp_path / "graph.log").read_bytes()[:-9]  # the kill: the line's end never reached the disk
    (tmp_path / "graph.log").write_bytes(torn)
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert reopened.get_node("rule:R-1").props["text"]["en"] == "first revision"
    reopened.apply(GraphBatch(nodes=[rule(2, "after the crash")]))
    log = (tmp_path / "graph.log").read_bytes()
    assert log.startswith(good) and log.count(b"\n") == good.count(b"\n") + 1
    again = NetworkxGraphStore(tmp_path / "graph.json")
    assert again.get_node("rule:R-1").props["text"]["en"] == "first revision"
    assert again.get_node("rule:R-2").props["text"]["en"] == "after the crash"


def test_a_damaged_line_inside_the_log_names_the_file_and_line(tmp_path):
    s = store_with(tmp_path)
    s.apply(GraphBatch(nodes=[rule(1, "one")]))
    s.apply(GraphBatch(nodes=[rule(2, "two")]))
    lines = (tmp_path / "graph.log").read_bytes().split(b"\n")  # epoch, first batch, "one", "two", ""
    flipped = lines[2].replace(b'"one"', b'"onE"')
    (tmp_path / "graph.log").write_bytes(b"\n".join([*lines[:2], flipped, *lines[3:]]))
    with pytest.raises(StoreError, match=r"graph\.log is damaged: line 3 is not a whole record \(checksum"):
        NetworkxGraphStore(tmp_path / "graph.json")
    # a whole line that cannot be applied (an edge to a node that does not exist) is damage too
    body = json.dumps({"batch": {"delete_nodes": [], "delete_edges": [], "nodes": [], "edges": [
        {"src": "nowhere", "type": "X", "dst": "policy:P", "props": {}}]}}).encode()
    (tmp_path / "graph.log").write_bytes(b"\n".join([*lines[:2], b"%08x %s" % (zlib.crc32(body), body), b""]))
    with pytest.raises(StoreError, match=r"graph\.log is damaged: line 3 cannot be applied"):
        NetworkxGraphStore(tmp_path / "graph.json")


def test_a_refused_batch_writes_nothing(tmp_path):
    s = store_with(tmp_path)
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(StoreError, match="no node 'rule:R-404'"):
        s.apply(GraphBatch(nodes=[rule(1, "would change")],
                           edges=[Edge(src="rule:R-404", type="IN_POLICY", dst="policy:P")]))
    with pytest.raises(StoreError, match="exists with label 'Rule'"):
        s.apply(GraphBatch(nodes=[Node(id="rule:R-1", label="Term", props={})]))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == files
    assert s.get_node("rule:R-1").props["text"]["en"] == "rule 1"


def test_a_log_as_large_as_the_snapshot_is_folded_in_and_the_previous_epochs_log_is_never_replayed(tmp_path):
    cfg = NetworkxGraphStore.Config(compact_at_share=1.0, compact_min_bytes=0)
    s = store_with(tmp_path, n=5, config=cfg)
    first = (tmp_path / "graph.json").read_bytes()
    for i in range(30):
        s.apply(GraphBatch(nodes=[rule(i % 5, f"revision {i} " + "x" * 40)]))
    assert (tmp_path / "graph.json").read_bytes() != first
    snapshot_size = (tmp_path / "graph.json").stat().st_size
    assert (tmp_path / "graph.log").stat().st_size <= snapshot_size + 400
    assert whole(NetworkxGraphStore(tmp_path / "graph.json")) == whole(s)
    # the crash between the two steps of folding in: a new snapshot beside the previous epoch's log
    old_log = (tmp_path / "graph.log").read_bytes()
    s.apply(GraphBatch(delete_nodes=["rule:R-0"]))
    every_write_folds = NetworkxGraphStore(tmp_path / "graph.json", NetworkxGraphStore.Config(0.0, 0))
    every_write_folds.apply(GraphBatch(nodes=[rule(4, "folded")]))
    (tmp_path / "graph.log").write_bytes(old_log)  # it rewrites rule 0, deleted since: must not come back
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert reopened.get_node("rule:R-0") is None and reopened.get_node("rule:R-4").props["text"]["en"] == "folded"
    reopened.apply(GraphBatch(nodes=[rule(3, "written after the crash")]))  # the stale log is replaced, not read
    again = NetworkxGraphStore(tmp_path / "graph.json")
    assert again.get_node("rule:R-0") is None and again.get_node("rule:R-3").props["text"]["en"] == "written after the crash"
    assert whole(again) == whole(reopened)


def test_batches_another_process_appended_are_read_before_this_store_appends(tmp_path):
    """A writer that died before the engine could notice (no generation stamp): its committed lines are
    applied here first, never overwritten."""
    ours = store_with(tmp_path)
    theirs = NetworkxGraphStore(tmp_path / "graph.json")
    theirs.apply(GraphBatch(nodes=[rule(50, "theirs")]))
    ours.apply(GraphBatch(nodes=[rule(51, "ours")]))
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert reopened.get_node("rule:R-50").props["text"]["en"] == "theirs"
    assert reopened.get_node("rule:R-51").props["text"]["en"] == "ours"
    assert ours.get_node("rule:R-50") is not None


def test_a_snapshot_written_before_the_log_existed_still_opens(tmp_path):
    """Data dirs written by earlier releases have only graph.json (no epoch): read as is, given a log on
    the first write."""
    (tmp_path / "graph.json").write_text(json.dumps({"format": 1, "nodes": [
        {"id": "rule:R-1", "label": "Rule", "props": {"rule_id": "R-1"}}], "edges": []}))
    s = NetworkxGraphStore(tmp_path / "graph.json")
    assert s.get_node("rule:R-1") is not None
    s.apply(GraphBatch(nodes=[rule(2)]))
    assert (tmp_path / "graph.log").exists()
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert reopened.get_node("rule:R-1") is not None and reopened.get_node("rule:R-2") is not None


def test_a_filtered_find_uses_an_index_that_writes_keep_up_to_date(tmp_path):
    """`find_nodes(label, where)` answers from a property index built on first use: after writes that add,
    change, relabel-proof and delete nodes it must answer exactly as a scan of the graph does."""
    s = NetworkxGraphStore(tmp_path / "graph.json")
    ex = [Node(id=f"ex:{i:03d}", label="Example", props={"policy_id": f"P{i % 3}", "n": i % 2, "tags": ["a"]})
          for i in range(30)]
    s.apply(GraphBatch(nodes=ex))

    def scan(where: dict) -> list[str]:
        return [n.id for n in ex_now() if all(n.props.get(k) == v for k, v in where.items())]

    def ex_now() -> list[Node]:
        return s.find_nodes("Example")

    assert [n.id for n in s.find_nodes("Example", {"policy_id": "P1"})] == scan({"policy_id": "P1"})
    s.apply(GraphBatch(nodes=[Node(id="ex:001", label="Example", props={"policy_id": "P2", "n": 1, "tags": []}),
                              Node(id="ex:100", label="Example", props={"policy_id": "P1", "n": 1.0, "tags": []})],
                       delete_nodes=["ex:004"]))
    for where in ({"policy_id": "P1"}, {"policy_id": "P2"}, {"policy_id": "P1", "n": 1}, {"n": 1}, {"n": True},
                  {"n": None}, {"tags": ["a"]}, {"policy_id": "nowhere"}):
        assert [n.id for n in s.find_nodes("Example", where)] == scan(where), where
    assert "ex:001" not in scan({"policy_id": "P1"}) and "ex:100" in scan({"policy_id": "P1"})
    reopened = NetworkxGraphStore(tmp_path / "graph.json")
    assert [n.id for n in reopened.find_nodes("Example", {"policy_id": "P1"})] == scan({"policy_id": "P1"})
