"""The pydantic models shared by the engine, the CLI, the HTTP API, the MCP tool and the eval harness.

Two families:

* the **document model** (`PolicyDocument` and its parts) is what `ingest/` produces from a file and
  what the engine writes into the graph;
* the **answer model** (`ContentQuery` in, `PolicyContext` out) is the contract with the moderation
  agent (DESIGN.md §4).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from policygraph.codes import jurisdiction_code, language_code
from policygraph.taxonomy import Category

RuleKind = Literal["prohibited", "restricted", "allowed", "requirement"]
Severity = Literal["critical", "high", "medium", "low"]
Verdict = Literal["applies", "exception_may_apply", "possibly_applies", "not_applicable"]
PolicyStatus = Literal["draft", "published", "retired"]
SourceFormat = Literal["policygraph-md", "markdown", "text", "html", "yaml", "json"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- document model


class Span(_Model):
    """Where a piece of text came from: character offsets into the source file and its first line."""

    start: int
    end: int
    line: int


class TranslationSource(_Model):
    """The file and span a rule's translation was read from."""

    document: str
    span: Span


class SourceInfo(_Model):
    path: str
    sha256: str
    format: SourceFormat


class TermDoc(_Model):
    """A defined term with aliases per language: one canonical Term node per concept."""

    id: str
    term: str
    definition: str = ""
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    policy_id: str | None = None

    def all_aliases(self) -> list[tuple[str, str]]:
        """(language, alias) pairs, the canonical name included as English."""
        out = [("en", self.term)]
        for lang, names in self.aliases.items():
            out.extend((lang, n) for n in names)
        return out


class ExampleDoc(_Model):
    id: str
    rule_id: str
    label: Literal["violating", "non_violating"]
    language: str
    text: str
    rationale: str = ""


class RuleDoc(_Model):
    id: str
    title: str = ""
    kind: RuleKind = "prohibited"
    severity: Severity = "medium"
    actions: list[str] = Field(default_factory=list)
    jurisdictions: list[str] = Field(default_factory=lambda: ["GLOBAL"])
    exception_to: list[str] = Field(default_factory=list)
    overrides: list[str] = Field(default_factory=list)
    refers_to: list[str] = Field(default_factory=list)
    category: Category
    #: rule text per language (the original's language plus every translation)
    text: dict[str, str]
    #: rule title per language
    titles: dict[str, str] = Field(default_factory=dict)
    #: language detected on the original text
    language: str
    span: Span | None = None
    section_id: str = ""
    #: where each translation's text sits: language → (file, span), so citations point at the text shown
    translation_sources: dict[str, TranslationSource] = Field(default_factory=dict)


class SectionDoc(_Model):
    id: str
    title: str
    order: int
    titles: dict[str, str] = Field(default_factory=dict)
    rules: list[RuleDoc] = Field(default_factory=list)


class PolicyDocument(_Model):
    """One policy, parsed and validated, with the text of every translation merged in."""

    id: str
    title: str
    category: Category
    version: int = 1
    status: PolicyStatus = "published"
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    language: str
    languages: list[str]
    jurisdictions: list[str] = Field(default_factory=lambda: ["GLOBAL"])
    preamble: str = ""
    sections: list[SectionDoc]
    definitions: list[TermDoc] = Field(default_factory=list)
    examples: list[ExampleDoc] = Field(default_factory=list)
    source: SourceInfo
    translations: list[SourceInfo] = Field(default_factory=list)

    def rules(self) -> list[RuleDoc]:
        return [r for s in self.sections for r in s.rules]


class LabelledDecision(_Model):
    """One labelled enforcement decision, as moderation teams keep them (`policygraph examples import`,
    one JSON object per line). It becomes an Example node that illustrates a rule (or, for benign
    content, teaches what does *not* violate), and a vector the retrieval and the content classifier use.

    `rule_id` or `category` (or both) says what it is about; a category-only row attaches to the best
    rule of that category for its text. `category: "none"` is everyday content with no sensitive topic."""

    text: str = Field(min_length=1, max_length=20_000)
    language: str | None = Field(None, min_length=2, max_length=16, description="ISO 639 code; detected when absent")
    rule_id: str | None = Field(None, max_length=64)
    category: Category | Literal["none"] | None = None
    label: Literal["violating", "non_violating"]
    source: str = Field("import", max_length=200)
    kind: str = Field("", max_length=64, description="What sort of content: news, recipe, counter_speech...")
    note: str = Field("", max_length=2000)


class ExamplesReport(_Model):
    """What an examples import changed."""

    file: str
    rows: int
    added: int
    unchanged: int
    attached_by_category: int = Field(0, description="Rows that named a category only: attached to the best "
                                                    "rule of that category for their text")
    benign: int = Field(0, description="Rows about no rule (benign content): they teach what does not violate")
    vectors_embedded: int
    seconds: float


# --------------------------------------------------------------------------- answer model


class ContentQuery(_Model):
    """A piece of content to check against the policies."""

    text: str = Field(min_length=1, description="The content: caption, comment, transcript...")
    language: str | None = Field(None, description="ISO 639 code or BCP-47 tag (its language subtag is used); "
                                 "detected when absent")
    jurisdiction: str | None = Field(None, description="ISO 3166-1 alpha-2 or EU; rules for it override")
    at: dt.date | None = Field(None, description="Point in time; rules in force then (default: today)")
    top_k: int = Field(5, ge=1, le=50, strict=True, description="How many rules to return at most")

    @field_validator("language")
    @classmethod
    def _known_language(cls, v: str | None) -> str | None:
        return None if v is None else language_code(v)

    @field_validator("jurisdiction")
    @classmethod
    def _known_jurisdiction(cls, v: str | None) -> str | None:
        return None if v is None else jurisdiction_code(v)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Join the brothers who carried out the attack, glory to them", "jurisdiction": "DE"}
            ]
        },
    )


class Citation(_Model):
    document: str
    policy_id: str
    section: str
    version: int
    language: str
    span: Span | None = None


class Evidence(_Model):
    """One signal that put a rule in the answer."""

    signal: Literal["vector", "term", "example", "graph", "jurisdiction", "classifier"]
    score: float
    detail: str


class LinkedTerm(_Model):
    term_id: str
    term: str
    alias: str
    language: str
    start: int
    end: int


class RuleRef(_Model):
    rule_id: str
    title: str
    relation: Literal["exception", "override", "reference", "overridden_by"]
    score: float = 0.0
    matched: bool = Field(False, description="For exceptions: the content fits the exception closely enough "
                                             "to put the rule in doubt; for overrides: it applies here")


class RuleHit(_Model):
    rule_id: str
    policy_id: str
    policy_title: str
    category: Category
    version: int
    kind: RuleKind
    severity: Severity
    actions: list[str]
    jurisdictions: list[str]
    title: str
    text: str
    text_language: str
    score: float = Field(description="Similarity of the content to the rule: its text, its labelled examples, its "
                                     "defined terms")
    rank: float = Field(0.0, description="What the rules are ordered by: the score plus the content classifier's "
                                         "belief in the rule's category and in the rule (the first three rules hold "
                                         "at most two of one category while another qualifies)")
    verdict: Verdict
    evidence: list[Evidence]
    exceptions_checked: list[RuleRef] = Field(default_factory=list)
    overrides_checked: list[RuleRef] = Field(default_factory=list)
    definitions: list[str] = Field(default_factory=list)
    citations: list[Citation]


class QueryUnderstood(_Model):
    text: str
    language: str
    language_detected: bool
    jurisdiction: str | None
    at: dt.date
    linked_terms: list[LinkedTerm]
    words: int = Field(0, description="Words in the content (CJK/Thai characters count as half a word each)")
    low_information: bool = Field(False, description="Too little text to judge (fewer than 3 words and no "
                                                     "defined term): no rule is returned")
    normalized: str | None = Field(None, description="The text as linked and embedded, when obfuscation was undone "
                                                     "(leetspeak, look-alike letters, invisible characters...)")
    undone: list[str] = Field(default_factory=list, description="What normalisation undid, e.g. leetspeak, "
                                                               "confusables, invisible_characters, spaced_letters")


class PolicyContext(_Model):
    """What the moderation agent receives: the rules that apply, with evidence and citations."""

    query: QueryUnderstood
    rules: list[RuleHit]
    categories: list[Category] = Field(description="Categories of the returned rules, best first")
    rationale: str
    timings_ms: dict[str, float]


class IngestReport(_Model):
    """What an ingest changed."""

    policies: list[str]
    rules_written: int
    rules_unchanged: int
    vectors_embedded: int
    languages: list[str]
    terms: int
    examples: int
    seconds: float
    noop: bool = False


class RuleView(_Model):
    """One rule version as stored, for `show` and `GET /v1/rules/{id}`."""

    rule_id: str
    policy_id: str
    policy_title: str
    category: Category
    version: int
    kind: RuleKind
    severity: Severity
    actions: list[str]
    jurisdictions: list[str]
    title: str
    text: str
    language: str
    texts: dict[str, str]
    section: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    exceptions: list[str]
    exception_to: list[str]
    overrides: list[str]
    overridden_by: list[str]
    refers_to: list[str]
    terms: list[str]
    examples: list[dict]
    citation: Citation


class PolicySummary(_Model):
    policy_id: str
    title: str
    category: Category
    version: int
    status: PolicyStatus
    effective_from: dt.date | None
    effective_to: dt.date | None
    languages: list[str]
    rules: int
    source: str


# --------------------------------------------------------------------------- the agent's decision


class TraceStep(_Model):
    """One step the agent took: which node, what went in, what came out, how long it took."""

    node: str
    inputs: dict
    outputs: dict
    ms: float


class RuleDecision(_Model):
    rule_id: str
    policy_id: str
    category: Category
    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)
    rationale: str
    citations: list[Citation]


class RenderedPolicy(_Model):
    """A self-contained text of one applicable policy for a downstream moderation model."""

    policy_id: str
    title: str
    category: Category
    text: str
    approx_tokens: int


class Decision(_Model):
    """The agent's answer: the PolicyContext plus a verdict per rule, the trace and a rendering."""

    context: PolicyContext
    decisions: list[RuleDecision]
    ranked_categories: list[str]
    second_pass: bool = False
    llm_used: bool = False
    trace: list[TraceStep]
    rendered: list[RenderedPolicy] = Field(default_factory=list)


class AuditEntry(BaseModel):
    """One line of the audit log (`policygraph/audit.py`): who changed the stored corpus, how, when."""

    model_config = ConfigDict(extra="forbid")
    ts: str
    actor: str
    action: str
    policy_id: str | None = None
    version: int | None = None
    draft_id: str | None = None
    document_sha256: str | None = None
    source: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)
