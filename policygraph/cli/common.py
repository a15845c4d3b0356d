"""What every CLI command shares: opening the data dir named by `--data-dir`/`--backend` (argument
types and progress bars live in `policygraph/terminal.py`, shared with `migrate` and `serve`)."""

from __future__ import annotations

from policygraph.engine import Engine
from policygraph.lifecycle import open_engine
from policygraph.settings import Settings


def engine_for(args: object) -> Engine:
    """The engine on the data dir the command line names, opened for writing (an interrupted publish
    is settled first)."""
    return open_engine(Settings.from_args(args))
