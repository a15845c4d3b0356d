"""Policy lifecycle: drafts and rule-level diffs, dev-set impact, atomic publish with crash recovery,
effective dating, history, rollback and the audit log. See docs/lifecycle.md.

`open_engine(settings)` is how a data dir is opened for writing: it settles an interrupted publish
before anyone reads."""

from policygraph.lifecycle.diff import diff_documents, find_conflicts, render_text
from policygraph.lifecycle.manager import (
    ImpactProbe,
    Lifecycle,
    content_hash,
    open_engine,
    recover_interrupted_publish,
)

__all__ = ["ImpactProbe", "Lifecycle", "content_hash", "diff_documents", "find_conflicts", "open_engine",
           "recover_interrupted_publish", "render_text"]
