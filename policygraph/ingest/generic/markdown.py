"""Markdown -> blocks, with markdown-it-py (CommonMark plus tables).

ATX (`#`) and setext (`===` level 1, `---` level 2) headings keep their level; every paragraph, every
list item (nested items and continuation lines included) and every table row is one block. Text is
plain (emphasis and list markers dropped, links reduced to their text); a block's span runs from
after its first line's list or quote marker to the end of its last non-blank line. Code blocks and
raw HTML blocks are skipped.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from policygraph.ingest.generic.blocks import Block, line_spans, norm_ws

__all__ = ["md_blocks"]


@functools.lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


_MD_MARKER = re.compile(r"[ \t>]*(?:(?:[*+-]|\d{1,9}[.)])[ \t]+)?")


_STRAY_EMPHASIS = re.compile(r"\*\*+|__+")  # delimiters CommonMark left unmatched ("information**.**")


@dataclass
class _Inline:
    """An inline token's plain text, whether it is all bold, whether it links, its bold lead-in."""

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
        elif ty == "html_inline" and re.match(r"<br\b", c.content, re.IGNORECASE):
            out.append(" ")
    text = norm_ws(_STRAY_EMPHASIS.sub("", "".join(out)))
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
        head = norm_ws("".join(inner))
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


def md_blocks(text: str) -> list[Block]:
    """The blocks of a Markdown document, in document order."""
    tokens = _markdown().parse(text)
    starts, ends = line_spans(text)
    blocks: list[Block] = []
    i, n = 0, len(tokens)
    while i < n:
        t = tokens[i]
        if t.type == "heading_open" and t.map:
            inl = _md_inline(tokens[i + 1])
            a = t.map[0]
            s, e, line = _md_span(text, starts, ends, a, a + 1)
            marker = re.match(r"#*[ \t]*", text[s:e])
            assert marker is not None  # the pattern matches the empty string too
            s += len(marker.group(0))
            style = "setext" if t.markup in ("=", "-") else "atx"
            blocks.append(Block("heading", inl.text, s, e, line, level=int(t.tag[1]), style=style))
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
            item_text = norm_ws(" ".join(parts))
            if item_text:
                blocks.append(Block("item", item_text, s, e, line, lead=lead, has_link=has_link))
            i = j + 1
            continue
        if t.type == "paragraph_open" and t.map:
            inl = _md_inline(tokens[i + 1])
            s, e, line = _md_span(text, starts, ends, t.map[0], t.map[1])
            if inl.text:
                blocks.append(
                    Block(
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
                blocks.append(Block("para", row, s, e, line, label=header))
            i = j + 1
            continue
        i += 1
    return blocks
