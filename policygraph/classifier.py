"""The content classifier: what the content is about, and whether it violates — learned from the
labelled examples in the store, over the same query vectors retrieval uses.

Similarity to rule texts says what a piece of content is *near*; it cannot say whether it crosses the
line (a news report on an attack is near the terrorism rules) and it is easily pulled by one shared
word. Two small linear heads over the embedder's query vector fix what similarity cannot:

- **topic**: a probability over the 14 categories and `none` (everyday content). Trained on every
  example: violating and non-violating examples teach their rule's category, benign examples with no
  rule teach their own category or `none`.
- **violation**: the probability that the content violates some rule. Violating examples against
  non-violating ones (exceptions: news, counter-speech, recovery stories; and benign content).
- **rule**: which rule a violating content breaks, over the rules with at least
  `Config.min_rule_examples` violating examples: it picks the rule inside a category where rule
  texts written in one language say little about content in another.

Both are multinomial logistic regressions with balanced class weights, fitted in about a second when a
catalog is loaded for the first time (keyed by the catalog's generation, so a publish or an import of
labelled decisions retrains them). Operators improve them without touching policy text:
`policygraph examples import decisions.jsonl`. The heads need enough labelled data; below
`Config.min_examples` they say nothing and retrieval falls back to similarity alone.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from policygraph.catalog import Catalog
from policygraph.stores.base import VectorIndex

NONE = "none"


@dataclass(frozen=True)
class Prediction:
    topic: dict[str, float]  # category (or "none") -> probability, sums to 1
    violating: float  # probability that the content violates some rule
    rules: dict[str, float] = field(default_factory=dict)  # rule id -> P(this rule | violating), learnt rules only

    def best_topic(self) -> str:
        return max(self.topic, key=self.topic.__getitem__) if self.topic else NONE


@dataclass
class _Heads:
    classes: list[str]
    topic_w: np.ndarray  # (dim, classes)
    topic_b: np.ndarray
    viol_w: np.ndarray  # (dim,)
    viol_b: float
    trained_on: int
    thresholds: dict[str, float] = field(default_factory=dict)  # category -> P(violating) for "applies"
    default_threshold: float | None = None  # over all non-violating examples
    rule_classes: list[str] = field(default_factory=list)
    rule_w: np.ndarray | None = None  # (dim, rules)
    rule_b: np.ndarray | None = None


class ContentClassifier:
    @dataclass(frozen=True)
    class Config:
        #: L2 regularisation (inverse strength, as in scikit-learn's C) of both heads
        c_topic: float = 4.0
        c_violation: float = 2.0
        #: fewer labelled examples than this: no heads, similarity alone decides
        min_examples: int = 200
        min_rule_examples: int = 3
        c_rule: float = 4.0
        #: the heads are fitted on at most this many examples (a deterministic sample that keeps every
        #: topic-and-label stratum): fitting, and the near-duplicate grouping of the thresholds (quadratic),
        #: took 88 s on 100,000 examples at 10k generated rules; the bundled corpus has 562
        max_fit_examples: int = 20_000
        #: no rule head over more rules than this: multinomial fitting holds an examples x rules matrix
        #: (100,000 examples x 10,000 rules: 8 GB and two minutes at 10k generated rules); similarity to
        #: the labelled examples still points at rules
        max_rule_classes: int = 1000
        max_iter: int = 400
        #: per-category violation thresholds: the lowest P(violating) at which at most this share of the
        #: category's non-violating examples would get "applies", measured out of fold (cv_folds folds)
        target_false_applies: float = 0.10
        cv_folds: int = 3
        #: a category needs this many non-violating examples for a threshold of its own
        min_negatives: int = 25
        threshold_bounds: tuple[float, float] = (0.5, 0.97)
        #: examples at least this similar (cosine of their vectors) belong to one cross-validation group
        group_similarity: float = 0.93

    def __init__(self, config: Config | None = None, cache_dir: Path | None = None) -> None:
        """`cache_dir`: where fitted heads are kept by the fingerprint of the labelled examples, so a
        new process (each CLI call, each server worker) does not refit them."""
        self.config = config or ContentClassifier.Config()
        self.cache_dir = cache_dir
        self._heads: _Heads | None = None
        self._for: int = -1
        self._examples_for: int = -1  # the catalog's labels_generation the heads are known to fit
        self._fingerprint: str = ""
        self._lock = threading.Lock()
        self.last_fit_seconds: float = 0.0
        self.notes: list[str] = []

    # ------------------------------------------------------------------ training
    def heads(self, catalog: Catalog, index: VectorIndex) -> _Heads | None:
        """The heads for this catalog (fitted on first use after every change)."""
        if self._for == catalog.generation:
            return self._heads
        with self._lock:
            if self._for != catalog.generation and self._examples_for == catalog.labels_generation:
                self._for = catalog.generation  # a write that touched no example: the same heads
            if self._for != catalog.generation:
                # a publish that leaves the labelled examples as they were keeps the heads (no refit)
                fp = _fingerprint(catalog)
                if fp != self._fingerprint:
                    self._heads = self._load(fp)
                    if self._heads is None:
                        self._heads = self._fit(catalog, index)
                        self._save(fp, self._heads)
                    self._fingerprint = fp
                self._for, self._examples_for = catalog.generation, catalog.labels_generation
        return self._heads

    def _fit(self, catalog: Catalog, index: VectorIndex) -> _Heads | None:
        import time

        from sklearn.linear_model import LogisticRegression

        t = time.perf_counter()
        xs, topics, viol, rules = [], [], [], []
        # in node id order: a catalog updated in place after a write holds its entries in another order than
        # one read from scratch, and the fitted heads must not depend on it
        for ex in sorted(catalog.examples.values(), key=lambda e: e.node_id):
            v = index.get_vector(ex.node_id)
            if v is None:
                continue
            xs.append(v)
            topics.append(ex.category or NONE)
            viol.append(1 if ex.label == "violating" else 0)
            rules.append(ex.rule_id if ex.label == "violating" else "")
        if len(xs) > self.config.max_fit_examples:
            keep = stratified_sample([(t, v) for t, v in zip(topics, viol, strict=True)], self.config.max_fit_examples)
            self.notes.append(f"classifier heads fitted on a sample of {len(keep):,} of {len(xs):,} labelled examples "
                              f"(max_fit_examples)")
            xs, topics = [xs[i] for i in keep], [topics[i] for i in keep]
            viol, rules = [viol[i] for i in keep], [rules[i] for i in keep]
        if len(xs) < self.config.min_examples or len(set(topics)) < 2 or len(set(viol)) < 2:
            self.notes.append(f"content classifier off: {len(xs)} labelled examples (needs "
                              f"{self.config.min_examples}, both labels and two topics)")
            return None
        x = np.stack(xs).astype(np.float32)
        tm = LogisticRegression(C=self.config.c_topic, class_weight="balanced", max_iter=self.config.max_iter)
        tm.fit(x, topics)
        vm = LogisticRegression(C=self.config.c_violation, class_weight="balanced", max_iter=self.config.max_iter)
        vm.fit(x, viol)
        heads = _Heads(classes=[str(c) for c in tm.classes_], topic_w=tm.coef_.T.astype(np.float32),
                       topic_b=tm.intercept_.astype(np.float32), viol_w=vm.coef_[0].astype(np.float32),
                       viol_b=float(vm.intercept_[0]), trained_on=len(xs))
        heads.default_threshold, heads.thresholds = self._thresholds(x, np.array(viol), topics)
        counts: dict[str, int] = {}
        for r in rules:
            if r:
                counts[r] = counts.get(r, 0) + 1
        keep = [i for i, r in enumerate(rules) if r and counts[r] >= self.config.min_rule_examples]
        n_rules = len({rules[i] for i in keep})
        if n_rules > self.config.max_rule_classes:
            self.notes.append(f"rule head off: {n_rules} rules have labelled examples (limit "
                              f"{self.config.max_rule_classes}); the topic and violation heads are fitted")
        elif n_rules >= 3:  # (scikit-learn keeps one column for two classes)
            rm = LogisticRegression(C=self.config.c_rule, class_weight="balanced", max_iter=self.config.max_iter)
            rm.fit(x[keep], [rules[i] for i in keep])
            heads.rule_classes = [str(c) for c in rm.classes_]
            heads.rule_w, heads.rule_b = rm.coef_.T.astype(np.float32), rm.intercept_.astype(np.float32)
        self.last_fit_seconds = time.perf_counter() - t
        return heads

    def _path(self, fp: str) -> Path | None:
        return self.cache_dir / f"heads-{fp[:20]}.npz" if self.cache_dir is not None else None

    def _load(self, fp: str) -> _Heads | None:
        path = self._path(fp)
        if path is None or not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("config") != repr(self.config):
                    return None
                return _Heads(classes=meta["classes"], topic_w=z["topic_w"], topic_b=z["topic_b"], viol_w=z["viol_w"],
                              viol_b=float(meta["viol_b"]), trained_on=int(meta["trained_on"]),
                              thresholds=meta["thresholds"], default_threshold=meta["default_threshold"],
                              rule_classes=meta["rule_classes"],
                              rule_w=z["rule_w"] if meta["rule_classes"] else None,
                              rule_b=z["rule_b"] if meta["rule_classes"] else None)
        except (OSError, ValueError, KeyError):
            return None  # unreadable: refit

    def _save(self, fp: str, h: _Heads | None) -> None:
        path = self._path(fp)
        if path is None or h is None:
            return
        meta = {"config": repr(self.config), "classes": h.classes, "viol_b": h.viol_b, "trained_on": h.trained_on,
                "thresholds": h.thresholds, "default_threshold": h.default_threshold,
                "rule_classes": h.rule_classes}
        empty = np.zeros((0,), np.float32)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, meta=np.array(json.dumps(meta)), topic_w=h.topic_w, topic_b=h.topic_b, viol_w=h.viol_w,
                     rule_w=h.rule_w if h.rule_w is not None else empty,
                     rule_b=h.rule_b if h.rule_b is not None else empty)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only data dir: the heads are refitted per process

    def _thresholds(self, x: np.ndarray, y: np.ndarray, topics: list[str]) -> tuple[float | None, dict[str, float]]:
        """Out-of-fold P(violating) for every example; per category (and overall), the lowest threshold
        at which non-violating examples of it get "applies" at most `target_false_applies` of the time.
        Counter-speech about hate needs more certainty than a recipe: the thresholds differ by topic."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

        cfg = self.config
        if min(int(y.sum()), int((1 - y).sum())) < cfg.cv_folds:
            return None, {}
        # near-duplicates (a contrast set, one post in five wordings) stay in one fold: otherwise the
        # held-out fold is no test at all and the thresholds come out too low
        groups = _near_duplicate_groups(x, cfg.group_similarity)
        folds = StratifiedGroupKFold(n_splits=cfg.cv_folds, shuffle=True, random_state=0)
        oof = cross_val_predict(LogisticRegression(C=cfg.c_violation, class_weight="balanced", max_iter=cfg.max_iter),
                                x, y, cv=folds, groups=groups, method="predict_proba")[:, 1]
        lo, hi = cfg.threshold_bounds

        def threshold(neg: np.ndarray) -> float:
            q = float(np.quantile(neg, 1.0 - cfg.target_false_applies)) if len(neg) else lo
            return round(min(max(q, lo), hi), 3)

        t = np.array(topics)
        per = {c: threshold(oof[(t == c) & (y == 0)]) for c in sorted(set(topics)) if c != NONE
               and int(((t == c) & (y == 0)).sum()) >= cfg.min_negatives}
        return threshold(oof[y == 0]), per

    def threshold(self, catalog: Catalog, index: VectorIndex, category: str) -> float | None:
        """P(violating) from which content of `category` is said to violate (None: no classifier)."""
        h = self.heads(catalog, index)
        if h is None:
            return None
        return h.thresholds.get(category, h.default_threshold)

    # ------------------------------------------------------------------ prediction
    def predict(self, catalog: Catalog, index: VectorIndex, qvec: np.ndarray) -> Prediction | None:
        h = self.heads(catalog, index)
        if h is None:
            return None
        z = qvec @ h.topic_w + h.topic_b
        if len(h.classes) == 2:  # scikit-learn's binary case: one column
            p1 = 1.0 / (1.0 + np.exp(-z[0]))
            probs = np.array([1.0 - p1, p1])
        else:
            z = z - z.max()
            e = np.exp(z)
            probs = e / e.sum()
        viol = 1.0 / (1.0 + np.exp(-(float(qvec @ h.viol_w) + h.viol_b)))
        rules: dict[str, float] = {}
        if h.rule_w is not None and h.rule_b is not None:
            rules = dict(zip(h.rule_classes, _softmax(qvec @ h.rule_w + h.rule_b).tolist(), strict=True))
        return Prediction(topic={c: float(p) for c, p in zip(h.classes, probs, strict=True)}, violating=float(viol),
                          rules=rules)


def stratified_sample(strata: list[tuple], size: int) -> list[int]:
    """`size` row numbers (sorted) drawn without replacement, deterministically: every stratum keeps up to an
    equal share of half the sample, the rest is drawn from all rows alike (the large strata's share)."""
    rng = np.random.default_rng(0)
    by: dict[tuple, list[int]] = {}
    for i, key in enumerate(strata):
        by.setdefault(key, []).append(i)
    floor = size // (2 * len(by))
    keep: set[int] = set()
    for key in sorted(by, key=repr):
        members = by[key]
        keep.update(rng.choice(members, size=min(len(members), floor), replace=False).tolist())
    rest = np.array([i for i in range(len(strata)) if i not in keep], dtype=np.int64)
    keep.update(rng.choice(rest, size=min(len(rest), size - len(keep)), replace=False).tolist())
    return sorted(keep)


def _near_duplicate_groups(x: np.ndarray, similarity: float) -> np.ndarray:
    """Connected components of the graph "cosine >= similarity" over the rows of `x` (normalised)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    rows, cols = [], []
    for start in range(0, len(x), 1024):
        block = x[start: start + 1024] @ x.T
        i, j = np.nonzero(block >= similarity)
        rows.append(i + start)
        cols.append(j)
    n = len(x)
    adj = csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return connected_components(adj, directed=False)[1]


def _fingerprint(catalog: Catalog) -> str:
    import hashlib

    h = hashlib.sha1()
    for ex in sorted(catalog.examples.values(), key=lambda e: e.node_id):
        h.update(f"{ex.node_id}\x1f{ex.label}\x1f{ex.category}\x1f{ex.rule_id}\x1e".encode())
    return h.hexdigest()


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max())
    return e / e.sum()
