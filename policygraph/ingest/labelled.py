"""Labelled enforcement decisions as JSON Lines: the file format of `policygraph examples import`.

One object per line (blank lines and lines starting with `#` are skipped)::

    {"text": "Vendo éxtasis, envío discreto", "language": "es", "rule_id": "RG-2.1", "label": "violating",
     "source": "queue-2026-11"}
    {"text": "Ten years ago today...", "category": "violent_extremism", "label": "non_violating"}
    {"text": "Best lasagne recipe ever", "category": "none", "label": "non_violating"}

Every problem is reported as `file:line: problem`, and a file with any problem is refused whole.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from policygraph.errors import IngestError
from policygraph.models import LabelledDecision

SUFFIX = ".jsonl"
MAX_ROWS = 1_000_000


def is_labelled_file(path: Path) -> bool:
    return path.suffix.lower() == SUFFIX


def labelled_files(paths: list[Path]) -> list[Path]:
    """The `.jsonl` files among `paths` and inside the folders among them, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(f for f in sorted(p.rglob(f"*{SUFFIX}")) if f.is_file())
        elif is_labelled_file(p):
            out.append(p)
    return out


def read_labelled(path: Path, max_bytes: int | None = None) -> list[tuple[int, LabelledDecision]]:
    """(line number, row) for every row of one file; IngestError naming the line on the first problem."""
    p = Path(path)
    if not p.is_file():
        raise IngestError(str(p), "no such file")
    if max_bytes is not None and p.stat().st_size > max_bytes:
        raise IngestError(str(p), f"file is {p.stat().st_size} bytes, more than the limit of {max_bytes}")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise IngestError(str(p), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows: list[tuple[int, LabelledDecision]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            obj = json.loads(s)
        except json.JSONDecodeError as exc:
            raise IngestError(str(p), f"not valid JSON ({exc.msg} at column {exc.colno})", n) from None
        if not isinstance(obj, dict):
            raise IngestError(str(p), "each line must be one JSON object", n)
        try:
            row = LabelledDecision.model_validate(obj)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"]) or "row"
            raise IngestError(str(p), f"{where}: {err['msg']}", n) from None
        if row.rule_id is None and row.category is None:
            raise IngestError(str(p), "a row needs a rule_id or a category (\"none\" for benign content)", n)
        if row.category == "none" and row.label == "violating":
            raise IngestError(str(p), "category \"none\" means benign: label must be non_violating", n)
        if not row.text.strip():
            raise IngestError(str(p), "text is empty", n)
        rows.append((n, row))
        if len(rows) > MAX_ROWS:
            raise IngestError(str(p), f"more than {MAX_ROWS} rows in one file; split it", n)
    if not rows:
        raise IngestError(str(p), "no rows (one JSON object per line)")
    return rows
