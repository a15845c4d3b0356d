"""CLI subcommands of the policy lifecycle (registered by `policygraph.cli.main.build_parser`):

    policygraph diff PATH [--policy-id ID]             rule-level diff against the current version; writes nothing
    policygraph draft PATH [--policy-id ID] [--author NAME] [--effective-from DATE]
    policygraph drafts [--policy-id ID] [--status pending]
    policygraph evaluate-draft DRAFT_ID [--at DATE]    dev-set content whose applicable rules change
    policygraph publish DRAFT_ID [--author NAME]
    policygraph discard DRAFT_ID
    policygraph rollback POLICY_ID --to VERSION [--author NAME] [--effective-from DATE]
    policygraph history POLICY_ID
    policygraph audit [--policy-id ID] [--limit N]

Every command takes --json. Exit status: 0 done, 1 refused (stale draft, date), 2 invalid document,
3 not found.
"""

from __future__ import annotations

import json
import sys

from policygraph.cli.common import engine_for
from policygraph.eval.devset import impact_items
from policygraph.lifecycle import Lifecycle, render_text
from policygraph.terminal import iso_date


def _lifecycle(args) -> Lifecycle:
    return Lifecycle(engine_for(args))


def _dump(obj) -> str:
    if isinstance(obj, list):
        return json.dumps([o.model_dump(mode="json") if hasattr(o, "model_dump") else o for o in obj], indent=2,
                          ensure_ascii=False)
    return obj.model_dump_json(indent=2)


def cmd_diff(args) -> int:
    reports = _lifecycle(args).diff(args.paths, policy_id=args.policy_id, effective_from=args.effective_from,
                                    effective_to=args.effective_to)
    if args.json:
        print(_dump(reports))
    else:
        print("\n\n".join(render_text(r, args.max_items) for r in reports))
    return 0


def cmd_draft(args) -> int:
    results = _lifecycle(args).draft(args.paths, policy_id=args.policy_id, author=args.author,
                                     effective_from=args.effective_from, effective_to=args.effective_to,
                                     backfill=args.backfill)
    if args.json:
        print(json.dumps([{"draft_id": d.id if d else None, "stored": d is not None, "diff": r.model_dump(mode="json")}
                          for d, r in results], indent=2, ensure_ascii=False))
        return 0
    for d, r in results:
        print(render_text(r, args.max_items))
        if d is None:
            print("nothing drafted: unchanged.\n")
        else:
            print(f"\ndraft {d.id} stored (author {d.author}); not served until `policygraph publish {d.id}`\n")
    return 0


def cmd_drafts(args) -> int:
    drafts, damaged = _lifecycle(args).scan_drafts(args.policy_id, args.status)
    for line in damaged:
        print(f"warning: {line}", file=sys.stderr)
    if args.json:
        print(_dump(drafts))
        return 0
    if not drafts:
        print("no drafts")
    for d in drafts:
        c = d.diff.counts
        summary = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in c.items() if v and k != "unchanged")
        print(f"{d.id:<48} {d.status:<9} v{d.base_version or '-'}→v{d.version}  {d.created_at}  {d.author}  "
              f"{summary or 'no rule changes'}")
    return 0


def cmd_evaluate(args) -> int:
    lc = _lifecycle(args)
    _, doc = lc.load_draft(args.draft_id)
    rep = lc.evaluate(args.draft_id, impact_items(args.scope, doc.category.value), at=args.at)
    if args.json:
        print(_dump(rep))
        return 0
    print(f"draft {rep.draft_id} at {rep.at}: {rep.changed} of {rep.items} dev-set items change "
          f"(rule recall@5 {rep.current_rule_recall} → {rep.draft_rule_recall}; {rep.seconds:.1f}s)")
    for it in rep.changes:
        print(f"\n{it.id}: {it.text[:100]}")
        print(f"  expected: {', '.join(it.expected_rules) or '-'}")
        if it.removed:
            print(f"  - {', '.join(it.removed)}")
        if it.added:
            print(f"  + {', '.join(it.added)}")
    return 0


def cmd_publish(args) -> int:
    rep = _lifecycle(args).publish(args.draft_id, author=args.author)
    if args.json:
        print(_dump(rep))
    else:
        print(f"published {rep.policy_id} v{rep.version}, in force from {rep.effective_from}: {rep.rules_changed} "
              f"rules changed, {rep.vectors_embedded} texts embedded ({rep.seconds:.2f}s)")
    return 0


def cmd_discard(args) -> int:
    d = _lifecycle(args).discard(args.draft_id, author=args.author)
    print(_dump(d) if args.json else f"discarded {d.id}")
    return 0


def cmd_rollback(args) -> int:
    draft, rep = _lifecycle(args).rollback(args.policy_id, args.to, author=args.author,
                                           effective_from=args.effective_from)
    if args.json:
        print(json.dumps({"draft": draft.model_dump(mode="json"), "publish": rep.model_dump(mode="json")}, indent=2))
    else:
        print(render_text(draft.diff, args.max_items))
        print(f"\nrolled back {rep.policy_id} to the text of version {args.to}, as version {rep.version} "
              f"in force from {rep.effective_from}")
    return 0


def cmd_history(args) -> int:
    h = _lifecycle(args).history(args.policy_id)
    if args.json:
        print(_dump(h))
        return 0
    print(f"{h.policy_id}: {h.title}")
    for v in h.versions:
        period = f"{v.effective_from or '…'} → {v.effective_to or 'now'}"
        who = f"published {v.published_at} by {v.published_by}" if v.published_at else ""
        print(f"  v{v.version:<3} {v.state:<15} {period:<26} {v.rules:>4} rules  {who}  {v.note}".rstrip())
    for line in h.damaged:
        print(f"warning: {line}", file=sys.stderr)
    return 0


def cmd_audit(args) -> int:
    entries = _lifecycle(args).audit_log(args.policy_id, args.limit)
    if args.json:
        print(_dump(entries))
        return 0
    for e in entries:
        v = f" v{e.version}" if e.version else ""
        sha = f" sha256 {e.document_sha256[:12]}" if e.document_sha256 else ""
        print(f"{e.ts}  {e.actor:<12} {e.action:<22} {e.policy_id or ''}{v}{sha}  {e.draft_id or ''}")
    return 0


def add_lifecycle_parsers(sub) -> None:
    """Add diff, draft, drafts, evaluate-draft, publish, discard, rollback, history, audit."""

    def doc_args(s):
        s.add_argument("paths", nargs="+", help="document file(s) or folder")
        s.add_argument("--policy-id", help="parse documents without PolicyGraph markup as a version of this policy")
        s.add_argument("--effective-from", type=iso_date, help="YYYY-MM-DD, today or later (default: the document's "
                       "date when it is in the future, else the moment it is published)")
        s.add_argument("--effective-to", type=iso_date, help="YYYY-MM-DD, after the start")
        s.add_argument("--max-items", type=int, default=40, help="changes listed in the text report")
        s.add_argument("--json", action="store_true", help="print JSON")

    s = sub.add_parser("diff", help="rule-level diff of a document against the current version (writes nothing)")
    doc_args(s)
    s.set_defaults(fn=cmd_diff)

    s = sub.add_parser("draft", help="store a revised document as a draft and show its diff")
    doc_args(s)
    s.add_argument("--backfill", action="store_true", help="importing a policy's earlier history: keep the "
                   "document's own start date even when it is in the past (answers for dates from it on change)")
    s.add_argument("--author")
    s.set_defaults(fn=cmd_draft)

    s = sub.add_parser("drafts", help="list drafts")
    s.add_argument("--policy-id")
    s.add_argument("--status", choices=["pending", "published", "discarded"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_drafts)

    s = sub.add_parser("evaluate-draft", help="run the dev set against the draft and the current version")
    s.add_argument("draft_id")
    s.add_argument("--at", type=iso_date, help="date to compare at, YYYY-MM-DD (default: the draft's effective date)")
    s.add_argument("--scope", choices=["all", "policy"], default="all",
                   help="all dev-set items, or those of the draft's category")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_evaluate)

    s = sub.add_parser("publish", help="publish a draft (atomic)")
    s.add_argument("draft_id")
    s.add_argument("--author")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_publish)

    s = sub.add_parser("discard", help="discard a pending draft")
    s.add_argument("draft_id")
    s.add_argument("--author")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_discard)

    s = sub.add_parser("rollback", help="publish an earlier version again, as a new version")
    s.add_argument("policy_id")
    s.add_argument("--to", type=int, required=True, help="the version to restore")
    s.add_argument("--author")
    s.add_argument("--effective-from", type=iso_date, help="YYYY-MM-DD, today or later (default today)")
    s.add_argument("--max-items", type=int, default=40)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_rollback)

    s = sub.add_parser("history", help="every version of a policy with its period in force")
    s.add_argument("policy_id")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_history)

    s = sub.add_parser("audit", help="the audit log (who, when, what, document hash)")
    s.add_argument("--policy-id")
    s.add_argument("--limit", type=int)
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_audit)
