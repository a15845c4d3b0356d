"""What a write recomputes and rewrites, on the bundled corpus: the hubness table and the term linker are
derived from the whole corpus after every write, so they must come out the same as the plain definition
while costing far less (a publish holds readers out while they are rebuilt; at 10k rules the hubness matrix
alone would not fit in memory); a one-rule revision writes its change to the stores' logs instead of
rewriting the graph and the index, and the catalog it updates in place equals one read from scratch."""

from __future__ import annotations

import shutil
import time

import numpy as np
from conftest import make_engine

from policygraph.catalog import Catalog
from policygraph.graph_model import is_example_id, jurisdiction_matches
from policygraph.linking import TermLinker
from policygraph.retrieval import Retriever


def test_the_hubness_correction_is_each_vectors_mean_similarity_to_the_other_examples_centred(corpus_engine):
    """Given the corpus's vectors, when the retriever derives its hubness correction (from sums over the
    index, each vector's value when a search hits it), each vector's value is its mean similarity to every
    labelled example but itself, minus the mean of that over all vectors: the definition, computed here the
    slow way (a vectors x examples matrix)."""
    hub = Retriever(corpus_engine, vector_cache=0).hubness()
    idx = corpus_engine.index
    keys = idx.keys()
    bg = [k for k in keys if is_example_id(k)]
    mat = np.stack([idx.get_vector(k) for k in keys])
    sims = mat @ np.stack([idx.get_vector(k) for k in bg]).T
    pos = {k: i for i, k in enumerate(bg)}
    for i, k in enumerate(keys):
        if k in pos:
            sims[i, pos[k]] = np.nan
    plain = np.nanmean(sims, axis=1)
    plain -= plain.mean()
    assert len(bg) > 100 and hub.get("no such key", -1.0) == -1.0
    assert max(abs(hub.get(k, np.nan) - plain[i]) for i, k in enumerate(keys)) < 1e-5


def test_a_linker_rebuilt_from_the_same_vocabulary_is_left_as_it_was(corpus_engine):
    linker = corpus_engine.linker
    terms = corpus_engine.terms()
    before = linker.link("buy a gun and some meth tonight")
    linker.rebuild(terms)
    assert linker.link("buy a gun and some meth tonight") == before


def test_a_derived_linker_links_like_one_built_from_scratch(corpus_engine):
    """A write links its texts with a linker derived from the live one (sharing its tokenised aliases):
    it must find exactly what a linker built from nothing finds, also after the vocabulary shrank."""
    terms = corpus_engine.terms()
    texts = ["Selling cocaine and MDMA, DM me", "Das ist eine Terrororganisation", "आतंकवादी संगठन का वीडियो",
             "convert this pistol to full auto", "ヘイトスピーチの例"]
    fresh = TermLinker(terms)
    derived = corpus_engine.linker.derived(terms)
    assert derived is corpus_engine.linker  # the vocabulary it would store is the live one: nothing to build
    assert [fresh.link(t) for t in texts] == [derived.link(t) for t in texts]
    assert any(fresh.link(t) for t in texts)
    fewer = corpus_engine.linker.derived(terms[: len(terms) // 2])
    assert [TermLinker(terms[: len(terms) // 2]).link(t) for t in texts] == [fewer.link(t) for t in texts]


def test_a_linker_takes_over_the_matcher_a_write_derived_for_the_terms_it_then_stores(corpus_engine):
    """A write links its texts with a linker derived for the vocabulary it is about to store; when the live
    linker is then rebuilt for exactly those terms it takes that matcher over instead of building it again
    (half a second at 100k rules) and links like a linker built from scratch. Other terms: built."""
    texts = ["Selling cocaine and MDMA, DM me", "Das ist eine Terrororganisation", "convert this pistol to full auto"]
    linker = TermLinker(corpus_engine.terms())  # a live linker of its own to change
    fewer = corpus_engine.terms()[:-5]
    builds = linker.builds
    linker.derived(fewer)
    linker.rebuild(corpus_engine.terms()[:-5])
    assert linker.builds == builds
    assert [linker.link(t) for t in texts] == [TermLinker(fewer).link(t) for t in texts]
    linker.rebuild(corpus_engine.terms())
    assert linker.builds == builds + 1
    assert [linker.link(t) for t in texts] == [TermLinker(corpus_engine.terms()).link(t) for t in texts]


def test_the_linkers_tokenizer_is_renewed_before_novel_tokens_grow_it_without_bound(corpus_engine):
    """spaCy keeps every token it has seen: content full of user names and links grew a server ~1.2 KB per
    request. Past its limit the linker swaps in a fresh tokenizer (in the background) and links as before."""
    linker = TermLinker(corpus_engine.terms())
    linker.VOCAB_LIMIT = 2_000
    start = linker.vocab_size
    probe = ["Selling cocaine and MDMA, DM me", "Das ist eine Terrororganisation", "आतंकवादी संगठन का वीडियो"]
    expected = [linker.link(t) for t in probe]
    for rnd in range(4):  # 12,000 novel tokens in all, 3,000 a round
        for i in range(1_500):
            linker.link(f"user{rnd}x{i} posted https://x{rnd}y{i}.example cocaine")
        deadline = time.time() + 30
        while linker.vocab_size > start + 2_000 and time.time() < deadline:  # renewed in the background
            time.sleep(0.05)
        assert linker.vocab_size <= start + 2_000, (rnd, linker.vocab_size - start)
    assert [linker.link(t) for t in probe] == expected
    assert linker.link("user99999x sells cocaine")[0].term_id == expected[0][0].term_id


def catalog_facts(cat: Catalog) -> dict:
    return {"rules": cat.rules, "examples": cat.examples, "by_rule_id": cat.by_rule_id,
            "term_category": cat.term_category, "signal_terms": cat.signal_terms,
            "signal_rule_ids": cat.signal_rule_ids}


def test_a_one_rule_revision_is_appended_to_the_logs_and_the_catalog_updated_in_place_matches_a_fresh_read(
        corpus_engine, embedding_cache_dir, tmp_path):
    """Given a copy of the corpus, when one rule of regulated-goods is revised (a new version of the policy),
    then graph.json and index.faiss are left as they were and only the change is appended to graph.log and
    vectors.log (a small share of the corpus), the catalog the write updated equals one read from the graph
    from scratch, and an engine opened on the data dir afterwards answers exactly like the live one."""
    shutil.copytree(corpus_engine.settings.data_dir, tmp_path / "data")
    eng = make_engine(tmp_path / "data", embedding_cache_dir)
    vec_dir = eng.index.path / "rules"  # the rule texts' partition of the vector index
    graph_json, index_faiss = (eng.root / "graph.json").read_bytes(), (vec_dir / "index.faiss").read_bytes()
    logs_before = (eng.root / "graph.log").stat().st_size, (vec_dir / "vectors.log").stat().st_size
    corpus_bytes = len(graph_json) + logs_before[0], len(index_faiss) + logs_before[1]  # snapshot + log
    generation, labels_generation = eng.catalog.generation, eng.catalog.labels_generation
    doc = eng.stored_documents()["regulated-goods"].model_copy(deep=True)
    doc.version += 1
    rule = doc.rules()[0]
    rule.text = {lang: text + " Revised: sales arranged in comments count too." for lang, text in rule.text.items()}
    eng.ingest_documents([doc])
    assert (eng.root / "graph.json").read_bytes() == graph_json
    assert (vec_dir / "index.faiss").read_bytes() == index_faiss
    grown = ((eng.root / "graph.log").stat().st_size - logs_before[0],
             (vec_dir / "vectors.log").stat().st_size - logs_before[1])
    # a new version of one policy of 14 (its every rule gets a new version node and vectors): not the corpus
    assert 0 < grown[0] < corpus_bytes[0] / 10 and 0 < grown[1] < corpus_bytes[1] / 10, (grown, corpus_bytes)
    assert catalog_facts(eng.catalog) == catalog_facts(Catalog.load(eng.graph))
    # its examples were written again, labelled as they were: the classifier knows its heads still fit
    assert eng.catalog.labels_generation == labels_generation and eng.catalog.generation != generation
    assert eng.catalog.latest(rule.id).version == doc.version
    fresh = make_engine(tmp_path / "data", embedding_cache_dir)
    assert fresh.stats() == eng.stats() and fresh.index.keys() == eng.index.keys()
    assert catalog_facts(fresh.catalog) == catalog_facts(eng.catalog)
    key = next(k for k in eng.index.keys() if k.startswith(eng.catalog.latest(rule.id).node_id))
    np.testing.assert_array_equal(fresh.index.get_vector(key), eng.index.get_vector(key))


def test_the_example_filter_is_the_plain_definition(corpus_engine):
    """Which examples a query may see (their rule version in force on the date, in the jurisdiction): worked
    out once per rule, it must equal asking for each example on its own."""
    import datetime as dt

    cat = corpus_engine.catalog
    sizes = []
    for at in (dt.date.today(), dt.date(2024, 1, 1)):
        for jurisdiction in (None, "DE", "IN", "FR"):
            plain = set()
            for ex in cat.examples.values():
                e = cat.example_rule(ex, at)
                if e and cat.live(e, at) and jurisdiction_matches(list(e.jurisdictions), jurisdiction):
                    plain.add(ex.node_id)
            got = Catalog(rules=cat.rules, examples=cat.examples, by_rule_id=cat.by_rule_id).allowed_example_keys(
                at, jurisdiction)
            assert got == plain, (at, jurisdiction)
            sizes.append(len(got))
    assert max(sizes) > 100 and min(sizes) < max(sizes)  # not vacuous: the date and the place matter


def test_filters_patched_after_writes_equal_the_ones_read_from_scratch(corpus_engine, embedding_cache_dir, tmp_path):
    """Which rule versions and examples a query may see is kept per date and jurisdiction; after a write the
    next query patches the earlier set with what the write changed instead of reading the whole corpus
    (seconds at 100k rules). Given a copy of the corpus with those sets asked, when one policy is revised
    (one rule narrowed to Germany, one rule dropped, a term given a new alias) and labelled decisions are
    imported, then every patched set equals the set a catalog read from the graph from scratch gives, and the
    live term linker links the new alias with the matcher the write built for it (not built twice)."""
    import datetime as dt

    from policygraph.models import LabelledDecision

    shutil.copytree(corpus_engine.settings.data_dir, tmp_path / "data")
    eng = make_engine(tmp_path / "data", embedding_cache_dir)
    questions = [(dt.date.today(), None), (dt.date.today(), "DE"), (dt.date.today(), "IN"), (dt.date(2024, 1, 1), None)]

    def ask_all(cat):
        return [(cat.allowed_rule_keys(at, j), cat.allowed_example_keys(at, j)) for at, j in questions]

    ask_all(eng.catalog)
    doc = eng.stored_documents()["regulated-goods"].model_copy(deep=True)
    doc.version += 1
    narrowed, dropped = doc.rules()[0], doc.rules()[1]
    narrowed.jurisdictions = ["DE"]
    for section in doc.sections:
        section.rules = [r for r in section.rules if r.id != dropped.id]
    doc.examples = [x for x in doc.examples if x.rule_id != dropped.id]
    term = doc.definitions[0]
    term.aliases.setdefault("en", []).append("zqx street name")  # a new alias: the vocabulary changes too
    before, builds = ask_all(eng.catalog), eng.linker.builds
    eng.ingest_documents([doc])
    # the live linker took over the matcher the write derived for its new vocabulary
    assert eng.linker.builds == builds and term.id in {m.term_id for m in eng.linker.link("got some zqx street name")}
    patched = ask_all(eng.catalog)
    assert eng.catalog.filters_patched == 2 * len(questions) and eng.catalog.filters_computed == 0
    assert patched == ask_all(Catalog.load(eng.graph))
    assert patched != before  # not vacuous: the write changed what Indian and global content may see

    rows = [(i, LabelledDecision(text=f"selling unregistered pistols, batch {i}, DM for prices", language="en",
                                 rule_id=narrowed.id, label="violating")) for i in range(3)]
    eng.add_decisions("decisions.jsonl", rows)
    patched = ask_all(eng.catalog)
    assert eng.catalog.filters_patched == 2 * len(questions)
    assert patched == ask_all(Catalog.load(eng.graph))
