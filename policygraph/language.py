"""Language detection (py3langid, an offline model shipped in its package) and script detection."""

from __future__ import annotations

import functools
import unicodedata

_SCRIPT_LANG = {  # scripts that name their language almost alone
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "THAI": "th",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
    "HEBREW": "he",
    "GREEK": "el",
}


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid import langid

    return langid


def dominant_script(text: str) -> str:
    """The Unicode script name (first word of the character name) most letters of `text` use."""
    counts: dict[str, int] = {}
    for ch in text:
        if ch.isalpha():
            try:
                script = unicodedata.name(ch).split(" ")[0]
            except ValueError:
                continue
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else "UNKNOWN"


#: BCP-47 "undetermined": too little text to tell its language
UNDETERMINED = "und"
#: below this many letters, a script shared by many languages (Latin, Cyrillic, Arabic...) says too little
MIN_LETTERS = 12


@functools.lru_cache(maxsize=4096)
def detect_language(text: str, default: str = "en", short: str | None = None) -> str:
    """ISO 639-1 code of `text` (best guess; `default` for text with no letters). With `short`, text of
    fewer than MIN_LETTERS letters in a script many languages share gets `short` instead of a guess
    ("test" is not Afrikaans)."""
    sample = text[:2000]
    letters = sum(1 for ch in sample if ch.isalpha())
    if not letters:
        return default if short is None else short
    script = dominant_script(sample)
    if script in ("HIRAGANA", "KATAKANA"):
        return "ja"
    if script in _SCRIPT_LANG and script != "CJK":
        return _SCRIPT_LANG[script]
    if short is not None and letters < MIN_LETTERS and script != "CJK" and script not in _SCRIPT_LANG:
        return short
    lang, _prob = _identifier().classify(sample)
    if script == "CJK" and lang not in ("zh", "ja"):
        return "zh"
    return lang


#: scripts written without spaces between words (Unicode character-name prefixes). Korean (Hangul) is
#: written with spaces, so it is not one of them: its words are counted, and its terms linked, by token.
UNSPACED_SCRIPTS = ("CJK", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")


def count_words(text: str) -> int:
    """Words in `text`: runs of letters or digits; in scripts written without spaces (CJK, Thai...)
    every two characters count as a word. Emoji and punctuation count as nothing."""
    words, unspaced, in_word = 0, 0, False
    for ch in text:
        if ch.isalnum():
            try:
                name = unicodedata.name(ch)
            except ValueError:
                name = ""
            if name.startswith(UNSPACED_SCRIPTS):
                unspaced += 1
                in_word = False
                continue
            if not in_word:
                words += 1
                in_word = True
        else:
            in_word = False
    return words + (unspaced + 1) // 2
