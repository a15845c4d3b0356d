"""What every CLI command shares: opening the data dir named by `--data-dir`/`--backend`, progress bars."""

from __future__ import annotations

import sys
from collections.abc import Callable

from policygraph.engine import Engine
from policygraph.lifecycle import open_engine
from policygraph.settings import Settings


def engine_for(args: object) -> Engine:
    """The engine on the data dir the command line names, opened for writing (an interrupted publish
    is settled first)."""
    return open_engine(Settings.from_args(args))


def progress_bar() -> Callable[[str, int, int], None]:
    """A progress callback drawing one tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="text", file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return progress
