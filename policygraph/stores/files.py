"""Reading the JSON files a data dir keeps (stored documents, drafts, journals): a damaged file — torn by a
crash, truncated, edited by hand — is a `StoreError` naming the file and the problem, never a parser's
traceback, so readers can skip it and say so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from policygraph.errors import StoreError

M = TypeVar("M", bound=BaseModel)


def damage(path: Path, exc: BaseException) -> str:
    """One line: which file is damaged and how."""
    if isinstance(exc, json.JSONDecodeError):
        problem = f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); it may be truncated"
    elif isinstance(exc, ValidationError):
        e = exc.errors()[0]
        problem = f"unexpected content at {'.'.join(map(str, e['loc'])) or 'top level'}: {e['msg']}"
    elif isinstance(exc, UnicodeDecodeError):
        problem = "not UTF-8 text"
    else:
        problem = f"{type(exc).__name__}: {exc}"
    return f"{path} is damaged: {problem}"


def read_stored(path: Path, model: type[M] | None = None) -> Any:
    """The JSON in `path` (validated as `model` when given); StoreError naming the file when damaged."""
    try:
        text = path.read_text(encoding="utf-8")
        return model.model_validate_json(text) if model is not None else json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError and ValidationError are ValueErrors
        raise StoreError(damage(path, exc)) from None
