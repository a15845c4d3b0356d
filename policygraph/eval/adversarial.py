"""Adversarial perturbations: the obfuscations evaders use, applied deterministically to eval items.

`ATTACKS[name](text, rng) -> str` perturbs only Latin-script words (runs of ASCII letters that do not
touch another letter, digit, apostrophe or hyphen, outside URLs, e-mail addresses, @mentions and
#hashtags); text in other scripts comes back unchanged, and `applicable(name, text)` tells whether
an attack has anything to work on. `rng_for(item_id, name)` seeds a `random.Random` from the item id,
so a run is reproducible; `perturb(text, name, item_id)` does both.

Attacks:

- ``leetspeak``   — letters inside a word -> 4 @ 3 0 5 $ 7 1 (never the first or last letter, except a
  leading "$" for s / "@" for a); fewer than half the letters, so the word stays readable;
- ``homoglyphs``  — Latin letters -> Cyrillic/Greek lookalikes, fewer than half of a word's letters;
- ``zero_width``  — zero-width space/joiner/non-joiner, word joiner, BOM or soft hyphen between letters;
- ``spaced``      — the letters of a word separated by " ", ".", "-" or "*";
- ``emoji``       — emoji sprinkled inside words and between words;
- ``repeated``    — single letters stretched to 4-7 copies;
- ``mixed``       — two of the above, applied in the order listed in `BASE_ATTACKS`;
- ``typos``       — neighbouring letters swapped in some words: not undone by normalisation, it
  measures the embedder's own tolerance of misspellings (HateCheck's spell_* cases are like it).

Every attack but ``typos`` is made to be undone by `policygraph.normalize.normalize` (tests/unit/test_adversarial.py
checks that `normalize(attacked).text == normalize(clean).text`); how well the *system* copes is what
`run_attacks` measures: top-3 on each perturbed item against the same item clean.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import random
import re
from collections.abc import Callable, Iterable, Sequence

from policygraph.normalize import PROTECTED_PATTERN

Attack = Callable[[str, random.Random], str]

_WORD_RE = re.compile(r"(?<![\w@#$'’\-])[A-Za-z]+(?![\w@$'’\-])")
_SPACED_WORD_RE = re.compile(r"(?<![\w@#$'’\-])[A-Za-z013457@$]+(?![\w@$'’\-])")
_MENTION_TAG_RE = re.compile(r"[@#]\w+")
_ROMAN = frozenset("IVXLCDM")

_LEET_SUBS = {"a": "4@", "e": "3", "o": "0", "s": "5$", "t": "7", "i": "1"}
HOMOGLYPHS = {  # Latin -> Cyrillic / Greek lookalikes (hand-picked: this is the attacker's side)
    "a": "\u0430\u03b1", "c": "\u0441", "d": "\u0501", "e": "\u0435", "h": "\u04bb", "i": "\u0456\u03b9",
    "j": "\u0458", "o": "\u043e\u03bf", "p": "\u0440\u03c1", "s": "\u0455", "u": "\u03c5", "v": "\u03bd",
    "x": "\u0445", "y": "\u0443",
    "A": "\u0410\u0391", "B": "\u0412\u0392", "C": "\u0421", "E": "\u0415\u0395", "H": "\u041d\u0397",
    "J": "\u0408", "K": "\u041a\u039a", "M": "\u041c\u039c", "N": "\u039d", "O": "\u041e\u039f",
    "P": "\u0420\u03a1", "S": "\u0405", "T": "\u0422\u03a4", "X": "\u0425\u03a7", "Y": "\u04ae\u03a5",
    "Z": "\u0396",
}
_INVISIBLES = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad")
_EMOJI = ("🔥", "😂", "💀", "🙏", "✨", "👉", "😡", "🤡", "💯", "❤️", "👍🏽", "🏳️‍🌈", "🔪", "💊")
_SEPARATORS = (" ", ".", "-", "*")


def _blocked(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in PROTECTED_PATTERN.finditer(text)] + [m.span() for m in _MENTION_TAG_RE.finditer(text)]


def _words(text: str, pattern: re.Pattern = _WORD_RE, min_len: int = 3) -> list[tuple[int, int]]:
    blocked = _blocked(text)
    return [m.span() for m in pattern.finditer(text)
            if m.end() - m.start() >= min_len and not any(s < m.end() and m.start() < e for s, e in blocked)]


def _choose(spans: list[tuple[int, int]], rng: random.Random) -> list[tuple[int, int]]:
    """The words to perturb: about a third of them (at least one), longer words first in line."""
    if not spans:
        return []
    pool = [s for s in spans if s[1] - s[0] >= 4] or spans
    k = max(1, min(len(pool), math.ceil(len(pool) / 3)))
    return sorted(rng.sample(pool, k))


def _rewrite(text: str, spans: list[tuple[int, int]], fn: Callable[[str], str]) -> str:
    out, pos = [], 0
    for a, b in sorted(spans):
        out += [text[pos:a], fn(text[a:b])]
        pos = b
    out.append(text[pos:])
    return "".join(out)


# --------------------------------------------------------------------------- the attacks


def _leet_candidates(text: str) -> list[tuple[int, int]]:
    return [s for s in _words(text) if _leet_positions(text[s[0]:s[1]])]


def _leet_positions(word: str) -> list[int]:
    upper = word.isupper()
    return [i for i in range(1, len(word) - 1)
            if (word[i].lower() in _LEET_SUBS and word[i].isupper() == upper)
            ]


def leetspeak(text: str, rng: random.Random) -> str:
    def one(word: str) -> str:
        chars = list(word)
        if len(word) == 3 and word[0] == "a" and rng.random() < 0.5:
            chars[0] = "@"  # "@ss": a leading @ alone (normalize folds it before at most two letters)
            return "".join(chars)
        pos = _leet_positions(word)
        limit = max(1, (len(word) - 1) // 2)
        for i in sorted(rng.sample(pos, rng.randint(1, min(len(pos), limit)))):
            subs = _LEET_SUBS[word[i].lower()]
            if word[i].lower() == "i" and (chars[i - 1] == "1" or word[i + 1].lower() == "i"):
                continue  # "11" reads as "ll"
            chars[i] = rng.choice(subs)
        letters = sum(c.isalpha() for c in chars)
        if word[0] == "s" and letters >= 3 and chars[1].isalpha() and rng.random() < 0.3:
            chars[0] = "$"  # "$uicide"
        for i, c in enumerate(chars):  # "$" next to a digit reads as money
            if c == "$" and any(0 <= j < len(chars) and chars[j].isdigit() for j in (i - 1, i + 1)):
                chars[i] = word[i]
        return "".join(chars)

    return _rewrite(text, _choose(_leet_candidates(text), rng), one)


def _homoglyph_candidates(text: str) -> list[tuple[int, int]]:
    return [s for s in _words(text) if any(c in HOMOGLYPHS for c in text[s[0]:s[1]])]


def homoglyphs(text: str, rng: random.Random) -> str:
    def one(word: str) -> str:
        pos = [i for i, c in enumerate(word) if c in HOMOGLYPHS]
        chars = list(word)
        for i in rng.sample(pos, rng.randint(1, min(len(pos), max(1, (len(word) - 1) // 2)))):
            chars[i] = rng.choice(HOMOGLYPHS[word[i]])
        return "".join(chars)

    return _rewrite(text, _choose(_homoglyph_candidates(text), rng), one)


def zero_width(text: str, rng: random.Random) -> str:
    def one(word: str) -> str:
        gaps = sorted(rng.sample(range(1, len(word)), rng.randint(1, min(3, len(word) - 1))))
        out, pos = [], 0
        for g in gaps:
            out += [word[pos:g], rng.choice(_INVISIBLES)]
            pos = g
        out.append(word[pos:])
        return "".join(out)

    return _rewrite(text, _choose(_words(text), rng), one)


def _single_item(tok: str) -> bool:
    return len(tok) == 1 and tok in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz013457@$"


def _spaced_candidates(text: str) -> list[tuple[int, int]]:
    out = []
    for a, b in _words(text, _SPACED_WORD_RE):
        word = text[a:b]
        letters = sum(c.isalpha() for c in word)
        if letters < 2 or letters <= len(word) - letters:
            continue
        before, after = text[:a].split(), text[b:].split()
        # a single letter or digit next to it would be joined too ("a k i l l" -> "akill")
        if (before and _single_item(before[-1]) and text[a - 1].isspace()) or (
                after and _single_item(after[0]) and text[b].isspace()):
            continue
        out.append((a, b))
    return out


def spaced(text: str, rng: random.Random) -> str:
    cands = _spaced_candidates(text)
    chosen = _choose(cands, rng)
    # never two neighbouring words: "k i l l y o u" would read as one
    keep: list[tuple[int, int]] = []
    for s in chosen:
        if keep and not text[keep[-1][1]:s[0]].strip(" "):
            continue
        keep.append(s)
    sep = rng.choice(_SEPARATORS)
    return _rewrite(text, keep, lambda w: sep.join(w))


def emoji(text: str, rng: random.Random) -> str:
    words = _words(text)
    if not words:
        return text

    def one(word: str) -> str:
        g = rng.randint(1, len(word) - 1)
        return word[:g] + rng.choice(_EMOJI) + word[g:]

    out = _rewrite(text, _choose(words, rng), one)
    # and between words: "kill 🔥 you"
    gaps = [m.start() for m in re.finditer(r"(?<=\S) (?=\S)", out)]
    for g in sorted(rng.sample(gaps, min(len(gaps), rng.randint(1, 2))), reverse=True):
        out = out[:g + 1] + rng.choice(_EMOJI) + " " + out[g + 1:]
    return out


def _repeat_positions(text: str, a: int, b: int) -> list[int]:
    """Letters of text[a:b] that stand alone (no same letter next to them, no digit or other script)."""
    n = len(text)
    out = []
    for i in range(a, b):
        c = text[i].lower()
        ok = True
        for j in (i - 1, i + 1):
            if 0 <= j < n:
                d = text[j]
                if d.lower() == c or (d.isalnum() and not d.isascii()) or d.isdigit() or d in "@$":
                    ok = False
        if ok:
            out.append(i)
    return out


def _repeat_candidates(text: str) -> list[tuple[int, int]]:
    out = []
    for a, b in _words(text):
        w = text[a:b]
        if w.isupper() and set(w) <= _ROMAN:
            continue
        if _repeat_positions(text, a, b):
            out.append((a, b))
    return out


def repeated(text: str, rng: random.Random) -> str:
    spans = _choose(_repeat_candidates(text), rng)
    out, pos = [], 0
    for a, b in spans:
        cands = _repeat_positions(text, a, b)
        stretch = set(rng.sample(cands, min(len(cands), rng.randint(1, 2))))
        out.append(text[pos:a])
        out += [c * rng.randint(4, 7) if a + k in stretch else c for k, c in enumerate(text[a:b])]
        pos = b
    out.append(text[pos:])
    return "".join(out)


BASE_ATTACKS: dict[str, Attack] = {
    "leetspeak": leetspeak,
    "homoglyphs": homoglyphs,
    "repeated": repeated,
    "spaced": spaced,
    "zero_width": zero_width,
    "emoji": emoji,
}


def typos(text: str, rng: random.Random) -> str:
    """Two neighbouring inner letters swapped in some words ("hate" -> "htae"): the one attack here that
    normalisation does not undo; it measures how far the embedder itself tolerates misspelling."""

    def swap(word: str) -> str:
        if len(word) < 4:
            return word
        i = rng.randrange(1, len(word) - 2)
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]

    return _rewrite(text, _choose(_words(text, min_len=4), rng), swap)


def mixed(text: str, rng: random.Random) -> str:
    chosen = set(rng.sample(sorted(BASE_ATTACKS), 2))
    for n in [n for n in BASE_ATTACKS if n in chosen]:
        text = BASE_ATTACKS[n](text, rng)
    return text


ATTACKS: dict[str, Attack] = {
    "leetspeak": leetspeak,
    "homoglyphs": homoglyphs,
    "zero_width": zero_width,
    "spaced": spaced,
    "emoji": emoji,
    "repeated": repeated,
    "mixed": mixed,
    "typos": typos,
}

#: the attacks normalisation is built to undo (all but typos)
UNDOABLE = tuple(n for n in ATTACKS if n != "typos")

_APPLICABLE: dict[str, Callable[[str], list]] = {
    "leetspeak": _leet_candidates,
    "homoglyphs": _homoglyph_candidates,
    "zero_width": _words,
    "spaced": _spaced_candidates,
    "emoji": _words,
    "repeated": _repeat_candidates,
    "typos": lambda text: _words(text, min_len=4),
}


def applicable(attack: str, text: str) -> bool:
    """Whether `attack` has a Latin-script word in `text` to work on (otherwise it returns `text`)."""
    if attack == "mixed":
        return any(f(text) for f in _APPLICABLE.values())
    if attack not in _APPLICABLE:
        raise KeyError(f"unknown attack {attack!r}; known: {', '.join(ATTACKS)}")
    return bool(_APPLICABLE[attack](text))


def rng_for(item_id: str, attack: str) -> random.Random:
    """A generator seeded by the item id and the attack (SHA-256, so stable across processes)."""
    return random.Random(int.from_bytes(hashlib.sha256(f"{attack}\0{item_id}".encode()).digest()[:8], "big"))


def perturb(text: str, attack: str, item_id: str) -> str:
    return ATTACKS[attack](text, rng_for(item_id, attack))


# --------------------------------------------------------------------------- the eval suite


def sample(items: Sequence, n: int) -> list:
    """`n` items chosen by the SHA-256 of their id (deterministic, spread over languages), kept in order."""
    if n >= len(items):
        return list(items)
    chosen = set(sorted(range(len(items)), key=lambda i: hashlib.sha256(str(items[i].id).encode()).digest())[:n])
    return [x for i, x in enumerate(items) if i in chosen]


def run_attacks(predict: Callable, items: Sequence, attacks: Iterable[str] | None = None,
                progress: bool = False) -> dict:
    """Top-3 on every item clean and under every attack that applies to it. Items carry `id`, `text` and
    `category` (an `policygraph.eval.external.ExternalItem`); `predict(item)` returns something with `.categories`.
    An attack that leaves an item unchanged does not count for that attack."""
    names = list(attacks or ATTACKS)
    items = list(items)
    it: Iterable = items
    if progress:
        from tqdm import tqdm

        it = tqdm(items, desc="adversarial", unit="item", leave=False)
    clean: dict[int, bool] = {}
    per: dict[str, list[tuple[bool, bool]]] = {n: [] for n in names}
    examples: dict[str, dict] = {}
    for k, item in enumerate(it):
        clean[k] = item.category in list(predict(item).categories)[:3]
        for name in names:
            if not applicable(name, item.text):
                continue
            text = perturb(item.text, name, str(item.id))
            if text == item.text:
                continue
            hit = item.category in list(predict(dataclasses.replace(item, text=text)).categories)[:3]
            per[name].append((clean[k], hit))
            examples.setdefault(name, {"id": str(item.id), "clean": item.text, "attacked": text})

    def rate(xs: list[bool]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    out_attacks = {}
    for name, pairs in per.items():
        c, a = rate([p[0] for p in pairs]), rate([p[1] for p in pairs])
        out_attacks[name] = {"n": len(pairs), "clean_top3": c, "top3": a,
                             "drop": round(c - a, 4) if c is not None and a is not None else None,
                             "example": examples.get(name)}
    return {"items": len(items), "clean_top3": rate(list(clean.values())), "attacks": out_attacks}
