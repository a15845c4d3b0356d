"""Stories of the policy lifecycle (issue 6): an author uploads a revised policy, sees exactly what
changed, evaluates it, publishes it safely (even if the process dies half-way), and can go back; the
moderation agent gets the rules in force at the moment content was posted. Nothing is ever lost.

Engines use the bundled MiniLM embedder (fast) and the session's shared embedding cache; the bundled
corpus stories use two of its policies (regulated goods, privacy) copied into a temporary folder.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, real_policies_dir

from policygraph.engine import Engine
from policygraph.errors import LifecycleError, NotFound
from policygraph.eval.devset import DevItem
from policygraph.ingest import pipeline
from policygraph.lifecycle import Lifecycle, open_engine, render_text
from policygraph.models import ContentQuery
from policygraph.retrieval import Retriever, Weights
from policygraph.settings import PROJECT_ROOT, Settings

EMBEDDER = "all-MiniLM-L6-v2-bundled"
FILES = ["regulated-goods.md", "privacy-personal-data.md"]
TODAY = dt.date.today()
TIKTOK_VERSIONS = ["2020-12-29.md", "2022-12-14.md", "2025-01-01.md", "2025-09-23.md"]
TIKTOK_ID = "community-guidelines"
#: the verdict thresholds are calibrated for the default e5 model; MiniLM's cosines run lower
MINILM = Weights(apply=0.5, possible=0.4, exception_floor=0.4)


# --------------------------------------------------------------------------- helpers


def engine(data_dir: Path, cache_dir: Path) -> Engine:
    """The data dir opened for writing as the CLI and the API open it: an interrupted publish is settled."""
    return open_engine(Settings(data_dir=data_dir, embedding_cache=cache_dir / "embeddings.sqlite",
                                embedder=EMBEDDER))


@pytest.fixture
def authored(tmp_path, embedding_cache_dir) -> tuple[Engine, Lifecycle, Path]:
    """Two bundled policies, stored by a plain ingest (version 5 and 2 as their front matter says),
    and a folder with copies of their files for the author to edit."""
    src = tmp_path / "src"
    src.mkdir()
    for f in FILES:
        shutil.copy(CORPUS / f, src / f)
    eng = engine(tmp_path / "data", embedding_cache_dir)
    pipeline.ingest(eng, [src])
    return eng, Lifecycle(eng), src


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rule_block(path: Path, rule_id: str) -> str:
    """The Markdown of one rule: its heading up to the next heading."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"### {rule_id} ")
    end = min(i for i in (text.find("\n### ", start + 1), text.find("\n## ", start + 1), len(text)) if i > 0)
    return text[start:end]


def remove_rule(path: Path, rule_id: str) -> None:
    """What an author does to delete a rule: its section of the body, its examples in the front
    matter and the mentions in other rules' exception_to lists."""
    edit(path, rule_block(path, rule_id), "")
    lines = path.read_text(encoding="utf-8").split("\n")
    out, skipping = [], False
    for line in lines:
        if line.startswith("  - rule: "):
            skipping = line.strip() == f"- rule: {rule_id}"
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            out.append(line)
    text = "\n".join(out).replace(f"{rule_id}, ", "").replace(f", {rule_id}]", "]")
    path.write_text(text, encoding="utf-8")


def consistent(eng: Engine) -> None:
    """Graph, vector index and stored documents agree; no publish is half-done."""
    assert set(eng.index.keys()) == set(eng.expected_vectors())
    for pid, doc in eng.stored_documents().items():
        assert eng.graph.get_node(f"policy:{pid}").props["version"] == doc.version
    assert not (eng.root / "lifecycle" / "publishing.json").exists()


def in_force(eng: Engine, rule_id: str, at: dt.date) -> int | None:
    e = eng.catalog.current(rule_id, at)
    return e.version if e else None


# --------------------------------------------------------------------------- diff, draft, publish


def test_a_severity_change_is_a_metadata_change_and_publish_serves_the_new_version(authored):
    """Given the bundled regulated-goods policy at version 5, when an author lowers RG-2.1's severity,
    drafts and publishes it, then the diff lists exactly that metadata change, the draft is invisible
    until published, and afterwards RG-2.1 answers from version 6 while version 5 stays in history."""
    eng, lc, src = authored
    edit(src / "regulated-goods.md", "{kind: prohibited, severity: critical, actions: [remove, suspend_account, escalate]",
         "{kind: prohibited, severity: high, actions: [remove, suspend_account, escalate]")

    [(draft, diff)] = lc.draft([src / "regulated-goods.md"], author="alice", effective_from=TODAY)
    assert (diff.base_version, diff.version) == (5, 6)
    assert diff.counts["metadata_changed"] == 1 and diff.counts["unchanged"] == 11
    assert sum(v for k, v in diff.counts.items() if k not in ("metadata_changed", "unchanged")) == 0
    [change] = diff.changes
    assert change.rule_id == "RG-2.1" and change.kinds == ["metadata_changed"]
    assert [(m.field, m.old, m.new) for m in change.metadata] == [("severity", "critical", "high")]
    assert "severity: critical → high" in render_text(diff)
    assert draft.texts_embedded == 0  # the text did not change: nothing to embed

    # a draft is not served
    assert eng.get_rule("RG-2.1").severity == "critical"
    assert [d.id for d in lc.drafts(status="pending")] == [draft.id]

    report = lc.publish(draft.id, author="alice")
    assert report.version == 6 and report.rules_changed == 1 and report.vectors_embedded == 0
    view = eng.get_rule("RG-2.1")
    assert (view.version, view.severity) == (6, "high")
    assert eng.get_rule("RG-2.1", at=TODAY - dt.timedelta(days=1)).version == 5
    # unchanged rules keep their id and their vector; the new version supersedes the old one
    assert (eng.index.get_vector("rule:RG-2.2@6|en") == eng.index.get_vector("rule:RG-2.2@5|en")).all()
    sup = {(e.src, e.dst) for e, _ in eng.graph.neighbors(["rule:RG-2.1@6"], ["SUPERSEDES"], "out")}
    assert sup == {("rule:RG-2.1@6", "rule:RG-2.1@5")}
    # content about selling drugs is answered from version 6 today, from version 5 yesterday
    retriever = Retriever(eng, MINILM)
    text = rule_block(src / "regulated-goods.md", "RG-2.1").split("\n", 2)[2]
    [hit] = [h for h in retriever.retrieve(ContentQuery(text=text)).rules if h.rule_id == "RG-2.1"]
    assert (hit.version, hit.severity) == (6, "high")
    [hit] = [h for h in retriever.retrieve(ContentQuery(text=text, at=TODAY - dt.timedelta(days=1))).rules
             if h.rule_id == "RG-2.1"]
    assert (hit.version, hit.severity) == (5, "critical")
    consistent(eng)
    actions = [e.action for e in lc.audit_log("regulated-goods")]
    assert actions[-3:] == ["draft", "publish_started", "publish"]
    pub = lc.audit_log("regulated-goods")[-1]
    assert pub.actor == "alice" and pub.version == 6 and pub.document_sha256 == draft.document_sha256


def test_the_diff_names_added_removed_edited_moved_and_renamed_rules_and_writes_nothing(authored):
    """Given version 5 of regulated goods, when the author deletes RG-2.2, adds RG-2.9, rewords RG-2.1,
    moves RG-2.3 into another section and renames RG-1.1 to RG-1.9 (same text), then `diff` reports
    each one as such, as text and as JSON, and nothing stored changes."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    before = f.read_text(encoding="utf-8")
    rg23 = rule_block(f, "RG-2.3")
    remove_rule(f, "RG-2.2")
    edit(f, "is removed too.", "is removed too, and so are vape cartridges sold as 'wellness'.")
    edit(f, rg23, "")
    sec3 = next(line for line in f.read_text(encoding="utf-8").split("\n") if line.startswith("## 3."))
    edit(f, sec3 + "\n", sec3 + "\n\n" + rg23.rstrip() + "\n")  # RG-2.3 now opens section 3
    f.write_text(f.read_text(encoding="utf-8").replace("RG-1.1", "RG-1.9"), encoding="utf-8")  # renamed everywhere
    edit(f, "## 3.", "### RG-2.9 Selling kratom and poppers\n{kind: prohibited, severity: medium, actions: [remove]}\n\n"
         "We remove offers to sell kratom, poppers and similar legal highs to anyone.\n\n## 3.")
    assert f.read_text(encoding="utf-8") != before
    versions_before = lc.versions("regulated-goods")

    [diff] = lc.diff([f])
    by_id = {c.rule_id: c for c in diff.changes}
    assert by_id["RG-2.9"].kinds == ["added"]
    assert by_id["RG-2.2"].kinds == ["removed"]
    assert by_id["RG-2.1"].kinds == ["text_changed"]
    assert "[-too.-] {+too, and so are vape cartridges sold as 'wellness'.+}" in by_id["RG-2.1"].text_diff
    assert by_id["RG-2.3"].kinds == ["moved"] and by_id["RG-2.3"].old_section.startswith("2.")
    assert by_id["RG-1.9"].kinds[0] == "renamed" and by_id["RG-1.9"].old_rule_id == "RG-1.1"
    assert by_id["RG-1.9"].similarity == 1.0
    # RG-4.1 was an exception to RG-2.2, RG-4.2 to RG-1.1: their references changed with them
    assert [(m.field, m.old, m.new) for m in by_id["RG-4.2"].metadata] == [("exception_to", ["RG-1.1"], ["RG-1.9"])]
    assert by_id["RG-4.1"].kinds == ["metadata_changed"]
    assert (diff.counts["added"], diff.counts["removed"], diff.counts["renamed"], diff.counts["moved"]) == (1, 1, 1, 1)
    assert diff.counts["metadata_changed"] == 2 and diff.counts["text_changed"] == 1
    assert any(p.field == "examples_removed" for p in diff.policy_changes)
    text = render_text(diff)
    assert "RENAMED RG-1.1 → RG-1.9" in text and "REMOVED" in text and "MOVED" in text
    assert json.loads(diff.model_dump_json())["counts"] == diff.counts
    # nothing was written
    assert lc.versions("regulated-goods") == versions_before and not lc.drafts()
    assert eng.get_rule("RG-1.1").version == 5


def test_reuploading_an_unchanged_document_is_a_noop(authored):
    eng, lc, src = authored
    graph_before = (eng.root / "graph.json").read_bytes() + (eng.root / "graph.log").read_bytes()
    [(draft, diff)] = lc.draft([src / "privacy-personal-data.md"], author="bob")
    assert draft is None and diff.unchanged and diff.version == 2
    assert "no changes" in render_text(diff)
    assert pipeline.ingest(eng, [src]).noop
    assert (eng.root / "graph.json").read_bytes() + (eng.root / "graph.log").read_bytes() == graph_before
    assert not lc.drafts()


def test_near_duplicate_and_contradictory_rules_are_flagged_at_upload(authored):
    """A new regulated-goods rule that copies privacy's doxxing rule word for word but *allows* it
    contradicts PR-1.1 (across policies); a second copy of RG-2.3 with the same treatment is a
    near-duplicate (within the policy)."""
    _, lc, src = authored
    pr11 = rule_block(src / "privacy-personal-data.md", "PR-1.1").split("\n", 2)[2].strip()
    rg23 = rule_block(src / "regulated-goods.md", "RG-2.3").split("\n", 2)[2].strip()
    edit(src / "regulated-goods.md", "## 3.",
         f"### RG-2.8 Doxxing\n{{kind: allowed, severity: low, actions: [label]}}\n\n{pr11}\n\n"
         f"### RG-2.7 Medicines again\n{{kind: prohibited, severity: high, actions: [remove, strike]}}\n\n{rg23}\n\n## 3.")
    [diff] = lc.diff([src / "regulated-goods.md"])
    found = {(c.kind, c.scope, c.rule_id, c.other_rule_id) for c in diff.conflicts}
    assert ("contradiction", "across", "RG-2.8", "PR-1.1") in found
    assert ("near_duplicate", "within", "RG-2.7", "RG-2.3") in found
    assert "CONTRADICTION: RG-2.8 ~ PR-1.1" in render_text(diff)


def test_a_future_effective_date_is_served_only_from_that_date(authored):
    """Published today with effective_from in 30 days: today's answers still come from version 5;
    from that day on from version 6; the history says version 6 is scheduled."""
    eng, lc, src = authored
    start = TODAY + dt.timedelta(days=30)
    edit(src / "regulated-goods.md", "is removed too.", "is removed too; so is selling nitrous oxide.")
    [(draft, diff)] = lc.draft([src / "regulated-goods.md"], effective_from=start)
    assert any(w.startswith("scheduled") for w in diff.warnings)
    lc.publish(draft.id)
    assert in_force(eng, "RG-2.1", TODAY) == 5
    assert in_force(eng, "RG-2.1", start - dt.timedelta(days=1)) == 5
    assert in_force(eng, "RG-2.1", start) == 6
    assert "nitrous" in eng.get_rule("RG-2.1", at=start).text
    states = {v.version: v.state for v in lc.history("regulated-goods").versions}
    assert states == {5: "in_force", 6: "scheduled"}
    # a date before the version in force today started would rewrite answers already given
    edit(src / "regulated-goods.md", "so is selling nitrous oxide.", "so is selling nitrous oxide or kratom.")
    with pytest.raises(LifecycleError, match="before"):
        lc.draft([src / "regulated-goods.md"], effective_from=dt.date(2025, 1, 1))


def test_rollback_restores_a_previous_version_as_a_new_one_and_nothing_is_lost(authored):
    """Version 6 removed RG-2.2; rolling back to 5 publishes 5's text as version 7. RG-2.2 is back,
    version 6 stays in the history and in the graph, and the audit log tells the story."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    remove_rule(f, "RG-2.2")
    [(draft, diff)] = lc.draft([f], author="carol", effective_from=TODAY)
    assert diff.counts["removed"] == 1
    lc.publish(draft.id, author="carol")
    with pytest.raises(NotFound):
        eng.get_rule("RG-2.2")
    assert eng.graph.get_node("rule:RG-2.2@5").props["valid_to"] == TODAY.isoformat()  # end-dated, not deleted

    rb, report = lc.rollback("regulated-goods", 5, author="dave")
    assert report.version == 7 and rb.kind == "rollback" and rb.rollback_of == 5
    assert rb.diff.counts["added"] == 1 and rb.diff.changes[0].rule_id == "RG-2.2"
    assert eng.get_rule("RG-2.2").version == 7
    assert eng.graph.get_node("rule:RG-2.1@6") is not None
    hist = lc.history("regulated-goods")
    assert [v.version for v in hist.versions] == [5, 6, 7]
    assert hist.versions[-1].note == "rollback to version 5" and hist.versions[-1].published_by == "dave"
    assert lc.version("regulated-goods", 7).source.sha256 == lc.version("regulated-goods", 5).source.sha256
    actions = [(e.action, e.actor) for e in lc.audit_log("regulated-goods")]
    assert ("publish", "carol") in actions and ("rollback", "dave") in actions
    consistent(eng)


def test_a_draft_made_against_an_older_version_is_refused(authored):
    eng, lc, src = authored
    f = src / "privacy-personal-data.md"
    edit(f, "### PR-1.1 Doxxing private individuals", "### PR-1.1 Doxxing of private individuals")
    [(first, _)] = lc.draft([f])
    edit(f, "### PR-1.2 Identity documents", "### PR-1.2 Identity papers")
    [(second, _)] = lc.draft([f])
    assert first.id != second.id and first.version == second.version == 3
    lc.publish(second.id)
    with pytest.raises(LifecycleError, match="draft it again"):
        lc.publish(first.id)
    assert eng.get_rule("PR-1.2").title.startswith("Identity papers")


def test_evaluating_a_draft_lists_the_content_whose_applicable_rules_change(authored):
    """A draft that deletes RG-2.1: content selling drugs no longer gets RG-2.1; the evaluation runs
    the dev-set format against the current corpus and the draft, and lists exactly that item."""
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    drug_text = rule_block(f, "RG-2.1").split("\n", 2)[2].strip()
    items = [
        DevItem(id="t-1", text=drug_text, language="en", categories=["regulated_goods"], rule_ids=["RG-2.1"],
                expect="applies"),
        DevItem(id="t-2", text=rule_block(src / "privacy-personal-data.md", "PR-1.1").split("\n", 2)[2].strip(),
                language="en", categories=["privacy_personal_data"], rule_ids=["PR-1.1"], expect="applies"),
    ]
    remove_rule(f, "RG-2.1")
    [(draft, _)] = lc.draft([f])
    rep = lc.evaluate(draft.id, items=items)
    assert rep.items == 2 and rep.changed == 1
    [item] = rep.changes
    assert item.id == "t-1" and any(r.startswith("RG-2.1:") for r in item.removed)
    assert rep.current_rule_recall == 1.0 and rep.draft_rule_recall == 0.5
    # the live engine still serves RG-2.1: evaluation published nothing
    assert eng.get_rule("RG-2.1").version == 5 and lc.drafts(status="pending")[0].id == draft.id


# --------------------------------------------------------------------------- crash safety

CRASH_SCRIPT = """
import sys
from policygraph.engine import Engine
from policygraph.lifecycle import Lifecycle
from policygraph.settings import Settings
eng = Engine(Settings(data_dir=sys.argv[1], embedding_cache=sys.argv[2], embedder=sys.argv[3]))
Lifecycle(eng).publish(sys.argv[4], author="crashy")
print("published")
"""


def _publish_and_die(eng: Engine, draft_id: str, cache: Path, point: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, POLICYGRAPH_TEST_CRASH_AT=point, PYTHONPATH=str(PROJECT_ROOT))
    return subprocess.run([sys.executable, "-c", CRASH_SCRIPT, str(eng.settings.data_dir), str(cache), EMBEDDER, draft_id],
                          env=env, capture_output=True, text=True, timeout=300, check=False)


def test_a_publish_killed_before_the_commit_leaves_the_previous_version_serving(authored, embedding_cache_dir):
    """The publishing process is killed (as by SIGKILL) after it changed the vector index in memory and
    right before the graph write. A fresh engine on the same data dir serves version 5, graph and
    vectors agree, the draft is still pending, the audit log says the publish was interrupted, and the
    author can simply publish again."""
    eng, lc, src = authored
    edit(src / "regulated-goods.md", "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    [(draft, _)] = lc.draft([src / "regulated-goods.md"], effective_from=TODAY)
    cache = embedding_cache_dir / "embeddings.sqlite"
    eng.close()

    proc = _publish_and_die(eng, draft.id, cache, "before_graph_write")
    assert proc.returncode == 137 and "published" not in proc.stdout, proc.stderr[-2000:]
    assert (eng.root / "lifecycle" / "publishing.json").exists()  # the journal shows a publish was running

    fresh = engine(eng.settings.data_dir, embedding_cache_dir)
    lc2 = Lifecycle(fresh)
    assert fresh.get_rule("RG-2.1").version == 5 and "vape" not in fresh.get_rule("RG-2.1").text
    consistent(fresh)
    assert lc2.load_draft(draft.id)[0].status == "pending"
    last = lc2.audit_log("regulated-goods")[-1]
    assert last.action == "publish_interrupted" and last.detail["serving_version"] == 5 and last.actor == "crashy"

    lc2.publish(draft.id)
    assert fresh.get_rule("RG-2.1").version == 6 and "vape" in fresh.get_rule("RG-2.1").text
    consistent(fresh)


def test_a_publish_killed_after_the_commit_is_completed_on_restart(authored, embedding_cache_dir):
    """Killed right after the graph write (the commit point), before the vector index and the document
    were saved: the restart finds the graph at version 6, repairs the index from it, writes the
    version's document, marks the draft published and records that in the audit log."""
    eng, lc, src = authored
    edit(src / "regulated-goods.md", "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    [(draft, _)] = lc.draft([src / "regulated-goods.md"], effective_from=TODAY)
    cache = embedding_cache_dir / "embeddings.sqlite"
    eng.close()

    proc = _publish_and_die(eng, draft.id, cache, "after_graph_write")
    assert proc.returncode == 137, proc.stderr[-2000:]
    keys_on_disk = json.loads(next((eng.root / "vectors").glob("*/rules/keys.json")).read_text())["keys"]
    assert "rule:RG-2.1@6|en" not in keys_on_disk  # the index on disk is behind the graph

    fresh = engine(eng.settings.data_dir, embedding_cache_dir)
    lc2 = Lifecycle(fresh)
    assert fresh.get_rule("RG-2.1").version == 6
    consistent(fresh)
    assert lc2.versions("regulated-goods")[-1].version == 6
    assert lc2.load_draft(draft.id)[0].status == "published"
    assert lc2.audit_log("regulated-goods")[-1].action == "publish_recovered"


# --------------------------------------------------------------------------- the real TikTok versions

needs_tiktok = pytest.mark.skipif(not all((real_policies_dir() / v).is_file() for v in TIKTOK_VERSIONS),
                                  reason="the real TikTok guidelines are not in ../shared/data")


@needs_tiktok
def test_four_real_versions_give_recognisable_diffs_and_point_in_time_answers(tmp_path, embedding_cache_dir):
    """TikTok's Community Guidelines of 2020, 2022, 2024 and 2025, uploaded in date order as versions of
    one policy: each step's diff has the shape an author would recognise (2022 edits the 2020 text in
    place; 2024 and 2025 are rewrites), and content asked about at a date inside each version's period
    is answered from that version."""
    eng = engine(tmp_path / "data", embedding_cache_dir)
    lc = Lifecycle(eng)
    steps = []
    for name in TIKTOK_VERSIONS:
        [(draft, diff)] = lc.draft([real_policies_dir() / name], policy_id=TIKTOK_ID, author="importer", backfill=True)
        lc.publish(draft.id, author="importer")
        steps.append(diff)
    print("\n" + "\n".join(f"{s.base_version}→{s.version}: {s.counts}" for s in steps))
    assert [s.version for s in steps] == [1, 2, 3, 4]
    assert steps[0].counts["added"] == len(lc.version(TIKTOK_ID, 1).rules())
    # 2020 → 2022: mostly the same rules, many edited in place (renamed: the ids hash the text)
    c = steps[1].counts
    assert c["unchanged"] + c["renamed"] > c["added"] + c["removed"]
    assert c["renamed"] >= 30 and c["moved"] >= 1
    # 2022 → 2024 and 2024 → 2025: rewrites; most old rules go, many new ones come
    for s in steps[2:]:
        assert s.counts["added"] > 50 and s.counts["removed"] > 50

    # point in time: a rule that exists only in version k is answered at a date of version k only
    hist = lc.history(TIKTOK_ID)
    assert [v.state for v in hist.versions] == ["superseded", "superseded", "superseded", "in_force"]
    periods = [(v.effective_from, v.effective_to) for v in hist.versions]
    assert periods[0][0] == dt.date(2020, 12, 1) and periods[3][0] == dt.date(2025, 9, 13)
    retriever = Retriever(eng, MINILM)
    docs = [lc.version(TIKTOK_ID, k) for k in (1, 2, 3, 4)]
    ids = [{r.id for r in d.rules()} for d in docs]
    for k, (start, end) in enumerate(periods):
        inside = start + (((end or TODAY) - start) / 2)
        other = periods[(k + 1) % 4][0] + dt.timedelta(days=3)
        only_here = [r for r in docs[k].rules() if all(r.id not in ids[j] for j in range(4) if j != k)
                     and len(r.text["en"]) > 150][:5]
        found = 0
        for rule in only_here:
            hits = retriever.retrieve(ContentQuery(text=rule.text["en"], at=inside, top_k=10)).rules
            assert hits and {h.version for h in hits} == {k + 1}, (k, inside)  # every answer from version k
            found += rule.id in [h.rule_id for h in hits]
            later = retriever.retrieve(ContentQuery(text=rule.text["en"], at=other, top_k=10)).rules
            assert rule.id not in [h.rule_id for h in later] and {h.version for h in later} <= {(k + 1) % 4 + 1}
        assert found >= 3, (k, found)
    consistent(eng)


# --------------------------------------------------------------------------- HTTP


def test_authors_draft_diff_publish_and_roll_back_over_http(authored):
    """The same workflow over the API: an agent key may read history but not draft; an author drafts
    (diff in the answer), reads the text report, publishes, rolls back; the audit log names the key."""
    from fastapi.testclient import TestClient

    from policygraph.api.app import create_app
    from policygraph.api.config import ApiConfig

    eng, _, src = authored
    agent, author = {"X-API-Key": "agent-k-123456"}, {"X-API-Key": "author-k-654321"}
    app = create_app(eng, ApiConfig(keys="agent-k-123456:agent,author-k-654321:author", mcp_path="", warmup=False))
    http = TestClient(app)
    f = src / "regulated-goods.md"
    edit(f, "severity: critical, actions: [remove, suspend_account, escalate]", "severity: high, actions: [remove, escalate]")
    body = {"filename": "regulated-goods.md", "content": f.read_text(encoding="utf-8")}

    assert http.post("/v1/drafts", json=body, headers=agent).status_code == 403
    r = http.post("/v1/drafts", json=body, headers=author, params={"effective_from": TODAY.isoformat(), "author": "erin"})
    assert r.status_code == 201, r.text
    draft = r.json()["draft"]
    assert r.json()["diff"]["counts"]["metadata_changed"] == 1
    assert "actions: [escalate, remove, suspend_account] → [escalate, remove]" in \
        http.get(f"/v1/drafts/{draft['id']}/diff", params={"format": "text"}, headers=author).text
    assert http.get("/v1/rules/RG-2.1", headers=agent).json()["version"] == 5  # not served yet
    r = http.post(f"/v1/drafts/{draft['id']}/publish", headers=author)
    assert r.status_code == 200 and r.json()["version"] == 6, r.text
    assert http.get("/v1/rules/RG-2.1", headers=agent).json()["severity"] == "high"
    assert http.post(f"/v1/drafts/{draft['id']}/publish", headers=author).status_code == 409  # already published

    r = http.post("/v1/policies/regulated-goods/rollback", json={"to_version": 5}, headers=author)
    assert r.status_code == 200 and r.json()["publish"]["version"] == 7, r.text
    assert http.get("/v1/rules/RG-2.1", headers=agent).json()["severity"] == "critical"
    hist = http.get("/v1/policies/regulated-goods/history", headers=agent).json()
    assert [v["version"] for v in hist["versions"]] == [5, 6, 7]
    assert http.get("/v1/audit", headers=agent).status_code == 403
    entries = http.get("/v1/audit", params={"policy_id": "regulated-goods"}, headers=author).json()["entries"]
    assert [e["action"] for e in entries][-2:] == ["rollback_started", "rollback"]
    assert entries[-1]["actor"].startswith("key ") and any(e["actor"].startswith("erin (key ") for e in entries)
