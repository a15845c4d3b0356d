"""Structured content, read as one text with a map back to its fields.

The moderation agent sends what it saw of a video or post field by field (`ContentQuery`: title,
description, transcript, on-screen text, hashtags, comments, upstream classifier labels, AIGC
provenance). Retrieval reads the fields joined by blank lines — one text to normalise, link and embed
— and every span it finds is mapped back to the field it came from and the characters inside that
field, as sent (`Composed.locate`).

Hashtags are split into words before they are read (`#BuyPillsNow` → "Buy Pills Now",
`#weed_delivery` → "weed delivery"). Scripts written without spaces (Chinese, Japanese, Thai...) are
split from other scripts but not into words: term linking matches their aliases as substrings.

Provenance becomes signals with reserved labels (`derived_signals`), so policy authors map it to
rules the way they map any classifier's label:

* `ai_generated` — how sure it is that the content is AI-generated: the detector score, 1.0 for a
  C2PA claim of an AI source type or for the creator's own AI label;
* `ai_disclosed` — 1.0 when the creator turned the AI-generated label on (`declared_ai: true`);
* `ai_generated_undisclosed` — `ai_generated`'s score when the creator did not disclose.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass

from policygraph.models import RESERVED_LABELS, TEXT_FIELDS, ContentQuery, ProvenanceRead, UpstreamSignal

#: fields are joined with this between them, so sentence splitting and tokenising never cross a field
SEPARATOR = "\n\n"
AI_GENERATED, AI_DISCLOSED, AI_UNDISCLOSED = RESERVED_LABELS
#: C2PA digital source types (IPTC vocabulary) that say a generative model made or composited the media
C2PA_AI_SOURCE_TYPES = ("trainedalgorithmicmedia", "compositewithtrainedalgorithmicmedia", "algorithmicmedia")

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")


def _script(ch: str) -> str:
    """The script of a letter or digit by its Unicode name (LATIN, CYRILLIC, DEVANAGARI, CJK...); digits
    belong to no script (they join whatever is next to them), anything else is "other"."""
    if ch.isdigit():
        return "digit"
    if not ch.isalpha():
        return "other"
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "other"
    if name.startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL")):
        return "cjk"
    return name.split(" ", 1)[0]


def split_hashtag(tag: str) -> str:
    """A hashtag as words: '#' dropped, split at underscores, hyphens, dots, camel case, letter/digit
    boundaries and changes of script. `#BuyPillsNow` → "Buy Pills Now", `#AI换脸教程` → "AI 换脸教程",
    `#drugsबेचो` → "drugs बेचो". Full-width letters are read as their plain forms first."""
    body = unicodedata.normalize("NFKC", tag).strip().lstrip("#").strip()
    body = re.sub(r"[_\-.·]+", " ", body)
    out: list[str] = []
    for word in body.split():
        pieces, cur, cur_script = [], "", ""
        for ch in word:
            s = _script(ch)
            if s == "digit" or s == "other":
                s = cur_script or s
            elif cur and cur_script not in ("", "digit", "other") and s != cur_script:
                pieces.append(cur)
                cur = ""
            cur, cur_script = cur + ch, s
        if cur:
            pieces.append(cur)
        for p in pieces:
            out.extend(x for x in _CAMEL.split(p) if x)
    return " ".join(out)


@dataclass(frozen=True)
class Part:
    """One field (or one hashtag, one comment) inside the joined text."""

    name: str  # text, title, description, transcript, ocr_text, hashtags[i], comments[i]
    group: str  # the field it belongs to: hashtags[2] → hashtags
    sent: str  # as sent
    read: str  # as read (a hashtag split into words)
    start: int  # span of `read` in the joined text
    end: int


@dataclass(frozen=True)
class Located:
    field: str
    start: int | None  # span inside the field as sent (None: several hashtags or comments, the whole group)
    end: int | None
    excerpt: str


@dataclass(frozen=True)
class Composed:
    """The content's fields joined into one text, and where each field sits in it."""

    text: str
    parts: tuple[Part, ...]
    structured: bool  # more than the one plain `text` was sent

    def groups(self) -> list[tuple[str, int, int]]:
        """(field, start, end) per field in the joined text; a field's hashtags or comments are one span."""
        out: list[tuple[str, int, int]] = []
        for p in self.parts:
            if out and out[-1][0] == p.group:
                out[-1] = (p.group, out[-1][1], p.end)
            else:
                out.append((p.group, p.start, p.end))
        return out

    def part_at(self, pos: int) -> Part | None:
        starts = [p.start for p in self.parts]
        i = bisect.bisect_right(starts, pos) - 1
        if i < 0:
            return None
        p = self.parts[i]
        return p if pos < p.end or (pos == p.end and p.start == p.end) else None

    def locate(self, start: int, end: int) -> Located | None:
        """The field a span of the joined text lies in (its first field when it crosses several), the span
        inside that field as sent, and an excerpt. A split hashtag maps to the whole hashtag."""
        p = self.part_at(start)
        if p is None:
            return None
        last = self.part_at(max(start, end - 1))
        if last is not None and last is not p and last.group == p.group and p.group != p.name:
            # a span over several hashtags or comments (they are read as one passage): the group, not item 0
            items = [x.sent for x in self.parts if x.group == p.group and x.start >= p.start and x.end <= last.end]
            return Located(p.group, None, None, _excerpt(" · ".join(items), 0, 10**9))
        if p.read != p.sent:  # a hashtag: its words were rebuilt, point at the whole tag
            return Located(p.name, 0, len(p.sent), p.sent[:160])
        a, b = start - p.start, min(end, p.end) - p.start
        return Located(p.name, a, b, _excerpt(p.sent, a, b))


def _excerpt(text: str, a: int, b: int, limit: int = 160) -> str:
    s = " ".join(text[a:b].split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def compose(q: ContentQuery) -> Composed:
    """Join the query's text fields (in `TEXT_FIELDS` order) with blank lines between them."""
    parts: list[Part] = []
    chunks: list[str] = []
    pos = 0
    for name in TEXT_FIELDS:
        value = getattr(q, name)
        items = [(f"{name}[{i}]", x) for i, x in enumerate(value)] if isinstance(value, list) else \
            ([(name, value)] if value else [])
        for part_name, sent in items:
            read = split_hashtag(sent) if name == "hashtags" else sent
            if not read.strip():
                continue
            if chunks:
                chunks.append(SEPARATOR)
                pos += len(SEPARATOR)
            chunks.append(read)
            parts.append(Part(part_name, name, sent, read, pos, pos + len(read)))
            pos += len(read)
    return Composed("".join(chunks), tuple(parts), q.structured())


def derived_signals(q: ContentQuery) -> tuple[list[UpstreamSignal], ProvenanceRead | None]:
    """The upstream signals plus those provenance implies (reserved labels, see the module docstring),
    the best score per label; and what was concluded about AI generation and disclosure."""
    best: dict[str, UpstreamSignal] = {}
    for s in q.signals:
        if s.label not in best or s.score > best[s.label].score:
            best[s.label] = s
    pv = q.provenance
    read = None
    if pv is not None:
        basis: list[str] = []
        score: float | None = None
        if pv.detector_score is not None:
            score = pv.detector_score
            basis.append(f"AI detector score {pv.detector_score:.2f}")
        claims = [c for c in pv.c2pa if any(t in c.lower().replace(" ", "") for t in C2PA_AI_SOURCE_TYPES)]
        if claims:
            score = 1.0
            basis.append(f"C2PA claim: {claims[0]}")
        if pv.declared_ai:
            score = 1.0
            basis.append("the creator labelled it AI-generated")
        elif pv.declared_ai is False:
            basis.append("the creator declared it not AI-generated")
        disclosed = bool(pv.declared_ai)
        read = ProvenanceRead(ai_generated=score, disclosed=disclosed, basis=basis)
        derived = []
        if score is not None:
            derived.append(UpstreamSignal(label=AI_GENERATED, score=score, model="provenance"))
            if not disclosed:
                derived.append(UpstreamSignal(label=AI_UNDISCLOSED, score=score, model="provenance"))
        if disclosed:
            derived.append(UpstreamSignal(label=AI_DISCLOSED, score=1.0, model="provenance"))
        for s in derived:
            if s.label not in best or s.score > best[s.label].score:
                best[s.label] = s
    return sorted(best.values(), key=lambda s: (-s.score, s.label)), read
