"""`policygraph` command line: the parser, and the core commands ingest, examples import, ask, show, stats."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from pydantic import ValidationError

from policygraph.cli.common import engine_for
from policygraph.errors import IngestError, NotFound, PolicyGraphError
from policygraph.ingest import pipeline
from policygraph.terminal import (
    content_arg,
    field_arg,
    iso_date,
    jurisdiction_arg,
    language_arg,
    positive_int,
    progress_bar,
    structured_content,
)


def cmd_ingest(args) -> int:
    eng = engine_for(args)
    report = pipeline.ingest(eng, args.paths, progress=None if args.quiet else progress_bar())
    for note in report.notices:
        print(f"note: {note}", file=sys.stderr)
    if args.json:
        print(report.model_dump_json(indent=2))
    elif report.noop:
        print(f"unchanged: {len(report.policies)} policies already stored as given ({report.seconds:.1f}s)")
    else:
        print(f"ingested {len(report.policies)} policies, {report.rules_written} rules, {report.terms} terms, "
              f"{report.examples} examples; embedded {report.vectors_embedded} texts in "
              f"{', '.join(report.languages)} ({report.seconds:.1f}s)")
    return 0


def cmd_examples_import(args) -> int:
    eng = engine_for(args)
    if not _has_policies(eng):
        return 1
    for path in args.files:
        rep = pipeline.import_examples(eng, path, progress=None if args.quiet else progress_bar())
        if args.json:
            print(rep.model_dump_json())
            continue
        print(f"{rep.file}: {_n(rep.rows, 'row')}, {rep.added} added, {rep.unchanged} already stored"
              + (f"; {_n(rep.attached_by_category, 'row')} named a category only: attached to the closest rule "
                 f"of that category" if rep.attached_by_category else "")
              + (f"; {rep.benign} about no rule (benign content)" if rep.benign else "")
              + f" ({rep.seconds:.1f}s)")
    return 0


def _has_policies(eng) -> bool:
    """False (and a line saying what to do) when the data dir holds no policy yet."""
    if eng.catalog.rules:
        return True
    print(f"error: no policies are stored in {eng.settings.data_dir}; ingest some first, e.g. "
          f"`policygraph ingest policies/`", file=sys.stderr)
    return False


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _content_file(path: str) -> dict | None:
    """A ContentQuery as a JSON object from a file (`-`: standard input); None (and a line) when it is not."""
    try:
        raw = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
        data = json.loads(raw)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: --content-file: cannot read {path!r}: {exc}", file=sys.stderr)
        return None
    except json.JSONDecodeError as exc:
        print(f"error: --content-file {path}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
              file=sys.stderr)
        return None
    if not isinstance(data, dict):
        print(f"error: --content-file {path}: must hold one JSON object (the ContentQuery's fields), "
              f"not {type(data).__name__}", file=sys.stderr)
        return None
    return data


def cmd_ask(args) -> int:
    from policygraph.models import ContentQuery

    eng = engine_for(args)
    if not _has_policies(eng):
        return 1
    data: dict = {}
    if args.content_file:
        loaded = _content_file(args.content_file)
        if loaded is None:
            return 2
        data = loaded
    if args.content is not None:
        data["text"] = args.content
    try:
        data = structured_content(data, args.field or [])
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for key, value in (("language", args.lang), ("jurisdiction", args.jurisdiction), ("at", args.at)):
        if value is not None:
            data[key] = value
    data["top_k"] = args.top_k
    q = ContentQuery(**data)
    agent = None
    try:
        from policygraph.agent import PolicyAgent

        agent = PolicyAgent(eng)
    except ImportError:
        agent = None
    if agent is not None:
        decision = agent.decide(q, render=args.json and args.trace)
        if args.json:
            # the PolicyContext (what the moderation agent consumes); with --trace the whole decision
            # record: context, per-rule decisions, the trace and the rendered policies
            print((decision if args.trace else decision.context).model_dump_json(indent=2))
        else:
            print(agent.render_text(decision, trace=args.trace))
        return 0
    from policygraph.retrieval import Retriever

    ctx = Retriever(eng).retrieve(q)
    if args.json:
        print(ctx.model_dump_json(indent=2))
        return 0
    u = ctx.query
    print(f"content language: {u.language}{' (detected)' if u.language_detected else ''}; "
          f"jurisdiction: {u.jurisdiction or 'global'}; date: {u.at}")
    if u.linked_terms:
        print("linked terms: " + ", ".join(f"{t.term} ('{t.alias}')" for t in u.linked_terms))
    if not ctx.rules:
        print("\n" + ctx.rationale)
    for h in ctx.rules:
        print(f"\n{h.rule_id}  [{h.verdict}]  score {h.score:.3f}  {h.policy_title} › {h.title}")
        print(f"  {h.category.value} · {h.kind} · severity {h.severity} · actions {', '.join(h.actions)}"
              f" · {', '.join(h.jurisdictions)}")
        print(f"  {h.text[:300]}{'…' if len(h.text) > 300 else ''}")
        for e in h.evidence:
            print(f"  evidence: {e.signal} {e.score:g} — {e.detail}")
        for x in h.exceptions_checked:
            state = "MAY APPLY" if x.matched else "not matched"
            print(f"  exception checked: {x.rule_id} {x.title} ({x.score:g}, {state})")
        for o in h.overrides_checked:
            print(f"  override: {o.rule_id} {o.title}")
        c = h.citations[0]
        span = f", chars {c.span.start}-{c.span.end} (line {c.span.line})" if c.span else ""
        print(f"  cite: {c.document} § {c.section} v{c.version}{span}")
    print(f"\nwhy: {ctx.rationale}")
    print("timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in ctx.timings_ms.items()))
    return 0


def cmd_show(args) -> int:
    eng = engine_for(args)
    view = eng.get_rule(args.rule_id, at=args.at, lang=args.lang)
    if args.json:
        print(view.model_dump_json(indent=2))
        return 0
    print(f"{view.rule_id} v{view.version}: {view.title}  ({view.policy_title} › {view.section})")
    print(f"{view.category.value} · {view.kind} · severity {view.severity} · actions {', '.join(view.actions)} · "
          f"{', '.join(view.jurisdictions)} · in force {view.valid_from or '-'} → {view.valid_to or 'now'}")
    if args.lang and view.language != args.lang:
        print(f"(no {args.lang} text: shown in {view.language}; this rule has {', '.join(sorted(view.texts))})")
    print(f"\n{view.text}\n")
    print(f"languages: {', '.join(sorted(view.texts))}")
    for label, vals in (("exceptions", view.exceptions), ("exception to", view.exception_to),
                        ("overrides", view.overrides), ("overridden by", view.overridden_by),
                        ("refers to", view.refers_to), ("terms", view.terms)):
        if vals:
            print(f"{label}: {', '.join(vals)}")
    for ex in view.examples:
        print(f"example [{ex['label']}, {ex['language']}]: {ex['text']}")
    c = view.citation
    print(f"cite: {c.document} § {c.section} v{c.version}" + (f", line {c.span.line}" if c.span else ""))
    return 0


def cmd_stats(args) -> int:
    eng = engine_for(args)
    s = eng.stats()
    if args.json:
        print(json.dumps(s, indent=2))
        return 0
    for k, v in s.items():
        if k != "graph":
            print(f"{k:>14}: {', '.join(v) if isinstance(v, list) else v}")
    print("         graph: " + ", ".join(f"{k}={v}" for k, v in s["graph"].items()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="policygraph", description="Which policy rules apply to this content, and why.",
        epilog="exit status: 0 done; 1 refused (a conflict, a stale draft, a store problem); 2 invalid input "
               "(a usage error, an invalid document: nothing was stored); 3 not found; 4 eval: a metric regressed")
    p.add_argument("--data-dir", help="data directory (env POLICYGRAPH_DATA_DIR; default ~/.local/share/policygraph)")
    p.add_argument("--backend", choices=["networkx", "neo4j"], help="graph backend (env POLICYGRAPH_GRAPH_BACKEND)")
    p.add_argument("-v", "--verbose", action="store_true", help="log what happens (INFO level) on stderr")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("ingest", help="parse, validate and store policy documents (files or folders)")
    s.add_argument("paths", nargs="+", help="policy files or folders; *.jsonl files are labelled decisions")
    s.add_argument("--json", action="store_true", help="print the IngestReport as JSON")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("ask", help="which rules apply to this content, and why")
    s.add_argument("content", type=content_arg, nargs="?",
                   help="the text to check (caption, comment, transcript); - reads stdin; optional with --field or "
                        "--content-file")
    s.add_argument("--field", type=field_arg, action="append", metavar="NAME=VALUE",
                   help="structured content, repeatable: title, description, transcript, ocr_text, hashtags, comments "
                        "(one per option), media_type, region, signal=LABEL:SCORE[:MODEL], declared_ai=true|false, "
                        "detector_score=0.97, c2pa=CLAIM; VALUE - reads stdin, @FILE a file")
    s.add_argument("--content-file", metavar="FILE.json",
                   help="the content as a JSON object with the ContentQuery's fields (docs/api.md); - reads stdin")
    s.add_argument("--lang", type=language_arg, help="language of the content, ISO 639 / BCP-47 (detected when absent)")
    s.add_argument("--jurisdiction", type=jurisdiction_arg, help="ISO 3166-1 alpha-2 country code or EU (default: global "
                   "rules only)")
    s.add_argument("--at", type=iso_date, help="point in time, YYYY-MM-DD (default today)")
    s.add_argument("--top-k", type=positive_int, default=5, help="how many rules to return at most (default 5)")
    s.add_argument("--json", action="store_true", help="print the PolicyContext as JSON (with --trace: the whole "
                                                       "decision record, trace included)")
    s.add_argument("--trace", action="store_true", help="print the agent's trace")
    s.set_defaults(fn=cmd_ask)

    s = sub.add_parser("show", help="one rule with its text, relations and examples")
    s.add_argument("rule_id", help="the rule's id, e.g. VE-1.1 (ids are upper case)")
    s.add_argument("--at", type=iso_date, help="the version in force on this date, YYYY-MM-DD (default today)")
    s.add_argument("--lang", type=language_arg, help="show the rule's text in this language when it has one")
    s.add_argument("--json", action="store_true", help="print the RuleView as JSON")
    s.set_defaults(fn=cmd_show)

    s = sub.add_parser("examples", help="labelled enforcement decisions that teach the engine (see `examples import`)")
    ex = s.add_subparsers(dest="examples_cmd", required=True)
    s = ex.add_parser("import", help="add labelled decisions from JSON Lines files (text, language, rule_id or "
                                     "category, label violating|non_violating, source); incremental; a file "
                                     "with any problem changes nothing")
    s.add_argument("files", nargs="+", help="JSON Lines files, one decision per line")
    s.add_argument("--json", action="store_true", help="print one ExamplesReport per file as JSON")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    s.set_defaults(fn=cmd_examples_import)

    s = sub.add_parser("stats", help="what is stored")
    s.add_argument("--json", action="store_true", help="print the counts as JSON")
    s.set_defaults(fn=cmd_stats)

    # Commands whose code lives with the component they drive.  Imported here,
    # lazily, so `policygraph ask` does not pay for FastAPI/matplotlib imports.
    from policygraph.api.serve import add_serve_parser
    from policygraph.cli.lifecycle import add_lifecycle_parsers
    from policygraph.eval.harness import add_eval_parser
    from policygraph.migrate import add_migrate_parser

    add_serve_parser(sub)
    add_migrate_parser(sub)
    add_eval_parser(sub)
    add_lifecycle_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        return int(args.fn(args) or 0)
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing was stored.", file=sys.stderr)
        return 2
    except NotFound as exc:
        print(f"not found: {exc}", file=sys.stderr)
        return 3
    except PolicyGraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:  # input the contract refuses (models.py): one line per problem
        for e in exc.errors():
            where = ".".join(str(p) for p in e["loc"]) or "input"
            print(f"error: {where}: {e['msg']}", file=sys.stderr)
        return 2
