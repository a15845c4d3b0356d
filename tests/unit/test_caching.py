"""`LruCache` (policygraph/caching.py): the bounded least-recently-used map behind the decision cache and
the query vector cache. No model, no engine: milliseconds."""

from __future__ import annotations

import random
import threading

import pytest

from policygraph.caching import CacheStats, LruCache


def keys_of(cache: LruCache) -> set:
    """The keys the cache holds now, found without touching recency or the counters."""
    return {k for k in ("a", "b", "c", "d", "e") if cache.get(k, count=False) is not None}


def test_the_least_recently_put_entry_goes_first_when_the_cache_is_full():
    cache: LruCache[int] = LruCache(3)
    for i, k in enumerate("abc"):
        cache.put(k, i)
    cache.put("d", 3)
    assert len(cache) == 3
    assert cache.get("a") is None
    assert [cache.get(k) for k in "bcd"] == [1, 2, 3]
    cache.put("e", 4)  # b, c, d were read in that order: b is now the least recently used
    assert cache.get("b") is None
    assert [cache.get(k) for k in "cde"] == [2, 3, 4]


def test_a_get_makes_an_entry_recently_used_and_saves_it_from_eviction():
    cache: LruCache[str] = LruCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a") == "A"  # a is now newer than b
    cache.put("c", "C")
    assert cache.get("b") is None
    assert cache.get("a") == "A" and cache.get("c") == "C"


def test_putting_an_existing_key_again_replaces_its_value_and_refreshes_it():
    cache: LruCache[str] = LruCache(2)
    cache.put("a", "old")
    cache.put("b", "B")
    cache.put("a", "new")  # a refreshed: b is the oldest
    assert len(cache) == 2
    cache.put("c", "C")
    assert cache.get("a") == "new"
    assert cache.get("b") is None


def test_a_get_that_does_not_count_still_refreshes_the_entry():
    cache: LruCache[str] = LruCache(2)
    cache.put("a", "A")
    cache.put("b", "B")
    assert cache.get("a", count=False) == "A"
    cache.put("c", "C")
    assert keys_of(cache) == {"a", "c"}


def test_capacity_one_keeps_only_the_last_entry():
    cache: LruCache[int] = LruCache(1)
    cache.put("a", 1)
    cache.put("b", 2)
    assert len(cache) == 1 and cache.get("a") is None and cache.get("b") == 2


def test_capacity_zero_caches_nothing_and_counts_every_look_up_as_a_miss():
    cache: LruCache[int] = LruCache(0)
    for i in range(5):
        cache.put(("k", i), i)
    assert len(cache) == 0
    assert cache.get(("k", 0)) is None and cache.get(("k", 4)) is None
    assert cache.stats() == CacheStats(size=0, capacity=0, hits=0, misses=2)


@pytest.mark.parametrize("capacity", [-1, -1024])
def test_a_negative_capacity_is_refused(capacity):
    with pytest.raises(ValueError, match="negative"):
        LruCache(capacity)


def test_hits_and_misses_are_counted_and_count_false_counts_neither():
    cache: LruCache[str] = LruCache(4)
    assert cache.get("a") is None  # miss 1
    cache.put("a", "A")
    assert cache.get("a") == "A"  # hit 1
    assert cache.get("a") == "A"  # hit 2
    assert cache.get("zz") is None  # miss 2
    assert (cache.hits, cache.misses) == (2, 2)
    assert cache.get("a", count=False) == "A"
    assert cache.get("zz", count=False) is None
    assert (cache.hits, cache.misses) == (2, 2)
    assert isinstance(cache.hits, int) and isinstance(cache.misses, int)


def test_stats_report_size_capacity_hits_and_misses():
    cache: LruCache[int] = LruCache(2)
    assert cache.stats() == CacheStats(size=0, capacity=2, hits=0, misses=0)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    cache.get("a")
    cache.get("c")
    assert cache.stats() == CacheStats(size=2, capacity=2, hits=1, misses=1)


def test_clear_empties_the_cache_but_keeps_the_counters():
    cache: LruCache[int] = LruCache(3)
    cache.put("a", 1)
    cache.get("a")
    cache.clear()
    assert len(cache) == 0 and cache.get("a") is None
    assert cache.stats() == CacheStats(size=0, capacity=3, hits=1, misses=1)


def test_falsy_values_are_cached_like_any_other():
    """0, "" and an empty list are values too: only None means 'not there'."""
    cache: LruCache[object] = LruCache(4)
    for k, v in (("zero", 0), ("empty", ""), ("list", [])):
        cache.put(k, v)
    assert cache.get("zero") == 0 and cache.get("empty") == "" and cache.get("list") == []
    assert cache.stats().hits == 3 and cache.stats().misses == 0


def test_many_threads_putting_and_getting_never_overfill_the_cache_nor_lose_a_count():
    capacity, threads, rounds = 50, 8, 4000
    cache: LruCache[tuple[int, int]] = LruCache(capacity)
    start = threading.Barrier(threads)
    sizes: list[int] = []
    wrong: list[str] = []
    gets = [0] * threads

    def work(t: int) -> None:
        rnd = random.Random(t)
        start.wait()
        for _ in range(rounds):
            k = rnd.randrange(200)
            if rnd.random() < 0.5:
                cache.put(k, (k, k * k))
            else:
                gets[t] += 1
                v = cache.get(k)
                if v is not None and v != (k, k * k):
                    wrong.append(f"{k} -> {v}")
            sizes.append(cache.stats().size)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join(60)
    assert not any(th.is_alive() for th in pool)
    assert not wrong, wrong[:5]
    assert max(sizes) <= capacity
    st = cache.stats()
    assert st.size == len(cache) <= capacity
    assert st.hits + st.misses == sum(gets)
    assert st.hits > 0 and st.misses > 0
