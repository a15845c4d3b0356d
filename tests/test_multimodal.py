"""Structured content, told as stories: given the bundled corpus, when a video, an image or a post
arrives field by field (title, transcript, on-screen text, hashtags, comments, upstream classifier
labels, AIGC provenance), then the rule that fits applies, and every piece of evidence names the field
and the characters in it that a reviewer should look at.

Runs on the real engine (bundled multilingual embedder, FAISS, spaCy linker); the authoring stories
ingest a small policy of their own into a fresh data directory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import make_engine

from policygraph.agent import PolicyAgent
from policygraph.errors import IngestError
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery, RuleHit


@pytest.fixture(scope="module")
def agent(corpus_engine) -> PolicyAgent:
    return PolicyAgent(corpus_engine)


def decide(agent: PolicyAgent, **kw):
    return agent.decide(ContentQuery(**kw), render=False)


def returned(decision) -> dict[str, str]:
    """Rule id → verdict of the rules in the answer (only what applies in some way)."""
    return {h.rule_id: h.verdict for h in decision.context.rules}


def hit(decision, rule_id: str) -> RuleHit:
    found = [h for h in decision.context.rules if h.rule_id == rule_id]
    assert found, f"{rule_id} not returned: {returned(decision)}"
    return found[0]


def squash(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- a violation hidden in one field

DRUG_VIDEO = dict(
    media_type="video", title="My morning routine ☕", description="just vibes ✨ #dayinmylife",
    transcript="good morning everyone. so if you want the pills hit me up on telegram, same day delivery, "
               "cash only. I also have weed and coke, DM me for the menu.")


def test_a_benign_video_whose_transcript_sells_drugs_gets_the_drug_sales_rule_from_the_transcript(agent):
    """Given RG-2.1 (sale of illegal drugs), when a morning-routine video arrives whose title and caption are
    harmless but whose speech offers pills, weed and coke for delivery, then RG-2.1 applies first, and its
    evidence points into the transcript: the span lies inside the transcript as sent and the excerpt is
    the transcript's words. The caption alone does not reach any drug rule."""
    d = decide(agent, **DRUG_VIDEO)
    assert d.context.rules[0].rule_id == "RG-2.1"
    rg = hit(d, "RG-2.1")
    assert rg.verdict == "applies"
    transcript = DRUG_VIDEO["transcript"]
    from_transcript = [e for e in rg.evidence if e.field == "transcript"]
    assert {e.signal for e in from_transcript} >= {"vector", "term"}
    for e in from_transcript:
        assert e.start is not None and e.end is not None
        assert 0 <= e.start < e.end <= len(transcript)
        assert e.excerpt and squash(e.excerpt).rstrip("…") in squash(transcript)
    term = next(e for e in from_transcript if e.signal == "term")
    assert transcript[term.start:term.end] == term.excerpt == "weed"  # the word itself, where it was said
    assert "transcript" in d.context.rationale

    benign = decide(agent, media_type="video", title=DRUG_VIDEO["title"], description=DRUG_VIDEO["description"])
    assert not [r for r in returned(benign) if r.startswith("RG-2.")], returned(benign)


def test_an_image_whose_on_screen_text_dehumanises_a_group_gets_the_hate_speech_rule_from_the_ocr(agent):
    """Given HS-1.1 (dehumanising speech), when a meme arrives with an innocent title and OCR text calling
    people vermin and rats, then HS-1.1 applies first, with its text-match, example and term evidence
    all in `ocr_text` (the term: the word 'vermin' exactly where it is on screen)."""
    ocr = ("When you see them walking in your street:\n"
           "these people are vermin, not human, they are rats that breed and spread disease")
    d = decide(agent, media_type="image", title="Saturday meme dump", ocr_text=ocr)
    first = d.context.rules[0]
    assert (first.rule_id, first.verdict) == ("HS-1.1", "applies")
    assert all(h.category.value == "hate_speech" for h in d.context.rules), returned(d)
    by_signal = {e.signal: e for e in first.evidence}
    for signal in ("vector", "example", "term"):
        assert by_signal[signal].field == "ocr_text", first.evidence
    term = by_signal["term"]
    assert ocr[term.start:term.end] == "vermin"
    assert squash(by_signal["vector"].excerpt) == squash(ocr)
    assert [f.field for f in d.context.query.fields] == ["title", "ocr_text"]


def test_when_only_a_comment_sells_drugs_the_text_evidence_points_at_that_comment(agent):
    d = decide(agent, media_type="video", title="Sunday cooking",
               comments=["great recipe!", "I sell coke and weed, DM me for the menu, fast delivery"])
    rg = hit(d, "RG-2.1")
    assert rg.verdict == "applies"
    assert next(e for e in rg.evidence if e.signal == "term").field == "comments[1]"
    # the comments are read as one passage: the text match names the comments (not the short title, not
    # comment 0 alone), and the term names the very comment that sells
    vector = next(e for e in rg.evidence if e.signal == "vector")
    assert vector.field == "comments" and "I sell coke" in (vector.excerpt or ""), rg.evidence


# --------------------------------------------------------------------------- upstream classifier labels

CAPTION = "DM for price, shipping available"


def test_a_weapon_label_on_a_sales_caption_puts_the_firearms_rule_first_and_alone(agent):
    """Given RG-1.1 mapped to the label `weapon` (0.8), when an image arrives with a caption that only says
    "DM for price, shipping available" and the vision model says weapon 0.93, then RG-1.1 applies first,
    with an `upstream_signal` evidence item naming the label and the model. Without the label the caption
    is a sale of anything: RG-1.1 is barely ahead of the drug-sales rule RG-2.1, both "apply"; the label
    lifts RG-1.1 clearly and the drug rule drops out of the answer."""
    with_label = decide(agent, media_type="image", description=CAPTION,
                        signals=[{"label": "weapon", "score": 0.93, "model": "vision-v3"}])
    first = with_label.context.rules[0]
    assert (first.rule_id, first.verdict) == ("RG-1.1", "applies")
    up = [e for e in first.evidence if e.signal == "upstream_signal"]
    assert len(up) == 1
    assert (up[0].field, up[0].excerpt, up[0].score) == ("signals", "weapon", 0.93)
    assert "vision-v3" in up[0].detail and "0.8" in up[0].detail
    assert [s.label for s in with_label.context.query.signals] == ["weapon"]
    # the label also links the firearm term (`signals:` on its definition)
    assert any(lt.term_id == "rg-firearm" and lt.field == "signals" for lt in with_label.context.query.linked_terms)

    without = decide(agent, media_type="image", description=CAPTION)
    plain = hit(without, "RG-1.1")
    assert not [e for e in plain.evidence if e.signal == "upstream_signal"]
    assert first.rank > plain.rank + 0.1
    runner_up = without.context.rules[1]
    assert plain.rank - runner_up.rank < 0.01  # without the label: nothing tells firearms from anything else
    assert returned(without).get("RG-2.1") == "applies"
    assert "RG-2.1" not in returned(with_label)


def test_labels_alone_return_the_rule_they_are_mapped_to_and_nothing_else(agent):
    """Given RG-1.1 ← weapon and ASC-1.1 ← nudity, when content arrives as labels only (no text), then the
    mapped rule is returned as "possibly applies" — a reviewer should look — and no other rule; below the
    mapping's minimum score, nothing is returned."""
    weapon = decide(agent, signals=[{"label": "weapon", "score": 0.9}])
    assert returned(weapon) == {"RG-1.1": "possibly_applies"}
    assert [e.signal for e in weapon.context.rules[0].evidence if e.field == "signals"] == ["term", "upstream_signal"]
    assert not weapon.context.query.fields

    nudity = decide(agent, media_type="image", signals=[{"label": "nudity", "score": 0.95}])
    assert returned(nudity) == {"ASC-1.1": "possibly_applies"}
    assert [e.signal for e in nudity.context.rules[0].evidence] == ["upstream_signal"]

    assert returned(decide(agent, signals=[{"label": "weapon", "score": 0.5}])) == {}
    assert returned(decide(agent, signals=[{"label": "unmapped_label", "score": 0.99}])) == {}


# --------------------------------------------------------------------------- AIGC provenance

POLITICIAN = dict(
    media_type="video", title="President announces surprise resignation",
    transcript="My fellow citizens, today I am resigning effective immediately and I urge you not to vote in "
               "the coming election.")


def test_an_undisclosed_realistic_ai_video_of_a_politician_gets_the_disclosure_rule(agent):
    """Given SM-1.1 (disclose realistic AI content), mapped to `ai_generated_undisclosed` (0.9, enough on its
    own), when a video of a politician arrives that the creator declared not AI but a detector scores 0.97,
    then SM-1.1 applies first with a `provenance` evidence item, and the answer says the content is
    AI-generated (0.97) and not disclosed."""
    d = decide(agent, **POLITICIAN, provenance={"declared_ai": False, "detector_score": 0.97})
    first = d.context.rules[0]
    assert (first.rule_id, first.verdict) == ("SM-1.1", "applies")
    pv = [e for e in first.evidence if e.signal == "provenance"]
    assert len(pv) == 1
    assert (pv[0].field, pv[0].excerpt, pv[0].score) == ("provenance", "ai_generated_undisclosed", 0.97)
    assert "enough on its own" in pv[0].detail
    read = d.context.query.provenance
    assert read is not None and read.disclosed is False and read.ai_generated == 0.97
    assert "not disclosed" in d.context.rationale


def test_the_same_video_disclosed_as_ai_does_not_get_the_disclosure_rule(agent):
    """... when the creator turned the AI label on, then the requirement is met (`satisfied_by: ai_disclosed`):
    SM-1.1 is not returned, the rationale says why, and the answer says disclosed."""
    d = decide(agent, **POLITICIAN, provenance={"declared_ai": True, "detector_score": 0.97})
    assert "SM-1.1" not in returned(d)
    assert not [e for h in d.context.rules for e in h.evidence if e.signal == "provenance"]
    read = d.context.query.provenance
    assert read is not None and read.disclosed is True and read.ai_generated == 1.0
    assert "Met, so not returned: SM-1.1 (shown by ai_disclosed 1.00)" in d.context.rationale
    # the transcript is still judged on its own merits
    assert returned(d) == returned(decide(agent, **POLITICIAN))


def test_an_undisclosed_ai_video_posted_in_india_gets_the_indian_rule_first(agent):
    """Given SM-1.1-IN overriding SM-1.1 in India, when the undisclosed AI video was posted in India (region,
    no jurisdiction asked for), then the Indian rule applies first, on the same provenance evidence."""
    d = decide(agent, **POLITICIAN, region="IN", provenance={"declared_ai": False, "detector_score": 0.97})
    assert d.context.query.jurisdiction == "IN"
    first = d.context.rules[0]
    assert (first.rule_id, first.verdict) == ("SM-1.1-IN", "applies")
    assert any(e.signal == "provenance" and e.field == "provenance" for e in first.evidence)


def test_a_c2pa_claim_alone_is_enough_for_the_disclosure_rule(agent):
    """When nothing but a C2PA credential saying `trainedAlgorithmicMedia` arrives, then SM-1.1 applies and
    nothing else is returned."""
    d = decide(agent, provenance={"c2pa": ["c2pa.created: trainedAlgorithmicMedia"]})
    assert returned(d) == {"SM-1.1": "applies"}
    read = d.context.query.provenance
    assert read is not None and read.ai_generated == 1.0 and read.disclosed is False


# --------------------------------------------------------------------------- languages per field, hashtags


def test_an_english_title_over_a_hindi_transcript_is_read_as_two_languages(agent):
    """When a cooking video arrives with an English title and a Hindi transcript, then each field is read in
    its own language, and the content's language is that of the field with the most words."""
    transcript = ("आज हम अपने परिवार के साथ सुबह का नाश्ता बना रहे हैं। पहले आलू उबालिए, फिर मसाला डालिए "
                  "और धीमी आंच पर पकाइए।")
    d = decide(agent, media_type="video", title="Morning cooking vlog with my family", transcript=transcript)
    q = d.context.query
    assert [(f.field, f.language) for f in q.fields] == [("title", "en"), ("transcript", "hi")]
    assert q.language == "hi" and q.language_detected
    for f in q.fields:  # each field's span in the joined text holds what was sent
        assert q.text[f.start:f.end] == {"title": "Morning cooking vlog with my family",
                                         "transcript": transcript}[f.field]
    assert returned(d) == {}  # a recipe


def test_drug_sale_hashtags_alone_reach_the_drug_sales_rule_naming_the_tags(agent):
    """When a post arrives with nothing but the hashtags #BuyPillsNow and #WeedDelivery, then the tags are
    read as words ("Buy Pills Now", "Weed Delivery"), 'Weed' links the illegal-drugs term, and RG-2.1 applies
    first: its term evidence names hashtags[1] and spans the whole tag, its text-match evidence the tag
    #BuyPillsNow."""
    tags = ["#BuyPillsNow", "#WeedDelivery"]
    d = decide(agent, hashtags=tags)
    assert d.context.query.text == "Buy Pills Now\n\nWeed Delivery"
    linked = [lt for lt in d.context.query.linked_terms if lt.term_id == "rg-illegal-drugs"]
    assert [(lt.field, lt.field_start, lt.field_end) for lt in linked] == [("hashtags[1]", 0, len(tags[1]))]
    first = d.context.rules[0]
    assert (first.rule_id, first.verdict) == ("RG-2.1", "applies")
    term = next(e for e in first.evidence if e.signal == "term")
    assert (term.field, term.start, term.end) == ("hashtags[1]", 0, len(tags[1]))
    vector = next(e for e in first.evidence if e.signal == "vector")
    assert (vector.field, vector.excerpt) == ("hashtags", "#BuyPillsNow · #WeedDelivery")
    assert all(h.category.value == "regulated_goods" for h in d.context.rules), returned(d)


def test_a_harmless_first_hashtag_is_not_named_as_the_evidence_of_a_drug_sale(agent):
    d = decide(agent, media_type="video", hashtags=["#fyp", "#BuyPillsNow", "#WeedDelivery"])
    rg = hit(d, "RG-2.1")
    assert rg.verdict == "applies"
    assert not [e for e in rg.evidence if e.excerpt == "#fyp"], rg.evidence
    assert {e.field for e in rg.evidence if e.signal == "vector"} == {"hashtags"}


# --------------------------------------------------------------------------- authoring: signals: on a rule

FOO_POLICY = """\
---
id: test-foos
title: Test Foos
category: regulated_goods
version: 1
effective_from: 2020-01-01
language: en
jurisdictions: [GLOBAL]
definitions:
  - id: tf-foo
    term: contraband foo
    signals: {foo_term_label: 0.6}
    definition: A foo whose sale is banned everywhere.
    aliases:
      en: [contraband foo, hot foo]
---

# Test Foos

Rules about contraband foos.

## Sale of foos

### TF-1.1 Sale of contraband foos
{kind: prohibited, severity: high, actions: [remove], MAPPING}

Content that offers a contraband foo for sale, trade or delivery.
"""


def attr_line(text: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("{kind:"))


@pytest.fixture(scope="module")
def foo_agent(tmp_path_factory, embedding_cache_dir):
    d = tmp_path_factory.mktemp("foos")
    path = d / "foos.md"
    path.write_text(FOO_POLICY.replace("MAPPING", "signals: {foo_label: 0.7}"), encoding="utf-8")
    eng = make_engine(d / "data", embedding_cache_dir)
    pipeline.ingest(eng, [path])
    return PolicyAgent(eng)


def test_a_label_an_author_mapped_to_a_rule_returns_that_rule_from_its_minimum_score(foo_agent):
    """Given a policy whose rule TF-1.1 says `signals: {foo_label: 0.7}`, when content arrives as the label
    foo_label 0.8, then TF-1.1 is returned (possibly applies) with the label as its evidence; at 0.7 too
    (the minimum counts); at 0.5 nothing is returned."""
    d = decide(foo_agent, signals=[{"label": "foo_label", "score": 0.8}])
    assert returned(d) == {"TF-1.1": "possibly_applies"}
    ev = d.context.rules[0].evidence
    assert [(e.signal, e.field, e.excerpt) for e in ev] == [("upstream_signal", "signals", "foo_label")]
    assert "foo_label 0.80 ≥ 0.7: mapped to TF-1.1" in ev[0].detail
    assert returned(decide(foo_agent, signals=[{"label": "foo_label", "score": 0.7}])) == {"TF-1.1": "possibly_applies"}
    assert returned(decide(foo_agent, signals=[{"label": "foo_label", "score": 0.5}])) == {}


def test_a_label_an_author_mapped_to_a_definition_links_the_term_from_its_minimum_score(foo_agent):
    """Given the definition tf-foo with `signals: {foo_term_label: 0.6}`, when the label arrives at 0.8, then
    the term is linked as if the content had said it (field 'signals'); at 0.5 it is not."""
    linked = decide(foo_agent, signals=[{"label": "foo_term_label", "score": 0.8}]).context.query.linked_terms
    assert [(lt.term_id, lt.field, lt.alias) for lt in linked] == [("tf-foo", "signals", "foo_term_label 0.80")]
    assert decide(foo_agent, signals=[{"label": "foo_term_label", "score": 0.5}]).context.query.linked_terms == []


@pytest.mark.parametrize("mapping, problem", [
    ("signals: {weapon: 2}", "rule TF-1.1: signals: weapon: the minimum score must be a number from 0 to 1, got 2"),
    ("signals: 5", "rule TF-1.1: signals must map a label to a minimum score, e.g. {weapon: 0.8}"),
    ("signals: {Weapon!: 0.8}", "rule TF-1.1: signals: label 'Weapon!' must be lower-case letters"),
    ("satisfied_by: {ai_disclosed: {mn: 0.5}}", "rule TF-1.1: satisfied_by: ai_disclosed: unknown key(s) ['mn']"),
])
def test_a_malformed_signal_mapping_on_a_rule_is_refused_naming_the_file_and_line(tmp_path, embedding_cache_dir,
                                                                                 mapping, problem):
    """When a rule's attribute line maps a label badly, then ingest refuses the file with an IngestError that
    names the file, the attribute line and what is wrong; nothing is stored."""
    text = FOO_POLICY.replace("MAPPING", mapping)
    path = tmp_path / "bad-foos.md"
    path.write_text(text, encoding="utf-8")
    eng = make_engine(tmp_path / "data", embedding_cache_dir)
    with pytest.raises(IngestError) as e:
        pipeline.ingest(eng, [path])
    assert Path(e.value.path).name == "bad-foos.md"
    assert e.value.line == attr_line(text)
    assert problem in e.value.problem
    assert re.match(rf".*bad-foos\.md:{attr_line(text)}: ", str(e.value))
    assert eng.catalog.rules == {}


def test_a_malformed_signal_mapping_on_a_definition_is_refused(tmp_path, embedding_cache_dir):
    """`applies` is for rules only: on a definition it is refused, naming the definition."""
    text = FOO_POLICY.replace("signals: {foo_term_label: 0.6}", "signals: {foo_term_label: {min: 0.6, applies: true}}")
    text = text.replace("MAPPING", "signals: {foo_label: 0.7}")
    path = tmp_path / "bad-def.md"
    path.write_text(text, encoding="utf-8")
    eng = make_engine(tmp_path / "data", embedding_cache_dir)
    with pytest.raises(IngestError) as e:
        pipeline.ingest(eng, [path])
    assert Path(e.value.path).name == "bad-def.md" and e.value.line is not None
    assert "definition tf-foo: signals: foo_term_label: unknown key(s) ['applies']; allowed: ['min']" in e.value.problem
