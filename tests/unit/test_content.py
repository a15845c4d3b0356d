"""policygraph.content and the structured `ContentQuery`: hashtags read as words, fields joined into one
text and spans mapped back to the field they came from, provenance turned into reserved labels, and the
contract refusing what cannot be judged. No model: pure logic."""

from __future__ import annotations

import pydantic
import pytest

from policygraph.content import (
    AI_DISCLOSED,
    AI_GENERATED,
    AI_UNDISCLOSED,
    SEPARATOR,
    compose,
    derived_signals,
    split_hashtag,
)
from policygraph.errors import IngestError
from policygraph.ingest.loader import signal_mappings
from policygraph.models import TEXT_FIELDS, ContentQuery


def labels(q: ContentQuery) -> dict[str, float]:
    sigs, _ = derived_signals(q)
    return {s.label: s.score for s in sigs}


# --------------------------------------------------------------------------- hashtags


@pytest.mark.parametrize("tag, words", [
    ("#BuyPillsNow", "Buy Pills Now"),
    ("BuyPillsNow", "Buy Pills Now"),  # sent without '#'
    ("#USAToday", "USA Today"),  # an acronym before a capitalised word
    ("#ABC", "ABC"),  # all capitals stay one word
    ("#fyp", "fyp"),
])
def test_a_camel_case_hashtag_is_split_into_its_words(tag, words):
    assert split_hashtag(tag) == words


@pytest.mark.parametrize("tag, words", [
    ("#weed_delivery", "weed delivery"),
    ("#plug-life", "plug life"),
    ("#deepfake.tutorial", "deepfake tutorial"),
    ("#buy__now--fast", "buy now fast"),  # runs of separators are one break
])
def test_underscores_hyphens_and_dots_split_a_hashtag(tag, words):
    assert split_hashtag(tag) == words


@pytest.mark.parametrize("tag, words", [
    ("#covid19vaccine", "covid 19 vaccine"),
    ("#2024Election", "2024 Election"),
])
def test_digits_are_split_from_letters(tag, words):
    assert split_hashtag(tag) == words


@pytest.mark.parametrize("tag, words", [
    ("#AI换脸教程", "AI 换脸教程"),
    ("#换脸AI教程", "换脸 AI 教程"),
    ("#ai_换脸", "ai 换脸"),
    ("#ขายยาNow", "ขายยา Now"),  # Thai, like CJK, is written without spaces
])
def test_scripts_written_without_spaces_are_split_from_latin_but_not_into_words(tag, words):
    assert split_hashtag(tag) == words


def test_a_devanagari_hashtag_keeps_its_words_and_splits_at_underscores():
    assert split_hashtag("#नशा_बेचो") == "नशा बेचो"
    assert split_hashtag("#नशाबेचो") == "नशाबेचो"  # no case in Devanagari: nothing to split at


def test_devanagari_or_cyrillic_next_to_latin_is_split_at_the_change_of_script():
    assert split_hashtag("#drugsबेचो") == "drugs बेचो"
    assert split_hashtag("#продамGun") == "продам Gun"


@pytest.mark.parametrize("tag, words", [
    ("#BuyNow", "Buy Now"),
    ("＃BuyNow", "Buy Now"),  # the full-width number sign
    ("####x", "x"),
    ("  #weed_delivery  ", "weed delivery"),
    ("# spaced tag", "spaced tag"),
    ("#", ""),
])
def test_the_number_sign_and_surrounding_space_are_dropped(tag, words):
    assert split_hashtag(tag) == words


# --------------------------------------------------------------------------- compose / locate


def everything() -> ContentQuery:
    return ContentQuery(title="T1", description="D22", text="X333", transcript="S4444", ocr_text="O55555",
                        hashtags=["#BuyPillsNow", "#fyp"], comments=["c1", "second comment"])


def test_fields_are_joined_in_reading_order_with_a_blank_line_between_them():
    c = compose(everything())
    assert SEPARATOR == "\n\n"
    assert c.text == SEPARATOR.join(["T1", "D22", "X333", "S4444", "O55555", "Buy Pills Now", "fyp", "c1",
                                     "second comment"])
    assert [p.name for p in c.parts] == ["title", "description", "text", "transcript", "ocr_text",
                                         "hashtags[0]", "hashtags[1]", "comments[0]", "comments[1]"]
    assert [p.group for p in c.parts][:5] == list(TEXT_FIELDS[:5])
    for p in c.parts:  # every part's span holds exactly what was read
        assert c.text[p.start:p.end] == p.read
    assert c.structured


def test_the_field_order_does_not_depend_on_the_order_fields_were_given():
    a = ContentQuery(transcript="spoken", title="the title", ocr_text="on screen")
    b = ContentQuery(ocr_text="on screen", title="the title", transcript="spoken")
    assert compose(a).text == compose(b).text == "the title\n\nspoken\n\non screen"


def test_a_plain_text_query_is_one_unstructured_part():
    c = compose(ContentQuery(text="hello world"))
    assert c.text == "hello world"
    assert not c.structured
    assert [(p.name, p.start, p.end) for p in c.parts] == [("text", 0, 11)]


def test_media_type_alone_makes_a_text_query_structured():
    assert compose(ContentQuery(text="hello world", media_type="video")).structured


def test_hashtags_and_comments_are_each_one_span_in_groups():
    c = compose(everything())
    groups = c.groups()
    assert [g[0] for g in groups] == ["title", "description", "text", "transcript", "ocr_text", "hashtags",
                                      "comments"]
    spans = dict((name, (a, b)) for name, a, b in groups)
    assert c.text[slice(*spans["hashtags"])] == "Buy Pills Now\n\nfyp"
    assert c.text[slice(*spans["comments"])] == "c1\n\nsecond comment"
    assert c.text[slice(*spans["transcript"])] == "S4444"


def test_empty_hashtags_are_left_out_of_the_text():
    c = compose(ContentQuery(title="a title", hashtags=["#", "#fyp"]))
    assert c.text == "a title\n\nfyp"
    assert [p.name for p in c.parts] == ["title", "hashtags[1]"]  # the index is the one sent


def test_locate_maps_a_span_back_to_its_field_and_the_characters_as_sent():
    q = ContentQuery(title="Morning vlog", transcript="so if you want the pills hit me up")
    c = compose(q)
    a = c.text.index("the pills")
    loc = c.locate(a, a + len("the pills"))
    assert loc is not None
    assert loc.field == "transcript"
    assert q.transcript[loc.start:loc.end] == "the pills"
    assert loc.excerpt == "the pills"


def test_locate_names_a_comment_by_its_index():
    c = compose(everything())
    a = c.text.index("comment")
    loc = c.locate(a, a + len("comment"))
    assert loc is not None and (loc.field, loc.start, loc.end) == ("comments[1]", 7, 14)


def test_locate_points_at_the_whole_tag_for_a_word_of_a_split_hashtag():
    c = compose(everything())
    a = c.text.index("Pills")
    loc = c.locate(a, a + len("Pills"))
    assert loc is not None
    assert (loc.field, loc.start, loc.end, loc.excerpt) == ("hashtags[0]", 0, len("#BuyPillsNow"), "#BuyPillsNow")


def test_a_span_across_fields_is_cut_at_the_end_of_its_first_field():
    q = ContentQuery(title="first field", description="second field")
    c = compose(q)
    loc = c.locate(c.text.index("field"), len(c.text))
    assert loc is not None and (loc.field, loc.start, loc.end, loc.excerpt) == ("title", 6, 11, "field")


def test_a_span_in_the_separator_belongs_to_no_field():
    c = compose(ContentQuery(title="ab", description="cd"))
    assert c.text[2:4] == SEPARATOR
    assert c.locate(3, 4) is None
    assert c.part_at(3) is None


def test_a_long_excerpt_is_cut_at_160_characters():
    q = ContentQuery(title="t", transcript="word " * 100)
    c = compose(q)
    loc = c.locate(3, len(c.text))
    assert loc is not None and loc.field == "transcript"
    assert len(loc.excerpt) == 160 and loc.excerpt.endswith("…")


def test_whitespace_in_an_excerpt_is_collapsed_but_the_span_is_as_sent():
    q = ContentQuery(title="t", ocr_text="BUY\n  NOW   cheap")
    c = compose(q)
    a = c.text.index("BUY")
    loc = c.locate(a, a + len("BUY\n  NOW"))
    assert loc is not None
    assert q.ocr_text[loc.start:loc.end] == "BUY\n  NOW"
    assert loc.excerpt == "BUY NOW"


# --------------------------------------------------------------------------- derived signals


def test_a_detector_score_alone_is_ai_generated_and_undisclosed_at_that_score():
    sigs, read = derived_signals(ContentQuery(provenance={"detector_score": 0.4}))
    assert {s.label: s.score for s in sigs} == {AI_GENERATED: 0.4, AI_UNDISCLOSED: 0.4}
    assert all(s.model == "provenance" for s in sigs)
    assert read is not None and read.ai_generated == 0.4 and read.disclosed is False
    assert read.basis == ["AI detector score 0.40"]


def test_a_c2pa_claim_of_trained_algorithmic_media_is_certainly_ai_generated():
    sigs, read = derived_signals(ContentQuery(provenance={"c2pa": ["c2pa.created: trainedAlgorithmicMedia"],
                                                          "detector_score": 0.2}))
    assert {s.label: s.score for s in sigs} == {AI_GENERATED: 1.0, AI_UNDISCLOSED: 1.0}
    assert read is not None and read.ai_generated == 1.0
    assert "C2PA claim: c2pa.created: trainedAlgorithmicMedia" in read.basis


def test_a_c2pa_claim_of_a_camera_capture_says_nothing_about_ai():
    sigs, read = derived_signals(ContentQuery(provenance={"c2pa": ["c2pa.created: digitalCapture"]}))
    assert sigs == []
    assert read is not None and read.ai_generated is None and read.disclosed is False


def test_declared_ai_is_disclosed_and_never_undisclosed():
    sigs, read = derived_signals(ContentQuery(provenance={"declared_ai": True, "detector_score": 0.97}))
    got = {s.label: s.score for s in sigs}
    assert got == {AI_DISCLOSED: 1.0, AI_GENERATED: 1.0}
    assert AI_UNDISCLOSED not in got
    assert read is not None and read.disclosed is True
    assert "the creator labelled it AI-generated" in read.basis


def test_declared_not_ai_with_a_confident_detector_is_undisclosed_ai():
    sigs, read = derived_signals(ContentQuery(provenance={"declared_ai": False, "detector_score": 0.97}))
    assert {s.label: s.score for s in sigs} == {AI_GENERATED: 0.97, AI_UNDISCLOSED: 0.97}
    assert read is not None and read.disclosed is False
    assert read.basis == ["AI detector score 0.97", "the creator declared it not AI-generated"]


def test_duplicate_upstream_labels_keep_the_best_score_and_are_sorted_best_first():
    q = ContentQuery(signals=[{"label": "weapon", "score": 0.4, "model": "a"},
                              {"label": "weapon", "score": 0.93, "model": "b"},
                              {"label": "drugs", "score": 0.6},
                              {"label": "weapon", "score": 0.7, "model": "c"}])
    sigs, read = derived_signals(q)
    assert [(s.label, s.score, s.model) for s in sigs] == [("weapon", 0.93, "b"), ("drugs", 0.6, "")]
    assert read is None  # no provenance sent


# --------------------------------------------------------------------------- ContentQuery


@pytest.mark.parametrize("kw", [{}, {"hashtags": []}, {"comments": []}, {"media_type": "video"}, {"region": "DE"}])
def test_empty_content_is_refused_with_a_message_naming_the_fields(kw):
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(**kw)
    msg = str(e.value)
    assert "the content is empty" in msg
    for name in ("text", "title", "description", "transcript", "ocr_text", "hashtags", "comments", "signals",
                 "provenance"):
        assert name in msg


@pytest.mark.parametrize("kw", [{"signals": [{"label": "weapon", "score": 0.9}]},
                                {"provenance": {"declared_ai": False}},
                                {"hashtags": ["#fyp"]},
                                {"ocr_text": "menu in bio"}])
def test_one_text_field_a_signal_or_provenance_is_enough(kw):
    assert ContentQuery(**kw)


@pytest.mark.parametrize("score", [1.01, 2, -0.1])
def test_a_signal_score_outside_zero_to_one_is_refused(score):
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(signals=[{"label": "weapon", "score": score}])
    assert e.value.errors()[0]["loc"] == ("signals", 0, "score")


@pytest.mark.parametrize("label", ["Weapon", "weapon!", "has space", "_weapon", "", "x" * 65])
def test_a_signal_label_that_is_not_a_lower_case_slug_is_refused(label):
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(signals=[{"label": label, "score": 0.5}])
    assert e.value.errors()[0]["loc"] == ("signals", 0, "label")


def test_a_detector_score_over_one_is_refused():
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(provenance={"detector_score": 1.2})
    assert e.value.errors()[0]["loc"] == ("provenance", "detector_score")


def test_an_unknown_media_type_is_refused():
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(text="hello there friends", media_type="podcast")
    assert e.value.errors()[0]["loc"] == ("media_type",)
    assert "'video', 'image', 'live', 'audio' or 'text'" in str(e.value)


def test_region_is_validated_like_a_jurisdiction():
    assert ContentQuery(text="x", region="in").region == "IN"
    assert ContentQuery(text="x", region="eu").region == "EU"
    with pytest.raises(pydantic.ValidationError, match="unknown jurisdiction 'XX'"):
        ContentQuery(text="x", region="XX")


def test_region_is_where_the_content_is_judged_unless_a_jurisdiction_is_given():
    assert ContentQuery(text="x", region="IN").where == "IN"
    assert ContentQuery(text="x", region="IN", jurisdiction="EU").where == "EU"
    assert ContentQuery(text="x").where is None


def test_more_than_a_hundred_hashtags_are_refused():
    assert ContentQuery(hashtags=["#a"] * 100)
    with pytest.raises(pydantic.ValidationError) as e:
        ContentQuery(hashtags=["#a"] * 101)
    assert e.value.errors()[0]["loc"] == ("hashtags",)


def test_field_texts_names_each_hashtag_and_comment_by_index():
    q = ContentQuery(title="t", hashtags=["#a", "#b"], comments=["c"])
    assert q.field_texts() == {"title": "t", "hashtags[0]": "#a", "hashtags[1]": "#b", "comments[0]": "c"}


# --------------------------------------------------------------------------- authoring: signals: parsing


def test_a_signal_mapping_reads_scores_nested_specs_and_bare_labels():
    got = signal_mappings({"weapon": 0.8, "ai_generated_undisclosed": {"min": 0.9, "applies": True}},
                          "p.md", 7, "rule X-1.1: signals", rule=True)
    assert [(m.label, m.min_score, m.applies) for m in got] == [("weapon", 0.8, False),
                                                                ("ai_generated_undisclosed", 0.9, True)]
    bare = signal_mappings(["weapon", "drugs"], "p.md", 7, "rule X-1.1: signals", rule=True)
    assert [(m.label, m.min_score) for m in bare] == [("weapon", 0.5), ("drugs", 0.5)]
    assert signal_mappings(None, "p.md", 7, "x", rule=True) == []


@pytest.mark.parametrize("value, rule, problem", [
    (5, True, "signals must map a label to a minimum score, e.g. {weapon: 0.8}"),
    ({"weapon": 2}, True, "weapon: the minimum score must be a number from 0 to 1, got 2"),
    ({"weapon": True}, True, "weapon: the minimum score must be a number from 0 to 1, got True"),
    ({"weapon": {"min": 0.8, "applies": "yes"}}, True, "weapon: applies must be true or false, got 'yes'"),
    ({"weapon": {"mn": 0.8}}, True, "weapon: unknown key(s) ['mn']"),
    ({"weapon": {"min": 0.8, "applies": True}}, False, "weapon: unknown key(s) ['applies']; allowed: ['min']"),
    ({"Weapon!": 0.8}, True, "label 'Weapon!' must be lower-case letters"),
])
def test_a_malformed_signal_mapping_is_refused_naming_the_file_line_and_problem(value, rule, problem):
    with pytest.raises(IngestError) as e:
        signal_mappings(value, "policies/p.md", 12, "rule X-1.1: signals", rule=rule)
    assert (e.value.path, e.value.line) == ("policies/p.md", 12)
    assert problem in e.value.problem
    assert str(e.value).startswith("policies/p.md:12: ")


def test_a_span_over_several_hashtags_names_the_group_not_the_first_tag():
    c = compose(ContentQuery(hashtags=["#fyp", "#BuyPillsNow", "#WeedDelivery"]))
    loc = c.locate(0, len(c.text))
    assert (loc.field, loc.start, loc.end) == ("hashtags", None, None)
    assert loc.excerpt == "#fyp · #BuyPillsNow · #WeedDelivery"


def test_a_reserved_provenance_label_cannot_be_sent_as_an_upstream_signal():
    with pytest.raises(pydantic.ValidationError, match="derived from provenance"):
        ContentQuery(title="x", signals=[{"label": "ai_disclosed", "score": 1.0}])


def test_whitespace_and_bare_number_signs_are_not_content():
    for kw in ({"text": "   "}, {"hashtags": ["#", " # "]}, {"comments": ["\n"]}):
        with pytest.raises(pydantic.ValidationError, match="the content is empty"):
            ContentQuery(**kw)
