"""Generic parser: a real policy document that carries none of our markup -> a `PolicyDocument`.

Markdown, plain text and HTML are read into one flat list of *blocks* (headings, paragraphs, list
items, each with its character span in the ORIGINAL text), and one builder turns blocks into
sections and rules. What the builder does, in order:

1. **Metadata lines** ("Released April 17, 2024", "Effective May 17, 2024", "_Last updated, December
   2020_") are dropped as rule text; the effective date is read from the whole text (§ dates).
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
7. **Category** (deterministic keyword scoring, see `_KEYWORDS`): a section whose own heading scores
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

import bisect
import datetime as dt
import functools
import hashlib
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from policygraph.errors import IngestError
from policygraph.language import detect_language
from policygraph.models import PolicyDocument, RuleDoc, SectionDoc, SourceInfo, Span
from policygraph.taxonomy import ACTIONS, CATEGORY_DESCRIPTIONS, Category

__all__ = ["parse_generic", "rule_prefix", "slugify", "MIN_RULE_CHARS", "MAX_RULE_CHARS"]

#: shorter rule texts are merged into a neighbour (or dropped)
MIN_RULE_CHARS = 40
#: longer rule texts are split at sentence ends
MAX_RULE_CHARS = 3000
_SPLIT_TARGET = 1500
#: a lead-in ("...including:") longer than this stays a rule of its own
_MAX_LEAD_CHARS = 300
_MAX_HEADING_CHARS = 80
_TITLE_SEP = " › "


# --------------------------------------------------------------------------- blocks


@dataclass
class _Block:
    kind: Literal["heading", "para", "item"]
    text: str
    start: int
    end: int
    line: int
    level: int | None = None  # headings; None = level decided by the builder from `style`
    style: str = ""  # heading style: atx, setext, html, bold, caps, short, ul=, ul-, num1, num2...
    single_line: bool = True
    bold_only: bool = False
    has_link: bool = False
    lead: str = ""  # bold lead-in of a paragraph/item ("Violent and Criminal Behavior")
    label: bool = False  # set by a format parser that knows (table header rows)


_WS = re.compile(r"\s+")
_NEWLINE = re.compile(r"\r\n|\r|\n")


def _norm_ws(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _lines(text: str) -> tuple[list[int], list[int]]:
    """Start offset and end offset (newline excluded) of every line."""
    starts, ends = [0], []
    for m in _NEWLINE.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def _offset_to_line(starts: list[int], offset: int) -> int:
    return bisect.bisect_right(starts, offset)  # 1-based


# --------------------------------------------------------------------------- Markdown


@functools.lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


_MD_MARKER = re.compile(r"[ \t>]*(?:(?:[*+-]|\d{1,9}[.)])[ \t]+)?")


_STRAY_EMPHASIS = re.compile(r"\*\*+|__+")  # delimiters CommonMark left unmatched ("information**.**")


@dataclass
class _Inline:
    text: str
    bold_only: bool
    has_link: bool
    lead: str


def _md_inline(tok) -> _Inline:
    out: list[str] = []
    strong = 0
    bold_only = True
    has_link = False
    children = tok.children or []
    for c in children:
        ty = c.type
        if ty in ("text", "code_inline"):
            out.append(c.content)
            if strong == 0 and c.content.strip():
                bold_only = False
        elif ty in ("softbreak", "hardbreak"):
            out.append(" ")
        elif ty == "strong_open":
            strong += 1
        elif ty == "strong_close":
            strong -= 1
        elif ty == "link_open":
            has_link = True
        elif ty == "html_inline":
            if re.match(r"<br\b", c.content, re.I):
                out.append(" ")
    text = _norm_ws(_STRAY_EMPHASIS.sub("", "".join(out)))
    lead = ""
    if children and children[0].type == "strong_open":
        inner: list[str] = []
        k = 1
        while k < len(children) and children[k].type != "strong_close":
            if children[k].type in ("text", "code_inline"):
                inner.append(children[k].content)
            elif children[k].type in ("softbreak", "hardbreak"):
                inner.append(" ")
            k += 1
        head = _norm_ws("".join(inner))
        after = children[k + 1].content if k + 1 < len(children) and children[k + 1].type == "text" else ""
        if head and len(head) <= 100 and (head.endswith(":") or after.lstrip().startswith(":")):
            lead = head.rstrip(":").strip()
    return _Inline(text, bold_only and bool(text), has_link, lead)


def _md_span(text: str, starts: list[int], ends: list[int], a: int, b: int) -> tuple[int, int, int]:
    """Span of the source lines [a, b): from after the first line's list/quote marker to the end of
    the last non-blank line."""
    b = min(b, len(starts))
    last = b - 1
    while last > a and not text[starts[last] : ends[last]].strip():
        last -= 1
    first_line = text[starts[a] : ends[a]]
    m = _MD_MARKER.match(first_line)
    start = starts[a] + (m.end() if m else 0)
    end = ends[last]
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end, a + 1


def _md_blocks(text: str) -> list[_Block]:
    tokens = _markdown().parse(text)
    starts, ends = _lines(text)
    blocks: list[_Block] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.type == "heading_open" and t.map:
            inl = _md_inline(tokens[i + 1])
            a = t.map[0]
            s, e, line = _md_span(text, starts, ends, a, a + 1)
            s += len(re.match(r"#*[ \t]*", text[s:e]).group(0))
            style = "setext" if t.markup in ("=", "-") else "atx"
            blocks.append(_Block("heading", inl.text, s, e, line, level=int(t.tag[1]), style=style))
            i += 3
            continue
        if t.type == "list_item_open" and t.map:
            depth = t.level
            parts: list[str] = []
            lead = ""
            has_link = False
            j = i + 1
            while j < n and not (tokens[j].type == "list_item_close" and tokens[j].level == depth):
                if tokens[j].type == "inline":
                    inl = _md_inline(tokens[j])
                    if not parts and not lead:
                        lead = inl.lead
                    has_link = has_link or inl.has_link
                    if inl.text:
                        parts.append(inl.text)
                j += 1
            s, e, line = _md_span(text, starts, ends, t.map[0], t.map[1])
            item_text = _norm_ws(" ".join(parts))
            if item_text:
                blocks.append(_Block("item", item_text, s, e, line, lead=lead, has_link=has_link))
            i = j + 1
            continue
        if t.type == "paragraph_open" and t.map:
            inl = _md_inline(tokens[i + 1])
            s, e, line = _md_span(text, starts, ends, t.map[0], t.map[1])
            if inl.text:
                blocks.append(
                    _Block(
                        "para",
                        inl.text,
                        s,
                        e,
                        line,
                        single_line=t.map[1] - t.map[0] == 1,
                        bold_only=inl.bold_only,
                        has_link=inl.has_link,
                        lead=inl.lead,
                    )
                )
            i += 3
            continue
        if t.type == "tr_open" and t.map:
            cells: list[str] = []
            header = False
            j = i + 1
            while j < n and tokens[j].type != "tr_close":
                if tokens[j].type == "th_open":
                    header = True
                if tokens[j].type == "inline":
                    cells.append(_md_inline(tokens[j]).text)
                j += 1
            row = " | ".join(c for c in cells if c)
            if row:
                s, e, line = _md_span(text, starts, ends, t.map[0], t.map[1])
                s = starts[t.map[0]]
                blocks.append(_Block("para", row, s, e, line, label=header))
            i = j + 1
            continue
        i += 1
    return blocks


# --------------------------------------------------------------------------- plain text

_TXT_BULLET = re.compile(r"^([ \t]*)(?:[-*•‣◦▪●–]|\d{1,3}\)|\(?[a-zA-Z0-9]{1,3}\)|[a-z]\.)[ \t]+(?=\S)")
_TXT_NUMBERED = re.compile(r"^[ \t]*(\d{1,3}(?:\.\d{1,3})*)\.?[ \t]+(\S.*?)[ \t]*$")
_TXT_UNDERLINE = re.compile(r"^[ \t]*(=+|-+)[ \t]*$")
_END_PUNCT = ".,;:!?…)]\"'”’»"
_SENTENCE_END = ".!?;:…"


def _is_caps(text: str) -> bool:
    bare = re.sub(r"\([^)]*\)", "", text)
    letters = [c for c in bare if c.isalpha()]
    return len(letters) >= 3 and all(not c.islower() for c in letters) and any(c.isupper() for c in letters)


def _starts_upper(text: str) -> bool:
    for c in text:
        if c.isalpha():
            return c.isupper() or not c.islower()  # uncased scripts count as "upper"
        if c.isdigit():
            return True
    return False


def _txt_blocks(text: str) -> list[_Block]:
    starts, ends = _lines(text)
    nlines = len(starts)
    raw = [text[starts[k] : ends[k]] for k in range(nlines)]
    blank = [not r.strip() for r in raw]

    # group lines into chunks: ("item"|"para", [line indexes])
    chunks: list[tuple[str, list[int]]] = []
    cur: tuple[str, list[int]] | None = None
    for k in range(nlines):
        line = raw[k]
        if blank[k]:
            cur = None
            continue
        um = _TXT_UNDERLINE.match(line)
        if um and len(um.group(1)) >= 3 and cur is not None and cur[0] == "para":
            title_line = cur[1].pop()  # the line above an underline is a heading
            if not cur[1]:
                chunks.pop()
            chunks.append(("ul" + um.group(1)[0], [title_line, k]))
            cur = None
            continue
        if um and len(um.group(1)) >= 3:  # a lone rule line: a separator
            cur = None
            continue
        numbered = _TXT_NUMBERED.match(line)
        if numbered and "." in numbered.group(1) and _txt_heading_like(numbered.group(2)):
            chunks.append(("num", [k]))
            cur = None
            continue
        if _TXT_BULLET.match(line) or (numbered and re.match(r"[ \t]*\d{1,3}\.[ \t]", line)):
            cur = ("item", [k])
            chunks.append(cur)
            continue
        if (
            cur is not None
            and cur[0] == "item"
            and not line[:1].isspace()
            and (_long_line(raw[cur[1][-1]]) or _long_line(line))
        ):
            cur = None  # one paragraph per line: a long unindented line is no wrapped continuation
        if cur is None:
            cur = ("para", [k])
            chunks.append(cur)
        else:
            cur[1].append(k)

    # text written one paragraph per line (lines longer than any hard wrap): every line is a block,
    # and a short line stands "alone" (may be a heading) when a long line follows it
    alone_at: dict[int, bool] = {}
    split: list[tuple[str, list[int]]] = []
    for kind, lines in chunks:
        if kind == "para" and len(lines) > 1 and any(_long_line(raw[k]) for k in lines):
            for i, k in enumerate(lines):
                nxt = lines[i + 1] if i + 1 < len(lines) else None
                alone_at[k] = nxt is None or len(raw[nxt].strip()) > _MAX_HEADING_CHARS
                split.append(("para", [k]))
        else:
            split.append((kind, lines))
    chunks = split

    blocks: list[_Block] = []
    for kind, lines in chunks:
        first = lines[0]
        prev_blank = first == 0 or blank[first - 1] or first in alone_at
        next_blank = lines[-1] + 1 >= nlines or blank[lines[-1] + 1] or alone_at.get(first, False)
        if kind.startswith("ul"):
            title = raw[first].strip()
            s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
            blocks.append(_Block("heading", _norm_ws(title), s, s + len(title), first + 1, style=kind))
            continue
        if kind == "num":
            m = _TXT_NUMBERED.match(raw[first])
            depth = m.group(1).count(".") + 1
            s = starts[first] + m.start(2)
            blocks.append(
                _Block("heading", _norm_ws(m.group(2)), s, starts[first] + m.end(2), first + 1, style=f"num{depth}")
            )
            continue
        if kind == "item":
            numbered = _TXT_NUMBERED.match(raw[first])
            # "1. Title" alone between blank lines, short and unpunctuated: a numbered heading
            if (
                numbered
                and len(lines) == 1
                and prev_blank
                and next_blank
                and re.match(r"[ \t]*\d{1,3}\.[ \t]", raw[first])
                and _txt_heading_like(numbered.group(2))
            ):
                s = starts[first] + numbered.start(2)
                blocks.append(
                    _Block(
                        "heading",
                        _norm_ws(numbered.group(2)),
                        s,
                        starts[first] + numbered.end(2),
                        first + 1,
                        style="num1",
                    )
                )
                continue
            m = _TXT_BULLET.match(raw[first]) or re.match(r"[ \t]*\d{1,3}\.[ \t]+", raw[first])
            s = starts[first] + m.end()
            e = ends[lines[-1]]
            body = raw[first][m.end() :] + " " + " ".join(raw[k] for k in lines[1:])
            blocks.append(_Block("item", _norm_ws(body), s, _rstrip_end(text, s, e), first + 1))
            continue
        # paragraph; a heading line at its top is split off
        head_style = _txt_heading_style(raw[first], alone=len(lines) == 1 and prev_blank and next_blank)
        if head_style and not (head_style == "short" and len(lines) > 1):
            title = raw[first].strip()
            s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
            blocks.append(_Block("heading", _norm_ws(title), s, s + len(title), first + 1, style=head_style))
            lines = lines[1:]
            if not lines:
                continue
            first = lines[0]
        s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
        e = _rstrip_end(text, s, ends[lines[-1]])
        blocks.append(
            _Block("para", _norm_ws(" ".join(raw[k] for k in lines)), s, e, first + 1, single_line=len(lines) == 1)
        )
    return blocks


def _long_line(line: str) -> bool:
    """Longer than a hard-wrapped line would be."""
    return len(line.strip()) > 100


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _txt_heading_like(title: str) -> bool:
    title = title.strip()
    return (
        0 < len(title) <= _MAX_HEADING_CHARS
        and title[-1] not in _END_PUNCT
        and _starts_upper(title)
        and any(c.isalpha() for c in title)
        and "://" not in title
    )


def _txt_heading_style(line: str, *, alone: bool) -> str:
    """Heading style of a plain-text line, or "" when it is none: ALL CAPS (not a kind marker), or
    a short unpunctuated line standing alone between blank lines."""
    title = line.strip()
    if not title or len(title) > _MAX_HEADING_CHARS or _TXT_BULLET.match(line):
        return ""
    if _KIND_MARKER.match(_norm_text(title)):
        return ""  # NOT ALLOWED / ALLOWED / ...: a label
    if _is_caps(title) and title[-1] not in ".!?;,":
        return "caps"
    if alone and _txt_heading_like(title) and not _METADATA.match(title):
        return "short"
    return ""


# --------------------------------------------------------------------------- HTML

_HTML_SKIP = {"script", "style", "noscript", "template", "head", "title"}
_HTML_BLOCK = {
    "p", "div", "li", "ul", "ol", "br", "tr", "td", "th", "table", "section", "article", "dd", "dt",
    "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "header", "footer", "nav", "main", "hr",
}  # fmt: skip


def _html_text(el) -> str:
    from bs4 import Comment, NavigableString, Tag

    out: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                out.append(str(child))
            elif isinstance(child, Tag):
                if child.name in _HTML_SKIP:
                    continue
                if child.name in _HTML_BLOCK:
                    out.append(" ")
                    walk(child)
                    out.append(" ")
                else:
                    walk(child)

    walk(el)
    return _norm_ws("".join(out))


def _html_locate(source: str, text: str, lo: int, hi: int) -> tuple[int, int] | None:
    """(start, end) of an element's `text` in the source: its first word searched in source[lo:hi],
    then each next word after the previous one (tags, entities and whitespace in between skipped)."""
    found = [(pos, n) for pos, n in _word_spans(source, lo, len(source), text, first_before=hi) if n]
    if not found:
        return None
    return found[0][0], found[-1][0] + found[-1][1]


def _html_blocks(text: str) -> tuple[list[_Block], str]:
    from bs4 import BeautifulSoup, Tag

    soup = BeautifulSoup(text, "html.parser")
    starts, _ends = _lines(text)
    blocks: list[_Block] = []
    title_tag = soup.find("title")
    page_title = _norm_ws(title_tag.get_text(" ")) if title_tag else ""

    def offset(el) -> int:
        if el.sourceline is None:
            return 0
        line = min(max(el.sourceline, 1), len(starts))
        return min(starts[line - 1] + (el.sourcepos or 0), len(text))

    def closing(el, start: int) -> int:
        k = text.find(f"</{el.name}", start)
        return k if k >= 0 else len(text)

    def skipped(el) -> bool:
        return any(p.name in _HTML_SKIP for p in el.parents if isinstance(p, Tag))

    for el in soup.find_all(True):
        name = el.name
        if name in _HTML_SKIP or skipped(el):
            continue
        is_heading = len(name) == 2 and name[0] == "h" and name[1] in "123456"
        if not (is_heading or name in ("p", "li", "dt", "dd")):
            continue
        if name != "li" and el.find_parent(["li", "p"]) is not None:
            continue  # part of an enclosing item/paragraph
        if name == "li" and el.find_parent("li") is not None:
            continue  # nested item: part of its parent item
        body = _html_text(el)
        if not body:
            continue
        tag_start = offset(el)
        tag_end = closing(el, tag_start)
        content_start = text.find(">", tag_start) + 1 or tag_start
        found = _html_locate(text, body, content_start, max(tag_end, content_start))
        start, end = found if found else (tag_start, max(tag_end, tag_start + 1))
        line = _offset_to_line(starts, start)
        if is_heading:
            blocks.append(_Block("heading", body, start, end, line, level=int(name[1]), style="html"))
            continue
        kids = [c for c in el.children if not (isinstance(c, str) and not c.strip())]
        strong_kids = [c for c in kids if isinstance(c, Tag) and c.name in ("strong", "b")]
        bold_only = bool(kids) and len(strong_kids) == len(kids)
        lead = ""
        if kids and isinstance(kids[0], Tag) and kids[0].name in ("strong", "b"):
            head = _html_text(kids[0])
            nxt = kids[1] if len(kids) > 1 else ""
            if (
                head
                and len(head) <= 100
                and (head.endswith(":") or (isinstance(nxt, str) and nxt.lstrip().startswith(":")))
            ):
                lead = head.rstrip(":").strip()
        blocks.append(
            _Block(
                "item" if name == "li" else "para",
                body,
                start,
                end,
                line,
                single_line="\n" not in text[start:end],
                bold_only=bold_only,
                has_link=el.find("a") is not None,
                lead=lead,
            )
        )
    return blocks, page_title


# --------------------------------------------------------------------------- text utilities


def slugify(text: str) -> str:
    """ascii, lower case, [a-z0-9-]; "" when nothing of the text survives."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def rule_prefix(policy_id: str) -> str:
    """2-4 upper-case letters from a policy id: the initials of its words (community-guidelines ->
    CG), or the first two letters of a one-word id (privacy -> PR); PG when it has no letters."""
    words = [w for w in re.split(r"[^a-z0-9]+", policy_id.lower()) if w]
    initials = [w[0] for w in words if w[0].isalpha()][:4]
    if len(initials) >= 2:
        return "".join(initials).upper()
    letters = "".join(c for w in words for c in w if c.isalpha())
    if len(letters) >= 2:
        return (initials[0] + letters[1] if initials else letters[:2]).upper()
    return "PG"


@functools.lru_cache(maxsize=8192)
def _norm_text(text: str) -> str:
    """Lower case, typographic apostrophes/dashes plain, hyphens as spaces, -ise spelt -ize: the
    form keyword and cue patterns are matched against."""
    t = text.lower().replace("’", "'").replace("‘", "'").replace("—", " ").replace("–", " ")
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)
    t = re.sub(r"(?<=\w)is(ation|ations|e|ed|es|ing)\b", r"iz\1", t)
    return _WS.sub(" ", t)


def _id_text(text: str) -> str:
    return " ".join(text.split())


_METADATA = re.compile(
    r"^_?\*{0,2}(?:released|effective|last (?:updated|modified|revised|reviewed)|updated|published|"
    r"version|date)\b[^.]{0,60}\d[^.]{0,20}$",
    re.I,
)
_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip


def _find_date(text: str) -> dt.date | None:
    """'Effective <Month> <day>, <year>' (or an ISO / day-month-year date after 'Effective'), else
    'Last updated, <Month> [<day>,] <year>' (first day of the month when no day is given)."""
    month = r"([A-Za-z]{3,9})\.?"
    tries = [
        (rf"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+{month}\s+(\d{{1,2}}),?\s+(\d{{4}})", "mdy"),
        (r"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+(\d{4})-(\d{1,2})-(\d{1,2})\b", "iso"),
        (rf"(?<![a-z])effective(?: date)?(?: from| on| as of)?[:,]?\s+(\d{{1,2}})\s+{month},?\s+(\d{{4}})", "dmy"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+{month}\s+(\d{{1,2}}),?\s+(\d{{4}})", "mdy"),
        (r"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+(\d{4})-(\d{1,2})-(\d{1,2})\b", "iso"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on)?[:,]?\s+(\d{{1,2}})\s+{month},?\s+(\d{{4}})", "dmy"),
        (rf"(?<![a-z])last (?:updated|modified|revised)(?: on| in)?[:,]?\s+{month},?\s+(\d{{4}})", "my"),
    ]
    for pattern, shape in tries:
        for m in re.finditer(pattern, text, re.I):
            try:
                if shape == "mdy":
                    mon = _MONTHS.get(m.group(1).lower())
                    if mon:
                        return dt.date(int(m.group(3)), mon, int(m.group(2)))
                elif shape == "iso":
                    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                elif shape == "dmy":
                    mon = _MONTHS.get(m.group(2).lower())
                    if mon:
                        return dt.date(int(m.group(3)), mon, int(m.group(1)))
                else:
                    mon = _MONTHS.get(m.group(1).lower())
                    if mon:
                        return dt.date(int(m.group(2)), mon, 1)
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- categories

#: per category: (weight, keywords). A keyword is a phrase matched on word boundaries in the
#: normalised text (`_norm_text`: lower case, hyphens as spaces, -ise as -ize), a plural s/es
#: allowed; a trailing "*" matches any ending; "re:" starts a raw regular expression.
_KEYWORDS: dict[Category, list[tuple[float, list[str]]]] = {
    Category.violent_extremism: [
        (2.0, ["terroris*", "terrorist*", "extremis*", "violent extremist*", "dangerous individual*",
               "dangerous organization*", "hateful organization*", "violent political organization*",
               "violent criminal organization*", "criminal organization*", "organized hate", "hate group*",
               "mass murder*", "mass violence", "serial killer*", "radicaliz*", "militia*", "non state armed",
               "violent extremism", "violent extremist entit*"]),
        (1.0, ["re:\\borganizations? and individuals\\b", "re:\\bindividuals and(?: or)? organizations?\\b",
               "recruit*", "re:\\b(?:violent|hateful|dangerous|extremist)\\b(?: \\w+){0,3} organizations?\\b"]),
    ],
    Category.hate_speech: [
        (2.0, ["hate speech", "hateful behavior*", "hateful ideolog*", "slur", "protected attribute*",
               "protected characteristic*", "dehumaniz*", "racis*", "antisemit*", "supremac*",
               "white nationaliz*", "holocaust", "xenophob*", "homophob*", "transphob*", "misogyn*"]),
        (1.0, ["hate", "hateful", "discriminat*", "ethnicity", "caste", "religion", "sexual orientation",
               "gender identity", "race", "immigration status", "national origin"]),
    ],
    Category.harassment_bullying: [
        (2.0, ["harass*", "bully*", "bullied", "cyberbull*", "abusive behavior*", "brigad*", "coordinated abuse",
               "degrading", "insult*", "humiliat*", "body shaming", "name calling"]),
        (1.0, ["intimidat*", "shaming", "mock*", "unwanted", "public figure*"]),
    ],
    Category.violence_graphic: [
        (2.0, ["graphic", "gore", "gory", "shocking", "animal abuse", "animal cruelty", "animal welfare",
               "cruelty", "torture", "mutilat*", "dismember*", "dead bod*", "human trafficking", "trafficking",
               "smuggling", "human exploitation", "incitement", "incite*", "threats of violence",
               "violent threat*", "criminal behavior*", "criminal activit*"]),
        (1.0, ["violen*", "threat*", "kill*", "assault*", "blood*", "injur*", "crime", "criminal*", "animal",
               "murder*", "weapons to"]),
    ],
    Category.suicide_self_harm: [
        (2.0, ["suicid*", "self harm*", "self injur*", "eating disorder*", "disordered eating", "risky weight*",
               "weight loss", "weight management", "body image", "anorexi*", "bulimi*", "muscle gain",
               "mental and behavioral health"]),
        (1.0, ["mental health", "body comparison*", "extreme fasting", "emotional distress"]),
    ],
    Category.child_safety: [
        (3.0, ["youth", "young people", "young person", "minor", "child", "children", "kid", "teen*",
               "under 18", "under 13", "csam", "child sexual abuse", "groom*", "pedophil*", "paedophil*",
               "sextortion", "underage", "minor safety"]),
        (1.0, ["parent*", "guardian*", "school*", "13 years old", "age appropriate"]),
    ],
    Category.adult_sexual_content: [
        (2.0, ["nudity", "nude*", "sexual activit*", "sexual service*", "sexually explicit", "porn*",
               "body exposure", "sexualiz*", "sexually suggestive", "erotic*", "fetish*", "sex product*",
               "adult sexual", "adult nudity", "non consensual sexual", "image based sexual abuse", "sexcam*"]),
        (1.0, ["sexual", "sex", "sexual exploitation", "sexual solicitation", "prostitution", "intimate",
               "lingerie", "underwear", "kink*"]),
    ],
    Category.regulated_goods: [
        (2.0, ["regulated goods", "regulated substance*", "controlled substance*", "weapon*", "firearm*", "gun",
               "ammunition", "explosive*", "drug", "alcohol*", "tobacco", "vap*", "nicotine", "cannabis",
               "marijuana", "gambl*", "betting", "casino*", "lotter*", "mystery box*", "counterfeit*",
               "commercial disclosure", "paid marketing", "branded content", "commercial content",
               "tiktok shop", "mystery value product*", "regulated goods and services"]),
        (1.0, ["regulated", "trade", "trading", "sale", "sell*", "buy*", "purchase*", "market*", "commercial",
               "product", "goods", "prescription*", "medication*", "firework*", "poaching", "wildlife",
               "advertis*", "business*"]),
    ],
    Category.dangerous_activities: [
        (2.0, ["dangerous activit*", "dangerous acts", "dangerous act", "dangerous stunt*", "dangerous challenge*",
               "challenge", "stunt*", "dares", "dare", "risky activit*", "dangerous sports", "dangerous games"]),
        (1.0, ["dangerous", "imitat*", "physical harm", "risky", "fire"]),
    ],
    Category.misinformation: [
        (2.0, ["misinformation", "disinformation", "misleading information", "false information", "false claim*",
               "conspirac*", "civic", "election*", "voting", "voter*", "vote", "fact check*", "manipulated media",
               "harmful misinformation"]),
        (1.0, ["mislead*", "false", "misrepresent*", "hoax*", "crisis", "public health"]),
    ],
    Category.fraud_scams_spam: [
        (2.0, ["fraud*", "scam*", "phishing", "smishing", "fake engagement", "spam*", "impersonat*",
               "deceptive behavior*", "deceptive", "fake account*", "inauthentic", "pyramid scheme*", "ponzi",
               "platform manipulation", "artificially boost*", "fake likes", "fake followers",
               "engagement services", "bot", "covert influence", "influence operation*"]),
        (1.0, ["fake", "manipulat*", "authenticity", "trick*", "deceiv*", "follower", "likes"]),
    ],
    Category.privacy_personal_data: [
        (2.0, ["personal information", "personal data", "private information", "personally identifiable", "pii",
               "doxx*", "doxing", "doxed", "privacy", "platform security", "hack*", "malware", "virus*",
               "reverse engineer*", "login information", "password*", "credential*", "security",
               "non consensual intimate", "intimate imagery", "stalk*", "identity theft", "home address*",
               "phone number*"]),
        (1.0, ["personal", "private", "data", "unauthorized access", "exploit*"]),
    ],
    Category.intellectual_property: [
        (2.0, ["copyright*", "trademark*", "intellectual property", "unoriginal", "infring*", "original content",
               "reupload*", "repost*", "without permission", "ip rights"]),
        (1.0, ["original", "originality", "compilation*"]),
    ],
    Category.synthetic_media: [
        (2.0, ["ai generated", "aigc", "artificial intelligence", "deepfake*", "synthetic media", "edited media",
               "generative ai", "ai tools", "ai", "manipulated media"]),
        (1.0, ["edited", "editing", "synthetic", "likeness", "realistic*", "altered"]),
    ],
}  # fmt: skip

#: description phrases too generic to count
_DESCRIPTION_STOP = {"praise", "support", "recruitment", "private data", "risky activities leading to physical harm"}
_CATEGORY_ORDER = {c: i for i, c in enumerate(Category)}
_MINOR_RE = re.compile(r"\b(?:minors?|youth|young (?:people|person)|child\w*|kids?|teens?|teenagers?|underage)\b")


@dataclass(frozen=True)
class _Keyword:
    category: Category
    weight: float
    words: tuple[str, ...]
    prefix: bool  # the last word matches any ending; else a plural s/es is allowed


@dataclass
class _KeywordIndex:
    by_first: dict[str, list[_Keyword]]  # first word (plural forms included for one-word keywords)
    by_prefix: dict[str, list[_Keyword]]  # one-word prefix keywords
    prefix_lengths: list[int]
    regexes: list[tuple[Category, float, re.Pattern]]


def _keyword(cat: Category, weight: float, spec: str) -> _Keyword:
    prefix = spec.endswith("*")
    words = tuple(re.findall(r"\w+", _norm_text(spec.rstrip("*"))))
    return _Keyword(cat, weight, words, prefix)


@functools.lru_cache(maxsize=1)
def _keyword_index() -> _KeywordIndex:
    index = _KeywordIndex({}, {}, [], [])
    specs: list[tuple[Category, float, str]] = []
    for cat in Category:
        for weight, kws in _KEYWORDS.get(cat, []):
            specs.extend((cat, weight, kw) for kw in kws)
        desc = [p.strip() for p in CATEGORY_DESCRIPTIONS.get(cat, "").split(",")]
        specs.extend((cat, 1.0, p) for p in desc if p and p not in _DESCRIPTION_STOP)
    seen: set[tuple[Category, tuple[str, ...], bool]] = set()
    raw: dict[tuple[Category, float], list[str]] = {}
    for cat, weight, spec in specs:
        if spec.startswith("re:"):
            raw.setdefault((cat, weight), []).append(spec[3:])
            continue
        kw = _keyword(cat, weight, spec)
        if not kw.words or (cat, kw.words, kw.prefix) in seen:
            continue
        seen.add((cat, kw.words, kw.prefix))
        if len(kw.words) == 1 and kw.prefix:
            index.by_prefix.setdefault(kw.words[0], []).append(kw)
        elif len(kw.words) == 1:
            w = kw.words[0]
            for form in {w, w + "s", w + "es"}:
                index.by_first.setdefault(form, []).append(kw)
        else:
            index.by_first.setdefault(kw.words[0], []).append(kw)
    index.prefix_lengths = sorted({len(p) for p in index.by_prefix})
    index.regexes = [(c, w, re.compile("|".join(f"(?:{p})" for p in ps))) for (c, w), ps in raw.items()]
    return index


def _last_word_matches(kw: _Keyword, token: str) -> bool:
    w = kw.words[-1]
    return token.startswith(w) if kw.prefix else token in (w, w + "s", w + "es")


@functools.lru_cache(maxsize=65536)
def _token_keywords(token: str) -> tuple[tuple[tuple[Category, float], ...], tuple[_Keyword, ...]]:
    """(one-word hits, multi-word keywords starting here) for one token."""
    index = _keyword_index()
    single: list[tuple[Category, float]] = []
    multi: list[_Keyword] = []
    for kw in index.by_first.get(token, ()):
        (single.append((kw.category, kw.weight)) if len(kw.words) == 1 else multi.append(kw))
    for length in index.prefix_lengths:
        if length > len(token):
            break
        single.extend((kw.category, kw.weight) for kw in index.by_prefix.get(token[:length], ()))
    return tuple(single), tuple(multi)


@functools.lru_cache(maxsize=16384)
def _score_cached(text: str) -> tuple[tuple[Category, float], ...]:
    t = _norm_text(text)
    tokens = re.findall(r"\w+", t)
    scores: dict[Category, float] = {}
    n = len(tokens)
    for i, tok in enumerate(tokens):
        single, multi = _token_keywords(tok)
        for cat, weight in single:
            scores[cat] = scores.get(cat, 0.0) + weight
        for kw in multi:
            k = len(kw.words)
            if (
                i + k <= n
                and all(tokens[i + j] == kw.words[j] for j in range(1, k - 1))
                and _last_word_matches(kw, tokens[i + k - 1])
            ):
                scores[kw.category] = scores.get(kw.category, 0.0) + kw.weight
    for cat, weight, rx in _keyword_index().regexes:
        hits = len(rx.findall(t))
        if hits:
            scores[cat] = scores.get(cat, 0.0) + weight * hits
    # sexual content involving minors is child safety
    if Category.adult_sexual_content in scores and Category.child_safety in scores and _MINOR_RE.search(t):
        scores[Category.child_safety] += scores[Category.adult_sexual_content]
    return tuple(scores.items())


def _score(text: str) -> dict[Category, float]:
    """Keyword score per category of a text (only categories that score); a fresh dict."""
    return dict(_score_cached(text))


def _sum_scores(parts: list[dict[Category, float]]) -> dict[Category, float]:
    total: dict[Category, float] = {}
    for part in parts:
        for c, v in part.items():
            total[c] = total.get(c, 0.0) + v
    return total


def _best(scores: dict[Category, float], tiebreak: dict[Category, float] | None = None) -> Category | None:
    if not scores:
        return None
    tb = tiebreak or {}
    return max(scores, key=lambda c: (scores[c], tb.get(c, 0.0), -_CATEGORY_ORDER[c]))


def _clear_winner(scores: dict[Category, float], minimum: float) -> Category | None:
    best = _best(scores)
    if best is None or scores[best] < minimum:
        return None
    second = max((v for c, v in scores.items() if c != best), default=0.0)
    return best if scores[best] >= 1.5 * second else None


# --------------------------------------------------------------------------- kinds, actions, severity

_PROHIBIT = re.compile(
    r"\b(?:do not|don't|does not|doesn't|will not|won't|cannot|can't|never)\s+(?:allow|permit|tolerate|accept)"
    r"|\bnot\s+(?:be\s+)?(?:allowed|permitted|tolerated)\b|\b(?:isn't|aren't)\s+(?:allowed|permitted)\b"
    r"|\bprohibit\w*|\bforbid\w*|\bnever allowed\b|\bwe\s+(?:will\s+|may\s+)?remove\b|\bwe'll remove\b"
    r"|\b(?:is|are|will be|may be|shall be|gets?) removed\b"
    r"|^(?:do not|don't)\b|\b(?:do not|don't) (?:post|upload|share|stream)\b"
    r"|\bno tolerance\b|\bbanned\b|(?:^|[.!?:;] )(?:never|you may not|you must not|you can't|you cannot)\b"
    r"|\b(?:must|shall) not\b|\bmustn't\b"
)
_RESTRICT = re.compile(
    r"\b(?:not eligible|ineligible)\b[^.]{0,40}?\b(?:fyf|for you|recommendation)\b|\bfyf ineligible\b"
    r"|\bmay be ineligible\b|\bage restrict\w*|\b18 years (?:of age )?(?:and|or) older\b"
    r"|\bviewable only (?:for|by|to) adults\b"
    r"|\badults only\b"
)
_ALLOWED = re.compile(r"\bwe (?:do |may |also )?allow\b|\ballowed\b|\bpermitted\b|\bwe (?:may )?make exceptions?\b")
#: the leftmost cue wins; at one position, prohibited before restricted before allowed
_CUE_RE = re.compile(
    "|".join(
        f"(?P<{k}>{rx.pattern})"
        for k, rx in [("prohibited", _PROHIBIT), ("restricted", _RESTRICT), ("allowed", _ALLOWED)]
    )
)
_REFERENCE = re.compile(
    r"^(?:to )?(?:learn more|find out more|for more (?:information|details)|for details|see (?:our|the)|read more)\b"
)
_REQUIRE = re.compile(
    r"\bmust\b|\brequired?\b|\brequires\b|\byou're required\b|\bneeds? to\b|\b(?:have|has) to\b|\bobligat\w*"
)
_KIND_MARKER = re.compile(
    r"^(?:not allowed|allowed|prohibited|permitted|restricted|age restricted|fyf ineligible|ineligible|"
    r"do not|don't|exceptions?|examples? of)\b"
)
_ACTION_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("remove", re.compile(r"\bremov\w*|\btaken? down\b|\bdelet\w*")),
    ("age_restrict", re.compile(
        r"\bage restrict\w*|\b18 years (?:of age )?(?:and|or) older\b|\bviewable only (?:for|by|to) adults\b"
        r"|\badults only\b")),
    ("label", re.compile(r"\blabel\w*|\bdisclos\w*")),
    ("reduce_reach", re.compile(
        r"\b(?:not eligible|ineligible)\b[^.]{0,40}?\b(?:fyf|for you|recommendation)\b|\bfyf ineligible\b"
        r"|\breduc\w* (?:the |its )?(?:discoverability|visibility|reach|distribution)"
        r"|\blimit\w* (?:the |its )?(?:distribution|discoverability|reach|visibility)|\bnot (?:be )?recommended\b")),
    ("warn", re.compile(r"\bwarn(?:ing)?s?\b")),
    ("escalate", re.compile(r"\blaw enforcement\b|\blegal authorities\b|\bncmec\b")),
    ("suspend_account", re.compile(
        r"\b(?:suspend|ban|terminat|disabl)\w*\s+(?:\w+\s+){0,3}accounts?\b"
        r"|\baccounts?\b[^.]{0,40}?\b(?:suspended|banned|terminated|disabled)\b")),
    ("strike", re.compile(r"\bstrikes?\b")),
    ("demonetize", re.compile(r"\bdemoneti\w*")),
]  # fmt: skip


_ACTIONS_RE = re.compile("|".join(f"(?P<{name}>{rx.pattern})" for name, rx in _ACTION_PATTERNS))


@functools.lru_cache(maxsize=4096)
def _cue(text: str, *, requirement: bool = True) -> str | None:
    """The kind a (normalised) text states, if any: of prohibitive, restrictive and permissive
    wording the one stated first wins ("We don't allow X ... Y may be allowed" is a prohibition,
    "Z may be ineligible for the FYF (we remove W)" a restriction); requirement wording counts only
    when none of those is there."""
    if not text:
        return None
    m = _CUE_RE.search(text)
    if m:
        return m.lastgroup
    if requirement and _REQUIRE.search(text):
        return "requirement"
    return None


def _rule_kind(
    text: str, label: str, path_titles: list[str], is_item: bool, list_kind: str | None = None
) -> tuple[str, str]:
    """(kind, the normalised label or heading title that gave it, or ""): step 8 of the module
    docstring. A pointer to more reading ("Learn more about ...") is a requirement with no action;
    a list item that says nothing itself takes the kind of the paragraph introducing its list."""
    label_kind = _cue(label)
    if is_item and label_kind:
        return label_kind, label
    if _REFERENCE.match(text):
        return "requirement", ""
    text_kind = _cue(text)
    if text_kind:
        return text_kind, ""
    if label_kind:
        return label_kind, label
    if is_item and list_kind:
        return list_kind, ""
    for title in reversed(path_titles):
        t = _norm_text(title)
        heading_kind = _cue(t, requirement=False)
        if heading_kind:
            return heading_kind, t
    return "requirement", ""


def _actions(texts: list[str], kind: str) -> list[str]:
    if kind == "allowed":
        return ["label"]
    found = {m.lastgroup for t in texts if t for m in _ACTIONS_RE.finditer(t)}
    if kind == "prohibited":
        found.add("remove")
    elif kind == "restricted" and not found & {"age_restrict", "reduce_reach"}:
        found.add("reduce_reach")
    elif not found:
        found.add("none")
    return [a for a in ACTIONS if a in found]


_CRITICAL_CHILD = re.compile(r"\b(?:sexual\w*|csam|groom\w*|exploit\w*|pedophil\w*|sextortion|nudity|abuse)\b")
_CRITICAL_TERROR = re.compile(r"\b(?:terror\w*|extremis\w*|extremist\w*)\b")
_HIGH_CATEGORIES = {
    Category.violence_graphic,
    Category.hate_speech,
    Category.suicide_self_harm,
    Category.violent_extremism,
    Category.child_safety,
}


def _severity(kind: str, category: Category, signalled: bool, context: str) -> str:
    if kind == "allowed":
        return "low"
    if kind != "prohibited" or not signalled:
        return "medium"
    if category is Category.child_safety and _CRITICAL_CHILD.search(context):
        return "critical"
    if category is Category.violent_extremism and _CRITICAL_TERROR.search(context):
        return "critical"
    if category in _HIGH_CATEGORIES:
        return "high"
    if category is Category.adult_sexual_content and re.search(r"\b(?:abuse|non consensual|exploitation)\b", context):
        return "high"
    return "medium"


# --------------------------------------------------------------------------- the builder


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
    entries: list[tuple[str, _Block]] = field(default_factory=list)  # ("label"|"block", block)
    rules: list[_Piece] = field(default_factory=list)
    category: Category | None = None
    provenance: str = ""  # title | ancestor | text | fallback

    def path(self) -> list[str]:
        out, node = [], self
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


def _is_link_only(block: _Block) -> bool:
    return block.has_link and len(block.text) < MIN_RULE_CHARS


def _label_of(block: _Block, fmt: str) -> bool:
    """Whether a paragraph is a label (context for the rules after it), not a rule."""
    if block.kind != "para" or not block.single_line:
        return block.label
    if block.label:
        return True
    text = block.text
    norm = _norm_text(text)
    if len(text) <= 60 and _is_caps(text):
        return True
    if block.bold_only and _ends_colon(text) and len(text) <= 100:
        return True
    if len(text) <= 60 and _KIND_MARKER.match(norm) and (_is_caps(text) or _ends_colon(text) or block.bold_only):
        return True
    if (
        fmt != "text"
        and len(text) < MIN_RULE_CHARS
        and text[-1] not in _END_PUNCT
        and any(c.isalpha() for c in text)
        and not norm.startswith("learn more")
        and not _is_link_only(block)
    ):
        return True
    return False


def _bold_heading(block: _Block) -> bool:
    text = block.text
    return (
        block.kind == "para"
        and block.bold_only
        and block.single_line
        and not block.has_link
        and 0 < len(text) <= _MAX_HEADING_CHARS
        and text[-1] not in _END_PUNCT
        and not _is_caps(text)
        and not _norm_text(text).startswith("learn more")
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
    positions = [pos for pos, _n in _word_spans(original, piece.start, piece.end, piece.text)]
    starts, _ = _lines(original)
    out: list[_Piece] = []
    word = 0
    for chunk in chunks:
        start = piece.start if not out else positions[min(word, len(positions) - 1)]
        out.append(
            _Piece(chunk, start, piece.end, _offset_to_line(starts, start), piece.is_item, piece.lead, piece.label)
        )
        word += len(chunk.split())
    for k in range(len(out) - 1):  # each chunk ends where the next begins
        out[k].end = max(out[k].start + 1, _rstrip_end(original, out[k].start, out[k + 1].start))
    return out


_WORD_TRIM = ".,;:!?()[]\"'“”‘’*_"


def _word_spans(
    original: str, lo: int, hi: int, text: str, *, first_before: int | None = None
) -> list[tuple[int, int]]:
    """(offset, length) in original[lo:hi] of each whitespace-separated word of `text` (a cleaned-up
    version of that range, markup and link targets dropped), found one after the other; a word not
    found gets length 0 at the end of the previous one. `first_before` bounds where the first word
    may start (None: the first word not found there means nothing is found)."""
    spans: list[tuple[int, int]] = []
    cursor = lo
    found_one = False
    for w in text.split():
        core = w.strip(_WORD_TRIM)
        bound = hi if (found_one or first_before is None) else first_before
        pos = original.find(core, cursor, bound) if core else -1
        if pos < 0:
            spans.append((cursor, 0))
            continue
        length = len(core)
        tail = w[w.find(core) + len(core) :]
        if tail and original.startswith(tail, pos + length):
            length += len(tail)  # keep the word's own closing punctuation ("veiled.")
        spans.append((pos, length))
        cursor = pos + length
        found_one = True
    return spans


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
            if _REFERENCE.match(_norm_text(piece.text)):
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


def _build(
    blocks: list[_Block],
    original: str,
    *,
    path: str,
    fmt: str,
    sha256: str,
    policy_id: str | None,
    version: int,
    fallback_title: str = "",
) -> PolicyDocument:
    headings = [b for b in blocks if b.kind == "heading" and b.text]
    blocks = [b for b in blocks if _has_letters(b.text, 2) and not (b.kind != "heading" and _METADATA.match(b.text))]

    # heading levels: bold headings sit below the last real heading; plain-text styles get levels by
    # order of first appearance
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
    headings = [b for b in blocks if b.kind == "heading"]

    # document title (step 2 of the module docstring)
    title_block: _Block | None = None
    consumed = False
    if headings:
        title_block = headings[0]
        first_idx = blocks.index(title_block)
        before = blocks[:first_idx]
        if not before:
            others = headings[1:]
            unique_top = all(h.level > title_block.level for h in others)
            nxt = others[0] if others else None
            between = blocks[first_idx + 1 : blocks.index(nxt)] if nxt else blocks[first_idx + 1 :]
            consumed = unique_top or (nxt is not None and nxt.level <= title_block.level and not between)
    doc_title = title_block.text if title_block else ""
    stem = PurePath(path).stem
    title = doc_title or fallback_title or stem
    pid = policy_id or slugify(title) or slugify(stem) or "policy"
    prefix = rule_prefix(pid)

    # section tree
    root = _Node(title=title, level=0, parent=None)
    nodes: list[_Node] = []
    stack: list[_Node] = []
    for b in blocks:
        if b.kind == "heading":
            if consumed and b is title_block:
                continue
            while stack and stack[-1].level >= b.level:
                stack.pop()
            node = _Node(title=b.text, level=b.level or 1, parent=stack[-1] if stack else None)
            nodes.append(node)
            stack.append(node)
            continue
        target = stack[-1] if stack else root
        target.entries.append(("label" if _label_of(b, fmt) else "block", b))
    if root.entries:
        nodes.insert(0, root)

    # ids: slug path, deduplicated
    used_ids: Counter[str] = Counter()
    for node in nodes:
        if node is root:
            slugs = [slugify(title) or "preamble"]
        else:
            chain = [node, *node.ancestors()][::-1]
            slugs = [slugify(n.title) or "s" + hashlib.sha1(n.title.encode()).hexdigest()[:6] for n in chain]
        base = "/".join(slugs)
        used_ids[base] += 1
        node.id = base if used_ids[base] == 1 else f"{base}-{used_ids[base]}"
        node.rules = _node_rules(node, original)

    # categories (step 7)
    for node in nodes:  # parents come before their children
        own = _score(node.title) if node is not root else {}
        texts = [p.text for p in node.rules] + [b.text for w, b in node.entries if w == "label"]
        text_scores = _sum_scores([_score(t) for t in texts])
        n_words = sum(len(t.split()) for t in texts)
        if own:
            node.category, node.provenance = _best(own, text_scores), "title"
            continue
        inherited = next((a for a in node.ancestors() if a.provenance in ("title", "ancestor")), None)
        if inherited is not None:
            node.category, node.provenance = inherited.category, "ancestor"
            continue
        clear = _clear_winner(text_scores, max(4.0, n_words / 60))
        if clear is not None:
            node.category, node.provenance = clear, "text"

    drafts: list[tuple[_Node, _Piece, Category | None, bool]] = []
    for node in nodes:
        for piece in node.rules:
            own = _score(piece.text)
            if piece.lead:
                for c, v in _score(piece.lead).items():
                    own[c] = own.get(c, 0.0) + 2 * v
            cat, signalled = node.category, node.category is not None
            best = _best(own)
            if best is not None and best != cat:
                if node.provenance in ("title", "ancestor"):
                    if own[best] >= 4.0 and own.get(cat, 0.0) == 0.0:
                        cat = best
                elif cat is None:
                    if own[best] >= 1.0:
                        cat, signalled = best, True
                elif own[best] >= 2.0 and own[best] > own.get(cat, 0.0):
                    cat = best
            drafts.append((node, piece, cat, signalled))

    if not drafts:
        n_head = len(headings)
        raise IngestError(
            path,
            "no rules found: "
            + (
                f"the document has {n_head} heading(s) but no paragraph or list item of at least "
                f"{MIN_RULE_CHARS} characters"
                if original.strip()
                else "the document is empty"
            ),
        )

    counts = Counter(cat for _, _, cat, _ in drafts if cat is not None)
    if counts:
        fallback = min(counts, key=lambda c: (-counts[c], _CATEGORY_ORDER[c]))
    else:
        whole = _score(" ".join(p.text for _, p, _, _ in drafts))
        fallback = _best(whole) or Category.fraud_scams_spam

    language = detect_language(" ".join(p.text for _, p, _, _ in drafts)[:2000])
    sections: list[SectionDoc] = []
    by_node: dict[int, SectionDoc] = {}
    first_section_of: dict[str, str] = {}
    used_rule_ids: Counter[str] = Counter()
    list_context: dict[int, str | None] = {}  # per node: the kind of the paragraph introducing a list
    for node, piece, cat, signalled in drafts:
        category = cat or fallback
        if id(node) not in by_node:
            section = SectionDoc(id=node.id, title=node.title, order=len(sections) + 1, titles={language: node.title})
            sections.append(section)
            by_node[id(node)] = section
        section = by_node[id(node)]
        norm_text = _id_text(piece.text)
        digest = hashlib.sha1(norm_text.encode("utf-8")).hexdigest()[:8].upper()
        first = first_section_of.setdefault(norm_text, node.id)
        if first != node.id:
            digest = hashlib.sha1(f"{node.id}\n{norm_text}".encode()).hexdigest()[:8].upper()
        candidate = f"{prefix}-{digest}"
        used_rule_ids[candidate] += 1
        rule_id = candidate if used_rule_ids[candidate] == 1 else f"{candidate}-{used_rule_ids[candidate]}"

        path_titles = node.path()
        title_parts = list(path_titles)
        if piece.label and piece.label not in title_parts:
            title_parts.append(piece.label.rstrip(":").strip())
        if piece.lead and piece.lead not in title_parts:
            title_parts.append(piece.lead)
        rule_title = _TITLE_SEP.join(title_parts)

        text_n = _norm_text(piece.text)
        label_n = _norm_text(piece.label)
        kind, kind_source = _rule_kind(text_n, label_n, path_titles, piece.is_item, list_context.get(id(node)))
        if not piece.is_item or piece.led:
            list_context[id(node)] = _cue(text_n, requirement=False)
        actions = _actions([text_n, kind_source], kind)
        context = _norm_text(" ".join(path_titles) + " " + piece.text)
        severity = _severity(kind, category, signalled, context)
        section.rules.append(
            RuleDoc(
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
        )

    all_rules = [r for s in sections for r in s.rules]
    rule_counts = Counter(r.category for r in all_rules)
    doc_category = min(rule_counts, key=lambda c: (-rule_counts[c], _CATEGORY_ORDER[c]))
    return PolicyDocument(
        id=pid,
        title=title,
        category=doc_category,
        version=version,
        status="published",
        effective_from=_find_date(original),
        language=language,
        languages=[language],
        jurisdictions=["GLOBAL"],
        sections=sections,
        source=SourceInfo(path=str(path), sha256=sha256, format=fmt),
    )


# --------------------------------------------------------------------------- entry point


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
        blocks = _md_blocks(text)
        fallback_title = ""
    elif fmt == "text":
        blocks = _txt_blocks(text)
        fallback_title = ""
    elif fmt == "html":
        blocks, fallback_title = _html_blocks(text)
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
