"""Undo the obfuscation evaders use before linking and embedding: `normalize(text) -> Normalized`.

A pure module: no model, no spaCy, standard library only at import (the confusables data of
`confusable_homoglyphs` is loaded on first need, only for text that mixes scripts inside a word).

Stages, each run only when a cheap check says it applies, in this order:

1. ``nfkc`` — Unicode NFKC (fullwidth, mathematical bold/italic letters, circled letters, ligatures).
2. ``emoji`` — emoji (with their skin tones, variation selectors, ZWJ sequences, keycaps and tag
   sequences) are removed from `text`, whether sprinkled inside a word ("ki🔥ll") or between words
   ("kill 🔥 you" -> "kill you", one adjacent space goes with them). *All* emoji are removed, a
   standalone one too: their meaning reaches the linker through `emoji_tokens()` /
   `Normalized.emoji` and the term aliases, not through the text. Exception: a text made of nothing
   but emoji (no letter or digit) keeps them, so there is something left to embed. Negative
   squared/circled letters (🅺🅸🅻🅻, 🅚🅘🅛🅛), which NFKC leaves alone, are folded to letters
   (``enclosed_letters``) when two or more stand together or one touches a letter.
   This stage runs right after NFKC, before the word-level stages (and not last): an emoji inside
   a word would otherwise hide the word from the leetspeak, spaced and repeated stages.
3. ``invisible_characters`` — zero-width space/joiner/non-joiner, word joiner and invisible
   operators, BOM, soft hyphen, LRM/RLM/ALM, bidi embeddings/overrides/isolates, variation
   selectors, tag characters, Mongolian vowel separator, combining grapheme joiner. ZWJ and ZWNJ
   are kept between two characters of one script that needs them (the Indic scripts, Arabic and
   Persian, Syriac); ZWJ, variation selectors and tags are kept inside an emoji sequence that stays.
4. ``confusables`` — Unicode TR39 confusables (data from the maintained `confusable_homoglyphs`
   package): inside one word, characters of a *minority* script are replaced by their lookalike in
   the word's dominant script ("hаtе" with Cyrillic а/е -> "hate"; "привeт" with a Latin e -> Cyrillic).
   Only when the dominant script has a strict majority of the word's letters and the character has
   a single-character lookalike in that script; a word written in one script (a genuine Russian or
   Greek word, even one that looks Latin, like "рос") is never rewritten.
5. ``leetspeak`` — inside Latin tokens that mix letters with 0 1 3 4 5 7 @ $
   (k1ll, h4te, $uicide, @ss, pa55word, h3ll0). Never: tokens without two letters, pure numbers,
   prices ($5, US$5m), tokens with any other digit (b2b, k8s, x86, covid19), number + unit or
   ordinal (10am, 5kg, 3rd, 100km), trailing digits alone (iphone15, mp3, win10), two letters
   ending in a digit (h1n1), in a hashtag a "4" between two runs of four letters (#stop4hate), URLs, e-mail
   addresses, @mentions (a leading @ folds only before at most two letters, "@ss", or when the
   token has other leetspeak). A leading digit folds only when the token has leetspeak inside too.
6. ``spaced_letters`` — three or more single letters (or leetspeak characters) separated by one
   consistent separator (space, ".", "-", "_", "*", "~", "·", "•", optionally padded by spaces) are
   joined: "k i l l", "k.i.l.l", "k - i - l - l". Latin letters only. Leetspeak is folded again in
   what was joined ("k 1 l l" -> "kill").
7. ``repeated_letters`` — runs of three or more of one Latin letter squeezed to one
   ("haaaate" -> "hate"), case-insensitively. Kept: a run of exactly three consonants inside a word
   (German compounds: Schifffahrt, Brennnessel), a token of one repeated letter (KKK, zzz), an
   upper-case Roman numeral (VIII, XXX), URLs. Digits are never touched.

`Normalized.to_original(start, end)` maps a span of `text` back to `original` through an offset
map kept across the stages (a character produced by a many-to-one or one-to-many change maps to the
whole original span it came from).

Nothing is lower-cased: case folding is the linker's job.

Known approximations (no dictionary is used): a stretched letter that is double in the real word
comes back single ("killllll" -> "kil"); a single "1" folds to "i" ("ki1l" -> "kiil"), "11" to "ll";
alphanumeric codes made of letters and the digits 0 1 3 4 5 7 with a digit inside may be folded
(w3c, HbA1c, c3po); short mentions such as "@ss" and initials such as "J. R. R." are
rewritten; whole-word homoglyph substitutions (every letter Cyrillic) are left alone by design.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["MAX_RUN", "STAGES", "Normalized", "break_long_runs", "emoji_tokens", "normalize"]

#: Names that can appear in `Normalized.undone`, in stage order.
STAGES = (
    "nfkc",
    "enclosed_letters",
    "emoji",
    "invisible_characters",
    "confusables",
    "leetspeak",
    "spaced_letters",
    "repeated_letters",
)


@dataclass(frozen=True)
class Normalized:
    original: str
    text: str
    undone: tuple[str, ...] = ()
    #: Emoji sequences found in `original` (variation selectors and skin tones dropped), in order.
    emoji: tuple[str, ...] = ()
    _starts: tuple[int, ...] | None = field(default=None, repr=False, compare=False)
    _ends: tuple[int, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that the span [start, end) of `text` came from."""
        n = len(self.text)
        if not 0 <= start <= end <= n:
            raise ValueError(f"span ({start}, {end}) outside the normalised text (length {n})")
        if self._starts is None or self._ends is None:
            return start, end
        if start == end:
            pos = self._starts[start] if start < n else len(self.original)
            return pos, pos
        return self._starts[start], self._ends[end - 1]

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of `text` that the span [start, end) of `original` became (what a field of joined
        content is after normalisation)."""
        if self._starts is None:
            return start, end
        a = bisect.bisect_left(self._starts, start)
        b = bisect.bisect_left(self._starts, end)
        return a, max(a, b)


# --------------------------------------------------------------------------- character classes

_INVISIBLE = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufe00-\ufe0f"
    "\U000e0001\U000e0020-\U000e007f\U000e0100-\U000e01ef"
)
_INVISIBLE_RE = re.compile(f"[{_INVISIBLE}]")
_ZW_JOINERS = "\u200c\u200d"
_EMOJI_GLUE = "\u200d\ufe0e\ufe0f\u20e3"  # kept inside an emoji sequence that stays

# Emoji bases: pictographs and symbols with emoji presentation (an approximation of
# Extended_Pictographic that needs no data file). Skin tones U+1F3FB..1F3FF fall inside.
_EMOJI_BASE = (
    "\U0001f000-\U0001f0ff\U0001f10d-\U0001f10f\U0001f12f\U0001f16a-\U0001f16f\U0001f170-\U0001f1ff"
    "\U0001f200-\U0001faff\u2600-\u27bf\u231a\u231b\u2328\u23cf\u23e9-\u23f3\u23f8-\u23fa"
    "\u2b05-\u2b07\u2b1b\u2b1c\u2b50\u2b55\u2934\u2935\u3030\u303d\u3297\u3299\u00a9\u00ae\u203c\u2049"
    "\u2122\u2139\u2194-\u2199\u21a9\u21aa\u24c2\u25aa\u25ab\u25b6\u25c0\u25fb-\u25fe"
)
_EMOJI_SEQ = (
    f"(?:[\U0001f1e6-\U0001f1ff]{{2}}|[0-9#*]\ufe0f?\u20e3|[{_EMOJI_BASE}](?:[\ufe0e\ufe0f\U000e0020-\U000e007f]|"
    f"\u200d(?:[{_EMOJI_BASE}]|[0-9#*]\ufe0f?\u20e3)?)*)"
)
_EMOJI_SEQ_RE = re.compile(_EMOJI_SEQ)
_EMOJI_RUN_RE = re.compile(f"{_EMOJI_SEQ}(?:[ \t]*{_EMOJI_SEQ})*")
_EMOJI_BASE_RE = re.compile(f"[{_EMOJI_BASE}]")
# Symbols that are emoji only with U+FE0F after them; as plain text they stay (©, ™, ↔, ▶...).
_TEXT_DEFAULT = frozenset(
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2194\u2195\u2196\u2197\u2198\u2199\u21a9\u21aa\u24c2"
    "\u25aa\u25ab\u25b6\u25c0\u25fb\u25fc\u2934\u2935\u3030\u303d\u3297\u3299"
)
# Negative circled (U+1F150..1F169) and negative squared (U+1F170..1F189) capital letters.
_ENCLOSED_RE = re.compile("[\U0001f150-\U0001f169\U0001f170-\U0001f189]")
_ENCLOSED_RUN_RE = re.compile("[\U0001f150-\U0001f169\U0001f170-\U0001f189]\ufe0f?")

_LATIN_L = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_CONFUSABLE_OTHER = (
    "\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f"  # Greek, Cyrillic
    "\u0530-\u058f\u13a0-\u13ff\uab70-\uabbf\u2c80-\u2cff\ua4d0-\ua4ff"  # Armenian Cherokee Coptic Lisu
)
_LATIN_RE = re.compile(f"[{_LATIN_L}]")
_MIXED_GATE_RE = re.compile(  # a Latin letter next to a Greek/Cyrillic/... one, or Greek next to Cyrillic
    f"[{_LATIN_L}][{_CONFUSABLE_OTHER}]|[{_CONFUSABLE_OTHER}][{_LATIN_L}]"
    "|[\u0370-\u03ff\u1f00-\u1fff][\u0400-\u052f]|[\u0400-\u052f][\u0370-\u03ff\u1f00-\u1fff]"
)
_GREEK_RE = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_CYRILLIC_RE = re.compile("[\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")
_HAS_OTHER_RE = re.compile(f"[{_CONFUSABLE_OTHER}]")
_WORD_RE = re.compile(r"\w+")

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_CHARS = frozenset(_LEET)
_LEET_SYMBOLS = frozenset("@$")
_LEET_GATE_RE = re.compile(r"[013457@$](?:(?<=[A-Za-z].)|(?=[A-Za-z]))")
_LEET_TOKEN_RE = re.compile(r"[A-Za-z0-9@$]+")
_HEX_RE = re.compile(r"0[xX][0-9A-Fa-f]+")

_SPACED_ITEM = "[A-Za-z013457@$]"
_SPACED_RE = re.compile(
    rf"(?<![\w@$]){_SPACED_ITEM}(?P<sep> | ?[.\-_*~·•] ?){_SPACED_ITEM}(?:(?P=sep){_SPACED_ITEM})+(?![\w@$])"
)

_REPEAT_RE = re.compile(f"([{_LATIN_L}])\\1{{2,}}", re.IGNORECASE)
_REPEAT_GATE_RE = re.compile(f"([{_LATIN_L}])\\1\\1")  # case-sensitive: twice as fast
_VOWELS = frozenset("aeiouyàáâãäåæèéêëìíîïòóôõöøùúûüýÿāăąēĕėęěīĭįıōŏőœūŭůűų")
_ROMAN_RE = re.compile(r"M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")

_PROTECT_GATE_RE = re.compile(r"://|www\.|@|\.[a-z]{2,}\b", re.IGNORECASE)
PROTECTED_PATTERN = re.compile(
    r"(?:https?|ftp)://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|edu|gov|io|co|ru|de|uk|fr|es|it|nl|info|biz|xyz|gg|ly|me|tv|app|dev)"
    r"\b(?:/\S*)?",
    re.IGNORECASE,
)
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z_][\w.]*")

# Scripts in which ZWJ/ZWNJ shape the text: each Indic block, Sinhala, Arabic (+ supplements and
# presentation forms), Syriac.
_JOINER_BLOCKS = (
    (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"), (0x0870, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"), (0x0700, 0x074F, "syriac"),
)


def _joiner_script(ch: str) -> str | None:
    o = ord(ch)
    if 0x0900 <= o <= 0x0DFF:
        return f"indic{(o - 0x0900) >> 7}"
    if 0xA8E0 <= o <= 0xA8FF:
        return "indic0"  # Devanagari extended
    for lo, hi, name in _JOINER_BLOCKS:
        if lo <= o <= hi:
            return name
    return None


# --------------------------------------------------------------------------- offset-keeping edits

Edit = tuple[int, int, str]  # replace text[a:b] by the string


class _Buf:
    """The text under normalisation and, per character, the original span it came from."""

    __slots__ = ("ends", "starts", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = list(range(len(text)))
        self.ends = list(range(1, len(text) + 1))

    def apply(self, edits: list[Edit]) -> None:
        """Apply sorted, non-overlapping edits."""
        text, starts, ends = self.text, self.starts, self.ends
        out: list[str] = []
        ns: list[int] = []
        ne: list[int] = []
        pos = 0
        for a, b, r in edits:
            out.append(text[pos:a])
            ns.extend(starts[pos:a])
            ne.extend(ends[pos:a])
            if r:
                if len(r) == b - a:
                    ns.extend(starts[a:b])
                    ne.extend(ends[a:b])
                else:
                    s = starts[a] if a < len(starts) else (ends[-1] if ends else 0)
                    e = ends[b - 1] if b > a else s
                    ns.extend([s] * len(r))
                    ne.extend([e] * len(r))
                out.append(r)
            pos = b
        out.append(text[pos:])
        ns.extend(starts[pos:])
        ne.extend(ends[pos:])
        self.text = "".join(out)
        self.starts = ns
        self.ends = ne


def _protected(text: str) -> list[tuple[int, int]]:
    """Spans no word-level stage may touch: URLs, e-mail addresses, domain names."""
    if not _PROTECT_GATE_RE.search(text):
        return []
    return [m.span() for m in PROTECTED_PATTERN.finditer(text)]


def _inside(spans: list[tuple[int, int]], a: int, b: int) -> bool:
    return any(s < b and a < e for s, e in spans)


# --------------------------------------------------------------------------- stages


def _nfkc(text: str) -> list[Edit]:
    # Cut the text where NFKC cannot join neighbours: before a character with combining class 0,
    # unless normalising the two pieces together differs from normalising them apart (Hangul jamo,
    # two-part Indic vowels). ASCII never composes with what follows it.
    n = len(text)
    chunks: list[list[int]] = []
    cur = [0, 0]
    for j in range(n):
        if j == 0:
            cur = [0, 1]
            continue
        c = text[j]
        if unicodedata.combining(c) == 0:
            prev = text[cur[0]:cur[1]]
            if c < "\x80" or prev[-1] < "\x80" or (
                unicodedata.normalize("NFKC", prev + c)
                == unicodedata.normalize("NFKC", prev) + unicodedata.normalize("NFKC", c)
            ):
                chunks.append(cur)
                cur = [j, j + 1]
                continue
        cur[1] = j + 1
    if n:
        chunks.append(cur)
    edits: list[Edit] = []
    for a, b in chunks:
        seg = text[a:b]
        if not unicodedata.is_normalized("NFKC", seg):
            edits.append((a, b, unicodedata.normalize("NFKC", seg)))
    return edits


def _enclosed_letters(text: str) -> list[Edit]:
    edits: list[Edit] = []
    ms = list(_ENCLOSED_RUN_RE.finditer(text))
    for k, m in enumerate(ms):
        a, b = m.span()
        run_neighbour = (k > 0 and ms[k - 1].end() == a) or (k + 1 < len(ms) and ms[k + 1].start() == b)
        letter_neighbour = (a > 0 and text[a - 1].isalpha()) or (b < len(text) and text[b].isalpha())
        if run_neighbour or letter_neighbour:
            o = ord(text[a])
            base = 0x1F150 if o < 0x1F170 else 0x1F170
            edits.append((a, b, chr(ord("A") + o - base)))
    return edits


def _is_emoji_seq(s: str) -> bool:
    """Not a text-default symbol (©, ™, ▶) standing without U+FE0F."""
    return not (s[0] in _TEXT_DEFAULT and "\ufe0f" not in s)


def _emoji_runs(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _EMOJI_RUN_RE.finditer(text)
            if any(_is_emoji_seq(x.group()) for x in _EMOJI_SEQ_RE.finditer(m.group()))]


def _emoji(text: str) -> list[Edit]:
    runs = _emoji_runs(text)
    if not runs:
        return []
    # An emoji-only text keeps its emoji: it would otherwise become empty.
    rest, pos = [], 0
    for a, b in runs:
        rest.append(text[pos:a])
        pos = b
    rest.append(text[pos:])
    if not any(ch.isalnum() for ch in "".join(rest)):
        return []
    n = len(text)
    edits: list[Edit] = []
    last = 0
    for a, b in runs:
        left = text[a - 1] if a > 0 else None
        right = text[b] if b < n else None
        if left is not None and left.isspace() and (right is None or right.isspace()):
            if right is not None and right in " \t":
                b += 1
            elif a - 1 >= last:
                a -= 1
        elif left is None and right is not None and right in " \t":
            b += 1
        edits.append((a, b, ""))
        last = b
    return edits


def _invisible(text: str) -> list[Edit]:
    edits: list[Edit] = []
    n = len(text)
    kept_glue = -2
    for m in _INVISIBLE_RE.finditer(text):
        i = m.start()
        c = text[i]
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < n else ""
        if c in _ZW_JOINERS and prev and nxt:
            s = _joiner_script(prev)
            if s is not None and s == _joiner_script(nxt):
                continue
        # inside an emoji sequence that stayed (emoji-only text): after an emoji, or after glue kept
        if (c in _EMOJI_GLUE or "\U000e0020" <= c <= "\U000e007f") and (
                nxt == "\u20e3" or (prev and _EMOJI_BASE_RE.match(prev))
                or (i - 1 == kept_glue)):
            kept_glue = i
            continue
        edits.append((i, i + 1, ""))
    return edits


@lru_cache(maxsize=1)
def _confusables_lib():
    from confusable_homoglyphs import categories, confusables

    return categories.alias, confusables.confusables_data


@lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    alias, _ = _confusables_lib()
    return alias(ch)


@lru_cache(maxsize=4096)
def _lookalike(ch: str, script: str) -> str | None:
    """The single character of `script` that TR39 says `ch` is confusable with, if any: one of its
    direct lookalikes or, one step further, one of theirs (Cyrillic І -> l -> I); same case first.
    Into Latin only an ASCII letter counts (Greek τ's only Latin lookalike, small-capital ᴛ, does not)."""
    _, data = _confusables_lib()
    direct = [d["c"] for d in data.get(ch, ()) if len(d["c"]) == 1]
    cands: list[tuple[int, str]] = []
    for rank, pool in ((0, direct), (1, [x["c"] for c in direct for x in data.get(c, ()) if len(x["c"]) == 1])):
        for c in pool:
            if c != ch and _script(c) == script and (script != "LATIN" or c.isascii()):
                cands.append((rank, c))
    if not cands:
        return None
    # direct lookalikes first unless a one-step one alone has the right case
    upper = ch.isupper()

    def key(rc: tuple[int, str]) -> tuple[int, int, int]:
        rank, c = rc
        return (0 if (c.isupper() == upper and c.isalpha()) else 1, rank, 0 if c.isascii() else 1)

    return min(cands, key=key)[1]


def _confusables(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for m in _WORD_RE.finditer(text):
        word = m.group()
        if not (_LATIN_RE.search(word) and _HAS_OTHER_RE.search(word)) and not (
                _GREEK_RE.search(word) and _CYRILLIC_RE.search(word)):
            continue
        counts: dict[str, int] = {}
        scripts: list[str | None] = []
        for ch in word:
            if ch.isalpha():
                s = _script(ch)
                if s in ("COMMON", "INHERITED"):
                    scripts.append(None)
                    continue
                counts[s] = counts.get(s, 0) + 1
                scripts.append(s)
            else:
                scripts.append(None)
        if len(counts) < 2:
            continue
        dominant = max(counts, key=counts.__getitem__)
        if counts[dominant] * 2 <= sum(counts.values()):
            continue  # no strict majority: leave the word
        for k, (ch, script) in enumerate(zip(word, scripts, strict=True)):
            if script is not None and script != dominant:
                r = _lookalike(ch, dominant)
                if r is not None:
                    i = m.start() + k
                    edits.append((i, i + 1, r))
    return edits


def _leet_token(text: str, a: int, b: int, edits: list[Edit]) -> None:
    tok = text[a:b]
    if len(tok) < 3:
        return
    letters = [i for i, c in enumerate(tok) if c.isalpha()]
    if len(letters) < 2:
        return
    leets = [i for i, c in enumerate(tok) if c in _LEET_CHARS]
    if not leets or len(leets) > len(letters):
        return
    for i, c in enumerate(tok):
        if c.isdigit() and c not in _LEET_CHARS:
            return  # b2b, k8s, x86, covid19: codes, not leetspeak
        if c == "$" and ((i + 1 < len(tok) and tok[i + 1].isdigit()) or (i > 0 and tok[i - 1].isdigit())):
            return  # money
    first, last = letters[0], letters[-1]
    if len(letters) < 3 and tok[-1].isdigit() or _HEX_RE.fullmatch(tok):
        return  # h1n1, a1b2, 0x1F: a code
    # in a hashtag, a 4 with four letters or more on both sides reads "for" (#stop4hate): left alone
    hashtag = a > 0 and text[a - 1] == "#"
    interior = [i for i in leets if first < i < last
                and not (hashtag and tok[i] == "4" and i >= 4 and tok[i - 4:i].isalpha() and len(tok) - i > 4
                         and tok[i + 1:i + 5].isalpha())]
    interior_ok = bool(interior)
    fold: set[int] = set(interior) if interior_ok else set()
    lead = [i for i in leets if i < first]
    if lead:
        lead_s = tok[:first]
        if lead_s == "$":
            fold.add(0)
        elif lead_s == "@":
            if last - first + 1 <= 2 or interior_ok:
                fold.add(0)
        elif interior_ok:
            fold.update(lead)
    trail = [i for i in leets if i > last]
    if trail and fold:
        fold.update(trail)
    if not fold:
        return
    upper = all(tok[i].isupper() for i in letters)
    k = 0
    idx = sorted(fold)
    while k < len(idx):
        i = idx[k]
        c = tok[i]
        if c == "1":  # a run of 1s is "ll" (ki11), a single 1 is "i" (k1ll)
            j = i
            while j + 1 < len(tok) and tok[j + 1] == "1":
                j += 1
            run = j - i + 1
            r = "l" if run >= 2 else "i"
            for p in range(i, j + 1):
                if p in fold:
                    edits.append((a + p, a + p + 1, r.upper() if upper else r))
            while k < len(idx) and idx[k] <= j:
                k += 1
            continue
        r = _LEET[c]
        edits.append((a + i, a + i + 1, r.upper() if upper else r))
        k += 1


def _leet(text: str) -> list[Edit]:
    prot = _protected(text)
    if "@" in text:
        prot = prot + [m.span() for m in _MENTION_RE.finditer(text)
                       if len([c for c in m.group()[1:] if c.isalpha()]) > 2
                       and not any(c in "013457$" for c in m.group()[1:])]
    edits: list[Edit] = []
    for m in _LEET_TOKEN_RE.finditer(text):
        a, b = m.span()
        if prot and _inside(prot, a, b):
            continue
        _leet_token(text, a, b, edits)
    edits.sort()
    return edits


def _unprotected(pattern: re.Pattern, text: str):
    """(match, start, end) for every match of `pattern` outside URLs and e-mail addresses."""
    prot = _protected(text)
    for m in pattern.finditer(text):
        a, b = m.span()
        if not (prot and _inside(prot, a, b)):
            yield m, a, b


def _spaced(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for m, a, b in _unprotected(_SPACED_RE, text):
        sep = m.group("sep")
        items = text[a:b:len(sep) + 1]
        letters = sum(c.isalpha() for c in items)
        if letters < 2 or letters <= len(items) - letters:
            continue
        for i in range(a + 1, b, len(sep) + 1):
            edits.append((i, i + len(sep), ""))
    return edits


def _token_bounds(text: str, a: int, b: int) -> tuple[int, int]:
    while a > 0 and text[a - 1].isalnum():
        a -= 1
    n = len(text)
    while b < n and text[b].isalnum():
        b += 1
    return a, b


def _repeated(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for _m, a, b in _unprotected(_REPEAT_RE, text):
        ta, tb = _token_bounds(text, a, b)
        tok = text[ta:tb]
        if len(set(tok.lower())) == 1:
            continue  # KKK, zzz, kkkk
        if tok.isupper() and _ROMAN_RE.fullmatch(tok):
            continue  # VIII, XXX
        if b - a == 3 and ta < a and b < tb and text[a].lower() not in _VOWELS:
            continue  # Schifffahrt, Brennnessel
        edits.append((a + 1, b, ""))
    return edits


# --------------------------------------------------------------------------- public API


def emoji_tokens(text: str) -> list[str]:
    """The emoji in `text`, one entry per emoji sequence (ZWJ sequences, flags and keycaps whole), in
    order, with variation selectors and skin-tone modifiers dropped so they match plain aliases:
    "👍🏽 ❤️" -> ["👍", "❤"]. Text-default symbols (©, ™, ▶) count only when written with U+FE0F."""
    if text.isascii():
        return []
    out = []
    for m in _EMOJI_SEQ_RE.finditer(text):
        s = m.group()
        if not _is_emoji_seq(s):
            continue
        s = "".join(c for c in s if c not in "\ufe0e\ufe0f" and not "\U0001f3fb" <= c <= "\U0001f3ff")
        if s:
            out.append(s)
    return out


def normalize(text: str) -> Normalized:
    """Undo obfuscation in `text`; see the module docstring for what and how."""
    ascii_ = text.isascii()
    if ascii_ and not (_LEET_GATE_RE.search(text) or _SPACED_RE.search(text) or _REPEAT_GATE_RE.search(text)):
        return Normalized(original=text, text=text)  # the fast path

    buf: _Buf | None = None
    undone: list[str] = []

    def run(name: str, stage) -> bool:
        nonlocal buf
        edits = stage(buf.text if buf is not None else text)
        if not edits:
            return False
        if buf is None:
            buf = _Buf(text)
        buf.apply(edits)
        if name not in undone:
            undone.append(name)
        return True

    emoji: tuple[str, ...] = ()
    if not ascii_:
        if not unicodedata.is_normalized("NFKC", text):
            run("nfkc", _nfkc)
        cur = buf.text if buf is not None else text
        top = max(cur) if cur else ""
        if top >= "\U0001f150" and _ENCLOSED_RE.search(cur):
            run("enclosed_letters", _enclosed_letters)
            cur = buf.text if buf is not None else text
        # every emoji sequence holds a character from U+203C up (a base, U+FE0F or U+20E3)
        if top >= "\u203c" and (_EMOJI_BASE_RE.search(cur) or "\u20e3" in cur):
            emoji = tuple(emoji_tokens(text))
            run("emoji", _emoji)
            cur = buf.text if buf is not None else text
        if _INVISIBLE_RE.search(cur):
            run("invisible_characters", _invisible)
            cur = buf.text if buf is not None else text
        if not cur.isascii() and _MIXED_GATE_RE.search(cur):
            run("confusables", _confusables)
    cur = buf.text if buf is not None else text
    if _LEET_GATE_RE.search(cur):
        run("leetspeak", _leet)
        cur = buf.text if buf is not None else text
    if _SPACED_RE.search(cur) and run("spaced_letters", _spaced):
        assert buf is not None  # run() returned True, so it has made the buffer
        cur = buf.text
        if _LEET_GATE_RE.search(cur):
            run("leetspeak", _leet)
            cur = buf.text
    if _REPEAT_GATE_RE.search(cur):
        run("repeated_letters", _repeated)

    if buf is None:
        return Normalized(original=text, text=text, emoji=emoji)
    undone.sort(key=STAGES.index)
    return Normalized(original=text, text=buf.text, undone=tuple(undone), emoji=emoji,
                      _starts=tuple(buf.starts), _ends=tuple(buf.ends))


#: spaCy strips affixes from a whitespace-free run one character at a time, searching the whole rest of
#: the run each time (quadratic: 10,000 emoji in a row took 18 s). No alias is that long, so a longer run
#: gets a space every this many characters (at a non-letter where there is one; offsets are unchanged).
MAX_RUN = 64
_LONG_RUN = re.compile(r"\S{%d,}" % (MAX_RUN + 1))


def break_long_runs(text: str) -> str:
    """`text` with a space every MAX_RUN characters inside longer whitespace-free runs (same length, same
    offsets), so a tokenizer never meets a run longer than MAX_RUN."""
    if len(text) <= MAX_RUN or not _LONG_RUN.search(text):
        return text
    chars = list(text)
    for m in _LONG_RUN.finditer(text):
        pos = m.start()
        while m.end() - pos > MAX_RUN:
            window = range(pos + MAX_RUN, pos + MAX_RUN // 2, -1)
            cut = next((i for i in window if not chars[i].isalnum()), pos + MAX_RUN)
            chars[cut] = " "
            pos = cut + 1
    return "".join(chars)
