"""What the loopback benchmarks share: a real `policygraph.api.serve` process on a free port, readiness,
resident memory, percentiles, and the machine's load."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str | None, keys: str, port: int, log_path: Path, **env_extra: str) -> subprocess.Popen:
    """`keys`: "key:role,key:role"; `env_extra`: more POLICYGRAPH_* settings (e.g. admission limits)."""
    env = {**os.environ, "POLICYGRAPH_API_KEYS": keys, "PYTHONPATH": str(ROOT),
           "POLICYGRAPH_API_LOG_LEVEL": "warning", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
           **env_extra}
    cmd = [sys.executable, "-m", "policygraph.api.serve", "--host", "127.0.0.1", "--port", str(port), "--mcp-path", ""]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    fh = open(log_path, "a")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=fh, stderr=subprocess.STDOUT)


def launch(data_dir: str | None, keys: str, name: str, **env_extra: str) -> tuple[subprocess.Popen, str, int, Path]:
    """A server on a free loopback port, its log under $TMPDIR: (process, url, port, log path)."""
    port = free_port()
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"policygraph-{name}-{port}.log"
    return start_server(data_dir, keys, port, log, **env_extra), f"http://127.0.0.1:{port}", port, log


def wait_ready(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    deadline = time.time() + timeout
    last = ""
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            r = httpx.get(f"{url}/readyz", timeout=5)
            if r.status_code == 200:
                return
            last = r.text
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(0.5)
    raise SystemExit(f"server not ready after {timeout:.0f}s: {last}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"
