"""Suite 1 — cross-lingual retrieval over the Universal Declaration of Human Rights.

The UDHR has 30 articles and 400+ translations aligned article by article (`../shared/data/udhr`,
see its README). Each article is treated as one rule (`UDHR-1` … `UDHR-30`), so a query in any
language has a known right answer.

Protocols (one `run` each in the report):

* ``p1_article`` — the English translation (`eng`) is ingested as one policy whose 30 articles are 30
  rules. Every other complete translation is used as queries, one query per article (the article's
  whole text, its "Article N" title left out). The translations used as queries are never ingested.
  Ranking = raw vector similarity over the 30 rule vectors (the engine's FAISS index), no thresholds.
* ``p1_sentence`` — the harder variant: same index, the query is the *first sentence* of each
  article (at least 20 characters; the whole first paragraph where the script has no sentence
  punctuation). For short one-sentence articles the two variants coincide.
* ``p2_sentence`` — all complete translations are ingested as translations of the same 30 rules
  (one vector per rule and translation; translations keyed by their file key, so several
  orthographies of one language stay distinct). Query: the first sentence of each article in
  language X; right when the best-scoring *rule* (max over its translations) is the article's.
  The query sentence is part of X's own full-article text, which is in the index: this measures
  "a query in X lands on the right rule id in a multilingual index", not zero-shot transfer.
* ``p2_sentence_excl`` — the same, with X's own translation masked out of the index: the rule must
  be found through the *other* languages' texts.

Query and passage embeddings go through the engine's `CachedEmbedder` (SQLite, keyed by model, role
and text), so a repeated run embeds nothing. The policy category of the UDHR document is irrelevant
here (it is set to `misinformation` only because every policy must declare one).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tqdm import tqdm

log = logging.getLogger(__name__)

NS = "{http://www.unhchr.ch/udhr}"
N_ARTICLES = 30
PIVOT = "eng"
POLICY_ID = "udhr"
SENTENCE_MIN_CHARS = 20
EMBED_CHUNK = 64

#: ~40 translations in many scripts, for `--quick` (protocol 1, article and sentence queries).
QUICK_LANGS: tuple[str, ...] = (
    # Latin
    "fra", "spa", "deu_1996", "tur", "vie", "ind", "swh", "yor", "zul", "som", "hau_NG", "quy", "nav",
    # Cyrillic, Arabic
    "rus", "ukr", "kaz", "arb", "pes_1", "urd",
    # Indic
    "hin", "ben", "tam", "guj", "pan", "sin",
    # East and South-East Asia
    "cmn_hans", "jpn", "kor", "tha", "khm", "mya", "bod",
    # Ethiopic, Greek, Hebrew, Georgian, Armenian, Thaana, Cherokee
    "amh", "tir", "ell_monotonic", "heb", "kat", "hye", "div", "chr_cased",
)
#: The subset the test suite runs cold (article queries only): 12 × 30 = 360 texts, about 1-2 min.
CI_LANGS: tuple[str, ...] = (
    "fra", "rus", "arb", "hin", "cmn_hans", "jpn", "amh", "tha", "ell_monotonic", "kat", "swh", "nav",
)

RUN_DESCRIPTIONS = {
    "p1_article": "Protocol 1, article queries: English pivot ingested (30 rules); each other translation's "
                  "article text queries it; raw vector ranking over the 30 rules.",
    "p1_sentence": "Protocol 1, sentence queries: as p1_article, but the query is the first sentence of each "
                   "article (harder).",
    "p2_sentence": "Protocol 2: all translations ingested as translations of the same 30 rules (full article "
                   "texts); query = first sentence of each article in language X (X's own full text is in "
                   "the index); right when the best rule id is the article's.",
    "p2_sentence_excl": "Protocol 2 with the query language's own translation masked out of the index: the rule "
                        "must be reached through the other languages' texts.",
}
ALL_RUNS = tuple(RUN_DESCRIPTIONS)


# --------------------------------------------------------------------------- data


@dataclass
class Translation:
    key: str  # file key: udhr_<key>.xml
    iso639_3: str
    bcp47: str
    name: str
    region: str
    stage: int
    direction: str
    script: str
    paragraphs: list[list[str]]  # per article (index 0 = article 1)

    @property
    def articles(self) -> list[str]:
        return ["\n".join(ps) for ps in self.paragraphs]

    @property
    def sentences(self) -> list[str]:
        return [first_sentence(ps) for ps in self.paragraphs]

    def meta(self) -> dict:
        return {"iso639_3": self.iso639_3, "name": self.name, "bcp47": self.bcp47, "region": self.region or "Unknown",
                "script": self.script, "stage": self.stage, "direction": self.direction}


@dataclass
class UdhrCorpus:
    directory: Path
    translations: dict[str, Translation]  # complete ones, by key
    excluded: dict[str, str] = field(default_factory=dict)  # key -> reason
    files: int = 0


def udhr_dir(settings=None, override: str | Path | None = None) -> Path:
    """`override` (the `--udhr-dir` flag), else env `POLICYGRAPH_UDHR_DIR`, else `<shared_data>/udhr`."""
    if override:
        return Path(override)
    env = os.environ.get("POLICYGRAPH_UDHR_DIR")
    if env:
        return Path(env)
    if settings is None:
        from policygraph.settings import Settings

        settings = Settings()
    return Path(settings.shared_data) / "udhr"


def available(directory: Path) -> bool:
    return (directory / "index.xml").is_file() and any(directory.glob("udhr_*.xml"))


def load_index(directory: Path) -> dict[str, dict]:
    root = ET.parse(directory / "index.xml").getroot()
    out = {}
    for el in root.iter("udhr"):
        key = el.get("f")
        if key:
            out[key] = dict(el.attrib)
    return out


_WS = re.compile(r"\s+")
_ENUM = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|\(?[a-zA-Z][.)]|\(\d{1,2}\)|[-–•])\s+")
_SENT = re.compile(r"(?<=[.!?।॥።፧။։۔؟។])[\s፡]+|(?<=[。！？])")


def _clean(text: str) -> str:
    return _WS.sub(" ", text).strip()


def parse_translation(path: Path) -> tuple[dict[str, str], dict[int, list[str]]]:
    """Root attributes and paragraphs per article number (empty paragraphs dropped)."""
    root = ET.parse(path).getroot()
    arts: dict[int, list[str]] = {}
    for art in root.iter(NS + "article"):
        try:
            n = int(art.get("number", "0"))
        except ValueError:
            continue
        paras = []
        for p in art.iter(NS + "para"):
            t = _clean("".join(p.itertext()))
            t = _ENUM.sub("", t, count=1).strip()
            if t:
                paras.append(t)
        arts[n] = paras
    return dict(root.attrib), arts


def first_sentence(paragraphs: Sequence[str], min_chars: int = SENTENCE_MIN_CHARS) -> str:
    """The first sentence of the first paragraph (extended to at least `min_chars` characters)."""
    if not paragraphs:
        return ""
    parts = [s for s in _SENT.split(paragraphs[0]) if s and s.strip()]
    out = ""
    for s in parts:
        out = f"{out} {s}".strip() if out and not _is_cjk_boundary(out) else out + s.strip()
        if _weight(out) >= min_chars:
            break
    return out or paragraphs[0]


def _weight(text: str) -> int:
    """Length in characters, ideographs and kana counting double (they carry about a word each)."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" else 1 for ch in text)


def _is_cjk_boundary(text: str) -> bool:
    return text[-1:] in "。！？"


_STOP = {"LETTER", "SYLLABLE", "SIGN", "VOWEL", "CHARACTER", "CAPITAL", "SMALL", "DIGIT", "MARK", "CONSONANT",
         "LIGATURE", "FINAL", "INDEPENDENT", "DEPENDENT", "ABBREVIATION", "SUBJOINED", "MEDIAL", "TONE", "VOCALIC"}
_CJK = {"CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC"}
_IGNORE = {"MODIFIER", "COMBINING", "ZERO", "SPACING"}


def char_script(ch: str) -> str | None:
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return None
    words = name.split()
    if words[0] in _CJK:
        return "CJK"
    if words[0] in _IGNORE:
        return None
    if words[:2] == ["CANADIAN", "SYLLABICS"]:
        return "Canadian Syllabics"
    head = []
    for w in words:
        if w in _STOP:
            break
        head.append(w)
    if not head:
        return None
    return " ".join(head[:2] if head[0] in {"OL", "TAI", "NEW", "OLD", "MEETEI", "SYLOTI"} else head[:1]).title()


def dominant_script(texts: Iterable[str]) -> str:
    counts: Counter[str] = Counter()
    for t in texts:
        for ch in t:
            if ch.isalpha():
                s = char_script(ch)
                if s:
                    counts[s] += 1
    return counts.most_common(1)[0][0] if counts else "Unknown"


def load_udhr(directory: Path, keys: Iterable[str] | None = None, progress: bool = False) -> UdhrCorpus:
    """Parse index.xml and the translations; keep those with text in all 30 articles. `keys` limits
    the parse to those translations (the pivot is always added)."""
    index = load_index(directory)
    files = sorted(directory.glob("udhr_*.xml"))
    by_key = {f.name[len("udhr_"):-len(".xml")]: f for f in files}
    wanted = list(by_key) if keys is None else [k for k in dict.fromkeys([PIVOT, *keys])]
    corpus = UdhrCorpus(directory=directory, translations={}, files=len(files))
    it: Iterable[str] = wanted
    if progress:
        from tqdm import tqdm

        it = tqdm(wanted, desc="udhr · parse", unit="file", leave=False)
    for key in it:
        path = by_key.get(key)
        if path is None:
            corpus.excluded[key] = "no such translation file"
            continue
        attrs, arts = parse_translation(path)
        meta = index.get(key, {})
        missing = [n for n in range(1, N_ARTICLES + 1) if not arts.get(n)]
        if missing:
            head = ", ".join(map(str, missing[:5])) + ("…" if len(missing) > 5 else "")
            corpus.excluded[key] = f"no text in article(s) {head}"
            continue
        paragraphs = [arts[n] for n in range(1, N_ARTICLES + 1)]
        corpus.translations[key] = Translation(
            key=key,
            iso639_3=meta.get("iso639-3") or attrs.get("iso639-3", "und"),
            bcp47=meta.get("bcp47") or attrs.get("{http://www.w3.org/XML/1998/namespace}lang", ""),
            name=meta.get("n") or attrs.get("n", key),
            region=meta.get("region", "") or "Unknown",
            stage=int(meta.get("stage") or 0),
            direction=meta.get("dir", "ltr"),
            script=dominant_script(p for ps in paragraphs for p in ps),
            paragraphs=paragraphs,
        )
    return corpus


# --------------------------------------------------------------------------- documents


def _sha(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode())
        h.update(b"\x1f")
    return h.hexdigest()


def rule_id(n: int) -> str:
    return f"UDHR-{n}"


def udhr_document(translations: Sequence[Translation], pivot: str = PIVOT, lang_key=None):
    """One PolicyDocument: 30 sections with one rule each, text per translation. `lang_key` maps a
    translation to its language key in the document (default: the file key)."""
    from policygraph.models import PolicyDocument, RuleDoc, SectionDoc, SourceInfo
    from policygraph.taxonomy import Category

    lang_key = lang_key or (lambda t: t.key)
    pv = next(t for t in translations if t.key == pivot)
    plang = lang_key(pv)
    sections = []
    for n in range(1, N_ARTICLES + 1):
        texts = {lang_key(t): t.articles[n - 1] for t in translations}
        sections.append(SectionDoc(id=f"article-{n}", title=f"Article {n}", order=n, rules=[
            RuleDoc(id=rule_id(n), title=f"Article {n}", kind="requirement", severity="low",
                    category=Category.misinformation, text=texts, language=plang, section_id=f"article-{n}")]))
    sha = _sha(f"{lang_key(t)}={a}" for t in translations for a in t.articles)
    return PolicyDocument(
        id=POLICY_ID, title="Universal Declaration of Human Rights", category=Category.misinformation,
        language=plang, languages=sorted({lang_key(t) for t in translations}), sections=sections,
        source=SourceInfo(path=f"udhr/udhr_{pivot}.xml", sha256=sha, format="text"),
    )


# --------------------------------------------------------------------------- engines and embeddings


def eval_settings(settings, name: str):
    """Settings for a dedicated eval engine under <data_dir>/eval/<name>, so the user's corpus does not
    interfere; all eval engines share one embedding cache (<data_dir>/eval/cache unless configured)."""
    cache = settings.embedding_cache or (Path(settings.data_dir) / "eval" / "cache" / "embeddings.sqlite")
    return settings.model_copy(update={"data_dir": Path(settings.data_dir) / "eval" / name,
                                       "graph_backend": "networkx", "embedding_cache": cache})


def embed_texts(embedder, texts: Sequence[str], role: str, desc: str, progress: bool = True) -> np.ndarray:
    """Embed through the CachedEmbedder in chunks (cache hits are looked up per chunk), with a bar."""
    fn = embedder.embed_queries if role == "query" else embedder.embed_passages
    out = np.zeros((len(texts), embedder.dim), np.float32)
    bar = None
    if progress and texts:
        from tqdm import tqdm

        bar = tqdm(total=len(texts), desc=desc, unit="text", leave=False)
    for i in range(0, len(texts), EMBED_CHUNK):
        chunk = texts[i : i + EMBED_CHUNK]
        out[i : i + len(chunk)] = fn(list(chunk))
        if bar:
            bar.update(len(chunk))
    if bar:
        bar.close()
    return out


class _Phase:
    """Wall time and embedding-cache hits/misses of one phase."""

    def __init__(self, embedder, store: dict, name: str) -> None:
        self.embedder, self.store, self.name = embedder, store, name

    def __enter__(self):
        self.t = time.perf_counter()
        self.h, self.m = self.embedder.hits, self.embedder.misses
        return self

    def __exit__(self, *exc) -> None:
        secs = time.perf_counter() - self.t
        misses = self.embedder.misses - self.m
        self.store[self.name] = {"seconds": round(secs, 2), "cache_hits": self.embedder.hits - self.h,
                                 "embedded": misses,
                                 "texts_per_s": round(misses / secs, 2) if misses and secs > 0 else None}


# --------------------------------------------------------------------------- metrics


def rank_of_gold(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """1-based rank of the gold column in each row (ties count against the gold)."""
    g = scores[np.arange(len(gold)), gold]
    return (scores > g[:, None]).sum(axis=1) + (scores == g[:, None]).sum(axis=1)


def metrics_from_ranks(ranks: np.ndarray) -> dict:
    r = np.asarray(ranks, dtype=np.float64)
    return {"acc@1": round(float(np.mean(r == 1)), 4), "recall@5": round(float(np.mean(r <= 5)), 4),
            "mrr": round(float(np.mean(1.0 / r)), 4), "n": int(len(r))}


def summarise_run(name: str, ranks: dict[str, np.ndarray], top1: dict[str, np.ndarray],
                  langs: dict[str, dict], extra: dict | None = None, worst_n: int = 10) -> dict:
    """Per-language metrics, macro averages, per article, per script and region, the worst languages."""
    per_language = {}
    for key in sorted(ranks):
        m = metrics_from_ranks(ranks[key])
        m["wrong"] = [[int(i + 1), int(top1[key][i] + 1)] for i in np.nonzero(ranks[key] != 1)[0]]
        per_language[key] = m
    keys = list(per_language)
    macro = {k: round(float(np.mean([per_language[x][k] for x in keys])), 4) if keys else None
             for k in ("acc@1", "recall@5", "mrr")}
    all_ranks = np.stack([ranks[k] for k in keys]) if keys else np.zeros((0, N_ARTICLES))
    per_article = {str(n + 1): round(float(np.mean(all_ranks[:, n] == 1)), 4) for n in range(all_ranks.shape[1])} \
        if keys else {}

    def group(field_name: str) -> dict:
        g: dict[str, list[str]] = defaultdict(list)
        for k in keys:
            g[langs[k][field_name]].append(k)
        return {name_: {"n": len(ks), "acc@1": round(float(np.mean([per_language[k]["acc@1"] for k in ks])), 4),
                        "mrr": round(float(np.mean([per_language[k]["mrr"] for k in ks])), 4),
                        "min_acc@1": round(float(min(per_language[k]["acc@1"] for k in ks)), 4)}
                for name_, ks in sorted(g.items(), key=lambda kv: (-len(kv[1]), kv[0]))}

    worst = sorted(keys, key=lambda k: (per_language[k]["acc@1"], per_language[k]["mrr"], k))[:worst_n]
    return {
        "description": RUN_DESCRIPTIONS.get(name, name),
        "n_languages": len(keys),
        "n_queries": int(all_ranks.size),
        "macro": macro,
        "languages_at_least_0.9": sum(1 for k in keys if per_language[k]["acc@1"] >= 0.9),
        "languages_perfect": sum(1 for k in keys if per_language[k]["acc@1"] >= 1.0),
        "worst": [{"key": k, "name": langs[k]["name"], "iso639_3": langs[k]["iso639_3"], "script": langs[k]["script"],
                   "region": langs[k]["region"], "acc@1": per_language[k]["acc@1"], "mrr": per_language[k]["mrr"]}
                  for k in worst],
        "by_script": group("script"),
        "by_region": group("region"),
        "per_article_acc@1": per_article,
        "per_language": per_language,
        **(extra or {}),
    }


# --------------------------------------------------------------------------- the suite


def run_udhr(
    settings,
    *,
    directory: Path | None = None,
    languages: Sequence[str] | None = None,
    runs: Sequence[str] = ALL_RUNS,
    progress: bool = True,
    embedder=None,
) -> dict:
    """Run suite 1. `languages`: translation keys to use as queries (default: every complete one);
    `runs`: a subset of ALL_RUNS. Returns the report section (see docs/eval.md)."""
    from policygraph.engine import Engine
    from policygraph.graph_model import rule_node_id, vector_key

    t_all = time.perf_counter()
    directory = directory or udhr_dir(settings)
    if not available(directory):
        raise FileNotFoundError(f"UDHR data not found in {directory} (set --udhr-dir or POLICYGRAPH_UDHR_DIR)")
    unknown = [r for r in runs if r not in RUN_DESCRIPTIONS]
    if unknown:
        raise ValueError(f"unknown UDHR runs: {unknown}; choose from {list(RUN_DESCRIPTIONS)}")
    timings: dict[str, dict] = {}
    t = time.perf_counter()
    corpus = load_udhr(directory, keys=languages, progress=progress)
    timings["parse"] = {"seconds": round(time.perf_counter() - t, 2)}
    if PIVOT not in corpus.translations:
        raise ValueError(f"the pivot translation udhr_{PIVOT}.xml is missing or incomplete in {directory}")
    trans = corpus.translations
    queries_p1 = [k for k in trans if k != PIVOT]
    queries_p2 = list(trans)
    langs_meta = {k: t.meta() for k, t in trans.items()}

    # --- protocol 1: the English pivot, ingested into its own data dir
    t = time.perf_counter()
    pivot_engine = Engine(eval_settings(settings, "udhr-pivot"), embedder=embedder)
    emb = pivot_engine.embedder
    timings["engine_open"] = {"seconds": round(time.perf_counter() - t, 2)}
    with _Phase(emb, timings, "ingest_pivot"):
        pivot_engine.ingest_documents([udhr_document([trans[PIVOT]], lang_key=lambda _t: "en")])
    node_of = {rule_id(n): rule_node_id(rule_id(n), _version(pivot_engine)) for n in range(1, N_ARTICLES + 1)}
    col_of_key = {vector_key(node_of[rule_id(n)], "en"): n - 1 for n in range(1, N_ARTICLES + 1)}

    def p1_scores(qvecs: np.ndarray) -> np.ndarray:
        res = pivot_engine.index.search_many(qvecs, N_ARTICLES, set(col_of_key))
        scores = np.full((len(qvecs), N_ARTICLES), -np.inf, np.float32)
        for i, row in enumerate(res):
            for key, s in row:
                scores[i, col_of_key[key]] = s
        return scores

    gold_p1 = np.tile(np.arange(N_ARTICLES), len(queries_p1))
    out_runs: dict[str, dict] = {}
    sentence_vecs: dict[str, np.ndarray] = {}
    need_sent = any(r in runs for r in ("p1_sentence", "p2_sentence", "p2_sentence_excl"))

    for variant in ("article", "sentence"):
        name = f"p1_{variant}"
        if name not in runs and not (variant == "sentence" and need_sent):
            continue
        qkeys = queries_p1 if name in runs else []
        if variant == "sentence" and need_sent:
            qkeys = queries_p2 if any(r.startswith("p2") for r in runs) else queries_p1
        texts = [x for k in qkeys for x in (trans[k].articles if variant == "article" else trans[k].sentences)]
        with _Phase(emb, timings, f"embed_{variant}_queries"):
            vecs = embed_texts(emb, texts, "query", f"udhr · embed {variant} queries", progress)
        if variant == "sentence":
            sentence_vecs = {k: vecs[i * N_ARTICLES : (i + 1) * N_ARTICLES] for i, k in enumerate(qkeys)}
        if name not in runs:
            continue
        with _Phase(emb, timings, f"search_{name}"):
            vmat = vecs if variant == "article" else np.concatenate([sentence_vecs[k] for k in queries_p1]) \
                if queries_p1 else np.zeros((0, emb.dim), np.float32)
            scores = p1_scores(vmat)
            ranks = rank_of_gold(scores, gold_p1)
            best = scores.argmax(axis=1)
        extra = {}
        if variant == "sentence":
            same = sum(1 for k in queries_p1 for a, s in zip(trans[k].articles, trans[k].sentences, strict=True)
                       if a == s)
            extra["sentence_equals_article"] = round(same / max(1, len(queries_p1) * N_ARTICLES), 4)
        out_runs[name] = summarise_run(
            name, {k: ranks[i * N_ARTICLES : (i + 1) * N_ARTICLES] for i, k in enumerate(queries_p1)},
            {k: best[i * N_ARTICLES : (i + 1) * N_ARTICLES] for i, k in enumerate(queries_p1)}, langs_meta, extra)

    # --- protocol 2: every translation as a translation of the same rules
    if any(r.startswith("p2") for r in runs):
        t = time.perf_counter()
        all_engine = Engine(eval_settings(settings, "udhr-all"), embedder=emb.inner)
        timings["engine_open_all"] = {"seconds": round(time.perf_counter() - t, 2)}
        emb2 = all_engine.embedder
        bar = IngestBar(progress, "udhr · embed passages (all translations)")
        with _Phase(emb2, timings, "ingest_all"):
            all_engine.ingest_documents([udhr_document(list(trans.values()))], progress=bar)
        bar.close()
        with _Phase(emb2, timings, "search_p2"):
            ver = _version(all_engine)
            keys: list[str] = []
            rows: list[tuple[int, np.ndarray]] = []  # (rule's column group, vector)
            lang_cols: defaultdict[str, list[int]] = defaultdict(list)
            for n in range(1, N_ARTICLES + 1):
                for k in trans:
                    key = vector_key(rule_node_id(rule_id(n), ver), k)
                    v = all_engine.index.get_vector(key)
                    if v is None:
                        continue
                    lang_cols[k].append(len(keys))
                    keys.append(key)
                    rows.append((n - 1, v))
            mat = np.stack([v for _, v in rows]).astype(np.float32)
            rule_of_col = np.array([r for r, _ in rows])
            bounds = np.searchsorted(rule_of_col, np.arange(N_ARTICLES))  # columns are grouped by rule
            gold = np.arange(N_ARTICLES)
            for name, exclude in (("p2_sentence", False), ("p2_sentence_excl", True)):
                if name not in runs:
                    continue
                p2_ranks: dict[str, np.ndarray] = {}
                p2_best: dict[str, np.ndarray] = {}
                for k in queries_p2:
                    sims = sentence_vecs[k] @ mat.T
                    if exclude:
                        sims[:, lang_cols[k]] = -np.inf
                    per_rule = np.maximum.reduceat(sims, bounds, axis=1)
                    p2_ranks[k] = rank_of_gold(per_rule, gold)
                    p2_best[k] = per_rule.argmax(axis=1)
                out_runs[name] = summarise_run(name, p2_ranks, p2_best, langs_meta,
                                               {"index_vectors": int(len(keys)), "index_languages": len(trans)})
        all_engine.close()
    pivot_engine.close()

    total = time.perf_counter() - t_all
    embedded = sum(v.get("embedded", 0) for v in timings.values())
    hits = sum(v.get("cache_hits", 0) for v in timings.values())
    return {
        "directory": str(directory),
        "pivot": PIVOT,
        "translation_files": corpus.files,
        "parsed": len(trans) + len(corpus.excluded),
        "complete_translations": len(trans),
        "query_languages": len(queries_p1),
        "distinct_iso639_3": len({trans[k].iso639_3 for k in queries_p1}),
        "excluded": dict(sorted(corpus.excluded.items())),
        "embedder": emb.name,
        "languages": langs_meta,
        "runs": out_runs,
        "timings": {"total_s": round(total, 2), "texts_embedded": embedded, "cache_hits": hits,
                    "phases": timings},
    }


def _version(engine) -> int:
    return max(e.version for e in engine.catalog.by_rule_id[rule_id(1)])


class IngestBar:
    """Adapts the engine's progress callback to a tqdm bar."""

    def __init__(self, enabled: bool, desc: str) -> None:
        self.enabled, self.desc = enabled, desc
        self.bar: tqdm | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.desc, unit="text", leave=False)
        self.bar.n = done
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
