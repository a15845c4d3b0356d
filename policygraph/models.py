"""The pydantic models shared by the engine, the CLI, the HTTP API, the MCP tool and the eval harness.

Two families:

* the **document model** (`PolicyDocument` and its parts) is what `ingest/` produces from a file and
  what the engine writes into the graph;
* the **answer model** (`ContentQuery` in, `PolicyContext` out) is the contract with the moderation
  agent (DESIGN.md §4).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

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


#: a signal label: lower-case letters, digits and _ . : - (what classifiers emit: weapon, minor_present...)
SIGNAL_LABEL = r"^[a-z0-9][a-z0-9_.:-]{0,63}$"


class SignalMapping(_Model):
    """An upstream classifier label mapped to a rule or a defined term (`signals:` in the authoring
    format): content carrying the label at `min_score` or more reaches the rule (or links the term)."""

    label: str = Field(pattern=SIGNAL_LABEL)
    min_score: float = Field(0.5, ge=0.0, le=1.0)
    applies: bool = Field(False, description="Rules only: the label alone is enough for the verdict 'applies' "
                                             "(for facts the signal establishes, e.g. undisclosed AI content)")


class TermDoc(_Model):
    """A defined term with aliases per language: one canonical Term node per concept."""

    id: str
    term: str
    definition: str = ""
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    policy_id: str | None = None
    signals: list[SignalMapping] = Field(default_factory=list)

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
    #: upstream labels that bring content to this rule
    signals: list[SignalMapping] = Field(default_factory=list)
    #: labels whose presence means the rule is met (a requirement fulfilled, e.g. ai_disclosed)
    satisfied_by: list[SignalMapping] = Field(default_factory=list)


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


MediaType = Literal["video", "image", "live", "audio", "text"]

#: the validation error type of a query with nothing to check (the HTTP API names the field `text`)
EMPTY_CONTENT = "missing_content"
#: the text fields of a piece of content, in the order they are read (and joined)
TEXT_FIELDS = ("title", "description", "text", "transcript", "ocr_text", "hashtags", "comments")
#: labels derived from a request's `provenance` (policygraph/content.py); an upstream classifier may not send them
RESERVED_LABELS = ("ai_generated", "ai_disclosed", "ai_generated_undisclosed")


class UpstreamSignal(_Model):
    """A label from an upstream classifier (vision, audio, text), with its score. Policy authors map
    labels to rules and defined terms (`signals:` in the authoring format)."""

    label: str = Field(pattern=SIGNAL_LABEL, description="The classifier's label, e.g. weapon, nudity, minor_present")
    score: float = Field(ge=0.0, le=1.0, description="The classifier's score for the label, 0..1")
    model: str = Field("", max_length=100, description="Which classifier said so (for the audit trail)")


class Provenance(_Model):
    """What is known about how the content was made (AI-generated content, AIGC)."""

    declared_ai: bool | None = Field(None, description="The creator turned on the AI-generated label (true), "
                                                       "declared it not AI (false), or said nothing (null)")
    c2pa: list[Annotated[str, Field(max_length=300)]] = Field(
        default_factory=list, max_length=50,
        description="C2PA content-credential claims, e.g. 'c2pa.created: trainedAlgorithmicMedia'")
    detector_score: float | None = Field(None, ge=0.0, le=1.0, description="An AI-content detector's score, 0..1")


class ContentQuery(_Model):
    """A piece of content to check against the policies: one text (`text`), or what the moderation
    agent saw of a video, image, live stream or post, field by field. At least one text field, a
    signal or provenance is needed."""

    text: str | None = Field(None, min_length=1, description="The content as one text: caption, comment, "
                                                               "transcript... (the simple case)")
    title: str | None = Field(None, min_length=1, max_length=1_000, description="Title of the video or post")
    description: str | None = Field(None, min_length=1, max_length=20_000, description="Description or caption")
    transcript: str | None = Field(None, min_length=1, description="Speech transcript (ASR)")
    ocr_text: str | None = Field(None, min_length=1, max_length=50_000,
                                 description="On-screen and in-image text (OCR)")
    hashtags: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=100, description="Hashtags, with or without '#'; split into words")
    comments: list[Annotated[str, Field(min_length=1, max_length=5_000)]] = Field(
        default_factory=list, max_length=50, description="A few comments under the content")
    media_type: MediaType | None = Field(None, description="video, image, live, audio or text")
    signals: list[UpstreamSignal] = Field(default_factory=list, max_length=100,
                                          description="Labels from upstream classifiers, with scores")
    provenance: Provenance | None = Field(None, description="AIGC provenance: declared label, C2PA, detector")
    region: str | None = Field(None, description="Where it was posted (ISO 3166-1 alpha-2 or EU); the "
                                                 "jurisdiction when none is given")
    language: str | None = Field(None, description="ISO 639 code or BCP-47 tag (its language subtag is used); "
                                 "detected when absent (per field for structured content)")
    jurisdiction: str | None = Field(None, description="ISO 3166-1 alpha-2 or EU; rules for it override")
    at: dt.date | None = Field(None, description="Point in time; rules in force then (default: today)")
    top_k: int = Field(5, ge=1, le=50, strict=True, description="How many rules to return at most")

    @field_validator("language")
    @classmethod
    def _known_language(cls, v: str | None) -> str | None:
        return None if v is None else language_code(v)

    @field_validator("jurisdiction", "region")
    @classmethod
    def _known_jurisdiction(cls, v: str | None) -> str | None:
        return None if v is None else jurisdiction_code(v)

    @field_validator("signals")
    @classmethod
    def _not_reserved(cls, v: list[UpstreamSignal]) -> list[UpstreamSignal]:
        for s in v:
            if s.label in RESERVED_LABELS:
                raise ValueError(f"{s.label!r} is derived from provenance: send provenance (declared_ai, c2pa, "
                                 "detector_score) instead")
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> ContentQuery:
        if not self.has_text() and not self.signals and self.provenance is None:
            raise PydanticCustomError(EMPTY_CONTENT, "the content is empty: give text, or at least one of title, "
                                      "description, transcript, ocr_text, hashtags, comments, signals, provenance")
        return self

    def has_text(self) -> bool:
        """Whether any text field holds a word (whitespace and a bare '#' are nothing to read)."""
        return any(x.strip(" \t\r\n#＃") for x in self.field_texts().values())

    def structured(self) -> bool:
        """Whether anything beyond the one `text` was sent."""
        return any(getattr(self, f) for f in TEXT_FIELDS if f != "text") or bool(self.signals) \
            or self.provenance is not None or self.media_type is not None

    def field_texts(self) -> dict[str, str]:
        """Each text field as sent (hashtags and comments: one entry per item, `hashtags[0]`...)."""
        out: dict[str, str] = {}
        for f in TEXT_FIELDS:
            v = getattr(self, f)
            if isinstance(v, list):
                out.update((f"{f}[{i}]", x) for i, x in enumerate(v))
            elif v:
                out[f] = v
        return out

    @property
    def where(self) -> str | None:
        """The jurisdiction the content is judged in: the one asked for, else where it was posted."""
        return self.jurisdiction or self.region

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "Join the brothers who carried out the attack, glory to them", "jurisdiction": "DE"},
                {"title": "My morning routine ☕", "description": "just vibes ✨ #dayinmylife",
                 "transcript": "so if you want the pills hit me up on telegram same day delivery cash only",
                 "ocr_text": "💊 menu in bio", "hashtags": ["#MorningRoutine", "#plug_life"],
                 "media_type": "video", "signals": [{"label": "drugs", "score": 0.71, "model": "vision-v3"}],
                 "provenance": {"declared_ai": False, "detector_score": 0.04}, "region": "ES"},
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
    """One signal that put a rule in the answer, and the part of the content it came from."""

    signal: Literal["vector", "term", "example", "graph", "jurisdiction", "classifier", "upstream_signal",
                    "provenance"]
    score: float
    detail: str
    field: str | None = Field(None, description="Which field of the content: text, title, description, transcript, "
                                                "ocr_text, hashtags[i], comments[i], signals, provenance (none for "
                                                "graph paths)")
    start: int | None = Field(None, description="Character span inside that field, as sent")
    end: int | None = None
    excerpt: str | None = Field(None, description="The words of the field that matched (at most 160 characters)")


class LinkedTerm(_Model):
    term_id: str
    term: str
    alias: str
    language: str
    start: int = Field(description="Character span in the content's text (`query.text`)")
    end: int
    field: str | None = Field(None, description="For structured content: the field it is in (span inside it: "
                                                "field_start, field_end), or 'signals' when an upstream label "
                                                "mapped to the term")
    field_start: int | None = None
    field_end: int | None = None


class FieldRead(_Model):
    """How one field of structured content was read."""

    field: str
    language: str
    start: int = Field(description="Where the field sits in `query.text` (the fields joined by blank lines)")
    end: int
    words: int


class ProvenanceRead(_Model):
    """What the answer concluded about AI generation and disclosure."""

    ai_generated: float | None = Field(None, description="How sure it is that the content is AI-generated (0..1): "
                                                         "the detector score, 1 for C2PA AI claims or a declared label")
    disclosed: bool = Field(description="Whether the creator disclosed it as AI-generated (declared_ai)")
    basis: list[str] = Field(default_factory=list, description="What that was concluded from")


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
    fields: list[FieldRead] = Field(default_factory=list, description="Structured content: each field, its "
                                                                     "language and where it sits in `text`")
    signals: list[UpstreamSignal] = Field(default_factory=list, description="Upstream labels considered, those "
                                                                            "derived from provenance included")
    provenance: ProvenanceRead | None = None
    media_type: MediaType | None = None


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
    notices: list[str] = Field(default_factory=list, description="What a reader should check, e.g. a document "
                                                                 "whose structure was guessed (no front matter)")


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
    signals: list[SignalMapping] = Field(default_factory=list, description="Upstream labels mapped to the rule")
    satisfied_by: list[SignalMapping] = Field(default_factory=list, description="Labels that mean the rule is met")


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
    cached: bool = Field(False, description="Served from the decision cache: the same request was decided "
                                            "against the same corpus version moments ago (timings are that run's)")

    def compact(self) -> CompactDecision:
        """What an agent needs to act on: rule ids, verdicts, the rendered policies (`view=compact`)."""
        u = self.context.query
        return CompactDecision(
            decisions=[CompactRuleDecision(rule_id=d.rule_id, policy_id=d.policy_id, category=d.category,
                                           verdict=d.verdict, confidence=d.confidence) for d in self.decisions],
            categories=self.context.categories, language=u.language, jurisdiction=u.jurisdiction, at=u.at,
            low_information=u.low_information, rendered=self.rendered, cached=self.cached)


class CompactRuleDecision(_Model):
    rule_id: str
    policy_id: str
    category: Category
    verdict: Verdict
    confidence: float = Field(ge=0.0, le=1.0)


class CompactDecision(_Model):
    """The decision without evidence, citations, rationale or trace (`view=compact`): a fifth of the bytes,
    for an agent that reads the rendered policies and the verdicts only."""

    decisions: list[CompactRuleDecision]
    categories: list[Category]
    language: str
    jurisdiction: str | None
    at: dt.date
    low_information: bool
    rendered: list[RenderedPolicy]
    cached: bool = False


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
