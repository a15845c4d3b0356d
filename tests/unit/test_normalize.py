"""policygraph.normalize: each stage, what it must leave alone, offsets, the fast path. No model."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from policygraph.normalize import STAGES, Normalized, emoji_tokens, normalize

# --------------------------------------------------------------------------- stages


@pytest.mark.parametrize("text, expected, stage", [
    ("𝐤𝐢𝐥𝐥 ｙｏｕ", "kill you", "nfkc"),
    ("ℌ𝔢𝔩𝔩𝔬 ⓚⓘⓛⓛ", "Hello kill", "nfkc"),
    ("k\u200bi\u200cl\u200dl y\u2060o\ufeffu\u00ad", "kill you", "invisible_characters"),
    ("\u202ekill\u202c \u2066you\u2069", "kill you", "invisible_characters"),
    ("hаte spееch", "hate speech", "confusables"),  # Cyrillic а, е
    ("ΚILL the οthers", "KILL the others", "confusables"),  # Greek Κ, ο
    ("KΙLL", "KILL", "confusables"),  # Greek capital iota: TR39 says l, same case gives I
    ("Рeople", "People", "confusables"),  # Cyrillic Р in a Latin word
    ("привeт мир", "привет мир", "confusables"),  # a Latin e inside a Russian word goes Cyrillic
    ("I will k1ll you", "I will kill you", "leetspeak"),
    ("h4te and $uicide", "hate and suicide", "leetspeak"),
    ("you @ss", "you ass", "leetspeak"),
    ("h3ll0 w0rld", "hello world", "leetspeak"),
    ("pa55word pa$$word", "password password", "leetspeak"),
    ("K1LL TH3M", "KILL THEM", "leetspeak"),
    ("wh@t", "what", "leetspeak"),
    ("y0u n00b s3x", "you noob sex", "leetspeak"),
    ("k i l l  y o u r s e l f", "kill  yourself", "spaced_letters"),
    ("k.i.l.l him", "kill him", "spaced_letters"),
    ("k-i-l-l", "kill", "spaced_letters"),
    ("k * i * l * l", "kill", "spaced_letters"),
    ("k 1 l l", "kill", "spaced_letters"),
    ("hateeeee", "hate", "repeated_letters"),
    ("sooooo baaaad", "so bad", "repeated_letters"),
    ("NOooooo", "NO", "repeated_letters"),
    ("kill 🔥 you", "kill you", "emoji"),
    ("ki🔥ll you 🔥", "kill you", "emoji"),
    ("🔥 kill👍🏽 you", "kill you", "emoji"),
    ("go 🏳️‍🌈 away", "go away", "emoji"),
    ("🅺🅸🅻🅻 you", "KILL you", "enclosed_letters"),
])
def test_stage(text, expected, stage):
    n = normalize(text)
    assert n.text == expected
    assert stage in n.undone
    assert set(n.undone) <= set(STAGES)
    assert list(n.undone) == sorted(n.undone, key=STAGES.index)
    assert n.original == text


def test_stages_combine():
    n = normalize("I w1ll k i l l y0u, hаte spееch 🔥🔥 is baaaad \u200bhere")
    assert n.text == "I will kill you, hate speech is bad here"
    assert set(n.undone) == {"emoji", "invisible_characters", "confusables", "leetspeak", "spaced_letters",
                             "repeated_letters"}


def test_normalize_is_idempotent():
    for t in ("I w1ll k i l l y0u, hаte spееch 🔥 is baaaad", "ｙｏｕ @ss", "k.i.l.l"):
        once = normalize(t).text
        assert normalize(once).text == once


# --------------------------------------------------------------------------- what must stay

GENUINE = [
    "Привет, как дела? Все люди рождаются свободными и равными.",  # Russian
    "рос сор ее сосе",  # Russian words made only of Latin-looking letters
    "Όλοι οι άνθρωποι γεννιούνται ελεύθεροι και ίσοι.",  # Greek
    "ΚΑΙ ΤΟ ΑΙΜΑ",  # Greek capitals that look Latin
    "सभी मनुष्यों को गौरव और अधिकारों के मामले में जन्मजात स्वतन्त्रता प्राप्त है।",  # Hindi
    "कार्य\u200dकर्ता और क्‍या",  # Hindi with ZWJ inside words
    "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق.",  # Arabic
    "می\u200cخواهم به خانه بروم",  # Persian with ZWNJ
    "人人生而自由，在尊严和权利上一律平等。哈哈哈",  # Chinese (fullwidth punctuation is NFKC'd, checked below)
    "สวัสดีครับ มากกกกก 555",  # Thai (stretched Thai letters and 555 "hahaha" stay)
    "모든 인간은 태어날 때부터 자유로우며 ㅋㅋㅋ",  # Korean
    "すべての人間は、生まれながらにして自由であり",  # Japanese
    "Schifffahrt und Brennnessel, Stofffetzen",  # German triple consonants
    "KKK rally, zzz, kkkk, AAA batteries, WWW",  # acronyms, one-letter tokens
    "Henry VIII and Louis XIII, XXX",  # Roman numerals
    "Il est à Paris. Él está aquí. Ça va? Ğ ş İ ı",  # Latin diacritics
    "Straße, Æsir, Œuvre, Ñandú",
]


@pytest.mark.parametrize("text", GENUINE)
def test_genuine_text_unchanged(text):
    n = normalize(text)
    import unicodedata

    assert n.text == unicodedata.normalize("NFKC", text), n.undone
    assert not set(n.undone) - {"nfkc"}


@pytest.mark.parametrize("text", [
    "$5.99 on 2024-05-01 at 10:30pm, 05/01/2024, 1.5kg",
    "call +1 (555) 010-0199 or 1-800-273-8255 or 555 0100",
    "covid19 #covid19 mp3 iPhone15 3rd 4th 10am 5pm 5kg 100km B2B 4x4 A4 win10 k8s x86 h1n1 g7 web3",
    "US$5m, €10, £3.50, 50%, 3.14159, 10,000, 1e6, 0x1F",
    "mail john.s1lva@example.com or see https://example.com/k1ll?id=100&x=aaaa",
    "www.h4te.net and @john_doe and @bob and #stop4hate",
    "5 4 3 2 1 go, 1 2 3 4",
    "2nd, 21st, 1990s, 24h, 7days",
])
def test_numbers_and_identifiers_unchanged(text):
    n = normalize(text)
    assert n.text == text, n.undone
    assert n.undone == ()


def test_whole_word_lookalikes_are_left():
    # every letter Cyrillic: a genuine Cyrillic word as far as normalize may tell
    assert normalize("сосо").text == "сосо"
    # no strict majority: left alone
    assert normalize("pу").text == "pу"


def test_emoji_only_text_keeps_its_emoji():
    n = normalize("🔥🔥 💯")
    assert n.text == "🔥🔥 💯"
    assert n.emoji == ("🔥", "🔥", "💯")


def test_emoji_tokens():
    assert emoji_tokens("i ❤️ it 👍🏽 go 🏳️‍🌈 1️⃣ 🇺🇸") == ["❤", "👍", "🏳\u200d🌈", "1\u20e3", "🇺🇸"]
    assert emoji_tokens("plain text © 2024 ™") == []
    assert emoji_tokens("") == []
    assert normalize("sell 💊 here").emoji == ("💊",)


# --------------------------------------------------------------------------- offsets


def _check_offsets(n: Normalized) -> None:
    prev = (0, 0)
    for i in range(len(n.text)):
        s, e = n.to_original(i, i + 1)
        assert 0 <= s < e <= len(n.original)
        assert s >= prev[0] and e >= prev[1]
        prev = (s, e)
    assert n.to_original(0, len(n.text))[0] >= 0
    assert n.to_original(len(n.text), len(n.text)) == (len(n.original), len(n.original))


@pytest.mark.parametrize("text", [
    "I w1ll k i l l y0u, hаte spееch 🔥🔥 is baaaad \u200bhere",
    "𝐤𝐢𝐥𝐥 ｙｏｕ ﬁne",
    "🔥 start and end 🔥",
    "plain",
    "",
])
def test_offsets_are_monotone_and_in_bounds(text):
    _check_offsets(normalize(text))


def test_offsets_map_back():
    n = normalize("I will k1ll you")
    assert n.to_original(7, 11) == (7, 11)
    assert n.original[slice(*n.to_original(7, 11))] == "k1ll"

    n = normalize("go k\u200bi\u200bl\u200bl now")
    i = n.text.index("kill")
    assert n.original[slice(*n.to_original(i, i + 4))] == "k\u200bi\u200bl\u200bl"
    assert n.original[slice(*n.to_original(i + 1, i + 2))] == "i"
    j = n.text.index("now")
    assert n.original[slice(*n.to_original(j, j + 3))] == "now"

    n = normalize("please k i l l  y o u r s e l f now")
    i = n.text.index("yourself")
    assert n.original[slice(*n.to_original(i, i + 8))] == "y o u r s e l f"

    n = normalize("so baaaaad 🔥 really")
    i = n.text.index("bad")
    assert n.original[slice(*n.to_original(i, i + 3))] == "baaaaad"
    j = n.text.index("really")
    assert n.original[slice(*n.to_original(j, j + 6))] == "really"

    n = normalize("ﬁne 𝐤𝐢𝐥𝐥")  # ligature: one original character -> two
    assert n.text == "fine kill"
    assert n.to_original(0, 1) == (0, 1) and n.to_original(1, 2) == (0, 1)
    assert n.original[slice(*n.to_original(5, 9))] == "𝐤𝐢𝐥𝐥"

    n = normalize("hаte")
    assert n.to_original(1, 2) == (1, 2) and n.original[1] == "\u0430"


def test_to_original_rejects_bad_spans():
    n = normalize("k1ll")
    with pytest.raises(ValueError):
        n.to_original(2, 1)
    with pytest.raises(ValueError):
        n.to_original(0, 99)


# --------------------------------------------------------------------------- fast path

CLEAN_EN = ("The committee discusses new community guidelines about harassment, hate speech and violent "
            "content on the platform; the vote is on 2024-05-01 at 10:30 and costs $5 per member, see page 12.")


def test_fast_path_returns_the_text_itself():
    n = normalize(CLEAN_EN)
    assert n.text is CLEAN_EN
    assert n.undone == () and not n.changed
    assert n.to_original(4, 13) == (4, 13)


@pytest.mark.parametrize("text", [
    CLEAN_EN,
    ("Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de raison "
     "et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité."),
])
def test_fast_path_is_fast(text):
    assert 150 <= len(text) <= 220
    normalize(text)
    best = float("inf")
    for _ in range(7):  # best of 7: robust to a busy shared machine
        t0 = time.perf_counter()
        for _ in range(200):
            normalize(text)
        best = min(best, (time.perf_counter() - t0) / 200)
    assert best < 50e-6, f"{best * 1e6:.1f} µs"


def test_import_is_light():
    code = ("import sys, policygraph.normalize; "
            "print(','.join(m for m in ('spacy', 'torch', 'numpy', 'confusable_homoglyphs') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_known_approximations():
    """Pinned so a change is noticed: no dictionary, so these come out approximately."""
    assert normalize("killllll").text == "kil"  # a stretched double letter comes back single
    assert normalize("ki1l").text == "kiil"  # a single 1 is read as i
    assert normalize("ki11").text == "ki11"  # trailing digits alone are left (iphone11)
    assert normalize("w3c").text == "wec"  # a short code with a leet digit inside is folded
    assert normalize("3vil").text == "3vil"  # a leading digit alone is left (3rd, 5kg)
    assert normalize("J. R. R. Tolkien").text == "JRR. Tolkien"  # initials look spaced out
    assert normalize("сосо").text == "сосо"  # an all-Cyrillic lookalike word is not rewritten


def test_long_whitespace_free_runs_are_broken_for_the_tokenizer_with_offsets_kept():
    """10,000 emoji in a row took spaCy's tokenizer 18 s (quadratic affix search): runs longer than
    MAX_RUN get a space at a non-letter, the length and every other character unchanged."""
    from policygraph.normalize import MAX_RUN, break_long_runs

    text = "😀🔥💊" * 3334 + " buy cocaine here"
    out = break_long_runs(text)
    assert len(out) == len(text) and out.endswith(" buy cocaine here")
    assert max(len(run) for run in out.split()) <= MAX_RUN
    assert all(a == b or b == " " for a, b in zip(text, out, strict=True))
    assert break_long_runs("a normal sentence, nothing long") == "a normal sentence, nothing long"
