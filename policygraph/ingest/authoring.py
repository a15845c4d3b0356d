"""PolicyGraph's authoring format (docs/authoring-format.md): Markdown with YAML front matter, or the
same structure as one YAML/JSON document. Produces a `ParsedFile`; `policygraph.ingest.loader` validates it and
merges translations into a `PolicyDocument`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from policygraph.errors import IngestError
from policygraph.ingest.reader import SourceFile

RULE_ID_RE = re.compile(r"^[A-Z]{2,4}-\d+(?:\.\d+)*(?:-[A-Z0-9]+)?$")
RULE_HEADING_RE = re.compile(r"^###\s+(\S+)\s*(.*?)\s*$")


@dataclass
class RawRule:
    id: str
    title: str
    attrs: dict[str, Any]
    text: str
    line: int
    start: int
    end: int


@dataclass
class RawSection:
    title: str
    line: int
    rules: list[RawRule] = field(default_factory=list)


@dataclass
class ParsedFile:
    source: SourceFile
    meta: dict[str, Any]
    meta_lines: dict[str, int]
    preamble: str
    sections: list[RawSection]

    def line_of(self, key: str) -> int | None:
        return self.meta_lines.get(key)


def _yaml_error_line(exc: yaml.YAMLError, offset: int) -> int | None:
    """The line to show an author: where the problem was found, unless the parser only noticed it
    at the end of the stream (an unclosed quote or bracket), then where the construct opened."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    mark = problem or context
    if problem is not None and context is not None and problem.buffer is not None \
            and problem.index >= len(problem.buffer.rstrip("\0").rstrip()):
        mark = context
    return mark.line + 1 + offset if mark is not None else None


def _top_level_key_lines(fm_lines: list[str], first_line: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, line in enumerate(fm_lines):
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:", line)
        if m:
            out.setdefault(m.group(1), first_line + i)
    return out


def parse_authoring_markdown(src: SourceFile) -> ParsedFile:
    text = src.text.lstrip("\ufeff")
    lines = text.split("\n")
    if lines[0].strip() != "---":
        raise IngestError(src.path, "front matter must start with a '---' line", 1)
    try:
        close = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise IngestError(src.path, "front matter is not closed: no second '---' line", 1) from None
    fm_text = "\n".join(lines[1:close])
    try:
        meta = yaml.safe_load(fm_text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise IngestError(src.path, f"front matter is not valid YAML: {problem}", _yaml_error_line(exc, 1)) from None
    except RecursionError:
        raise IngestError(src.path, "front matter is nested too deeply", 1) from None
    except ValueError as exc:  # a date YAML reads as one but the calendar has not (2026-02-30)
        raise IngestError(src.path, f"front matter holds an impossible value: {exc}", 1) from None
    if not isinstance(meta, dict):
        raise IngestError(src.path, "front matter must be a YAML mapping (key: value lines)", 2)
    meta_lines = _top_level_key_lines(lines[1:close], 2)

    # char offset of each line start
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln) + 1)

    preamble: list[str] = []
    sections: list[RawSection] = []
    rule: RawRule | None = None
    rule_lines: list[tuple[int, str]] = []

    def finish_rule() -> None:
        nonlocal rule, rule_lines
        if rule is None:
            return
        while rule_lines and not rule_lines[-1][1].strip():
            rule_lines.pop()
        while rule_lines and not rule_lines[0][1].strip():
            rule_lines.pop(0)
        if not rule_lines:
            raise IngestError(src.path, f"rule {rule.id} has no text", rule.line)
        first, last = rule_lines[0][0], rule_lines[-1][0]
        rule.text = "\n".join(t for _, t in rule_lines).strip()
        rule.start = offsets[first]
        rule.end = offsets[last] + len(lines[last])
        if not sections:
            sections.append(RawSection(title="General", line=rule.line))
        sections[-1].rules.append(rule)
        rule, rule_lines = None, []

    i = close + 1
    while i < len(lines):
        line = lines[i]
        lineno = i + 1
        if line.startswith("### "):
            finish_rule()
            m = RULE_HEADING_RE.match(line)
            rid = m.group(1) if m else ""
            if not RULE_ID_RE.match(rid):
                raise IngestError(
                    src.path,
                    f"rule heading must start with a rule id like VE-1.1, got {rid!r}",
                    lineno,
                )
            attrs: dict[str, Any] = {}
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].lstrip().startswith("{"):
                try:
                    attrs = yaml.safe_load(lines[j])
                except yaml.YAMLError as exc:
                    problem = getattr(exc, "problem", None) or "invalid YAML"
                    raise IngestError(src.path, f"attribute line of rule {rid}: {problem}", j + 1) from None
                if not isinstance(attrs, dict):
                    raise IngestError(src.path, f"attribute line of rule {rid} must be a {{key: value}} map", j + 1)
                i = j
            rule = RawRule(id=rid, title=m.group(2) if m else "", attrs=attrs, text="", line=lineno, start=0, end=0)
            attrs["__line__"] = (j + 1) if attrs else lineno
        elif line.startswith("## ") or line.startswith("#### ") or line.startswith("# "):
            finish_rule()
            if line.startswith("## "):
                sections.append(RawSection(title=line[3:].strip(), line=lineno))
            elif line.startswith("#### "):
                raise IngestError(src.path, "'####' headings are not part of the format: use '##' and '###'", lineno)
        elif rule is not None:
            rule_lines.append((i, line))
        elif not sections:
            preamble.append(line)
        elif line.strip():
            raise IngestError(
                src.path, "text between a section heading and its first rule: start a rule with '### ID Title'", lineno
            )
        i += 1
    finish_rule()
    title_line = next((ln for ln in preamble if ln.startswith("# ")), None)
    pre = "\n".join(ln for ln in preamble if ln is not title_line).strip()
    return ParsedFile(source=src, meta=meta, meta_lines=meta_lines, preamble=pre, sections=sections)


def parse_structured(src: SourceFile) -> ParsedFile:
    """YAML or JSON: the front-matter keys plus `sections: [{title, rules: [{id, title, text, ...}]}]`."""
    try:
        data = yaml.safe_load(src.text) if src.format == "yaml" else json.loads(src.text)
    except yaml.YAMLError as exc:
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise IngestError(src.path, f"not valid YAML: {problem}", _yaml_error_line(exc, 0)) from None
    except json.JSONDecodeError as exc:
        raise IngestError(src.path, f"not valid JSON: {exc.msg}", exc.lineno) from None
    except RecursionError:
        raise IngestError(src.path, "the document is nested too deeply", 1) from None
    except ValueError as exc:  # an impossible date (2026-02-30), an integer too long to read
        raise IngestError(src.path, f"the document holds an impossible value: {exc}", 1) from None
    if not isinstance(data, dict):
        raise IngestError(src.path, "a policy document must be a mapping at the top level", 1)
    raw_sections = data.pop("sections", None)
    if not isinstance(raw_sections, list) or not raw_sections:
        raise IngestError(src.path, "'sections' must be a non-empty list", 1)
    sections = []
    lines = src.text.split("\n")

    def find_line(needle: str) -> int:
        for n, ln in enumerate(lines, 1):
            if needle in ln:
                return n
        return 1

    for s in raw_sections:
        if not isinstance(s, dict) or not isinstance(s.get("rules"), list):
            raise IngestError(src.path, "each section needs a 'title' and a 'rules' list", 1)
        sec = RawSection(title=str(s.get("title", "General")), line=find_line(str(s.get("title", ""))))
        for r in s["rules"]:
            if not isinstance(r, dict) or "id" not in r or "text" not in r:
                raise IngestError(src.path, f"section {sec.title!r}: each rule needs 'id' and 'text'", sec.line)
            rid = str(r["id"])
            line = find_line(rid)
            if not RULE_ID_RE.match(rid):
                raise IngestError(src.path, f"malformed rule id {rid!r}", line)
            attrs = {k: v for k, v in r.items() if k not in ("id", "title", "text")}
            attrs["__line__"] = line
            text = str(r["text"]).strip()
            start = src.text.find(text[:40]) if text else -1
            sec.rules.append(
                RawRule(id=rid, title=str(r.get("title", "")), attrs=attrs, text=text, line=line,
                        start=max(start, 0), end=max(start, 0) + len(text))
            )
        sections.append(sec)
    meta_lines = {k: find_line(f"{k}") for k in data}
    return ParsedFile(source=src, meta=data, meta_lines=meta_lines, preamble=str(data.pop("preamble", "")),
                      sections=sections)
