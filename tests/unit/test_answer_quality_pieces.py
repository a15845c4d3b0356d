"""Fast tier: the pure pieces behind answer quality — splits, metrics, passages, ordering, labelled
decision files, the content classifier on a real (in-memory) FAISS index with synthetic vectors, and
catalog generations. No model, no spaCy."""

from __future__ import annotations

import json

import numpy as np
import pytest

from policygraph.catalog import Catalog, ExampleEntry
from policygraph.classifier import ContentClassifier
from policygraph.errors import IngestError
from policygraph.eval.external import Answer, ExternalItem, Scored, consistency, reliability, split_of
from policygraph.ingest.labelled import read_labelled
from policygraph.retrieval import diversify, split_passages
from policygraph.stores.faiss_index import FaissVectorIndex
from policygraph.stores.networkx_store import NetworkxGraphStore

# --------------------------------------------------------------------------- splits and metrics


def test_split_is_deterministic_and_roughly_half():
    keys = [f"hatecheck:case-{i}" for i in range(2000)]
    first = [split_of(k) for k in keys]
    assert first == [split_of(k) for k in keys]
    share = first.count("report") / len(first)
    assert 0.45 < share < 0.55


def test_multijail_items_of_one_prompt_share_a_split():
    items = [ExternalItem(id=f"multijail-7-{lang}", text="x", language=lang, category="hate_speech",
                          source_label="", dataset="multijail", group="multijail-7") for lang in ("en", "zh", "ko")]
    assert len({x.split for x in items}) == 1


def _scored(prompt: str, lang: str, rule: str, cat: str) -> Scored:
    item = ExternalItem(id=f"{prompt}-{lang}", text="x", language=lang, category=cat, source_label="",
                        dataset="multijail", group=prompt)
    return Scored(item=item, answer=Answer(rules=((rule, cat, "applies"),)))


def test_consistency_counts_same_top_rule_and_agreement_with_english():
    rs = [_scored("p1", "en", "HS-1.1", "hate_speech"), _scored("p1", "ko", "HS-1.1", "hate_speech"),
          _scored("p2", "en", "RG-2.1", "regulated_goods"), _scored("p2", "ko", "VG-1.1", "violence_graphic")]
    c = consistency(rs)
    assert c["same_top_rule_all_languages"] == 0.5
    assert c["top_category_equals_english"] == 0.5
    assert c["per_language_equals_english"] == {"ko": 0.5}


def test_expected_calibration_error_is_zero_when_confidence_matches_accuracy():
    pairs = [(0.25, i < 1) for i in range(4)] + [(0.75, i < 3) for i in range(4)]
    assert reliability(pairs)["ece"] == 0.0
    assert reliability([(0.9, False)] * 10)["ece"] == pytest.approx(0.9)


# --------------------------------------------------------------------------- passages and ordering


def test_long_content_is_cut_into_passages_at_sentence_ends():
    text = "The weather was fine and we walked along the river. " * 40
    spans = split_passages(text, 400, 8)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(text[a:b].rstrip().endswith(".") for a, b in spans)
    assert all(250 <= b - a <= 600 for a, b in spans[:-1])


def test_passages_are_bounded_and_spread_over_long_content():
    """However long the content, at most `limit` passages of at most 1.5 × target characters: the work per
    request is bounded; they are spread over the text, first and last included."""
    spans = split_passages("x" * 5000, 400, 3)
    assert len(spans) == 3 and spans[0] == (0, 400) and spans[-1][1] == 5000
    assert all(b - a <= 600 for a, b in spans)
    text = "Sentence number one is here. " * 2000  # 58,000 characters
    spans = split_passages(text, 400, 8)
    assert len(spans) == 8 and spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b - a <= 600 for a, b in spans) and spans == sorted(spans)


def test_the_first_three_rules_hold_at_most_two_of_one_category_while_another_waits():
    assert diversify(list("aaabac"), lambda x: x, 3, 2) == list("aabaac")
    assert diversify(list("aaaa"), lambda x: x, 3, 2) == list("aaaa")


# --------------------------------------------------------------------------- labelled decision files


def _write(tmp_path, rows) -> str:
    p = tmp_path / "decisions.jsonl"
    p.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return str(p)


def test_a_labelled_decisions_file_is_read_row_by_row(tmp_path):
    path = _write(tmp_path, [
        {"text": "Vendo éxtasis", "language": "es", "rule_id": "RG-2.1", "label": "violating"},
        "# a comment line",
        {"text": "Best lasagne ever", "category": "none", "label": "non_violating"},
    ])
    rows = read_labelled(path)
    assert [n for n, _ in rows] == [1, 3]
    assert rows[1][1].category == "none"


@pytest.mark.parametrize("row, problem", [
    ('{"text": "x", "label": "maybe", "category": "none"}', "label"),
    ('{"text": "x", "label": "violating"}', "rule_id or a category"),
    ('{"text": "x", "label": "violating", "category": "none"}', "benign"),
    ('{"text": "x", "label": "violating", "category": "weather"}', "category"),
    ('{"text": "x", "label": "violating", "rule_id": "RG-2.1", "colour": 1}', "colour"),
    ('{"text": "x", ', "not valid JSON"),
    ('["x"]', "one JSON object"),
])
def test_a_bad_row_is_refused_with_its_line(tmp_path, row, problem):
    path = _write(tmp_path, [{"text": "fine", "rule_id": "RG-2.1", "label": "violating"}, row])
    with pytest.raises(IngestError) as e:
        read_labelled(path)
    assert e.value.line == 2 and problem in e.value.problem


# --------------------------------------------------------------------------- the content classifier


def _store_with_examples(n_per_class: int = 60, dim: int = 16):
    """A real catalog and a real FAISS index holding synthetic example vectors: two topics that
    differ in one direction, and violation that differs in another."""
    rng = np.random.default_rng(0)
    index = FaissVectorIndex(dim, None)
    cat = Catalog()
    keys, vecs = [], []
    for topic, axis in (("hate_speech", 0), ("none", 1)):
        for label, vaxis in (("violating", 2), ("non_violating", 3)):
            if topic == "none" and label == "violating":
                continue
            for i in range(n_per_class):
                v = rng.normal(0, 0.3, dim)
                v[axis] += 2.0
                v[vaxis] += 1.5
                v /= np.linalg.norm(v)
                key = f"example:{topic}-{label}-{i}"
                cat.examples[key] = ExampleEntry(key, "HS-1.1" if topic != "none" else "", 1, label, topic)
                keys.append(key)
                vecs.append(v.astype(np.float32))
    index.add(keys, np.stack(vecs))
    return cat, index


def _unit(dim: int, **axes: float) -> np.ndarray:
    v = np.zeros(dim, np.float32)
    for k, x in axes.items():
        v[int(k[1:])] = x
    return v / np.linalg.norm(v)


def test_the_classifier_learns_topic_and_violation_from_stored_examples():
    cat, index = _store_with_examples()
    clf = ContentClassifier(ContentClassifier.Config(min_examples=50))
    hateful = clf.predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    neutral = clf.predict(cat, index, _unit(16, a0=2.0, a3=1.5))
    assert hateful.best_topic() == "hate_speech" and neutral.best_topic() == "hate_speech"
    assert hateful.violating > 0.8
    assert neutral.violating < 0.2
    assert abs(sum(hateful.topic.values()) - 1.0) < 1e-5


def test_the_rule_head_is_left_out_above_its_rule_limit_and_the_other_heads_still_answer():
    """Multinomial fitting over every rule holds an examples x rules matrix (8 GB at 10k generated rules):
    above `max_rule_classes` rules the rule head is not fitted, and says so."""
    cat, index = _store_with_examples()
    for i, (key, ex) in enumerate(list(cat.examples.items())):  # 12 rules with 5 violating examples each
        if ex.label == "violating":
            cat.examples[key] = ExampleEntry(key, f"HS-1.{i % 12}", 1, ex.label, ex.category)
    capped = ContentClassifier(ContentClassifier.Config(min_examples=50, max_rule_classes=10))
    pred = capped.predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    assert pred is not None and pred.rules == {} and pred.violating > 0.8
    assert any("rule head off: 12 rules" in n for n in capped.notes)
    full = ContentClassifier(ContentClassifier.Config(min_examples=50)).predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    assert full is not None and len(full.rules) == 12


def test_the_heads_do_not_depend_on_the_order_the_catalog_holds_its_examples_in():
    """A catalog updated in place after a write holds new entries last; one read from scratch, in id order.
    The same examples must give exactly the same heads (the embedded and Neo4j backends answered with
    different evidence when they did not)."""
    cat, index = _store_with_examples()
    shuffled = Catalog(examples=dict(reversed(list(cat.examples.items()))))
    q = _unit(16, a0=2.0, a2=1.5)
    one = ContentClassifier(ContentClassifier.Config(min_examples=50)).predict(cat, index, q)
    other = ContentClassifier(ContentClassifier.Config(min_examples=50)).predict(shuffled, index, q)
    assert one is not None and other is not None
    assert (one.topic, one.violating, one.rules) == (other.topic, other.violating, other.rules)


def test_above_its_limit_the_classifier_fits_on_a_sample_that_keeps_every_stratum():
    cat, index = _store_with_examples(n_per_class=100)  # 300 examples in three (topic, label) strata
    clf = ContentClassifier(ContentClassifier.Config(min_examples=50, max_fit_examples=120))
    pred = clf.predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    assert pred is not None and pred.violating > 0.8 and pred.best_topic() == "hate_speech"
    assert any("sample of 120 of 300" in n for n in clf.notes)
    again = ContentClassifier(ContentClassifier.Config(min_examples=50, max_fit_examples=120))
    assert again.predict(cat, index, _unit(16, a0=2.0, a2=1.5)) == pred  # the same sample every time
    from policygraph.classifier import stratified_sample
    rows = stratified_sample([("big", 1)] * 1000 + [("rare", 0)] * 12, 100)
    assert len(rows) == 100 and len(set(rows)) == 100 and set(range(1000, 1012)) <= set(rows)


def test_the_classifier_says_nothing_with_too_few_examples():
    cat, index = _store_with_examples(n_per_class=10)
    clf = ContentClassifier(ContentClassifier.Config(min_examples=200))
    assert clf.predict(cat, index, _unit(16, a0=1.0)) is None
    assert "classifier off" in clf.notes[0]


def test_the_classifier_refits_only_when_the_labelled_examples_change():
    cat, index = _store_with_examples()
    clf = ContentClassifier(ContentClassifier.Config(min_examples=50))
    first = clf.heads(cat, index)
    assert clf.heads(cat, index) is first  # same catalog: no refit
    same = Catalog(examples=dict(cat.examples))  # a publish that left the examples alone
    assert same.generation != cat.generation and clf.heads(same, index) is first
    fewer = Catalog(examples=dict(list(cat.examples.items())[:-5]))  # an import or a removal
    assert clf.heads(fewer, index) is not first


def test_violation_thresholds_are_fitted_per_category_out_of_fold():
    cat, index = _store_with_examples()
    clf = ContentClassifier(ContentClassifier.Config(min_examples=50, min_negatives=20))
    h = clf.heads(cat, index)
    assert set(h.thresholds) == {"hate_speech"}  # "none" has no threshold of its own
    lo, hi = clf.config.threshold_bounds
    assert lo <= h.thresholds["hate_speech"] <= hi and lo <= h.default_threshold <= hi
    assert clf.threshold(cat, index, "regulated_goods") == h.default_threshold


def test_catalog_generations_never_repeat_even_when_ids_are_reused():
    """Caches keyed by id(catalog) served a freed catalog's entries to a new one (issue 11's bug: a
    policy rendered as 'Gambling v5' at version 7). Generations are unique per load."""
    graph = NetworkxGraphStore(None)
    seen = set()
    for _ in range(50):
        c = Catalog.load(graph)
        assert c.generation not in seen
        seen.add(c.generation)
        del c


def test_fitted_heads_are_kept_on_disk_for_the_next_process(tmp_path):
    cat, index = _store_with_examples()
    config = ContentClassifier.Config(min_examples=50)
    first = ContentClassifier(config, cache_dir=tmp_path)
    p1 = first.predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    assert len(list(tmp_path.glob("heads-*.npz"))) == 1
    second = ContentClassifier(config, cache_dir=tmp_path)
    p2 = second.predict(cat, index, _unit(16, a0=2.0, a2=1.5))
    assert first.last_fit_seconds > 0 and second.last_fit_seconds == 0.0  # loaded, not refitted
    assert p2.violating == pytest.approx(p1.violating) and p2.topic == pytest.approx(p1.topic)
    assert second.heads(cat, index).thresholds == first.heads(cat, index).thresholds
