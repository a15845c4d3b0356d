"""The audit log: one JSON line per change of the stored corpus, appended and fsync'd, never rewritten.

`<data_dir>/v1/lifecycle/audit.jsonl`. Every engine write that changed something records one entry
(`record_write`, called by the engine, so no writer can skip it); the lifecycle adds its own (draft, publish, rollback,
interrupted publish). Who: the `actor` given (CLI `--author`, the API key's id), else
`POLICYGRAPH_ACTOR`, else the OS user.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import threading
from pathlib import Path

from policygraph.models import AuditEntry, PolicyDocument

_lock = threading.Lock()


def audit_path(root: Path) -> Path:
    return root / "lifecycle" / "audit.jsonl"


def default_actor() -> str:
    if os.environ.get("POLICYGRAPH_ACTOR"):
        return os.environ["POLICYGRAPH_ACTOR"]
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in some containers
        return "unknown"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def append(root: Path, entry: AuditEntry) -> AuditEntry:
    path = audit_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = entry.model_dump_json() + "\n"
    with _lock, open(path, "a+b") as fh:
        # a torn last line (a crash mid-append) would swallow this entry: start on a line of its own
        if fh.tell() > 0:
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                line = "\n" + line
        fh.write(line.encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    return entry


def read(root: Path, policy_id: str | None = None, limit: int | None = None) -> list[AuditEntry]:
    path = audit_path(root)
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            e = AuditEntry.model_validate_json(line)
        except ValueError:  # a torn last line after a crash: skip it
            continue
        if policy_id is None or e.policy_id == policy_id:
            out.append(e)
    return out[-limit:] if limit else out


def record_write(root: Path, docs: list[PolicyDocument], context: dict | None) -> None:
    """Called by the engine after every write that changed the store (one entry per document)."""
    ctx = dict(context or {})
    for d in docs:
        append(root, AuditEntry(
            ts=now(), actor=ctx.get("actor") or default_actor(), action=ctx.get("action", "ingest"),
            policy_id=d.id, version=d.version, draft_id=ctx.get("draft_id"),
            document_sha256=d.source.sha256, source=d.source.path,
            detail={k: v for k, v in ctx.items() if k not in ("actor", "action", "draft_id")} | {
                "effective_from": d.effective_from.isoformat() if d.effective_from else None,
                "rules": len(d.rules())},
        ))


def record_examples(root: Path, path: str, added: int, context: dict | None) -> None:
    """Called by the engine after an examples import stored new rows."""
    ctx = dict(context or {})
    append(root, AuditEntry(ts=now(), actor=ctx.get("actor") or default_actor(), action="examples_import",
                            source=path, detail={k: v for k, v in ctx.items() if k != "actor"} | {"added": added}))
