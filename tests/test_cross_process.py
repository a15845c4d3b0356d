"""Two processes on one data directory: the server keeps serving while an author publishes from the
CLI. Given `policygraph serve` running on a data dir, when `policygraph ingest` in another process
adds a policy there, then the server answers with it on the next request (it reloads, readers held
out meanwhile), and a later upload through the API does not write over the CLI's policy."""

from __future__ import annotations

import os
import subprocess
import sys

from test_api import AGENT, AUTHOR, NEW_POLICY, SECOND_POLICY, copy_engine, start_server, stop_server

from policygraph.engine import Engine
from policygraph.settings import PROJECT_ROOT, Settings

DRONE_POST = ("Let's fly a drone full of fireworks and flares over the stadium crowd during the football "
              "match tonight!")


def test_a_cli_ingest_reaches_a_running_server_and_is_never_overwritten(corpus_engine, embedding_cache_dir,
                                                                         tmp_path):
    data_dir = tmp_path / "data"
    eng = copy_engine(corpus_engine, data_dir, embedding_cache_dir)
    running = start_server(eng)
    try:
        with running.client() as client:
            assert client.get("/v1/rules/DRN-1.1", headers=AGENT).status_code == 404
            before = client.get("/v1/policies", headers=AGENT).json()["count"]

            # an author publishes from the command line, in another process
            doc = tmp_path / "stadium-drones.md"
            doc.write_text(NEW_POLICY, encoding="utf-8")
            proc = subprocess.run(
                [sys.executable, "-m", "policygraph.cli", "--data-dir", str(data_dir), "ingest", "-q", str(doc)],
                capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT,
                env={**os.environ, "POLICYGRAPH_EMBEDDING_CACHE": str(eng.settings.embedding_cache)},
            )
            assert proc.returncode == 0, proc.stderr

            # the running server answers with it at once
            rule = client.get("/v1/rules/DRN-1.1", headers=AGENT)
            assert rule.status_code == 200 and rule.json()["exceptions"] == ["DRN-1.2"]
            assert client.get("/v1/policies", headers=AGENT).json()["count"] == before + 1
            r = client.post("/v1/context", json={"text": DRONE_POST, "top_k": 10}, headers=AGENT)
            assert "DRN-1.1" in [h["rule_id"] for h in r.json()["context"]["rules"]]

            # an upload through the API afterwards keeps the CLI's policy
            r = client.post("/v1/policies", headers=AUTHOR,
                            files={"file": ("balcony-barbecue.md", SECOND_POLICY.encode(), "text/markdown")})
            assert r.status_code == 201, r.text
            assert client.get("/v1/policies", headers=AGENT).json()["count"] == before + 2
    finally:
        stop_server(running)

    fresh = Engine(Settings(data_dir=data_dir, embedding_cache=eng.settings.embedding_cache))
    ids = {p.policy_id for p in fresh.list_policies()}
    assert {"stadium-drones", "balcony-barbecue"} <= ids
    assert not fresh.stale()
