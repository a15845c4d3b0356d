"""Stories for the generic parser: real policy documents nobody wrote for PolicyGraph become a graph of
sections and rules with spans, stable ids, categories and kinds (policygraph/ingest/generic/)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from policygraph.errors import IngestError
from policygraph.ingest.generic import parse_generic, rule_prefix
from policygraph.language import detect_language
from policygraph.models import PolicyDocument
from policygraph.settings import Settings
from policygraph.taxonomy import Category

TIKTOK = Settings().shared_data / "real-policies" / "tiktok-community-guidelines"
VERSIONS = ["2020-12-29.md", "2022-12-14.md", "2025-01-01.md", "2025-09-23.md"]
NEWEST = "2025-09-23.md"
OLDEST = "2020-12-29.md"
POLICY_ID = "community-guidelines"

needs_tiktok = pytest.mark.skipif(
    not all((TIKTOK / v).is_file() for v in VERSIONS),
    reason=f"the real TikTok guidelines are not at {TIKTOK} (shared data absent)",
)


def _read(name: str) -> str:
    return (TIKTOK / name).read_text(encoding="utf-8")


def _parse_file(name: str, policy_id: str | None = POLICY_ID) -> tuple[PolicyDocument, str]:
    text = _read(name)
    doc = parse_generic(
        text,
        path=str(TIKTOK / name),
        fmt="markdown",
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        policy_id=policy_id,
    )
    return doc, text


@pytest.fixture(scope="module")
def parsed() -> dict[str, tuple[PolicyDocument, str]]:
    return {v: _parse_file(v) for v in VERSIONS}


def _words(text: str) -> list[str]:
    """Words of a text with Markdown links reduced to their text and emphasis marks ignored."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.findall(r"[^\W_]+", text.lower())


def _span_shows_rule_start(original: str, rule) -> bool:
    span_words = _words(original[rule.span.start : rule.span.end])
    head = _words(rule.text[rule.language])[:5]
    return any(span_words[i : i + len(head)] == head for i in range(len(span_words) - len(head) + 1))


def _section_rules(doc: PolicyDocument, title: str):
    """Rules of the section(s) with this heading outside the Overview summary."""
    return [r for s in doc.sections if s.title == title and not s.id.startswith("overview/") for r in s.rules]


# --------------------------------------------------------------------------- the four real versions


@needs_tiktok
@pytest.mark.parametrize("version", VERSIONS)
def test_each_published_version_becomes_many_sections_of_many_rules(parsed, version):
    """A policy author ingests each published version of TikTok's guidelines as they are: every one
    becomes a real graph (many sections, many rules of readable size), not one blob, and each rule
    cites the exact place of the original it came from."""
    doc, original = parsed[version]
    rules = doc.rules()
    assert len(doc.sections) >= 10
    assert len(rules) >= 60
    assert all(len(r.text[r.language]) <= 3000 for r in rules)
    assert all(len(r.text[r.language]) >= 20 for r in rules)
    for rule in rules:
        assert rule.span is not None
        assert 0 <= rule.span.start < rule.span.end <= len(original)
        assert rule.span.line == original.count("\n", 0, rule.span.start) + 1
        assert _span_shows_rule_start(original, rule), (rule.id, rule.text[rule.language][:60])
        assert "](" not in rule.text[rule.language] and "**" not in rule.text[rule.language]
    assert len({r.id for r in rules}) == len(rules)
    assert len({s.id for s in doc.sections}) == len(doc.sections)
    assert all(r.section_id in {s.id for s in doc.sections} for r in rules)
    assert [s.order for s in doc.sections] == list(range(1, len(doc.sections) + 1))
    assert doc.language == "en" and doc.languages == ["en"]
    assert doc.status == "published" and doc.jurisdictions == ["GLOBAL"]
    assert doc.source.format == "markdown" and doc.source.path.endswith(version)


@needs_tiktok
def test_the_newest_version_is_much_richer_than_the_oldest(parsed):
    oldest, newest = parsed[OLDEST][0], parsed[NEWEST][0]
    assert len(newest.rules()) > 2 * len(oldest.rules())
    assert len(newest.sections) > len(oldest.sections)


@needs_tiktok
def test_effective_dates_are_read_from_the_text(parsed):
    """'Last updated, December 2020' gives the first of the month; 'Effective May 17, 2024' the day."""
    assert parsed["2020-12-29.md"][0].effective_from == dt.date(2020, 12, 1)
    assert parsed["2022-12-14.md"][0].effective_from == dt.date(2022, 10, 1)
    assert parsed["2025-01-01.md"][0].effective_from == dt.date(2024, 5, 17)
    assert parsed["2025-09-23.md"][0].effective_from == dt.date(2025, 9, 13)


@needs_tiktok
def test_title_and_policy_id_come_from_the_first_heading_when_none_is_given():
    doc, _ = _parse_file(NEWEST, policy_id=None)
    assert doc.title == "Community Guidelines"
    assert doc.id == "community-guidelines"
    assert all(r.id.startswith("CG-") for r in doc.rules())
    # the document title is not a section of its own: sections start at its children
    assert doc.sections[0].title == "Overview"


@needs_tiktok
def test_sections_keep_a_readable_title_path(parsed):
    doc, _ = parsed[NEWEST]
    section = next(s for s in doc.sections if s.title == "Violent and Criminal Behavior")
    assert section.id == "safety-and-civility/violent-and-criminal-behavior"
    assert all(r.title.startswith("Safety and Civility › Violent and Criminal Behavior") for r in section.rules)
    # bold lines act as sub-headings
    assert any(s.id == "overview/safety-and-civility" for s in doc.sections)


@needs_tiktok
def test_reparsing_the_same_file_gives_the_same_ids(parsed):
    """Re-ingesting a document must not rename its rules (citations and diffs depend on it)."""
    first, _ = parsed[NEWEST]
    again, _ = _parse_file(NEWEST)
    assert [r.id for r in again.rules()] == [r.id for r in first.rules()]
    assert [s.id for s in again.sections] == [s.id for s in first.sections]
    assert again.model_dump() == first.model_dump()


@needs_tiktok
def test_a_paragraph_unchanged_between_versions_keeps_its_id(parsed):
    """Diffing two versions: the same text in the next version is the same rule."""
    old, _ = parsed["2020-12-29.md"]
    new, _ = parsed["2022-12-14.md"]
    old_ids = {" ".join(r.text["en"].split()): r.id for r in old.rules()}
    shared = [
        (r.id, old_ids[" ".join(r.text["en"].split())])
        for r in new.rules()
        if " ".join(r.text["en"].split()) in old_ids
    ]
    assert len(shared) >= 10
    assert all(new_id == old_id for new_id, old_id in shared)
    # a concrete one: the closing paragraph of the introduction did not change
    closing = "In consultation with relevant stakeholders, we update our Community Guidelines from time to time"
    ids = [r.id for d in (old, new) for r in d.rules() if r.text["en"].startswith(closing)]
    assert len(ids) == 2 and ids[0] == ids[1]


@needs_tiktok
def test_a_block_repeated_in_one_document_gets_distinct_sections_and_ids(parsed):
    """The 2025-01-01 snapshot holds the same 'Community Principles' block twelve times over."""
    doc, _ = parsed["2025-01-01.md"]
    assert Counter(s.title for s in doc.sections)["Community Principles"] == len(doc.sections) >= 10
    assert doc.sections[0].id == "community-principles" and doc.sections[1].id == "community-principles-2"
    first, second = doc.sections[0].rules[0], doc.sections[1].rules[0]
    assert first.text == second.text and first.id != second.id
    # the first occurrence keeps the plain text hash, so it matches other documents holding it
    digest = hashlib.sha1(" ".join(first.text["en"].split()).encode()).hexdigest()[:8].upper()
    assert first.id == f"CG-{digest}"


HEADING_CATEGORIES = {
    "Suicide and Self-Harm": Category.suicide_self_harm,
    "Disordered Eating, Risky Weight Management, and Body Image": Category.suicide_self_harm,
    "Youth Sexual and Physical Abuse": Category.child_safety,
    "Youth Safety and Well-Being": Category.child_safety,
    "Regulated Goods and Services": Category.regulated_goods,
    "Commercial Disclosure and Paid Marketing": Category.regulated_goods,
    "Edited Media and AI-Generated Content (AIGC)": Category.synthetic_media,
    "Misinformation": Category.misinformation,
    "Civic and Election Integrity": Category.misinformation,
    "Deceptive Behaviors and Fake Engagement": Category.fraud_scams_spam,
    "Frauds and Scams": Category.fraud_scams_spam,
    "Personal Information": Category.privacy_personal_data,
    "Platform Security": Category.privacy_personal_data,
    "Animal Abuse": Category.violence_graphic,
    "Shocking and Graphic Content": Category.violence_graphic,
    "Violent and Criminal Behavior": Category.violence_graphic,
    "Hate Speech and Hateful Behavior": Category.hate_speech,
    "Harassment and Bullying": Category.harassment_bullying,
    "Violent and Hateful Organizations and Individuals": Category.violent_extremism,
    "Body Exposure and Sexualized Behaviors": Category.adult_sexual_content,
    "Adult Sexual Abuse": Category.adult_sexual_content,
    "Dangerous Activity and Challenges": Category.dangerous_activities,
    "Unoriginal Content and Intellectual Property Rights": Category.intellectual_property,
}


@needs_tiktok
@pytest.mark.parametrize("heading,category", list(HEADING_CATEGORIES.items()))
def test_sections_of_the_newest_version_land_on_sensible_categories(parsed, heading, category):
    doc, _ = parsed[NEWEST]
    rules = _section_rules(doc, heading)
    assert rules, f"no section titled {heading!r}"
    share = sum(r.category is category for r in rules) / len(rules)
    assert share >= 0.9, (heading, Counter(r.category.value for r in rules))


@needs_tiktok
def test_older_versions_land_on_sensible_categories_too(parsed):
    doc, _ = parsed["2022-12-14.md"]
    expected = {
        "Gambling": Category.regulated_goods,
        "Weapons": Category.regulated_goods,
        "Grooming behavior": Category.child_safety,
        "Sexual exploitation of minors": Category.child_safety,
        "Hateful ideology": Category.hate_speech,
        "Spam and fake engagement": Category.fraud_scams_spam,
        "Harmful misinformation": Category.misinformation,
        "Disordered eating": Category.suicide_self_harm,
    }
    for heading, category in expected.items():
        rules = [r for s in doc.sections if s.title == heading for r in s.rules]
        assert rules and all(r.category is category for r in rules), heading


@needs_tiktok
def test_the_newest_version_uses_most_of_the_taxonomy(parsed):
    doc, _ = parsed[NEWEST]
    used = Counter(r.category for r in doc.rules())
    assert len(used) >= 10
    assert doc.category == min(used, key=lambda c: (-used[c], list(Category).index(c)))


@needs_tiktok
def test_labels_set_kind_actions_and_severity(parsed):
    """'NOT ALLOWED', 'ALLOWED', 'FYF INELIGIBLE', 'AGE-RESTRICTED' lines are read as what they say."""
    doc, _ = parsed[NEWEST]
    section = next(s for s in doc.sections if s.title == "Youth Sexual and Physical Abuse")
    by_label = {
        label: [r for r in section.rules if r.title.endswith("› " + label)] for label in ("NOT ALLOWED", "ALLOWED")
    }
    assert by_label["NOT ALLOWED"] and all(r.kind == "prohibited" for r in by_label["NOT ALLOWED"])
    assert all(r.severity == "critical" and "remove" in r.actions for r in by_label["NOT ALLOWED"])
    assert by_label["ALLOWED"] and all(r.kind == "allowed" and r.severity == "low" for r in by_label["ALLOWED"])
    # (a paragraph under a label that says otherwise itself, "... is generally not allowed", keeps its word)
    age = [
        r
        for r in doc.rules()
        if r.title.endswith("FYF INELIGIBLE & AGE-RESTRICTED") and "not allowed" not in r.text["en"]
    ]
    assert age and all(r.kind == "restricted" and {"age_restrict", "reduce_reach"} <= set(r.actions) for r in age)
    fyf = [r for r in doc.rules() if r.title.endswith("› FYF INELIGIBLE")]
    assert fyf and all(r.kind == "restricted" and "reduce_reach" in r.actions for r in fyf)
    hate = _section_rules(doc, "Hate Speech and Hateful Behavior")
    assert all(r.severity == "high" for r in hate if r.kind == "prohibited" and r.category is Category.hate_speech)
    # the oldest version says "Do not post, upload, stream, or share:" before its lists
    old, _ = parsed[OLDEST]
    weapons = [r for s in old.sections if s.title == "Weapons" for r in s.rules]
    assert all(r.kind == "prohibited" for r in weapons)


@needs_tiktok
def test_parsing_all_four_versions_is_fast():
    detect_language("warm the language model up before timing")  # a one-off model load
    parse_generic(
        "# Warm\n\nSome warm-up paragraph that is long enough to be a rule.", path="w.md", fmt="markdown", sha256="0"
    )
    texts = [_read(v) for v in VERSIONS]
    began = time.perf_counter()
    for name, text in zip(VERSIONS, texts, strict=True):
        parse_generic(text, path=name, fmt="markdown", sha256="0")
    assert time.perf_counter() - began < 1.0


# --------------------------------------------------------------------------- small inline documents

PLAIN = """ACME COMMUNITY RULES

Effective March 3, 2025

1. Harassment

We don't allow content that harasses or bullies other members of the community.

- Insulting someone's appearance, family or background in comments
- Coordinated campaigns that flood one person's inbox with abuse
- Mean

2. Personal information

Never share someone's home address, phone number or ID documents without consent.

ALLOWED

- Sharing your own contact details for a business you run publicly
"""


def test_a_plain_text_policy_becomes_sections_and_rules_with_exact_spans():
    doc = parse_generic(PLAIN, path="policies/acme.txt", fmt="text", sha256="a" * 64)
    assert doc.title == "ACME COMMUNITY RULES" and doc.id == "acme-community-rules"
    assert doc.effective_from == dt.date(2025, 3, 3)
    assert [(s.id, s.title) for s in doc.sections] == [
        ("harassment", "Harassment"),
        ("personal-information", "Personal information"),
    ]
    harassment, personal = doc.sections
    texts = [r.text["en"] for r in harassment.rules]
    assert texts == [
        "We don't allow content that harasses or bullies other members of the community.",
        "Insulting someone's appearance, family or background in comments",
        # a fragment too short to be a rule joins its neighbour
        "Coordinated campaigns that flood one person's inbox with abuse; Mean",
    ]
    for rule in harassment.rules[:2] + personal.rules:
        assert PLAIN[rule.span.start : rule.span.end] == rule.text["en"]
        assert rule.span.line == PLAIN.count("\n", 0, rule.span.start) + 1
    assert harassment.rules[2].span.line == 10
    assert PLAIN[harassment.rules[2].span.start : harassment.rules[2].span.end].endswith("- Mean")
    # kinds: the list inherits the prohibition that introduces it; ALLOWED is a label, not a section
    assert [r.kind for r in harassment.rules] == ["prohibited"] * 3
    assert [r.kind for r in personal.rules] == ["prohibited", "allowed"]
    assert personal.rules[1].actions == ["label"] and personal.rules[1].severity == "low"
    assert all(r.category is Category.harassment_bullying for r in harassment.rules)
    assert all(r.category is Category.privacy_personal_data for r in personal.rules)
    assert all(r.id.startswith("ACR-") for r in doc.rules())
    assert doc.source.format == "text" and doc.source.sha256 == "a" * 64


def test_plain_text_heading_styles_nest_by_first_appearance():
    """An ALL-CAPS title, numbered headings "1." and "1.1", bullets with wrapped continuation lines."""
    text = (
        "SAFETY RULES\n\n"
        "1. Weapons\n\nWe do not allow the sale of weapons of any kind anywhere on the platform.\n\n"
        "1.1 Firearms\n\nSelling firearms or ammunition to anyone is prohibited on this platform.\n\n"
        "1.2 Knives\n\nOffering knives for sale to people under 18 is prohibited on this platform.\n\n"
        "2. Drugs\n\n* Offering illegal drugs for sale in posts or private messages is prohibited.\n"
        "  Continuation line of the same bullet item.\n"
    )
    doc = parse_generic(text, path="safety.txt", fmt="text", sha256="0")
    assert doc.title == "SAFETY RULES"
    assert [s.id for s in doc.sections] == ["weapons", "weapons/firearms", "weapons/knives", "drugs"]
    assert doc.sections[1].rules[0].title == "Weapons › Firearms"
    drugs = doc.sections[-1].rules
    assert len(drugs) == 1 and drugs[0].text["en"].endswith(
        "private messages is prohibited. Continuation line of the same bullet item."
    )
    assert text[drugs[0].span.start : drugs[0].span.end].endswith("Continuation line of the same bullet item.")
    assert all(r.category is Category.regulated_goods and r.kind == "prohibited" for r in doc.rules())


def test_plain_text_written_one_paragraph_per_line():
    text = (
        "Acme Marketplace Rules\n"
        "======================\n"
        "Selling\n"
        "We do not allow the sale of counterfeit goods, stolen goods or fake documents anywhere on Acme, "
        "including in private messages between buyers and sellers.\n"
        "Listings that hide the real seller or invent reviews to push a product up the search results are "
        "removed and the accounts behind them may be suspended.\n"
        "- Offering fake reviews, ratings or followers for money to anyone who asks for them on the site\n"
        "Sellers must answer buyer questions truthfully and must not pressure buyers into paying outside Acme.\n"
    )
    doc = parse_generic(text, path="market.txt", fmt="text", sha256="0")
    assert doc.title == "Acme Marketplace Rules"
    assert [s.title for s in doc.sections] == ["Selling"]
    rules = doc.rules()
    assert [text[r.span.start : r.span.end] for r in rules] == [r.text["en"] for r in rules]
    assert len(rules) == 4
    assert [r.kind for r in rules] == ["prohibited", "prohibited", "prohibited", "prohibited"]
    assert "suspend_account" in rules[1].actions


HTML = """<!doctype html>
<html><head><title>Acme Safety Policy</title></head>
<body>
<h1>Acme Safety Policy</h1>
<p>Last updated: June 2024</p>
<h2>Violent threats</h2>
<p>We do not allow threats of violence against a person or a group, whether <a href="/x">direct</a> or veiled.</p>
<ul>
  <li>Statements of intent to physically hurt a named individual</li>
  <li>Calls to bring weapons to a protest in order to intimidate people
    <ul><li>including coded calls</li></ul>
  </li>
</ul>
<h2>Gambling &amp; betting</h2>
<p>Promoting online casinos or betting sites to people under 18 is not allowed on Acme.</p>
<p><strong>Learn more</strong></p>
</body></html>
"""


def test_an_html_policy_becomes_sections_and_rules_with_spans():
    doc = parse_generic(HTML, path="acme.html", fmt="html", sha256="b" * 64)
    assert doc.title == "Acme Safety Policy" and doc.id == "acme-safety-policy"
    assert doc.effective_from == dt.date(2024, 6, 1)
    assert [(s.id, s.title) for s in doc.sections] == [
        ("violent-threats", "Violent threats"),
        ("gambling-betting", "Gambling & betting"),
    ]
    threats, gambling = doc.sections
    assert [r.text["en"] for r in threats.rules] == [
        "We do not allow threats of violence against a person or a group, whether direct or veiled.",
        "Statements of intent to physically hurt a named individual",
        "Calls to bring weapons to a protest in order to intimidate people including coded calls",
    ]
    # "Learn more" alone is dropped, not glued onto the rule
    assert [r.text["en"] for r in gambling.rules] == [
        "Promoting online casinos or betting sites to people under 18 is not allowed on Acme."
    ]
    for rule in doc.rules():
        shown = HTML[rule.span.start : rule.span.end]
        assert shown.startswith(rule.text["en"].split()[0])
        assert rule.span.line == HTML.count("\n", 0, rule.span.start) + 1
    assert HTML[threats.rules[0].span.start : threats.rules[0].span.end].endswith("or veiled.")
    assert HTML[threats.rules[1].span.start : threats.rules[1].span.end] == threats.rules[1].text["en"]
    assert [r.kind for r in threats.rules] == ["prohibited"] * 3
    assert all(r.category is Category.violence_graphic and r.severity == "high" for r in threats.rules)
    assert gambling.rules[0].category is Category.regulated_goods


MARKDOWN = """Intro Policy
============

## Scope

**Definitions**

Content means anything posted, including [videos](https://example.com/v) and comments.

Learn more

## Rules

Disclosure is needed when:

* A face is replaced with a synthetic, AI-generated face of someone else
* Tiny

We remove spam that floods comment threads with repeated promotional links.

We remove spam that floods comment threads with repeated promotional links.
"""


def test_markdown_structure_links_fragments_and_duplicates():
    doc = parse_generic(MARKDOWN, path="docs/intro.md", fmt="markdown", sha256="c" * 64, version=3)
    assert doc.version == 3 and doc.id == "intro-policy"
    assert [s.id for s in doc.sections] == ["scope/definitions", "rules"]
    definitions, rules = doc.sections
    rule = definitions.rules[0]
    assert rule.title == "Scope › Definitions"
    # link syntax reduced in the text, the span still points at the original Markdown (with the link);
    # a bare "Learn more" says nothing without its link and is dropped
    assert rule.text["en"] == "Content means anything posted, including videos and comments."
    assert MARKDOWN[rule.span.start : rule.span.end] == (
        "Content means anything posted, including [videos](https://example.com/v) and comments."
    )
    # a lead-in joins the first item; a tiny item joins its neighbour
    assert rules.rules[0].text["en"] == (
        "Disclosure is needed when: A face is replaced with a synthetic, AI-generated face of someone else; Tiny"
    )
    assert rules.rules[0].span.line == MARKDOWN.count("\n", 0, MARKDOWN.index("Disclosure")) + 1
    # the same text twice in one section: same hash, -2 suffix
    first, second = rules.rules[1], rules.rules[2]
    digest = hashlib.sha1(first.text["en"].encode()).hexdigest()[:8].upper()
    assert first.id == f"IP-{digest}" and second.id == f"IP-{digest}-2"
    assert first.span.start != second.span.start
    assert first.kind == "prohibited" and first.actions == ["remove"]
    assert first.category is Category.fraud_scams_spam


def test_a_giant_paragraph_is_split_at_sentence_ends_with_spans_for_each_part():
    sentence = "We do not allow content that sells [counterfeit](https://example.com) goods, item {}. "
    paragraph = "".join(sentence.format(i) for i in range(90))
    text = "# Market\n\n" + paragraph + "\n"
    doc = parse_generic(text, path="market.md", fmt="markdown", sha256="0")
    parts = doc.rules()
    assert len(parts) >= 3 and all(len(r.text["en"]) <= 3000 for r in parts)
    assert " ".join(r.text["en"] for r in parts) == re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", paragraph).strip()
    for before, after in zip(parts, parts[1:], strict=False):
        assert before.span.end <= after.span.start
    for rule in parts:
        shown = text[rule.span.start : rule.span.end]
        assert shown.startswith("We do not allow")
        last_item = rule.text["en"].rsplit("item ", 1)[1]
        assert shown.endswith(f"item {last_item}")
    assert len({r.id for r in parts}) == len(parts)


def test_rule_prefixes_come_from_the_policy_id():
    assert rule_prefix("community-guidelines") == "CG"
    assert rule_prefix("tiktok-community-guidelines") == "TCG"
    assert rule_prefix("a-b-c-d-e") == "ABCD"
    assert rule_prefix("privacy") == "PR"
    assert rule_prefix("2024") == "PG"


@pytest.mark.parametrize(
    "fmt,text",
    [
        ("markdown", ""),
        ("markdown", "   \n\n\t\n"),
        ("markdown", "# Title\n\n## Section one\n\n### Section two\n"),
        ("text", "RULES\n\nSection\n\n"),
        ("html", "<html><body><h1>Title</h1><h2>Empty</h2></body></html>"),
    ],
)
def test_a_document_without_rules_is_refused_naming_the_file(fmt, text):
    with pytest.raises(IngestError) as err:
        parse_generic(text, path="policies/empty-policy.md", fmt=fmt, sha256="0")
    assert err.value.path == "policies/empty-policy.md"
    assert "policies/empty-policy.md" in str(err.value)
    assert err.value.problem.startswith("no rules found")


def test_an_unknown_format_is_refused():
    with pytest.raises(IngestError, match="unsupported format"):
        parse_generic("text", path="x.pdf", fmt="pdf", sha256="0")  # type: ignore[arg-type]


def test_the_file_name_names_the_policy_when_there_is_no_heading():
    doc = parse_generic(
        "We do not allow anyone to sell counterfeit goods through the marketplace.\n",
        path=str(Path("policies") / "market-rules.txt"),
        fmt="text",
        sha256="0",
    )
    assert doc.id == "market-rules" and doc.title == "market-rules"
    assert doc.sections[0].id == "market-rules"
    assert doc.rules()[0].category is Category.regulated_goods
