"""Property-based fuzzing of the served API (issue 13): schema-shaped and hostile input for the context
routes, the upload and draft routes and the MCP tool, against a real uvicorn server on a copy of the
session corpus. Properties, for every request:

* never a 5xx, never a dropped connection, nothing logged as an unhandled error on the server;
* every 4xx has the error shape `{"error": {"code", "message", ...}}`;
* nothing is stored by a refused request: the policy list, one policy's history, the audit log and the
  draft list are the same before and after it (and the context routes store nothing at all).

Bounded and deterministic for CI: `derandomize=True`, no example database, a fixed number of examples
per route (see BUDGET); the whole file runs in well under 2 minutes once the corpus fixture exists.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_api import (
    AGENT_KEY,
    AUTHOR_KEY,
    MAX_BATCH,
    MAX_BODY,
    MAX_CHARS,
    NEW_POLICY,
    Running,
    copy_engine,
    start_server,
    stop_server,
)

AGENT = {"X-API-Key": AGENT_KEY}
AUTHOR = {"X-API-Key": AUTHOR_KEY}
JSON_TYPE = {"content-type": "application/json"}
HISTORY_OF = "violent-extremism"

#: examples per test: about 30 s in all on 2 cores beyond the corpus fixture (the valid context requests run
#: the agent; a valid upload embeds its rules)
BUDGET = {"context": 100, "raw": 60, "batch": 25, "upload": 60, "draft": 40, "draft_ids": 25, "mcp": 10}


def fuzz_settings(n: int):
    return settings(max_examples=n, deadline=None, derandomize=True, database=None, print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large, HealthCheck.filter_too_much])


# --------------------------------------------------------------------------- the server and what it logs


class _Errors(logging.Handler):
    """ERROR records with a traceback, from the server running in this process (uvicorn's thread)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "unhandled" in record.getMessage() or "unexpected" in record.getMessage():
            self.records.append(record)

    def take(self) -> str:
        out = "\n".join(f"{r.name}: {self.format(r)}" for r in self.records)
        self.records.clear()
        return out if len(out) < 9000 else f"{out[:3000]}\n[...]\n{out[-6000:]}"


@pytest.fixture(scope="module")
def server_errors() -> Iterator[_Errors]:
    h = _Errors()
    h.setFormatter(logging.Formatter("%(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("uvicorn")]  # uvicorn's loggers do not propagate
    for lg in loggers:
        lg.addHandler(h)
    yield h
    for lg in loggers:
        lg.removeHandler(h)


@pytest.fixture(scope="module")
def api(corpus_engine, embedding_cache_dir, tmp_path_factory, server_errors) -> Iterator[Running]:
    eng = copy_engine(corpus_engine, tmp_path_factory.mktemp("fuzz") / "data", embedding_cache_dir)
    r = start_server(eng)
    yield r
    stop_server(r)


@pytest.fixture
def errors(server_errors) -> Iterator[_Errors]:
    server_errors.take()
    yield server_errors
    logged = server_errors.take()
    assert not logged, f"the server logged unhandled errors:\n{logged}"


def settle(r: httpx.Response) -> None:
    """After a 5xx, let the server's thread finish logging the exception (Starlette re-raises it after
    the response is sent) before this thread formats a failure: CPython 3.11's traceback formatting
    parses source with `ast`, whose recursion bookkeeping is not thread-safe (gh-106905), and two
    threads doing it at once end pytest with "AST constructor recursion depth mismatch"."""
    if r.status_code >= 500:
        time.sleep(0.5)


def send(client: httpx.Client, method: str, url: str, errors: _Errors, **kw) -> httpx.Response:
    """One request; the fuzz properties that hold for every answer."""
    what = f"{method} {url} {kw.get('params') or ''} {repr(kw.get('content') or kw.get('files') or '')[:300]}"
    try:
        r = client.request(method, url, **kw)
    except httpx.TransportError as exc:  # a dropped connection, a reset, a timeout
        raise AssertionError(f"no answer to {what}: {exc!r}\n{errors.take()}") from exc
    event(f"{method} {url.split('?')[0][:40]} -> {r.status_code}")
    settle(r)
    assert r.status_code < 500, f"{r.status_code} for {what}: {r.text[:500]}\n{errors.take()}"
    assert not errors.records, f"{r.status_code} for {what}, and the server logged:\n{errors.take()}"
    if r.status_code >= 400:
        try:
            body = r.json()
        except ValueError:
            raise AssertionError(f"{r.status_code} without a JSON body for {what}: {r.text[:300]}") from None
        assert isinstance(body, dict) and set(body) == {"error"}, (what, body)
        e = body["error"]
        assert isinstance(e, dict) and isinstance(e.get("code"), str) and isinstance(e.get("message"), str), body
    return r


def post_json(client, url, value, errors, headers=AGENT, **kw) -> httpx.Response:
    """JSON as a hostile client writes it: lone surrogates as escapes (\\ud800), NaN and Infinity."""
    data = json.dumps(value, ensure_ascii=True, allow_nan=True).encode()
    return send(client, "POST", url, errors, content=data, headers={**headers, **JSON_TYPE}, **kw)


def stored(client) -> tuple:
    """What a write would change: policies, one policy's history, the audit log, the drafts."""
    def get(url):
        r = client.get(url, headers=AUTHOR)
        assert r.status_code == 200, (url, r.text[:300])
        return r.json()
    return (get("/v1/policies"), get(f"/v1/policies/{HISTORY_OF}/history"), get("/v1/audit")["count"],
            get("/v1/drafts")["count"])


# --------------------------------------------------------------------------- strategies

SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
ODD = st.sampled_from("\x00\x07\u202e\u200f\ufeff\u200b\u0301#＃\n\t \U0001fad3\U0001f44d\U0001f3fd\U000e0041")
SAFE_TEXT = st.text(st.one_of(st.characters(exclude_categories=("Cs",)), ODD), min_size=1, max_size=60)
JUNK_TEXT = st.text(st.one_of(st.characters(exclude_categories=("Cs",)), SURROGATE, ODD), max_size=40)
SAMPLES = ["Glory to the brothers who carried out the attack, join them",
           "Vendo pastillas de éxtasis, envío discreto", "Best lasagne ever",
           "Kauf dir Follower, 10.000 für 5 Euro", "مرحبا بالجميع", "यह एक परीक्षण है", "🫓🫓🫓", "#plug_life",
           "message me on telegram, I deliver all over the north side", "ＧＬＯＲＹ ｔｏ ｔｈｅ ａｔｔａｃｋ",
           "v3nd0 c0c@ína", "a" * 300]
#: text a client may send: real content, any Unicode (control, bidi, combining, emoji, tags), mixed
TEXT = st.one_of(st.sampled_from(SAMPLES), SAFE_TEXT, st.builds(str.__add__, st.sampled_from(SAMPLES), SAFE_TEXT))
#: text the API must refuse: a lone surrogate (JSON allows the escape), empty, blank, over the limit
BAD_TEXT = st.one_of(st.builds(lambda a, c, b: a + c + b, SAFE_TEXT, SURROGATE, JUNK_TEXT),
                     st.sampled_from(["", " \t\n#", "x" * (MAX_CHARS + 1)]))
HUGE_INT = st.one_of(st.integers(), st.sampled_from([2**63, -(2**63) - 1, 10**40, -(10**300), 0, -1]))
FLOATS = st.floats(allow_nan=True, allow_infinity=True)
SCALAR = st.one_of(st.none(), st.booleans(), HUGE_INT, FLOATS, JUNK_TEXT)
JUNK = st.recursive(SCALAR, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                   st.dictionaries(JUNK_TEXT, kids, max_size=3)), max_leaves=8)
WRONG = st.one_of(st.none(), JUNK, st.lists(JUNK_TEXT, max_size=2), st.dictionaries(JUNK_TEXT, SCALAR, max_size=2))
LANGS = ["en", "es", "de", "ar", "hi", "fr", "pt-BR", "zh"]
BAD_LANGS = st.one_of(st.sampled_from(["klingon", "xx", "e", "", "en_US_POSIX_x", "\ud800", "en\x00"]), JUNK_TEXT)
PLACES = ["DE", "EU", "IN", "US", "CO", "GB"]
BAD_PLACES = st.one_of(st.sampled_from(["XYZ", "ZZ", "GLOBAL", "", "D", "\udfff", "DE\n"]), JUNK_TEXT)
DATES = st.dates().map(str)
BAD_DATES = st.one_of(st.sampled_from(["2025-13-45", "yesterday", "2026-02-30", "0000-01-01", "2026-06-01T25:00",
                                       "+002026-06-01", "2026-6-1", ""]), JUNK_TEXT)
SIGNAL = st.fixed_dictionaries({
    "label": st.one_of(st.sampled_from(["weapon", "drugs", "nudity", "minor_present", "x:y.z-1"]),
                       st.from_regex(r"\A[a-z0-9][a-z0-9_.:-]{0,20}\Z")),
    "score": st.floats(0, 1)}, optional={"model": st.text(max_size=100)})
BAD_SIGNAL = st.one_of(
    SIGNAL.map(lambda d: {**d, "score": 7}), SIGNAL.map(lambda d: {**d, "score": float("nan")}),
    SIGNAL.map(lambda d: {**d, "label": "ai_generated"}), SIGNAL.map(lambda d: {**d, "label": "Weapon Ω"}),
    SIGNAL.map(lambda d: {**d, "model": "m" * 101}), SIGNAL.map(lambda d: {**d, "colour": 1}),
    st.fixed_dictionaries({"score": st.floats(0, 1)}), WRONG)
PROVENANCE = st.fixed_dictionaries({}, optional={
    "declared_ai": st.one_of(st.booleans(), st.none()),
    "c2pa": st.lists(st.one_of(st.just("c2pa.created: trainedAlgorithmicMedia"), SAFE_TEXT), max_size=3),
    "detector_score": st.one_of(st.floats(0, 1), st.none())})
BAD_PROVENANCE = st.one_of(
    PROVENANCE.map(lambda d: {**d, "detector_score": 2}), PROVENANCE.map(lambda d: {**d, "declared_ai": "maybe"}),
    PROVENANCE.map(lambda d: {**d, "c2pa": ["c" * 301]}), PROVENANCE.map(lambda d: {**d, "colour": 1}),
    PROVENANCE.map(lambda d: {**d, "c2pa": ["x"] * 51}), WRONG)
#: every ContentQuery field with a value of its schema's type, and values of it that must be refused
FIELDS = {
    "text": (TEXT, BAD_TEXT), "title": (TEXT, BAD_TEXT), "description": (TEXT, BAD_TEXT),
    "transcript": (TEXT, BAD_TEXT), "ocr_text": (TEXT, BAD_TEXT),
    "hashtags": (st.lists(TEXT, max_size=4), st.one_of(st.lists(BAD_TEXT, min_size=1, max_size=2),
                                                       st.just(["#a"] * 101), WRONG)),
    "comments": (st.lists(TEXT, max_size=3), st.one_of(st.lists(BAD_TEXT, min_size=1, max_size=2), WRONG)),
    "media_type": (st.sampled_from(["video", "image", "live", "audio", "text"]),
                   st.one_of(st.sampled_from(["VIDEO", "gif", ""]), WRONG)),
    "signals": (st.lists(SIGNAL, max_size=3), st.one_of(st.lists(BAD_SIGNAL, min_size=1, max_size=2), WRONG)),
    "provenance": (PROVENANCE, BAD_PROVENANCE),
    "region": (st.sampled_from(PLACES), st.one_of(BAD_PLACES, WRONG)),
    "language": (st.sampled_from(LANGS), st.one_of(BAD_LANGS, WRONG)),
    "jurisdiction": (st.sampled_from(PLACES), st.one_of(BAD_PLACES, WRONG)),
    "at": (DATES, st.one_of(BAD_DATES, WRONG)),
    "top_k": (st.integers(1, 50), st.one_of(HUGE_INT.filter(lambda n: not 1 <= n <= 50),
                                            st.sampled_from(["5", True, 5.0, 5.5, "", None]), WRONG)),
}


@st.composite
def content_query(draw, hostile: bool = True) -> dict:
    """A ContentQuery as a client might send it: a few fields with values of their type (hostile
    Unicode included); if `hostile`, now and then one of them refused (wrong type, out of range, null,
    a lone surrogate), an unknown field beside them, or no field at all."""
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=0 if hostile else 1, max_size=5, unique=True))
    q = {n: draw(FIELDS[n][0]) for n in names}
    if hostile and q and draw(st.integers(0, 2)) == 0:
        bad = draw(st.sampled_from(sorted(q)))
        q[bad] = draw(FIELDS[bad][1])
    if hostile and draw(st.integers(0, 7)) == 0:
        q[draw(st.sampled_from(["colour", "Text", "text ", "", "__proto__", "constructor"]))] = draw(SCALAR)
    return q


QUERY = content_query()
PLAIN_QUERY = content_query(hostile=False)
CONTENT = st.one_of(QUERY, QUERY, QUERY, QUERY, JUNK)


def _deep(depth: int, open_: bytes = b"[", close: bytes = b"]") -> bytes:
    return open_ * depth + close * depth


RAW_BODIES = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", b"null", b"[]", b"{}", b'"text"', b"NaN", b'{"text": "x"', b'{"text": "caf\xe9"}',
                     b"\xef\xbb\xbf{\"text\": \"bom\"}", b'{"text": "x", "text": 5}', _deep(5000),
                     b'{"text": ' + _deep(995) + b"}", b'{"text": "x", "top_k": ' + b"9" * 5000 + b"}",
                     b'{"text": "\\ud800\\udc00\\udfff"}', b'{"text": "\\u0000"}', "{\"text\": \"x\"}".encode("utf-16"),
                     b"\x00" * 50, b'{"text": "' + b"a" * (MAX_BODY + 10) + b'"}']),
    st.builds(lambda v: json.dumps(v, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass"), QUERY),
)
CONTENT_TYPES = st.sampled_from(["application/json", "application/json; charset=latin-1", "text/plain",
                                 "application/x-www-form-urlencoded", "multipart/form-data", "application/vnd.x+json",
                                 ""])


# --------------------------------------------------------------------------- /v1/context, /v1/context/batch


@pytest.fixture(scope="module")
def before_reads(client):
    return stored(client)


@fuzz_settings(BUDGET["context"])
@given(body=CONTENT)
def test_fuzz_context(client, errors, before_reads, body):
    r = post_json(client, "/v1/context", body, errors)
    if r.status_code == 200:
        assert "decisions" in r.json() and "context" in r.json()
    else:
        assert r.status_code in (413, 422), r.text[:300]


@fuzz_settings(BUDGET["raw"])
@given(path=st.sampled_from(["/v1/context", "/v1/context/batch"]), body=RAW_BODIES, ctype=CONTENT_TYPES)
def test_fuzz_context_raw_bodies(client, errors, path, body, ctype):
    headers = {**AGENT, "content-type": ctype} if ctype else AGENT
    r = send(client, "POST", path, errors, content=body, headers=headers)
    assert r.status_code in (200, 413, 415, 422), r.text[:300]


@fuzz_settings(BUDGET["batch"])
@given(body=st.one_of(
    st.fixed_dictionaries({"items": st.lists(PLAIN_QUERY, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"items": st.lists(PLAIN_QUERY, min_size=1, max_size=2).flatmap(
        lambda items: st.permutations([*items, *[{}]]).map(list) | st.permutations([*items, None]).map(list))}),
    st.fixed_dictionaries({"items": st.lists(QUERY, max_size=MAX_BATCH + 2)}, optional={"colour": JUNK}),
    st.fixed_dictionaries({"items": JUNK}), JUNK))
def test_fuzz_context_batch(client, errors, body):
    r = post_json(client, "/v1/context/batch", body, errors)
    if r.status_code == 200:
        out = r.json()
        assert out["count"] == len(body["items"]) == len(out["results"])
    else:
        assert r.status_code in (413, 422), r.text[:300]


def test_reads_stored_nothing(client, before_reads):
    """Runs after the context fuzzers (file order): thousands of reads changed nothing stored."""
    assert stored(client) == before_reads


# --------------------------------------------------------------------------- uploads and drafts

FRONT = {"id": "stadium-drones", "title": "Drones at Stadiums", "category": "dangerous_activities", "version": "1",
         "effective_from": "2025-01-01", "language": "en", "jurisdictions": "[GLOBAL]"}
YAML_JUNK = st.one_of(JUNK_TEXT.map(json.dumps), st.sampled_from([
    "", "null", "[]", "{}", "~", "&a [*a]", "!!python/object:os.system ls", "[" * 200, "{a: {b: {c: [1, 2]}}}",
    "'unterminated", "2026-02-30", "-1", "1e400", "0x10", "yes", "|\n  block", "\t", "10000000000000000000000"]))
FRONT_VALUES = {
    "id": st.one_of(st.sampled_from(["fz-policy", "violent-extremism", "stadium-drones", "a" * 300, "../../etc/x",
                                     "Fz Policy", "fz_ü", ""]), YAML_JUNK),
    "category": st.one_of(st.sampled_from(["dangerous_activities", "hate_speech", "not_a_category"]), YAML_JUNK),
    "version": st.one_of(st.sampled_from(["1", "2", "0", "-3", "99999999999999999999", "1.5", "v2"]), YAML_JUNK),
    "effective_from": st.one_of(DATES, BAD_DATES, YAML_JUNK),
    "language": st.one_of(st.sampled_from(LANGS), BAD_LANGS, YAML_JUNK),
    "jurisdictions": st.one_of(st.sampled_from(["[GLOBAL]", "[DE, EU]", "[XYZ]", "DE", "[]"]), YAML_JUNK),
}
RULE_LINES = st.sampled_from([
    "### DRN-1.1 Pyrotechnic drones over stadium crowds", "### DRN-1.1 Duplicate id", "### 1.1", "###",
    "{kind: prohibited, severity: high, actions: [remove, warn]}", "{kind: nonsense, severity: 7}", "{kind: [",
    "{kind: allowed, severity: low, actions: [none], exception_to: [DRN-9.9]}", "## Section", "# Title",
    "Content that organises drones over crowds.", "---", "```", "<script>alert(1)</script>", "\u202e", ""])


@st.composite
def policy_markdown(draw) -> str:
    """Our authoring format, with some front-matter values and body lines replaced by junk."""
    front = dict(FRONT)
    for key in draw(st.lists(st.sampled_from(sorted(FRONT_VALUES)), max_size=3, unique=True)):
        front[key] = draw(FRONT_VALUES[key])
    if draw(st.booleans()):
        front["id"] = f"fz-{draw(st.integers(0, 10**6))}"
    for key in draw(st.lists(st.sampled_from(["translation_of", "definitions", "examples", "colour"]), max_size=2)):
        front[key] = draw(YAML_JUNK)
    head = "".join(f"{k}: {v}\n" for k, v in front.items() if draw(st.integers(0, 9)) > 0)  # sometimes missing
    body = NEW_POLICY.split("---\n", 2)[2]
    lines = body.splitlines()
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(lines)))
        lines.insert(i, draw(st.one_of(RULE_LINES, JUNK_TEXT)))
    return f"---\n{head}---\n" + "\n".join(lines) + "\n"


@st.composite
def plausible_policy(draw) -> str:
    """A valid document of a new policy (or a new version of one drafted before): any Unicode in a rule."""
    doc = NEW_POLICY.replace("id: stadium-drones", f"id: fz-{draw(st.integers(0, 50))}")
    doc = doc.replace("version: 1", f"version: {draw(st.integers(1, 3))}")
    return doc.replace("during football matches", f"during {draw(SAFE_TEXT)} matches".replace("\n", " "))


FILENAMES = st.one_of(st.sampled_from(["fz.md", "fz.txt", "fz.html", "fz.yaml", "fz.json", "fz.exe", "fz", ".md",
                                       "../../fz.md", "fz.MD", "a" * 300 + ".md", "fz\x00.md", "ü.md", "con.md"]),
                      st.builds(str.__add__, JUNK_TEXT, st.sampled_from([".md", ".yaml", ""])))
DOCUMENT = st.one_of(policy_markdown(), policy_markdown(), st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
                     JUNK_TEXT, st.sampled_from(["---\n---\n", "", "[" * 400, "key: " + "[" * 100 + "]" * 100,
                                                 "<div>" * 3000, "> " * 3000 + "x", '{"sections": []}',
                                                 "sections:\n  - title: S\n    rules: [{id: A-1, title: T}]\n"]),
                     )


def _surrogate_safe(s: str) -> bytes:
    return s.encode("utf-8", "surrogatepass")


UPLOAD = st.one_of(
    # multipart: the document as a file (sometimes no file field, sometimes raw random bytes)
    st.tuples(st.just("multipart"), FILENAMES, st.one_of(DOCUMENT.map(_surrogate_safe), st.binary(max_size=400))),
    # JSON {filename, content} as written by a client, and junk shaped like it
    st.tuples(st.just("json"), st.one_of(
        st.fixed_dictionaries({"filename": FILENAMES, "content": DOCUMENT}),
        st.fixed_dictionaries({"filename": st.one_of(FILENAMES, WRONG), "content": st.one_of(DOCUMENT, WRONG)},
                              optional={"colour": JUNK}),
        st.fixed_dictionaries({}, optional={"filename": FILENAMES, "content": DOCUMENT}), JUNK), st.none()),
    # no usable content type, or a broken multipart body
    st.tuples(st.sampled_from(["text/plain", "multipart/form-data", "multipart/form-data; boundary=zz", ""]),
              st.none(), st.binary(max_size=300)),
)


def send_document(client, url, upload, errors, params=None) -> httpx.Response:
    kind, name, payload = upload
    if kind == "multipart":
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            name = name.encode("utf-8", "surrogatepass").decode("latin-1")  # as a client would send the bytes
        return send(client, "POST", url, errors, files={"file": (name, payload, "application/octet-stream")},
                    headers=AUTHOR, params=params)
    if kind == "json":
        return post_json(client, url, name, errors, headers=AUTHOR, params=params)
    headers = {**AUTHOR, "content-type": kind} if kind else AUTHOR
    return send(client, "POST", url, errors, content=payload, headers=headers, params=params)


@fuzz_settings(BUDGET["upload"])
@given(upload=UPLOAD)
def test_fuzz_upload(client, errors, upload):
    before = stored(client)
    r = send_document(client, "/v1/policies", upload, errors)
    if r.status_code >= 400:
        assert r.status_code in (400, 409, 413, 415, 422), r.text[:300]
        assert stored(client) == before, f"a refused upload ({r.status_code}) changed what is stored: {r.text[:300]}"


DRAFT_PARAMS = st.one_of(
    st.fixed_dictionaries({}, optional={"effective_from": st.dates(min_value=dt.date.today()).map(str),
                                        "author": SAFE_TEXT.filter(lambda a: len(a) <= 128)}),
    st.fixed_dictionaries({}, optional={
        "policy_id": st.one_of(st.sampled_from(["stadium-drones", "violent-extremism", "nope"]), JUNK_TEXT),
        "effective_from": st.one_of(DATES, BAD_DATES), "effective_to": st.one_of(DATES, BAD_DATES),
        "author": JUNK_TEXT, "backfill": st.sampled_from(["true", "false", "yes", "2", ""])}))


def _query_safe(params: dict) -> dict:
    return {k: v.encode("utf-8", "surrogatepass").decode("latin-1") for k, v in params.items()}


DRAFT_UPLOAD = st.one_of(UPLOAD, st.tuples(st.just("multipart"), st.just("fz.md"), plausible_policy().map(_surrogate_safe)),
                         st.tuples(st.just("json"), st.fixed_dictionaries({"filename": st.just("fz.md"),
                                                                           "content": plausible_policy()}), st.none()))


@fuzz_settings(BUDGET["draft"])
@given(upload=DRAFT_UPLOAD, params=DRAFT_PARAMS, fmt=st.sampled_from(["json", "text", "xml"]))
def test_fuzz_drafts(client, errors, upload, params, fmt):
    before = stored(client)
    r = send_document(client, "/v1/drafts", upload, errors, params=_query_safe(params))
    if r.status_code >= 400:
        assert r.status_code in (400, 404, 409, 413, 415, 422), r.text[:300]
        assert stored(client) == before, f"a refused draft ({r.status_code}) changed what is stored: {r.text[:300]}"
        return
    draft = r.json()["draft"]
    if draft is None:  # the same as the current version: nothing drafted
        assert stored(client) == before
        return
    diff = send(client, "GET", f"/v1/drafts/{draft['id']}/diff", errors, params={"format": fmt}, headers=AUTHOR)
    assert diff.status_code == (422 if fmt == "xml" else 200), diff.text[:300]
    gone = send(client, "POST", f"/v1/drafts/{draft['id']}/discard", errors, headers=AUTHOR)
    assert gone.status_code == 200 and gone.json()["status"] == "discarded", gone.text[:300]
    again = send(client, "POST", f"/v1/drafts/{draft['id']}/discard", errors, headers=AUTHOR)
    assert again.status_code in (404, 409), again.text[:300]


DRAFT_IDS = st.one_of(JUNK_TEXT, st.sampled_from(["d-0123456789ab", "..", "%2e%2e", "..%2F..%2Fetc", "d-" + "f" * 200,
                                                  "d-\u0000", "draft.json", "*", "~"]))


@fuzz_settings(BUDGET["draft_ids"])
@given(draft_id=DRAFT_IDS, action=st.sampled_from(["diff", "discard", "get", "publish", "evaluate"]))
def test_fuzz_draft_ids(client, errors, draft_id, action):
    before = stored(client)
    url = "/v1/drafts/" + quote(draft_id.encode("utf-8", "surrogatepass"), safe="")
    url += "" if action == "get" else f"/{action}"
    r = send(client, "GET" if action in ("get", "diff") else "POST", url, errors, headers=AUTHOR)
    assert r.status_code in (307, 404, 405, 409, 422), (url, r.status_code, r.text[:300])
    assert stored(client) == before


# --------------------------------------------------------------------------- MCP


async def _call(url: str, args: dict):
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers=AGENT, timeout=httpx2.Timeout(120.0)) as hc,
        streamable_http_client(url, http_client=hc) as (read, write),
        ClientSession(read, write, read_timeout_seconds=120.0) as session,
    ):
        await session.initialize()
        return await session.call_tool("find_applicable_policies", args, read_timeout_seconds=120.0)


MCP_FIELDS = {"content": TEXT, "language": st.sampled_from(LANGS), "jurisdiction": st.sampled_from(PLACES),
              "at": DATES, "top_k": st.integers(1, 50), "title": TEXT, "hashtags": st.lists(TEXT, max_size=2),
              "signals": st.lists(SIGNAL, max_size=2), "provenance": PROVENANCE,
              "media_type": st.sampled_from(["video", "image", "text"])}


@st.composite
def mcp_arguments(draw) -> dict:
    names = draw(st.lists(st.sampled_from(sorted(MCP_FIELDS)), min_size=1, max_size=4, unique=True))
    if draw(st.integers(0, 3)):
        names = ["content", *names]
    args = {n: draw(MCP_FIELDS[n]) for n in names}
    if draw(st.integers(0, 3)) == 0:
        bad = draw(st.sampled_from(sorted(args)))
        args[bad] = draw(FIELDS[bad][1] if bad in FIELDS else BAD_TEXT)
    if draw(st.integers(0, 5)) == 0:
        args["colour"] = draw(SCALAR)
    return args


def _json_safe(v):
    """What the MCP client can send (it encodes JSON strictly): text that encodes as UTF-8, finite numbers."""
    if isinstance(v, str):
        return v.encode("utf-8", "replace").decode("utf-8")
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return None
    if isinstance(v, list):
        return [_json_safe(x) for x in v]
    if isinstance(v, dict):
        return {_json_safe(k): _json_safe(x) for k, x in v.items()}
    return v


@fuzz_settings(BUDGET["mcp"])
@given(args=mcp_arguments().map(_json_safe))
def test_fuzz_mcp_find_applicable_policies(api, errors, args):
    try:
        res = asyncio.run(asyncio.wait_for(_call(api.url + "/mcp", args), 240))
    except Exception as exc:
        raise AssertionError(f"MCP call failed for {args!r}: {exc!r}\n{errors.take()}") from exc
    assert not errors.records, f"MCP call {args!r}: the server logged\n{errors.take()}"
    event(f"MCP find_applicable_policies -> {'error' if res.is_error else 'ok'}")
    if res.is_error:
        text = res.content[0].text
        assert text.startswith("Error executing tool find_applicable_policies") and len(text) > 50, text
        if "colour" in args:
            assert "colour" in text
    else:
        assert "colour" not in args
        assert res.structured_content and "categories" in res.structured_content


def test_nothing_refused_was_stored_and_the_server_still_answers(client):
    r = client.get("/readyz")
    assert r.status_code == 200, r.text
    assert client.post("/v1/context", json={"text": "Best lasagne ever"}, headers=AGENT).status_code == 200


# --------------------------------------------------------------------------- 5xx the fuzz found (fixed)
# Each answered 500 before it was fixed; now refused with a clear error (the fuzz above draws them too).

IMPOSSIBLE_DATES = ["2026-02-30", "2025-13-45", "0000-01-01", "2026-06-01T25:00:00"]


@pytest.mark.parametrize("url", ["/v1/policies", "/v1/drafts"])
@pytest.mark.parametrize("date", IMPOSSIBLE_DATES)
def test_front_matter_with_an_impossible_date_is_refused(client, errors, url, date):
    doc = NEW_POLICY.replace("effective_from: 2025-01-01", f"effective_from: {date}")
    before = stored(client)
    r = client.post(url, files={"file": ("fz-dates.md", doc.encode(), "text/markdown")}, headers=AUTHOR)
    settle(r)
    errors.records.clear()
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_document", r.text[:300]
    assert stored(client) == before


DEEP_DOCUMENTS = {
    "front_matter": ("fz-deep.md", "---\nid: " + "[" * 5000 + "]" * 5000 + "\n---\n"),
    "yaml": ("fz-deep.yaml", "id: " + "[" * 5000 + "]" * 5000),
    "json": ("fz-deep.json", '{"id": ' + "[" * 5000 + "]" * 5000 + "}"),
}


@pytest.mark.parametrize("kind", sorted(DEEP_DOCUMENTS))
def test_a_document_nested_5000_deep_is_refused(client, errors, kind):
    name, doc = DEEP_DOCUMENTS[kind]
    before = stored(client)
    r = client.post("/v1/policies", files={"file": (name, doc.encode(), "application/octet-stream")}, headers=AUTHOR)
    settle(r)
    errors.records.clear()
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_document", r.text[:300]
    assert stored(client) == before


@pytest.mark.parametrize("url", ["/v1/policies", "/v1/drafts"])
def test_an_upload_request_body_nested_5000_deep_is_malformed_json(client, errors, url):
    before = stored(client)
    body = b'{"filename": "fz.md", "content": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    r = client.post(url, content=body, headers={**AUTHOR, **JSON_TYPE})
    settle(r)
    errors.records.clear()
    assert r.status_code == 422 and r.json()["error"]["code"] == "malformed_json", r.text[:300]
    assert stored(client) == before
