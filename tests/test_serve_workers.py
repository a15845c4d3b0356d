"""`python -m policygraph.api.serve --workers 2`: a supervisor and two worker processes, each with its own
SO_REUSEPORT listening socket on one port, over one data directory (policygraph/api/serve.py).

A real process tree on a loopback port, like bench/served.py starts it: requests over new connections
(the kernel spreads them over the workers), the workers counted from /proc, a worker killed with SIGKILL
and replaced, an upload through one worker seen by the other, SIGTERM, and a port another socket holds.
Each worker loads the model and the corpus (tens of seconds on a small machine): every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import ingest_corpus
from test_api import NEW_POLICY, free_port

from policygraph.settings import PROJECT_ROOT

AGENT_KEY = "workers-agent-5c0e7a19d2"
AUTHOR_KEY = "workers-author-81f4b6e03a"
AGENT = {"X-API-Key": AGENT_KEY}
AUTHOR = {"X-API-Key": AUTHOR_KEY}
WORKERS = 2
START_TIMEOUT = 240.0  # supervisor + two workers loading the model and warming up, on two busy cores

DRONES = {"text": "Let's fly a drone full of fireworks and flares over the stadium crowd during the football "
                  "match tonight!", "top_k": 10}


# --------------------------------------------------------------------------- processes, from /proc


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat split after the command name (field 3, the state, comes first), or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return raw[raw.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    """The live child processes of `pid`: from /proc/<pid>/task/*/children where the kernel has it, else
    by scanning every process's parent id."""
    files = list(Path(f"/proc/{pid}/task").glob("*/children"))
    if files:
        kids = {int(x) for f in files for x in f.read_text().split()}
    else:
        kids = set()
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                st = _stat(int(d.name))
                if st is not None and int(st[1]) == pid:
                    kids.add(int(d.name))
    return sorted(k for k in kids if alive(k))


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def is_worker(pid: int) -> bool:
    """A multiprocessing spawn child (a worker), not the resource tracker the spawn context also starts."""
    return "--multiprocessing-fork" in cmdline(pid)


def alive(pid: int) -> bool:
    st = _stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def age_s(pid: int) -> float:
    """How long ago the process started (seconds)."""
    st = _stat(pid)
    assert st is not None, pid
    start_ticks = int(st[19])  # field 22 of /proc/<pid>/stat
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    return uptime - start_ticks / os.sysconf("SC_CLK_TCK")


def listening_pids(port: int) -> dict[int, int]:
    """{listening socket inode: pid holding it} for TCP sockets listening on 127.0.0.1:`port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        local, state, inode = f[1], f[3], f[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            inodes.add(inode)
    out: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fds = list((d / "fd").iterdir())
        except (PermissionError, FileNotFoundError, ProcessLookupError):
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                out[int(target[8:-1])] = int(d.name)
    return out


# --------------------------------------------------------------------------- the service


class Service:
    """One `serve --workers 2` process tree on a free loopback port, its output in a log file."""

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        self.data_dir = data_dir
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log = log_dir / "none.log"
        self.seen: set[int] = set()  # every process of the tree seen: cleaned up at the end

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log = self.log_dir / f"serve-{self.port}-{time.time_ns()}.log"
        self.proc = launch(self.data_dir, self.port, self.log)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def workers(self) -> list[int]:
        assert self.proc is not None
        kids = children(self.proc.pid)
        self.seen.update(kids)
        return [k for k in kids if is_worker(k)]

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except FileNotFoundError:
            return ""

    def why(self) -> str:
        status = self.proc.poll() if self.proc else None
        return f"supervisor status {status}; log:\n{self.log_tail()}"

    def get(self, path: str, timeout: float = 60.0, **kw) -> httpx.Response:
        """One request over a new connection (the kernel picks the worker that accepts it)."""
        with httpx.Client(base_url=self.url, timeout=timeout) as c:
            return c.get(path, **kw)

    def post(self, path: str, timeout: float = 120.0, **kw) -> httpx.Response:
        with httpx.Client(base_url=self.url, timeout=timeout) as c:
            return c.post(path, **kw)

    def wait_serving(self, timeout: float = START_TIMEOUT, streak: int = 16) -> None:
        """Until `streak` requests in a row over new connections are answered ready within 5 s each: with
        two workers on the port, each has then answered (all landing on one: about 2**-15)."""
        deadline = time.monotonic() + timeout
        ok = 0
        last = ""
        while time.monotonic() < deadline:
            assert self.running(), f"the service stopped while starting: {self.why()}"
            try:
                r = self.get("/readyz", timeout=5)
                last = f"{r.status_code} {r.text[:200]}"
                ok = ok + 1 if r.status_code == 200 else 0
            except httpx.HTTPError as exc:  # a worker still loading: its queue answers nothing yet
                last, ok = repr(exc), 0
            if ok >= streak:
                return
            if not ok:
                time.sleep(0.3)
        raise AssertionError(f"not every worker answered within {timeout:.0f}s (last: {last}); {self.why()}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.seen.update(children(self.proc.pid))
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(45)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        for pid in sorted(self.seen):  # anything of this tree still there (only ours: seen as its children)
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def launch(data_dir: Path, port: int, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYGRAPH_")}
    env.update({"POLICYGRAPH_API_KEYS": f"{AGENT_KEY}:agent,{AUTHOR_KEY}:author", "PYTHONPATH": str(PROJECT_ROOT),
                "POLICYGRAPH_API_LOG_LEVEL": "warning", "TOKENIZERS_PARALLELISM": "false", "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1"})
    cmd = [sys.executable, "-m", "policygraph.api.serve", "--workers", str(WORKERS), "--data-dir", str(data_dir),
           "--host", "127.0.0.1", "--port", str(port), "--mcp-path", ""]
    with open(log, "ab") as fh:
        return subprocess.Popen(cmd, cwd=str(PROJECT_ROOT), env=env, stdout=fh, stderr=subprocess.STDOUT)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory) -> Path:
    """The bundled corpus ingested into a data directory of its own (its embedding cache inside it)."""
    return ingest_corpus(tmp_path_factory.mktemp("workers-corpus") / "data")


@pytest.fixture(scope="module")
def tree(ingested, tmp_path_factory) -> Iterator[Service]:
    base = tmp_path_factory.mktemp("workers")
    shutil.copytree(ingested, base / "data")
    svc = Service(base / "data", base)
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def service(tree) -> Service:
    """The module's service, started (again, if an earlier story stopped it) and answering on every worker."""
    if not tree.running():
        tree.start()
        tree.wait_serving()
    return tree


def wait_for(pred, timeout: float, what: str, why=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout:.0f}s. {why()}")


def replaced_after_kill(service: Service, victim: int) -> None:
    """Kill `victim` with SIGKILL; the supervisor must start another worker and the service keep answering."""
    before = service.workers()
    assert victim in before and len(before) == WORKERS, before
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not alive(victim), 10, f"worker {victim} still alive after SIGKILL")

    def replaced() -> bool:
        assert service.running(), f"the supervisor stopped after worker {victim} was killed: {service.why()}"
        now = service.workers()
        return len(now) == WORKERS and victim not in now

    wait_for(replaced, 30, "no replacement worker started", service.why)
    new = sorted(set(service.workers()) - set(before))
    assert len(new) == 1, (before, service.workers())
    # the one that was not killed answers meanwhile; the new one joins when it has loaded
    r = service.get("/v1/policies", headers=AGENT)
    assert r.status_code == 200, r.text
    service.wait_serving()
    assert service.running() and sorted(service.workers()) == sorted(set(before) - {victim} | set(new))
    for _ in range(6):
        r = service.post("/v1/context", json={"text": "Buy 10,000 real followers for $5, fast delivery"},
                         headers=AGENT)
        assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- stories


def test_requests_over_new_connections_are_all_answered(service):
    codes = []
    for i in range(12):
        r = service.get("/v1/policies", headers=AGENT)
        codes.append(r.status_code)
        assert r.status_code == 200 and r.json()["count"] >= 14, r.text[:300]
        if i % 2 == 0:
            r = service.post("/v1/context", json={"text": f"Buy {1000 + i} real followers for $5, fast delivery"},
                             headers=AGENT)
            assert r.status_code == 200, r.text[:300]
            assert any(d["rule_id"].startswith("FS-") for d in r.json()["decisions"]), r.json()["decisions"]
    r = service.get("/v1/policies")
    assert r.status_code == 401  # every worker has the keys
    assert codes == [200] * 12


def test_the_supervisor_runs_two_workers_each_listening_on_the_port(service):
    assert service.proc is not None
    workers = service.workers()
    assert len(workers) == WORKERS, (workers, [cmdline(p) for p in children(service.proc.pid)])
    holders = listening_pids(service.port)
    assert sorted(holders.values()) == sorted(workers), (holders, workers)  # one socket each, none shared
    assert service.proc.pid not in holders.values()


def test_a_worker_killed_after_it_has_started_serving_is_replaced(service):
    """Both workers have answered requests (they are up); one of them dies. The supervisor starts another,
    whatever the time since start-up, and the service answers throughout."""
    victim = max(service.workers(), key=age_s)
    print(f"killing worker {victim}, started {age_s(victim):.1f}s ago")
    replaced_after_kill(service, victim)


def test_an_upload_through_one_connection_is_seen_on_every_other_connection(service):
    # the drone request decided (and remembered) before the upload, by whichever workers take it
    for _ in range(6):
        r = service.post("/v1/context", json=DRONES, headers=AGENT)
        assert r.status_code == 200, r.text[:300]
        assert not any(h["rule_id"].startswith("DRN-") for h in r.json()["context"]["rules"])
    n = service.get("/v1/policies", headers=AGENT).json()["count"]
    r = service.post("/v1/policies", json={"filename": "stadium-drones.md", "content": NEW_POLICY}, headers=AUTHOR)
    assert r.status_code == 201, r.text
    uploaded = time.monotonic()

    def every_connection_sees_it() -> bool:
        for _ in range(8):
            body = service.get("/v1/policies", headers=AGENT).json()
            if body["count"] != n + 1 or "stadium-drones" not in [p["policy_id"] for p in body["policies"]]:
                return False
        return True

    wait_for(every_connection_sees_it, 10, "the other worker does not list the uploaded policy")
    print(f"seen everywhere {time.monotonic() - uploaded:.2f}s after the upload answered")
    for _ in range(8):
        r = service.get("/v1/rules/DRN-1.1", headers=AGENT)
        assert r.status_code == 200 and r.json()["exceptions"] == ["DRN-1.2"], r.text[:300]
        r = service.post("/v1/context", json=DRONES, headers=AGENT)
        assert r.status_code == 200, r.text[:300]
        ids = [h["rule_id"] for h in r.json()["context"]["rules"]]
        assert "DRN-1.1" in ids, f"a decision made before the upload was served after it: {ids}"


def test_sigterm_stops_the_supervisor_and_every_worker_within_30_seconds(service):
    assert service.proc is not None
    tree_pids = children(service.proc.pid)
    workers = [p for p in tree_pids if is_worker(p)]
    assert len(workers) == WORKERS
    t0 = time.monotonic()
    service.proc.send_signal(signal.SIGTERM)
    try:
        status = service.proc.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the supervisor still runs 30s after SIGTERM: {service.why()}")
    took = time.monotonic() - t0
    assert status == 0, service.why()
    assert not [p for p in workers if alive(p)], "workers outlived the supervisor"
    wait_for(lambda: not [p for p in tree_pids if alive(p)], 10, "a process of the tree outlived the supervisor")
    assert not listening_pids(service.port), "something still listens on the port"
    with pytest.raises(httpx.ConnectError):
        service.get("/healthz", timeout=5)
    print(f"stopped in {took:.1f}s")


def test_a_port_held_by_a_socket_without_reuseport_stops_the_service_while_starting(ingested, tmp_path):
    """Another program holds the port (no SO_REUSEPORT): no worker can bind it, and the supervisor exits with
    status 1 and says why, instead of restarting workers forever."""
    shutil.copytree(ingested, tmp_path / "data")
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(8)
    port = holder.getsockname()[1]
    svc = Service(tmp_path / "data", tmp_path)
    try:
        t0 = time.monotonic()
        svc.start(port)
        assert svc.proc is not None
        try:
            status = svc.proc.wait(90)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the supervisor still runs 90s after its workers could not bind: {svc.why()}")
        print(f"exited with status {status} after {time.monotonic() - t0:.1f}s")
        assert status != 0, svc.why()
        assert "while starting" in svc.log_tail(20_000), svc.why()
        assert listening_pids(port) and set(listening_pids(port).values()) == {os.getpid()}  # still only ours
    finally:
        svc.stop()
        holder.close()
