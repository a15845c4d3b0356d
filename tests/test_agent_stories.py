"""The LangGraph agent, told as stories: given the bundled corpus, when content arrives, which rules
apply, which exceptions or regional overrides change that, and the trace a reviewer can replay.

Everything runs on the real engine (bundled multilingual embedder, FAISS, spaCy linker, networkx
graph); the optional LLM step runs against a local stand-in of an OpenAI-compatible endpoint (it may
change borderline verdicts) and through its failure paths, which must never crash or hang the agent.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from policygraph.agent import PolicyAgent
from policygraph.models import ContentQuery

NODES_FIRST_PASS = ["understand", "retrieve", "traverse", "fuse", "check"]


@pytest.fixture(scope="module")
def agent(corpus_engine) -> PolicyAgent:
    return PolicyAgent(corpus_engine)


def verdicts(decision) -> dict[str, str]:
    return {d.rule_id: d.verdict for d in decision.decisions}


def applying(decision) -> list[str]:
    return [d.rule_id for d in decision.decisions if d.verdict == "applies"]


def test_praise_of_an_attack_applies_the_glorification_rule_with_a_cited_rationale(agent):
    """Given the violent-extremism policy, when someone glorifies an attack and recruits, then VE-1.1
    (glorification) applies: the content is close to the rule text and to labelled examples."""
    d = agent.decide("Glory to the brothers who carried out the attack. Join us and fight.")
    assert d.ranked_categories[0] == "violent_extremism"
    first = d.decisions[0]
    assert (first.rule_id, first.verdict) == ("VE-1.1", "applies")
    assert first.confidence > 0.8
    assert "labelled violating example" in first.rationale and "rule text" in first.rationale
    assert first.citations and first.citations[0].document.endswith("violent-extremism.md")
    assert not d.second_pass  # a strong first pass needs no second


def test_news_reporting_on_an_attack_is_flagged_as_a_possible_exception(agent):
    """Given VE-2.2 (sharing attack footage) and its carve-out for news reporting, when a newsroom
    reports an attack, then the agent does not say VE-2.2 applies: it says an exception may apply,
    names the exception rule and asks for review."""
    d = agent.decide("Breaking news: police report that the attackers killed 12 people at the market this "
                     "morning; our correspondent is at the scene.")
    v = verdicts(d)
    assert not [r for r, x in v.items() if x == "applies"], v  # a news report is not itself a violation
    in_doubt = [h for h in d.context.rules if h.verdict == "exception_may_apply"]
    assert in_doubt and in_doubt[0].rule_id in ("VG-2.2", "VE-2.1", "VE-2.2"), v
    hit = in_doubt[0]
    dec = next(x for x in d.decisions if x.rule_id == hit.rule_id)
    assert "but exception" in dec.rationale and "review the context" in dec.rationale
    matched = [x for x in hit.exceptions_checked if x.matched]
    assert matched and all(x.rule_id in dec.rationale for x in matched)
    assert {x.rule_id for x in matched} & {"VG-4.1", "VE-4.1"}  # the news exceptions
    assert "suicide_self_harm" not in [h.category.value for h in d.context.rules]


def test_a_german_override_replaces_the_global_rule_in_germany_only(agent):
    """Given VE-3.1-DE, the German override for symbols of unconstitutional organisations, when
    content selling swastika flags is checked for Germany, then the override applies (it also
    matches the defined term through its German alias); checked globally, the override is absent."""
    text = "Ich verkaufe Hakenkreuz-Fahnen und Hitler-Bilder"
    de = agent.decide(ContentQuery(text=text, jurisdiction="DE"))
    assert applying(de)[:1] == ["VE-3.1-DE"]
    assert any(t.term_id for t in de.context.query.linked_terms)
    hit = next(h for h in de.context.rules if h.rule_id == "VE-3.1-DE")
    assert "DE" in hit.jurisdictions and any(e.signal == "term" for e in hit.evidence)

    everywhere = agent.decide(text)
    assert "VE-3.1-DE" not in verdicts(everywhere)
    assert everywhere.ranked_categories[0] == "violent_extremism"


def test_an_indian_betting_promotion_meets_the_indian_gambling_override(agent):
    """Given RG-3.2-IN (real-money betting promotion in India), when a betting app is promoted to an
    Indian audience, then the Indian override ranks first and applies."""
    d = agent.decide(ContentQuery(text="Bet on tonight's IPL match on our app, deposit now and win big",
                                  jurisdiction="IN"))
    assert applying(d)[:1] == ["RG-3.2-IN"]


def test_a_leaked_private_video_is_answered_only_through_the_second_pass(agent):
    """Given the privacy policy's defined term for non-consensual intimate imagery, when Hindi content
    offers a leaked private "MMS", then the first pass is weak (the term matched, no rule applies), and
    the bounded second pass, expanding the query with the term's definition, brings PR-2.1 in."""
    d = agent.decide("भाभी का प्राइवेट MMS लीक हो गया 🔥 पूरा वीडियो चाहिए तो DM करो, सिर्फ़ आज रात तक")
    assert d.context.query.language == "hi"
    assert d.second_pass
    nodes = [s.node for s in d.trace]
    assert nodes[:5] == NODES_FIRST_PASS and "expand_query" in nodes
    first_check = d.trace[nodes.index("check")]
    assert first_check.outputs["weak"], "the first pass was judged weak"
    assert "PR-2.1" not in [h["rule_id"] for h in first_check.outputs["hits"]], "the first pass missed it"
    expand = d.trace[nodes.index("expand_query")]
    assert "definition:privacy-ncii" in expand.outputs["expansions"]
    # the second pass brings PR-2.1 in; privacy is the first policy
    assert ("PR-2.1" in verdicts(d)) and verdicts(d)["PR-2.1"] in ("applies", "possibly_applies")
    assert d.context.rules[0].category.value == "privacy_personal_data"
    assert nodes.count("retrieve") == 2, "one bounded second pass, never more"


@pytest.mark.parametrize(
    "text, category",
    [
        ("मैं अब और नहीं जी सकता, आज रात मैं खुद को खत्म कर दूंगा", "suicide_self_harm"),
        ("سأبيع حبوب الكبتاجون، التوصيل سريع ورسائل خاصة فقط", "regulated_goods"),
        ("谁有那个枪手的完整宣言？发我一份，他才是真英雄，下一个就轮到我们了。", "violent_extremism"),
    ],
    ids=["hindi-suicide-intent", "arabic-captagon-sale", "chinese-shooter-manifesto"],
)
def test_content_in_non_latin_scripts_reaches_the_right_policy(agent, text, category):
    """Given rules written in English (and four policies translated into es/de/ar/hi), when content
    arrives in Devanagari, Arabic or Han script, then the right category ranks in the top three and
    the detected language is reported."""
    d = agent.decide(text)
    assert category in d.ranked_categories[:3]
    assert d.context.query.language_detected
    assert d.context.query.language in {"hi", "ar", "zh"}


@pytest.mark.parametrize("text", ["...", "😂😂😂", "❤️", "ok", "lol", "nice video!"])
def test_a_reply_too_short_to_judge_never_makes_a_rule_apply(agent, text):
    """Given billions of one-word replies and emoji, when content has fewer than three words and no
    defined term, then similarity alone cannot make a rule apply (every rule text is about equally
    close to "..."); with no words at all, nothing is returned. The rationale says why."""
    d = agent.decide(text)
    u = d.context.query
    assert u.low_information and u.words < 3
    assert not applying(d)
    assert d.context.rationale.startswith("Little text to judge")
    if u.words == 0:
        assert not d.context.rules


def test_a_short_reply_with_a_defined_term_is_still_judged(agent):
    """A two-word reply that uses a defined term ("kill yourself") is judged normally."""
    d = agent.decide("kill yourself")
    assert not d.context.query.low_information and d.context.query.linked_terms
    assert d.ranked_categories[0] == "suicide_self_harm"
    assert applying(d)


def test_content_no_rule_covers_gets_no_applies_verdict_and_nothing_to_render(agent):
    """Given the whole corpus, when someone shares a recipe, then no rule is returned, nothing is
    rendered for the downstream model, and the nearest rules are listed as not applicable, with the
    reason: the content classifier reads everyday content."""
    d = agent.decide("Here's my grandmother's lasagna recipe, ready in 40 minutes")
    assert not applying(d)
    assert not d.context.rules and not d.rendered
    assert d.decisions and all(x.verdict == "not_applicable" and "everyday content" in x.rationale
                               for x in d.decisions)


def test_before_the_policies_took_effect_nothing_applies(agent):
    """Given policies effective from 2024 onwards, when content is judged as of 2001, no rule is in force."""
    d = agent.decide(ContentQuery(text="Glory to the brothers who carried out the attack. Join us and fight.",
                                  at=dt.date(2001, 1, 1)))
    assert not d.context.rules and not applying(d)


def test_the_trace_can_be_replayed_step_by_step(agent):
    """Every node records what went in, what came out and how long it took; the steps' times add up
    to no more than the whole decision."""
    t = time.perf_counter()
    d = agent.decide("Vendo pastillas de éxtasis, envío discreto por mensaje privado")
    wall_ms = (time.perf_counter() - t) * 1000
    nodes = [s.node for s in d.trace]
    assert nodes[:5] == NODES_FIRST_PASS and nodes[-2:] == ["adjudicate", "explain"]
    for s in d.trace:
        assert s.ms >= 0 and isinstance(s.inputs, dict) and isinstance(s.outputs, dict)
    assert sum(s.ms for s in d.trace) <= wall_ms
    understand = d.trace[0]
    assert understand.outputs["language"] == "es"
    assert d.trace[-1].outputs["decisions"][0]["rule_id"] == d.decisions[0].rule_id
    json.dumps([s.model_dump() for s in d.trace])  # the trace is plain JSON


def test_rendered_policies_are_self_contained_and_short(agent):
    """For a downstream moderation model: one text per applicable policy, at most about 600 tokens,
    with the rules that were hit, what is allowed, definitions and examples."""
    d = agent.decide("Vendo pastillas de éxtasis, envío discreto por mensaje privado")
    assert d.rendered
    hit_policies = {h.policy_id for h in d.context.rules}
    assert {r.policy_id for r in d.rendered} == hit_policies
    for r in d.rendered:
        assert r.approx_tokens <= 620
        assert r.text.startswith("# ") and "## Violates" in r.text
    rg = next(r for r in d.rendered if r.policy_id == "regulated-goods")
    assert "[RG-2.3]" in rg.text and "## Definitions" in rg.text


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_an_unreachable_llm_is_reported_in_the_trace_and_the_answer_stands(corpus_engine):
    """Given an LLM adjudicator configured at an address where nothing listens, when a borderline
    case arrives, then the agent keeps its deterministic verdicts and says so in the trace."""
    settings = corpus_engine.settings.model_copy(update={"llm_url": f"http://127.0.0.1:{_closed_port()}/v1",
                                                           "llm_timeout_s": 2.0})
    agent = PolicyAgent(corpus_engine)
    agent.settings = settings
    d = agent.decide("Breaking news: police report that the attackers killed 12 people at the market this "
                     "morning; our correspondent is at the scene.")
    step = next(s for s in d.trace if s.node == "adjudicate")
    assert "LLM unavailable" in step.outputs["fallback"] and not d.llm_used
    assert "exception_may_apply" in verdicts(d).values()  # the deterministic doubt stands


def test_an_llm_that_never_answers_costs_at_most_its_timeout(corpus_engine):
    """Given an LLM endpoint that accepts the connection and never replies, the agent gives up after
    the configured timeout and answers deterministically: never a hang."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept_and_stall():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)  # read nothing, answer nothing
            except OSError:
                continue

    th = threading.Thread(target=accept_and_stall, daemon=True)
    th.start()
    try:
        agent = PolicyAgent(corpus_engine)
        agent.settings = corpus_engine.settings.model_copy(
            update={"llm_url": f"http://127.0.0.1:{server.getsockname()[1]}/v1", "llm_timeout_s": 1.0})
        t = time.perf_counter()
        d = agent.decide("Breaking news: police report that the attackers killed 12 people at the market "
                         "this morning; our correspondent is at the scene.")
        step = next(s for s in d.trace if s.node == "adjudicate")
        assert "Timeout" in step.outputs["fallback"]
        assert 900 <= step.ms < 5000
        assert time.perf_counter() - t < 10
    finally:
        stop.set()
        th.join()
        for c in held:
            c.close()
        server.close()


def test_cli_ask_prints_the_decision_and_its_trace(corpus_engine):
    """`policygraph ask --trace` on the ingested corpus: the verdicts, the rationale and every step."""
    out = subprocess.run(
        [sys.executable, "-m", "policygraph.cli", "--data-dir", str(corpus_engine.settings.data_dir), "ask",
         "Glory to the brothers who carried out the attack. Join us and fight.", "--trace"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "POLICYGRAPH_EMBEDDING_CACHE": str(corpus_engine.settings.embedding_cache)},
    )
    assert out.returncode == 0, out.stderr
    assert "VE-1.1" in out.stdout and "[applies]" in out.stdout
    for node in NODES_FIRST_PASS + ["explain"]:
        assert node in out.stdout



class _ChatStandIn:
    """A local HTTP server that answers `/v1/chat/completions` the way an OpenAI-compatible endpoint
    does, with verdicts chosen by the test; it records what it was asked."""

    def __init__(self, verdict_for) -> None:
        import http.server

        self.requests: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "body": body})
                prompt = json.loads(body["messages"][-1]["content"])
                verdicts = {r["rule_id"]: verdict_for(r["rule_id"]) for r in prompt["rules"]}
                reply = {"id": "chatcmpl-1", "object": "chat.completion", "model": body.get("model"),
                         "choices": [{"index": 0, "finish_reason": "stop", "message": {
                             "role": "assistant", "content": "Here you are: " + json.dumps({"verdicts": verdicts})}}]}
                data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


NEWS = ("Breaking news: police report that the attackers killed 12 people at the market this morning; "
        "our correspondent is at the scene.")


def test_an_llm_adjudicator_may_overturn_borderline_verdicts_and_the_trace_says_which(corpus_engine):
    """Given an OpenAI-compatible adjudicator that judges every borderline rule not applicable, when a
    news report puts rules in doubt, then the agent asks it only about the borderline rules, drops the
    rules it rules out, keeps the rest, and the trace lists every change."""
    with _ChatStandIn(lambda rule_id: "not_applicable") as llm:
        agent = PolicyAgent(corpus_engine)
        agent.settings = corpus_engine.settings.model_copy(update={"llm_url": llm.url, "llm_timeout_s": 5.0})
        d = agent.decide(NEWS)
    assert d.llm_used and llm.requests and llm.requests[0]["path"] == "/v1/chat/completions"
    asked = [r["rule_id"] for r in json.loads(llm.requests[0]["body"]["messages"][-1]["content"])["rules"]]
    step = next(s for s in d.trace if s.node == "adjudicate")
    assert set(step.outputs["changed"]) == set(asked)
    assert all(v.endswith("-> not_applicable") for v in step.outputs["changed"].values())
    assert not any(h.rule_id in asked for h in d.context.rules)  # ruled out by the adjudicator


def test_an_llm_adjudicator_can_confirm_a_borderline_rule_applies(corpus_engine):
    """Given an adjudicator that says the first rule in doubt applies, that rule becomes `applies`;
    its answers naming an unknown verdict for the other rules are ignored."""
    before = PolicyAgent(corpus_engine).decide(NEWS)
    target = next(h for h in before.context.rules if h.verdict == "exception_may_apply")
    with _ChatStandIn(lambda rule_id: "applies" if rule_id == target.rule_id else "maybe") as llm:
        agent = PolicyAgent(corpus_engine)
        agent.settings = corpus_engine.settings.model_copy(update={"llm_url": llm.url, "llm_timeout_s": 5.0})
        d = agent.decide(NEWS)
    step = next(s for s in d.trace if s.node == "adjudicate")
    assert step.outputs["changed"] == {target.rule_id: "exception_may_apply -> applies"}
    assert verdicts(d)[target.rule_id] == "applies" and d.llm_used
