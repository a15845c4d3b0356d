"""What command lines share (the `policygraph` CLI, `migrate`, `serve`, the eval harness): progress bars
on stderr and argument types that turn bad input into a one-line usage error naming the option."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

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


#: `--field NAME=VALUE`: the structured content fields the CLI takes (lists: repeat the option)
FIELD_NAMES = ("text", "title", "description", "transcript", "ocr_text", "hashtags", "comments", "media_type",
               "region", "signal", "declared_ai", "detector_score", "c2pa")


def field_arg(value: str) -> tuple[str, str]:
    """`NAME=VALUE` for `ask --field`; the value may be `-` (standard input) or `@FILE` (a file's text)."""
    name, sep, text = value.partition("=")
    name = name.strip()
    if not sep or name not in FIELD_NAMES:
        raise argparse.ArgumentTypeError(f"invalid field {value[:60]!r}: write NAME=VALUE with NAME one of "
                                         f"{', '.join(FIELD_NAMES)}")
    if text == "-":
        text = sys.stdin.read()
    elif text.startswith("@"):
        try:
            text = Path(text[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise argparse.ArgumentTypeError(f"--field {name}: cannot read {text[1:]!r}: {exc}") from None
    return name, text


def structured_content(base: dict, fields: list[tuple[str, str]]) -> dict:
    """A ContentQuery's fields from a JSON file's object (`base`) and `--field` options (they win; hashtags,
    comments, signal and c2pa add one item each). `signal` is LABEL:SCORE[:MODEL]. Raises ValueError
    naming the option."""
    out = dict(base)
    for name, value in fields:
        if name in ("hashtags", "comments"):
            out.setdefault(name, [])
            out[name] = [*out[name], value]
        elif name == "signal":
            label, _, rest = value.partition(":")
            score, _, model = rest.partition(":")
            try:
                out.setdefault("signals", [])
                out["signals"] = [*out["signals"], {"label": label.strip(), "score": float(score), "model": model}]
            except ValueError:
                raise ValueError(f"--field signal={value!r}: write LABEL:SCORE[:MODEL], e.g. weapon:0.93") from None
        elif name in ("declared_ai", "detector_score", "c2pa"):
            pv = dict(out.get("provenance") or {})
            if name == "declared_ai":
                if value.lower() not in ("true", "false"):
                    raise ValueError(f"--field declared_ai={value!r}: write true or false")
                pv[name] = value.lower() == "true"
            elif name == "detector_score":
                try:
                    pv[name] = float(value)
                except ValueError:
                    raise ValueError(f"--field detector_score={value!r}: write a number from 0 to 1") from None
            else:
                pv["c2pa"] = [*pv.get("c2pa", []), value]
            out["provenance"] = pv
        else:
            out[name] = value
    return out


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value!r}: give a whole number of at least 1")
    return n
