"""End-to-end retrieval stories on the whole bundled corpus (policies/), ingested once per session with
the real multilingual embedder (`corpus_engine`). Each story reads: given the bundled corpus, when
content X arrives (in language L, jurisdiction J, at date D), then rule Y applies — and the docstring
says why. Every answer must also keep the contract with the moderation agent: every rule carries its
id, policy, category, verdict, score, evidence and a citation; the stages are timed; the rules are
sorted by score."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import CORPUS

from policygraph.engine import Engine
from policygraph.models import ContentQuery, PolicyContext, RuleHit
from policygraph.retrieval import Retriever, diversify
from policygraph.settings import PROJECT_ROOT

DEVSET = PROJECT_ROOT / "policygraph" / "eval" / "devset"

STAGES = {"understand", "embed", "vector", "terms", "graph", "fuse", "verdicts", "total"}

PRAISE = ContentQuery(text="Glory to the brothers who carried out the attack. Join us and fight.")
ECSTASY_ES = ContentQuery(text="Vendo pastillas de éxtasis, envío discreto por mensaje privado")
SUICIDE_HI = ContentQuery(text="मैं अब और नहीं जी सकता, आज रात मैं खुद को खत्म कर दूंगा")
SWASTIKA_DE = ContentQuery(text="Ich verkaufe Hakenkreuz-Fahnen und Hitler-Bilder", jurisdiction="DE")
SWASTIKA_NOWHERE = ContentQuery(text="Ich verkaufe Hakenkreuz-Fahnen und Hitler-Bilder", top_k=50)
BETTING_IN = ContentQuery(text="Bet on tonight's IPL match on our app, deposit now and win big", jurisdiction="IN")
BETTING_NOWHERE = ContentQuery(text="Bet on tonight's IPL match on our app, deposit now and win big", top_k=50)
LASAGNA = ContentQuery(text="Here's my grandmother's lasagna recipe, ready in 40 minutes")
PRAISE_2001 = ContentQuery(text=PRAISE.text, at=dt.date(2001, 1, 1))
NEWS = ContentQuery(text="Breaking news: police report that the attackers killed 12 people at the market this "
                         "morning; our correspondent is at the scene.")


def devset_item(item_id: str) -> dict:
    for f in sorted(DEVSET.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                if item["id"] == item_id:
                    return item
    raise KeyError(item_id)


# Dev-set items in non-Latin scripts whose expected rule the corpus finds with a clear margin.
DEV_STORIES = {
    "devB-054": "ar",  # Ozempic and tramadol without prescription, delivered by WhatsApp → RG-2.3
    "devB-020": "ja",  # sexualised comment on a primary-school child, asks for more by DM → CS-1.2
    "devD-003": "zh",  # 开盒: a student's name, university, dorm and phone, "brothers, charge!" → PR-1.1
    "devB-003": "ru",  # recruiting for a curator-run 50-day "quiet house" suicide game → SSH-1.3
}


def dev_query(item_id: str) -> ContentQuery:
    item = devset_item(item_id)
    return ContentQuery(text=item["text"], jurisdiction=item.get("jurisdiction"))


ALL_QUERIES = {
    "praise": PRAISE, "ecstasy-es": ECSTASY_ES, "suicide-hi": SUICIDE_HI, "swastika-de": SWASTIKA_DE,
    "swastika-nowhere": SWASTIKA_NOWHERE, "betting-in": BETTING_IN, "betting-nowhere": BETTING_NOWHERE,
    "lasagna": LASAGNA, "praise-2001": PRAISE_2001, "news": NEWS,
    **{item_id: dev_query(item_id) for item_id in DEV_STORIES},
}


@pytest.fixture(scope="module")
def ask(corpus_engine: Engine):
    """Ask each story's question once; the contract checks reuse the answers."""
    seen: dict[str, PolicyContext] = {}
    retriever = Retriever(corpus_engine)

    def _ask(name: str) -> PolicyContext:
        if name not in seen:
            seen[name] = retriever.retrieve(ALL_QUERIES[name])
        return seen[name]

    return _ask


def rule(ctx: PolicyContext, rule_id: str) -> RuleHit:
    hits = [h for h in ctx.rules if h.rule_id == rule_id]
    assert hits, f"{rule_id} not among {[h.rule_id for h in ctx.rules]}"
    return hits[0]


def ids(ctx: PolicyContext) -> list[str]:
    return [h.rule_id for h in ctx.rules]


# --------------------------------------------------------------------------- stories


def test_praise_of_an_attack_is_violent_extremism_with_a_citation_into_the_source(ask):
    """Given the corpus, when an English post praises the perpetrators of an attack and recruits, then
    VE-1.1 (praise of violent extremists) is the top rule and applies, because the content is close to
    both the rule text and its labelled violating examples; the citation names violent-extremism.md and
    a span whose text in that file is the rule's text, starting right under the rule's heading."""
    ctx = ask("praise")
    top = ctx.rules[0]
    assert top.rule_id == "VE-1.1"
    assert top.verdict == "applies"
    assert top.category.value == "violent_extremism"
    assert ctx.categories[0].value == "violent_extremism"
    assert {e.signal for e in top.evidence} >= {"vector", "example"}
    c = top.citations[0]
    assert Path(c.document).resolve() == (CORPUS / "violent-extremism.md").resolve()
    assert c.policy_id == "violent-extremism" and c.language == "en"
    assert c.span is not None
    source = (CORPUS / "violent-extremism.md").read_text(encoding="utf-8")
    assert top.text_language == "en"
    assert top.text in source[c.span.start:c.span.end]
    assert source[c.span.start:c.span.end].strip() == top.text
    heading = source.split("\n")[c.span.line - 1]
    assert heading.startswith("### VE-1.1 ")


def test_spanish_sale_of_ecstasy_is_regulated_goods(ask):
    """Given the corpus, when a Spanish post offers ecstasy pills with discreet delivery by private
    message, then the drug-sale rule RG-2.3 applies and regulated_goods is the first category, because
    the multilingual embedding matches the English rule and its examples across languages."""
    ctx = ask("ecstasy-es")
    assert ctx.query.language == "es" and ctx.query.language_detected
    assert rule(ctx, "RG-2.3").verdict == "applies"
    assert ctx.categories[0].value == "regulated_goods"


def test_hindi_statement_of_intent_is_suicide_self_harm_served_in_hindi(ask):
    """Given the corpus (suicide-self-harm has a Hindi translation), when a Hindi post says the author
    will end their life tonight, then suicide_self_harm is the first category, and the rules come with
    their Hindi text, because the policy carries text per language and the content is Hindi. The
    verdict may stay `possibly_applies`: the score is moderate, and a reviewer must look."""
    ctx = ask("suicide-hi")
    assert ctx.query.language == "hi"
    assert ctx.categories[0].value == "suicide_self_harm"
    top = ctx.rules[0]
    assert top.rule_id.startswith("SSH-")
    assert top.verdict in ("applies", "possibly_applies", "exception_may_apply")
    assert top.text_language == "hi"
    assert top.citations[0].language == "hi"


def test_swastika_flags_in_germany_hit_the_german_override(ask, corpus_engine):
    """Given the corpus, when a German post sells swastika flags and Hitler pictures and the content is
    judged for Germany (DE), then VE-3.1-DE (symbols of unconstitutional organisations, §86a StGB)
    applies, because the rule is in force in DE, the text matches and the content names a defined term
    ('Hakenkreuz', an alias of the unconstitutional-symbol term) — a term signal in the evidence."""
    ctx = ask("swastika-de")
    assert ctx.query.jurisdiction == "DE"
    hit = rule(ctx, "VE-3.1-DE")
    assert hit.verdict == "applies"
    assert hit.jurisdictions == ["DE"]
    terms = [e for e in hit.evidence if e.signal == "term"]
    assert terms and "Hakenkreuz" in terms[0].detail
    assert any(t.alias == "Hakenkreuz" for t in ctx.query.linked_terms)
    assert "VE-3.1" in corpus_engine.get_rule("VE-3.1-DE").overrides


def test_without_a_jurisdiction_the_german_rule_is_filtered_out_before_top_k(ask):
    """Given the same German post with no jurisdiction, then VE-3.1-DE is not among the rules — not
    even among 50 — because regional rules are filtered out before the top-k, not after; the global
    symbol rule VE-3.1 is considered instead."""
    ctx = ask("swastika-nowhere")
    assert "VE-3.1-DE" not in ids(ctx)
    assert "VE-3.1" in ids(ctx)
    assert ctx.categories[0].value == "violent_extremism"


def test_ipl_betting_in_india_hits_the_indian_rule_first(ask):
    """Given the corpus, when an app invites people in India (IN) to bet on an IPL match, then
    RG-3.2-IN (India: online betting and money games) is the top rule and applies, because it is in
    force in IN and matches better than the global gambling rule RG-3.2, which it overrides."""
    ctx = ask("betting-in")
    top = ctx.rules[0]
    assert top.rule_id == "RG-3.2-IN"
    assert top.verdict == "applies"
    assert top.jurisdictions == ["IN"]
    if "RG-3.2" in ids(ctx):
        assert any(r.rule_id == "RG-3.2-IN" and r.relation == "overridden_by"
                   for r in rule(ctx, "RG-3.2").overrides_checked)


def test_ipl_betting_without_jurisdiction_gets_only_global_rules(ask):
    ctx = ask("betting-nowhere")
    assert "RG-3.2-IN" not in ids(ctx)
    assert "RG-3.2" in ids(ctx)


def test_a_recipe_breaks_no_rule(ask):
    """Given the corpus, when someone shares a lasagna recipe, then no rule applies, because nothing in
    it is close enough to any rule or violating example to pass the `applies` threshold."""
    ctx = ask("lasagna")
    assert [h.rule_id for h in ctx.rules if h.verdict == "applies"] == []


def test_nothing_was_in_force_in_2001(ask):
    """Given the corpus (every policy takes effect in this century's 2020s), when the praise post is
    judged as of 2001-01-01, then no rule is returned, because rules are filtered by validity date."""
    ctx = ask("praise-2001")
    assert ctx.query.at == dt.date(2001, 1, 1)
    assert ctx.rules == [] and ctx.categories == []


def test_news_report_of_an_attack_may_fall_under_the_news_exception(ask, corpus_engine):
    """Given the corpus, when a news report describes an attack and its victims without praise, then no
    rule `applies`: the attack-content rule that comes back is only `exception_may_apply`, because
    labelled news reports (allowed examples of the news exceptions VG-4.1 / VE-4.1) are as close to
    the content as the labelled violations, and the content classifier does not find it violating."""
    ctx = ask("news")
    assert not any(h.verdict == "applies" for h in ctx.rules), [(h.rule_id, h.verdict) for h in ctx.rules]
    in_doubt = [h for h in ctx.rules if h.verdict == "exception_may_apply"]
    assert in_doubt
    checked = {r.rule_id: r for h in in_doubt for r in h.exceptions_checked if r.matched}
    news = [x for x in ("VG-4.1", "VE-4.1") if x in checked]
    assert news, checked
    assert all(checked[x].relation == "exception" for x in news)
    rule_ = corpus_engine.get_rule(news[0])
    assert rule_.kind == "allowed" and "News" in rule_.title


@pytest.mark.parametrize("item_id", list(DEV_STORIES), ids=[f"{k}-{v}" for k, v in DEV_STORIES.items()])
def test_devset_stories_in_non_latin_scripts(ask, item_id):
    """Given the corpus, when a dev-set post in Arabic, Japanese, Chinese or Russian arrives, then its
    labelled category is among the first three and its labelled rule is returned, because the
    multilingual embedder and the per-language aliases bridge the script to the English policies."""
    item = devset_item(item_id)
    assert item["language"] == DEV_STORIES[item_id]
    ctx = ask(item_id)
    assert ctx.query.language == item["language"]
    assert item["categories"][0] in [c.value for c in ctx.categories[:3]]
    assert set(item["rule_ids"]) & set(ids(ctx)), (item["rule_ids"], ids(ctx))


# --------------------------------------------------------------------------- the contract, on every answer


@pytest.mark.parametrize("name", list(ALL_QUERIES))
def test_every_answer_keeps_the_contract(ask, corpus_engine, name):
    """Every returned rule carries rule_id, policy_id, category, verdict, score, at least one piece of
    evidence and a citation to its policy; the answer times every stage; rules are in rank order (the
    first three hold at most two rules of one category while another qualifies), at most top_k, and
    the categories are those of the rules."""
    q = ALL_QUERIES[name]
    ctx = ask(name)
    assert STAGES <= set(ctx.timings_ms)
    assert all(v >= 0 for v in ctx.timings_ms.values())
    assert len(ctx.rules) <= q.top_k
    by_rank = sorted(ctx.rules, key=lambda h: (-h.rank, h.rule_id))
    assert diversify(by_rank, lambda h: h.category, 3, 2) == ctx.rules
    assert len({h.rule_id for h in ctx.rules}) == len(ctx.rules)
    assert set(ctx.categories) == {h.category for h in ctx.rules}
    for h in ctx.rules:
        assert h.rule_id and h.policy_id and h.category and h.verdict
        assert 0.0 < h.score <= 1.0
        assert h.evidence, h.rule_id
        assert h.citations, h.rule_id
        c = h.citations[0]
        assert c.policy_id == h.policy_id
        # the citation names the file the shown text was read from: the original or its translation
        lang_suffix = "" if c.language == "en" else f".{c.language}"
        assert c.language == h.text_language
        assert Path(c.document).name == f"{h.policy_id}{lang_suffix}.md"
        assert c.span is not None
        source = (CORPUS / Path(c.document).name).read_text(encoding="utf-8")
        assert h.text in source[c.span.start:c.span.end]
        assert h.rule_id in corpus_engine.catalog.by_rule_id
        if q.jurisdiction is None:  # no jurisdiction: global rules only
            assert "GLOBAL" in h.jurisdictions
        else:
            assert "GLOBAL" in h.jurisdictions or q.jurisdiction in h.jurisdictions
    if ctx.rules:
        assert ctx.rationale
