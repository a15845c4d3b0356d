"""What a write recomputes, on the bundled corpus: the hubness table and the term linker are derived
from the whole corpus after every write, so they must come out the same as the plain definition while
costing far less (a publish holds readers out while they are rebuilt; at 10k rules the hubness matrix
alone would not fit in memory)."""

from __future__ import annotations

import numpy as np

from policygraph.graph_model import is_example_id
from policygraph.linking import TermLinker
from policygraph.retrieval import Retriever


def test_the_hubness_table_is_each_vectors_mean_similarity_to_the_other_examples_centred(corpus_engine):
    """Given the corpus's vectors, when the retriever derives its hubness table, each vector's entry is
    its mean similarity to every labelled example but itself, minus the corpus mean: the definition,
    computed here the slow way (a vectors x examples matrix)."""
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
    assert set(hub) == set(keys) and len(bg) > 100
    assert max(abs(hub[k] - plain[i]) for i, k in enumerate(keys)) < 1e-5


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
    assert [fresh.link(t) for t in texts] == [derived.link(t) for t in texts]
    assert any(fresh.link(t) for t in texts)
    fewer = corpus_engine.linker.derived(terms[: len(terms) // 2])
    assert [TermLinker(terms[: len(terms) // 2]).link(t) for t in texts] == [fewer.link(t) for t in texts]
