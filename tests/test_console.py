"""The author console (issue 17) in a real headless Chromium (Debian's `chromium`, driven by Playwright).

One server on a copy of the session's corpus data directory and one browser for the module. The first
test walks the whole author story — sign in, upload a revision with one changed rule, the diff with the
changed words highlighted, evaluate, publish on a future date, the history saying "scheduled", the same
content tried at a date before and after, a citation opening the source text, rollback with its diff
shown first. The others: a broken upload names its line and changes nothing; an agent key reads every
page and is refused every write. Screenshots of each step go to `test-artifacts/console/` (ignored by
git) for a reviewer.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import CORPUS
from test_api import AGENT_KEY, AUTHOR_KEY, Running, copy_engine, start_server, stop_server

from policygraph.settings import PROJECT_ROOT

SHOTS = PROJECT_ROOT / "test-artifacts" / "console"
TODAY = dt.date.today()
START = TODAY + dt.timedelta(days=30)
POLICY = "regulated-goods"
RULE = "RG-2.1"
#: the one change of the revision: words added to RG-2.1's text
OLD = "messaging channels, or how to synthesise"
NEW = "messaging channels such as Telegram, or how to synthesise"
#: the broken revision: an unknown rule kind on line 347 of regulated-goods.md
BROKEN_OLD = "{kind: prohibited, severity: critical, actions: [remove, suspend_account, escalate], signals: {drugs: 0.8}}"
BROKEN_NEW = BROKEN_OLD.replace("prohibited", "forbidden")
BROKEN_LINE = 347
TRANSCRIPT = "ok so the white and the green just landed, molly and coke too, message me on telegram, same day drops"
WAIT_MS = 180_000

INSTALL_HINT = ("Chromium is needed for the console's browser tests and was not found on PATH. Install Debian's "
                "package: `apt-get install -y chromium` (bash scripts/setup.sh does it when run as root).")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def chromium() -> str:
    """Session-scoped so that a missing browser fails the tests at once, before the corpus is embedded."""
    exe = shutil.which("chromium")
    if exe is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("playwright is not installed: .venv/bin/pip install -e '.[dev]' (never `playwright install`: "
                    "the tests use Debian's chromium)", pytrace=False)
    return exe


@pytest.fixture(scope="module")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(corpus_engine, embedding_cache_dir, tmp_path_factory) -> Iterator[Running]:
    eng = copy_engine(corpus_engine, tmp_path_factory.mktemp("console") / "data", embedding_cache_dir)
    r = start_server(eng, mcp_path="", max_content_chars=20_000, max_request_bytes=1024 * 1024,
                     max_upload_bytes=12 * 1024 * 1024)
    yield r
    stop_server(r)


class Console:
    """One browser tab on the console: navigation, screenshots, and what the page did wrong."""

    def __init__(self, browser, server: Running, width: int = 1000) -> None:
        self.url = server.url
        self.context = browser.new_context(viewport={"width": width, "height": 800})
        self.page = self.context.new_page()
        self.page.set_default_timeout(WAIT_MS)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("console", lambda m: self.errors.append(f"console.error: {m.text}") if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))

    def shot(self, name: str, full_page: bool = True) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)

    def shot_at(self, selector: str, name: str) -> None:
        """A window-sized screenshot with `selector` at the top."""
        self.page.locator(selector).first.evaluate("e => e.scrollIntoView({block: 'start'})")
        self.shot(name, full_page=False)

    def go(self, hash_: str) -> None:
        self.page.evaluate("h => { location.hash = h; }", hash_)

    def sign_in(self, key: str) -> None:
        self.page.goto(f"{self.url}/console")
        self.page.fill("#key", key)
        self.page.press("#key", "Enter")
        self.page.wait_for_selector("#role")

    def close(self) -> None:
        self.context.close()

    def check_clean(self, expected_errors: int = 0) -> None:
        """No uncaught script error; nothing requested from another origin (no CDN, no network)."""
        foreign = [u for u in self.requests if not u.startswith(self.url) and not u.startswith("data:")]
        assert not foreign, foreign
        uncaught = [e for e in self.errors if e.startswith("uncaught")]
        assert not uncaught, uncaught


def text_of(page, selector: str) -> str:
    return page.locator(selector).first.inner_text()


def api_state(client: httpx.Client) -> dict:
    """What an upload must not change: drafts, the policy's history, the audit log, the policy list."""
    author = {"X-API-Key": AUTHOR_KEY}
    return {
        "drafts": client.get("/v1/drafts", headers=author).json(),
        "history": client.get(f"/v1/policies/{POLICY}/history", headers=author).json(),
        "audit": len(client.get("/v1/audit", headers=author).json()["entries"]),
        "policies": client.get("/v1/policies", headers=author).json(),
    }


# --------------------------------------------------------------------------- the author story


def test_an_author_revises_evaluates_schedules_tries_and_rolls_back(browser, server, tmp_path):
    c = Console(browser, server)
    page = c.page
    try:
        # sign in with an author key
        page.goto(f"{server.url}/console")
        page.wait_for_selector("#sign-in-form")
        c.shot("01-sign-in", full_page=False)
        c.sign_in(AUTHOR_KEY)
        assert "author key" in text_of(page, "#role")

        # the policies: version, status, languages, jurisdictions, rules, dates
        page.wait_for_selector(f"#policies tr[data-policy='{POLICY}']")
        row = text_of(page, f"#policies tr[data-policy='{POLICY}']")
        assert "v5" in row and "GLOBAL" in row and "2026-01-01" in row and "12" in row, row
        assert "ar, de, en, es, hi" in text_of(page, "#policies tr[data-policy='violent-extremism']")
        c.shot("02-policies")

        # one policy: rules per section, per language, relations as links, history, audit
        page.click("text=Violent Extremism")
        page.wait_for_selector("#history")
        page.click(".lang-switch button[data-lang='de']")
        assert page.locator(".lang-switch button[data-lang='de']").get_attribute("aria-pressed") == "true"
        card = page.locator("article[data-rule='VE-1.1']")
        assert card.locator(".text").get_attribute("lang") == "de"
        assert card.locator(".rel a", has_text="VE-4.1").count() == 1  # an exception, as a link
        c.shot("03-policy-rules-de", full_page=False)
        assert page.locator("#audit tbody tr").count() >= 1

        # revise: upload the document with one changed rule → its diff, the added words highlighted
        revised = tmp_path / f"{POLICY}.md"
        text = (CORPUS / f"{POLICY}.md").read_text(encoding="utf-8")
        assert text.count(OLD) == 1
        revised.write_text(text.replace(OLD, NEW), encoding="utf-8")
        page.click("#nav a[data-nav='revise']")
        page.wait_for_selector("#upload-form")
        page.set_input_files("#upload-file", str(revised))
        page.fill("#upload-author", "alice")
        page.click("#upload-submit")
        page.wait_for_selector("#h-diff")
        assert "/draft/" in page.url
        change = page.locator(f".change[data-rule='{RULE}']")
        assert change.count() == 1 and page.locator(".change").count() == 1, "one rule changed"
        assert "text changed" in change.locator("h3").inner_text()
        ins = change.locator(".wdiff[data-lang='en'] ins")
        assert "Telegram" in ins.first.inner_text()
        assert change.locator(".wdiff[data-lang='en'] del").count() == 0  # words were only added
        c.shot("04-diff", full_page=False)
        c.shot("04-diff-full")

        # evaluate: the decisions that would change, on the dev set and the external samples
        page.select_option("#eval-external", "2")
        page.click("#evaluate")
        page.wait_for_selector("#eval-sets")
        sets = {page.locator("#eval-sets tbody tr").nth(i).get_attribute("data-set")
                for i in range(page.locator("#eval-sets tbody tr").count())}
        assert "dev" in sets
        assert {"hatecheck", "multijail"} <= sets or page.locator("#external-missing").count() == 1, sets
        assert page.locator("#eval-changes, #eval-none").count() == 1
        c.shot_at("#h-eval", "05-evaluate")

        # publish on a future date
        page.check("#when-date")
        page.fill("#publish-date", START.isoformat())
        page.fill("#publish-author", "alice")
        page.click("#publish")
        page.wait_for_selector("#published")
        done = text_of(page, "#published")
        assert "v6" in done and "scheduled" in done and START.isoformat() in done, done
        c.shot("06-published-scheduled", full_page=False)

        # the history says scheduled; today still serves version 5
        page.click("#to-history")
        page.wait_for_selector("#history tr[data-version='6']")
        assert "scheduled" in text_of(page, "#history tr[data-version='6']")
        assert "in force" in text_of(page, "#history tr[data-version='5']")
        assert "alice" in text_of(page, "#history tr[data-version='6']")
        assert "publish" in text_of(page, "#audit")
        c.shot_at("#h-history", "07-history-scheduled")

        # try it: the same video the day before and the day the revision starts
        def decide(day: dt.date) -> None:
            page.fill("#try-at", day.isoformat())
            page.click("#try-submit")
            page.wait_for_selector(f"#decision-at:text-is('{day.isoformat()}')")

        page.click("#nav a[data-nav='try']")
        page.wait_for_selector("#try-form")
        page.fill("#try-text", "")
        page.click("#try-form summary")
        page.fill("#try-title", "Sunday arepas")
        page.fill("#try-transcript", TRANSCRIPT)
        page.fill("#try-jurisdiction", "GB")
        decide(START - dt.timedelta(days=1))
        hit = page.locator(f".hit[data-rule='{RULE}']")
        assert hit.get_attribute("data-version") == "5"
        assert "Telegram" not in hit.locator(".rule-text").text_content()
        # the evidence names the field and the span that triggered the rule, highlighted in the content
        term = hit.locator(".evidence li[data-signal='term']", has_text="in transcript")
        assert term.locator("mark").first.inner_text() == "molly"
        assert "molly" in TRANSCRIPT
        assert page.locator("#graph .node.rule").count() >= 1
        assert page.locator("#trace").count() == 1
        c.shot("08-try-before", full_page=False)

        decide(START)
        hit = page.locator(f".hit[data-rule='{RULE}']")
        assert hit.get_attribute("data-version") == "6"
        assert "Telegram" in hit.locator(".rule-text").text_content()
        c.shot("09-try-after", full_page=False)
        c.shot_at("#h-hits", "09-try-after-evidence")

        # a citation opens the source text of version 6 (kept by the console at upload), span highlighted
        hit.locator("a.citation").first.click()
        page.wait_for_selector("mark#cited")
        assert "Telegram" in text_of(page, "mark#cited")
        c.shot("10-citation-source", full_page=False)

        # rollback to version 5: its diff first, then the rollback; version 6 is then never in force
        c.go(f"#/policy/{POLICY}")
        page.wait_for_selector("#history button[data-rollback='5']")
        page.click("#history button[data-rollback='5']")
        page.wait_for_selector("#rollback-panel")
        preview = page.locator(f"#rollback-panel .change[data-rule='{RULE}']")
        assert "Telegram" in preview.locator("del").first.inner_text()
        c.shot_at("#rollback-panel", "11-rollback-preview")
        page.click("#confirm-rollback")
        page.wait_for_selector("#history tr[data-version='7']")
        assert "in force" in text_of(page, "#history tr[data-version='7']")
        assert "rollback to version 5" in text_of(page, "#history tr[data-version='7']")
        assert "never in force" in text_of(page, "#history tr[data-version='6']")
        c.shot_at("#h-history", "12-rolled-back")

        with server.client() as http:
            rule = http.get(f"/v1/rules/{RULE}", params={"at": START.isoformat()}, headers={"X-API-Key": AGENT_KEY}).json()
            assert rule["version"] == 7 and "Telegram" not in rule["text"]
        c.check_clean()
    finally:
        c.close()


def test_a_broken_upload_shows_its_line_and_changes_nothing(browser, server, tmp_path):
    c = Console(browser, server)
    page = c.page
    try:
        broken = tmp_path / f"{POLICY}.md"
        text = (CORPUS / f"{POLICY}.md").read_text(encoding="utf-8")
        assert text.count(BROKEN_OLD) == 1
        broken.write_text(text.replace(BROKEN_OLD, BROKEN_NEW), encoding="utf-8")
        with server.client() as http:
            before = api_state(http)
            c.sign_in(AUTHOR_KEY)
            c.go("#/revise")
            page.wait_for_selector("#upload-form")
            page.set_input_files("#upload-file", str(broken))
            page.click("#upload-submit")
            page.wait_for_selector("#upload-error .error")
            assert text_of(page, "#upload-error .error-line") == str(BROKEN_LINE)
            assert text_of(page, "#upload-error .error-file") == f"{POLICY}.md"
            assert "kind must be one of" in text_of(page, "#upload-error .error-problem")
            assert "nothing was stored" in text_of(page, "#upload-error")
            assert page.locator("#upload-submit").is_enabled() and page.url.endswith("#/revise")
            c.shot("13-broken-upload", full_page=False)
            assert api_state(http) == before
        c.check_clean()
    finally:
        c.close()


def test_an_author_edits_a_rule_in_place_sees_decisions_change_and_discards(browser, server):
    """Edit in place: one rule's text in the page → a draft with its word diff, discarded with the button.
    Then a revision that does change decisions (RG-2.1 for Germany only): the evaluation lists them,
    before → after."""
    author = {"X-API-Key": AUTHOR_KEY}
    c = Console(browser, server)
    page = c.page
    try:
        with server.client() as http:
            history = http.get(f"/v1/policies/{POLICY}/history", headers=author).json()
        c.sign_in(AUTHOR_KEY)
        c.go(f"#/policy/{POLICY}?rule={RULE}")
        page.click(f"button[data-edit='{RULE}']")
        area = page.locator(f"[id='edit-{RULE}']")
        area.wait_for()
        before = area.input_value()
        assert before.startswith("We remove content that offers") and "darknet markets" in before
        area.fill(before.replace("darknet markets", "darknet markets and encrypted apps"))
        c.shot_at(f"article[data-rule='{RULE}']", "16-edit-in-place")
        page.click(f"form[aria-label='Edit {RULE}'] button[type=submit]")
        page.wait_for_selector("#h-diff")
        change = page.locator(f".change[data-rule='{RULE}']")
        assert page.locator(".change").count() == 1
        assert "and encrypted apps" in change.locator(".wdiff[data-lang='en'] ins").first.inner_text()
        page.click("#discard")
        page.wait_for_selector("#discarded")

        # a revision that changes decisions: RG-2.1 for Germany only
        text = (CORPUS / f"{POLICY}.md").read_text(encoding="utf-8")
        meta = "actions: [remove, suspend_account, escalate], signals: {drugs: 0.8}}"
        with server.client() as http:
            r = http.post("/v1/drafts", headers=author, json={"filename": f"{POLICY}.md", "content": text.replace(
                meta, meta.replace("signals:", "jurisdictions: [DE], signals:"), 1)})
            assert r.status_code == 201, r.text
            draft_id = r.json()["draft"]["id"]
        c.go(f"#/draft/{draft_id}")
        page.wait_for_selector("#evaluate")
        assert "jurisdictions" in text_of(page, f".change[data-rule='{RULE}'] .meta")
        page.select_option("#eval-external", "0")
        page.click("#evaluate")
        page.wait_for_selector("#eval-changes")
        rows = page.locator("#eval-changes tbody tr")
        assert rows.count() >= 1
        removed = page.locator("#eval-changes tbody td[data-label='Before'] del", has_text=f"{RULE}:")
        assert removed.count() >= 1, "content that got RG-2.1 does not any more"
        assert page.locator("#eval-sets tr[data-set='dev'] td").nth(2).inner_text() == str(rows.count())
        c.shot_at("#h-eval", "17-evaluate-changes")
        page.click("#discard")
        page.wait_for_selector("#discarded")
        c.check_clean()
        with server.client() as http:
            # in place, in a policy with translation files: they are drafted with it, only English changes
            doc = http.get("/console/api/policies/violent-extremism/document", headers=author).json()
            src = http.get("/console/api/policies/violent-extremism/source", headers=author,
                           params={"version": doc["version"]}).json()["text"]
            span = next(r["span"] for s in doc["document"]["sections"] for r in s["rules"] if r["id"] == "VE-1.1")
            body = src[span["start"]:span["end"]].replace("praises,", "praises or glorifies,", 1)
            r = http.post("/console/api/policies/violent-extremism/rules/VE-1.1/draft", headers=author,
                          json={"text": body, "base_version": doc["version"]})
            assert r.status_code == 201, r.text
            [ch] = r.json()["diff"]["changes"]
            assert ch["rule_id"] == "VE-1.1" and ch["languages_changed"] == ["en"], ch
            assert http.post(f"/v1/drafts/{r.json()['draft']['id']}/discard", headers=author).status_code == 200
            stale = http.post("/console/api/policies/violent-extremism/rules/VE-1.1/draft", headers=author,
                              json={"text": body, "base_version": doc["version"] - 1})
            assert stale.status_code == 409 and "reload" in stale.json()["error"]["message"]
            assert http.get("/v1/drafts", params={"status": "pending"}, headers=author).json()["count"] == 0
            assert http.get(f"/v1/policies/{POLICY}/history", headers=author).json() == history
    finally:
        c.close()


def test_an_agent_key_reads_every_page_and_is_refused_every_write(browser, server):
    author, agent = {"X-API-Key": AUTHOR_KEY}, {"X-API-Key": AGENT_KEY}
    with server.client() as http:  # a pending draft for the agent to look at
        text = (CORPUS / "privacy-personal-data.md").read_text(encoding="utf-8")
        r = http.post("/v1/drafts", headers=author, json={
            "filename": "privacy-personal-data.md",
            "content": text.replace("### PR-1.2 Identity documents", "### PR-1.2 Identity papers", 1)})
        assert r.status_code == 201, r.text
        draft_id = r.json()["draft"]["id"]

    c = Console(browser, server)
    page = c.page
    try:
        # keyboard: the first Tab reaches the skip link, which moves focus to the content
        page.goto(f"{server.url}/console")
        page.wait_for_selector("#sign-in-form")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "key"
        page.keyboard.type(AGENT_KEY)
        page.keyboard.press("Enter")
        page.wait_for_selector("#role")
        assert "read-only" in text_of(page, "#role")

        # reading works; the history's rollback buttons are refused with a visible reason
        page.wait_for_selector("#policies")
        c.go(f"#/policy/{POLICY}")
        page.wait_for_selector("#history")
        rollback = page.locator("#history button[data-rollback]").first
        assert rollback.is_disabled()
        reason = page.locator(f"#{rollback.get_attribute('aria-describedby')}")
        assert reason.is_visible() and "agent role" in reason.inner_text()
        assert page.locator("#audit-refused").is_visible()
        assert page.locator("button[data-edit]").first.is_disabled()

        # the upload form is disabled, the draft's publish button refused with the reason shown
        c.go("#/revise")
        page.wait_for_selector("#upload-form")
        assert page.locator("#upload-submit").is_disabled() and page.locator("#upload-file").is_disabled()
        c.go(f"#/draft/{draft_id}")
        page.wait_for_selector("#publish-panel")
        publish = page.locator("#publish")
        assert publish.is_disabled()
        why = page.locator(f"#{publish.get_attribute('aria-describedby')}")
        assert why.is_visible() and "need an author or admin key" in why.inner_text()
        assert "403" in text_of(page, ".error")
        c.shot("14-agent-publish-refused", full_page=False)

        # a narrow window: one column, tables as cards
        page.set_viewport_size({"width": 600, "height": 900})
        c.go("#/policies")
        page.wait_for_selector("#policies")
        assert page.evaluate("getComputedStyle(document.querySelector('#policies tbody tr')).display") == "block"
        c.shot("15-narrow-policies", full_page=False)
        c.check_clean()
    finally:
        c.close()

    # the server refuses too, whatever the page shows: nothing was published or discarded
    with server.client() as http:
        assert http.post(f"/console/api/drafts/{draft_id}/publish", headers=agent).status_code == 403
        assert http.post(f"/v1/drafts/{draft_id}/publish", headers=agent).status_code == 403
        assert http.post(f"/v1/drafts/{draft_id}/discard", headers=agent).status_code == 403
        assert http.get(f"/v1/drafts/{draft_id}", headers=author).json()["status"] == "pending"
        assert http.post(f"/v1/drafts/{draft_id}/discard", headers=author).status_code == 200


def test_the_page_and_its_files_ship_in_the_package_and_load_nothing_from_elsewhere(server):
    """No key needed to load the page; a content security policy keeps it to this server."""
    with server.client() as http:
        r = http.get("/console")
        assert r.status_code == 200 and "text/html" in r.headers["content-type"]
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
        for name in ("console.js", "console.css", "icon.svg"):
            f = http.get(f"/console/static/{name}")
            assert f.status_code == 200, name
            assert f.content == (Path(PROJECT_ROOT) / "policygraph/api/console/static" / name).read_bytes()
        assert http.get("/console/static/../routes.py").status_code == 404
        assert http.get("/console/static/nothing.js").status_code == 404
        assert "http://" not in r.text.replace(server.url, "") and "https://" not in r.text
        # only the text of a drafted or stored document is kept
        kept = http.post("/console/api/sources", headers={"X-API-Key": AUTHOR_KEY},
                         json={"filename": "x.md", "content": "---\nnot drafted\n"})
        assert kept.status_code == 409 and kept.json()["error"]["code"] == "conflict"
        # the console's JSON routes need a key like the rest of the API
        assert http.get("/console/api/policies").status_code == 401
        assert http.get("/console/api/policies", headers={"X-API-Key": AGENT_KEY}).status_code == 200


def test_word_diffs_mark_words_not_the_spaces_around_them():
    from policygraph.api.console.routes import segments

    def show(a: str, b: str) -> str:
        return "".join(x.text if x.op == "equal" else f"[{x.op[0]}:{x.text}]" for x in segments(a, b))

    assert show("channels, or how", "channels such as Telegram, or how") == "channels [i:such as Telegram], or how"
    assert show("the red fox", "the blue  fox") == "the [d:red][i:blue] fox"
    assert show("same\ntext", "same text") == "same text"
    assert show("", "new rule") == "[i:new rule]"
