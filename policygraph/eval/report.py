"""Rendering of the eval report: PNG charts (matplotlib, headless) and the Markdown report, plus the
few summary lines printed at the end of `policygraph eval`."""

from __future__ import annotations

from pathlib import Path

import numpy as np

RUN_LABELS = {
    "p1_article": "P1 · article query → English pivot",
    "p1_sentence": "P1 · sentence query → English pivot",
    "p2_sentence": "P2 · sentence query → all translations",
    "p2_sentence_excl": "P2 · sentence query → all translations except its own",
}
MAX_SCRIPT_COLOURS = 18


def _f(x, nd: int = 3) -> str:
    return "—" if x is None else f"{x:.{nd}f}"


def _udhr(report: dict) -> dict:
    u = (report.get("suites") or {}).get("udhr") or {}
    return u if "runs" in u else {}


# --------------------------------------------------------------------------- summary lines


def summary_lines(report: dict) -> list[str]:
    lines = []
    u = _udhr(report)
    skipped = ((report.get("suites") or {}).get("udhr") or {}).get("skipped")
    if skipped:
        lines.append(f"suite 1 (UDHR): skipped — {skipped}")
    if u:
        t = u["timings"]
        lines.append(f"suite 1 (UDHR): {u['query_languages']} query languages ({u['distinct_iso639_3']} ISO 639-3 "
                     f"codes), {t['total_s']:.0f}s, {t['texts_embedded']} texts embedded, {t['cache_hits']} from cache")
        for name, run in u["runs"].items():
            m = run["macro"]
            lines.append(f"  {name:<17} acc@1 {_f(m['acc@1'])}  recall@5 {_f(m['recall@5'])}  MRR {_f(m['mrr'])}  "
                         f"≥0.9: {run['languages_at_least_0.9']}/{run['n_languages']}")
    dev = (report.get("suites") or {}).get("devset")
    if dev:
        for system, s in dev["systems"].items():
            o = s["overall"]
            lines.append(f"suite 2 (dev set) {system:<7} top1 {_f(o['top1'])}  top3 {_f(o['top3'])}  "
                         f"rule recall@5 {_f(o['rule_recall@5'])}  exception {_f(o['exception_correct'])}  "
                         f"none {_f(o['none_correct'])}")
        for n in dev.get("notes", []):
            lines.append(f"  note: {n}")
    ext = (report.get("suites") or {}).get("external")
    if ext and ext.get("skipped"):
        lines.append(f"suite external: skipped — {ext['skipped']}")
    elif ext:
        for name, s in ext["datasets"].items():
            o = s["overall"]
            worst = min(s["per_language"].items(), key=lambda kv: kv[1]["top3"] if kv[1]["top3"] is not None else 1)
            line = (f"suite external ({ext['split']} half) {name:<9} top1 {_f(o['top1'])}  top3 {_f(o['top3'])}  "
                    f"worst {worst[0]} {_f(worst[1]['top3'])}  benign given 'applies' {_f(o['benign_applies'])}")
            if s.get("consistency"):
                line += f"  top category = English {_f(s['consistency']['top_category_equals_english'])}"
            if (s.get("calibration") or {}).get("ece") is not None:
                line += f"  ECE {_f(s['calibration']['ece'])}"
            lines.append(line)
    mm = (report.get("suites") or {}).get("multimodal")
    if mm:
        st, fl = mm["systems"]["structured"]["overall"], mm["systems"]["flattened"]["overall"]
        lines.append(f"suite multimodal ({mm['split']} half, {mm['items']} items) structured top3 {_f(st['top3'])} "
                     f"correct {_f(st['overall_correct'])}; flattened top3 {_f(fl['top3'])} "
                     f"correct {_f(fl['overall_correct'])}; top3 gain {_f(mm.get('top3_gain'))}")
    adv = (report.get("suites") or {}).get("adversarial")
    if adv:
        parts = [f"{k} {_f(a['top3'])} (−{_f(a['drop'])})" for k, a in adv["attacks"].items()]
        lines.append(f"suite adversarial ({adv['split']} half, {adv['items']} items, clean top3 {_f(adv['clean_top3'])}): "
                     + ", ".join(parts))
    lat = (report.get("suites") or {}).get("latency")
    if lat:
        for system, s in lat["systems"].items():
            lines.append(f"suite 3 (latency) {system:<7} p50 {_f(s['total']['p50_ms'], 1)} ms  "
                         f"p95 {_f(s['total']['p95_ms'], 1)} ms")
        for n in lat.get("notes", []):
            lines.append(f"  note: {n}")
    cmp_ = report.get("comparison")
    if cmp_:
        status = "FAILED" if cmp_["failed"] else "passed"
        lines.append(f"regression gate vs {cmp_.get('baseline')}: {status} ({cmp_['compared']} gated metrics, "
                     f"{len(cmp_['regressions'])} regressions)")
        for r in cmp_["regressions"][:20]:
            lines.append(f"  {r['metric']}: {r['baseline']} → {r['current']} (tolerance {r['tolerance']})")
    lines.append(f"total {report.get('duration_s', 0):.0f}s")
    return lines


# --------------------------------------------------------------------------- charts


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _script_colours(langs: dict, keys: list[str]) -> dict[str, tuple]:
    plt = _plt()
    counts: dict[str, int] = {}
    for k in keys:
        counts[langs[k]["script"]] = counts.get(langs[k]["script"], 0) + 1
    top = sorted(counts, key=lambda s: (-counts[s], s))[:MAX_SCRIPT_COLOURS]
    tab = plt.get_cmap("tab20").colors
    palette = [tab[i] for i in [*range(0, 20, 2), *range(1, 20, 2)] if i not in (14, 15)]  # no greys
    colours = {s: palette[i % len(palette)] for i, s in enumerate(top)}
    if len(counts) > len(top):
        colours["Other scripts"] = (0.6, 0.6, 0.6, 1.0)
    return colours


def _script_of(langs: dict, key: str, colours: dict) -> str:
    s = langs[key]["script"]
    return s if s in colours else "Other scripts"


def chart_languages(run_name: str, run: dict, langs: dict, path: Path, n_worst: int = 10) -> Path:
    """Per-language acc@1, sorted, coloured by script; the worst ones named."""
    plt = _plt()
    per = run["per_language"]
    keys = sorted(per, key=lambda k: (-per[k]["acc@1"], -per[k]["mrr"], k))
    vals = [per[k]["acc@1"] for k in keys]
    colours = _script_colours(langs, keys)
    n = len(keys)
    many = n > 70
    fig, ax = plt.subplots(figsize=(min(28, max(10, n * (0.045 if many else 0.28))), 6.2))
    bar_colours = [colours[_script_of(langs, k, colours)] for k in keys]
    ax.bar(range(n), vals, color=bar_colours, width=1.0 if many else 0.8, linewidth=0)
    macro = run["macro"]["acc@1"]
    ax.axhline(macro, color="black", lw=1, ls="--")
    ax.text(n - 0.5, macro + 0.01, f"macro {macro:.3f}", ha="right", va="bottom", fontsize=9)
    ax.axhline(0.9, color="#2a7", lw=0.8, ls=":")
    ax.set_ylim(0, 1.05)
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylabel("accuracy@1 (30 articles)")
    ax.set_title(f"{RUN_LABELS.get(run_name, run_name)} — {n} languages, sorted; "
                 f"{run['languages_at_least_0.9']} at ≥ 0.9 (dotted)")
    if many:
        ax.set_xticks([])
        ax.set_xlabel("languages, best to worst")
        worst = keys[-n_worst:][::-1]
        for k in worst:
            ax.plot(keys.index(k), per[k]["acc@1"] + 0.02, marker="v", color="#d33", ms=4)
        listing = "\n".join(f"{langs[k]['name'][:28]} ({k}, {langs[k]['script']}): {per[k]['acc@1']:.2f}"
                            for k in worst)
        ax.text(0.99, 0.97, f"Worst {len(worst)} (red marks)\n{listing}", transform=ax.transAxes, ha="right",
                va="top", fontsize=8, family="monospace",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": "#999"})
    else:
        ax.set_xticks(range(n))
        ax.set_xticklabels([f"{langs[k]['name'][:22]} ({k})" for k in keys], rotation=70, ha="right", fontsize=7.5)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, list(colours), title="script", fontsize=7.5, title_fontsize=8, loc="upper left",
              bbox_to_anchor=(1.005, 1.0), ncol=1 if len(colours) <= 12 else 2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_groups(run_name: str, run: dict, langs: dict, path: Path) -> Path:
    """acc@1 of every language, grouped by script and by region (dots), with each group's mean."""
    plt = _plt()
    per = run["per_language"]
    fig, axes = plt.subplots(1, 2, figsize=(15, 6), gridspec_kw={"width_ratios": [3, 1.3]})
    rng = np.random.default_rng(0)
    for ax, field in zip(axes, ("script", "region"), strict=True):
        groups: dict[str, list[float]] = {}
        for k, m in per.items():
            groups.setdefault(langs[k][field], []).append(m["acc@1"])
        order = sorted(groups, key=lambda g: (-np.mean(groups[g]), g))
        for i, g in enumerate(order):
            ys = groups[g]
            spread = 0.18 if len(ys) < 20 else 0.4
            xs = i + rng.uniform(-spread, spread, len(ys))
            ax.scatter(xs, ys, s=10 if len(ys) > 50 else 14, alpha=0.45 if len(ys) > 50 else 0.75, color="#3a6fb0",
                       linewidths=0, zorder=3)
            ax.plot([i - 0.42, i + 0.42], [np.mean(ys)] * 2, color="#d33", lw=2, zorder=2)
        ax.set_xticks(range(len(order)))
        ax.set_xticklabels([f"{g} ({len(groups[g])})" for g in order], rotation=60, ha="right", fontsize=8)
        ax.set_ylim(-0.02, 1.04)
        ax.set_ylabel("accuracy@1")
        ax.set_title(f"by {field} (red: mean; n languages in brackets)")
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(RUN_LABELS.get(run_name, run_name))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_worst(u: dict, path: Path, n: int = 25) -> Path:
    """The worst languages of the first run, with every run's score side by side."""
    plt = _plt()
    runs = u["runs"]
    first = next(iter(runs))
    per = runs[first]["per_language"]
    langs = u["languages"]
    keys = sorted(per, key=lambda k: (per[k]["acc@1"], per[k]["mrr"], k))[:n]
    names = list(runs)
    fig, ax = plt.subplots(figsize=(11, max(4, 0.34 * len(keys) + 1.5)))
    h = 0.8 / len(names)
    y = np.arange(len(keys))
    for j, name in enumerate(names):
        vals = [runs[name]["per_language"].get(k, {}).get("acc@1", np.nan) for k in keys]
        ax.barh(y + j * h, vals, height=h, label=RUN_LABELS.get(name, name))
    ax.set_yticks(y + h * (len(names) - 1) / 2)
    ax.set_yticklabels([f"{langs[k]['name'][:30]} ({k}, {langs[k]['script']})" for k in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("accuracy@1")
    ax.set_title(f"The {len(keys)} worst languages ({RUN_LABELS.get(first, first)})")
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_runs(u: dict, path: Path) -> Path:
    """Macro acc@1 / recall@5 / MRR per run, and acc@1 per article."""
    plt = _plt()
    runs = u["runs"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5.6), gridspec_kw={"width_ratios": [1, 1.6]})
    metrics = ("acc@1", "recall@5", "mrr")
    x = np.arange(len(metrics))
    w = 0.8 / max(1, len(runs))
    for j, (name, run) in enumerate(runs.items()):
        vals = [run["macro"][m] for m in metrics]
        bars = a1.bar(x + j * w, vals, width=w, label=RUN_LABELS.get(name, name))
        for b, v in zip(bars, vals, strict=True):
            a1.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", fontsize=7)
        arts = run["per_article_acc@1"]
        a2.plot([int(a) for a in arts], list(arts.values()), marker="o", ms=3, label=RUN_LABELS.get(name, name))
    a1.set_xticks(x + w * (len(runs) - 1) / 2)
    a1.set_xticklabels([f"macro {m}" for m in metrics])
    a1.set_ylim(0, 1.08)
    a1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2)
    a1.set_title(f"{u['query_languages']} query languages")
    a2.set_xticks(range(1, 31))
    a2.set_ylim(0, 1.02)
    a2.set_xlabel("UDHR article")
    a2.set_ylabel("accuracy@1 across languages")
    a2.set_title("Which articles are hard")
    a2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_devset(dev: dict, path: Path) -> Path:
    plt = _plt()
    systems = dev["systems"]
    metrics = ("top1", "top3", "rule_recall@5", "exception_correct", "none_correct")
    langs = sorted({lg for s in systems.values() for lg in s["per_language"]})
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(15, 5))
    w = 0.8 / max(1, len(systems))
    x = np.arange(len(metrics))
    for j, (name, s) in enumerate(systems.items()):
        vals = [s["overall"].get(m) or 0.0 for m in metrics]
        bars = a1.bar(x + j * w, vals, width=w, label=name)
        for b, v in zip(bars, vals, strict=True):
            a1.text(b.get_x() + b.get_width() / 2, v + 0.01, f"{v:.2f}", ha="center", fontsize=7)
        xs = np.arange(len(langs))
        a2.bar(xs + j * w, [s["per_language"].get(lg, {}).get("top3") or 0.0 for lg in langs], width=w, label=name)
    a1.set_xticks(x + w * (len(systems) - 1) / 2)
    a1.set_xticklabels(metrics, fontsize=8)
    a1.set_ylim(0, 1.1)
    a1.set_title(f"Dev set ({dev['items']} items): vector-only vs hybrid vs agent")
    a1.legend(fontsize=8)
    a2.set_xticks(np.arange(len(langs)) + w * (len(systems) - 1) / 2)
    a2.set_xticklabels(langs, fontsize=8)
    a2.set_ylim(0, 1.05)
    a2.set_title("top-3 category accuracy per language")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def chart_latency(lat: dict, path: Path) -> Path:
    plt = _plt()
    systems = lat["systems"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(14, 4.8))
    hybrid = (systems.get("hybrid") or {}).get("stages") or {}
    names = list(hybrid)
    x = np.arange(len(names))
    a1.bar(x - 0.2, [hybrid[s]["p50_ms"] for s in names], width=0.4, label="p50")
    a1.bar(x + 0.2, [hybrid[s]["p95_ms"] for s in names], width=0.4, label="p95")
    a1.set_xticks(x)
    a1.set_xticklabels(names, fontsize=8)
    a1.set_yscale("log")
    a1.set_ylabel("ms (log)")
    a1.set_title("Hybrid retrieval, per stage")
    a1.legend(fontsize=8)
    rows = [(n, s["total"]) for n, s in systems.items()]
    for s in systems.values():
        for node, p in (s.get("nodes") or {}).items():
            rows.append((f"agent · {node}", p))
    y = np.arange(len(rows))
    a2.barh(y - 0.2, [r[1]["p50_ms"] for r in rows], height=0.4, label="p50")
    a2.barh(y + 0.2, [r[1]["p95_ms"] for r in rows], height=0.4, label="p95")
    a2.set_yticks(y)
    a2.set_yticklabels([r[0] for r in rows], fontsize=8)
    a2.invert_yaxis()
    a2.set_xscale("log")
    a2.set_xlabel("ms (log)")
    a2.set_title(f"End to end per system ({lat['items']} queries, {lat['cpu_count']} CPUs, index on "
                 f"{lat['vector_device']})")
    a2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_charts(report: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    u = _udhr(report)
    if u and u["runs"]:
        for name, run in u["runs"].items():
            if run["n_languages"]:
                paths.append(chart_languages(name, run, u["languages"], out / f"udhr_{name}_languages.png"))
                paths.append(chart_groups(name, run, u["languages"], out / f"udhr_{name}_groups.png"))
        paths.append(chart_worst(u, out / "udhr_worst.png"))
        paths.append(chart_runs(u, out / "udhr_runs.png"))
    dev = (report.get("suites") or {}).get("devset")
    if dev and dev.get("systems"):
        paths.append(chart_devset(dev, out / "devset_systems.png"))
    ext = (report.get("suites") or {}).get("external")
    if ext and not ext.get("skipped"):
        for name, sm in ext["datasets"].items():
            paths.append(chart_external(name, sm, out / f"external_{name}.png"))
    lat = (report.get("suites") or {}).get("latency")
    if lat and lat.get("systems"):
        paths.append(chart_latency(lat, out / "latency.png"))
    return paths


def chart_external(name: str, sm: dict, path: Path) -> Path:
    """Per language: top-3 on flagged items and 'applies' on benign items; beside it the reliability
    diagram of the first rule's confidence."""
    plt = _plt()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [2.2, 1]})
    langs = list(sm["per_language"])
    top3 = [sm["per_language"][k]["top3"] or 0 for k in langs]
    ben = [sm["per_language"][k]["benign_applies"] or 0 for k in langs]
    xs = range(len(langs))
    ax.bar([x - 0.2 for x in xs], top3, width=0.4, label="flagged: category in top 3")
    ax.bar([x + 0.2 for x in xs], ben, width=0.4, label="benign: given 'applies'")
    ax.set_xticks(list(xs), langs)
    ax.set_ylim(0, 1)
    ax.set_title(f"{name}: per language")
    ax.legend(fontsize=8, loc="upper left")
    bins = (sm.get("calibration") or {}).get("bins") or []
    ax2.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    if bins:
        ax2.plot([b["confidence"] for b in bins], [b["accuracy"] for b in bins], marker="o")
    ax2.set_xlim(0, 1)
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("confidence")
    ax2.set_ylabel("right")
    ece = (sm.get("calibration") or {}).get("ece")
    ax2.set_title(f"reliability (ECE {ece})" if ece is not None else "reliability")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- markdown


def _table(head: list[str], rows: list[list]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def write_markdown(report: dict, path: Path) -> None:
    L: list[str] = ["# PolicyGraph eval report", ""]
    env, cfg = report["environment"], report["config"]
    L.append(f"Generated {report['generated_at']} · schema_version {report['schema_version']} · commit "
             f"{env.get('git_commit') or '?'} · {env['cpu_count']} CPUs · embedder `{env['embedder']}` · "
             f"{'quick' if cfg['quick'] else 'full'} run of {', '.join(cfg['suites'])} in "
             f"{report.get('duration_s', 0):.0f} s; load average {env.get('load_average_start')} at the start, "
             f"{env.get('load_average_end')} at the end.")
    L.append("")
    L += ["```", *summary_lines(report), "```", ""]
    charts = report.get("charts") or []

    def img(name: str, alt: str) -> None:
        rel = f"charts/{name}"
        if rel in charts:
            L.extend([f"![{alt}]({rel})", ""])

    cmp_ = report.get("comparison")
    if cmp_:
        L += [f"## Regression gate — {'FAILED' if cmp_['failed'] else 'passed'}", ""]
        L.append(f"Against `{cmp_.get('baseline')}`: {cmp_['compared']} gated metrics; UDHR macro averages over the "
                 f"languages both reports share ({cmp_['udhr_common_languages']}).")
        L.append("")
        rows = [[r["metric"], r["baseline"], r["current"], f"{r['delta']:+.4f}", r["tolerance"] or "not gated",
                 r["status"]] for r in cmp_["rows"]]
        L += _table(["metric", "baseline", "current", "Δ", "tolerance", "status"], rows)
        L.append("")

    skipped = ((report.get("suites") or {}).get("udhr") or {}).get("skipped")
    if skipped:
        L += ["## Suite 1 — cross-lingual retrieval (UDHR)", "", f"Skipped: {skipped}.", ""]
    u = _udhr(report)
    if u:
        L += ["## Suite 1 — cross-lingual retrieval (UDHR)", ""]
        parsed = u.get("parsed", u["translation_files"])
        scope = (f"{u['translation_files']} translation files" if parsed >= u["translation_files"] else
                 f"{u['translation_files']} translation files, {parsed} of them read (the languages asked for)")
        L.append(f"{scope}, {u['complete_translations']} with text in all 30 "
                 f"articles; pivot `{u['pivot']}`; {u['query_languages']} query languages "
                 f"({u['distinct_iso639_3']} distinct ISO 639-3 codes). Each language: 30 queries, one per article; "
                 "a query is right at 1 when the best-ranked rule is its article. Embedder "
                 f"`{u['embedder']}`.")
        L.append("")
        rows = [[f"`{n}`", RUN_LABELS.get(n, n), r["n_languages"], _f(r["macro"]["acc@1"]),
                 _f(r["macro"]["recall@5"]), _f(r["macro"]["mrr"]), r["languages_at_least_0.9"],
                 r["languages_perfect"]] for n, r in u["runs"].items()]
        L += _table(["run", "protocol", "languages", "macro acc@1", "macro recall@5", "macro MRR",
                     "languages ≥ 0.9", "languages = 1.0"], rows)
        L.append("")
        for n, r in u["runs"].items():
            L.append(f"- `{n}`: {r['description']}")
        L.append("")
        img("udhr_runs.png", "macro metrics per run and accuracy per article")
        img("udhr_worst.png", "worst languages")
        for n, r in u["runs"].items():
            L += [f"### {RUN_LABELS.get(n, n)}", ""]
            img(f"udhr_{n}_languages.png", f"per-language accuracy, {n}")
            img(f"udhr_{n}_groups.png", f"accuracy by script and region, {n}")
            L += ["Worst languages:", ""]
            L += _table(["language", "key", "ISO 639-3", "script", "region", "acc@1", "MRR"],
                        [[w["name"], f"`{w['key']}`", w["iso639_3"], w["script"], w["region"], _f(w["acc@1"]),
                          _f(w["mrr"])] for w in r["worst"]])
            L.append("")
            L += ["<details><summary>By script and by region</summary>", ""]
            L += _table(["script", "languages", "mean acc@1", "min acc@1", "mean MRR"],
                        [[s, g["n"], _f(g["acc@1"]), _f(g["min_acc@1"]), _f(g["mrr"])]
                         for s, g in r["by_script"].items()])
            L.append("")
            L += _table(["region", "languages", "mean acc@1", "min acc@1", "mean MRR"],
                        [[s, g["n"], _f(g["acc@1"]), _f(g["min_acc@1"]), _f(g["mrr"])]
                         for s, g in r["by_region"].items()])
            L += ["", "</details>", ""]
        if u.get("excluded"):
            L += ["Translations left out (not all 30 articles have text): "
                  + ", ".join(f"`{k}` ({v})" for k, v in u["excluded"].items()), ""]
        t = u["timings"]
        L += ["Timings (embedding cache: SQLite keyed by model, role and text; a repeated run embeds nothing):", ""]
        L += _table(["phase", "seconds", "embedded", "from cache", "texts/s"],
                    [[k, _f(v.get("seconds"), 1), v.get("embedded", ""), v.get("cache_hits", ""),
                      _f(v.get("texts_per_s"), 1) if v.get("texts_per_s") else ""] for k, v in t["phases"].items()])
        L += ["", f"Suite 1 total: {t['total_s']:.0f} s; {t['texts_embedded']} texts embedded, "
              f"{t['cache_hits']} served from the cache.", ""]

    dev = (report.get("suites") or {}).get("devset")
    if dev:
        L += ["## Suite 2 — which policy applies (dev set)", ""]
        L.append(f"{dev['items']} labelled items; vector-only, hybrid retrieval and the agent on the same engine "
                 "and data. top1/top3: category accuracy; rule_recall@5: share of the expected rule ids returned; "
                 "exception / none: correctness on exception and no-rule items.")
        L.append("")
        if dev["systems"]:
            metrics = ("top1", "top3", "rule_recall@5", "exception_correct", "none_correct", "overall_correct")
            L += _table(["system", *metrics],
                        [[n, *[_f(s["overall"].get(m)) for m in metrics]] for n, s in dev["systems"].items()])
            L.append("")
            L += ["Per language:", "", dev.get("table_md", ""), ""]
        for n in dev.get("notes", []):
            L.append(f"- note: {n}")
        L.append("")
        img("devset_systems.png", "dev set per system")
    ext = (report.get("suites") or {}).get("external")
    if ext and not ext.get("skipped"):
        L += [f"## Suite external — data nobody here wrote ({ext['split']} half)", ""]
        L.append("What the moderation agent receives: top1/top3 = the categories of the first one/three rules "
                 "returned; flagged/benign applies = share of flagged/benign items with any rule `applies`. "
                 "Multilingual HateCheck is never fitted on; MultiJail is split by prompt.")
        L.append("")
        for name, sm in ext["datasets"].items():
            L += [f"### {name}", "", sm.get("table_md", ""), ""]
            cons = sm.get("consistency")
            if cons:
                L.append(f"Prompts whose top rule is the same in all languages: "
                         f"{_f(cons['same_top_rule_all_languages'])} of {cons['prompts']}; top category equals the "
                         f"English prompt's in {_f(cons['top_category_equals_english'])} of (prompt, language) pairs.")
                L.append("")
            funcs = sm.get("per_functionality") or {}
            if name == "hatecheck" and funcs:
                L += _table(["functionality", "n", "top3", "applies"],
                            [[k, v["n"], _f(v["top3"]), _f(v["flagged_applies"] if v["flagged"] else v["benign_applies"])]
                             for k, v in funcs.items()])
                L.append("")
            cal = sm.get("calibration") or {}
            if cal.get("ece") is not None:
                L.append(f"Confidence of the first rule vs. its category being right: ECE {_f(cal['ece'])} "
                         f"over {cal['n']} answers.")
                L.append("")
            img(f"external_{name}.png", f"{name} per language")
    mm = (report.get("suites") or {}).get("multimodal")
    if mm:
        L += [f"## Suite multimodal — structured content against one flattened string ({mm['split']} half)", ""]
        L.append(f"{mm['items']} items (policygraph/eval/multimodal/items.jsonl, written by this team): title, "
                 "description, transcript, on-screen text, hashtags, comments, upstream labels and AIGC provenance, "
                 "scored as the dev set is. `flattened` sends every field in one text, labels and provenance "
                 "written out as words.")
        L.append("")
        keys = ["top1", "top3", "rule_recall@5", "exception_correct", "none_correct", "overall_correct",
                "applies_precision", "applies_recall"]
        L += _table(["system", *keys], [[n, *(_f(s["overall"][k]) for k in keys)] for n, s in mm["systems"].items()])
        L.append("")
        wheres = sorted({w for by in mm["by_where"].values() for w in by})
        L.append("Where the violation is (top3 / correct):")
        L.append("")
        L += _table(["where", "n", *mm["by_where"]],
                    [[w, next(iter(mm["by_where"].values())).get(w, {}).get("n", 0),
                      *(f"{_f(by.get(w, {}).get('top3'))} / {_f(by.get(w, {}).get('correct'))}"
                        for by in mm["by_where"].values())] for w in wheres])
        L.append("")
    adv = (report.get("suites") or {}).get("adversarial")
    if adv:
        L += [f"## Suite adversarial — obfuscated content ({adv['split']} half)", ""]
        L.append(f"{adv['items']} flagged items (dev set and external), each perturbed by every attack that applies "
                 f"to its script; top3 on the perturbed text against the clean one (clean top3 {_f(adv['clean_top3'])}).")
        L.append("")
        L += _table(["attack", "items", "clean top3", "attacked top3", "drop"],
                    [[k, a["n"], _f(a["clean_top3"]), _f(a["top3"]), _f(a["drop"])] for k, a in adv["attacks"].items()])
        L.append("")
    lat = (report.get("suites") or {}).get("latency")
    if lat:
        L += ["## Suite 3 — latency", ""]
        L.append(f"{lat['items']} dev-set queries after {lat['warmup']} warm-up queries, query embedding not cached, "
                 f"{lat['cpu_count']} CPUs, {lat['vectors']} vectors on {lat['vector_device']}; load average "
                 f"{lat.get('load_average_before')} before, {lat.get('load_average_after')} after (a load above the "
                 "CPU count inflates every timing, the embedding's most).")
        L.append("")
        rows = []
        for n, s in lat["systems"].items():
            rows.append([f"**{n}** total", s["total"]["n"], _f(s["total"]["p50_ms"], 2), _f(s["total"]["p95_ms"], 2),
                         _f(s["total"]["mean_ms"], 2)])
            for k, p in {**(s.get("stages") or {}), **(s.get("nodes") or {})}.items():
                rows.append([f"{n} · {k}", p["n"], _f(p["p50_ms"], 2), _f(p["p95_ms"], 2), _f(p["mean_ms"], 2)])
        L += _table(["stage", "n", "p50 ms", "p95 ms", "mean ms"], rows)
        L.append("")
        for n in lat.get("notes", []):
            L.append(f"- note: {n}")
        L.append("")
        img("latency.png", "latency per stage")
    path.write_text("\n".join(L) + "\n", encoding="utf-8")
