"""`GraphStore` on Neo4j 5 (or any server that speaks Bolt and portable Cypher) through the official driver.

Behaves exactly like `NetworkxGraphStore`; the contract suite in tests/test_graph_store_contract.py runs
both. How the property graph of `base.py` maps onto Neo4j:

- A node is `(:<Label>:PGNode {id, __pglabel, ...props})`. `PGNode` is the common label of everything
  this store owns: a named uniqueness constraint on `PGNode.id` (which brings its index) makes every
  lookup an index seek, and `clear()` removes only `PGNode` nodes. The label is also kept in the
  `__pglabel` property, so reads never depend on the order `labels(n)` comes back in.
- An edge is `(a)-[:<TYPE> {...props}]->(b)`, unique per (src, TYPE, dst) through `MERGE`.
- Labels and relationship types cannot be query parameters, so they are checked against
  `^[A-Za-z][A-Za-z0-9_]*$` before they go into a query; every value travels as a parameter.
- Property values Neo4j stores natively (str, bool, 64-bit int, float, non-empty homogeneous lists of
  those) are stored as they are. Everything else (dicts such as per-language text, None, empty, mixed or
  nested lists, ints beyond 64 bits) is stored as a JSON string under `__pgjson__<key>` and decoded on
  read, so callers get back exactly what they wrote. A user key `id`, `""` or one starting with `__pg`
  is always stored that way too, so it can never collide with the store's own properties. Values that are
  not JSON-compatible at all (dates, say) are stored as their `str()`, like the networkx store's file.
- `apply()` is one managed transaction (`session.execute_write`): deletions, a consistency check
  (label changes, edges whose endpoint does not exist), then node and edge upserts as `UNWIND` batches
  grouped by label / type. Any error raises `StoreError` and rolls the whole batch back. Transient
  errors (deadlocks, optimistic-concurrency conflicts, a lost connection) are retried with backoff.
- Results are ordered in Python (code-point order, as networkx), never by the server's collation.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

import neo4j
from neo4j import exceptions as nx4j

from policygraph.errors import StoreError, StoreUnavailable
from policygraph.stores.base import Direction, Edge, GraphBatch, Node

if TYPE_CHECKING:
    from policygraph.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The label every node of this store carries (never used as a relationship type).
COMMON_LABEL = "PGNode"
CONSTRAINT_NAME = "pg_node_id_unique"
INDEX_NAME = "pg_node_id_index"
LABEL_KEY = "__pglabel"
ID_KEY = "id"
JSON_PREFIX = "__pgjson__"
RESERVED_PREFIX = "__pg"

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
BATCH_SIZE = 1000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

#: Errors worth another attempt: the server said "try again", or the connection went away.
RETRYABLE = (nx4j.TransientError, nx4j.ServiceUnavailable, nx4j.SessionExpired)
URI_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")


# ---------------------------------------------------------------------------------------------- names
def is_valid_name(name: str) -> bool:
    """Whether `name` may be used as a label or relationship type (it goes into the query text)."""
    return isinstance(name, str) and bool(NAME_RE.fullmatch(name)) and name != COMMON_LABEL


def check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise StoreError(f"invalid {what} {name!r}: must match {NAME_RE.pattern}")
    if name == COMMON_LABEL:
        raise StoreError(f"invalid {what} {name!r}: reserved by the Neo4j graph store")
    return name


# ---------------------------------------------------------------------------------------------- values
def _is_int64(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and INT64_MIN <= v <= INT64_MAX


def _is_native(v: Any) -> bool:
    """Whether Neo4j stores `v` as a property and gives back an equal value of the same type."""
    if isinstance(v, (bool, str, float)):
        return True
    if isinstance(v, int):
        return _is_int64(v)
    if isinstance(v, list) and v:
        first = v[0]
        if isinstance(first, bool):
            return all(isinstance(x, bool) for x in v)
        if isinstance(first, str):
            return all(isinstance(x, str) for x in v)
        if isinstance(first, float):
            return all(isinstance(x, float) for x in v)
        if isinstance(first, int):
            return all(_is_int64(x) for x in v)
    return False


def _storage_key(key: str) -> str | None:
    """The property name a native value of `key` is stored under, or None when it must be encoded."""
    if not key or key == ID_KEY or key.startswith(RESERVED_PREFIX):
        return None
    return key


def encode_props(props: dict[str, Any], owner: str) -> dict[str, Any]:
    """Props as Neo4j property values (see the module docstring for the encoding)."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if not isinstance(key, str):
            raise StoreError(f"{owner}: property names must be strings, got {key!r}")
        plain = _storage_key(key)
        if plain is not None and _is_native(value):
            out[plain] = value
            continue
        try:
            out[JSON_PREFIX + key] = json.dumps(value, ensure_ascii=False, default=str)
        except (TypeError, ValueError) as exc:
            raise StoreError(f"{owner}: property {key!r} cannot be stored: {exc}") from exc
    return out


def decode_props(stored: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in stored.items():
        if key.startswith(JSON_PREFIX):
            out[key[len(JSON_PREFIX) :]] = json.loads(value)
        elif key == ID_KEY or key.startswith(RESERVED_PREFIX):
            continue  # the store's own bookkeeping
        else:
            out[key] = value
    return out


def _node_from(stored: dict[str, Any]) -> Node:
    return Node(id=stored[ID_KEY], label=stored[LABEL_KEY], props=decode_props(stored))


def _chunks(rows: Sequence[T], size: int = BATCH_SIZE) -> Iterable[Sequence[T]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


# ---------------------------------------------------------------------------------------------- queries
Q_CONSTRAINT = f"CREATE CONSTRAINT {CONSTRAINT_NAME} IF NOT EXISTS FOR (n:{COMMON_LABEL}) REQUIRE n.{ID_KEY} IS UNIQUE"
Q_INDEX = f"CREATE INDEX {INDEX_NAME} IF NOT EXISTS FOR (n:{COMMON_LABEL}) ON (n.{ID_KEY})"
Q_DELETE_NODES = f"UNWIND $ids AS id MATCH (n:{COMMON_LABEL} {{id: id}}) DETACH DELETE n"
Q_EXISTING = f"UNWIND $ids AS id MATCH (n:{COMMON_LABEL} {{id: id}}) RETURN n.id AS id, n.{LABEL_KEY} AS label"
Q_GET = f"UNWIND $ids AS id MATCH (n:{COMMON_LABEL} {{id: id}}) RETURN properties(n) AS p"
Q_CLEAR = f"MATCH (n:{COMMON_LABEL}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS c"
Q_COUNT_NODES = f"MATCH (n:{COMMON_LABEL}) RETURN n.{LABEL_KEY} AS label, count(*) AS c"
Q_COUNT_EDGES = f"MATCH (:{COMMON_LABEL})-[r]->(:{COMMON_LABEL}) RETURN type(r) AS type, count(*) AS c"


def _q_delete_edges(typ: str) -> str:
    return (
        f"UNWIND $rows AS r MATCH (:{COMMON_LABEL} {{id: r.src}})-[e:{typ}]->(:{COMMON_LABEL} {{id: r.dst}}) DELETE e"
    )


# Node upserts are split into updates and creates rather than one `MERGE (n:Label:PGNode {id})`: the
# transaction already knows which ids exist (see _Plan._check), and on ArcadeDB a MERGE on two labels does
# not use the PGNode index (5,000 nodes: 7 s instead of 0.6 s), while `ON CREATE SET n:Label` recreates
# the record and trips the unique index. Labels never change, so an update leaves them alone.
Q_UPDATE_NODES = f"UNWIND $rows AS r MATCH (n:{COMMON_LABEL} {{id: r.id}}) SET n = r.props"


def _q_create_nodes(label: str) -> str:
    return f"UNWIND $rows AS r CREATE (n:{label}:{COMMON_LABEL}) SET n = r.props"


def _q_probe_label(label: str) -> str:
    return f"CREATE (n:{label}:{COMMON_LABEL} {{id: $probe}})"


def _q_upsert_edges(typ: str) -> str:
    return (
        f"UNWIND $rows AS r MATCH (a:{COMMON_LABEL} {{id: r.src}}) MATCH (b:{COMMON_LABEL} {{id: r.dst}}) "
        f"MERGE (a)-[e:{typ}]->(b) SET e = r.props"
    )


def _q_neighbors(types: Sequence[str] | None, direction: Direction) -> str:
    rel = "r" + (":" + "|".join(types) if types else "")
    pattern = {"out": f"-[{rel}]->", "in": f"<-[{rel}]-", "both": f"-[{rel}]-"}[direction]
    return (
        f"UNWIND $ids AS qid MATCH (a:{COMMON_LABEL} {{id: qid}}){pattern}(b:{COMMON_LABEL}) "
        "RETURN qid, startNode(r).id AS src, type(r) AS type, endNode(r).id AS dst, "
        "properties(r) AS rp, properties(b) AS bp"
    )


# ---------------------------------------------------------------------------------------------- store
class Neo4jGraphStore:
    """`GraphStore` on a Neo4j 5 server (or another Bolt server with portable Cypher, e.g. ArcadeDB).

    Connects, checks the credentials and the database, and creates the schema at construction;
    raises `StoreError` naming the URI when any of that fails.
    """

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        database: str = "neo4j",
        *,
        connection_timeout: float = 10.0,
        retries: int = 6,
        retry_delay: float = 0.2,
    ) -> None:
        self.uri = uri
        self.user = user
        self.database = database
        self.retries = max(1, retries)
        self.retry_delay = retry_delay
        self._known_labels: set[str] = set()
        self._labels_lock = threading.Lock()
        scheme = uri.partition("://")[0] if "://" in uri else ""
        if scheme not in URI_SCHEMES:
            raise StoreUnavailable(
                f"cannot connect to Neo4j at {uri}: the URI must start with one of "
                + ", ".join(f"{s}://" for s in URI_SCHEMES)
            )
        try:
            self._driver = neo4j.GraphDatabase.driver(
                uri,
                auth=(user, password),
                connection_timeout=connection_timeout,
                # retries are ours (see _retrying): a bounded number, and every failure ends in StoreError
                max_transaction_retry_time=0,
            )
        except (ValueError, nx4j.ConfigurationError, nx4j.DriverError) as exc:
            raise StoreUnavailable(f"cannot connect to Neo4j at {uri}: invalid URI or settings: {exc}") from exc
        try:
            try:
                self._driver.verify_connectivity()  # once: an unreachable server fails fast
                self._read(lambda tx: tx.run("RETURN 1 AS one").consume())  # the database exists
            except (nx4j.Neo4jError, nx4j.DriverError) as exc:
                raise self._error(exc) from exc
            self._ensure_schema()
        except BaseException:
            self._driver.close()
            raise

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jGraphStore:
        return cls(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password.get_secret_value(),
            settings.neo4j_database,
        )

    @property
    def driver(self) -> neo4j.Driver:
        """The official driver this store talks through (for diagnostics and benchmarks: server-side
        timings, `EXPLAIN`); writes go through the store's methods."""
        return self._driver

    def __repr__(self) -> str:
        return f"Neo4jGraphStore({self.uri!r}, database={self.database!r})"

    # ------------------------------------------------------------------ plumbing
    def _error(self, exc: Exception) -> StoreError:
        where = f"Neo4j at {self.uri}"
        if isinstance(exc, nx4j.AuthError):
            return StoreUnavailable(f"cannot connect to {where}: authentication failed for user {self.user!r}: {exc}")
        if isinstance(exc, (nx4j.ServiceUnavailable, nx4j.SessionExpired)):
            return StoreUnavailable(f"cannot connect to {where}: {exc}")
        if isinstance(exc, nx4j.ClientError) and "DatabaseNotFound" in str(exc.code or ""):
            return StoreUnavailable(f"cannot connect to {where}: database {self.database!r} does not exist: {exc}")
        if isinstance(exc, RETRYABLE):  # still failing after our retries: the server is not serving
            return StoreUnavailable(f"{where} (database {self.database!r}) keeps failing: {type(exc).__name__}: {exc}")
        return StoreError(f"{where} (database {self.database!r}): {type(exc).__name__}: {exc}")

    def _retrying(self, fn: Callable[[], T], also_retry: tuple[type[Exception], ...] = ()) -> T:
        """Run `fn`, retrying transient failures with exponential backoff; errors become StoreError."""
        retry_on: tuple[type[Exception], ...] = (*RETRYABLE, *also_retry)
        for attempt in range(1, self.retries + 1):
            try:
                return fn()
            except StoreError:
                raise
            except retry_on as exc:
                if attempt == self.retries:
                    raise self._error(exc) from exc
                delay = self.retry_delay * 2 ** (attempt - 1) * (1 + random.random() / 2)
                log.info("%s: %s; retry %d/%d in %.2fs", self, exc, attempt, self.retries - 1, delay)
                time.sleep(delay)
            except (nx4j.Neo4jError, nx4j.DriverError) as exc:
                raise self._error(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _write(self, work: Callable[[neo4j.ManagedTransaction], T], also_retry: tuple[type[Exception], ...] = ()) -> T:
        def run() -> T:
            with self._driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self._retrying(run, also_retry)

    def _read(self, work: Callable[[neo4j.ManagedTransaction], T]) -> T:
        with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
            return session.execute_read(work)

    def _query(self, query: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx: neo4j.ManagedTransaction) -> list[dict[str, Any]]:
            # dict(record.items()), not record.data(): every query here returns plain values and maps, and
            # data() walks each of them again to convert graph objects (a fifth of a read's driver time)
            return [dict(record.items()) for record in tx.run(query, params)]

        return self._retrying(lambda: self._read(work))

    def _ensure_schema(self) -> None:
        self._write(lambda tx: tx.run(Q_CONSTRAINT).consume())
        try:
            self._write(lambda tx: tx.run(Q_INDEX).consume())
        except StoreError as exc:
            # Neo4j refuses a second index on the schema the constraint already indexes: that one serves.
            log.debug("%s: index %s not created (%s); the constraint's index serves", self, INDEX_NAME, exc)

    # ------------------------------------------------------------------ writes
    def apply(self, batch: GraphBatch) -> None:
        if not batch:
            return
        plan = _Plan.build(batch)
        self._ensure_labels(plan.nodes)
        # A ConstraintError means another writer created one of our new ids after the check: run again.
        self._write(plan.run, also_retry=(nx4j.ConstraintError,))

    def _ensure_labels(self, labels: Iterable[str]) -> None:
        """Make sure the server knows each label before a batch creates nodes with it.

        ArcadeDB creates a type (`Label~PGNode`) outside the transaction the first time a label is used,
        and two transactions doing that at once fail with "type already exists" (a ClientError, so not
        retried). Creating a node with the label in a transaction that is rolled back registers the type
        once, serially, and leaves no data behind on any server. Costs one round trip per new label.
        """
        new = [label for label in labels if label not in self._known_labels]
        if not new:
            return
        with self._labels_lock:
            for label in new:
                if label in self._known_labels:
                    continue

                def probe(tx: neo4j.ManagedTransaction, label: str = label) -> None:
                    tx.run(_q_probe_label(label), probe=f"__pgprobe__{uuid.uuid4().hex}").consume()
                    raise _Rollback

                try:
                    self._write(probe)
                except _Rollback:
                    pass
                except StoreError as exc:  # e.g. another process registered it at the same moment
                    log.debug("%s: registering label %s: %s", self, label, exc)
                self._known_labels.add(label)

    def clear(self) -> None:
        def one_round(tx: neo4j.ManagedTransaction) -> int:
            record = tx.run(Q_CLEAR, limit=10 * BATCH_SIZE).single()
            return int(record["c"]) if record else 0

        while self._write(one_round):
            pass

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ reads
    def _fetch(self, ids: Sequence[str]) -> dict[str, Node]:
        found: dict[str, Node] = {}
        for chunk in _chunks(_unique(i for i in ids if isinstance(i, str))):
            for row in self._query(Q_GET, ids=list(chunk)):
                node = _node_from(row["p"])
                found[node.id] = node
        return found

    def get_node(self, node_id: str) -> Node | None:
        return self._fetch([node_id]).get(node_id)

    def get_nodes(self, node_ids: Sequence[str]) -> list[Node]:
        found = self._fetch(node_ids)
        out: list[Node] = []
        seen: set[str] = set()
        for n in node_ids:
            if n in found:  # each node is freshly decoded: copy only when an id is asked for again
                out.append(found[n].model_copy(deep=True) if n in seen else found[n])
                seen.add(n)
        return out

    def find_nodes(self, label: str, where: dict[str, Any] | None = None) -> list[Node]:
        if not is_valid_name(label):
            return []  # no node can carry it
        where = where or {}
        # Push string equalities down to the server (exactly Python's == for strings); everything else
        # is compared in Python after decoding, with the same semantics as the networkx store.
        conditions, params = [], {}
        for i, (key, value) in enumerate(where.items()):
            plain = _storage_key(key) if isinstance(key, str) else None
            if plain is not None and isinstance(value, str):
                conditions.append(f"n[$k{i}] = $v{i}")
                params[f"k{i}"], params[f"v{i}"] = plain, value
        query = f"MATCH (n:{label}:{COMMON_LABEL})"
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        query += " RETURN properties(n) AS p"
        nodes = [_node_from(row["p"]) for row in self._query(query, **params)]
        nodes = [n for n in nodes if all(n.props.get(k) == v for k, v in where.items())]
        nodes.sort(key=lambda n: n.id)
        return nodes

    def neighbors(
        self,
        node_ids: Sequence[str],
        edge_types: Sequence[str] | None = None,
        direction: Direction = "out",
    ) -> list[tuple[Edge, Node]]:
        if direction not in ("out", "in", "both"):
            raise ValueError(f"direction must be 'out', 'in' or 'both', not {direction!r}")
        ids = _unique(i for i in node_ids if isinstance(i, str))
        types: list[str] | None = None
        if edge_types is not None:
            types = sorted({t for t in edge_types if is_valid_name(t)})  # others cannot exist
            if not types:
                return []
        if not ids:
            return []
        position = {nid: i for i, nid in enumerate(ids)}
        rows = self._query(_q_neighbors(types, direction), ids=ids)
        # Which end counts as "the other node" for an edge reached from several queried nodes follows
        # the networkx store: the first queried node wins, and its out-edges before its in-edges.
        best: dict[tuple[str, str, str], tuple[tuple[int, int], dict[str, Any]]] = {}
        for row in rows:
            key = (row["src"], row["type"], row["dst"])
            rank = (position[row["qid"]], 0 if row["src"] == row["qid"] else 1)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, row)
        out = []
        for (src, typ, dst), (_, row) in best.items():
            edge = Edge(src=src, type=typ, dst=dst, props=decode_props(row["rp"]))
            out.append((edge, _node_from(row["bp"])))
        out.sort(key=lambda p: (p[0].src, p[0].type, p[0].dst))
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for row in self._query(Q_COUNT_NODES):
            if row["c"]:
                out[f"node:{row['label']}"] = int(row["c"])
        for row in self._query(Q_COUNT_EDGES):
            if row["c"]:
                out[f"edge:{row['type']}"] = int(row["c"])
        return dict(sorted(out.items()))


class _Rollback(Exception):
    """Raised inside a transaction function to roll the transaction back on purpose."""


class _Plan:
    """A batch validated and encoded up front (no I/O), then run inside one write transaction."""

    def __init__(self) -> None:
        self.delete_nodes: list[str] = []
        self.delete_edges: dict[str, list[dict[str, str]]] = {}
        self.nodes: dict[str, dict[str, dict[str, Any]]] = {}  # label -> id -> row
        self.node_labels: dict[str, str] = {}
        self.edges: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}  # type -> (src, dst) -> row
        self.edge_order: list[tuple[str, str, str]] = []

    @classmethod
    def build(cls, batch: GraphBatch) -> _Plan:
        plan = cls()
        plan.delete_nodes = _unique(batch.delete_nodes)
        for src, typ, dst in batch.delete_edges:
            if is_valid_name(typ):  # an edge of another type cannot exist
                plan.delete_edges.setdefault(typ, []).append({"src": src, "dst": dst})
        for node in batch.nodes:
            check_name(node.label, f"label of node {node.id!r}")
            seen = plan.node_labels.get(node.id)
            if seen is not None and seen != node.label:
                raise StoreError(f"node {node.id!r} exists with label {seen!r}, not {node.label!r}")
            plan.node_labels[node.id] = node.label
            props = encode_props(node.props, f"node {node.id!r}")
            props[ID_KEY], props[LABEL_KEY] = node.id, node.label
            plan.nodes.setdefault(node.label, {})[node.id] = {"id": node.id, "props": props}  # last one wins
        for edge in batch.edges:
            check_name(edge.type, f"type of edge {edge.src} -[{edge.type}]-> {edge.dst}")
            props = encode_props(edge.props, f"edge {edge.src} -[{edge.type}]-> {edge.dst}")
            plan.edges.setdefault(edge.type, {})[(edge.src, edge.dst)] = {
                "src": edge.src,
                "dst": edge.dst,
                "props": props,
            }
            plan.edge_order.append((edge.src, edge.type, edge.dst))
        return plan

    def run(self, tx: neo4j.ManagedTransaction) -> None:
        """The transaction function: may run more than once (retries), so it only reads the plan."""
        for ids in _chunks(self.delete_nodes):
            tx.run(Q_DELETE_NODES, ids=list(ids)).consume()
        for typ, rows in self.delete_edges.items():
            for ends in _chunks(rows):
                tx.run(_q_delete_edges(typ), rows=list(ends)).consume()
        existing = self._check(tx)
        updates = [row for by_id in self.nodes.values() for nid, row in by_id.items() if nid in existing]
        for chunk in _chunks(updates):
            tx.run(Q_UPDATE_NODES, rows=list(chunk)).consume()
        for label, by_id in self.nodes.items():
            creates = [row for nid, row in by_id.items() if nid not in existing]
            for chunk in _chunks(creates):
                tx.run(_q_create_nodes(label), rows=list(chunk)).consume()
        for typ, by_ends in self.edges.items():
            for chunk in _chunks(list(by_ends.values())):
                tx.run(_q_upsert_edges(typ), rows=list(chunk)).consume()

    def _check(self, tx: neo4j.ManagedTransaction) -> set[str]:
        """After the deletions: no node changes label, and every edge's ends exist (or are being written).

        Returns the ids of the batch's nodes that exist already."""
        wanted = _unique([*self.node_labels, *(end for s, _, d in self.edge_order for end in (s, d))])
        existing: dict[str, str] = {}
        for chunk in _chunks(wanted):
            for record in tx.run(Q_EXISTING, ids=list(chunk)):
                existing[record["id"]] = record["label"]
        for nid, label in self.node_labels.items():
            if nid in existing and existing[nid] != label:
                raise StoreError(f"node {nid!r} exists with label {existing[nid]!r}, not {label!r}")
        for src, typ, dst in self.edge_order:
            for end in (src, dst):
                if end not in existing and end not in self.node_labels:
                    raise StoreError(f"edge {src} -[{typ}]-> {dst}: no node {end!r}")
        return {nid for nid in self.node_labels if nid in existing}
