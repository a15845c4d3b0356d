"""Errors that name what is wrong and where."""

from __future__ import annotations


class PolicyGraphError(Exception):
    """Base class of every error PolicyGraph raises on purpose."""


class IngestError(PolicyGraphError):
    """A document could not be ingested. Names the file, the line (1-based, when known) and the problem."""

    def __init__(self, path: str, problem: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}")

    def to_dict(self) -> dict:
        return {"file": self.path, "line": self.line, "problem": self.problem}


class NotFound(PolicyGraphError):
    """A rule, policy or term that does not exist was asked for."""


class StoreError(PolicyGraphError):
    """A store cannot be reached or is inconsistent."""
