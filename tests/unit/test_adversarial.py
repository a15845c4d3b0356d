"""eval.adversarial: the attacks are deterministic, touch only Latin-script words, and are undone by
policygraph.normalize. No model."""

from __future__ import annotations

import re
import unicodedata

import pytest

from policygraph.eval import adversarial as A
from policygraph.eval.external import Answer, ExternalItem
from policygraph.normalize import normalize

LATIN = [
    "I will kill you and your whole family tonight.",
    "People like them should not be allowed to vote, they are animals.",
    "Buy cheap pills online without prescription, DM me @pharma_guy",
    "I AM GOING TO KILL YOU TOMORROW",
    "Je vais te tuer si tu reviens ici, espèce de salaud.",
    "Vamos a quemar la casa de esos inmigrantes esta noche.",
    "Diese Leute sind Ungeziefer und gehören vernichtet.",
    "Você é um lixo e deveria se matar agora mesmo.",
    "Saya akan membunuh kamu besok malam di rumahmu.",
    "Seni bulup öldüreceğim, bekle ve gör.",
    "Terrorists should be executed in public, said the OP on 12/05/2024 at 9pm.",
    "Sell your kidney for $5000 cash now, call 555-0100 or visit https://example.com/page",
    "soon, too, book, keep all the little ones; a b c",
]

NON_LATIN = [
    "Я убью тебя и всю твою семью сегодня ночью.",  # Russian
    "Θα σε σκοτώσω απόψε.",  # Greek
    "मैं तुम्हें आज रात मार डालूँगा।",  # Hindi
    "سأقتلك أنت وعائلتك الليلة.",  # Arabic
    "我今晚要杀了你和你的全家。",  # Chinese
    "ฉันจะฆ่าแกคืนนี้",  # Thai
    "오늘 밤 너를 죽일 거야.",  # Korean
]

SEEDS = [f"item-{k}" for k in range(25)]


def test_attack_names():
    assert set(A.ATTACKS) == {"leetspeak", "homoglyphs", "zero_width", "spaced", "emoji", "repeated", "mixed",
                              "typos"}
    assert set(A.BASE_ATTACKS) == set(A.ATTACKS) - {"mixed", "typos"}
    assert set(A.UNDOABLE) == set(A.ATTACKS) - {"typos"}


@pytest.mark.parametrize("attack", sorted(A.ATTACKS))
def test_deterministic_by_item_id(attack):
    text = LATIN[1]
    assert A.perturb(text, attack, "x-1") == A.perturb(text, attack, "x-1")
    assert A.ATTACKS[attack](text, A.rng_for("x-1", attack)) == A.perturb(text, attack, "x-1")
    assert len({A.perturb(text, attack, s) for s in SEEDS}) > 3


@pytest.mark.parametrize("attack", sorted(A.UNDOABLE))
@pytest.mark.parametrize("text", LATIN)
def test_normalize_undoes_every_attack(attack, text):
    """Exact on these sentences for every attack: the attacks only make changes normalize can undo
    (a stretched letter is never one that is already double, "1" only stands for "i", a homoglyph
    word keeps a Latin majority, spaced words are never next to a single letter)."""
    assert A.applicable(attack, text)
    clean = normalize(text).text
    changed = 0
    for seed in SEEDS:
        attacked = A.perturb(text, attack, seed)
        changed += attacked != text
        assert normalize(attacked).text == clean, (seed, attacked)
    assert changed == len(SEEDS)


@pytest.mark.parametrize("attack", sorted(A.ATTACKS))
@pytest.mark.parametrize("text", NON_LATIN)
def test_other_scripts_are_left_alone(attack, text):
    assert not A.applicable(attack, text)
    for seed in SEEDS[:5]:
        assert A.perturb(text, attack, seed) == text
    assert normalize(text).text == unicodedata.normalize("NFKC", text)


@pytest.mark.parametrize("attack", sorted(A.UNDOABLE))
def test_mixed_script_text_only_latin_words_change(attack):
    text = "मैं तुम्हें आज रात मार डालूँगा, you stupid idiot"
    for seed in SEEDS[:10]:
        out = A.perturb(text, attack, seed)
        assert "मैं तुम्हें आज रात मार डालूँगा" in out or attack in ("emoji", "mixed")
        assert "".join(re.findall(r"[\u0900-\u097f]+", out)) == "".join(re.findall(r"[\u0900-\u097f]+", text))
        assert normalize(out).text == normalize(text).text


@pytest.mark.parametrize("attack", sorted(A.ATTACKS))
def test_urls_mentions_numbers_untouched(attack):
    text = "Sell your kidney for $5000 today, call 555-0100, see https://example.com/page #deal4you @pharma_guy"
    for seed in SEEDS:
        out = A.perturb(text, attack, seed)
        for keep in ("$5000", "555-0100", "https://example.com/page", "#deal4you", "@pharma_guy"):
            assert keep in out, (seed, out)


def test_what_each_attack_does():
    text = "People like them should not be allowed to vote, they are animals."
    for seed in SEEDS:
        assert re.search(r"[A-Za-z][013457@$]|[013457@$][A-Za-z]", A.perturb(text, "leetspeak", seed))
        assert re.search(r"[\u0370-\u03ff\u0400-\u04ff]", A.perturb(text, "homoglyphs", seed))
        assert re.search("[\u200b\u200c\u200d\u2060\ufeff\u00ad]", A.perturb(text, "zero_width", seed))
        assert re.search(r"\b[A-Za-z]( |\.|-|\*)[A-Za-z]\1[A-Za-z]\b", A.perturb(text, "spaced", seed))
        assert normalize(A.perturb(text, "emoji", seed)).emoji
        assert re.search(r"([A-Za-z])\1{3}", A.perturb(text, "repeated", seed))


@pytest.mark.parametrize("latin, lookalikes", sorted(A.HOMOGLYPHS.items()))
def test_every_homoglyph_folds_back(latin, lookalikes):
    for g in lookalikes:
        word = ("ab" if latin.islower() else "AB") + g + ("cd" if latin.islower() else "CD")
        assert normalize(word).text == word.replace(g, latin), g


def test_applicable():
    assert A.applicable("leetspeak", "kill them")
    assert not A.applicable("leetspeak", "I a")
    assert not A.applicable("mixed", "我今晚要杀了你")
    with pytest.raises(KeyError):
        A.applicable("nope", "text")


def _items() -> list[ExternalItem]:
    texts = [(LATIN[0], "violence"), (LATIN[1], "hate"), (NON_LATIN[0], "violence"), (LATIN[2], "drugs")]
    return [ExternalItem(id=f"t{k}", text=t, language="xx", category=c, source_label="test", dataset="test",
                         group=f"t{k}") for k, (t, c) in enumerate(texts)]


def test_sample_is_deterministic():
    items = _items()
    s = A.sample(items, 2)
    assert len(s) == 2 and s == A.sample(items, 2)
    assert [x.id for x in s] == [x.id for x in items if x in s]
    assert A.sample(items, 10) == items


def test_run_attacks_measures_the_drop():
    items = _items()
    known = {normalize(x.text).text: x.category for x in items}

    def robust(item):  # sees through the obfuscation: no drop
        c = known.get(normalize(item.text).text)
        return Answer(rules=((f"r-{c}", c, "applies"),) if c else ())

    exact = {x.text: x.category for x in items}

    def naive(item):  # exact text only: every perturbed item is missed
        c = exact.get(item.text)
        return Answer(rules=((f"r-{c}", c, "applies"),) if c else ())

    out = A.run_attacks(robust, items, attacks=A.UNDOABLE)
    assert out["items"] == 4 and out["clean_top3"] == 1.0
    assert set(out["attacks"]) == set(A.UNDOABLE)
    for name, a in out["attacks"].items():
        assert a["n"] == 3, name  # the Russian item is not attacked
        assert a["top3"] == 1.0 and a["drop"] == 0.0
        assert a["example"]["attacked"] != a["example"]["clean"]
    out = A.run_attacks(naive, items, attacks=["leetspeak", "emoji"])
    assert set(out["attacks"]) == {"leetspeak", "emoji"}
    assert all(a["top3"] == 0.0 and a["drop"] == 1.0 for a in out["attacks"].values())


def test_typos_swap_neighbouring_letters_and_are_not_undone():
    text = LATIN[1]
    out = A.perturb(text, "typos", "x-1")
    assert out != text and sorted(out) == sorted(text) and len(out) == len(text)
    assert normalize(out).text != normalize(text).text
