"""Fast tier: the embedded graph store hands out one read view per node and graph version (building a
fresh Node for every read was a quarter of a decision's graph work). A write swaps in a new graph, so a
view is never stale and an earlier reader keeps the version it read."""

from __future__ import annotations

from policygraph.stores.base import Edge, GraphBatch, Node
from policygraph.stores.networkx_store import NetworkxGraphStore


def _store() -> NetworkxGraphStore:
    g = NetworkxGraphStore(None)
    g.apply(GraphBatch(nodes=[Node(id="r1", label="Rule", props={"text": {"en": "old"}, "version": 1}),
                              Node(id="r2", label="Rule", props={"version": 1})],
                       edges=[Edge(src="r2", type="EXCEPTION_TO", dst="r1")]))
    return g


def test_reads_of_one_graph_version_share_a_view_and_a_write_gives_new_ones():
    g = _store()
    before = g.get_node("r1")
    assert g.get_node("r1") is before and g.get_nodes(["r1"])[0] is before
    (edge, node), = g.neighbors(["r2"], ["EXCEPTION_TO"], "out")
    assert node is before and g.neighbors(["r2"], ["EXCEPTION_TO"], "out")[0][0] is edge
    g.apply(GraphBatch(nodes=[Node(id="r1", label="Rule", props={"text": {"en": "new"}, "version": 2})]))
    after = g.get_node("r1")
    assert after is not None and after.props["text"] == {"en": "new"}
    assert before is not None and before.props["text"] == {"en": "old"}  # the earlier reader's version, whole


def test_every_read_hands_out_the_same_view_and_a_writer_changes_a_copy():
    """find_nodes (what the catalog and a writer read) gives the same views as get_node; a writer that
    closes a rule version writes a changed copy, and readers of the old version never see the change."""
    g = _store()
    view = g.get_node("r1")
    assert g.find_nodes("Rule", {"version": 1})[0] is view
    assert view is not None
    closed = view.model_copy(update={"props": {**view.props, "valid_to": "2026-06-01"}})
    g.apply(GraphBatch(nodes=[closed]))
    assert "valid_to" not in view.props
    now = g.get_node("r1")
    assert now is not None and now.props["valid_to"] == "2026-06-01" and now is not view
