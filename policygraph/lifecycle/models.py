"""Pydantic models of the policy lifecycle: rule-level diffs, conflicts, drafts, history, audit,
dev-set impact. Same style as policygraph/models.py (extra fields forbidden)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ChangeKind = Literal["added", "removed", "text_changed", "metadata_changed", "moved", "renamed"]
CHANGE_KINDS: tuple[str, ...] = ("added", "removed", "renamed", "text_changed", "metadata_changed", "moved")
DraftStatus = Literal["pending", "published", "discarded"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldChange(_Model):
    field: str
    old: Any = None
    new: Any = None


class RuleChange(_Model):
    """What happened to one rule between the current version and the draft. A rule may carry several
    kinds at once: renamed + text_changed + moved."""

    rule_id: str = Field(description="The rule's id in the draft (in the current version when removed)")
    kinds: list[ChangeKind]
    old_rule_id: str | None = Field(None, description="Renamed rules: the id it had")
    similarity: float | None = Field(None, description="Renamed rules: word-level text similarity, 0..1")
    title: str = ""
    section: str = ""
    old_section: str | None = None
    metadata: list[FieldChange] = Field(default_factory=list)
    languages_changed: list[str] = Field(default_factory=list)
    text_diff: str = Field("", description="Word diff of the primary text: [-removed-] {+added+}")
    text: str = Field("", description="Added/removed rules: the text (shortened)")


class Conflict(_Model):
    """A rule of the draft whose text is nearly identical to another rule's."""

    kind: Literal["near_duplicate", "contradiction"]
    scope: Literal["within", "across"]
    rule_id: str
    other_rule_id: str
    other_policy_id: str
    similarity: float
    detail: str


class DiffReport(_Model):
    policy_id: str
    title: str
    base_version: int | None = Field(None, description="The current version compared against (None: a new policy)")
    version: int
    base_effective_from: dt.date | None = None
    effective_from: dt.date | None = Field(None, description="None: from the day it is published")
    effective_to: dt.date | None = None
    unchanged: bool = False
    counts: dict[str, int] = Field(default_factory=dict)
    changes: list[RuleChange] = Field(default_factory=list)
    policy_changes: list[FieldChange] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    document_sha256: str = ""


class Draft(_Model):
    id: str
    policy_id: str
    version: int
    base_version: int | None
    status: DraftStatus = "pending"
    author: str
    created_at: str
    source: str
    document_sha256: str
    content_hash: str
    kind: Literal["revision", "rollback"] = "revision"
    rollback_of: int | None = None
    #: importing a policy's earlier history: the document's past start date is kept (asked for explicitly)
    backfill: bool = False
    published_at: str | None = None
    published_by: str | None = None
    texts_embedded: int = 0
    diff: DiffReport


class VersionInfo(_Model):
    version: int
    effective_from: dt.date | None
    effective_to: dt.date | None = Field(None, description="The day the next version took over (exclusive)")
    state: Literal["in_force", "scheduled", "superseded", "never_in_force"]
    rules: int
    source: str
    document_sha256: str
    published_at: str | None = None
    published_by: str | None = None
    draft_id: str | None = None
    note: str = ""


class History(_Model):
    policy_id: str
    title: str
    versions: list[VersionInfo]
    damaged: list[str] = Field(default_factory=list, description="Stored version files that could not be read "
                                                                 "(file and problem); restore them from a backup")


class ImpactItem(_Model):
    id: str
    text: str
    expected_rules: list[str]
    current: list[str] = Field(description="rule:verdict served now")
    draft: list[str] = Field(description="rule:verdict the draft would serve")
    added: list[str]
    removed: list[str]


class EvaluationReport(_Model):
    draft_id: str
    at: dt.date
    items: int
    changed: int
    current_rule_recall: float | None
    draft_rule_recall: float | None
    changes: list[ImpactItem]
    seconds: float


class PublishReport(_Model):
    draft_id: str
    policy_id: str
    version: int
    effective_from: dt.date
    rules_written: int
    rules_changed: int
    vectors_embedded: int = Field(description="Texts the model had to embed at publish (0 when drafted first)")
    seconds: float
    noop: bool = False
