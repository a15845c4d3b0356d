"""The `policygraph` command line: `main.py` holds the parser and the core commands (ingest, ask, show,
stats, examples), `lifecycle.py` the authors' commands (diff, draft, publish, ...); `serve`, `eval` and
`migrate` register their own subcommands from their packages."""

from policygraph.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
