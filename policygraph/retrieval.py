"""Hybrid retrieval: vector search over rule texts in every language and over labelled examples,
term linking, graph expansion (exceptions, overrides, references, definitions), fusion of the
signals into one ranking, verdicts, and the `PolicyContext` with evidence and citations.

Each stage is a method over a `RetrievalState`, so the LangGraph agent can run them as nodes and the
benchmarks can time them one by one. Jurisdiction and time filters are applied inside the vector
search (FAISS id selector), before top-k.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from policygraph.caching import LruCache
from policygraph.catalog import RuleEntry
from policygraph.classifier import Prediction
from policygraph.content import AI_DISCLOSED, AI_GENERATED, AI_UNDISCLOSED, Composed, Located, compose, derived_signals
from policygraph.corpus import Corpus
from policygraph.graph_model import (
    EXAMPLE_NAMESPACE,
    citation,
    is_example_id,
    jurisdiction_matches,
    parse_vector_key,
    term_id_of,
    term_node_id,
    vector_key,
)
from policygraph.language import UNDETERMINED, count_words, detect_language
from policygraph.models import (
    ContentQuery,
    Evidence,
    FieldRead,
    LinkedTerm,
    PolicyContext,
    QueryUnderstood,
    RuleHit,
    RuleRef,
    SignalMapping,
    UpstreamSignal,
)
from policygraph.normalize import Normalized, normalize
from policygraph.stores.base import Node, VectorIndex


@dataclass(frozen=True)
class FieldWeights:
    """How much a match in each field of structured content counts (1.0: as much as the content itself).
    Comments are what others said under the content, hashtags a few words without context."""

    title: float = 1.0
    description: float = 1.0
    text: float = 1.0
    transcript: float = 1.0
    ocr_text: float = 1.0
    hashtags: float = 0.95
    comments: float = 0.9

    def of(self, name: str) -> float:
        return float(getattr(self, name.split("[", 1)[0], 1.0))


@dataclass(frozen=True)
class Weights:
    """Fusion weights and verdict thresholds (cosine space of the bundled e5 model); calibrated on the
    dev set by `policygraph/eval/calibrate.py`."""

    vector: float = 0.6
    example: float = 0.4
    term: float = 0.015
    term_cap: int = 3
    reference: float = 0.0
    k_rules: int = 60
    k_examples: int = 30
    apply: float = 0.86
    possible: float = 0.825
    exception_margin: float = 0.015
    exception_floor: float = 0.825
    relative_cut: float = 0.05  # drop rules this far below the best one
    min_words: int = 3  # below this (and with no defined term) the content is too short to "apply" a rule
    expansion_damp: float = 0.95  # second-pass definition expansions count this much of the content
    knn_k: int = 30
    knn_tau: float = 0.03
    term_category: float = 0.2
    category_prior: float = 0.05  # rule score bonus: prior * probability of the rule's category
    hub: float = 0.75  # CSLS-style hubness correction: minus hub * (vector's mean neighbour similarity - corpus mean)
    # --- the content classifier (policygraph/classifier.py), when the store has enough labelled examples
    head_mix: float = 0.8  # category probability = head_mix * topic head + (1 - head_mix) * kNN vote
    topic: float = 0.2  # rank score = similarity score + topic * P(rule's category) + rule_head * P(rule)
    rule_head: float = 0.05  # ... where P(rule) is relative to the most likely rule of the same category
    rule_head_propose: int = 3  # the rule head's most likely rules join the candidates
    topic_min: float = 0.08  # a rule is returned only when its category is at least this probable
    none_stop: float = 0.25  # P("none": everyday content) from which nothing is returned (unless a term links)
    floor: float = 0.78  # ... and its similarity score reaches this
    rank_cut: float = 0.12  # ... and its rank score is within this of the best rule's
    violation_apply: float = 0.6  # P(violating) for "applies" when the classifier has no threshold of its own
    topic_apply: float = 0.2  # P(category) from which its best rule may "apply"
    apply_margin: float = 0.01  # rules this close to their category's best also "apply"
    exception_violation_max: float = 0.75  # at or above this P(violating) (or the category's own threshold) ...
    # ... content does not show an exception's purpose
    head_slots: int = 3  # the first rules returned (what a moderation agent reads first) ...
    per_category_in_head: int = 2  # ... hold at most this many of one category while another category qualifies
    # --- long content (stories, transcripts): passages that retrieve on their own
    passage_from: int = 700  # characters from which content is also searched passage by passage
    passage_chars: int = 400  # a passage's target length (cut at sentence ends)
    max_passages: int = 8  # at most this many passages, spread over the whole text when it is longer
    # --- bounded work per request: the embedder's cost grows with the text (512-token windows)
    embed_chars: int = 2000  # the whole-content vector reads this many characters (about one window)
    # --- structured content (title, transcript, on-screen text...): each field is also read on its own
    fields: FieldWeights = field(default_factory=FieldWeights)
    field_min_words: int = 3  # a field is read on its own from this many words (as min_words: less is too little)
    field_blend: float = 0.3  # how far the most violating field moves the content classifier's reading (0..1; fitted on the multimodal fit half)
    # --- upstream classifier labels mapped to rules by the policy authors (`signals:` in a rule)
    signal: float = 0.05  # similarity-score bonus: signal * the label's score
    signal_rank: float = 0.1  # rank bonus: signal_rank * the label's score
    signal_category: float = 0.2  # category-vote bonus for the category of a rule the label is mapped to


@dataclass
class Candidate:
    entry: RuleEntry
    vector: float = 0.0
    vector_lang: str = ""
    vector_passage: int = -1  # which passage of long content matched best (-1: the whole content)
    passage_score: float = 0.0  # the best passage's own similarity (names the field of structured content)
    passage_best: int = -1
    example_passage: int = -1
    signal_hits: list[tuple[UpstreamSignal, SignalMapping]] = field(default_factory=list)  # labels mapped to the rule
    example: float = 0.0
    example_text: str = ""
    allow_example: float = 0.0
    terms: list[str] = field(default_factory=list)
    via: list[str] = field(default_factory=list)  # graph paths that brought it in
    score: float = 0.0  # similarity score (vector, examples, terms, category vote)
    rank: float = 0.0  # score + the topic head's belief in the rule's category: what the hits are ordered by


@dataclass
class RetrievalState:
    query: ContentQuery
    understood: QueryUnderstood | None = None
    qvec: np.ndarray | None = None
    candidates: dict[str, Candidate] = field(default_factory=dict)  # by rule node id
    nodes: dict[str, Node] = field(default_factory=dict)
    exceptions: dict[str, list[str]] = field(default_factory=dict)  # rule node -> exception rule nodes
    overrides: dict[str, list[str]] = field(default_factory=dict)  # rule node -> overriding rule nodes
    references: dict[str, list[str]] = field(default_factory=dict)
    term_defs: dict[str, list[str]] = field(default_factory=dict)  # rule node -> "term: definition"
    ranked: list[Candidate] = field(default_factory=list)
    hits: list[RuleHit] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    extra_vectors: list[np.ndarray] = field(default_factory=list)  # second pass: definition expansions
    recall_vectors: list[np.ndarray] = field(default_factory=list)  # second pass: recall-only expansions
    signals: list[tuple[float, str]] = field(default_factory=list)  # (score, category) per matched vector
    category_probs: dict[str, float] = field(default_factory=dict)
    prediction: Prediction | None = None  # the content classifier's topic and violation probabilities
    normalized: Normalized | None = None  # the content with obfuscation undone (what is linked and embedded)
    passages: list[tuple[int, int]] = field(default_factory=list)  # character spans (normalised text) of passages
    passage_vectors: list[np.ndarray] = field(default_factory=list)
    passage_of_prediction: int = -1  # the passage the classifier found most violating (-1: whole content)
    stopped: str = ""  # why no rule was judged at all (too little text, everyday content)
    composed: Composed | None = None  # the content's fields joined (spans map back to fields)
    passage_weights: list[float] = field(default_factory=list)  # per passage: its field's weight
    upstream: list[UpstreamSignal] = field(default_factory=list)  # upstream labels, provenance-derived included
    satisfied: dict[str, str] = field(default_factory=dict)  # rule id -> the label that shows it is met
    check: Callable[[str], None] | None = None  # called before each agent step; raises to stop the work


class Hubness:
    """Each vector's centred mean similarity to the background (the labelled examples), read from sums over
    the index: the mean similarity to the background is the similarity to its sum over its size (an example
    leaves itself out of its own background), and the centre is the mean of that over every vector, also a
    function of sums. A table of every vector's value cost seconds and ~150 MB at 1.3M vectors after every
    write; a query needs the values of the ~100 vectors its searches hit."""

    def __init__(self, index: VectorIndex, total: np.ndarray | None = None, n_bg: int = 0, centre: float = 0.0) -> None:
        self.index, self.total, self.n_bg, self.centre = index, total, n_bg, centre
        self.total32 = total.astype(np.float32) if total is not None else None
        self._memo: dict[str, float] = {}

    @classmethod
    def of(cls, index: VectorIndex) -> Hubness:
        """The sums of the index as it is now (float64 sums of float32 vectors, read in pieces)."""
        sums = index.sums_by_namespace()
        bg = sums.get(EXAMPLE_NAMESPACE)
        n_bg = bg.count if bg is not None else 0
        if bg is None or n_bg < 5:
            return cls(index)  # too little background: no correction
        total = bg.total
        rest = sum((s.total for ns, s in sums.items() if ns != EXAMPLE_NAMESPACE), np.zeros(index.dim))
        n = sum(s.count for s in sums.values())
        # mean over every vector of its mean similarity to the background: non-examples' sum . total / n_bg,
        # examples' (total . total - their squared norms) / (n_bg - 1)
        centre = (float(rest @ total) / n_bg + (float(total @ total) - bg.squares) / (n_bg - 1)) / n
        return cls(index, total, n_bg, centre)

    def get(self, key: str, default: float = 0.0, vector: np.ndarray | None = None) -> float:
        """`key`'s value (`default` when it has no vector); `vector`: its vector, when the caller has it."""
        if self.total is None:
            return default
        got = self._memo.get(key)
        if got is not None:
            return got
        v = vector if vector is not None else self.index.get_vector(key)
        if v is None:
            return default
        sim = float(v @ self.total32)  # (float32 products: ~1e-7 of the value, far below what moves a score)
        if is_example_id(key):
            r = (sim - float(v @ v)) / (self.n_bg - 1)
        else:
            r = sim / self.n_bg
        if len(self._memo) > 200_000:
            self._memo.clear()
        value = self._memo[key] = r - self.centre
        return value


class Retriever:
    def __init__(self, corpus: Corpus, weights: Weights | None = None, cache_queries: bool = False,
                 vector_cache: int | None = None) -> None:
        """`cache_queries`: query vectors also go to the persistent embedding cache (the eval harness);
        `vector_cache`: how many query vectors to keep in memory (default `settings.query_vector_cache`;
        0 for a benchmark that must embed every query)."""
        self.corpus = corpus
        self.w = weights or Weights()
        self.cache_queries = cache_queries
        #: query vectors of recent texts, in memory (a re-upload or a spam wave is embedded once); the
        #: embedder's name is in the key, the corpus is not (a query's vector does not depend on it)
        self.vectors: LruCache[np.ndarray] = LruCache(
            corpus.settings.query_vector_cache if vector_cache is None else vector_cache)
        self._hub: Hubness = Hubness(self.corpus.index)
        self._hub_for: int = -1

    def hubness(self) -> Hubness:
        """Per vector: how similar it is to content in general. Background = the labelled examples
        (real-looking content of every category, embedded as queries). A rule written in generic
        language is close to everything and crowds out the right rule ("hubness"); subtracting its
        centred mean similarity to the background, as CSLS does, corrects that. Its sums are read again
        when the catalog changes (after a write); each vector's value is worked out when a search hits it."""
        marker = self.corpus.catalog.generation  # never id(): a freed catalog's id is reused
        if self._hub_for != marker:
            self._hub, self._hub_for = Hubness.of(self.corpus.index), marker
        return self._hub

    # ------------------------------------------------------------------ stages
    def understand(self, st: RetrievalState) -> None:
        t = time.perf_counter()
        q = st.query
        comp = st.composed = compose(q)
        # obfuscation undone (policygraph/normalize.py); spans still point into what was sent
        n = st.normalized = normalize(comp.text)
        text = n.text
        fields: list[FieldRead] = []
        if comp.structured:
            for name, a, b in comp.groups():
                na, nb = n.from_original(a, b)
                ftext = text[na:nb]
                words = count_words(ftext)
                # a language is not told by a word or two ("Weekend vibes" reads as Dutch)
                flang = detect_language(ftext, short=UNDETERMINED) if words >= self.w.min_words else UNDETERMINED
                fields.append(FieldRead(field=name, language=flang, start=a, end=b, words=words))
        if q.language:
            lang = q.language
        elif fields:  # the language of the field with the most words
            lang = max(fields, key=lambda f: f.words).language
        else:
            lang = detect_language(text, short=UNDETERMINED)
        linked = []
        for lt in self.corpus.linker.link(text if not n.emoji else text + " " + " ".join(n.emoji)):
            if lt.end <= len(text):
                a, b = n.to_original(lt.start, lt.end)
            else:  # an emoji alias: point at the emoji where it was sent
                a = comp.text.find(lt.alias)
                a, b = (a, a + len(lt.alias)) if a >= 0 else (0, 0)
            update: dict = {"start": a, "end": b, "alias": comp.text[a:b] or lt.alias}
            loc = comp.locate(a, b) if comp.structured and b > a else None
            if loc is not None:
                update.update(field=loc.field, field_start=loc.start, field_end=loc.end)
            linked.append(lt.model_copy(update=update))
        st.upstream, provenance = derived_signals(q)
        linked.extend(self._signal_terms(st))
        words = count_words(text)
        st.understood = QueryUnderstood(
            text=comp.text, language=lang, language_detected=q.language is None,
            jurisdiction=q.where.upper() if q.where else None, at=q.at or dt.date.today(),
            linked_terms=linked, words=words, low_information=words < self.w.min_words and not linked,
            normalized=text if n.changed else None, undone=list(n.undone), fields=fields,
            signals=st.upstream, provenance=provenance, media_type=q.media_type,
        )
        st.timings["understand"] = _ms(t)

    def _signal_terms(self, st: RetrievalState) -> list[LinkedTerm]:
        """Defined terms that upstream labels are mapped to (`signals:` on a definition): linked as if the
        content had said them, so the rules that mention the term are consulted."""
        cat, out = self.corpus.catalog, list[LinkedTerm]()
        hits = [(tid, s) for s in st.upstream for tid, m in cat.signal_terms.get(s.label, []) if s.score >= m.min_score]
        if not hits:
            return out
        names = {n.props["term_id"]: n.props["term"] for n in self.corpus.graph.get_nodes(
            sorted({term_node_id(tid) for tid, _ in hits}))}
        for tid, s in hits:
            if tid in names:
                out.append(LinkedTerm(term_id=tid, term=names[tid], alias=f"{s.label} {s.score:.2f}", language=UNDETERMINED,
                                      start=0, end=0, field="signals"))
        return out

    def embed(self, st: RetrievalState) -> None:
        t = time.perf_counter()
        texts = self._texts_to_embed(st)
        vecs = self.query_vectors(self._embedder(), texts)
        st.qvec, st.passage_vectors = vecs[0], list(vecs[1:])
        if not (st.normalized.text if st.normalized is not None else "").strip():  # labels or provenance only
            st.qvec = np.zeros_like(st.qvec)
        st.timings["embed"] = _ms(t)
        self.classify(st)

    def _embedder(self):
        return self.corpus.embedder if self.cache_queries else self.corpus.embedder.inner

    def prepare_vectors(self, query: ContentQuery) -> float:
        """Embed what a decision on `query` will embed, into the query vector cache, now: the embedding
        depends on the content alone, not on the corpus, so a server does it before it takes the corpus's
        read gate, and a publish waiting for the reads in flight does not wait for the embedder too.
        Returns the milliseconds it took (the decision's own `embed` timing then finds the vectors ready)."""
        if not self.vectors.capacity:
            return 0.0
        t = time.perf_counter()
        st = RetrievalState(query=query)
        st.composed = compose(query)
        st.normalized = normalize(st.composed.text)
        self.query_vectors(self._embedder(), self._texts_to_embed(st))
        return _ms(t)

    def _texts_to_embed(self, st: RetrievalState) -> list[str]:
        """The content (its first `embed_chars`) and its passages; sets `st.passages` and their weights."""
        text = st.normalized.text if st.normalized is not None else ""
        comp, n = st.composed, st.normalized
        groups = comp.groups() if comp is not None and comp.structured else []
        if len(groups) > 1 and n is not None:
            # structured content: every field is read on its own too (a benign title must not hide
            # the transcript), long fields passage by passage, within the same bound on passages
            # fields of a few words (a title like "Sunday cooking") are read with the rest only: alone, a
            # short text is close to everything and would speak for the whole content
            spans = [(name, *n.from_original(a, b)) for name, a, b in groups]
            spans = [(name, a, b) for name, a, b in spans if count_words(text[a:b]) >= self.w.field_min_words]
            alloc = _allocate([b - a for _, a, b in spans], self.w.max_passages, self.w.passage_from)
            st.passages, st.passage_weights = [], []
            for (name, a, b), k in zip(spans, alloc, strict=True):
                for pa, pb in split_passages(text[a:b], self.w.passage_chars, k) if k else []:
                    st.passages.append((a + pa, a + pb))
                    st.passage_weights.append(self.w.fields.of(name))
        else:
            st.passages = split_passages(text, self.w.passage_chars, self.w.max_passages) \
                if len(text) >= self.w.passage_from else []
            name = groups[0][0] if groups else "text"
            st.passage_weights = [self.w.fields.of(name)] * len(st.passages)
        # bounded: at most embed_chars + max_passages × 1.5 × passage_chars characters reach the model,
        # whatever the length of the content
        return [text[: self.w.embed_chars], *(text[a:b] for a, b in st.passages)]

    def query_vectors(self, emb, texts: list[str]) -> np.ndarray:
        """`emb.embed_queries(texts)`, with the texts seen recently taken from `self.vectors`."""
        keys = [(emb.name, t) for t in texts]
        found = [self.vectors.get(k) for k in keys]
        todo = [i for i, v in enumerate(found) if v is None]
        if todo:
            fresh = emb.embed_queries([texts[i] for i in todo])
            for j, i in enumerate(todo):
                found[i] = fresh[j]
                self.vectors.put(keys[i], fresh[j])
        return np.stack(found)  # type: ignore[arg-type]

    def classify(self, st: RetrievalState) -> None:
        """Topic and violation probabilities from the heads trained on the store's labelled examples."""
        t = time.perf_counter()
        assert st.qvec is not None
        eng = self.corpus
        if not st.qvec.any():
            st.prediction = None  # no text: nothing to classify
            return
        st.prediction = eng.classifier.predict(eng.catalog, eng.index, st.qvec)
        # long content: one violating passage in a long benign story is what matters
        whole = st.prediction
        best = whole.violating if whole is not None else 0.0
        for i, pv in enumerate(st.passage_vectors):
            p = eng.classifier.predict(eng.catalog, eng.index, pv)
            weighted = p.violating * st.passage_weights[i] if p is not None else 0.0
            if p is not None and st.prediction is not None and weighted > best:
                st.prediction, st.passage_of_prediction, best = p, i, weighted
        comp = st.composed
        if whole is not None and st.prediction is not None and st.prediction is not whole and comp is not None and len(comp.groups()) > 1:
            # structured content: a field read alone lacks the rest's context (a news title over its report),
            # so the most violating field moves the whole content's reading part of the way, not all of it
            st.prediction = _blend(whole, st.prediction, self.w.field_blend)
        st.timings["classify"] = _ms(t)

    def _cand(self, st: RetrievalState, entry: RuleEntry) -> Candidate:
        c = st.candidates.get(entry.node_id)
        if c is None:
            c = st.candidates[entry.node_id] = Candidate(entry=entry)
        return c

    def vector_search(self, st: RetrievalState) -> None:
        t = time.perf_counter()
        u, eng = st.understood, self.corpus
        assert u is not None and st.qvec is not None
        if not st.qvec.any():
            return  # no text (labels or provenance only): nothing to search with
        cat = eng.catalog
        # (vector, damping, grounded): the content itself; definition expansions (the content's own
        # defined terms, damped); recall-only expansions (neighbours' vectors) whose hits are scored
        # against the content, so a second pass can widen the candidate set but never inflate scores.
        # Only the content's own similarities vote on the category (st.signals): an expansion says
        # which rules to look at, not what the content is about.
        # (vector, damping, grounded, passage): the content, then each passage of long content (they vote
        # too: a passage is the content), then the second pass's expansions
        content = [(st.qvec, 1.0, False, -1),
                   *((v, st.passage_weights[i], False, i) for i, v in enumerate(st.passage_vectors))]
        vecs = [*content, *((v, self.w.expansion_damp, False, -1) for v in st.extra_vectors),
                *((v, 1.0, True, -1) for v in st.recall_vectors)]
        hub, h = self.hubness(), self.w.hub
        rule_keys = cat.allowed_rule_keys(u.at, u.jurisdiction)
        ex_keys = cat.allowed_example_keys(u.at, u.jurisdiction)

        def regrounded(hits):
            for key, _ in hits:
                v = eng.index.get_vector(key)
                yield key, (float(v @ st.qvec) if v is not None else 0.0)

        first_pass = not st.signals
        for i, (vec, damp, grounded, passage) in enumerate(vecs):
            votes = i < len(content)
            if votes and not first_pass:
                continue  # a second pass: the content's own hits are already candidates
            rule_hits = eng.index.search(vec, self.w.k_rules, rule_keys)
            ex_hits = eng.index.search(vec, self.w.k_examples, ex_keys)
            if grounded:
                rule_hits, ex_hits = list(regrounded(rule_hits)), list(regrounded(ex_hits))
            for key, score in rule_hits:
                score -= h * hub.get(key, 0.0)
                node_id, lang = parse_vector_key(key)
                c = self._cand(st, cat.rules[node_id])
                if c.entry.kind != "allowed" and votes:
                    st.signals.append((score * damp, c.entry.category))
                if score * damp > c.vector:
                    assert lang is not None  # a rule's vector key names its language (vector_key)
                    c.vector, c.vector_lang, c.vector_passage = score * damp, lang, passage
                if passage >= 0 and score * damp > c.passage_score:
                    c.passage_score, c.passage_best = score * damp, passage
            for key, score in ex_hits:
                score -= h * hub.get(key, 0.0)
                ex = cat.examples[key]
                entry = cat.example_rule(ex, u.at)
                if entry is None:
                    continue
                c = self._cand(st, entry)
                if ex.label == "violating" and entry.kind != "allowed" and votes:
                    st.signals.append((score * damp, entry.category))
                if ex.label == "violating":
                    if score * damp > c.example:
                        c.example, c.example_text, c.example_passage = score * damp, key, passage
                else:
                    c.allow_example = max(c.allow_example, score * damp)
        st.timings["vector"] = st.timings.get("vector", 0.0) + _ms(t)

    def violation_threshold(self, category: str) -> float:
        """P(violating) from which a rule of `category` applies: the classifier's own per-category
        threshold (fitted out of fold on the labelled examples), else `Weights.violation_apply`."""
        t = self.corpus.classifier.threshold(self.corpus.catalog, self.corpus.index, category)
        return t if t is not None else self.w.violation_apply

    def _rule_similarity(self, st: RetrievalState, e: RuleEntry) -> tuple[float, str]:
        """The content's best (hubness-corrected) similarity to the rule's text in any language, and
        that language, for rules that reached the candidates another way than the vector search."""
        best, best_lang = 0.0, ""
        assert st.qvec is not None
        if not st.qvec.any():
            return best, best_lang
        for lang in e.languages:
            key = vector_key(e.node_id, lang)
            v = self.corpus.index.get_vector(key)
            if v is not None:
                sim = float(v @ st.qvec) - self.w.hub * self.hubness().get(key, 0.0, v)
                if sim > best:
                    best, best_lang = sim, lang
        return best, best_lang

    def propose(self, st: RetrievalState) -> None:
        """The rule head's most likely rules join the candidates: content in one language finds the rule
        its labelled examples taught, even when the rule's text (in another language) is not near."""
        u, pred = st.understood, st.prediction
        if pred is None or u is None or not pred.rules:
            return
        cat = self.corpus.catalog
        for rule_id, _p in sorted(pred.rules.items(), key=lambda kv: -kv[1])[: self.w.rule_head_propose]:
            e = cat.current(rule_id, u.at)
            if e is None or e.node_id in st.candidates or e.kind == "allowed":
                continue
            if not jurisdiction_matches(list(e.jurisdictions), u.jurisdiction):
                continue
            c = self._cand(st, e)
            c.vector, c.vector_lang = self._rule_similarity(st, e)
            c.via.append(f"content classifier: learnt from labelled examples of {rule_id}")

    def term_search(self, st: RetrievalState) -> None:
        t = time.perf_counter()
        u, eng = st.understood, self.corpus
        assert u is not None
        term_ids = sorted({lt.term_id for lt in u.linked_terms})
        if term_ids:
            for edge, node in eng.graph.neighbors([term_node_id(x) for x in term_ids], ["MENTIONS"], "in"):
                entry = eng.catalog.rules.get(node.id)
                if entry and eng.catalog.live(entry, u.at) and jurisdiction_matches(list(entry.jurisdictions), u.jurisdiction):
                    c = self._cand(st, entry)
                    tid = term_id_of(edge.dst)
                    if tid not in c.terms:
                        c.terms.append(tid)
        self.signal_search(st)
        st.timings["terms"] = _ms(t)

    def signal_search(self, st: RetrievalState) -> None:
        """Rules that upstream labels (and provenance) are mapped to join the candidates: `weapon 0.93`
        reaches the weapons-sale rule even when the caption only says "DM for price"."""
        u, cat = st.understood, self.corpus.catalog
        assert u is not None
        for s in st.upstream:
            for e, m in cat.signal_rules(s.label, u.at):
                if s.score >= m.min_score and jurisdiction_matches(list(e.jurisdictions), u.jurisdiction):
                    c = self._cand(st, e)
                    if all(h[1].label != m.label for h in c.signal_hits):
                        c.signal_hits.append((s, m))

    def expand(self, st: RetrievalState) -> None:
        """One graph round trip for the candidates' neighbourhood: exceptions (in), overrides (in),
        references (out), mentioned terms (out); then the rule nodes themselves."""
        t = time.perf_counter()
        u, eng = st.understood, self.corpus
        assert u is not None and st.qvec is not None
        cat = eng.catalog
        # keep the graph work bounded: the best candidates by their raw signals
        top = sorted(st.candidates.values(), key=lambda c: -max(c.vector, c.example))[:25]
        top += [c for c in st.candidates.values() if c.signal_hits and c not in top]
        # allowed rules that match point at the prohibitions they carve out
        ids = [c.entry.node_id for c in top]
        new_ids: list[str] = []
        for edge, other in eng.graph.neighbors(ids, ["EXCEPTION_TO", "OVERRIDES", "REFERS_TO", "MENTIONS"], "both"):
            if edge.type == "EXCEPTION_TO":
                st.exceptions.setdefault(edge.dst, [])
                if edge.src not in st.exceptions[edge.dst]:
                    st.exceptions[edge.dst].append(edge.src)
                st.nodes[other.id] = other
                if edge.src in ids and edge.dst not in st.candidates:
                    e = cat.rules.get(edge.dst)
                    if e and cat.live(e, u.at) and jurisdiction_matches(list(e.jurisdictions), u.jurisdiction):
                        self._cand(st, e).via.append(f"{cat.rules[edge.src].rule_id} -EXCEPTION_TO-> {e.rule_id}")
                        new_ids.append(edge.dst)
            elif edge.type == "OVERRIDES" and edge.dst in ids:
                st.overrides.setdefault(edge.dst, []).append(edge.src)
                st.nodes[other.id] = other
            elif edge.type == "REFERS_TO" and edge.src in ids and other.label == "Rule":
                st.references.setdefault(edge.src, []).append(edge.dst)
            elif edge.type == "MENTIONS" and edge.src in ids:
                d = other.props.get("definition")
                st.term_defs.setdefault(edge.src, []).append(
                    f"{other.props['term']}: {d}" if d else other.props["term"])
        # scores of exception rules that the vector search did not reach
        for node_id in {x for xs in st.exceptions.values() for x in xs} | set(new_ids):
            e = cat.rules.get(node_id)
            if e is None:
                continue
            c = self._cand(st, e) if node_id in new_ids else st.candidates.get(node_id)
            if c is None:
                c = Candidate(entry=e)
                st.candidates[node_id] = c
            if c.vector == 0.0:
                c.vector, c.vector_lang = self._rule_similarity(st, e)
        # rules reached through their labelled examples or defined terms only: their own text's similarity
        # (without it a rule that its examples found would score as if its text were unrelated)
        for c in st.candidates.values():
            if c.vector == 0.0:
                c.vector, c.vector_lang = self._rule_similarity(st, c.entry)
        need = [n for n in st.candidates if n not in st.nodes]
        for n in eng.graph.get_nodes(need):
            st.nodes[n.id] = n
        st.timings["graph"] = _ms(t)

    def fuse(self, st: RetrievalState) -> None:
        t = time.perf_counter()
        w = self.w
        st.category_probs = self.category_scores(st)
        rule_p = st.prediction.rules if st.prediction is not None else {}
        cat_max: dict[str, float] = {}
        for c in st.candidates.values():
            cat_max[c.entry.category] = max(cat_max.get(c.entry.category, 0.0), rule_p.get(c.entry.rule_id, 0.0))
        for c in st.candidates.values():
            c.score = (
                w.vector * c.vector
                + w.example * max(c.vector, c.example)
                + w.term * min(len(c.terms), w.term_cap)
                + w.category_prior * st.category_probs.get(c.entry.category, 0.0)
                + w.signal * _signal_strength(c)
            )
            if st.prediction is not None:
                c.rank = (c.score + w.topic * st.category_probs.get(c.entry.category, 0.0)
                          + w.rule_head * rule_p.get(c.entry.rule_id, 0.0) / max(cat_max[c.entry.category], 1e-9))
            else:
                c.rank = c.score
            c.rank += w.signal_rank * _signal_strength(c)
        st.ranked = sorted(st.candidates.values(), key=lambda c: (-c.rank, c.entry.rule_id))
        st.timings["fuse"] = _ms(t)

    def verdicts(self, st: RetrievalState) -> None:
        """Verdicts, exception and override checks, and the hits returned (only what applies)."""
        t = time.perf_counter()
        u, w, cat = st.understood, self.w, self.corpus.catalog
        assert u is not None
        hits: list[RuleHit] = []
        pred = st.prediction
        st.stopped = ""
        best = next((c.score for c in st.ranked if c.entry.kind != "allowed"), 0.0)
        best_rank = next((c.rank for c in st.ranked if c.entry.kind != "allowed"), 0.0)
        cat_best: dict[str, float] = {}
        for c in st.ranked:
            if c.entry.kind != "allowed":
                cat_best[c.entry.category] = max(cat_best.get(c.entry.category, 0.0), c.score)
        # too little text and no defined term ("test", emoji, punctuation): nothing to judge by; emoji
        # slang is caught by listing it among a term's aliases
        # ... but rules an upstream label is mapped to are always consulted
        lifted = [c for c in st.ranked if c.signal_hits]
        judged = lifted if u.low_information else st.ranked
        if u.low_information:
            st.stopped = f"too little text to judge ({u.words} words, no defined term)"
        elif pred is not None and not u.linked_terms and pred.topic.get("none", 0.0) >= w.none_stop \
                and pred.violating < w.violation_apply:
            judged = lifted  # everyday content (a recipe, a holiday photo): no rule to consult
            st.stopped = (f"the content classifier reads everyday content (P(none) {pred.topic['none']:.2f}, "
                          f"P(violating) {pred.violating:.2f}): no rule to consult")
        for c in judged:
            e = c.entry
            if e.kind == "allowed" or self._satisfied(st, e):
                continue
            text_verdict: str | None
            if u.low_information:
                text_verdict = None
            elif pred is None:  # no classifier (too few labelled examples): similarity alone
                text_verdict = None if c.score < w.possible or c.score < best - w.relative_cut else \
                    "applies" if c.score >= w.apply else "possibly_applies"
            else:
                p_cat = st.category_probs.get(e.category, 0.0)
                top_of_category = c.score >= cat_best.get(e.category, 0.0) - w.apply_margin
                text_verdict = None if c.score < w.floor or p_cat < w.topic_min or c.rank < best_rank - w.rank_cut \
                    else ("applies" if pred.violating >= self.violation_threshold(e.category)
                          and p_cat >= w.topic_apply and top_of_category else "possibly_applies")
            if any(m.applies for _, m in c.signal_hits):
                verdict = "applies"  # the label establishes the fact the rule is about (e.g. undisclosed AI)
            elif text_verdict is not None:
                verdict = text_verdict
            elif c.signal_hits:
                verdict = "possibly_applies"  # the label alone: consult the rule, the text does not confirm it
            else:
                continue
            exc_refs: list[RuleRef] = []
            for x in st.exceptions.get(e.node_id, []):
                xc = st.candidates.get(x)
                xe = cat.rules.get(x)
                if xe is None or not cat.live(xe, u.at):
                    continue
                xscore = (w.vector + w.example) * max(xc.vector if xc else 0.0, c.allow_example, xc.allow_example if xc else 0.0)
                node = st.nodes.get(x)
                if pred is None:
                    # compare like with like: the exception's best similarity against the prohibition's
                    matched = xscore >= w.exception_floor and xscore >= max(c.vector, c.example) - w.exception_margin
                else:
                    # an exception is about the content's purpose (news, education, counter-speech), which
                    # a shared topic does not show: labelled allowed content must be at least as close as
                    # the labelled violations of the rule, and the classifier must not find it plainly
                    # violating
                    allowed = max(c.allow_example, xc.allow_example if xc else 0.0)
                    matched = (allowed >= w.exception_floor and allowed >= c.example - w.exception_margin
                               and pred.violating < min(w.exception_violation_max, self.violation_threshold(e.category)))
                if matched:
                    verdict = "exception_may_apply"
                exc_refs.append(RuleRef(rule_id=xe.rule_id, title=node.props.get("title", "") if node else "",
                                        relation="exception", score=round(xscore, 4), matched=matched))
            ovr_refs: list[RuleRef] = []
            for o in st.overrides.get(e.node_id, []):
                oe = cat.rules.get(o)
                node = st.nodes.get(o)
                if oe is None or not cat.live(oe, u.at) or self._satisfied(st, oe):
                    continue
                applies_here = jurisdiction_matches(list(oe.jurisdictions), u.jurisdiction) and "GLOBAL" not in oe.jurisdictions
                ovr_refs.append(RuleRef(rule_id=oe.rule_id, title=node.props.get("title", "") if node else "",
                                        relation="overridden_by", score=1.0 if applies_here else 0.0,
                                        matched=applies_here))
                if applies_here and o not in st.candidates:
                    oc = self._cand(st, oe)
                    oc.via.append(f"{oe.rule_id} -OVERRIDES {{{u.jurisdiction}}}-> {e.rule_id}")
                    oc.score, oc.rank = c.score + 0.001, c.rank + 0.001
                    if o not in st.nodes:
                        n = self.corpus.graph.get_node(o)
                        if n:
                            st.nodes[o] = n
                    hits.append(self._hit(st, oc, verdict, [], []))
            hits.append(self._hit(st, c, verdict, exc_refs, ovr_refs))
        # overriding rules that the search found themselves rank above the rule they override
        rank_of = {c.entry.rule_id: c.rank for c in st.candidates.values()}
        for h in hits:
            for ref in h.overrides_checked:
                if ref.matched and ref.rule_id in rank_of:
                    rank_of[ref.rule_id] = max(rank_of[ref.rule_id], rank_of.get(h.rule_id, h.score) + 0.001)
        # a regional rule replaces the global one where it applies: it is at least as applicable
        strength = {"possibly_applies": 0, "exception_may_apply": 1, "applies": 2}
        by_id = {h.rule_id: h for h in hits}
        for h in hits:
            for ref in h.overrides_checked:
                oh = by_id.get(ref.rule_id)
                if ref.matched and oh is not None and strength[h.verdict] > strength[oh.verdict]:
                    oh.verdict = h.verdict
                    oh.exceptions_checked = oh.exceptions_checked or h.exceptions_checked
        for h in hits:
            h.rank = round(rank_of.get(h.rule_id, h.score), 4)
        hits.sort(key=lambda h: (-h.rank, h.rule_id))
        seen: set[str] = set()
        uniq = []
        for h in hits:
            if h.rule_id not in seen:
                seen.add(h.rule_id)
                uniq.append(h)
        if pred is not None:
            uniq = diversify(uniq, lambda h: h.category.value, w.head_slots, w.per_category_in_head)
        st.hits = uniq[: st.query.top_k]
        st.timings["verdicts"] = _ms(t)

    def _satisfied(self, st: RetrievalState, e: RuleEntry) -> bool:
        """A rule that a label shows is met (`satisfied_by`: a requirement fulfilled, e.g. the AI content
        is disclosed) is not returned; the rationale says why."""
        for m in e.satisfied_by:
            s = next((s for s in st.upstream if s.label == m.label and s.score >= m.min_score), None)
            if s is not None:
                st.satisfied[e.rule_id] = f"{s.label} {s.score:.2f}"
                return True
        return False

    def _where(self, st: RetrievalState, passage: int) -> Located | None:
        """The field (and the span inside it, as sent) of a passage; -1: the whole content."""
        comp, n = st.composed, st.normalized
        if comp is None or n is None or not comp.text:
            return None
        if passage < 0:
            if comp.structured and len(comp.groups()) > 1:
                return None  # all fields together
            a, b = 0, len(n.text)
        else:
            a, b = st.passages[passage]
        oa, ob = n.to_original(a, b)
        return comp.locate(oa, ob)

    def _hit(self, st: RetrievalState, c: Candidate, verdict: str, exc: list[RuleRef], ovr: list[RuleRef]) -> RuleHit:
        u = st.understood
        assert u is not None
        node = st.nodes[c.entry.node_id]
        p = node.props
        texts: dict[str, str] = p["text"]
        lang = u.language if u.language in texts else p["language"] if p["language"] in texts else next(iter(texts))
        ev: list[Evidence] = []
        if c.vector:
            # the whole content of structured content matched: name the field that matched best on its own
            passage = c.vector_passage if c.vector_passage >= 0 or not st.passage_weights else c.passage_best
            loc = self._where(st, passage)
            where = "content"
            if passage >= 0:
                a, b = st.passages[passage]
                where = f"passage {passage + 1} of {len(st.passages)} (characters {a}-{b})"
            if loc is not None and loc.field != "text":
                where = loc.field + (f" (characters {loc.start}-{loc.end})" if loc.start is not None else "")
            ev.append(_evidence("vector", c.vector, f"{where} vs rule text ({c.vector_lang or lang})", loc))
        if c.example:
            ex = self.corpus.catalog.examples.get(c.example_text)
            ev.append(_evidence("example", c.example, f"similar to a labelled violating example ({c.example_text})"
                                if ex else "similar to a labelled violating example",
                                self._where(st, c.example_passage)))
        if st.prediction is not None:
            # the category vote plus bonuses (terms, labels) can pass 1: shown as a probability it is capped
            p_cat = min(1.0, st.category_probs.get(c.entry.category, 0.0))
            where = ""
            loc = self._where(st, st.passage_of_prediction)
            if st.passage_of_prediction >= 0:
                a, b = st.passages[st.passage_of_prediction]
                where = f" (most violating: passage {st.passage_of_prediction + 1}, characters {a}-{b})"
                if loc is not None and loc.field != "text":
                    where = f" (most violating: {loc.field})"
            ev.append(_evidence("classifier", p_cat, f"content classifier: P({c.entry.category}) {p_cat:.2f}, "
                                f"P(violating) {st.prediction.violating:.2f}{where}", loc))
        if c.terms:
            linked = {lt.term_id: lt for lt in reversed(u.linked_terms)}
            first = linked.get(c.terms[0])
            detail = "mentions " + ", ".join(
                f"{t} ('{linked[t].alias}'{' in ' + str(linked[t].field) if t in linked and linked[t].field else ''})"
                if t in linked else t for t in c.terms)
            ev.append(Evidence(signal="term", score=float(len(c.terms)), detail=detail,
                               field=first.field if first else None,
                               start=first.field_start if first and first.field else first.start if first else None,
                               end=first.field_end if first and first.field else first.end if first else None,
                               excerpt=first.alias if first else None))
        for s, m in c.signal_hits:
            derived = s.label in (AI_GENERATED, AI_DISCLOSED, AI_UNDISCLOSED)
            by = f" ({s.model})" if s.model and not derived else ""
            ev.append(Evidence(signal="provenance" if derived else "upstream_signal", score=round(s.score, 4),
                               detail=f"{s.label} {s.score:.2f}{by} ≥ {m.min_score:g}: mapped to {c.entry.rule_id}"
                                      + (", enough on its own" if m.applies else ""),
                               field="provenance" if derived else "signals", excerpt=s.label))
        for path in c.via:
            ev.append(Evidence(signal="jurisdiction" if "OVERRIDES" in path else "graph", score=1.0, detail=path))
        return RuleHit(
            rule_id=p["rule_id"], policy_id=p["policy_id"], policy_title=p.get("policy_title", ""),
            category=p["category"], version=p["version"], kind=p["kind"], severity=p["severity"],
            actions=p["actions"], jurisdictions=p["jurisdictions"],
            title=(p.get("titles") or {}).get(lang) or p.get("title", ""), text=texts[lang], text_language=lang,
            score=round(c.score, 4), rank=round(c.rank, 4), verdict=verdict, evidence=ev, exceptions_checked=exc, overrides_checked=ovr,
            definitions=sorted(set(st.term_defs.get(c.entry.node_id, []))),
            citations=[citation(p, p.get("section_title", ""), lang)],
        )

    def rationale(self, st: RetrievalState) -> str:
        u = st.understood
        note = ""
        if u is not None and u.undone:
            note += f"Obfuscation undone before matching ({', '.join(u.undone)}): read as \"{(u.normalized or '')[:160]}\". "
        text_len = len(st.normalized.text) if st.normalized is not None else 0
        if text_len > self.w.embed_chars and st.passages:
            read = sum(b - a for a, b in st.passages)
            if read < text_len:
                note += (f"Long content ({text_len:,} characters): read as its first {self.w.embed_chars:,} characters "
                         f"and {len(st.passages)} passages spread over it ({read:,} characters). ")
        if st.satisfied:
            note += "Met, so not returned: " + "; ".join(f"{r} (shown by {lab})" for r, lab in sorted(st.satisfied.items())) + ". "
        if u is not None and u.provenance is not None:
            pv = u.provenance
            note += (f"Provenance: AI-generated {pv.ai_generated:.2f}" if pv.ai_generated is not None
                     else "Provenance: no sign of AI generation") + \
                f", {'disclosed' if pv.disclosed else 'not disclosed'} ({'; '.join(pv.basis) or 'nothing declared'}). "
        if u is not None and u.low_information and st.hits:
            note += (f"Little text to judge ({u.words} word{'s' if u.words != 1 else ''}): only the rules that its "
                     "upstream labels are mapped to are returned. ")
        elif u is not None and u.low_information:
            # short replies, emoji, punctuation: every rule text is about equally "similar" to them
            note += (f"Little text to judge ({u.words} word{'s' if u.words != 1 else ''}, no defined term): "
                     "no rule is returned on similarity alone. ")
        return note + self._rationale(st)

    def _rationale(self, st: RetrievalState) -> str:
        u = st.understood
        if not st.hits and u is not None and not any(self.corpus.catalog.live(e, u.at)
                                                     for e in self.corpus.catalog.rules.values()):
            return f"No policy was in force on {u.at.isoformat()}: no rule of any stored policy applies on that date."
        if not st.hits:
            best = st.ranked[0] if st.ranked else None
            tail = f" (closest: {best.entry.rule_id} at {best.score:.3f}, below {self.w.possible})" if best else ""
            return "No rule applies: no rule text, labelled example or defined term matched closely enough" + tail + "."
        parts = []
        for h in st.hits:
            sig = ", ".join(f"{e.signal} {e.score:g}" if e.signal in ("vector", "example") else e.detail for e in h.evidence)
            s = f"{h.rule_id} ({h.policy_title}) {h.verdict.replace('_', ' ')}"
            ev = next((e for e in h.evidence if e.field and e.field != "text" and e.excerpt), None)
            if ev is not None:
                s += f" — {ev.field} ('{ev.excerpt}')"
            s += f" [{sig}]"
            exc = [x for x in h.exceptions_checked]
            if exc:
                s += "; exceptions checked: " + ", ".join(f"{x.rule_id} {x.score:g}" for x in exc)
            parts.append(s)
        return ". ".join(parts) + "."

    # ------------------------------------------------------------------ the whole pass
    def run(self, st: RetrievalState) -> RetrievalState:
        self.understand(st)
        self.embed(st)
        self.vector_search(st)
        self.propose(st)
        self.term_search(st)
        self.expand(st)
        self.fuse(st)
        self.verdicts(st)
        return st

    def to_context(self, st: RetrievalState) -> PolicyContext:
        assert st.understood is not None
        hit_cats = {h.category.value for h in st.hits}
        cats = [c for c in self.ranked_categories(st) if c in hit_cats]
        cats += sorted(hit_cats - set(cats))
        return PolicyContext(query=st.understood, rules=st.hits, categories=cats, rationale=self.rationale(st),
                             timings_ms={k: round(v, 3) for k, v in st.timings.items()})

    def retrieve(self, query: ContentQuery) -> PolicyContext:
        t = time.perf_counter()
        st = self.run(RetrievalState(query=query))
        st.timings["total"] = _ms(t)
        return self.to_context(st)

    def ranked_categories(self, st: RetrievalState) -> list[str]:
        scores = st.category_probs or self.category_scores(st)
        return sorted(scores, key=lambda c: (-scores[c], c))

    def category_scores(self, st: RetrievalState) -> dict[str, float]:
        """Which categories the content belongs to: a soft k-nearest-neighbour vote over the best
        matching vectors (rule texts in any language and violating examples), plus a bonus for every
        category whose defined terms the content mentions. A vote over many pieces of evidence is
        steadier than the single best rule, and terms catch slang the embedder does not know."""
        w = self.w
        top = sorted(st.signals, key=lambda x: -x[0])[: w.knn_k]
        out: dict[str, float] = {}
        if top:
            best = top[0][0]
            for score, cat in top:
                out[cat] = out.get(cat, 0.0) + float(np.exp((score - best) / w.knn_tau))
            total = sum(out.values())
            out = {c: v / total for c, v in out.items()}
        if st.prediction is not None:
            m = w.head_mix
            topic = st.prediction.topic
            out = {c: (1 - m) * out.get(c, 0.0) + m * topic.get(c, 0.0) for c in set(out) | set(topic) if c != "none"}
        u = st.understood
        if u is not None:
            term_cats = self.corpus.catalog.term_category
            for term_cat in {term_cats.get(t.term_id) for t in u.linked_terms} - {None}:
                assert term_cat is not None  # taken out of the set
                out[term_cat] = out.get(term_cat, 0.0) + w.term_category
        lifted: dict[str, float] = {}
        for c in st.candidates.values():
            if c.signal_hits:
                lifted[c.entry.category] = max(lifted.get(c.entry.category, 0.0), _signal_strength(c))
        for cat, strength in lifted.items():
            out[cat] = out.get(cat, 0.0) + w.signal_category * strength
        return out


def _blend(a: Prediction, b: Prediction, lam: float) -> Prediction:
    """(1 - lam) * a + lam * b, per probability."""
    def mix(x: dict[str, float], y: dict[str, float]) -> dict[str, float]:
        return {k: (1 - lam) * x.get(k, 0.0) + lam * y.get(k, 0.0) for k in x.keys() | y.keys()}

    return Prediction(topic=mix(a.topic, b.topic), violating=(1 - lam) * a.violating + lam * b.violating,
                      rules=mix(a.rules, b.rules))


def _signal_strength(c: Candidate) -> float:
    return max((s.score for s, _ in c.signal_hits), default=0.0)


def _evidence(signal, score: float, detail: str, loc: Located | None) -> Evidence:
    return Evidence(signal=signal, score=round(score, 4), detail=detail, field=loc.field if loc else None,
                    start=loc.start if loc else None, end=loc.end if loc else None,
                    excerpt=loc.excerpt if loc else None)


def _allocate(lengths: list[int], budget: int, long_from: int) -> list[int]:
    """Passages per field: one each (as many fields as the budget allows, in order), the rest of the budget
    to the fields long enough to be read passage by passage, longest first."""
    alloc = [1 if i < budget else 0 for i in range(len(lengths))]
    left = budget - sum(alloc)
    long_ones = sorted((i for i, n in enumerate(lengths) if n >= long_from and alloc[i]), key=lambda i: -lengths[i])
    while left > 0 and long_ones:
        for i in long_ones:
            if left == 0:
                break
            alloc[i] += 1
            left -= 1
    return alloc


def diversify(items: list, key, slots: int, per_key: int) -> list:
    """Keep the order, except that the first `slots` items hold at most `per_key` of one key while
    items of other keys are waiting: the runner-up category's best rule is worth more to a reader than
    a third rule of the same one."""
    head: list = []
    rest = list(items)
    while rest and len(head) < slots:
        counts: dict = {}
        for x in head:
            counts[key(x)] = counts.get(key(x), 0) + 1
        pick = next((x for x in rest if counts.get(key(x), 0) < per_key), rest[0])
        head.append(pick)
        rest.remove(pick)
    return head + rest


_SENTENCE_END = (". ", "! ", "? ", "\n", "。", "！", "？", "। ", "؟ ")


def split_passages(text: str, target: int, limit: int) -> list[tuple[int, int]]:
    """Character spans of passages of about `target` characters (at most 1.5 × `target`), each cut at the
    sentence end nearest to `target` (within half of it either way, else at `target`). At most `limit`:
    when the text holds more, `limit` of them spread evenly over it, the first and the last included —
    the work per request stays bounded however long the content is."""
    spans: list[tuple[int, int]] = []
    start, n = 0, len(text)
    while n - start > target * 1.3:
        lo, hi = start + target // 2, min(n, start + target + target // 2)
        ends = [i + len(sep) for sep in _SENTENCE_END for i in _find_all(text, sep, lo, hi)]
        end = min(ends, key=lambda e: abs(e - start - target)) if ends else start + target
        spans.append((start, end))
        start = end
        while start < n and text[start].isspace():
            start += 1
    if start < n:
        spans.append((start, n))
    if len(spans) <= limit:
        return spans
    if limit <= 1:
        return spans[:limit]
    step = (len(spans) - 1) / (limit - 1)
    return [spans[round(k * step)] for k in range(limit)]


def _find_all(text: str, sub: str, lo: int, hi: int) -> list[int]:
    out, i = [], text.find(sub, lo, hi)
    while i >= 0:
        out.append(i)
        i = text.find(sub, i + 1, hi)
    return out


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000.0
