"""Every write path killed at a random moment (issue 13): an upload (plain ingest), a draft's publish, a
rollback and an examples import are each started in a real process and SIGKILLed a random time after
they begin (seeded: the delays are in the test id). After a restart the store serves the old or the new
version whole: graph, vectors, stored document, history and audit agree, and no journal is left.

The crash-point tests in tests/test_trust_at_the_edges.py kill at each named point; these find what
falls between them. Engines use the small bundled MiniLM model, on one policy of the bundled corpus.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest
from test_trust_at_the_edges import EMBEDDER, authored, edit, open_dir  # noqa: F401 - fixture

from policygraph.lifecycle import Lifecycle
from policygraph.settings import PROJECT_ROOT

PREAMBLE = """
import sys
from policygraph.ingest import pipeline
from policygraph.lifecycle import Lifecycle, open_engine
from policygraph.settings import Settings
eng = open_engine(Settings(data_dir=sys.argv[1], embedding_cache=sys.argv[2], embedder=sys.argv[3]))
lc = Lifecycle(eng)
"""
WRITES = {
    "upload": PREAMBLE + "print('go', flush=True)\npipeline.ingest(eng, [sys.argv[4]])\nprint('done', flush=True)\n",
    "publish": PREAMBLE + "(draft, _), = lc.draft([sys.argv[4]])\nprint('go', flush=True)\n"
                          "lc.publish(draft.id, author='killed')\nprint('done', flush=True)\n",
    "rollback": PREAMBLE + "draft = lc.rollback_draft('regulated-goods', 5, author='killed')\nprint('go', flush=True)\n"
                           "lc.publish(draft.id, author='killed')\nprint('done', flush=True)\n",
    "examples": PREAMBLE + "print('go', flush=True)\npipeline.import_examples(eng, sys.argv[4])\n"
                           "print('done', flush=True)\n",
}
#: how long each write takes here (seconds, MiniLM, one policy): the kills are drawn inside it
LASTS = {"upload": 0.6, "publish": 0.15, "rollback": 0.15, "examples": 0.6}
#: (write, delay after it began in seconds): two seeded draws per write
CASES = [(w, round(random.Random(f"{w}-{i}").uniform(0.0, LASTS[w]), 3)) for w in WRITES for i in range(2)]


@pytest.mark.parametrize("write, delay", CASES)
def test_a_write_killed_at_a_random_moment_leaves_one_whole_version(authored, embedding_cache_dir, tmp_path,  # noqa: F811
                                                                    write, delay):
    eng, lc, src = authored
    f = src / "regulated-goods.md"
    arg = str(f)
    if write == "upload":
        edit(f, "version: 5", "version: 6")
        edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    elif write == "publish":
        edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
    elif write == "rollback":
        edit(f, "is removed too.", "is removed too, as are vape pens sold as 'wellness'.")
        (draft, _), = lc.draft([f])
        assert draft is not None
        lc.publish(draft.id)
    else:
        rows = tmp_path / "decisions.jsonl"
        rows.write_text("\n".join(
            f'{{"text": "selling {w} pistols, cash only, DM me", "rule_id": "RG-1.1", "label": "violating"}}'
            for w in ("cheap", "unregistered", "untraceable")) + "\n", encoding="utf-8")
        arg = str(rows)
    old = eng.get_rule("RG-2.1").version
    examples_before = len(eng.catalog.examples)
    eng.close()

    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    proc = subprocess.Popen([sys.executable, "-c", WRITES[write], str(eng.settings.data_dir),
                             str(embedding_cache_dir / "embeddings.sqlite"), EMBEDDER, arg],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "go", (line, proc.stderr.read() if proc.poll() is not None else "")
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    finished = "done" in (proc.stdout.read() if proc.stdout else "")

    fresh = open_dir(eng.settings.data_dir, embedding_cache_dir)
    lc2 = Lifecycle(fresh)
    # the vectors match the graph, and nothing is left half-done
    assert set(fresh.index.keys()) == set(fresh.expected_vectors())
    assert not (fresh.root / "journal.json").exists()
    served = fresh.get_rule("RG-2.1")
    versions = [v.version for v in lc2.history("regulated-goods").versions]
    audit = lc2.audit_log("regulated-goods")
    if write == "examples":
        added = len(fresh.catalog.examples) - examples_before
        imports = [e for e in lc2.audit_log() if e.action == "examples_import"]
        assert added in (0, 3) and len(imports) == (1 if added else 0), (added, imports)
        assert served.version == old
    else:
        new = old + 1
        assert served.version in (old, new), (served.version, old, finished)
        if finished:
            assert served.version == new
        # the served version's text is that version's: the rollback restores v5's words, the others add vapes
        assert ("vape" in served.text) == ((served.version == new) != (write == "rollback"))
        assert fresh.stored_documents()["regulated-goods"].version == served.version
        assert versions == list(range(5, served.version + 1))
        # the audit's last word agrees: the served version written, or the interrupted publish named, with
        # the version that kept serving
        last = audit[-1]
        assert last.version == served.version or (
            last.action.endswith("_interrupted") and last.detail.get("serving_version") == served.version), last
    fresh.close()
