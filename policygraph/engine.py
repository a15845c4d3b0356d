"""The engine: the one object that owns a data dir's stores — the graph store, the vector index, the
embedder, the documents kept on disk — and the read models built from them (catalog, term linker,
content classifier). It takes parsed `PolicyDocument`s and labelled decisions; turning files into
documents is the ingest pipeline's job (`policygraph/ingest/pipeline.py`), answering content is the
retrieval and agent floor's (`policygraph/retrieval.py`, `policygraph/agent.py`), which read an engine
through the `Corpus` protocol (`policygraph/corpus.py`).

Writes go through one transaction (`Engine.transaction()`): a thread lock, an advisory file lock for
other processes on the same data dir, and a reload of what another process wrote. Every write is
all-or-nothing, bumps the corpus generation and appends to the audit log (`policygraph/audit.py`).
Settling an interrupted publish is the lifecycle's job, run by whoever opens a data dir for writing
(`policygraph.lifecycle.open_engine`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from policygraph import audit
from policygraph.catalog import Catalog
from policygraph.classifier import ContentClassifier
from policygraph.embedders import make_embedder
from policygraph.embedding_cache import CachedEmbedder
from policygraph.errors import IngestError, NotFound, StoreError, VersionConflict
from policygraph.graph_model import (
    citation,
    decision_batch,
    decision_node_id,
    document_batch,
    example_node_id,
    is_example_id,
    parse_vector_key,
    policy_node_id,
    rule_node_id,
    rule_passage,
    section_node_id,
    signal_mappings,
    term_node_id,
    vector_key,
)
from policygraph.linking import TermLinker
from policygraph.models import (
    ExamplesReport,
    IngestReport,
    LabelledDecision,
    PolicyDocument,
    PolicySummary,
    RuleView,
    TermDoc,
)
from policygraph.settings import Settings
from policygraph.stores.base import Edge, GraphBatch, GraphStore, Node, export_graph
from policygraph.stores.faiss_index import PartitionedVectorIndex
from policygraph.stores.files import read_stored
from policygraph.stores.networkx_store import NetworkxGraphStore, atomic_write_bytes

log = logging.getLogger(__name__)
LAYOUT = "v1"
#: the vector index keeps the labelled examples apart from the rule texts (a search for one kind scans that kind)
VECTOR_PARTITIONS = ("rules", "examples")


def vector_partition(key: str) -> str:
    return "examples" if is_example_id(key) else "rules"

Progress = Callable[[str, int, int], None]


def open_graph_store(settings: Settings, root: Path) -> GraphStore:
    if settings.graph_backend == "neo4j":
        from policygraph.stores.neo4j_store import Neo4jGraphStore

        return Neo4jGraphStore.from_settings(settings)
    return NetworkxGraphStore(root / "graph.json")


class Engine:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        graph: GraphStore | None = None,
        embedder=None,
        in_memory: bool = False,
    ) -> None:
        """Open the stores under `settings.data_dir` (or nothing on disk with `in_memory`). `graph` and
        `embedder` replace the configured ones (a test's store, a shared embedder)."""
        self.settings = settings or Settings()
        self.root = self.settings.data_dir / LAYOUT
        self.in_memory = in_memory
        if not in_memory:
            self.root.mkdir(parents=True, exist_ok=True)
        if graph is None and not in_memory:
            self._refuse_a_lost_graph()
        self.graph: GraphStore = graph or (
            NetworkxGraphStore(None) if in_memory else open_graph_store(self.settings, self.root)
        )
        inner = embedder or make_embedder(self.settings.embedder, self.settings.embed_threads)
        cache_path = self.settings.embedding_cache or (None if in_memory else self.root / "cache" / "embeddings.sqlite")
        self.embedder = CachedEmbedder(inner, cache_path, self.settings.embedding_seed_dirs)
        vec_dir = None if in_memory else self.root / "vectors" / _safe(self.embedder.name)
        self.index = PartitionedVectorIndex(
            self.embedder.dim, VECTOR_PARTITIONS, vector_partition, vec_dir,
            use_gpu=None if self.settings.faiss_gpu == "auto" else False,
            search_threads=self.settings.search_threads or None,
        )
        self.docs_dir = None if in_memory else self.root / "documents"
        self._write_lock = threading.RLock()
        self._tx_depth = 0  # nesting of transaction() in the thread that holds the write lock
        self._mem_docs: dict[str, PolicyDocument] = {}  # the stored documents of an in-memory engine
        self._parsed_docs: dict[Path, tuple[tuple[int, int, int], PolicyDocument]] = {}  # see _stored_document
        self._stamp = self._read_stamp()
        #: Term node id -> (the store's view of the node, its TermDoc): a store that hands out the same view of
        #: a node until it is written (the embedded one) lets the vocabulary be compared by identity, not
        #: field by field (4,600 terms: 0.3 s per comparison, two per publish, at 100k rules)
        self._term_docs: dict[str, tuple[Node, TermDoc]] = {}
        self.catalog = Catalog.load(self.graph)
        self.linker = TermLinker(self.terms())
        self._repair_vectors()
        if not in_memory and self._journal_path().exists():
            with self._process_lock():  # a write in progress in another process holds it: wait, never settle it
                self._settle_write_journal()
        self.classifier = ContentClassifier(cache_dir=None if in_memory else self.root / "cache" / "classifier")

    def _refuse_a_lost_graph(self) -> None:
        """The embedded graph file gone while the data dir still holds stored documents is damage, not an
        empty store: starting on an empty graph would "repair" every vector away and answer "no policies".
        Refuse before anything is touched, and say how to recover."""
        graph_file = self.root / "graph.json"
        if self.settings.graph_backend != "networkx" or graph_file.exists():
            return
        docs = sorted((self.root / "documents").glob("*/v*.json"))
        if docs:
            raise StoreError(
                f"{graph_file} is missing, but {len(docs)} stored policy documents in {self.root / 'documents'} say "
                "this data dir held a corpus; nothing was changed. Restore graph.json from a backup, or move the "
                "data dir aside and ingest the policies again (the newest version of each is stored there as JSON).")

    def in_memory_copy(self) -> Engine:
        """A copy of this corpus that lives in memory only (nothing on disk changes when it is written
        to): graph, vectors and stored documents copied, the embedder (and its cache) shared. The
        lifecycle publishes a draft into one to see what it would do."""
        copy = Engine(self.settings.model_copy(update={"embedding_cache": None}), graph=NetworkxGraphStore(None),
                      embedder=self.embedder, in_memory=True)
        nodes, edges = export_graph(self.graph)
        copy.graph.apply(GraphBatch(nodes=nodes, edges=edges))
        copy.index.restore(self.index.snapshot())
        for doc in self.stored_documents().values():
            copy.save_document(doc)
        copy.refresh()
        return copy

    # ------------------------------------------------------------------ state
    def terms(self) -> list[TermDoc]:
        """The vocabulary stored in the graph: every term with its aliases (what the linker is built from)."""
        kept, fresh = self._term_docs, {}
        out = []
        for n in self.graph.find_nodes("Term"):
            hit = kept.get(n.id)
            if hit is not None and hit[0] is n:  # the store's view of an unchanged node: the same TermDoc
                doc = hit[1]
            else:
                doc = TermDoc(id=n.props["term_id"], term=n.props["term"], definition=n.props.get("definition", ""),
                              aliases=n.props.get("aliases") or {}, policy_id=n.props.get("policy_id"),
                              signals=list(signal_mappings(n.props.get("signals"))))
            fresh[n.id] = (n, doc)
            out.append(doc)
        self._term_docs = fresh
        return out

    def refresh(self, touched: GraphBatch | None = None) -> None:
        """Bring the catalog and the term linker in line with the graph after a write: read again only the
        nodes the write's batch `touched` (wrote or deleted), or everything when not given (a reload)."""
        if touched is None:
            self.catalog = Catalog.load(self.graph)
        else:
            self.catalog = self.catalog.updated(self.graph, [n.id for n in touched.nodes] + list(touched.delete_nodes))
            if not any(n.label in ("Term", "Policy") for n in touched.nodes) and not any(
                    nid.startswith((term_node_id(""), policy_node_id(""))) for nid in touched.delete_nodes):
                return  # labelled examples only (an import): the vocabulary is as it was (reading it: O(terms))
        self.linker.rebuild(self.terms())

    @property
    def generation(self) -> int:
        """Changes whenever the corpus this engine serves changes (a write, a reload): caches of what
        was derived from the corpus key on it."""
        return self.catalog.generation

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Engine]:
        """The write transaction: one writer per engine (a re-entrant lock: a transaction may nest) and
        per data dir (an advisory file lock across processes); on entry, what another process wrote is
        loaded first, so no write lands on a stale view. Every write method runs inside one; callers
        open one around a read-validate-write sequence (the ingest pipeline, the lifecycle)."""
        with self._write_lock:
            if self._tx_depth:
                self._tx_depth += 1
                try:
                    yield self
                finally:
                    self._tx_depth -= 1
                return
            with self._process_lock():
                self._tx_depth = 1
                try:
                    self.reload()  # never write over what another process wrote
                    yield self
                finally:
                    self._tx_depth = 0

    # ------------------------------------------------------------------ other processes' writes
    # Every successful write stamps the data dir (the file `generation`); an engine that finds another
    # stamp than its own reloads (a `policygraph publish` from the CLI while `serve` runs). Not to be
    # confused with `Engine.generation`, the in-process catalog generation that reader caches key on.
    def _stamp_path(self) -> Path:
        return self.root / "generation"

    def _read_stamp(self) -> str:
        if self.in_memory:
            return ""
        try:  # any bytes: a garbage stamp only differs from ours, so the engine reloads (and restamps)
            return self._stamp_path().read_bytes().decode("ascii", errors="replace")
        except FileNotFoundError:
            return ""

    def _bump_stamp(self) -> None:
        if not self.in_memory:
            token = f"{os.getpid()}-{time.time_ns()}"
            atomic_write_bytes(self._stamp_path(), token.encode("ascii"))
            self._stamp = token

    @contextlib.contextmanager
    def _process_lock(self):
        """Writers in different processes on one data dir take turns (an advisory file lock)."""
        if self.in_memory:
            yield
            return
        with open(self.root / "write.lock", "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def stale(self) -> bool:
        """Did another process write to this data dir since this engine last loaded it?"""
        return not self.in_memory and self._read_stamp() != self._stamp

    def reload(self) -> bool:
        """Reload graph (embedded store), vectors, catalog and linker when another process wrote.
        The caller keeps readers out meanwhile (the API's write gate does). True when it reloaded."""
        with self._write_lock:
            gen = self._read_stamp()
            if self.in_memory or gen == self._stamp:
                return False
            if self.settings.graph_backend == "networkx":
                self.graph = open_graph_store(self.settings, self.root)
            self.index = PartitionedVectorIndex(self.embedder.dim, VECTOR_PARTITIONS, vector_partition, self.index.path,
                                                use_gpu=self.index.use_gpu, search_threads=self.index.search_threads,
                                                approximate=self.index.approximate)
            self.refresh()
            self._stamp = gen
            log.info("reloaded %s: another process wrote to it", self.root)
            return True

    def expected_vectors(self) -> dict[str, tuple[str, str]]:
        """vector key → (kind, node id) for every rule text and example in the graph: what the vector
        index must hold (repaired to that on every open)."""
        out: dict[str, tuple[str, str]] = {}
        for e in self.catalog.rules.values():
            for lang in e.languages:
                out[vector_key(e.node_id, lang)] = ("rule", e.node_id)
        for ex in self.catalog.examples.values():
            out[ex.node_id] = ("example", ex.node_id)
        return out

    def _repair_vectors(self) -> None:
        """After a crash between the graph write and the index save, bring the index in line."""
        expected = self.expected_vectors()
        have = set(self.index.keys())
        missing = [k for k in expected if k not in have]
        stale = [k for k in have if k not in expected]
        if not missing and not stale:
            return
        log.warning("vector index out of step with the graph: %d missing, %d stale; repairing", len(missing), len(stale))
        self.index.remove(stale)
        if missing:
            nodes = {n.id: n for n in self.graph.get_nodes(sorted({expected[k][1] for k in missing}))}
            rule_keys = [k for k in missing if expected[k][0] == "rule"]
            ex_keys = [k for k in missing if expected[k][0] == "example"]
            texts = []
            for k in rule_keys:
                node = nodes[expected[k][1]]
                lang = parse_vector_key(k)[1] or node.props["language"]
                title = (node.props.get("titles") or {}).get(lang, "")
                body = node.props["text"][lang]
                texts.append(f"{title}. {body}" if title else body)
            self.index.add(rule_keys, self.embedder.embed_passages(texts))
            self.index.add(ex_keys, self.embedder.embed_queries([nodes[expected[k][1]].props["text"] for k in ex_keys]))
        self.index.save()

    # ------------------------------------------------------------------ documents kept on disk
    def stored_documents(self) -> dict[str, PolicyDocument]:
        """The newest stored version of every policy document."""
        out: dict[str, PolicyDocument] = {}
        if self.docs_dir is None:
            return dict(self._mem_docs)
        if not self.docs_dir.exists():
            return out
        for pdir in sorted(self.docs_dir.iterdir()):
            versions = sorted(pdir.glob("v*.json"), key=lambda p: int(p.stem[1:]))
            if versions:  # a damaged newest version is a StoreError naming the file (not a parser traceback)
                out[pdir.name] = self._stored_document(versions[-1])
        return out

    def _stored_document(self, path: Path) -> PolicyDocument:
        """A stored document, parsed once and kept while its file is unchanged (the same size and time): every
        write validates against all stored documents, and parsing hundreds of them again each time was most
        of a one-rule publish at 10k rules. Shared: callers treat them as read-only."""
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        kept = self._parsed_docs.get(path)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        doc = read_stored(path, PolicyDocument)
        self._parsed_docs[path] = (stamp, doc)
        return doc

    def save_document(self, doc: PolicyDocument) -> None:
        """Keep a stored version's document (written after its graph commit; crash recovery writes the
        one a crash left out)."""
        if self.docs_dir is None:
            self._mem_docs[doc.id] = doc
            return
        path = self.docs_dir / doc.id / f"v{doc.version}.json"
        atomic_write_bytes(path, doc.model_dump_json(indent=1).encode())
        st = path.stat()
        self._parsed_docs[path] = ((st.st_mtime_ns, st.st_size, st.st_ino), doc)

    # ------------------------------------------------------------------ labelled decisions
    def add_decisions(self, path: str, rows: list[tuple[int, LabelledDecision]],
                      progress: Progress | None = None, audit_context: dict | None = None) -> ExamplesReport:
        """Store labelled decisions (read by `policygraph/ingest/labelled.py`; `path` names their file in
        the report) as examples. Incremental: rows already stored are skipped. A row naming an unknown
        rule refuses the whole file; one naming only a category is attached to the closest rule of it."""
        return self.add_decision_files([(path, rows)], progress, audit_context)[0]

    def add_decision_files(self, files: list[tuple[str, list[tuple[int, LabelledDecision]]]],
                           progress: Progress | None = None, audit_context: dict | None = None) -> list[ExamplesReport]:
        """`add_decisions` for several files (one report each), written in groups of whole files of about
        `settings.examples_per_write` rows: an ingest of 4,000 JSONL files wrote, and updated the catalog,
        4,000 times. A row naming an unknown rule refuses every file before anything is stored; a kill
        leaves each group stored whole or not at all."""
        with self.transaction():
            known = set(self.catalog.by_rule_id)
            for path, rows in files:
                for n, row in rows:
                    if row.rule_id is not None and row.rule_id not in known:
                        raise IngestError(path, f"rule_id {row.rule_id!r} is not a stored rule", n)
            reports: list[ExamplesReport] = []
            group: list[tuple[str, list[tuple[int, LabelledDecision]]]] = []
            rows_in_group = 0
            for i, f in enumerate(files):
                group.append(f)
                rows_in_group += len(f[1])
                if i + 1 == len(files) or rows_in_group + len(files[i + 1][1]) > self.settings.examples_per_write:
                    reports += self._add_decision_files(group, progress, audit_context)
                    group, rows_in_group = [], 0
            return reports

    def _add_decision_files(self, files: list[tuple[str, list[tuple[int, LabelledDecision]]]],
                            progress: Progress | None, audit_context: dict | None = None) -> list[ExamplesReport]:
        from policygraph.language import detect_language

        t0 = time.perf_counter()
        today = dt.date.today()
        cat = self.catalog
        todo: list[tuple[int, LabelledDecision]] = []
        owner: list[int] = []  # the file of each row to store
        reports = [ExamplesReport(file=path, rows=len(rows), added=0, unchanged=0, vectors_embedded=0, seconds=0.0)
                   for path, rows in files]
        seen: set[str] = set()
        for f, (_path, rows) in enumerate(files):
            for n, row in rows:
                nid = decision_node_id(row, row.rule_id)
                if nid in cat.examples or nid in seen:
                    reports[f].unchanged += 1
                    continue
                seen.add(nid)
                todo.append((n, row))
                owner.append(f)
        if not todo:
            for r in reports:
                r.seconds = time.perf_counter() - t0
            return reports
        if progress:
            progress("embed examples", 0, len(todo))
        vecs = []
        for i in range(0, len(todo), 64):
            vecs.append(self.embedder.embed_queries([r.text for _, r in todo[i: i + 64]]))
            if progress:
                progress("embed examples", min(i + 64, len(todo)), len(todo))
        vectors = np.concatenate(vecs)
        prepared = []
        for (_n, row), vec, f in zip(todo, vectors, owner, strict=True):
            rule_id = row.rule_id
            # a plain string in the graph (Category is a str enum: f-strings and JSON would disagree)
            category = getattr(row.category, "value", row.category)
            if rule_id is not None:
                entry = cat.latest(rule_id)
                category = entry.category if entry else category
            elif category and category != "none":
                entry = self._best_rule(vec, category, "allowed" if row.label == "non_violating" else None, today)
                rule_id = entry.rule_id if entry else None
                reports[f].attached_by_category += entry is not None
            else:
                entry = None
            reports[f].benign += rule_id is None
            reports[f].added += 1
            reports[f].vectors_embedded += 1
            language = row.language or detect_language(row.text)
            prepared.append((decision_node_id(row, row.rule_id), row, rule_id, category or "none", language,
                             entry.node_id if entry else None))
        batch = decision_batch(prepared)
        mark = self.index.mark()
        node_ids = [p[0] for p in prepared]
        first: dict[int, str] = {}
        last: dict[int, str] = {}
        for nid, f in zip(node_ids, owner, strict=True):
            first.setdefault(f, nid)
            last[f] = nid
        # journaled like a document write: a kill at any point leaves all of the files' new rows or none,
        # with the audit entries that say so (settled on the next open)
        self._write_journal([], audit_context, examples=[
            {"file": files[f][0], "added": reports[f].added, "nodes": [first[f], last[f]]} for f in sorted(first)])
        try:
            self.index.add(node_ids, vectors)
            _crash_point("before_graph_write")
            self.graph.apply(batch)  # the commit point
        except Exception:
            self.index.rollback(mark)
            self._journal_path().unlink(missing_ok=True)
            raise
        _crash_point("after_graph_write")
        self.index.save()
        _crash_point("after_index_save")
        self.refresh(batch)
        self._bump_stamp()
        if not self.in_memory:
            for r in reports:
                if r.added:
                    audit.record_examples(self.root, r.file, r.added, audit_context)
            self._journal_path().unlink(missing_ok=True)
        for r in reports:
            r.seconds = time.perf_counter() - t0
        return reports

    def _best_rule(self, vec: np.ndarray, category: str, kind: str | None, at: dt.date):
        """The rule of `category` whose text is closest to `vec` (kind `allowed` for benign rows about the
        topic: the exception they illustrate; otherwise any rule that is not an exception)."""
        keys = {vector_key(e.node_id, lang) for e in self.catalog.rules.values()
                if e.category == category and self.catalog.live(e, at)
                and ((e.kind == "allowed") == (kind == "allowed")) and "GLOBAL" in e.jurisdictions
                for lang in e.languages}
        hits = self.index.search(vec, 1, keys) if keys else []
        return self.catalog.rules[parse_vector_key(hits[0][0])[0]] if hits else None

    def ingest_documents(self, docs: list[PolicyDocument], progress: Progress | None = None, *,
                         supersedes: dict[str, str] | None = None, audit_context: dict | None = None,
                         stored: dict[str, PolicyDocument] | None = None) -> IngestReport:
        """Store parsed documents: validate their versions against what is stored, link terms, embed
        (cached by text), write graph and vectors atomically, keep the documents, record the audit
        entry. All-or-nothing. Documents identical to the stored version are a no-op. `supersedes` maps
        a new rule id to the id it replaces under another name (a renamed rule, found by the
        lifecycle's diff): the new version gets a SUPERSEDES edge to the old one.
        `audit_context` (actor, action, ...) goes into the audit log entry of the write. `stored`: the stored
        documents as the caller read them inside the same transaction (read again when not given)."""
        t0 = time.perf_counter()
        with self.transaction():
            return self._write_documents(docs, self.stored_documents() if stored is None else stored, progress, t0,
                                         supersedes=supersedes, audit_context=audit_context)

    def _write_documents(self, docs: list[PolicyDocument], stored: dict[str, PolicyDocument],
                         progress: Progress | None, t0: float, *, supersedes: dict[str, str] | None = None,
                         audit_context: dict | None = None) -> IngestReport:
        if not docs:
            return IngestReport(policies=[], rules_written=0, rules_unchanged=0, vectors_embedded=0, languages=[],
                                terms=0, examples=0, seconds=time.perf_counter() - t0, noop=True)
        # Documents identical to what is stored are a no-op.
        changed = [d for d in docs if _fingerprint(d) != (_fingerprint(stored[d.id]) if d.id in stored else None)]
        if not changed:
            return IngestReport(policies=[d.id for d in docs], rules_written=0,
                                rules_unchanged=sum(len(d.rules()) for d in docs), vectors_embedded=0,
                                languages=sorted({lg for d in docs for lg in d.languages}), terms=0, examples=0,
                                seconds=time.perf_counter() - t0, noop=True)
        # The vocabulary: stored terms plus the new definitions (aliases merged per term id).
        terms = {t.id: t for t in self.terms()}
        for d in changed:
            for t in d.definitions:
                if t.id in terms and terms[t.id].policy_id != d.id:
                    merged = terms[t.id].model_copy(deep=True)
                    for lg, names in t.aliases.items():
                        merged.aliases.setdefault(lg, []).extend(n for n in names if n not in merged.aliases[lg])
                    t.aliases = merged.aliases
                terms[t.id] = t
        linker = self.linker.derived(terms.values())

        batch = GraphBatch()
        vec_keys: list[str] = []  # rule texts, embedded as passages
        vec_texts: list[str] = []
        ex_keys: list[str] = []  # labelled examples are content: embedded as queries, like content
        ex_texts: list[str] = []
        stale_keys: list[str] = []
        new_nodes: dict[str, str] = {}  # rule id -> node id written by this ingest
        rules_total = 0
        for d in changed:
            mentions = {r.id: sorted({m.term_id for lang in r.text for m in linker.link(r.text[lang])})
                        for r in d.rules()}
            part = document_batch(d, mentions)
            prev = stored.get(d.id)
            if prev is not None and prev.version == d.version:
                # same version re-ingested with changes: replace this version's nodes
                old_ids = {n.id for n in document_batch(prev, {}).nodes if n.label in ("Rule", "Section", "Example")}
                new_ids = {n.id for n in part.nodes}
                gone = sorted(old_ids - new_ids)
                batch.delete_nodes.extend(gone)
                for e in self.catalog.rules.values():
                    if e.node_id in gone:
                        stale_keys.extend(vector_key(e.node_id, lg) for lg in e.languages)
                stale_keys.extend(g for g in gone if is_example_id(g))
                # outgoing edges of rewritten rules are rebuilt below
                for edge, _ in self.graph.neighbors(sorted(old_ids & new_ids), None, "out"):
                    batch.delete_edges.append((edge.src, edge.type, edge.dst))
            elif prev is not None and prev.version > d.version:
                raise VersionConflict(f"{d.source.path}: policy {d.id} is at version {prev.version}; "
                                 f"cannot ingest older version {d.version}")
            elif prev is not None:
                # a newer version: close the old rule versions, link the new ones to them
                start = (d.effective_from or dt.date.today()).isoformat()
                # every rule version of this policy still in force at `start` ends there, also those of
                # a scheduled (future) version this one replaces: their period becomes empty
                for node in self.graph.find_nodes("Rule", {"policy_id": d.id}):
                    vto, vfrom = node.props.get("valid_to"), node.props.get("valid_from")
                    if node.props.get("version", 0) < d.version and (vto is None or vto > start):
                        closed = {**node.props, "valid_to": max(start, vfrom) if vfrom else start}
                        batch.nodes.append(node.model_copy(update={"props": closed}))
                prev_ids = {x.id for x in prev.rules()}
                for r in d.rules():
                    old_id = r.id if r.id in prev_ids else (supersedes or {}).get(r.id)
                    if old_id in prev_ids:
                        part.edges.append(Edge(src=rule_node_id(r.id, d.version), type="SUPERSEDES",
                                               dst=rule_node_id(old_id, prev.version)))
            batch.nodes.extend(part.nodes)
            batch.edges.extend(part.edges)
            for r in d.rules():
                rules_total += 1
                nid = rule_node_id(r.id, d.version)
                new_nodes[r.id] = nid
                for lang in r.text:
                    vec_keys.append(vector_key(nid, lang))
                    vec_texts.append(rule_passage(r, lang))
            for ex in d.examples:
                ex_keys.append(example_node_id(ex.id))
                ex_texts.append(ex.text)
        # Cross-rule edges, resolved to the node of the target's newest version.
        def target(rid: str) -> str | None:
            if rid in new_nodes:
                return new_nodes[rid]
            e = self.catalog.latest(rid)
            return e.node_id if e else None

        for d in changed:
            for r in d.rules():
                src = new_nodes[r.id]
                for rid in r.exception_to:
                    if (dst := target(rid)) is not None:
                        batch.edges.append(Edge(src=src, type="EXCEPTION_TO", dst=dst))
                for rid in r.overrides:
                    if (dst := target(rid)) is not None:
                        batch.edges.append(Edge(src=src, type="OVERRIDES", dst=dst,
                                                props={"jurisdictions": list(r.jurisdictions)}))
                for ref in r.refers_to:
                    dst = target(ref) if ref in new_nodes or self.catalog.latest(ref) else policy_node_id(ref)
                    if dst is not None and dst != src:
                        batch.edges.append(Edge(src=src, type="REFERS_TO", dst=dst))
        batch.edges.extend(self._inherited_edges(changed, stored, new_nodes, supersedes or {}))
        # Embed (cached by text), then write: index in memory, graph atomically, index to disk.
        if progress:
            progress("embed", 0, len(vec_texts))
        vectors = self._embed_with_progress(vec_texts, progress)
        ex_vectors = self._embed_with_progress(ex_texts, progress, "embed examples", queries=True)
        mark = self.index.mark()
        self._write_journal(changed, audit_context)
        try:
            self.index.remove(stale_keys)
            self.index.add(vec_keys + ex_keys, np.concatenate([vectors, ex_vectors]))
            _crash_point("before_graph_write")
            self.graph.apply(batch)  # the commit point
        except Exception:
            self.index.rollback(mark)
            self._journal_path().unlink(missing_ok=True)
            raise
        _crash_point("after_graph_write")
        self.index.save()
        _crash_point("after_index_save")
        for d in changed:
            self.save_document(d)
        self.refresh(batch)
        self._bump_stamp()
        if not self.in_memory:
            audit.record_write(self.root, changed, audit_context)
            self._journal_path().unlink(missing_ok=True)
        return IngestReport(
            policies=[d.id for d in docs], rules_written=rules_total,
            rules_unchanged=sum(len(d.rules()) for d in docs if d not in changed),
            vectors_embedded=len(vec_texts) + len(ex_texts), languages=sorted({lg for d in docs for lg in d.languages}),
            terms=sum(len(d.definitions) for d in changed), examples=sum(len(d.examples) for d in changed),
            seconds=time.perf_counter() - t0,
        )

    # ------------------------------------------------------------------ the write journal
    # Every document write (an ingest, an API upload, a publish) is journaled: the documents and the audit
    # context go to `journal.json` before the graph commit and the file goes after the documents and the
    # audit entry are stored. An engine that finds one settles it on open: committed documents get their
    # stored document and audit entry (the vector index is repaired from the graph anyway); uncommitted
    # ones are dropped. So a kill at any moment leaves the old or the new version whole, with history
    # and audit that agree with the graph.
    def _journal_path(self) -> Path:
        return self.root / "journal.json"

    def _write_journal(self, docs: list[PolicyDocument], audit_context: dict | None,
                       examples: list[dict] | None = None) -> None:
        if self.in_memory:
            return
        body = {"documents": [d.model_dump(mode="json") for d in docs], "audit": audit_context or {},
                "examples": examples}
        atomic_write_bytes(self._journal_path(), json.dumps(body, ensure_ascii=False).encode("utf-8"))

    def _settle_write_journal(self) -> str | None:
        """Settle a write journal left by a process that died mid-write; "completed", "rolled_back" or None."""
        path = self._journal_path()
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            docs = [PolicyDocument.model_validate(d) for d in body["documents"]]
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):  # torn or foreign: written before any commit
            path.unlink(missing_ok=True)
            return "rolled_back"
        committed = []
        for d in docs:
            node = self.graph.get_node(policy_node_id(d.id))
            if node is not None and node.props.get("version") == d.version and \
                    node.props.get("source_sha256") == d.source.sha256:
                committed.append(d)
        for d in committed:
            self.save_document(d)
        if committed:
            audit.record_write(self.root, committed, {**body.get("audit", {}), "recovered": True})
        # one file's examples (a journal written before several files went in one write), or a list of them
        ex = body.get("examples") or []
        files: list[dict] = ex if isinstance(ex, list) else [ex]
        examples_committed = bool(files) and all(self.graph.get_node(n) is not None for f in files for n in f["nodes"])
        if examples_committed:
            for f in files:
                audit.record_examples(self.root, f["file"], f["added"], {**body.get("audit", {}), "recovered": True})
        path.unlink(missing_ok=True)
        done = bool(committed) or examples_committed
        outcome = "completed" if done else "rolled_back"
        what = [f"{d.id} v{d.version}" for d in docs] + [f"examples from {f['file']}" for f in files]
        log.warning("a write to %s was interrupted (%s): %s", self.root, ", ".join(what),
                    "what was committed was recorded on restart" if done else "nothing of it was committed")
        if done:
            self._bump_stamp()
        return outcome

    def _inherited_edges(self, changed: list[PolicyDocument], stored: dict[str, PolicyDocument],
                         new_nodes: dict[str, str], supersedes: dict[str, str]) -> list[Edge]:
        """Edges from rules this write leaves alone — another policy's exception, regional override or
        reference — that point at a rule version being superseded: the new version inherits them.
        Without this, revising policy B silently dropped policy A's exception to one of B's rules."""
        renamed = {old: new for new, old in supersedes.items()}
        writing = {d.id for d in changed}
        today = dt.date.today().isoformat()
        out: list[Edge] = []
        for d in changed:
            prev = stored.get(d.id)
            if prev is None or prev.version >= d.version:
                continue  # a first version has no incoming edges; a same-version rewrite keeps its node ids
            old_nodes = {rule_node_id(r.id, prev.version): r.id for r in prev.rules()}
            for edge, other in self.graph.neighbors(sorted(old_nodes), ["EXCEPTION_TO", "OVERRIDES", "REFERS_TO"],
                                                    "in"):
                if edge.dst not in old_nodes or other.props.get("policy_id") in writing:
                    continue  # this write rebuilds its own documents' edges
                ended = other.props.get("valid_to")
                if ended is not None and ended <= today:
                    continue  # a version of the other rule no longer in force keeps pointing where it pointed
                rid = old_nodes[edge.dst]
                dst = new_nodes.get(rid) or new_nodes.get(renamed.get(rid, ""))
                if dst is not None:
                    out.append(Edge(src=edge.src, type=edge.type, dst=dst, props=dict(edge.props)))
        return out

    def _embed_with_progress(self, texts: list[str], progress: Progress | None, stage: str = "embed",
                             queries: bool = False):
        """Rule texts (passages) or examples (`queries`: they are content, embedded as queries are), 64 at a
        time, reporting each step: no stage of an ingest is silent."""
        embed = self.embedder.embed_queries if queries else self.embedder.embed_passages
        chunks = []
        step = 64
        if progress and texts:
            progress(stage, 0, len(texts))
        for i in range(0, len(texts), step):
            chunks.append(embed(texts[i : i + step]))
            if progress:
                progress(stage, min(i + step, len(texts)), len(texts))
        return np.concatenate(chunks) if chunks else np.zeros((0, self.embedder.dim), np.float32)

    # ------------------------------------------------------------------ reads
    def get_rule(self, rule_id: str, at: dt.date | None = None, lang: str | None = None) -> RuleView:
        at = at or dt.date.today()
        entry = self.catalog.current(rule_id, at) or (self.catalog.latest(rule_id) if at is None else None)
        if entry is None:
            if rule_id in self.catalog.by_rule_id:
                raise NotFound(f"rule {rule_id} was not in force on {at.isoformat()}")
            same = [r for r in self.catalog.by_rule_id if r.lower() == rule_id.lower()]
            raise NotFound(f"no rule {rule_id}" + (f" (rule ids are case-sensitive: did you mean {same[0]}?)"
                                                    if same else ""))
        return self.rule_view(entry.node_id, lang)

    def rule_view(self, node_id: str, lang: str | None = None) -> RuleView:
        node = self.graph.get_node(node_id)
        if node is None:
            raise NotFound(f"no rule node {node_id}")
        p = node.props
        policy = self.graph.get_node(policy_node_id(p["policy_id"]))
        section = self.graph.get_node(section_node_id(p["policy_id"], p["section_id"]))
        nb = self.graph.neighbors([node_id], None, "both")
        def ids(typ: str, direction: str) -> list[str]:
            out = []
            for e, other in nb:
                if e.type == typ and ((direction == "out" and e.src == node_id) or (direction == "in" and e.dst == node_id)):
                    out.append(other.props.get("rule_id") or other.props.get("term_id") or other.props.get("policy_id") or other.id)
            return sorted(set(out))
        text_lang = lang if lang is not None and lang in p["text"] else p["language"] if p["language"] in p["text"] else next(iter(p["text"]))
        examples = [
            {"text": o.props["text"], "label": o.props["label"], "language": o.props["language"],
             "rationale": o.props.get("rationale", "")}
            for e, o in nb if e.type == "ILLUSTRATES"
        ]
        return RuleView(
            rule_id=p["rule_id"], policy_id=p["policy_id"], policy_title=policy.props["title"] if policy else "",
            category=p["category"], version=p["version"], kind=p["kind"], severity=p["severity"],
            actions=p["actions"], jurisdictions=p["jurisdictions"],
            title=(p.get("titles") or {}).get(text_lang) or p.get("title", ""), text=p["text"][text_lang],
            language=text_lang, texts=p["text"], section=section.props["title"] if section else p["section_id"],
            valid_from=p.get("valid_from"), valid_to=p.get("valid_to"),
            exceptions=ids("EXCEPTION_TO", "in"), exception_to=ids("EXCEPTION_TO", "out"),
            overrides=ids("OVERRIDES", "out"), overridden_by=ids("OVERRIDES", "in"), refers_to=ids("REFERS_TO", "out"),
            terms=ids("MENTIONS", "out"), examples=examples,
            signals=list(signal_mappings(p.get("signals"))), satisfied_by=list(signal_mappings(p.get("satisfied_by"))),
            citation=citation(p, section.props["title"] if section else "", text_lang),
        )

    def list_policies(self) -> list[PolicySummary]:
        out = []
        counts: dict[str, int] = {}
        for e in self.catalog.rules.values():
            pol_version = e.policy_id, e.version
            counts[f"{pol_version}"] = counts.get(f"{pol_version}", 0) + 1
        for n in self.graph.find_nodes("Policy"):
            p = n.props
            out.append(PolicySummary(
                policy_id=p["policy_id"], title=p["title"], category=p["category"], version=p["version"],
                status=p["status"], effective_from=p.get("effective_from"), effective_to=p.get("effective_to"),
                languages=p["languages"], rules=counts.get(f"{(p['policy_id'], p['version'])}", 0),
                source=p["source_path"],
            ))
        return out

    def get_policy(self, policy_id: str) -> dict:
        node = self.graph.get_node(policy_node_id(policy_id))
        if node is None:
            raise NotFound(f"no policy {policy_id}")
        sections = sorted((o for _, o in self.graph.neighbors([node.id], ["HAS_SECTION"], "out")),
                          key=lambda s: s.props["order"])
        rules = self.graph.neighbors([s.id for s in sections], ["HAS_RULE"], "out")
        by_section: dict[str, list[dict]] = {}
        for e, r in rules:
            if r.props["version"] == node.props["version"]:
                by_section.setdefault(e.src, []).append({
                    "rule_id": r.props["rule_id"], "title": r.props.get("title", ""), "kind": r.props["kind"],
                    "severity": r.props["severity"], "jurisdictions": r.props["jurisdictions"]})
        terms = [o.props for _, o in self.graph.neighbors([node.id], ["DEFINES"], "out")]
        return {
            **{k: v for k, v in node.props.items() if k != "preamble"},
            "sections": [{"section_id": s.props["section_id"], "title": s.props["title"],
                          "rules": by_section.get(s.id, [])} for s in sections],
            "definitions": [{"term_id": t["term_id"], "term": t["term"], "definition": t.get("definition", "")}
                            for t in terms],
        }

    def stats(self) -> dict:
        counts = self.graph.counts()
        langs = sorted({lg for e in self.catalog.rules.values() for lg in e.languages})
        return {
            "data_dir": str(self.root) if not self.in_memory else ":memory:",
            "graph_backend": self.settings.graph_backend,
            "embedder": self.embedder.name,
            "vector_device": self.index.device,
            "vector_search": self.index.mode,
            "vectors": len(self.index),
            "policies": counts.get("node:Policy", 0),
            "rule_versions": counts.get("node:Rule", 0),
            "rules": len(self.catalog.by_rule_id),
            "terms": counts.get("node:Term", 0),
            "examples": counts.get("node:Example", 0),
            "languages": langs,
            "graph": counts,
        }

    def close(self) -> None:
        self.graph.close()
        self.embedder.close()


def _fingerprint(doc: PolicyDocument) -> str:
    return json.dumps([doc.version, doc.status, doc.source.sha256, sorted(t.sha256 for t in doc.translations),
                       str(doc.effective_from), str(doc.effective_to)])


def _crash_point(name: str) -> None:
    """Tests only: POLICYGRAPH_TEST_CRASH_AT=<name> kills the process here, as a power cut would."""
    if os.environ.get("POLICYGRAPH_TEST_CRASH_AT") == name:
        os._exit(137)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)


__all__ = ["Engine", "open_graph_store"]
