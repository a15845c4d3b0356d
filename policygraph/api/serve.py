"""`policygraph serve`: the HTTP API (and the MCP endpoint at /mcp) on 127.0.0.1:8000 by default.

`add_serve_parser(sub)` adds the subcommand to the CLI's subparsers. On first start (no policies in
the store) it ingests the bundled corpus.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from policygraph.api.memory import enable_heap_freezing, few_malloc_arenas

log = logging.getLogger("policygraph.api.serve")


def add_serve_parser(sub) -> argparse.ArgumentParser:
    s = sub.add_parser("serve", help="run the HTTP API (and the MCP endpoint) over the engine",
                       description="Serve the HTTP API on HOST:PORT (default 127.0.0.1:8000, env "
                                   "POLICYGRAPH_API_HOST/PORT) with the MCP streamable HTTP endpoint at /mcp. "
                                   "API keys: POLICYGRAPH_API_KEYS='key:agent,key2:author' or "
                                   "POLICYGRAPH_API_KEYS_FILE. Ingests the bundled corpus on first start.")
    _add_serve_args(s)
    s.set_defaults(fn=cmd_serve)
    return s


def _add_serve_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1)")
    s.add_argument("--port", type=int, default=None, help="port (default 8000)")
    s.add_argument("--mcp-path", default=None, help="path of the MCP endpoint (default /mcp; '' to disable)")
    s.add_argument("--no-ingest", action="store_true", help="do not ingest the bundled corpus into an empty store")
    s.add_argument("--log-level", default=None, choices=["debug", "info", "warning", "error"])
    s.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes sharing the data dir (default 1, env POLICYGRAPH_API_WORKERS); "
                        "each loads its own model and splits the CPUs for embedding")


def build(args):
    """(app, api_config) for the parsed `serve` arguments; ingests the corpus on first start."""
    from policygraph.api.app import create_app
    from policygraph.api.config import ApiConfig
    from policygraph.api.service import ensure_corpus
    from policygraph.lifecycle import open_engine
    from policygraph.settings import Settings

    overrides = {}
    if args.host is not None:
        overrides["host"] = args.host
    if args.port is not None:
        overrides["port"] = args.port
    if args.mcp_path is not None:
        overrides["mcp_path"] = args.mcp_path
    if getattr(args, "log_level", None):
        overrides["log_level"] = args.log_level
    if getattr(args, "workers", None) is not None:
        overrides["workers"] = args.workers
    cfg = ApiConfig(**overrides)
    engine = open_engine(Settings.from_args(args))
    if not args.no_ingest:
        ensure_corpus(engine)
    return create_app(engine, cfg), cfg


def cmd_serve(args) -> int:
    import uvicorn

    from policygraph.api.config import ApiConfig

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    few_malloc_arenas()
    enable_heap_freezing()
    workers = args.workers if getattr(args, "workers", None) is not None else ApiConfig().workers
    if workers > 1:
        return _serve_workers(args, workers)
    app, cfg = build(args)
    level = _logging(cfg.log_level)
    log.warning("PolicyGraph API on http://%s:%d (docs /docs, MCP %s)", cfg.host, cfg.port, cfg.mcp_path or "off")
    # uvicorn's own access log is off: ours (api.access) names callers by role and key digest only
    uvicorn.run(app, host=cfg.host, port=cfg.port, log_level=level, access_log=False)
    return 0


def _logging(level: str) -> str:
    level = level.lower()
    logging.getLogger("api").setLevel(level.upper())
    if not logging.getLogger().handlers:
        logging.basicConfig(level=level.upper(), format="%(levelname)s %(name)s: %(message)s")
    return level


def _serve_workers(args, workers: int) -> int:
    """N processes on one port, each with its own engine on the same data dir: a publish through one is
    picked up by the others by the data dir's generation stamp, as a CLI write is. The corpus is ingested
    here first, once; each worker's embedder gets its share of the CPUs. Each worker binds the port itself
    (SO_REUSEPORT: the kernel spreads connections over them); a worker that dies is started again, one
    that cannot start stops the service with its error."""
    import multiprocessing
    import signal
    import time

    from policygraph.api.config import ApiConfig
    from policygraph.api.service import ensure_corpus
    from policygraph.lifecycle import open_engine
    from policygraph.settings import Settings

    settings = Settings.from_args(args)
    if not args.no_ingest:
        engine = open_engine(settings)
        ensure_corpus(engine)
        engine.close()
    # the workers rebuild everything from the environment
    env = {"POLICYGRAPH_DATA_DIR": str(settings.data_dir), "POLICYGRAPH_GRAPH_BACKEND": settings.graph_backend,
           "POLICYGRAPH_API_WORKERS": str(workers)}
    for name in ("host", "port", "mcp_path", "log_level"):
        if getattr(args, name, None) is not None:
            env[f"POLICYGRAPH_API_{name.upper()}"] = str(getattr(args, name))
    if settings.embed_threads is None:
        env["POLICYGRAPH_EMBED_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    os.environ.update(env)
    cfg = ApiConfig()
    _logging(cfg.log_level)
    ctx = multiprocessing.get_context("spawn")
    stopping = False

    def start():
        ready = ctx.Event()  # set by the worker once its server accepts connections
        p = ctx.Process(target=_worker_main, args=(ready,), name="policygraph-worker", daemon=False)
        p.start()
        return p, ready

    def stop_all(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    procs = [start() for _ in range(workers)]
    log.warning("PolicyGraph API on http://%s:%d with %d workers (docs /docs, MCP %s)", cfg.host, cfg.port, workers,
                cfg.mcp_path or "off")
    status = 0
    restarts: list[float] = []
    while not stopping:
        time.sleep(0.5)
        for i, (p, ready) in enumerate(procs):
            if p.is_alive() or stopping:
                continue
            if not ready.is_set():  # it never came up: a configuration error (port, data dir), say so and stop
                log.error("a worker exited with status %s while starting (before it served): stopping the service",
                          p.exitcode)
                status, stopping = 1, True
                break
            restarts = [t for t in restarts if time.monotonic() - t < 60] + [time.monotonic()]
            if len(restarts) > 2 * workers:
                log.error("workers keep dying (%d restarts in a minute): stopping the service", len(restarts))
                status, stopping = 1, True
                break
            log.warning("a worker exited with status %s: starting another", p.exitcode)
            procs[i] = start()
    for p, _ in procs:
        if p.is_alive():
            p.terminate()  # SIGTERM: uvicorn finishes the requests in flight
    for p, _ in procs:
        p.join(30)
        if p.is_alive():
            p.kill()
    return status


def _worker_main(ready) -> None:
    """One worker process: its own listening socket on the shared port, then uvicorn on it; `ready` is set
    once the server accepts connections (the supervisor restarts only workers that came up)."""
    import asyncio
    import socket

    import uvicorn

    from policygraph.api.config import ApiConfig

    cfg = ApiConfig()
    family = socket.AF_INET6 if ":" in cfg.host else socket.AF_INET
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    # every response waits for the client's delayed ACK (40 ms per request)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((cfg.host, cfg.port))
    except OSError as exc:  # the port taken by something else, an address not on this host: one line, no traceback
        logging.getLogger("policygraph.api.serve").error("cannot listen on %s:%d: %s", cfg.host, cfg.port, exc.strerror)
        raise SystemExit(2) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    config = uvicorn.Config(worker_app, factory=True, log_level=cfg.log_level.lower(), access_log=False)
    server = uvicorn.Server(config)

    async def serve() -> None:
        async def say_when_started() -> None:
            while not server.started and not server.should_exit:
                await asyncio.sleep(0.05)
            if server.started:
                ready.set()

        watcher = asyncio.create_task(say_when_started())
        try:
            await server.serve(sockets=[sock])
        finally:
            watcher.cancel()

    asyncio.run(serve())


def worker_app():
    """One worker's app (`--workers N`): settings from the environment the supervisor set up."""
    from policygraph.api.app import create_app
    from policygraph.api.config import ApiConfig
    from policygraph.lifecycle import open_engine
    from policygraph.settings import Settings

    cfg = ApiConfig()
    _logging(cfg.log_level)
    few_malloc_arenas()
    enable_heap_freezing()
    return create_app(open_engine(Settings()), cfg)


def main(argv: list[str] | None = None) -> int:
    """`python -m policygraph.api.serve [--data-dir D] [--host H] [--port P] ...`: the same as `policygraph serve`."""
    p = argparse.ArgumentParser(prog="python -m policygraph.api.serve", description="Serve the PolicyGraph HTTP API")
    p.add_argument("--data-dir", help="data directory (env POLICYGRAPH_DATA_DIR)")
    p.add_argument("--backend", choices=["networkx", "neo4j"], help="graph backend")
    _add_serve_args(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from policygraph.errors import PolicyGraphError

    try:
        return int(cmd_serve(args) or 0)
    except PolicyGraphError as exc:  # a damaged or unreachable store: say what, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
