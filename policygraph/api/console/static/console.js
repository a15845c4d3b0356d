/* PolicyGraph author console (docs/console.md). Hand-written, no dependencies, no build step.
 *
 * Every text that comes from the server or the user goes into the page as a text node
 * (textContent / createTextNode), never as HTML. The API key lives in sessionStorage and is sent as
 * X-API-Key on every request to this server; nothing else is contacted.
 */
"use strict";
(() => {
  const KEY_STORE = "policygraph.console.key";
  const RO_REASON = "Read-only: this key has the agent role. Uploading, publishing, discarding and rolling back need an author or admin key.";
  const RTL = new Set(["ar", "he", "fa", "ur", "ps", "yi"]);
  const state = { key: null, role: null, routeToken: 0, reasonSeq: 0, navigated: false, tryValues: null, lastDecision: null };

  // ------------------------------------------------------------------ DOM helpers
  function append(el, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      el.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return el;
  }
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    return append(el, kids);
  }
  const SVG_NS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, ...kids) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      el.setAttribute(k, String(v));
    }
    return append(el, kids);
  }
  const $ = (sel, root) => (root || document).querySelector(sel);
  const enc = encodeURIComponent;
  const td = (label, ...kids) => h("td", { "data-label": label }, ...kids);
  const badge = (text, cls) => h("span", { class: "badge " + (cls || text) }, String(text).replace(/_/g, " "));
  const fmtDate = (d) => d || "—";
  const period = (from, to) => `${from || "the start"} → ${to || "open"}`;
  function short(text, n) {
    const t = String(text || "").replace(/\s+/g, " ").trim();
    return t.length > n ? t.slice(0, n - 1) + "…" : t;
  }
  function announce(text) {
    state.announced = Date.now();
    const st = $("#status");
    st.textContent = "";
    window.setTimeout(() => { st.textContent = text; }, 30);
  }
  function todayIso() {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
  function langAttrs(lang) {
    return { lang: lang || null, dir: RTL.has(lang) ? "rtl" : null };
  }

  // ------------------------------------------------------------------ API
  class ApiFailure extends Error {
    constructor(status, error) {
      super((error && error.message) || `HTTP ${status}`);
      this.status = status;
      this.error = error || {};
    }
  }
  async function api(method, path, opts) {
    opts = opts || {};
    const headers = {};
    if (state.key) headers["X-API-Key"] = state.key;
    let body;
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      body = opts.form;
    }
    let url = path;
    if (opts.query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(opts.query)) if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
      const qs = q.toString();
      if (qs) url += "?" + qs;
    }
    let r;
    try {
      r = await fetch(url, { method, headers, body, cache: "no-store", credentials: "omit" });
    } catch (e) {
      throw new ApiFailure(0, { code: "network", message: "the server did not answer: " + e.message });
    }
    const ct = r.headers.get("content-type") || "";
    const data = ct.includes("json") ? await r.json().catch(() => null) : await r.text();
    if (!r.ok) {
      const err = data && data.error ? data.error
        : { code: `http_${r.status}`, message: typeof data === "string" && data ? short(data, 300) : `HTTP ${r.status}` };
      throw new ApiFailure(r.status, err);
    }
    return data;
  }

  function errorBox(err, context) {
    const e = err instanceof ApiFailure ? err.error : { code: "error", message: String((err && err.message) || err) };
    const facts = [];
    if (e.file) facts.push(["File", e.file]);
    if (e.line) facts.push(["Line", String(e.line)]);
    if (e.problem) facts.push(["Problem", e.problem]);
    if (e.field && !e.file) facts.push(["Field", e.field]);
    facts.push(["Code", `${e.code || "error"}${err && err.status ? ` (HTTP ${err.status})` : ""}`]);
    const box = h("div", { class: "error", role: "alert" },
      h("p", { class: "error-title" }, context ? `${context}: ` : "", h("strong", {}, e.message || e.code)),
      h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", { class: "error-" + k.toLowerCase() }, v)])));
    if (e.errors && e.errors.length > 1) {
      box.append(h("ul", {}, e.errors.map((x) => h("li", {}, `${x.field || "body"}: ${x.message}`))));
    }
    return box;
  }

  // ------------------------------------------------------------------ roles
  const canWrite = () => state.role === "author";
  /** A write control: disabled with a visible reason for a read-only key. */
  function guarded(button) {
    if (canWrite()) return button;
    const id = `ro-reason-${++state.reasonSeq}`;
    button.disabled = true;
    button.setAttribute("aria-describedby", id);
    button.classList.add("read-only");
    return h("span", { class: "guarded" }, button, h("p", { class: "reason", id }, RO_REASON));
  }
  function busy(button, on, label) {
    if (!button) return;
    if (on) {
      button.dataset.label = button.textContent;
      button.disabled = true;
      if (label) button.textContent = label;
      button.setAttribute("aria-busy", "true");
    } else {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
      button.removeAttribute("aria-busy");
    }
  }

  async function detectRole(key) {
    state.key = key;
    try {
      await api("GET", "/v1/policies");
    } catch (e) {
      state.key = null;
      throw e;
    }
    try {
      await api("GET", "/v1/drafts", { query: { status: "pending" } });
      state.role = "author";
    } catch (e) {
      if (e.status !== 403) throw e;
      state.role = "agent";
    }
    sessionStorage.setItem(KEY_STORE, key);
  }

  function signOut() {
    sessionStorage.removeItem(KEY_STORE);
    state.key = null;
    state.role = null;
    announce("Signed out.");
    location.hash = "#/policies";
    route();
  }

  function renderWho() {
    const who = $("#who");
    if (!state.role) {
      who.replaceChildren(h("span", { class: "muted" }, "Not signed in"));
      return;
    }
    who.replaceChildren(
      h("span", { id: "role" }, "Signed in: ",
        state.role === "author" ? h("strong", {}, "author key") : h("strong", {}, "agent key (read-only)")),
      h("button", { type: "button", class: "secondary", id: "sign-out", onclick: signOut }, "Sign out"));
  }

  function signInView() {
    document.title = "Sign in — PolicyGraph console";
    const err = h("div", { id: "sign-in-error", "aria-live": "assertive" });
    const input = h("input", { type: "password", id: "key", name: "key", autocomplete: "off", required: true, spellcheck: "false" });
    const submit = h("button", { type: "submit", id: "sign-in" }, "Sign in");
    const form = h("form", { class: "panel", id: "sign-in-form", novalidate: true },
      h("h2", { tabindex: "-1" }, "Sign in"),
      h("p", {}, "Enter an API key. An author or admin key may upload, publish and roll back; an agent key sees the same pages read-only."),
      h("label", { for: "key" }, "API key"), input,
      h("div", { class: "actions" }, submit), err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.replaceChildren();
      const key = input.value.trim();
      if (!key) {
        err.append(errorBox({ message: "enter a key" }));
        input.focus();
        return;
      }
      busy(submit, true, "Signing in…");
      try {
        await detectRole(key);
        announce(state.role === "author" ? "Signed in with an author key." : "Signed in with an agent key: read-only.");
        if (!location.hash.startsWith("#/")) location.hash = "#/policies";
        await route();
      } catch (e) {
        err.append(errorBox(e, "Sign-in refused"));
        input.focus();
      } finally {
        busy(submit, false);
      }
    });
    return form;
  }

  // ------------------------------------------------------------------ routing
  const routes = [
    [/^#\/policies$/, (m) => viewPolicies()],
    [/^#\/policy\/([^/?]+)(?:\?(.*))?$/, (m) => viewPolicy(decodeURIComponent(m[1]), new URLSearchParams(m[2] || ""))],
    [/^#\/rule\/([^/?]+)(?:\?(.*))?$/, (m) => viewRule(decodeURIComponent(m[1]), new URLSearchParams(m[2] || ""))],
    [/^#\/revise$/, () => viewRevise()],
    [/^#\/draft\/([^/?]+)$/, (m) => viewDraft(decodeURIComponent(m[1]))],
    [/^#\/try$/, () => viewTry()],
    [/^#\/source\/([^/?]+)\/(\d+)(?:\?(.*))?$/, (m) => viewSource(decodeURIComponent(m[1]), Number(m[2]), new URLSearchParams(m[3] || ""))],
  ];

  function markNav(hash) {
    const section = hash.startsWith("#/try") ? "try" : (hash.startsWith("#/revise") || hash.startsWith("#/draft")) ? "revise" : "policies";
    for (const a of document.querySelectorAll("#nav a")) {
      if (a.dataset.nav === section) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
  }

  async function route() {
    let hash = location.hash || "#/policies";
    if (!hash.startsWith("#/")) hash = "#/policies";
    renderWho();
    if (Date.now() - (state.announced || 0) > 1500) $("#status").textContent = "";
    const main = $("#main");
    const token = ++state.routeToken;
    if (!state.role) {
      main.replaceChildren(signInView());
      main.dataset.view = "sign-in";
      return;
    }
    markNav(hash);
    for (const [re, fn] of routes) {
      const m = hash.match(re);
      if (!m) continue;
      main.setAttribute("aria-busy", "true");
      main.replaceChildren(h("p", { class: "loading" }, "Loading…"));
      let view;
      try {
        view = await fn(m);
      } catch (e) {
        view = h("section", {}, h("h2", { tabindex: "-1" }, "Could not load this page"), errorBox(e));
      }
      if (token !== state.routeToken) return;
      main.replaceChildren(view);
      main.removeAttribute("aria-busy");
      main.dataset.view = hash.split(/[/?]/)[1] || "";
      if (state.navigated) {
        const head = $("h2", main);
        if (head) head.focus({ preventScroll: false });
      }
      state.navigated = true;
      const target = main.querySelector(".focus-target");
      if (target) {
        target.scrollIntoView({ block: "center" });
        target.focus({ preventScroll: true });
      }
      return;
    }
    main.replaceChildren(h("h2", { tabindex: "-1" }, "Not found"),
      h("p", {}, "No such page. ", h("a", { href: "#/policies" }, "Back to the policies")));
  }

  // ------------------------------------------------------------------ policies
  async function viewPolicies() {
    document.title = "Policies — PolicyGraph console";
    const data = await api("GET", "/console/api/policies");
    const rows = data.policies.map((p) => h("tr", { "data-policy": p.policy_id },
      td("Policy", h("a", { href: `#/policy/${enc(p.policy_id)}` }, p.title), h("div", { class: "muted mono" }, p.policy_id)),
      td("In force", p.in_force_version ? `v${p.in_force_version}` : "none", " ", badge(p.status, p.status)),
      td("Scheduled", p.scheduled.length ? p.scheduled.map((x) => `v${x.version} from ${x.effective_from}`).join(", ") : "—"),
      td("Effective", period(p.effective_from, p.effective_to)),
      td("Languages", p.languages.join(", ")),
      td("Jurisdictions", p.jurisdictions.join(", "),
        p.rule_jurisdictions.length ? h("div", { class: "muted" }, "rules for " + p.rule_jurisdictions.join(", ")) : null),
      td("Rules", h("span", { class: "num" }, String(p.rules)))));
    return h("section", { "aria-labelledby": "h-policies" },
      h("h2", { id: "h-policies", tabindex: "-1" }, "Policies"),
      h("p", { class: "muted" }, `${data.count} policies stored. The version in force is the one the moderation agent gets today; a scheduled version serves from its date.`),
      h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "policies" },
        h("caption", { class: "sr-only" }, "Stored policies"),
        h("thead", {}, h("tr", {}, ["Policy", "In force", "Scheduled", "Effective", "Languages", "Jurisdictions", "Rules"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows))));
  }

  function ruleLink(policyId, ruleId, docRules) {
    if (docRules && docRules.has(ruleId)) return h("a", { href: `#/policy/${enc(policyId)}?rule=${enc(ruleId)}` }, ruleId);
    return h("a", { href: `#/rule/${enc(ruleId)}` }, ruleId);
  }

  function sourceHref(policyId, version, document, span) {
    const q = new URLSearchParams();
    if (document) q.set("document", document);
    if (span) {
      q.set("start", span.start);
      q.set("end", span.end);
      q.set("line", span.line);
    }
    return `#/source/${enc(policyId)}/${version}?${q.toString()}`;
  }

  async function viewPolicy(policyId, params) {
    const version = params.get("version");
    const [view, hist, audit] = await Promise.all([
      api("GET", `/console/api/policies/${enc(policyId)}/document`, { query: { version } }),
      api("GET", `/v1/policies/${enc(policyId)}/history`),
      api("GET", "/v1/audit", { query: { policy_id: policyId, limit: 50 } }).catch((e) => e),
    ]);
    const doc = view.document;
    document.title = `${doc.title} v${doc.version} — PolicyGraph console`;
    const states = Object.fromEntries(hist.versions.map((v) => [v.version, v]));
    const mine = states[doc.version];
    const ruleIds = new Set(doc.sections.flatMap((sec) => sec.rules.map((r) => r.id)));
    const focusRule = params.get("rule");
    let lang = params.get("lang") || doc.language;
    if (!doc.languages.includes(lang)) lang = doc.language;

    const head = h("section", { "aria-labelledby": "h-policy" },
      h("h2", { id: "h-policy", tabindex: "-1" }, `${doc.title} `, h("span", { class: "muted" }, `v${doc.version}`), " ",
        mine ? badge(mine.state) : null),
      view.in_force_version !== doc.version
        ? h("p", { class: "note" }, `You are reading version ${doc.version}. `,
          view.in_force_version ? h("a", { href: `#/policy/${enc(policyId)}` }, `Version ${view.in_force_version} is in force today.`) : "No version is in force today.")
        : null,
      h("dl", { class: "facts" },
        h("dt", {}, "Policy id"), h("dd", { class: "mono" }, doc.id),
        h("dt", {}, "Category"), h("dd", {}, doc.category),
        h("dt", {}, "In force"), h("dd", {}, mine ? period(mine.effective_from, mine.effective_to) : period(doc.effective_from, doc.effective_to)),
        h("dt", {}, "Languages"), h("dd", {}, doc.languages.join(", ")),
        h("dt", {}, "Jurisdictions"), h("dd", {}, doc.jurisdictions.join(", ")),
        h("dt", {}, "Source"), h("dd", {}, view.source_kept
          ? h("a", { href: sourceHref(policyId, doc.version, doc.source.path) }, doc.source.path)
          : h("span", {}, doc.source.path, h("span", { class: "muted" }, " (text not kept here)")))));

    // rules, per section, in one language at a time
    const rulesBox = h("div", { id: "rules" });
    const switcher = h("div", { class: "lang-switch", role: "group", "aria-label": "Language of the rule texts" });
    function renderRules() {
      for (const b of switcher.querySelectorAll("button")) b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
      rulesBox.replaceChildren(...doc.sections.map((sec) => h("section", { class: "panel", "aria-label": sec.title },
        h("h3", langAttrs(sec.titles[lang] ? lang : doc.language), sec.titles[lang] || sec.title),
        sec.rules.length ? sec.rules.map((r) => ruleCard(r)) : h("p", { class: "muted" }, "No rules in this section."))));
    }
    for (const lg of doc.languages) {
      switcher.append(h("button", { type: "button", "data-lang": lg, "aria-pressed": "false", onclick: () => { lang = lg; renderRules(); announce(`Rules shown in ${lg}.`); } }, lg));
    }
    function relations(r) {
      const inc = view.incoming[r.id] || { exceptions: [], overridden_by: [], referenced_by: [] };
      const items = [
        ["Exception to", r.exception_to.map((x) => ruleLink(policyId, x, ruleIds))],
        ["Overrides", r.overrides.map((x) => ruleLink(policyId, x, ruleIds))],
        ["Refers to", r.refers_to.map((x) => ruleLink(policyId, x, ruleIds))],
        ["Exceptions", inc.exceptions.map((x) => x.policy_id === policyId ? ruleLink(policyId, x.rule_id, ruleIds) : ruleLink(x.policy_id, x.rule_id))],
        ["Overridden by", inc.overridden_by.map((x) => x.policy_id === policyId ? ruleLink(policyId, x.rule_id, ruleIds) : ruleLink(x.policy_id, x.rule_id))],
        ["Referenced by", inc.referenced_by.map((x) => x.policy_id === policyId ? ruleLink(policyId, x.rule_id, ruleIds) : ruleLink(x.policy_id, x.rule_id))],
        ["Signals", (r.signals || []).map((m) => `${m.label} ≥ ${m.min_score}${m.applies ? " (applies)" : ""}`)],
      ].filter(([, v]) => v.length);
      if (!items.length) return null;
      return h("div", { class: "rel" }, items.map(([k, v]) => h("span", {}, h("span", { class: "k" }, k + ": "), v.map((x, i) => [i ? ", " : "", x]))));
    }
    function ruleCard(r) {
      const has = Object.prototype.hasOwnProperty.call(r.text, lang);
      const shown = has ? lang : r.language;
      const title = (r.titles && r.titles[shown]) || r.title;
      const tsrc = shown === r.language ? { document: doc.source.path, span: r.span } : (r.translation_sources || {})[shown];
      const editBox = h("div", { class: "edit-box" });
      const card = h("article", { class: "rule" + (focusRule === r.id ? " focus focus-target" : ""), id: `rule-${r.id}`, tabindex: focusRule === r.id ? "-1" : null, "data-rule": r.id },
        h("h4", {}, h("span", { class: "mono" }, r.id), " ", h("span", langAttrs(shown), title)),
        h("div", {}, badge(r.kind, "kind"), badge(r.severity, "severity"), r.actions.length ? h("span", { class: "muted" }, "actions: " + r.actions.join(", ") + " · ") : null,
          h("span", { class: "muted" }, "jurisdictions: " + r.jurisdictions.join(", "))),
        has ? null : h("p", { class: "note" }, `No ${lang} text for this rule; showing ${r.language}.`),
        h("p", Object.assign({ class: "text" }, langAttrs(shown)), r.text[shown]),
        relations(r),
        h("div", { class: "actions" },
          tsrc && tsrc.span && (view.source_kept || shown !== r.language)
            ? h("a", { href: sourceHref(policyId, doc.version, tsrc.document, tsrc.span) }, `Open in the source (line ${tsrc.span.line})`) : null,
          doc.version === view.newest_version && r.span && view.source_kept
            ? guarded(h("button", { type: "button", class: "secondary", "data-edit": r.id, onclick: () => openEditor(r, editBox) }, `Edit ${r.id} in place`))
            : null),
        editBox);
      return card;
    }
    async function openEditor(r, box) {
      box.replaceChildren(h("p", { class: "loading" }, "Loading the source text…"));
      let src;
      try {
        src = await api("GET", `/console/api/policies/${enc(policyId)}/source`, { query: { version: doc.version } });
      } catch (e) {
        box.replaceChildren(errorBox(e, "The source text cannot be opened"));
        return;
      }
      const cps = Array.from(src.text);
      const current = cps.slice(r.span.start, r.span.end).join("");
      const id = `edit-${r.id}`;
      const area = h("textarea", { id, class: "code", rows: "8", lang: r.language }, current);
      const eff = h("input", { type: "date", id: `${id}-from`, min: todayIso() });
      const err = h("div", { "aria-live": "assertive" });
      const submit = h("button", { type: "submit" }, "Draft this edit and show the diff");
      const form = h("form", { class: "panel", "aria-label": `Edit ${r.id}` },
        h("label", { for: id }, `Text of ${r.id} (${r.language}) `, h("span", { class: "hint" }, `— lines ${r.span.line}… of ${doc.source.path}; the heading and metadata stay as they are`)),
        area,
        h("label", { for: `${id}-from` }, "Effective from ", h("span", { class: "hint" }, "(optional; empty: from the moment it is published)")), eff,
        h("div", { class: "actions" }, submit, h("button", { type: "button", class: "secondary", onclick: () => box.replaceChildren() }, "Cancel")),
        err);
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        err.replaceChildren();
        busy(submit, true, "Drafting…");
        try {
          const res = await api("POST", `/console/api/policies/${enc(policyId)}/rules/${enc(r.id)}/draft`,
            { json: { text: area.value, base_version: doc.version, effective_from: eff.value || null } });
          if (!res.stored) {
            err.append(h("p", { class: "note" }, "No change: the text is the same as the current version."));
            return;
          }
          announce(`Draft ${res.draft.id} created.`);
          location.hash = `#/draft/${enc(res.draft.id)}`;
        } catch (e) {
          err.append(errorBox(e, "The edit was refused; nothing was drafted"));
        } finally {
          busy(submit, false);
        }
      });
      box.replaceChildren(form);
      area.focus();
    }

    renderRules();
    const rulesSection = h("section", { "aria-labelledby": "h-rules" },
      h("h3", { id: "h-rules" }, `Rules (${ruleIds.size})`),
      h("p", { class: "muted", id: "lang-hint" }, "Language of the texts:"), switcher, rulesBox);

    return h("div", {}, head, rulesSection, historySection(policyId, hist), auditSection(audit));
  }

  function historySection(policyId, hist) {
    const newest = Math.max(...hist.versions.map((v) => v.version));
    const preview = h("div", { id: "rollback-preview", "aria-live": "polite" });
    const rows = hist.versions.slice().reverse().map((v) => h("tr", { "data-version": v.version },
      td("Version", h("a", { href: `#/policy/${enc(policyId)}?version=${v.version}` }, `v${v.version}`)),
      td("State", badge(v.state)),
      td("In force", period(v.effective_from, v.effective_to)),
      td("Rules", String(v.rules)),
      td("Published", v.published_at ? v.published_at.replace("T", " ").slice(0, 19) : "—"),
      td("By", v.published_by || "—"),
      td("Note", v.note || ""),
      td("Roll back", v.version === newest ? h("span", { class: "muted" }, "newest")
        : guarded(h("button", { type: "button", class: "secondary", "data-rollback": v.version,
          onclick: (ev) => showRollback(policyId, v.version, newest, preview, ev.currentTarget) }, `Roll back to v${v.version}…`)))));
    return h("section", { class: "panel", "aria-labelledby": "h-history" },
      h("h3", { id: "h-history" }, "History"),
      h("p", { class: "muted" }, "Every version with its period in force and who published it. Nothing is ever deleted: a rollback publishes an earlier text again as a new version."),
      h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "history" },
        h("thead", {}, h("tr", {}, ["Version", "State", "In force", "Rules", "Published", "By", "Note", "Roll back"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, rows))),
      preview);
  }

  async function showRollback(policyId, version, newest, box, button) {
    box.replaceChildren(h("p", { class: "loading" }, "Computing what the rollback would change…"));
    busy(button, true);
    let cmp;
    try {
      cmp = await api("GET", `/console/api/policies/${enc(policyId)}/compare`, { query: { to_version: version } });
    } catch (e) {
      box.replaceChildren(errorBox(e, "The rollback preview failed"));
      return;
    } finally {
      busy(button, false);
    }
    const err = h("div", { "aria-live": "assertive" });
    const confirm = h("button", { type: "button", id: "confirm-rollback", class: "danger" }, `Roll back: publish v${version}'s text as v${newest + 1}, in force today`);
    const cancel = h("button", { type: "button", class: "secondary", onclick: () => { box.replaceChildren(); button.focus(); } }, "Cancel");
    confirm.addEventListener("click", async () => {
      err.replaceChildren();
      busy(confirm, true, "Rolling back…");
      try {
        const res = await api("POST", `/v1/policies/${enc(policyId)}/rollback`,
          { json: { to_version: version }, query: { author: sessionStorage.getItem("policygraph.console.author") } });
        announce(`Rolled back: version ${res.publish.version} (the text of version ${version}) is in force from ${res.publish.effective_from}.`);
        await route();
      } catch (e) {
        err.append(errorBox(e, "The rollback was refused; nothing changed"));
        busy(confirm, false);
      }
    });
    box.replaceChildren(h("div", { class: "panel", id: "rollback-panel" },
      h("h3", { tabindex: "-1", class: "focus-here" }, `Rollback to v${version}: what changes`),
      h("p", {}, `Compared with v${newest} (the newest version), publishing v${version}'s text again changes:`),
      diffView(cmp.diff, cmp.texts),
      h("div", { class: "actions" }, confirm, cancel), err));
    const head = box.querySelector(".focus-here");
    if (head) head.focus();
  }

  function auditSection(audit) {
    const sec = h("section", { class: "panel", "aria-labelledby": "h-audit" }, h("h3", { id: "h-audit" }, "Audit trail"));
    if (audit instanceof Error) {
      sec.append(audit.status === 403
        ? h("p", { class: "muted", id: "audit-refused" }, "The audit trail is for author and admin keys (the API answered 403 to this key).")
        : errorBox(audit));
      return sec;
    }
    const entries = audit.entries.slice().reverse();
    sec.append(h("p", { class: "muted" }, `The latest ${entries.length} entries for this policy, newest first.`),
      h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "audit" },
        h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Version", "Draft", "Detail"].map((x) => h("th", { scope: "col" }, x)))),
        h("tbody", {}, entries.map((e) => h("tr", {},
          td("When", e.ts.replace("T", " ").slice(0, 19)), td("Who", e.actor), td("Action", e.action),
          td("Version", e.version ? `v${e.version}` : "—"),
          td("Draft", e.draft_id ? (e.action === "draft" || e.action === "rollback_draft" ? h("a", { href: `#/draft/${enc(e.draft_id)}` }, e.draft_id) : e.draft_id) : "—"),
          td("Detail", h("code", {}, short(JSON.stringify(e.detail || {}), 160)))))))));
    return sec;
  }

  async function viewRule(ruleId, params) {
    const r = await api("GET", `/v1/rules/${enc(ruleId)}`, { query: { lang: params.get("lang"), at: params.get("at") } });
    document.title = `${r.rule_id} — PolicyGraph console`;
    const links = (xs) => xs.length ? xs.map((x, i) => [i ? ", " : "", h("a", { href: `#/rule/${enc(x)}` }, x)]) : "—";
    return h("section", { "aria-labelledby": "h-rule" },
      h("h2", { id: "h-rule", tabindex: "-1" }, h("span", { class: "mono" }, r.rule_id), " ", r.title),
      h("p", {}, "In ", h("a", { href: `#/policy/${enc(r.policy_id)}?version=${r.version}&rule=${enc(r.rule_id)}` }, `${r.policy_title} v${r.version}`),
        ` · ${r.section} · `, badge(r.kind, "kind"), badge(r.severity, "severity"),
        ` · in force ${period(r.valid_from, r.valid_to)}`),
      h("div", { class: "panel" }, Object.entries(r.texts).map(([lg, t]) => h("div", {},
        h("h3", {}, lg), h("p", Object.assign({ class: "text" }, langAttrs(lg)), t)))),
      h("dl", { class: "facts panel" },
        h("dt", {}, "Exception to"), h("dd", {}, links(r.exception_to)),
        h("dt", {}, "Exceptions"), h("dd", {}, links(r.exceptions)),
        h("dt", {}, "Overrides"), h("dd", {}, links(r.overrides)),
        h("dt", {}, "Overridden by"), h("dd", {}, links(r.overridden_by)),
        h("dt", {}, "Refers to"), h("dd", {}, links(r.refers_to)),
        h("dt", {}, "Terms"), h("dd", {}, r.terms.join(", ") || "—"),
        h("dt", {}, "Actions"), h("dd", {}, r.actions.join(", ")),
        h("dt", {}, "Jurisdictions"), h("dd", {}, r.jurisdictions.join(", ")),
        h("dt", {}, "Citation"), h("dd", {}, citationLink(r.citation))),
      r.examples.length ? h("section", { class: "panel" }, h("h3", {}, `Labelled examples (${r.examples.length})`),
        h("ul", {}, r.examples.slice(0, 30).map((x) => h("li", {}, badge(x.label), h("span", langAttrs(x.language), x.text))))) : null);
  }

  function citationLink(c) {
    const label = `${c.document} · ${c.section} · v${c.version} · ${c.language}${c.span ? ` · line ${c.span.line}` : ""}`;
    return h("a", { href: sourceHref(c.policy_id, c.version, c.document, c.span), class: "citation" }, label);
  }

  // ------------------------------------------------------------------ source text
  async function viewSource(policyId, version, params) {
    const src = await api("GET", `/console/api/policies/${enc(policyId)}/source`, { query: { version, document: params.get("document") } });
    document.title = `${src.document} v${version} — PolicyGraph console`;
    const start = params.has("start") ? Number(params.get("start")) : null;
    const end = params.has("end") ? Number(params.get("end")) : null;
    const cps = Array.from(src.text);
    const pre = h("pre", { class: "source", id: "source-text", tabindex: "0", "aria-label": `Source text of ${src.document}` });
    if (start !== null && end !== null && start >= 0 && end <= cps.length && start < end) {
      pre.append(cps.slice(0, start).join(""),
        h("mark", { id: "cited", tabindex: "-1", class: "focus-target" }, cps.slice(start, end).join("")),
        cps.slice(end).join(""));
    } else {
      pre.append(src.text);
    }
    return h("section", { "aria-labelledby": "h-source" },
      h("h2", { id: "h-source", tabindex: "-1" }, src.document),
      h("p", {}, h("a", { href: `#/policy/${enc(policyId)}?version=${version}` }, `${policyId} v${version}`),
        ` · ${src.format} · sha256 ${src.sha256.slice(0, 12)}…`,
        params.get("line") ? ` · the cited text starts on line ${params.get("line")} (highlighted)` : "",
        " · ", h("button", { type: "button", class: "link", onclick: () => history.back() }, "Back")),
      pre);
  }

  // ------------------------------------------------------------------ revise: upload, drafts
  async function viewRevise() {
    document.title = "Revise — PolicyGraph console";
    const err = h("div", { id: "upload-error", "aria-live": "assertive" });
    const result = h("div", { id: "upload-result", "aria-live": "polite" });
    const file = h("input", { type: "file", id: "upload-file", name: "file", accept: ".md,.txt,.html,.htm,.yaml,.yml,.json", required: true, "aria-describedby": "upload-file-hint" });
    const pid = h("input", { type: "text", id: "upload-policy", name: "policy_id", autocomplete: "off", spellcheck: "false" });
    const eff = h("input", { type: "date", id: "upload-from", name: "effective_from", min: todayIso() });
    const author = h("input", { type: "text", id: "upload-author", name: "author", autocomplete: "name" });
    const submit = h("button", { type: "submit", id: "upload-submit" }, "Upload and show the diff");
    const controls = [file, pid, eff, author];
    const form = h("form", { class: "panel", id: "upload-form", novalidate: true, "aria-labelledby": "h-upload" },
      h("h3", { id: "h-upload" }, "Upload a revised document"),
      h("p", { class: "hint", id: "upload-file-hint" }, "PolicyGraph Markdown (starts with ---), plain Markdown, text, HTML, YAML or JSON. Nothing is served until you publish the draft."),
      h("label", { for: "upload-file" }, "Document"), file,
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "upload-policy" }, "Policy id ", h("span", { class: "hint" }, "(only for documents without PolicyGraph markup)")), pid),
        h("div", {}, h("label", { for: "upload-from" }, "Effective from ", h("span", { class: "hint" }, "(optional; you can also choose at publish)")), eff),
        h("div", {}, h("label", { for: "upload-author" }, "Your name ", h("span", { class: "hint" }, "(for the audit trail)")), author)),
      h("div", { class: "actions" }, guarded(submit)),
      err, result);
    if (!canWrite()) for (const c of controls) c.disabled = true;
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!canWrite()) return;
      err.replaceChildren();
      result.replaceChildren();
      const f = file.files && file.files[0];
      if (!f) {
        err.append(errorBox({ message: "choose a document to upload" }));
        file.focus();
        return;
      }
      busy(submit, true, "Uploading…");
      try {
        const fd = new FormData();
        fd.append("file", f, f.name);
        const res = await api("POST", "/v1/drafts", { form: fd, query: { policy_id: pid.value.trim(), effective_from: eff.value, author: author.value.trim() } });
        if (!res.stored) {
          result.append(h("p", { class: "note", id: "upload-unchanged" }, `No changes: ${f.name} says the same as the current version of ${res.diff.policy_id} (v${res.diff.version}). Nothing was drafted.`));
          announce("No changes: nothing was drafted.");
          return;
        }
        // keep the document's text so its rules can be opened and edited in place later (best effort)
        const keep = new FormData();
        keep.append("file", f, f.name);
        await api("POST", "/console/api/sources", { form: keep }).catch(() => null);
        if (author.value.trim()) sessionStorage.setItem("policygraph.console.author", author.value.trim());
        announce(`Draft ${res.draft.id} created.`);
        location.hash = `#/draft/${enc(res.draft.id)}`;
      } catch (e) {
        err.append(errorBox(e, `${f.name} was refused; nothing was stored`));
        announce(`Upload refused: ${e.message}`);
      } finally {
        busy(submit, false);
      }
    });
    author.value = sessionStorage.getItem("policygraph.console.author") || "";

    let drafts;
    if (canWrite()) {
      try {
        const d = await api("GET", "/v1/drafts", { query: { status: "pending" } });
        drafts = d.drafts.length
          ? h("ul", { id: "pending-drafts" }, d.drafts.slice().reverse().map((x) => h("li", {},
            h("a", { href: `#/draft/${enc(x.id)}` }, x.id), ` — ${x.policy_id} v${x.base_version || "new"} → v${x.version}, `,
            x.diff.effective_from ? `from ${x.diff.effective_from}` : "from publish", `, by ${x.author}, ${x.created_at.slice(0, 16).replace("T", " ")}`)))
          : h("p", { class: "muted" }, "No pending drafts.");
      } catch (e) {
        drafts = errorBox(e);
      }
    } else {
      drafts = h("p", { class: "muted" }, "Drafts are visible to author and admin keys.");
    }
    return h("section", { "aria-labelledby": "h-revise" },
      h("h2", { id: "h-revise", tabindex: "-1" }, "Revise a policy"),
      h("p", {}, "Upload a revised document to see what changed, rule by rule, and what it would do to real decisions; then publish it now or on a date, or discard it. To change one rule, open its policy and use ", h("em", {}, "Edit in place"), "."),
      form,
      h("section", { class: "panel", "aria-labelledby": "h-drafts" }, h("h3", { id: "h-drafts" }, "Pending drafts"), drafts));
  }

  function segs(list) {
    return list.map((sg) => sg.op === "equal" ? sg.text
      : sg.op === "delete" ? h("del", {}, h("span", { class: "sr-only" }, "[removed: "), sg.text, h("span", { class: "sr-only" }, "]"))
        : h("ins", {}, h("span", { class: "sr-only" }, "[added: "), sg.text, h("span", { class: "sr-only" }, "]")));
  }

  function fmtVal(v) {
    if (Array.isArray(v)) return "[" + v.join(", ") + "]";
    if (v === null || v === undefined) return "—";
    return String(v);
  }

  /** The rule-by-rule diff: kinds, metadata old → new, word diffs per language, conflicts, warnings. */
  function diffView(diff, texts) {
    const byRule = Object.fromEntries(((texts && texts.rules) || []).map((r) => [r.rule_id, r]));
    const c = diff.counts || {};
    const out = h("div", { class: "diff", "data-policy": diff.policy_id });
    out.append(h("p", { class: "counts" }, ["added", "removed", "renamed", "text_changed", "metadata_changed", "moved", "unchanged"]
      .map((k) => h("span", { class: "badge " + k }, `${c[k] || 0} ${k.replace(/_/g, " ")}`))));
    if (diff.warnings && diff.warnings.length) out.append(h("ul", { class: "note warnings" }, diff.warnings.map((w) => h("li", {}, w))));
    if (diff.policy_changes && diff.policy_changes.length) {
      out.append(h("h4", {}, "Policy-level changes"), h("ul", {}, diff.policy_changes.map((pc) => h("li", {}, h("strong", {}, pc.field), ": ",
        pc.old !== null && pc.old !== undefined ? [h("del", {}, fmtVal(pc.old)), " → "] : null, h("ins", {}, fmtVal(pc.new))))));
    }
    if (!diff.changes.length) out.append(h("p", { class: "muted" }, "No rule changed."));
    for (const ch of diff.changes) {
      const t = byRule[ch.rule_id];
      out.append(h("article", { class: "change", "data-rule": ch.rule_id },
        h("h3", {}, ch.kinds.map((k) => badge(k)), " ",
          h("span", { class: "mono" }, ch.old_rule_id ? `${ch.old_rule_id} → ${ch.rule_id}` : ch.rule_id), " ", ch.title,
          ch.similarity ? h("span", { class: "muted" }, ` (text similarity ${ch.similarity.toFixed(2)})`) : null),
        h("p", { class: "muted" }, ch.old_section ? `section: ${ch.old_section} → ${ch.section}` : `section: ${ch.section || "—"}`),
        ch.metadata.length ? h("ul", { class: "meta" }, ch.metadata.map((m) => h("li", {}, h("strong", {}, m.field), ": ",
          h("del", {}, fmtVal(m.old)), " → ", h("ins", {}, fmtVal(m.new))))) : null,
        t && t.languages.length ? t.languages.map((lg) => h("div", { class: "wdiff", "data-lang": lg.language },
          h("span", { class: "lang" }, lg.language),
          lg.title.some((x) => x.op !== "equal") ? h("div", { class: "wtitle" }, h("span", { class: "muted" }, "title: "), segs(lg.title)) : null,
          h("div", Object.assign({ class: "wtext" }, langAttrs(lg.language)), segs(lg.text))))
          : (ch.text_diff ? h("p", { class: "mono" }, ch.text_diff) : null)));
    }
    if (diff.conflicts && diff.conflicts.length) {
      out.append(h("h4", {}, `Conflicts (${diff.conflicts.length}) — reported, not blocking`),
        h("ul", { class: "conflicts" }, diff.conflicts.map((x) => h("li", {}, badge(x.kind), " ",
          h("span", { class: "mono" }, x.rule_id), " ~ ", ruleLink(x.other_policy_id, x.other_rule_id),
          ` (${x.scope === "within" ? "same policy" : "policy " + x.other_policy_id}, similarity ${x.similarity.toFixed(2)}): ${x.detail}`))));
    } else {
      out.append(h("p", { class: "muted" }, "No conflicts with other rules."));
    }
    return out;
  }

  async function viewDraft(draftId) {
    document.title = `Draft ${draftId} — PolicyGraph console`;
    let draft = null;
    let texts = null;
    let loadError = null;
    try {
      [draft, texts] = await Promise.all([
        api("GET", `/v1/drafts/${enc(draftId)}`),
        api("GET", `/console/api/drafts/${enc(draftId)}/compare`),
      ]);
    } catch (e) {
      loadError = e;
    }
    const head = h("h2", { id: "h-draft", tabindex: "-1" }, "Draft ", h("span", { class: "mono" }, draftId));
    if (loadError) {
      // still show what an author would do here, refused for this key
      return h("section", { "aria-labelledby": "h-draft" }, head,
        errorBox(loadError, loadError.status === 403 ? "Drafts are for author and admin keys" : "The draft cannot be loaded"),
        loadError.status === 403 ? publishPanel(null) : null);
    }
    const d = draft.diff;
    const eff = d.effective_from ? `${d.effective_from}${d.effective_from > todayIso() ? " (scheduled)" : ""}` : "the day it is published";
    return h("section", { "aria-labelledby": "h-draft" }, head,
      h("p", {}, h("a", { href: `#/policy/${enc(draft.policy_id)}` }, draft.policy_id), ` v${draft.base_version || "—"} → v${draft.version} `,
        badge(draft.status), draft.kind === "rollback" ? badge(`rollback to v${draft.rollback_of}`, "renamed") : null),
      h("dl", { class: "facts" },
        h("dt", {}, "Effective from"), h("dd", { id: "draft-effective" }, eff),
        h("dt", {}, "Source"), h("dd", {}, draft.source),
        h("dt", {}, "Author"), h("dd", {}, draft.author),
        h("dt", {}, "Created"), h("dd", {}, draft.created_at.replace("T", " ").slice(0, 19)),
        draft.published_at ? [h("dt", {}, "Published"), h("dd", {}, `${draft.published_at.replace("T", " ").slice(0, 19)} by ${draft.published_by}`)] : null),
      h("section", { class: "panel", "aria-labelledby": "h-diff" }, h("h3", { id: "h-diff" }, "What changed"), diffView(d, texts)),
      draft.status === "pending" ? evaluatePanel(draft) : null,
      publishPanel(draft));
  }

  function evaluatePanel(draft) {
    const out = h("div", { id: "evaluation", "aria-live": "polite" });
    const scope = h("select", { id: "eval-scope" },
      h("option", { value: "policy" }, "items of this policy's category"), h("option", { value: "all" }, "the whole dev set"));
    const ext = h("select", { id: "eval-external" }, [0, 2, 5, 10, 25].map((n) => h("option", { value: n, selected: n === 5 ? true : null },
      n ? `${n} per language` : "none (dev set only)")));
    const at = h("input", { type: "date", id: "eval-at" });
    const run = h("button", { type: "button", id: "evaluate" }, "Evaluate");
    run.addEventListener("click", async () => {
      out.replaceChildren(h("p", { class: "loading" }, "Running the content through the current rules and the draft…"));
      busy(run, true, "Evaluating…");
      try {
        const ev = await api("POST", `/console/api/drafts/${enc(draft.id)}/evaluate`, { query: { scope: scope.value, external_per_language: ext.value, at: at.value } });
        out.replaceChildren(evaluationView(ev));
        announce(`Evaluation done: ${ev.report.changed} of ${ev.report.items} decisions change.`);
      } catch (e) {
        out.replaceChildren(errorBox(e, "The evaluation failed"));
      } finally {
        busy(run, false);
      }
    });
    return h("section", { class: "panel", "aria-labelledby": "h-eval" },
      h("h3", { id: "h-eval" }, "What it would do to real decisions"),
      h("p", { class: "hint" }, "Runs labelled content through the rules in force and through the draft, at the draft's effective date (retrieval verdicts, no LLM), and lists the decisions that change. External sets: a sample of the report half of Multilingual HateCheck and MultiJail, when their files are present on this server."),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "eval-scope" }, "Dev set"), scope),
        h("div", {}, h("label", { for: "eval-external" }, "External sets"), ext),
        h("div", {}, h("label", { for: "eval-at" }, "At ", h("span", { class: "hint" }, "(optional date)")), at)),
      h("div", { class: "actions" }, guarded(run)), out);
  }

  function evaluationView(ev) {
    const r = ev.report;
    const pct = (x) => x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)} %`;
    const rows = r.changes.map((it) => {
      const removed = new Set(it.removed);
      const added = new Set(it.added);
      return h("tr", { "data-item": it.id },
        td("Set", ev.item_sets[it.id] || "dev"),
        td("Content", h("span", { title: it.text }, short(it.text, 140)), h("div", { class: "muted mono" }, it.id)),
        td("Before", it.current.length ? it.current.map((x, i) => [i ? ", " : "", removed.has(x) ? h("del", {}, x) : x]) : "no rule"),
        td("After", it.draft.length ? it.draft.map((x, i) => [i ? ", " : "", added.has(x) ? h("ins", {}, x) : x]) : "no rule"));
    });
    return h("div", { class: "eval-result" },
      h("p", {}, `At ${r.at}: `, h("strong", { id: "eval-changed" }, `${r.changed} of ${r.items}`), ` decisions change (${r.seconds.toFixed(1)} s). Rule recall on the dev set: ${pct(r.current_rule_recall)} → ${pct(r.draft_rule_recall)}.`),
      h("table", { id: "eval-sets" }, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Set"), h("th", { scope: "col", class: "num" }, "Items"), h("th", { scope: "col", class: "num" }, "Changed"))),
        h("tbody", {}, ev.sets.map((x) => h("tr", { "data-set": x.name }, h("td", {}, x.label), h("td", { class: "num" }, String(x.items)), h("td", { class: "num" }, String(x.changed)))))),
      ev.external_missing ? h("p", { class: "note", id: "external-missing" }, `External sets not run on this server: ${ev.external_missing}`) : null,
      r.changes.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "eval-changes" },
          h("caption", {}, "Decisions that change (rule:verdict, before → after)"),
          h("thead", {}, h("tr", {}, ["Set", "Content", "Before", "After"].map((x) => h("th", { scope: "col" }, x)))),
          h("tbody", {}, rows)))
        : h("p", { class: "ok", id: "eval-none" }, "No decision changes on these items."));
  }

  function publishPanel(draft) {
    const sec = h("section", { class: "panel", id: "publish-panel", "aria-labelledby": "h-publish" }, h("h3", { id: "h-publish" }, "Publish"));
    if (draft && draft.status !== "pending") {
      sec.append(h("p", {}, `This draft is ${draft.status}.`,
        draft.status === "published" ? [" ", h("a", { href: `#/policy/${enc(draft.policy_id)}` }, "See the policy and its history")] : null));
      return sec;
    }
    const tomorrow = new Date(Date.now() + 86400000);
    const d0 = draft && draft.diff.effective_from && draft.diff.effective_from > todayIso() ? draft.diff.effective_from
      : `${tomorrow.getFullYear()}-${String(tomorrow.getMonth() + 1).padStart(2, "0")}-${String(tomorrow.getDate()).padStart(2, "0")}`;
    const scheduledDraft = !!(draft && draft.diff.effective_from && draft.diff.effective_from > todayIso());
    const now = h("input", { type: "radio", name: "when", id: "when-now", value: "now", checked: scheduledDraft ? null : true });
    const later = h("input", { type: "radio", name: "when", id: "when-date", value: "date", checked: scheduledDraft ? true : null });
    const date = h("input", { type: "date", id: "publish-date", min: todayIso(), value: d0, "aria-label": "Effective date" });
    const author = h("input", { type: "text", id: "publish-author", autocomplete: "name" });
    author.value = sessionStorage.getItem("policygraph.console.author") || "";
    const err = h("div", { id: "publish-error", "aria-live": "assertive" });
    const result = h("div", { id: "publish-result", "aria-live": "polite" });
    const publish = h("button", { type: "button", id: "publish" }, "Publish");
    const discard = h("button", { type: "button", id: "discard", class: "danger" }, "Discard draft");
    date.addEventListener("focus", () => { later.checked = true; });
    publish.addEventListener("click", async () => {
      if (!draft || !canWrite()) return;
      err.replaceChildren();
      const when = later.checked ? date.value : "now";
      if (later.checked && !date.value) {
        err.append(errorBox({ message: "choose the date it comes into force" }));
        date.focus();
        return;
      }
      busy(publish, true, "Publishing…");
      discard.disabled = true;
      try {
        const res = await api("POST", `/console/api/drafts/${enc(draft.id)}/publish`, { query: { when, author: author.value.trim() } });
        const p = res.publish;
        const scheduled = p.effective_from > todayIso();
        result.replaceChildren(h("p", { class: "ok", id: "published" },
          `Published ${p.policy_id} v${p.version}: ${scheduled ? "scheduled, in force from " + p.effective_from : "in force from " + p.effective_from + " (today)"}. `,
          res.redated_from ? `(Re-drafted for that date as ${res.draft.id}.) ` : "",
          h("a", { href: `#/policy/${enc(p.policy_id)}`, id: "to-history" }, "See the history")));
        announce(`Published version ${p.version}${scheduled ? ", scheduled from " + p.effective_from : ""}.`);
        publish.remove();
        discard.remove();
      } catch (e) {
        err.append(errorBox(e, "Not published; nothing changed"));
        busy(publish, false);
        discard.disabled = false;
      }
    });
    discard.addEventListener("click", async () => {
      if (!draft || !canWrite()) return;
      err.replaceChildren();
      busy(discard, true, "Discarding…");
      publish.disabled = true;
      try {
        await api("POST", `/v1/drafts/${enc(draft.id)}/discard`, { query: { author: author.value.trim() } });
        result.replaceChildren(h("p", { class: "ok", id: "discarded" }, "Draft discarded. Nothing was published."));
        announce("Draft discarded.");
        publish.remove();
        discard.remove();
      } catch (e) {
        err.append(errorBox(e, "Not discarded"));
        busy(discard, false);
        publish.disabled = false;
      }
    });
    if (!canWrite() || !draft) for (const c of [now, later, date, author]) c.disabled = true;
    sec.append(
      h("fieldset", {}, h("legend", {}, "When does it come into force?"),
        h("label", { class: "radio", for: "when-now" }, now, "Now — in force from the moment it is published"),
        h("label", { class: "radio", for: "when-date" }, later, "On a date:"), date),
      h("label", { for: "publish-author" }, "Your name ", h("span", { class: "hint" }, "(for the audit trail)")), author,
      h("div", { class: "actions" }, guarded(publish), canWrite() ? discard : null),
      err, result);
    if (!canWrite()) discard.disabled = true;
    return sec;
  }

  // ------------------------------------------------------------------ try it
  const TRY_FIELDS = [
    ["text", "Content (one text)", "textarea", "Caption, comment, message…"],
    ["title", "Title", "input"],
    ["description", "Description or caption", "textarea"],
    ["transcript", "Transcript (speech)", "textarea"],
    ["ocr_text", "On-screen text (OCR)", "textarea"],
    ["hashtags", "Hashtags", "input", "separated by spaces or commas"],
    ["comments", "Comments", "textarea", "one per line"],
    ["signals", "Upstream labels", "textarea", "one per line: label score [model], e.g. drugs 0.82 vision-v3"],
    ["c2pa", "C2PA assertions", "textarea", "one per line"],
  ];

  function viewTry() {
    document.title = "Try it — PolicyGraph console";
    const v = state.tryValues || {};
    const err = h("div", { id: "try-error", "aria-live": "assertive" });
    const result = h("div", { id: "try-result", "aria-live": "polite" });
    const fields = {};
    function field(name, label, kind, hint) {
      const id = `try-${name}`;
      const el = kind === "textarea" ? h("textarea", { id, name, rows: name === "text" ? "5" : "2" }) : h("input", { type: "text", id, name, autocomplete: "off" });
      el.value = v[name] || "";
      fields[name] = el;
      return [h("label", { for: id }, label, hint ? h("span", { class: "hint" }, ` (${hint})`) : null), el];
    }
    const [first, ...rest] = TRY_FIELDS;
    const media = h("select", { id: "try-media", name: "media_type" }, ["", "video", "image", "live", "audio", "text"].map((x) => h("option", { value: x }, x || "—")));
    const declared = h("select", { id: "try-declared", name: "declared_ai" }, [["", "unknown"], ["true", "yes"], ["false", "no"]].map(([val, t]) => h("option", { value: val }, t)));
    const detector = h("input", { type: "number", id: "try-detector", min: "0", max: "1", step: "0.01" });
    const juris = h("input", { type: "text", id: "try-jurisdiction", placeholder: "e.g. DE, EU, IN", autocomplete: "off", maxlength: "8" });
    const lang = h("input", { type: "text", id: "try-language", placeholder: "detected", autocomplete: "off", maxlength: "16" });
    const at = h("input", { type: "date", id: "try-at" });
    const topk = h("input", { type: "number", id: "try-topk", min: "1", max: "50", value: "5" });
    for (const [el, k] of [[media, "media_type"], [declared, "declared_ai"], [detector, "detector_score"], [juris, "jurisdiction"], [lang, "language"], [at, "at"], [topk, "top_k"]]) {
      if (v[k] !== undefined) el.value = v[k];
    }
    const submit = h("button", { type: "submit", id: "try-submit" }, "Decide");
    const form = h("form", { class: "panel", id: "try-form", novalidate: true, "aria-labelledby": "h-try-form" },
      h("h3", { id: "h-try-form" }, "Content"),
      field(...first),
      h("details", { open: rest.some(([n]) => v[n]) ? true : null }, h("summary", {}, "Structured fields (a video or post, field by field)"),
        h("div", { class: "fields-grid" },
          rest.slice(0, 7).map((f) => h("div", {}, field(...f))),
          h("div", {}, h("label", { for: "try-media" }, "Media type"), media),
          h("fieldset", { class: "wide" }, h("legend", {}, "AI provenance"),
            h("div", { class: "fields-grid" },
              h("div", {}, h("label", { for: "try-declared" }, "Declared as AI-generated by the creator"), declared),
              h("div", {}, h("label", { for: "try-detector" }, "AI detector score (0–1)"), detector),
              h("div", { class: "wide" }, field(...rest[7])))))),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "try-jurisdiction" }, "Jurisdiction"), juris),
        h("div", {}, h("label", { for: "try-at" }, "Date"), at)),
      h("div", { class: "row" },
        h("div", {}, h("label", { for: "try-language" }, "Language"), lang),
        h("div", {}, h("label", { for: "try-topk" }, "Rules (top k)"), topk)),
      h("div", { class: "actions" }, submit), err);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.replaceChildren();
      const values = Object.fromEntries(Object.entries(fields).map(([k, el]) => [k, el.value]));
      Object.assign(values, { media_type: media.value, declared_ai: declared.value, detector_score: detector.value, jurisdiction: juris.value, language: lang.value, at: at.value, top_k: topk.value });
      state.tryValues = values;
      let body;
      try {
        body = buildQuery(values);
      } catch (e) {
        err.append(errorBox(e));
        return;
      }
      busy(submit, true, "Deciding…");
      result.setAttribute("aria-busy", "true");
      try {
        const d = await api("POST", "/v1/context", { json: body });
        state.lastDecision = { d, body };
        result.replaceChildren(decisionView(d, body));
        const head = $("#h-decision");
        head.scrollIntoView({ block: "start" });
        head.focus({ preventScroll: true });
        announce(`Decision: ${d.decisions.length ? d.decisions.map((x) => `${x.rule_id} ${x.verdict.replace(/_/g, " ")}`).join(", ") : "no rule applies"}.`);
      } catch (e) {
        err.append(errorBox(e, "The API refused the content"));
        result.replaceChildren();
      } finally {
        busy(submit, false);
        result.removeAttribute("aria-busy");
      }
    });
    if (state.lastDecision) result.append(decisionView(state.lastDecision.d, state.lastDecision.body));
    return h("section", { "aria-labelledby": "h-try" },
      h("h2", { id: "h-try", tabindex: "-1" }, "Try it"),
      h("p", {}, "See the decision exactly as the moderation agent gets it from ", h("code", {}, "POST /v1/context"), ", under the rules in force on the date you pick."),
      h("div", { class: "try-grid" }, form, result));
  }

  function buildQuery(v) {
    const q = {};
    for (const k of ["text", "title", "description", "transcript", "ocr_text"]) if (v[k].trim()) q[k] = v[k];
    const tags = v.hashtags.split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
    if (tags.length) q.hashtags = tags;
    const comments = v.comments.split("\n").map((x) => x.trim()).filter(Boolean);
    if (comments.length) q.comments = comments;
    const signals = v.signals.split("\n").map((x) => x.trim()).filter(Boolean).map((line, i) => {
      const [label, score, ...model] = line.split(/\s+/);
      const n = Number(score);
      if (!label || score === undefined || Number.isNaN(n)) throw new Error(`upstream label line ${i + 1}: write "label score [model]", e.g. "weapon 0.93 vision-v3"`);
      return Object.assign({ label, score: n }, model.length ? { model: model.join(" ") } : {});
    });
    if (signals.length) q.signals = signals;
    const c2pa = v.c2pa.split("\n").map((x) => x.trim()).filter(Boolean);
    if (v.declared_ai || v.detector_score !== "" || c2pa.length) {
      q.provenance = {};
      if (v.declared_ai) q.provenance.declared_ai = v.declared_ai === "true";
      if (v.detector_score !== "") q.provenance.detector_score = Number(v.detector_score);
      if (c2pa.length) q.provenance.c2pa = c2pa;
    }
    if (v.media_type) q.media_type = v.media_type;
    if (v.jurisdiction.trim()) q.jurisdiction = v.jurisdiction.trim().toUpperCase();
    if (v.language.trim()) q.language = v.language.trim();
    if (v.at) q.at = v.at;
    if (v.top_k) q.top_k = Number(v.top_k);
    if (!Object.keys(q).some((k) => ["text", "title", "description", "transcript", "ocr_text", "hashtags", "comments", "signals", "provenance"].includes(k))) {
      throw new Error("give some content: a text, a field, a label or provenance");
    }
    return q;
  }

  /** The text of a field as sent (title, transcript, hashtags[1], comments[0]...), or null. */
  function fieldText(body, field) {
    if (!field) return null;
    const m = field.match(/^(hashtags|comments)\[(\d+)\]$/);
    if (m) return (body[m[1]] || [])[Number(m[2])] || null;
    return typeof body[field] === "string" ? body[field] : null;
  }

  function spanView(text, start, end, excerpt) {
    if (text !== null && Number.isInteger(start) && Number.isInteger(end)) {
      const cps = Array.from(text);
      if (start >= 0 && end <= cps.length && start < end) {
        const from = Math.max(0, start - 80);
        const to = Math.min(cps.length, end + 80);
        return h("span", { class: "span-view" }, from > 0 ? "…" : "", cps.slice(from, start).join(""),
          h("mark", {}, cps.slice(start, end).join("")), cps.slice(end, to).join(""), to < cps.length ? "…" : "");
      }
    }
    return excerpt ? h("span", { class: "span-view" }, h("mark", {}, excerpt)) : null;
  }

  function decisionView(d, body) {
    const ctx = d.context;
    const q = ctx.query;
    const verdicts = Object.fromEntries(d.decisions.map((x) => [x.rule_id, x]));
    const titles = Object.fromEntries(ctx.rules.map((x) => [x.rule_id, x.title]));
    const total = d.trace.reduce((a, t) => a + t.ms, 0);
    return h("div", { class: "decision" },
      h("section", { class: "panel", "aria-labelledby": "h-decision" },
        h("h3", { id: "h-decision", tabindex: "-1" }, "Decision"),
        h("dl", { class: "facts" },
          h("dt", {}, "Date"), h("dd", { id: "decision-at" }, q.at),
          h("dt", {}, "Jurisdiction"), h("dd", {}, q.jurisdiction || "none given (global rules)"),
          h("dt", {}, "Language"), h("dd", {}, `${q.language}${q.language_detected ? " (detected)" : ""}`),
          h("dt", {}, "Categories"), h("dd", {}, ctx.categories.join(", ") || "none"),
          q.undone && q.undone.length ? [h("dt", {}, "Normalised"), h("dd", {}, q.undone.join(", "))] : null,
          q.fields && q.fields.length ? [h("dt", {}, "Fields read"), h("dd", {}, q.fields.map((f) => `${f.field} (${f.language})`).join(", "))] : null),
        d.decisions.length
          ? h("div", { class: "table-wrap" }, h("table", { class: "responsive", id: "verdicts" },
            h("thead", {}, h("tr", {}, ["Rule", "Policy", "Verdict", "Confidence"].map((x) => h("th", { scope: "col" }, x)))),
            h("tbody", {}, d.decisions.map((x) => h("tr", { "data-rule": x.rule_id },
              td("Rule", h("a", { href: `#/rule/${enc(x.rule_id)}?at=${q.at}` }, x.rule_id), " ", titles[x.rule_id] || ""),
              td("Policy", x.policy_id),
              td("Verdict", badge(x.verdict)), td("Confidence", x.confidence.toFixed(2)))))))
          : h("p", { class: "ok", id: "no-rule" }, "No rule applies."),
        h("details", {}, h("summary", {}, "Rationale, as the agent gets it"), h("p", { class: "muted" }, ctx.rationale))),
      h("section", { class: "panel", "aria-labelledby": "h-graph" },
        h("h3", { id: "h-graph" }, "Graph neighbourhood traversed"),
        graphView(ctx.rules),
        h("p", { class: "legend" }, "Content → the rules returned (verdict on the edge) → the exceptions (green, dashed; filled when matched) and regional overrides (purple) checked, and the defined terms (dotted).")),
      h("section", { class: "panel", "aria-labelledby": "h-hits" },
        h("h3", { id: "h-hits" }, `Rules returned (${ctx.rules.length})`),
        ctx.rules.map((hit) => h("article", { class: "hit", "data-rule": hit.rule_id, "data-version": hit.version },
          h("h4", {}, h("a", { href: `#/rule/${enc(hit.rule_id)}?at=${q.at}`, class: "mono" }, hit.rule_id), " ", hit.title, " ",
            badge(hit.verdict), h("span", { class: "muted" }, ` ${hit.policy_title} v${hit.version} · score ${hit.score.toFixed(3)}`)),
          verdicts[hit.rule_id] ? h("p", {}, verdicts[hit.rule_id].rationale) : null,
          h("details", {}, h("summary", {}, `Rule text (${hit.text_language}, version ${hit.version})`),
            h("p", Object.assign({ class: "text rule-text" }, langAttrs(hit.text_language)), hit.text)),
          h("h5", { class: "sr-only" }, "Evidence"),
          h("ul", { class: "evidence" }, hit.evidence.map((e) => h("li", { "data-signal": e.signal },
            badge(e.signal, "signal"), ` ${e.score.toFixed(3)} — ${e.detail}`,
            e.field ? h("div", { class: "muted" }, `in ${e.field}${Number.isInteger(e.start) ? ` (characters ${e.start}–${e.end})` : ""}:`) : null,
            spanView(fieldText(body, e.field) ?? (e.field ? null : body.text ?? null), e.start, e.end, e.excerpt)))),
          hit.exceptions_checked.length ? h("p", {}, h("span", { class: "muted" }, "Exceptions checked: "),
            hit.exceptions_checked.map((x, i) => [i ? ", " : "", h("a", { href: `#/rule/${enc(x.rule_id)}?at=${q.at}` }, x.rule_id), ` ${x.matched ? "(matched " : "("}${x.score.toFixed(2)})`])) : null,
          hit.overrides_checked.length ? h("p", {}, h("span", { class: "muted" }, "Overrides checked: "),
            hit.overrides_checked.map((x, i) => [i ? ", " : "", h("a", { href: `#/rule/${enc(x.rule_id)}?at=${q.at}` }, x.rule_id), ` (${x.relation.replace(/_/g, " ")})`])) : null,
          hit.definitions.length ? h("p", {}, h("span", { class: "muted" }, "Definitions: "), hit.definitions.join(", ")) : null,
          h("p", {}, h("span", { class: "muted" }, "Cited from: "), hit.citations.map((c, i) => [i ? "; " : "", citationLink(c)]))))),
      h("section", { class: "panel", "aria-labelledby": "h-trace" },
        h("h3", { id: "h-trace" }, "Trace"),
        h("details", { id: "trace" }, h("summary", {}, `${d.trace.length} steps, ${total.toFixed(1)} ms${d.second_pass ? " (second pass)" : ""}${d.llm_used ? " (LLM adjudicator used)" : ""}`),
          h("div", { class: "table-wrap" }, h("table", {},
            h("thead", {}, h("tr", {}, ["Step", "ms", "Inputs", "Outputs"].map((x) => h("th", { scope: "col" }, x)))),
            h("tbody", {}, d.trace.map((t) => h("tr", {},
              h("td", { class: "mono" }, t.node), h("td", { class: "num" }, t.ms.toFixed(1)),
              h("td", {}, h("pre", { class: "trace" }, short(JSON.stringify(t.inputs), 600))),
              h("td", {}, h("pre", { class: "trace" }, short(JSON.stringify(t.outputs), 900)))))))))));
  }

  /** A small drawing of the graph neighbourhood: content → rules → exceptions, overrides, terms. */
  function graphView(hits) {
    const others = [];
    const index = new Map();
    const edges = [];
    hits.forEach((hit, i) => {
      const rels = [
        ...hit.exceptions_checked.map((x) => ({ key: `rule:${x.rule_id}`, label: x.rule_id, title: x.title, kind: "exception", matched: x.matched })),
        ...hit.overrides_checked.map((x) => ({ key: `rule:${x.rule_id}`, label: x.rule_id, title: x.title, kind: "override", matched: false })),
        ...hit.definitions.map((t) => ({ key: `term:${t}`, label: t, title: "defined term", kind: "term", matched: false })),
      ];
      for (const r of rels) {
        if (!index.has(r.key)) {
          index.set(r.key, others.length);
          others.push(r);
        } else if (r.matched) {
          others[index.get(r.key)].matched = true;
        }
        edges.push({ from: i, to: index.get(r.key), kind: r.kind, matched: r.matched });
      }
    });
    const rowH = 34;
    const n = Math.max(hits.length, others.length, 1);
    const H = 24 + n * rowH;
    const W = 800;
    const x0 = 10, x1 = 290, x2 = 560, bw0 = 110, bw = 230;
    const yOf = (i, count) => 12 + (H - 24) * (i + 0.5) / count - 12;
    const svg = s("svg", { class: "graph", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-labelledby": "graph-title graph-desc", id: "graph" });
    const desc = hits.map((hit) => `${hit.rule_id} (${hit.verdict.replace(/_/g, " ")})` +
      (hit.exceptions_checked.length ? `; exceptions checked: ${hit.exceptions_checked.map((x) => x.rule_id + (x.matched ? " matched" : "")).join(", ")}` : "") +
      (hit.overrides_checked.length ? `; overrides: ${hit.overrides_checked.map((x) => x.rule_id).join(", ")}` : "") +
      (hit.definitions.length ? `; terms: ${hit.definitions.join(", ")}` : "")).join(". ");
    svg.append(s("title", { id: "graph-title" }, "Graph neighbourhood traversed for this content"),
      s("desc", { id: "graph-desc" }, hits.length ? `Content leads to ${desc}.` : "No rule was returned."));
    const cy = H / 2 - 12;
    const edgeLayer = s("g", {});
    const nodeLayer = s("g", {});
    svg.append(edgeLayer, nodeLayer);
    const clip = (t, n2) => (t.length > n2 ? t.slice(0, n2 - 1) + "…" : t);
    nodeLayer.append(s("g", { class: "node content" }, s("rect", { x: x0, y: cy, width: bw0, height: 24, rx: 5 }),
      s("text", { x: x0 + 8, y: cy + 16 }, "content")));
    hits.forEach((hit, i) => {
      const y = yOf(i, hits.length);
      edgeLayer.append(s("path", { class: "edge", d: `M${x0 + bw0},${cy + 12} C${x0 + bw0 + 50},${cy + 12} ${x1 - 50},${y + 12} ${x1},${y + 12}` }));
      edgeLayer.append(s("text", { class: "edge-label", x: x1 - 6, y: y + 8, "text-anchor": "end" }, clip(hit.verdict.replace(/_/g, " "), 20)));
      nodeLayer.append(s("a", { href: `#/rule/${enc(hit.rule_id)}` }, s("g", { class: `node rule ${hit.verdict}` },
        s("title", {}, `${hit.rule_id} ${hit.title} (${hit.verdict})`),
        s("rect", { x: x1, y, width: bw, height: 24, rx: 5 }),
        s("text", { x: x1 + 8, y: y + 16 }, clip(`${hit.rule_id} ${hit.title}`, 32)))));
    });
    others.forEach((o, j) => {
      const y = yOf(j, others.length);
      nodeLayer.append(s("g", { class: `node ${o.kind}${o.matched ? " matched" : ""}` },
        s("title", {}, `${o.label}: ${o.title} (${o.kind}${o.matched ? ", matched" : ""})`),
        s("rect", { x: x2, y, width: bw, height: 24, rx: 5 }),
        s("text", { x: x2 + 8, y: y + 16 }, clip(o.kind === "term" ? `term: ${o.label}` : `${o.label} ${o.title || ""}`, 32))));
    });
    for (const e of edges) {
      const ya = yOf(e.from, hits.length) + 12;
      const yb = yOf(e.to, others.length) + 12;
      edgeLayer.append(s("path", { class: `edge ${e.kind}${e.matched ? " matched" : ""}`, d: `M${x1 + bw},${ya} C${x1 + bw + 40},${ya} ${x2 - 40},${yb} ${x2},${yb}` }));
    }
    return svg;
  }

  // ------------------------------------------------------------------ start
  async function start() {
    $("#skip").addEventListener("click", (ev) => {
      ev.preventDefault();
      $("#main").focus();
    });
    window.addEventListener("hashchange", () => route());
    const key = sessionStorage.getItem(KEY_STORE);
    if (key) {
      try {
        await detectRole(key);
      } catch (e) {
        sessionStorage.removeItem(KEY_STORE);
      }
    }
    await route();
    document.body.dataset.ready = "1";
  }
  start();
})();
