"""The builder: blocks -> a `PolicyDocument`, and `parse_generic`, the generic parser's entry point.

`markdown`, `plaintext` and `html` read a document into one flat list of *blocks* (headings,
paragraphs, list items, each with its character span in the ORIGINAL text); this module turns blocks
into sections and rules. What it does, in order:

1. **Metadata lines** ("Released April 17, 2024", "Effective May 17, 2024", "_Last updated, December
   2020_") are dropped as rule text; the effective date is read from the whole text (`ids.find_date`).
2. **Title.** The first heading is the document title (and gives the policy id when none is passed).
   It is *consumed* (kept out of the section paths) when nothing but images precedes it and either
   it is the only heading of its level or shallower, or the next heading is no deeper and no text
   comes between the two (e.g. `### Community Guidelines` followed by a `---` underlined heading).
   Otherwise it stays a section like any other.
3. **Sections.** Headings nest by level: Markdown ATX (`#`) and setext (`===` level 1, `---` level
   2); a paragraph that is entirely bold, short and without final punctuation (`**Our Rules**`) is
   a heading one level below the last real heading; HTML h1-h6 (and a `<p>` holding only a short
   `<strong>`) likewise. Plain text: ALL-CAPS lines, numbered headings ("1. Scope" alone between
   blank lines, "1.2 Scope"), underlined lines (`===`/`---`) and short lines without final
   punctuation standing alone are headings; their styles get levels in order of first appearance
   (the docutils convention), numbered ones by depth. Paragraphs are runs of lines between blank
   lines, or single lines where the text is written one paragraph per line (lines over 100 chars);
   bullets are `-`, `*`, `•`, `1)`, `a)`, `1.` with their indented or wrapped continuation lines.
   A section id is the slug path of its heading titles (`safety-and-civility/violent-and-criminal-
   behavior`; `-2`, `-3` when a path repeats); its title is the heading text; every rule's title is
   the readable path ("Safety and Civility › Violent and Criminal Behavior", plus its label and bold
   lead-in). Content before any section heading goes into a section named after the document
   title. Sections that end up with no rule are left out (their titles stay in the title paths).
4. **Labels.** A short stand-alone line that is ALL CAPS (`NOT ALLOWED`, `FYF INELIGIBLE`), a bold
   line ending in a colon (`**Do not post, upload, stream, or share:**`) or a short line with no
   final punctuation (`Terrorist organizations`, `More information`) is not a rule but a *label*:
   it tells the kind and actions of the rules after it (until the next label or heading) and is
   appended to their title. In plain text, ALL-CAPS lines are headings instead, except the ones
   that name a kind (NOT ALLOWED, ALLOWED, AGE-RESTRICTED, ...).
5. **Rules.** Every paragraph and every list item (with its nested items and continuation lines)
   is one rule. A paragraph or item ending in a colon (a lead-in: "Disclosure isn't needed when:")
   is prepended to the next block; a fragment shorter than `MIN_RULE_CHARS` (a lone link, a
   one-word list item) is appended to the previous rule of the same section and label (a run of
   such items becomes "a; b; c"), else prepended to the next, else dropped; a short "Learn more"
   is dropped. Blocks with fewer than two letters (rules drawn with dashes) are dropped. A rule longer
   than `MAX_RULE_CHARS` is split at sentence ends. Rule text is plain text: Markdown emphasis and
   list markers are dropped and links reduced to their text; the span still points at the original.
6. **Rule ids** are `{PREFIX}-{HASH}`: PREFIX = initials of the policy id (community-guidelines ->
   CG), HASH = the first 8 hex digits (upper case) of the sha1 of the whitespace-normalised rule
   text. The same text re-ingested, or unchanged in another version of the document, gets the same
   id. The same text again in another section hashes the section id in as well; the same text again
   in the same section gets `-2`, `-3`.
7. **Category** (deterministic keyword scoring, see `classify`): a section whose own heading scores
   takes the best category of its heading; else it inherits its nearest categorised ancestor's;
   else its text decides when the signal is clear; else the document fallback (the most common rule
   category). A rule keeps its section's category unless its own text (and bold lead-in) scores
   clearly for another one and not at all for the section's.
8. **Kind** (first that applies): for a list item under a label, the label's kind; a pointer
   ("Learn more about ...", "See our ...") -> requirement; else the rule's own wording, the cue
   stated first winning: prohibitive ("don't allow", "not allowed", "prohibited", "we remove",
   "are removed", "do not post", "never ...", "must not") -> prohibited; "not eligible for the FYF"
   / "ineligible for recommendation" / "age-restricted" / "18 years and older" -> restricted;
   "we allow", "allowed", "permitted" -> allowed; with none of those, "must", "required", "need
   to" -> requirement; else the label's kind; else, for a list item, the kind stated by the
   paragraph introducing its list; else a heading that names a kind ("Ineligible for the For You
   feed"); else requirement. So "We don't allow X ... Y may be allowed" is a prohibition and
   "X may be ineligible for the FYF (we remove Y)" a restriction.
   **Actions**: those the text (and the label or heading that gave the kind) names: remove,
   age_restrict, label, reduce_reach, warn, escalate, suspend_account, strike, demonetize. A
   prohibition always includes remove, a restriction reduce_reach unless it names age_restrict;
   allowed -> [label]; a requirement that names none -> [none].
   **Severity**: allowed -> low; restricted and requirement -> medium; prohibited -> critical in
   child sexual abuse and terrorism sections, high for violence, hate, extremism, child safety,
   self-harm and adult sexual abuse, else medium (only when the category came from a signal, not
   from the document fallback).

Known limits: spans in HTML are found by searching the element's words in the source (else the
tag's start); Markdown code blocks and raw HTML blocks are skipped; tables give one rule per body
row; the keyword lists are English only (other languages fall back to the structure).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from policygraph.errors import IngestError
from policygraph.ingest.generic.blocks import (
    END_PUNCT,
    MAX_HEADING_CHARS,
    Block,
    is_caps,
    line_spans,
    offset_to_line,
    rstrip_end,
    word_spans,
)
from policygraph.ingest.generic.classify import (
    KIND_MARKER,
    REFERENCE,
    best_category,
    clear_winner,
    cue,
    fallback_category,
    most_common_category,
    norm_text,
    rule_actions,
    rule_category,
    rule_kind,
    rule_severity,
    score,
    sum_scores,
)
from policygraph.ingest.generic.html import html_blocks
from policygraph.ingest.generic.ids import METADATA, RuleIds, dedupe, find_date, heading_slug, rule_prefix, slugify
from policygraph.ingest.generic.markdown import md_blocks
from policygraph.ingest.generic.plaintext import txt_blocks
from policygraph.language import detect_language
from policygraph.models import PolicyDocument, RuleDoc, SectionDoc, SourceInfo, Span
from policygraph.taxonomy import Category

__all__ = ["MAX_RULE_CHARS", "MIN_RULE_CHARS", "parse_generic"]

#: shorter rule texts are merged into a neighbour (or dropped)
MIN_RULE_CHARS = 40
#: longer rule texts are split at sentence ends
MAX_RULE_CHARS = 3000
_SPLIT_TARGET = 1500
#: a lead-in ("...including:") longer than this stays a rule of its own
_MAX_LEAD_CHARS = 300
_TITLE_SEP = " › "


@dataclass
class _Piece:
    """A rule in the making: text pieces and the span they cover."""

    text: str
    start: int
    end: int
    line: int
    is_item: bool
    lead: str
    label: str
    led: bool = False  # starts with a carried lead-in ("We don't allow:" + first item)


@dataclass
class _Node:
    title: str
    level: int
    parent: _Node | None
    id: str = ""
    entries: list[tuple[str, Block]] = field(default_factory=list)  # ("label"|"block", block)
    rules: list[_Piece] = field(default_factory=list)
    category: Category | None = None
    provenance: str = ""  # title | ancestor | text | fallback

    def path(self) -> list[str]:
        out: list[str] = []
        node: _Node | None = self
        while node is not None:
            if node.title:
                out.append(node.title)
            node = node.parent
        return out[::-1]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


def _has_letters(text: str, n: int) -> bool:
    for c in text:
        if c.isalpha():
            n -= 1
            if n <= 0:
                return True
    return False


def _ends_colon(text: str) -> bool:
    return text.rstrip().endswith(":")


def _is_link_only(block: Block) -> bool:
    return block.has_link and len(block.text) < MIN_RULE_CHARS


def _label_of(block: Block, fmt: str) -> bool:
    """Whether a paragraph is a label (context for the rules after it), not a rule."""
    if block.kind != "para" or not block.single_line:
        return block.label
    if block.label:
        return True
    text = block.text
    norm = norm_text(text)
    if len(text) <= 60 and is_caps(text):
        return True
    if block.bold_only and _ends_colon(text) and len(text) <= 100:
        return True
    if len(text) <= 60 and KIND_MARKER.match(norm) and (is_caps(text) or _ends_colon(text) or block.bold_only):
        return True
    return (
        fmt != "text"
        and len(text) < MIN_RULE_CHARS
        and text[-1] not in END_PUNCT
        and any(c.isalpha() for c in text)
        and not norm.startswith("learn more")
        and not _is_link_only(block)
    )


def _bold_heading(block: Block) -> bool:
    text = block.text
    return (
        block.kind == "para"
        and block.bold_only
        and block.single_line
        and not block.has_link
        and 0 < len(text) <= MAX_HEADING_CHARS
        and text[-1] not in END_PUNCT
        and not is_caps(text)
        and not norm_text(text).startswith("learn more")
    )


def _split_long(piece: _Piece, original: str) -> list[_Piece]:
    """Split a rule longer than MAX_RULE_CHARS at sentence ends into chunks of about _SPLIT_TARGET."""
    if len(piece.text) <= MAX_RULE_CHARS:
        return [piece]
    sentences = re.split(r"(?<=[.!?;])\s+", piece.text)
    chunks: list[str] = []
    cur = ""
    for s in sentences:
        while len(s) > MAX_RULE_CHARS:  # one giant "sentence": cut at a space
            cut = s.rfind(" ", 0, _SPLIT_TARGET)
            cut = cut if cut > 0 else _SPLIT_TARGET
            if cur:
                chunks.append(cur)
                cur = ""
            chunks.append(s[:cut].strip())
            s = s[cut:].strip()
        if cur and len(cur) + 1 + len(s) > _SPLIT_TARGET:
            chunks.append(cur)
            cur = s
        else:
            cur = f"{cur} {s}".strip()
    if cur:
        chunks.append(cur)
    # a chunk starts where its first word sits in the original (words are found in order, so markup
    # and link targets in between are skipped over)
    positions = [pos for pos, _n in word_spans(original, piece.start, piece.end, piece.text)]
    starts, _ = line_spans(original)
    out: list[_Piece] = []
    word = 0
    for chunk in chunks:
        start = piece.start if not out else positions[min(word, len(positions) - 1)]
        out.append(
            _Piece(chunk, start, piece.end, offset_to_line(starts, start), piece.is_item, piece.lead, piece.label)
        )
        word += len(chunk.split())
    for k in range(len(out) - 1):  # each chunk ends where the next begins
        out[k].end = max(out[k].start + 1, rstrip_end(original, out[k].start, out[k + 1].start))
    return out


def _merge(a: _Piece, b: _Piece, sep: str, *, led: bool = False) -> _Piece:
    return _Piece(
        f"{a.text}{sep}{b.text}",
        min(a.start, b.start),
        max(a.end, b.end),
        a.line if a.start <= b.start else b.line,
        a.is_item or b.is_item,
        a.lead or b.lead,
        a.label or b.label,
        led or a.led,
    )


def _node_rules(node: _Node, original: str) -> list[_Piece]:
    """Paragraphs and items of one section -> rule pieces (short fragments merged, lead-ins carried)."""
    out: list[_Piece] = []
    out_label: list[str] = []  # the label each output rule was made under
    carry: _Piece | None = None
    label = ""

    def flush_carry() -> None:
        nonlocal carry
        if carry is None:
            return
        if len(carry.text) >= MIN_RULE_CHARS:
            out.append(carry)
            out_label.append(carry.label)
        elif out:
            out[-1] = _merge(out[-1], carry, " ")
        carry = None

    for what, block in node.entries:
        if what == "label":
            flush_carry()
            label = block.text
            continue
        piece = _Piece(block.text, block.start, block.end, block.line, block.kind == "item", block.lead, label)
        if carry is not None:
            if len(carry.text) >= MIN_RULE_CHARS and not _ends_colon(carry.text):
                flush_carry()
            else:
                piece = _merge(carry, piece, " ", led=_ends_colon(carry.text) and not carry.is_item)
                carry = None
        if _ends_colon(piece.text) and len(piece.text) <= _MAX_LEAD_CHARS:
            carry = piece
            continue
        if len(piece.text) < MIN_RULE_CHARS:
            if REFERENCE.match(norm_text(piece.text)):
                continue  # "Learn more": nothing without its link
            if out and out_label[-1] == label:
                sep = "; " if (out[-1].is_item and piece.is_item) else " "
                out[-1] = _merge(out[-1], piece, sep)
            else:
                carry = piece
            continue
        out.append(piece)
        out_label.append(label)
    flush_carry()
    return [p for piece in out for p in _split_long(piece, original)]


@dataclass
class _Draft:
    """A rule piece, the section it is in, and its category before the document fallback."""

    node: _Node
    piece: _Piece
    category: Category | None
    signalled: bool  # the category came from a signal (a heading, the text), not from the fallback


def _assign_levels(blocks: list[Block]) -> None:
    """Heading levels (step 3): a bold paragraph taken for a heading sits one level below the last
    real heading; plain-text heading styles get levels in order of first appearance."""
    style_levels: dict[str, int] = {}
    last_real = 0
    for b in blocks:
        if b.kind == "para" and _bold_heading(b):
            b.kind, b.style = "heading", "bold"
        if b.kind != "heading":
            continue
        if b.style == "bold":
            b.level = last_real + 1
            continue
        if b.level is None:
            b.level = style_levels.setdefault(b.style, len(style_levels) + 1)
        last_real = b.level


def _heading_level(b: Block) -> int:
    """The level of a heading block: `_assign_levels` has set it for every heading."""
    assert b.level is not None
    return b.level


def _find_title(blocks: list[Block], headings: list[Block]) -> tuple[Block | None, bool]:
    """(the title block, whether it is consumed, i.e. kept out of the section paths): step 2."""
    if not headings:
        return None, False
    title_block = headings[0]
    consumed = False
    first_idx = blocks.index(title_block)
    before = blocks[:first_idx]
    if not before:
        others = headings[1:]
        title_level = _heading_level(title_block)
        unique_top = all(_heading_level(h) > title_level for h in others)
        nxt = others[0] if others else None
        between = blocks[first_idx + 1 : blocks.index(nxt)] if nxt else blocks[first_idx + 1 :]
        consumed = unique_top or (nxt is not None and _heading_level(nxt) <= title_level and not between)
    return title_block, consumed


def _section_tree(blocks: list[Block], fmt: str, title: str, skip: Block | None) -> tuple[_Node, list[_Node]]:
    """(root, sections in document order): one section per heading (but `skip`, the consumed title),
    nested by level, holding its labels and blocks; the root, named after the document title, holds
    what comes before any heading and is the first section when it holds anything."""
    root = _Node(title=title, level=0, parent=None)
    nodes: list[_Node] = []
    stack: list[_Node] = []
    for b in blocks:
        if b.kind == "heading":
            if b is skip:
                continue
            while stack and stack[-1].level >= _heading_level(b):
                stack.pop()
            node = _Node(title=b.text, level=b.level or 1, parent=stack[-1] if stack else None)
            nodes.append(node)
            stack.append(node)
            continue
        target = stack[-1] if stack else root
        target.entries.append(("label" if _label_of(b, fmt) else "block", b))
    if root.entries:
        nodes.insert(0, root)
    return root, nodes


def _assign_section_ids(nodes: list[_Node], root: _Node, title: str) -> None:
    """Section ids: the slug path of the heading titles (the root: the title's slug), deduplicated."""
    used_ids: Counter[str] = Counter()
    for node in nodes:
        if node is root:
            base = slugify(title) or "preamble"
        else:
            chain = [node, *node.ancestors()][::-1]
            base = "/".join(heading_slug(n.title) for n in chain)
        node.id = dedupe(base, used_ids)


def _categorise_sections(nodes: list[_Node], root: _Node) -> None:
    """Section categories (step 7): by the section's own heading, else its nearest categorised
    ancestor's, else by its text when the signal is clear; else none (the document fallback)."""
    for node in nodes:  # parents come before their children
        own = score(node.title) if node is not root else {}
        texts = [p.text for p in node.rules] + [b.text for w, b in node.entries if w == "label"]
        text_scores = sum_scores([score(t) for t in texts])
        n_words = sum(len(t.split()) for t in texts)
        if own:
            node.category, node.provenance = best_category(own, text_scores), "title"
            continue
        inherited = next((a for a in node.ancestors() if a.provenance in ("title", "ancestor")), None)
        if inherited is not None:
            node.category, node.provenance = inherited.category, "ancestor"
            continue
        clear = clear_winner(text_scores, max(4.0, n_words / 60))
        if clear is not None:
            node.category, node.provenance = clear, "text"


def _draft_rules(nodes: list[_Node]) -> list[_Draft]:
    """Every rule piece of every section, with its category (step 7)."""
    return [
        _Draft(node, piece, *rule_category(piece.text, piece.lead, node.category, node.provenance))
        for node in nodes
        for piece in node.rules
    ]


def _no_rules_error(path: str, n_headings: int, original: str) -> IngestError:
    return IngestError(
        path,
        "no rules found: "
        + (
            f"the document has {n_headings} heading(s) but no paragraph or list item of at least "
            f"{MIN_RULE_CHARS} characters"
            if original.strip()
            else "the document is empty"
        ),
    )


def _rule_title(path_titles: list[str], piece: _Piece) -> str:
    """The readable path of a rule: its section path, plus its label and bold lead-in."""
    title_parts = list(path_titles)
    if piece.label and piece.label not in title_parts:
        title_parts.append(piece.label.rstrip(":").strip())
    if piece.lead and piece.lead not in title_parts:
        title_parts.append(piece.lead)
    return _TITLE_SEP.join(title_parts)


def _rule_doc(draft: _Draft, rule_id: str, category: Category, language: str, list_kind: str | None) -> RuleDoc:
    """The finished rule: title, kind, actions and severity (step 8). `list_kind`: the kind of the
    paragraph introducing the list the rule may be an item of."""
    node, piece = draft.node, draft.piece
    path_titles = node.path()
    rule_title = _rule_title(path_titles, piece)
    text_n = norm_text(piece.text)
    label_n = norm_text(piece.label)
    kind, kind_source = rule_kind(text_n, label_n, path_titles, piece.is_item, list_kind)
    actions = rule_actions([text_n, kind_source], kind)
    context = norm_text(" ".join(path_titles) + " " + piece.text)
    severity = rule_severity(kind, category, draft.signalled, context)
    return RuleDoc(
        id=rule_id,
        title=rule_title,
        kind=kind,
        severity=severity,
        actions=actions,
        jurisdictions=["GLOBAL"],
        category=category,
        text={language: piece.text},
        titles={language: rule_title},
        language=language,
        span=Span(start=piece.start, end=piece.end, line=piece.line),
        section_id=node.id,
    )


def _sections(drafts: list[_Draft], fallback: Category, language: str, prefix: str) -> list[SectionDoc]:
    """The sections that hold rules, in order of their first rule, with their rules (ids: step 6)."""
    sections: list[SectionDoc] = []
    by_node: dict[int, SectionDoc] = {}
    rule_ids = RuleIds(prefix)
    list_context: dict[int, str | None] = {}  # per node: the kind of the paragraph introducing a list
    for draft in drafts:
        node, piece = draft.node, draft.piece
        if id(node) not in by_node:
            section = SectionDoc(id=node.id, title=node.title, order=len(sections) + 1, titles={language: node.title})
            sections.append(section)
            by_node[id(node)] = section
        rule_id = rule_ids.make(piece.text, node.id)
        list_kind = list_context.get(id(node))
        if not piece.is_item or piece.led:
            list_context[id(node)] = cue(norm_text(piece.text), requirement=False)
        rule = _rule_doc(draft, rule_id, draft.category or fallback, language, list_kind)
        by_node[id(node)].rules.append(rule)
    return sections


def _build(
    blocks: list[Block],
    original: str,
    *,
    path: str,
    fmt: str,
    sha256: str,
    policy_id: str | None,
    version: int,
    fallback_title: str = "",
) -> PolicyDocument:
    """Blocks of `original` -> the document, steps 1-8 of the module docstring in order."""
    blocks = [b for b in blocks if _has_letters(b.text, 2) and not (b.kind != "heading" and METADATA.match(b.text))]
    _assign_levels(blocks)
    headings = [b for b in blocks if b.kind == "heading"]
    title_block, consumed = _find_title(blocks, headings)
    stem = PurePath(path).stem
    title = (title_block.text if title_block else "") or fallback_title or stem
    pid = policy_id or slugify(title) or slugify(stem) or "policy"

    root, nodes = _section_tree(blocks, fmt, title, title_block if consumed else None)
    _assign_section_ids(nodes, root, title)
    for node in nodes:
        node.rules = _node_rules(node, original)
    _categorise_sections(nodes, root)
    drafts = _draft_rules(nodes)
    if not drafts:
        raise _no_rules_error(path, len(headings), original)

    fallback = fallback_category([d.category for d in drafts], [d.piece.text for d in drafts])
    language = detect_language(" ".join(d.piece.text for d in drafts)[:2000])
    sections = _sections(drafts, fallback, language, rule_prefix(pid))
    rule_counts = Counter(r.category for s in sections for r in s.rules)
    return PolicyDocument(
        id=pid,
        title=title,
        category=most_common_category(rule_counts),
        version=version,
        status="published",
        effective_from=find_date(original),
        language=language,
        languages=[language],
        jurisdictions=["GLOBAL"],
        sections=sections,
        source=SourceInfo(path=str(path), sha256=sha256, format=fmt),
    )


def parse_generic(
    text: str,
    *,
    path: str,
    fmt: Literal["markdown", "text", "html"],
    sha256: str,
    policy_id: str | None = None,
    version: int = 1,
) -> PolicyDocument:
    """Parse a policy document that carries none of PolicyGraph's markup into sections and rules.

    `text` is the whole document; spans in the result are offsets into it. Raises `IngestError`
    (naming `path`) when the format is unknown or the document holds no rule at all.
    """
    if fmt == "markdown":
        blocks = md_blocks(text)
        fallback_title = ""
    elif fmt == "text":
        blocks = txt_blocks(text)
        fallback_title = ""
    elif fmt == "html":
        blocks, fallback_title = html_blocks(text)
    else:
        raise IngestError(path, f"unsupported format {fmt!r} for the generic parser (markdown, text or html)")
    return _build(
        blocks,
        text,
        path=path,
        fmt=fmt,
        sha256=sha256,
        policy_id=policy_id,
        version=version,
        fallback_title=fallback_title,
    )
