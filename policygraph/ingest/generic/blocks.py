"""The block model: the one flat list of headings, paragraphs and list items that every format parser
(`markdown`, `plaintext`, `html`) reads a document into, each block with its character span in the
ORIGINAL text, and the helpers over blocks, lines and spans those parsers and the builder share."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Literal

#: a heading (or a bold paragraph taken for one) is at most this long
MAX_HEADING_CHARS = 80
#: a line ending in one of these is a sentence or clause, not a heading or label
END_PUNCT = ".,;:!?…)]\"'”’»"


@dataclass
class Block:
    """A heading, paragraph or list item: its plain text (markup dropped, whitespace normalised), its
    span [start, end) and 1-based line in the original text, and what the builder needs to know."""

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


def norm_ws(text: str) -> str:
    """Runs of whitespace as one space, stripped."""
    return _WS.sub(" ", text).strip()


def line_spans(text: str) -> tuple[list[int], list[int]]:
    """Start offset and end offset (newline excluded) of every line."""
    starts, ends = [0], []
    for m in _NEWLINE.finditer(text):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(text))
    return starts, ends


def offset_to_line(starts: list[int], offset: int) -> int:
    """1-based line of a character offset, given the line starts of `line_spans`."""
    return bisect.bisect_right(starts, offset)  # 1-based


def is_caps(text: str) -> bool:
    """ALL CAPS: at least three letters, none lower case (parenthesised parts ignored)."""
    bare = re.sub(r"\([^)]*\)", "", text)
    letters = [c for c in bare if c.isalpha()]
    return len(letters) >= 3 and all(not c.islower() for c in letters) and any(c.isupper() for c in letters)


def rstrip_end(text: str, start: int, end: int) -> int:
    """`end` moved back over trailing whitespace, not before `start`."""
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


_WORD_TRIM = ".,;:!?()[]\"'“”‘’*_"


def word_spans(original: str, lo: int, hi: int, text: str, *, first_before: int | None = None) -> list[tuple[int, int]]:
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
