"""The moderation agent: a LangGraph `StateGraph` over the retrieval stages (`policygraph/retrieval.py`) that decides which
rules apply, which exceptions or regional overrides change that, and why — with a replayable trace.

    understand → retrieve → traverse → fuse → check ─┬─ sufficient ──────────────┐
                    ▲                                 └─ weak, first pass: expand ┘→ (retrieve again, once)
                                                      → adjudicate (optional LLM) → explain

Deterministic and fast by default (no LLM). When `POLICYGRAPH_LLM_URL` names an OpenAI-compatible
chat endpoint, borderline rules are sent to it for adjudication; if it cannot be reached within
`llm_timeout_s`, the agent keeps its own verdicts and says so in the trace.
"""

from __future__ import annotations

import functools
import json
import operator
import time
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import httpx
import numpy as np
from langgraph.graph import END, START, StateGraph

from policygraph.confidence import ConfidenceModel, features
from policygraph.corpus import Corpus
from policygraph.graph_model import citation, policy_node_id, term_node_id
from policygraph.models import (
    ContentQuery,
    Decision,
    RenderedPolicy,
    RuleDecision,
    TraceStep,
)
from policygraph.retrieval import RetrievalState, Retriever


class AgentState(TypedDict, total=False):
    st: RetrievalState
    passes: int
    weak_reason: str
    llm_used: bool
    trace: Annotated[list[TraceStep], operator.add]


def _step(name: str):
    """Wrap a node: time it and append a TraceStep with a compact view of its inputs and outputs."""

    def deco(fn):
        @functools.wraps(fn)
        def wrapper(self, state: AgentState) -> dict:
            check = state["st"].check
            if check is not None:  # the caller's deadline or a client that left stops the work here
                check(name)
            t = time.perf_counter()
            inputs, outputs, update = fn(self, state)
            ms = (time.perf_counter() - t) * 1000.0
            update = dict(update or {})
            update["trace"] = [TraceStep(node=name, inputs=inputs, outputs=outputs, ms=round(ms, 3))]
            return update

        return wrapper

    return deco


def _top(st: RetrievalState, n: int = 5) -> list[dict]:
    return [{"rule_id": c.entry.rule_id, "score": round(c.score, 4)} for c in st.ranked[:n]]


#: how far a linked term's definition pulls the second-pass query away from the content itself
DEFINITION_WEIGHT = 0.5


class PolicyAgent:
    def __init__(self, corpus: Corpus, retriever: Retriever | None = None) -> None:
        self.corpus = corpus
        self.retriever = retriever or Retriever(corpus)
        self.settings = corpus.settings
        self._render_cache: dict[tuple, dict] = {}
        self.confidence = ConfidenceModel.load()
        self.graph = self._build()

    # ------------------------------------------------------------------ the graph
    def _build(self):
        g = StateGraph(AgentState)
        g.add_node("understand", self.understand)
        g.add_node("retrieve", self.retrieve)
        g.add_node("traverse", self.traverse)
        g.add_node("fuse", self.fuse)
        g.add_node("check", self.check)
        g.add_node("expand_query", self.expand_query)
        g.add_node("adjudicate", self.adjudicate)
        g.add_node("explain", self.explain)
        g.add_edge(START, "understand")
        g.add_edge("understand", "retrieve")
        g.add_edge("retrieve", "traverse")
        g.add_edge("traverse", "fuse")
        g.add_edge("fuse", "check")
        g.add_conditional_edges("check", self._route, {"expand": "expand_query", "done": "adjudicate"})
        g.add_edge("expand_query", "retrieve")
        g.add_edge("adjudicate", "explain")
        g.add_edge("explain", END)
        return g.compile()

    def _route(self, state: AgentState) -> str:
        return "expand" if state.get("weak_reason") and state.get("passes", 0) < 2 else "done"

    # ------------------------------------------------------------------ nodes
    @_step("understand")
    def understand(self, state: AgentState):
        st = state["st"]
        self.retriever.understand(st)
        self.retriever.embed(st)
        u = st.understood
        assert u is not None
        return (
            {"text": u.text[:200], "fields": [f.field for f in u.fields], "signals": len(u.signals), "language": st.query.language, "jurisdiction": st.query.jurisdiction,
             "at": str(st.query.at) if st.query.at else None},
            {"language": u.language, "language_detected": u.language_detected, "jurisdiction": u.jurisdiction,
             "at": str(u.at), "linked_terms": [t.term_id for t in u.linked_terms]},
            {"passes": state.get("passes", 0)},
        )

    @_step("retrieve")
    def retrieve(self, state: AgentState):
        st = state["st"]
        self.retriever.vector_search(st)
        self.retriever.propose(st)
        best = sorted(st.candidates.values(), key=lambda c: -max(c.vector, c.example))[:5]
        return (
            {"pass": state.get("passes", 0) + 1, "query_vectors": 1 + len(st.extra_vectors) + len(st.recall_vectors)},
            {"candidates": len(st.candidates),
             "best": [{"rule_id": c.entry.rule_id, "vector": round(c.vector, 4), "example": round(c.example, 4)}
                      for c in best]},
            {"passes": state.get("passes", 0) + 1},
        )

    @_step("traverse")
    def traverse(self, state: AgentState):
        st = state["st"]
        self.retriever.term_search(st)
        self.retriever.expand(st)
        return (
            {"candidates": len(st.candidates)},
            {"exceptions": {st.candidates[k].entry.rule_id if k in st.candidates else k: len(v)
                            for k, v in list(st.exceptions.items())[:10]},
             "overrides": {k: len(v) for k, v in st.overrides.items()},
             "references": sum(len(v) for v in st.references.values()),
             "term_rules": sorted({c.entry.rule_id for c in st.candidates.values() if c.terms})[:10]},
            {},
        )

    @_step("fuse")
    def fuse(self, state: AgentState):
        st = state["st"]
        self.retriever.fuse(st)
        return ({"candidates": len(st.candidates)}, {"top": _top(st)}, {})

    @_step("check")
    def check(self, state: AgentState):
        """Exception and override checks (the verdicts), then: is the answer strong enough?"""
        st = state["st"]
        self.retriever.verdicts(st)
        w = self.retriever.w
        reason = ""
        best = next((c for c in st.ranked if c.entry.kind != "allowed"), None)
        if state.get("passes", 0) < 2 and st.qvec is not None and st.qvec.any():  # (no text: nothing to widen)
            if best is None:
                reason = "no candidate rule"
            elif w.possible - 0.02 <= best.score < w.apply:
                reason = f"best rule {best.entry.rule_id} at {best.score:.3f} is borderline"
            elif not any(h.verdict == "applies" for h in st.hits) and st.understood and st.understood.linked_terms:
                reason = "defined terms matched but no rule applies"
        return (
            {"pass": state.get("passes", 0)},
            {"hits": [{"rule_id": h.rule_id, "verdict": h.verdict, "score": h.score} for h in st.hits],
             "weak": reason or None},
            {"weak_reason": reason},
        )

    @_step("expand_query")
    def expand_query(self, state: AgentState):
        """One bounded second pass: add query vectors built from linked terms' definitions and from the
        nearest labelled examples (pseudo-relevance feedback)."""
        st = state["st"]
        u = st.understood
        assert u is not None and st.qvec is not None
        eng = self.corpus
        texts: list[str] = []
        used: list[str] = []
        if u.linked_terms:
            ids = sorted({t.term_id for t in u.linked_terms})
            for n in eng.graph.get_nodes([term_node_id(x) for x in ids]):
                texts.append(f"{n.props['term']}: {n.props.get('definition', '')}")
                used.append(f"definition:{n.props['term_id']}")
        if texts:
            # the definitions' own vectors come from the embedding cache after their first use, so the
            # second pass embeds nothing new per request: content + definition, averaged
            for dv in eng.embedder.embed_queries(texts[:3]):
                m = st.qvec + DEFINITION_WEIGHT * dv
                st.extra_vectors.append(m / np.linalg.norm(m))
        # the closest labelled examples, averaged with the content (no new embedding needed): they
        # widen the candidate set only; every rule they reach is scored against the content itself
        ex_keys = eng.catalog.allowed_example_keys(u.at, u.jurisdiction)
        for key, _score in eng.index.search(st.qvec, 3, ex_keys):
            v = eng.index.get_vector(key)
            if v is not None:
                m = st.qvec + v
                st.recall_vectors.append(m / np.linalg.norm(m))
                used.append(key)  # the example's node id
        # a fresh ranking over the widened candidate set
        st.ranked, st.hits = [], []
        return ({"reason": state.get("weak_reason")}, {"expansions": used}, {"weak_reason": ""})

    @_step("adjudicate")
    def adjudicate(self, state: AgentState):
        st = state["st"]
        url = self.settings.llm_url
        borderline = [h for h in st.hits if h.verdict in ("possibly_applies", "exception_may_apply")]
        if not url:
            return ({"borderline": len(borderline)}, {"skipped": "no LLM configured"}, {"llm_used": False})
        if not borderline:
            return ({"borderline": 0}, {"skipped": "nothing borderline"}, {"llm_used": False})
        prompt = {
            "content": st.understood.text if st.understood else st.query.text,
            "rules": [{"rule_id": h.rule_id, "text": h.text, "verdict": h.verdict,
                       "exceptions": [x.rule_id for x in h.exceptions_checked]} for h in borderline],
            "instruction": "For each rule answer applies, exception_may_apply, possibly_applies or not_applicable. "
                           'Reply with JSON {"verdicts": {"RULE_ID": "verdict"}}.',
        }
        try:
            resp = httpx.post(
                url.rstrip("/") + "/chat/completions",
                json={"model": self.settings.llm_model, "temperature": 0,
                      "messages": [{"role": "system", "content": "You are a content policy adjudicator."},
                                   {"role": "user", "content": json.dumps(prompt, ensure_ascii=False)}]},
                timeout=self.settings.llm_timeout_s,
            )
            resp.raise_for_status()
            content = resp.json()["choices"][0]["message"]["content"]
            verdicts = json.loads(content[content.index("{"): content.rindex("}") + 1]).get("verdicts", {})
        except Exception as exc:  # unreachable, timeout, malformed: keep our own verdicts
            return ({"borderline": len(borderline), "url": url},
                    {"fallback": f"LLM unavailable ({type(exc).__name__}: {str(exc)[:120]}); kept deterministic verdicts"},
                    {"llm_used": False})
        changed = {}
        allowed = {"applies", "exception_may_apply", "possibly_applies", "not_applicable"}
        for h in borderline:
            v = verdicts.get(h.rule_id)
            if v in allowed and v != h.verdict:
                changed[h.rule_id] = f"{h.verdict} -> {v}"
                h.verdict = v
        st.hits = [h for h in st.hits if h.verdict != "not_applicable"]
        return ({"borderline": len(borderline)}, {"changed": changed}, {"llm_used": True})

    @_step("explain")
    def explain(self, state: AgentState):
        st = state["st"]
        decisions = self._decisions(st)
        st.__dict__["decisions"] = decisions
        return ({"hits": len(st.hits)},
                {"decisions": [{"rule_id": d.rule_id, "verdict": d.verdict, "confidence": d.confidence}
                               for d in decisions]}, {})

    # ------------------------------------------------------------------ building the answer
    def _calibrated(self, st: RetrievalState, category: str, score: float, first: bool, verdict: str) -> float:
        """P(the rule's category is what the content violates), calibrated on the fit halves
        (policygraph/confidence.py); the squashed score when no classifier is trained."""
        if st.prediction is None:
            return self._confidence(score, verdict)
        f = features(st.category_probs.get(category, 0.0), st.prediction.violating, score, first,
                     verdict == "exception_may_apply")
        return round(self.confidence.probability(f), 3)

    def _confidence(self, score: float, verdict: str) -> float:
        w = self.retriever.w
        x = (score - w.possible) / max(w.apply - w.possible, 1e-6)  # 0 at "possible", 1 at "apply"
        base = 1.0 / (1.0 + float(np.exp(-2.5 * (x - 0.5))))
        if verdict == "exception_may_apply":
            base *= 0.8
        return round(min(max(base, 0.0), 1.0), 3)

    def _decisions(self, st: RetrievalState) -> list[RuleDecision]:
        out = []
        for i, h in enumerate(st.hits):
            parts = []
            for e in h.evidence:
                where = f"the {e.field}" if e.field and e.field not in ("text", "signals", "provenance") else "the content"
                if e.signal == "vector":
                    parts.append(f"{where} is close to the rule text (cosine {e.score:.3f})"
                                 + (f": '{e.excerpt}'" if e.excerpt and where != "the content" else ""))
                elif e.signal == "example":
                    parts.append(f"{where} resembles a labelled violating example ({e.score:.3f})")
                elif e.signal in ("term", "classifier"):
                    parts.append(e.detail)
                elif e.signal == "upstream_signal":
                    parts.append(f"upstream label {e.detail}")
                elif e.signal == "provenance":
                    parts.append(f"provenance: {e.detail}")
                else:
                    parts.append(f"graph path {e.detail}")
            why = f"{h.rule_id} ({h.policy_title}: {h.title}) — " + "; ".join(parts)
            if h.verdict == "exception_may_apply":
                exc = [x for x in h.exceptions_checked if x.matched]
                why += "; but exception " + ", ".join(f"{x.rule_id} ({x.title}, {x.score:.3f})" for x in exc) + \
                       " may carve the content out: review the context"
            elif h.exceptions_checked:
                why += "; exceptions checked and not matched: " + ", ".join(x.rule_id for x in h.exceptions_checked)
            ovr = [o for o in h.overrides_checked if o.matched]
            if ovr:
                why += "; regional override " + ", ".join(o.rule_id for o in ovr) + " applies in " + \
                       str(st.understood.jurisdiction if st.understood else "")
            out.append(RuleDecision(rule_id=h.rule_id, policy_id=h.policy_id, category=h.category, verdict=h.verdict,
                                    confidence=self._calibrated(st, h.category.value, h.score, i == 0, h.verdict),
                                    rationale=why,
                                    citations=h.citations))
        # the nearest rules that did not make it, so a reviewer sees what was ruled out
        shown = {h.rule_id for h in st.hits}
        for c in [c for c in st.ranked if c.entry.kind != "allowed" and c.entry.rule_id not in shown][:2]:
            node = st.nodes.get(c.entry.node_id)
            if node is None:
                continue
            out.append(RuleDecision(
                rule_id=c.entry.rule_id, policy_id=c.entry.policy_id, category=c.entry.category,
                verdict="not_applicable",
                confidence=round(1 - self._calibrated(st, c.entry.category, c.score, False, "applies"), 3),
                rationale=f"{c.entry.rule_id} was the nearest other rule (score {c.score:.3f}) but "
                          + self._why_out(st, c),
                citations=[citation(node.props, node.props.get("section_title", ""), node.props["language"])],
            ))
        return out

    def _why_out(self, st: RetrievalState, c) -> str:
        """Why a near rule was not returned, in the terms of the check that left it out."""
        w = self.retriever.w
        if st.stopped:
            return st.stopped
        if st.prediction is None:
            best = max((h.score for h in st.hits), default=0.0)
            if c.score < w.possible:
                return f"below the threshold {w.possible}"
            if best and c.score < best - w.relative_cut:
                return f"more than {w.relative_cut} behind the best rule ({best:.3f})"
            return f"outside the top {st.query.top_k} rules returned"
        p_cat = st.category_probs.get(c.entry.category, 0.0)
        best_rank = max((h.rank for h in st.hits), default=0.0)
        if c.score < w.floor:
            return f"below the threshold {w.floor}"
        if p_cat < w.topic_min:
            return f"its category {c.entry.category} is unlikely for this content ({p_cat:.2f} < {w.topic_min})"
        if best_rank and c.rank < best_rank - w.rank_cut:
            return f"more than {w.rank_cut} behind the best rule ({best_rank:.3f})"
        return f"outside the top {st.query.top_k} rules returned"

    def render(self, st: RetrievalState, max_tokens: int = 600) -> list[RenderedPolicy]:
        """Each applicable policy as a self-contained text for a downstream moderation model."""
        u = st.understood
        lang = u.language if u else "en"
        by_policy: dict[str, list] = {}
        for h in st.hits:
            by_policy.setdefault(h.policy_id, []).append(h)
        out = []
        for pid, hits in by_policy.items():
            info = self._policy_parts(pid, lang)
            lines = [f"# {info['title']} ({info['category']})",
                     "Decide whether the content violates this policy. It applies only as written below; "
                     "if an allowed case fits, the content does not violate."]
            if info["definitions"]:
                lines.append("## Definitions")
                lines += [f"- {d}" for d in info["definitions"][:4]]
            lines.append("## Violates")
            hit_ids = {h.rule_id for h in hits}
            for h in hits:
                lines.append(f"- [{h.rule_id}] {h.title}: {h.text}")
            for rid, title in info["prohibited"]:
                if rid not in hit_ids:
                    lines.append(f"- [{rid}] {title}")
            if info["allowed"]:
                lines.append("## Allowed")
                lines += [f"- [{rid}] {title}: {text}" for rid, title, text in info["allowed"]]
            if info["examples"]:
                lines.append("## Examples")
                lines += [f"- ({lab}) {txt}" for lab, txt in info["examples"][:3]]
            text = _fit("\n".join(lines), max_tokens)
            out.append(RenderedPolicy(policy_id=pid, title=info["title"], category=info["category"], text=text,
                                      approx_tokens=_tokens(text)))
        return out

    def _policy_parts(self, pid: str, lang: str) -> dict:
        key = (self.corpus.catalog.generation, pid, lang)  # not id(): ids of freed catalogs are reused
        if key in self._render_cache:
            return self._render_cache[key]
        eng = self.corpus
        pol = eng.graph.get_node(policy_node_id(pid))
        version = pol.props["version"] if pol else None
        rules = eng.catalog.policy_rules(pid, int(version)) if version is not None else []
        nodes = {n.id: n for n in eng.graph.get_nodes([e.node_id for e in rules])}

        def txt(n, field):
            v = n.props.get(field + "s") or {}
            return v.get(lang) or n.props.get(field, "")

        prohibited, allowed = [], []
        for e in sorted(rules, key=lambda e: e.rule_id):
            n = nodes.get(e.node_id)
            if n is None:
                continue
            title = (n.props.get("titles") or {}).get(lang) or n.props.get("title", "")
            body = n.props["text"].get(lang) or n.props["text"][n.props["language"]]
            if e.kind == "allowed":
                allowed.append((e.rule_id, title, _first_sentence(body)))
            elif "GLOBAL" in e.jurisdictions:
                prohibited.append((e.rule_id, title))
        terms = [f"{o.props['term']}: {o.props.get('definition', '')}"
                 for _, o in eng.graph.neighbors([policy_node_id(pid)], ["DEFINES"], "out")]
        examples = [(n.props["label"].replace("_", "-"), n.props["text"])
                    for n in eng.graph.find_nodes("Example", {"policy_id": pid})][:3]
        parts = {"title": pol.props["title"] if pol else pid, "category": pol.props["category"] if pol else "",
                 "prohibited": prohibited, "allowed": allowed, "definitions": terms, "examples": examples}
        _ = txt
        if len(self._render_cache) > 512 or any(k[0] != key[0] for k in self._render_cache):
            self._render_cache.clear()  # only the current corpus version's parts are kept
        self._render_cache[key] = parts
        return parts

    # ------------------------------------------------------------------ entry points
    def decide(self, query: ContentQuery | str, render: bool = True,
               check: Callable[[str], None] | None = None) -> Decision:
        """The decision on one piece of content. `check(step)` is called before every step (and before
        rendering); whatever it raises stops the work (a deadline, a client that left)."""
        q = query if isinstance(query, ContentQuery) else ContentQuery(text=query)
        return self.decide_state(RetrievalState(query=q, check=check), render=render)

    def decide_state(self, st: RetrievalState, render: bool = True) -> Decision:
        """`decide` on a state the caller keeps (the calibration reads the classifier's probabilities
        from it after the run)."""
        t = time.perf_counter()
        final: dict[str, Any] = self.graph.invoke({"st": st, "passes": 0, "trace": []})
        st.timings["agent_total"] = (time.perf_counter() - t) * 1000.0
        ctx = self.retriever.to_context(st)
        if render and st.check is not None:
            st.check("render")
        rendered = self.render(st) if render else []
        return Decision(
            context=ctx, decisions=st.__dict__.get("decisions", []),
            ranked_categories=self.retriever.ranked_categories(st),
            second_pass=final.get("passes", 1) > 1, llm_used=bool(final.get("llm_used")),
            trace=final.get("trace", []), rendered=rendered,
        )

    def render_text(self, d: Decision, trace: bool = False) -> str:
        u = d.context.query
        lines = [f"content language: {u.language}{' (detected)' if u.language_detected else ''}; "
                 f"jurisdiction: {u.jurisdiction or 'global'}; date: {u.at}"]
        if u.fields:
            lines.append("fields: " + ", ".join(f"{f.field} ({f.language}, {f.words} words)" for f in u.fields)
                         + (f"; media: {u.media_type}" if u.media_type else ""))
        if u.signals:
            lines.append("signals: " + ", ".join(f"{s.label} {s.score:.2f}" for s in u.signals))
        if u.provenance is not None:
            pv = u.provenance
            lines.append("provenance: " + (f"AI-generated {pv.ai_generated:.2f}" if pv.ai_generated is not None
                                           else "no sign of AI generation")
                         + f", {'disclosed' if pv.disclosed else 'not disclosed'}"
                         + (f" ({'; '.join(pv.basis)})" if pv.basis else ""))
        if u.linked_terms:
            lines.append("linked terms: " + ", ".join(f"{t.term} ('{t.alias}'{' in ' + t.field if t.field else ''})"
                                                      for t in u.linked_terms))
        hits = {h.rule_id: h for h in d.context.rules}
        if not any(x.verdict != "not_applicable" for x in d.decisions):
            # why nothing applies: no policy in force that day, too little text to judge, or no match
            lines.append("\n" + (d.context.rationale if not d.context.rules else "No rule applies."))
        for x in d.decisions:
            h = hits.get(x.rule_id)
            lines.append(f"\n{x.rule_id}  [{x.verdict}]  confidence {x.confidence:.2f}"
                         + (f"  {h.policy_title} › {h.title}" if h else ""))
            if h:
                lines.append(f"  {h.category.value} · {h.kind} · severity {h.severity} · actions "
                             f"{', '.join(h.actions)} · {', '.join(h.jurisdictions)}")
                lines.append(f"  {h.text[:300]}{'…' if len(h.text) > 300 else ''}")
            where = next((e for e in h.evidence if e.field and e.field != "text"), None) if h else None
            if where is not None:
                lines.append(f"  where: {where.field}" + (f" ('{where.excerpt}')" if where.excerpt else ""))
            lines.append(f"  why: {x.rationale}")
            c = x.citations[0] if x.citations else None
            if c:
                span = f", chars {c.span.start}-{c.span.end} (line {c.span.line})" if c.span else ""
                lines.append(f"  cite: {c.document} § {c.section} v{c.version}{span}")
        if d.second_pass:
            lines.append("\n(answered after a second retrieval pass)")
        if trace:
            lines.append("\ntrace:")
            for s in d.trace:
                lines.append(f"  {s.node:<13} {s.ms:8.2f} ms  in={json.dumps(s.inputs, ensure_ascii=False)[:160]}")
                lines.append(f"  {'':<13} {'':>8}     out={json.dumps(s.outputs, ensure_ascii=False)[:240]}")
        lines.append("\ntimings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in d.context.timings_ms.items()))
        return "\n".join(lines)


def _tokens(text: str) -> int:
    return _estimate(len(text), len(text.encode("ascii", "ignore")))


def _estimate(chars: int, ascii_chars: int) -> int:
    # about 4 characters per token for Latin scripts; other scripts tokenise denser
    return int(chars / (4.0 if ascii_chars / max(chars, 1) > 0.8 else 2.0)) + 1


def _fit(text: str, max_tokens: int) -> str:
    """The longest run of whole lines from the top that fits `max_tokens` (one pass, prefix sums)."""
    if _tokens(text) <= max_tokens:
        return text
    lines = text.split("\n")
    chars = ascii_chars = 0
    keep = 0
    for i, line in enumerate(lines):
        chars += len(line) + (1 if i else 0)
        ascii_chars += len(line.encode("ascii", "ignore")) + (1 if i else 0)
        if _estimate(chars, ascii_chars) > max_tokens:
            break
        keep = i + 1
    return "\n".join(lines[:keep])


def _first_sentence(text: str, limit: int = 220) -> str:
    for sep in (". ", "。", "। ", "؟ ", "! "):
        i = text.find(sep)
        if 0 < i < limit:
            return text[: i + 1]
    return text[:limit] + ("…" if len(text) > limit else "")
