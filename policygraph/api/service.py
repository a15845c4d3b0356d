"""`PolicyService`: the one object the HTTP API and the MCP server call. It wraps the process's single
`Engine` and the agent, and adds what a multi-user service needs on top of them:

* **Consistency.** Reads (the agent's decision, rules, policies) hold a shared gate; an upload holds
  it exclusively only for the short write phase. The engine swaps its graph atomically, but the
  graph, the vector index and the catalog are three objects replaced one after another; the gate
  makes each read see all of an upload or none of it. The slow part of an upload (parsing, validating
  and embedding the new texts) runs *before* the exclusive phase, outside the gate, so reads go on
  meanwhile; the engine then finds the vectors in its embedding cache.
* **Limits** on content length that both front ends share.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path, PurePath

from policygraph.api.admission import Admission, WorkTicket
from policygraph.api.config import ApiConfig
from policygraph.api.memory import release_freed_memory
from policygraph.caching import LruCache
from policygraph.engine import Engine
from policygraph.errors import AgentUnavailable, ContentTooLong, IngestError
from policygraph.ingest import pipeline
from policygraph.models import ContentQuery, Decision, IngestReport, PolicySummary, RuleView

log = logging.getLogger(__name__)


class RWGate:
    """A readers-writer gate that prefers writers: once a writer waits, new readers queue behind it,
    so a stream of reads cannot starve an upload, and the writer waits only for reads in flight."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @property
    def writing(self) -> bool:
        """Is a writer in its exclusive phase now?"""
        with self._cond:
            return self._writer

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writer or self._writers_waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                if self._readers == 0:
                    self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._writers_waiting += 1
            try:
                while self._writer or self._readers:
                    self._cond.wait()
            finally:
                self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


_DONE = threading.Event()
_DONE.set()  # what a request waits on when there is nothing to wait for


class PolicyService:
    def __init__(self, engine: Engine, *, max_content_chars: int = 20_000, agent=None,
                 admission: Admission | None = None, deadline_s: float = 30.0, decision_cache: int = 1024) -> None:
        self.engine = engine
        #: the agent's recent decisions by request and corpus version: a re-upload or a spam wave is decided
        #: once (off when an LLM adjudicates: its answers are not a function of the request alone)
        #: remembered decisions, kept as compressed JSON: ~5 KB each instead of ~90 KB of live pydantic objects
        #: (a full cache held ~90 MB more than an empty one); a hit costs ~1 ms to read back
        self.decisions: LruCache[bytes] = LruCache(0 if engine.settings.llm_url else decision_cache)
        #: requests being decided now, by cache key: an identical one waits for the first (single flight)
        self._inflight: dict[tuple, threading.Event] = {}
        self._followers: dict[tuple, int] = {}
        self._inflight_lock = threading.Lock()
        #: items of one batch in flight at once: one per model of the embedder's pool (a model per core), and
        #: one more whose graph work runs while they embed
        self.batch_parallel = max(1, os.cpu_count() or 1) + 1
        self._batch_pool = ThreadPoolExecutor(self.batch_parallel, thread_name_prefix="batch-item")
        self.max_content_chars = max_content_chars
        #: decision work: how much at once, waiting, per key (policygraph/api/admission.py)
        self.admission = admission or ApiConfig().admission()
        #: copies of one request that may wait for it outside admission control (as many as one key may queue)
        self.max_followers = self.admission.per_key_queued
        self.deadline_s = deadline_s
        self.gate = RWGate()
        self._agent = agent
        self._agent_error: str | None = None
        self._agent_lock = threading.Lock()
        #: one corpus change at a time through this service: an upload (parse + embed + write), a publish
        self.upload_lock = threading.Lock()
        #: bumped after every upload that changed something
        self.generation = 0
        self.started = time.time()
        #: called (without arguments) after every upload that changed the corpus
        self.on_change: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ the agent
    @property
    def agent(self):
        if self._agent is not None:
            return self._agent
        with self._agent_lock:
            if self._agent is None:
                try:
                    from policygraph.agent import PolicyAgent
                except ImportError as exc:
                    self._agent_error = f"policygraph.agent cannot be imported: {exc}"
                    raise AgentUnavailable(self._agent_error) from exc
                self._agent = PolicyAgent(self.engine)
                self._agent_error = None
        return self._agent

    def caches(self) -> dict[str, LruCache]:
        """The service's caches by name (for /metrics): decisions, and the agent's query vectors once loaded."""
        out: dict[str, LruCache] = {"decisions": self.decisions}
        if self._agent is not None:
            out["query_vectors"] = self._agent.retriever.vectors
        return out

    def agent_ready(self) -> tuple[bool, str | None]:
        try:
            self.agent  # noqa: B018 - loads it
        except AgentUnavailable as exc:
            return False, str(exc)
        return True, None

    # ------------------------------------------------------------------ reads
    def check_content(self, text: str, field: str = "text") -> None:
        if len(text) > self.max_content_chars:
            raise ContentTooLong(len(text), self.max_content_chars, field)

    def check_query(self, query: ContentQuery, prefix: str = "") -> None:
        """Every text field within the limit, and all of them together (the work per request is bounded)."""
        total = 0
        for name, text in query.field_texts().items():
            self.check_content(text, prefix + name)
            total += len(text)
        if total > self.max_content_chars:
            raise ContentTooLong(total, self.max_content_chars, prefix + "(all text fields together)")

    def sync(self) -> None:
        """Pick up what another process (a CLI ingest or publish) wrote to the same data dir: the
        reload runs with readers held out, so none sees half of it. A file read per request."""
        if self.engine.stale():
            with self.gate.write():
                reloaded = self.engine.reload()
            if reloaded:
                self.changed()

    def changed(self) -> None:
        """The corpus changed (an upload, a publish, another process's write): tell the listeners
        (the MCP server's resource list)."""
        self.generation += 1
        for fn in list(self.on_change):
            try:
                fn()
            except Exception:
                log.warning("a change listener failed", exc_info=True)
        release_freed_memory()  # the previous corpus version's memory, once its readers are done

    def decide(self, query: ContentQuery, *, key: str = "", ticket: WorkTicket | None = None) -> Decision:
        """The agent's decision, after a turn from admission control (`key`: whose turn; `ticket`: the
        deadline and the client's presence, checked while waiting and between the agent's steps). A request
        decided moments ago against the same corpus is answered from the cache without a turn; one being
        decided right now for another client is waited for, not decided twice (a spam wave arrives at once)."""
        self.check_query(query)
        agent = self.agent
        ticket = ticket or WorkTicket.within(self.deadline_s, self.admission.retry_after)
        # the cache is read without the gate or a turn (a refusal must stay immediate while a publish waits):
        # a remembered decision is a whole answer of the corpus version in its key; when another process
        # has written, the turn's sync comes first
        fresh = not self.engine.stale()
        cached = self._cached(query) if fresh else None
        if cached is not None:  # no turn needed: nothing to compute
            return cached
        cache_key = self._cache_key(query)
        leader, done = self._join(cache_key) if fresh else (False, _DONE)
        if not leader:
            try:
                while not done.wait(0.1):  # the same request is being decided for another client
                    ticket.check("waiting for the same request")
            finally:
                if done is not _DONE:
                    self._unfollow(cache_key)
            cached = self._cached(query, count=False) if fresh else None
            if cached is not None:
                return cached
        try:
            asked = time.perf_counter()
            with self.admission.turn(key, ticket):
                waited = {"wait_turn": _ms_since(asked)}
                ticket.check("start")
                self.sync()
                embed_ms = agent.retriever.prepare_vectors(query)  # outside the gate: a publish need not wait for it
                ticket.check("embedded")
                gate_asked = time.perf_counter()
                with self.gate.read():
                    waited["wait_gate"] = _ms_since(gate_asked)
                    return self._decide(agent, query, ticket, embed_ms, waited)
        finally:
            if leader:
                self._leave(cache_key, done)

    def _join(self, cache_key: tuple) -> tuple[bool, threading.Event]:
        """(True, a new event) for the first request of its kind in flight; (False, the leader's event) for one
        of at most `max_followers` copies waiting for it; (False, an event already set) otherwise: that request
        takes a turn like any other, so a flood of copies still meets admission control's queue limits."""
        with self._inflight_lock:
            done = self._inflight.get(cache_key)
            if not self.decisions.capacity:
                return False, _DONE
            if done is None:
                done = self._inflight[cache_key] = threading.Event()
                return True, done
            if self._followers.get(cache_key, 0) >= self.max_followers:
                return False, _DONE
            self._followers[cache_key] = self._followers.get(cache_key, 0) + 1
            return False, done

    def _unfollow(self, cache_key: tuple) -> None:
        with self._inflight_lock:
            n = self._followers.get(cache_key, 0) - 1
            if n > 0:
                self._followers[cache_key] = n
            else:
                self._followers.pop(cache_key, None)

    def _leave(self, cache_key: tuple, done: threading.Event) -> None:
        with self._inflight_lock:
            self._inflight.pop(cache_key, None)
        done.set()

    def _cache_key(self, query: ContentQuery) -> tuple:
        """Everything a decision depends on: the request, the corpus version and, for a request without a
        date, today (a version scheduled for tomorrow answers tomorrow's requests)."""
        return (self.engine.catalog.generation, query.at or dt.date.today(), query.model_dump_json())

    def _cached(self, query: ContentQuery, count: bool = True) -> Decision | None:
        """The remembered decision on this request against the current corpus version."""
        if not self.decisions.capacity:
            return None
        hit = self.decisions.get(self._cache_key(query), count)
        if hit is None:
            return None
        decision = Decision.model_validate_json(zlib.decompress(hit))
        decision.cached = True
        return decision

    def _decide(self, agent, query: ContentQuery, ticket: WorkTicket, embed_ms: float = 0.0,
                waited: dict[str, float] | None = None) -> Decision:
        """The agent's decision (the caller holds a turn and the read gate), remembered for a repeat.
        `embed_ms`: the time its embeddings took before the gate, counted in its `embed` timing; `waited`:
        how long it waited for its turn (`wait_turn`) and for the read gate (`wait_gate`, behind a publish)."""
        cached = self._cached(query, count=False)  # decided by another request while this one waited
        if cached is not None:
            return cached
        decision = agent.decide(query, check=ticket.check)
        timings = decision.context.timings_ms
        if embed_ms:
            for name in ("embed", "agent_total"):
                timings[name] = round(timings.get(name, 0.0) + embed_ms, 3)
        timings.update(waited or {})
        if self.decisions.capacity:
            self.decisions.put(self._cache_key(query), zlib.compress(decision.model_dump_json().encode(), 1))
        return decision

    def decide_many(self, queries: list[ContentQuery], *, key: str = "",
                    ticket: WorkTicket | None = None) -> list[Decision]:
        """One decision per query, all against the same corpus version, in one turn.

        Items go side by side (`batch_parallel` at a time, one more than the embedder has models): each is
        embedded outside the read gate, then decided under a short read of it, so one item's graph work runs
        while others are being embedded and a publish never waits for a batch's embeddings. An item decided
        against an older corpus version than the newest one seen (a publish landed mid-batch) is decided
        again at the end, under one read of the gate, against the same version as the rest: its vectors are
        cached by then."""
        for i, q in enumerate(queries):
            self.check_query(q, f"items.{i}.")
        agent = self.agent
        if not self.engine.stale():  # as in decide(): no gate, no turn for what is remembered
            done = [self._cached(q) for q in queries]
            if all(d is not None for d in done):  # no turn needed: nothing to compute
                return done  # type: ignore[return-value]
        ticket = ticket or self.batch_ticket(len(queries))
        with self.admission.turn(key, ticket):
            ticket.check("start")
            self.sync()
            # an item repeated in the batch is decided once (the copies are answered as cached)
            # (with the cache off, every item is its own; keys taken now: a publish mid-batch changes them)
            keys = [self._cache_key(q) if self.decisions.capacity else (i,) for i, q in enumerate(queries)]
            first: dict[tuple, int] = {}
            for i, k in enumerate(keys):
                first.setdefault(k, i)
            unique = sorted(first.values())

            def one(i: int) -> tuple[int, Decision]:
                embed_ms = agent.retriever.prepare_vectors(queries[i])
                ticket.check("embedded")
                with self.gate.read():
                    return self.engine.catalog.generation, self._decide(agent, queries[i], ticket, embed_ms)

            if len(unique) == 1 or self.batch_parallel == 1:
                decided = [one(i) for i in unique]
            else:
                decided = list(self._batch_pool.map(one, unique))
            by_index = {i: d for i, (_, d) in zip(unique, decided, strict=True)}
            if len({g for g, _ in decided}) > 1:  # a publish landed mid-batch: every item against the newest
                with self.gate.read():
                    now = self.engine.catalog.generation
                    for i, (g, _) in zip(unique, decided, strict=True):
                        if g != now:
                            by_index[i] = self._decide(agent, queries[i], ticket)
            out = []
            for i, k in enumerate(keys):
                j = first[k]
                out.append(by_index[j] if j == i else by_index[j].model_copy(update={"cached": True}))
            return out

    def batch_ticket(self, items: int) -> WorkTicket:
        return WorkTicket.within(self.deadline_s * min(max(1, items), 10), self.admission.retry_after)

    def get_rule(self, rule_id: str, at: dt.date | None = None, lang: str | None = None) -> RuleView:
        self.sync()
        with self.gate.read():
            return self.engine.get_rule(rule_id, at=at, lang=lang)

    def list_policies(self) -> list[PolicySummary]:
        self.sync()
        with self.gate.read():
            return sorted(self.engine.list_policies(), key=lambda p: p.policy_id)

    def get_policy(self, policy_id: str) -> dict:
        self.sync()
        with self.gate.read():
            return self.engine.get_policy(policy_id)

    def stats(self) -> dict:
        self.sync()
        with self.gate.read():
            return self.engine.stats()

    # ------------------------------------------------------------------ upload
    def upload(self, filename: str, data: bytes) -> IngestReport:
        """Ingest one uploaded document. Raises IngestError (file, line, problem) when it is refused;
        then nothing changes. Readers see the corpus before or after the upload, never between: the
        document is parsed, validated and embedded while they go on, and written (not parsed again)
        in the short exclusive phase."""
        name = safe_filename(filename)
        upload = pipeline.Upload(self.engine, name, data)
        with self.upload_lock:
            upload.prepare(self.gate.read)
            with self.gate.write():
                report = upload.write()
            if not report.noop:
                self.changed()
        log.info("upload %s: %d policies, %d rules written%s", name, len(report.policies), report.rules_written,
                 " (unchanged)" if report.noop else "")
        return report


def _ms_since(t: float) -> float:
    return round((time.perf_counter() - t) * 1000.0, 3)


def safe_filename(filename: str) -> str:
    """The base name of an uploaded file; refuses names that are empty or only dots."""
    name = PurePath((filename or "").replace("\\", "/")).name.strip()
    if not name or name.strip(".") == "" or any(ord(c) < 32 for c in name) or len(name) > 255:
        raise IngestError(filename or "", "invalid file name: give a plain name ending in .md, .txt, .html, .yaml or .json")
    return name


def ensure_corpus(engine: Engine) -> None:
    """First start: ingest the bundled corpus (settings.corpus_dir) when no policy is stored."""
    if engine.list_policies():
        return
    corpus = Path(engine.settings.corpus_dir)
    if not corpus.exists():
        log.warning("no policies stored and no bundled corpus at %s", corpus)
        return
    log.warning("first start: ingesting the bundled corpus from %s (embeddings are cached afterwards)", corpus)
    report = pipeline.ingest(engine, [corpus])
    log.warning("ingested %d policies, %d rules in %.1fs", len(report.policies), report.rules_written, report.seconds)
