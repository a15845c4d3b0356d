"""Policy lifecycle (issue 6): drafts and rule-level diffs, dev-set impact, atomic publish with crash
recovery, effective dating, history, rollback and an audit log. See docs/lifecycle.md."""

from policygraph.lifecycle.diff import diff_documents, find_conflicts, render_text
from policygraph.lifecycle.manager import Lifecycle, LifecycleError, content_hash, recover_interrupted_publish

__all__ = ["Lifecycle", "LifecycleError", "content_hash", "diff_documents", "find_conflicts",
           "recover_interrupted_publish", "render_text"]
