"""Plain text -> blocks.

Headings: ALL-CAPS lines (except the ones naming a kind: NOT ALLOWED, ALLOWED, ...), numbered headings
("1. Scope" alone between blank lines, "1.2 Scope"), underlined lines (`===`/`---`) and short lines
without final punctuation standing alone; the builder gives their styles levels in order of first
appearance (the docutils convention), numbered ones by depth. Paragraphs are runs of lines between
blank lines, or single lines where the text is written one paragraph per line (lines over 100
chars); bullets are `-`, `*`, `•`, `1)`, `a)`, `1.` with their indented or wrapped continuation lines.
"""

from __future__ import annotations

import re

from policygraph.ingest.generic.blocks import (
    END_PUNCT,
    MAX_HEADING_CHARS,
    Block,
    is_caps,
    line_spans,
    norm_ws,
    rstrip_end,
)
from policygraph.ingest.generic.classify import KIND_MARKER, norm_text
from policygraph.ingest.generic.ids import METADATA

__all__ = ["txt_blocks"]


_TXT_BULLET = re.compile(r"^([ \t]*)(?:[-*•‣◦▪●–]|\d{1,3}\)|\(?[a-zA-Z0-9]{1,3}\)|[a-z]\.)[ \t]+(?=\S)")
_TXT_NUMBERED = re.compile(r"^[ \t]*(\d{1,3}(?:\.\d{1,3})*)\.?[ \t]+(\S.*?)[ \t]*$")
_TXT_UNDERLINE = re.compile(r"^[ \t]*(=+|-+)[ \t]*$")


def _starts_upper(text: str) -> bool:
    for c in text:
        if c.isalpha():
            return c.isupper() or not c.islower()  # uncased scripts count as "upper"
        if c.isdigit():
            return True
    return False


def txt_blocks(text: str) -> list[Block]:
    """The blocks of a plain-text document, in document order."""
    starts, ends = line_spans(text)
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
                alone_at[k] = nxt is None or len(raw[nxt].strip()) > MAX_HEADING_CHARS
                split.append(("para", [k]))
        else:
            split.append((kind, lines))
    chunks = split

    blocks: list[Block] = []
    for kind, lines in chunks:
        first = lines[0]
        prev_blank = first == 0 or blank[first - 1] or first in alone_at
        next_blank = lines[-1] + 1 >= nlines or blank[lines[-1] + 1] or alone_at.get(first, False)
        if kind.startswith("ul"):
            title = raw[first].strip()
            s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
            blocks.append(Block("heading", norm_ws(title), s, s + len(title), first + 1, style=kind))
            continue
        if kind == "num":
            m = _TXT_NUMBERED.match(raw[first])
            assert m is not None  # a "num" chunk is a line that matched _TXT_NUMBERED
            depth = m.group(1).count(".") + 1
            s = starts[first] + m.start(2)
            blocks.append(
                Block("heading", norm_ws(m.group(2)), s, starts[first] + m.end(2), first + 1, style=f"num{depth}")
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
                    Block(
                        "heading",
                        norm_ws(numbered.group(2)),
                        s,
                        starts[first] + numbered.end(2),
                        first + 1,
                        style="num1",
                    )
                )
                continue
            m = _TXT_BULLET.match(raw[first]) or re.match(r"[ \t]*\d{1,3}\.[ \t]+", raw[first])
            assert m is not None  # an "item" chunk starts with a bullet or a "1. " line
            s = starts[first] + m.end()
            e = ends[lines[-1]]
            body = raw[first][m.end() :] + " " + " ".join(raw[k] for k in lines[1:])
            blocks.append(Block("item", norm_ws(body), s, rstrip_end(text, s, e), first + 1))
            continue
        # paragraph; a heading line at its top is split off
        head_style = _txt_heading_style(raw[first], alone=len(lines) == 1 and prev_blank and next_blank)
        if head_style and not (head_style == "short" and len(lines) > 1):
            title = raw[first].strip()
            s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
            blocks.append(Block("heading", norm_ws(title), s, s + len(title), first + 1, style=head_style))
            lines = lines[1:]
            if not lines:
                continue
            first = lines[0]
        s = starts[first] + len(raw[first]) - len(raw[first].lstrip())
        e = rstrip_end(text, s, ends[lines[-1]])
        blocks.append(
            Block("para", norm_ws(" ".join(raw[k] for k in lines)), s, e, first + 1, single_line=len(lines) == 1)
        )
    return blocks


def _long_line(line: str) -> bool:
    """Longer than a hard-wrapped line would be."""
    return len(line.strip()) > 100


def _txt_heading_like(title: str) -> bool:
    title = title.strip()
    return (
        0 < len(title) <= MAX_HEADING_CHARS
        and title[-1] not in END_PUNCT
        and _starts_upper(title)
        and any(c.isalpha() for c in title)
        and "://" not in title
    )


def _txt_heading_style(line: str, *, alone: bool) -> str:
    """Heading style of a plain-text line, or "" when it is none: ALL CAPS (not a kind marker), or
    a short unpunctuated line standing alone between blank lines."""
    title = line.strip()
    if not title or len(title) > MAX_HEADING_CHARS or _TXT_BULLET.match(line):
        return ""
    if KIND_MARKER.match(norm_text(title)):
        return ""  # NOT ALLOWED / ALLOWED / ...: a label
    if is_caps(title) and title[-1] not in ".!?;,":
        return "caps"
    if alone and _txt_heading_like(title) and not METADATA.match(title):
        return "short"
    return ""
