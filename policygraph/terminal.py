"""What command lines share (the `policygraph` CLI, `migrate`, `serve`, the eval harness): progress bars
on stderr and argument types that turn bad input into a one-line usage error naming the option."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from policygraph.codes import jurisdiction_code, language_code


def progress_bar(unit: str = "text") -> Callable[[str, int, int], None]:
    """A progress callback drawing one tqdm bar per stage on stderr."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit=unit, file=sys.stderr, leave=False)
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


# ------------------------------------------------------------------ argument types: bad input is a one-line
# usage error (exit 2) naming the option, never a traceback


def iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r}: use YYYY-MM-DD, e.g. 2026-06-01") from None


def language_arg(value: str) -> str:
    try:
        return language_code(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def jurisdiction_arg(value: str) -> str:
    try:
        return jurisdiction_code(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def content_arg(value: str) -> str:
    """The content to check; `-` reads it from standard input. Empty content is refused."""
    text = sys.stdin.read() if value == "-" else value
    if not text.strip():
        raise argparse.ArgumentTypeError("the content is empty: give the text to check (or - to read it from stdin)")
    return text


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}: give a whole number of at least 1")
    return n
