"""The MCP server driven by the official MCP Python client over both transports:

* stdio: `python -m policygraph.api.mcp_server --transport stdio --data-dir D` spawned by `stdio_client`;
* streamable HTTP: `python -m policygraph.api.mcp_server --transport http --port P` on a free loopback port, and
  the endpoint mounted at /mcp of the HTTP API.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from policygraph.settings import PROJECT_ROOT

AGENT_KEY = "mcp-agent-key-51c0d2"
PRAISE = "Glory to the brothers who carried out the attack yesterday. Join them and continue their fight!"
TIMEOUT = 240.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def data_dir(corpus_engine, tmp_path_factory) -> Path:
    """A copy of the session corpus's data directory: the servers open it without re-embedding."""
    dest = tmp_path_factory.mktemp("mcp") / "data"
    shutil.copytree(corpus_engine.settings.data_dir, dest)
    return dest


def server_env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        "PYTHONPATH": str(PROJECT_ROOT),
        "POLICYGRAPH_EMBEDDING_CACHE": str(cache_dir / "embeddings.sqlite"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    env.update(extra)
    return env


async def exercise(session: ClientSession) -> None:
    """What every transport must do: list tools, decide, read a rule, read policy resources."""
    init = await session.initialize()
    assert init.server_info.name == "policygraph"
    tools = {t.name: t for t in (await session.list_tools()).tools}
    assert {"find_applicable_policies", "get_rule", "explain_decision", "list_policies"} <= set(tools)
    assert "content" in tools["find_applicable_policies"].input_schema["properties"]
    assert tools["find_applicable_policies"].output_schema  # structured output

    res = await session.call_tool("find_applicable_policies", {"content": PRAISE, "top_k": 5},
                                  read_timeout_seconds=TIMEOUT)
    assert not res.is_error, res.content
    out = res.structured_content
    assert out and "violent_extremism" in out["categories"]
    assert any(r["category"] == "violent_extremism" for r in out["rules"])
    assert out["decisions"] and out["rationale"]
    assert json.loads(res.content[0].text)["categories"] == out["categories"]  # text mirrors the structure

    # structured content: the fields are tool arguments; the label lifts the weapons-sale rule, and the
    # answer's categories are those of the rules it returns (not every category the classifier ranked)
    props = tools["find_applicable_policies"].input_schema["properties"]
    assert {"title", "transcript", "ocr_text", "hashtags", "comments", "signals", "provenance", "region"} <= set(props)
    res = await session.call_tool("find_applicable_policies", {
        "description": "DM for price 💰 shipping available nationwide", "media_type": "image",
        "signals": [{"label": "weapon", "score": 0.93, "model": "vision-v3"}]}, read_timeout_seconds=TIMEOUT)
    assert not res.is_error, res.content
    out = res.structured_content
    assert out["rules"][0]["rule_id"] == "RG-1.1"
    assert any(e["signal"] == "upstream_signal" and e["field"] == "signals" for e in out["rules"][0]["evidence"])
    assert out["categories"] == list(dict.fromkeys(r["category"] for r in out["rules"])) or \
        set(out["categories"]) == {r["category"] for r in out["rules"]}
    res = await session.call_tool("find_applicable_policies", {"signals": [{"label": "weapon", "score": 7}]},
                                  read_timeout_seconds=TIMEOUT)
    assert res.is_error and "score" in res.content[0].text

    res = await session.call_tool("get_rule", {"rule_id": "VE-1.1", "lang": "de"}, read_timeout_seconds=TIMEOUT)
    assert not res.is_error, res.content
    assert res.structured_content["rule_id"] == "VE-1.1" and res.structured_content["language"] == "de"

    res = await session.call_tool("get_rule", {"rule_id": "NOPE-9.9"}, read_timeout_seconds=TIMEOUT)
    assert res.is_error and "NOPE-9.9" in res.content[0].text

    res = await session.call_tool("explain_decision", {"content": PRAISE}, read_timeout_seconds=TIMEOUT)
    assert not res.is_error, res.content
    assert res.structured_content["trace"] and res.structured_content["rationale"]
    assert {"node", "ms"} <= set(res.structured_content["trace"][0])

    res = await session.call_tool("find_applicable_policies", {"content": "x" * 50_000},
                                  read_timeout_seconds=TIMEOUT)
    assert res.is_error and "limit" in res.content[0].text

    resources = {str(r.uri) for r in (await session.list_resources()).resources}
    assert {"policy://index", "policy://violent-extremism"} <= resources
    templates = {t.uri_template for t in (await session.list_resource_templates()).resource_templates}
    assert "policy://{policy_id}" in templates
    idx = json.loads((await session.read_resource("policy://index")).contents[0].text)
    assert idx["count"] >= 14 and any(p["policy_id"] == "violent-extremism" for p in idx["policies"])
    pol = json.loads((await session.read_resource("policy://violent-extremism")).contents[0].text)
    assert pol["policy_id"] == "violent-extremism" and pol["sections"]


def test_stdio_transport(data_dir, embedding_cache_dir, tmp_path):
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "policygraph.api.mcp_server", "--transport", "stdio", "--data-dir", str(data_dir), "--no-ingest"],
        env=server_env(embedding_cache_dir), cwd=str(PROJECT_ROOT),
    )

    async def run(errlog) -> None:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
        ):
            await exercise(session)

    with open(tmp_path / "stderr.log", "w") as errlog:
        try:
            asyncio.run(asyncio.wait_for(run(errlog), TIMEOUT * 2))
        finally:
            errlog.flush()
            print((tmp_path / "stderr.log").read_text()[-3000:])


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"MCP server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("MCP server did not start listening")


@pytest.fixture(scope="module")
def http_server(data_dir, embedding_cache_dir, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("mcplog") / "server.log"
    env = {**os.environ, **server_env(embedding_cache_dir, POLICYGRAPH_API_KEYS=f"{AGENT_KEY}:agent")}
    with open(log, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "policygraph.api.mcp_server", "--transport", "http", "--port", str(port),
             "--data-dir", str(data_dir), "--no-ingest"],
            cwd=str(PROJECT_ROOT), env=env, stdout=fh, stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(log.read_text()[-3000:])


async def _http_session(url: str, headers: dict[str, str]) -> None:
    import httpx2

    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(TIMEOUT)) as hc,
        streamable_http_client(url, http_client=hc) as (read, write),
        ClientSession(read, write, read_timeout_seconds=TIMEOUT) as session,
    ):
        await exercise(session)


def test_streamable_http_transport(http_server):
    asyncio.run(asyncio.wait_for(_http_session(http_server, {"X-API-Key": AGENT_KEY}), TIMEOUT * 2))


def test_streamable_http_needs_a_key(http_server):
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "t", "version": "0"}}}
    hdrs = {"accept": "application/json, text/event-stream"}
    r = httpx.post(http_server, json=init, headers=hdrs, timeout=30)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = httpx.post(http_server, json=init, headers={**hdrs, "X-API-Key": "wrong"}, timeout=30)
    assert r.status_code == 401
    r = httpx.post(http_server, json=init, headers={**hdrs, "Authorization": f"Bearer {AGENT_KEY}"}, timeout=30)
    assert r.status_code == 200, r.text


def test_mcp_mounted_in_http_api(data_dir, embedding_cache_dir, tmp_path):
    """`policygraph serve` mounts the same MCP server at /mcp of the HTTP API (same engine, same keys)."""
    import threading

    import uvicorn
    from conftest import make_engine

    from policygraph.api.app import create_app
    from policygraph.api.config import ApiConfig

    dest = tmp_path / "data"
    shutil.copytree(data_dir, dest)
    eng = make_engine(dest, embedding_cache_dir)
    app = create_app(eng, ApiConfig(keys=f"{AGENT_KEY}:agent"))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    th = threading.Thread(target=server.run, daemon=True)
    th.start()
    try:
        deadline = time.time() + 60
        while not server.started and time.time() < deadline:
            time.sleep(0.02)
        url = f"http://127.0.0.1:{port}/mcp"
        assert httpx.post(url, json={}, timeout=30).status_code == 401
        asyncio.run(asyncio.wait_for(_http_session(url, {"X-API-Key": AGENT_KEY}), TIMEOUT * 2))
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        assert 'route="/mcp"' in metrics
        # a standing event stream is refused at once (stateless: nothing to push), so idle clients hold nothing
        for _ in range(5):
            r = httpx.get(url, headers={"X-API-Key": AGENT_KEY, "Accept": "text/event-stream"}, timeout=5)
            assert r.status_code == 405 and r.headers["allow"] == "POST", r.text
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
        assert "policygraph_http_requests_in_flight 1.0" in metrics  # the metrics request itself
    finally:
        server.should_exit = True
        th.join(timeout=30)
