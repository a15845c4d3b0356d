"""Classification, by deterministic keyword scoring and wording cues: the category of a section and a
rule (step 7 of the builder's docstring), a rule's kind, actions and severity (step 8), and the text
normalisation all keyword and cue patterns are matched against. English keywords only."""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass

from policygraph.taxonomy import ACTIONS, CATEGORY_DESCRIPTIONS, Category

__all__ = [
    "KIND_MARKER",
    "REFERENCE",
    "best_category",
    "clear_winner",
    "cue",
    "fallback_category",
    "most_common_category",
    "norm_text",
    "rule_actions",
    "rule_category",
    "rule_kind",
    "rule_severity",
    "score",
    "sum_scores",
]

_WS = re.compile(r"\s+")


@functools.lru_cache(maxsize=8192)
def norm_text(text: str) -> str:
    """Lower case, typographic apostrophes/dashes plain, hyphens as spaces, -ise spelt -ize: the
    form keyword and cue patterns are matched against."""
    t = text.lower().replace("’", "'").replace("‘", "'").replace("—", " ").replace("–", " ")
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)
    t = re.sub(r"(?<=\w)is(ation|ations|e|ed|es|ing)\b", r"iz\1", t)
    return _WS.sub(" ", t)


#: per category: (weight, keywords). A keyword is a phrase matched on word boundaries in the
#: normalised text (`norm_text`: lower case, hyphens as spaces, -ise as -ize), a plural s/es
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
    words = tuple(re.findall(r"\w+", norm_text(spec.rstrip("*"))))
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
    t = norm_text(text)
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


def score(text: str) -> dict[Category, float]:
    """Keyword score per category of a text (only categories that score); a fresh dict."""
    return dict(_score_cached(text))


def sum_scores(parts: list[dict[Category, float]]) -> dict[Category, float]:
    total: dict[Category, float] = {}
    for part in parts:
        for c, v in part.items():
            total[c] = total.get(c, 0.0) + v
    return total


def best_category(scores: dict[Category, float], tiebreak: dict[Category, float] | None = None) -> Category | None:
    if not scores:
        return None
    tb = tiebreak or {}
    return max(scores, key=lambda c: (scores[c], tb.get(c, 0.0), -_CATEGORY_ORDER[c]))


def clear_winner(scores: dict[Category, float], minimum: float) -> Category | None:
    best = best_category(scores)
    if best is None or scores[best] < minimum:
        return None
    second = max((v for c, v in scores.items() if c != best), default=0.0)
    return best if scores[best] >= 1.5 * second else None


def most_common_category(counts: Counter[Category]) -> Category:
    """The category counted most often; of equals, the one first in `Category`."""
    return min(counts, key=lambda c: (-counts[c], _CATEGORY_ORDER[c]))


def rule_category(
    text: str, lead: str, section_category: Category | None, provenance: str
) -> tuple[Category | None, bool]:
    """(category, whether a signal gave it) of a rule in a section of `section_category` (decided by
    `provenance`: title, ancestor, text or ""): the section's, unless the rule's own text (and bold
    lead-in, counted twice) scores clearly for another one and not at all for the section's."""
    own = score(text)
    if lead:
        for c, v in score(lead).items():
            own[c] = own.get(c, 0.0) + 2 * v
    cat, signalled = section_category, section_category is not None
    best = best_category(own)
    if best is not None and best != cat:
        if provenance in ("title", "ancestor"):
            if own[best] >= 4.0 and (cat is None or own.get(cat, 0.0) == 0.0):
                cat = best
        elif cat is None:
            if own[best] >= 1.0:
                cat, signalled = best, True
        elif own[best] >= 2.0 and own[best] > own.get(cat, 0.0):
            cat = best
    return cat, signalled


def fallback_category(categories: list[Category | None], texts: list[str]) -> Category:
    """The document fallback for rules no signal categorised: the most common rule category, else
    the best of the whole text, else fraud_scams_spam."""
    counts = Counter(cat for cat in categories if cat is not None)
    if counts:
        return most_common_category(counts)
    whole = score(" ".join(texts))
    return best_category(whole) or Category.fraud_scams_spam


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
REFERENCE = re.compile(
    r"^(?:to )?(?:learn more|find out more|for more (?:information|details)|for details|see (?:our|the)|read more)\b"
)
_REQUIRE = re.compile(
    r"\bmust\b|\brequired?\b|\brequires\b|\byou're required\b|\bneeds? to\b|\b(?:have|has) to\b|\bobligat\w*"
)
KIND_MARKER = re.compile(
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
def cue(text: str, *, requirement: bool = True) -> str | None:
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


def rule_kind(
    text: str, label: str, path_titles: list[str], is_item: bool, list_kind: str | None = None
) -> tuple[str, str]:
    """(kind, the normalised label or heading title that gave it, or ""): step 8 of the builder's
    docstring. A pointer to more reading ("Learn more about ...") is a requirement with no action;
    a list item that says nothing itself takes the kind of the paragraph introducing its list."""
    label_kind = cue(label)
    if is_item and label_kind:
        return label_kind, label
    if REFERENCE.match(text):
        return "requirement", ""
    text_kind = cue(text)
    if text_kind:
        return text_kind, ""
    if label_kind:
        return label_kind, label
    if is_item and list_kind:
        return list_kind, ""
    for title in reversed(path_titles):
        t = norm_text(title)
        heading_kind = cue(t, requirement=False)
        if heading_kind:
            return heading_kind, t
    return "requirement", ""


def rule_actions(texts: list[str], kind: str) -> list[str]:
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


def rule_severity(kind: str, category: Category, signalled: bool, context: str) -> str:
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
