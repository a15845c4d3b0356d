"""The one way files become stored policy: read → parse → validate against the stored corpus → hand the
documents (and labelled decisions) to the engine. The CLI, the HTTP API, the MCP server and the
lifecycle all come through here; the engine itself only ever sees parsed `PolicyDocument`s.

    parse(corpus, sources)            files → validated documents (nothing written)
    ingest(engine, paths)             parse + write, documents and *.jsonl labelled decisions together,
                                      all-or-nothing, inside one engine transaction
    import_examples(engine, path)     one labelled-decision file → examples
    Upload(engine, name, data)        an upload parsed and pre-embedded *outside* the exclusive write
                                      phase, then written with `Upload.write()` (parsed once)
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from policygraph.engine import Engine, Progress
from policygraph.errors import IngestError
from policygraph.graph_model import rule_passage
from policygraph.ingest.generic import parse_generic
from policygraph.ingest.labelled import is_labelled_file, labelled_files, read_labelled
from policygraph.ingest.loader import expand_paths, load_documents
from policygraph.ingest.reader import SourceFile, read_source
from policygraph.models import ExamplesReport, IngestReport, LabelledDecision, PolicyDocument

log = logging.getLogger(__name__)

#: formats a document without PolicyGraph markup can come in (parsed by `policygraph.ingest.generic`)
GENERIC_FORMATS: Final = ("markdown", "text", "html")


def read_sources(paths: Iterable[str | Path], max_bytes: int) -> list[SourceFile]:
    """Every policy file under `paths` (folders walked), read safely (size, binary, encoding checks)."""
    return [read_source(p, max_bytes) for p in expand_paths(paths)]


def parse(engine: Engine, sources: list[SourceFile], *, policy_id: str | None = None,
          stored: dict[str, PolicyDocument] | None = None, known_rules: set[str] | None = None
          ) -> list[PolicyDocument]:
    """Parse and validate `sources` against the stored corpus (rules they may refer to, policies a
    translation may attach to). With `policy_id`, a document without PolicyGraph markup (Markdown,
    text, HTML) is parsed as the next version of that policy. Writes nothing; raises `IngestError`
    naming the file, line and problem. `stored` and `known_rules` default to the engine's now."""
    stored = engine.stored_documents() if stored is None else stored
    known_rules = set(engine.catalog.by_rule_id) if known_rules is None else known_rules
    docs: list[PolicyDocument] = []
    rest = []
    for src in sources:
        if policy_id and src.format in GENERIC_FORMATS:
            base = stored.get(policy_id)
            docs.append(parse_generic(src.text, path=src.path, fmt=src.format,
                                      sha256=src.sha256, policy_id=policy_id,
                                      version=base.version + 1 if base else 1))
        else:
            rest.append(src)
    if rest:
        docs.extend(load_documents((), max_bytes=engine.settings.max_file_bytes, sources=rest,
                                   known_rule_ids=known_rules, known_policy_ids=set(stored), existing=stored))
    if policy_id:
        for d in docs:
            if d.id != policy_id:
                raise IngestError(d.source.path, f"the document is policy {d.id!r}, not {policy_id!r}")
    return docs


def guessed_notice(doc: PolicyDocument) -> str:
    """The line that tells an author a document's structure was guessed, not read from markup."""
    return (f"{doc.source.path}: no PolicyGraph front matter, so its structure was guessed: policy {doc.id!r} "
            f"({doc.category.value}), {len(doc.rules())} rules from its headings and paragraphs; check them "
            f"(`policygraph show RULE-ID`) or write it in the authoring format (docs/authoring-format.md)")


def ingest(engine: Engine, paths: Iterable[str | Path] = (), *, sources: list[SourceFile] | None = None,
           progress: Progress | None = None) -> IngestReport:
    """Parse, validate, link, embed and store documents; `*.jsonl` files among `paths` are labelled
    decisions (`policygraph/ingest/labelled.py`), stored as examples after the documents. All-or-
    nothing: when any file is refused, or a store write fails, nothing already stored changes."""
    t0 = time.perf_counter()
    files = [Path(p) for p in paths]
    max_bytes = engine.settings.max_file_bytes
    # labelled decisions ride along with the documents: read (and refused) before any write
    decisions = {f: read_labelled(f, max_bytes) for f in labelled_files(files)}
    doc_paths = [p for p in files if not (p.is_file() and is_labelled_file(p))]
    srcs = list(sources or []) + (read_sources(doc_paths, max_bytes) if doc_paths else [])
    with engine.transaction():
        stored = engine.stored_documents()  # read once: parsing and the write validate against the same
        docs = parse(engine, srcs, stored=stored) if srcs else []
        known = set(engine.catalog.by_rule_id) | {r.id for d in docs for r in d.rules()}
        for f, rows in decisions.items():
            check_rule_ids(f, rows, known)
        report = engine.ingest_documents(docs, progress, stored=stored)
        report.notices.extend(guessed_notice(d) for d in docs if d.source.format in GENERIC_FORMATS)
        if decisions:  # every file in one write
            for ex in engine.add_decision_files([(str(f), rows) for f, rows in decisions.items()], progress):
                report.examples += ex.added
                report.vectors_embedded += ex.vectors_embedded
                report.noop = report.noop and ex.added == 0
    report.seconds = time.perf_counter() - t0
    return report


def import_examples(engine: Engine, path: str | Path, progress: Progress | None = None) -> ExamplesReport:
    """Add the labelled decisions of one JSON Lines file as examples. Incremental: rows already stored
    are skipped. A file with any problem changes nothing."""
    rows = read_labelled(Path(path), engine.settings.max_file_bytes)
    return engine.add_decisions(str(path), rows, progress)


def check_rule_ids(path: Path, rows: list[tuple[int, LabelledDecision]], known: set[str]) -> None:
    """Refuse a labelled-decision file naming a rule that is neither stored nor being ingested."""
    for n, row in rows:
        if row.rule_id is not None and row.rule_id not in known:
            raise IngestError(str(path), f"rule_id {row.rule_id!r} is not a stored rule", n)


class Upload:
    """One uploaded document, parsed once. `prepare()` parses and validates it against the stored
    corpus and embeds its texts into the engine's embedding cache — the slow part, run while readers go
    on. `write()` stores it inside the engine's transaction (readers held out by the caller); only if
    another writer changed the corpus in between is it parsed again, against what is stored now."""

    def __init__(self, engine: Engine, name: str, data: bytes) -> None:
        self.engine = engine
        self.source = read_source(name, engine.settings.max_file_bytes, data=data)
        self.documents: list[PolicyDocument] = []
        self.parsed_at: int | None = None  # the corpus generation the documents were validated against

    def prepare(self, read_gate: Callable[[], AbstractContextManager] = contextlib.nullcontext
                ) -> list[PolicyDocument]:
        """Parse and validate against a consistent view of the stored corpus (taken under `read_gate`,
        the service's shared gate), then warm the embedding cache with the upload's texts."""
        eng = self.engine
        with read_gate():
            stored, catalog = eng.stored_documents(), eng.catalog
        self.parsed_at = catalog.generation
        self.documents = parse(eng, [self.source], stored=stored, known_rules=set(catalog.by_rule_id))
        passages = [rule_passage(r, lang) for d in self.documents for r in d.rules() for lang in r.text]
        examples = [ex.text for d in self.documents for ex in d.examples]
        try:
            if passages:
                eng.embedder.embed_passages(passages)
            if examples:
                eng.embedder.embed_queries(examples)
        except Exception:  # only a warm-up: the engine embeds what is missing itself
            log.warning("pre-embedding the upload failed; the engine will embed it", exc_info=True)
        return self.documents

    def write(self) -> IngestReport:
        eng = self.engine
        with eng.transaction():
            if self.parsed_at != eng.generation:  # someone wrote meanwhile: validate against that
                self.prepare()
            report = eng.ingest_documents(self.documents)
        report.notices.extend(guessed_notice(d) for d in self.documents if d.source.format in GENERIC_FORMATS)
        return report


__all__ = ["GENERIC_FORMATS", "Upload", "check_rule_ids", "guessed_notice", "import_examples", "ingest", "parse",
           "read_sources"]
