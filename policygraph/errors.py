"""Every error PolicyGraph raises on purpose, in one place. Each names what is wrong and where.

    PolicyGraphError                  base class; the CLI prints it as one line, never a traceback
    ├── IngestError                   a file was refused (file, line, problem); nothing was stored  → HTTP 400
    ├── NotFound                      no such rule, policy, term, draft or version                 → HTTP 404
    ├── ContentTooLong                content over the service's length limit                      → HTTP 422
    ├── Conflict                      the request clashes with what is stored                      → HTTP 409
    │   ├── VersionConflict           a document older than the stored version of its policy
    │   └── LifecycleError            a draft that is not pending, made against an old version, …
    ├── StoreError                    a store is inconsistent or refused a write                   → HTTP 500
    │   ├── StoreUnavailable          a store cannot be reached (Neo4j down, auth, no database)    → HTTP 503
    │   └── DimensionMismatch         a vector index built by another embedder
    ├── AgentUnavailable              the decision agent could not be loaded                       → HTTP 503
    └── NotServed                     the service did not do the work asked for
        ├── Overloaded                too much work queued (for this key or in all): refused at once → HTTP 429
        ├── DeadlineExceeded          the request's time ran out (queued or running)              → HTTP 503
        └── Cancelled                 the client left: its queued or running work was dropped      (no answer)

The HTTP mapping lives in `policygraph/api/errors.py`; the MCP server turns these into tool errors.
"""

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


class ContentTooLong(PolicyGraphError):
    """Content longer than the service accepts; `field` names the request field."""

    def __init__(self, length: int, limit: int, field: str = "text") -> None:
        self.length, self.limit, self.field = length, limit, field
        super().__init__(f"content is {length:,} characters, over the limit of {limit:,}")


class Conflict(PolicyGraphError):
    """The request clashes with what is stored; sending the same request again will not help."""


class VersionConflict(Conflict):
    """A document is older than the stored version of its policy."""


class LifecycleError(Conflict):
    """A lifecycle step that does not fit the state of the draft or policy (policygraph/lifecycle)."""


class StoreError(PolicyGraphError):
    """A store is inconsistent or refused a write (a bad property, a missing edge end, a failed check)."""


class StoreUnavailable(StoreError):
    """A store cannot be reached: the server is down, refuses the credentials or lacks the database.
    Trying again later may work."""


class DimensionMismatch(StoreError, ValueError):
    """A stored vector index has another dimension than the embedder gives (built by another model)."""


class AgentUnavailable(PolicyGraphError):
    """The decision agent (policygraph.agent) could not be loaded."""


__all__ = [
    "AgentUnavailable", "Conflict", "ContentTooLong", "DimensionMismatch", "IngestError", "LifecycleError",
    "NotFound", "PolicyGraphError", "StoreError", "StoreUnavailable", "VersionConflict",
]


class NotServed(PolicyGraphError):
    """The service did not do the work asked for; `retry_after` (seconds) says when to try again."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class Overloaded(NotServed):
    """Too much work is queued (for the caller's key, or in all): refused before any work was done."""


class DeadlineExceeded(NotServed):
    """The request's deadline passed while it waited for a turn or while it ran; the work was stopped."""


class Cancelled(NotServed):
    """The client went away; its work was stopped at the next step."""
