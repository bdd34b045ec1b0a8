#!/usr/bin/env python3
"""Helpers for benches/peers/scale.sh: the peers' untimed training, their
timed runs, the measuring harness and the Markdown table.

    scale_peers.py train    --corpus corpus/partnerships.jsonl --model-json models/default.json --out DIR
    scale_peers.py sklearn  --model DIR/sklearn.pkl --input registry.csv --output out.csv [--jobs 2 --backend multiprocessing]
    scale_peers.py fasttext --model DIR/fasttext.bin --input registry.csv --output out.csv
    scale_peers.py bm25     --input registry.csv --queries q.txt --repeat 10 --output hits.jsonl
    scale_peers.py measure  --results R.jsonl --row ID --rep I [--sample-tree] -- CMD ARGS...
    scale_peers.py table    --results R.jsonl --n N --meta meta.json

`train` is never timed. `sklearn`, `fasttext` and `bm25` are the TIMED
processes: `measure` runs them (and partnerkb) under `/usr/bin/time -v`, so
their whole-process wall time includes interpreter start-up, imports and
model loading. Each timed subcommand imports only what it needs.

Text of a registry record, for every peer: Partnership Name + "\\n\\n" +
Description -- the same as the training text (name + "\\n\\n" + description of
corpus/partnerships.jsonl), label = labels.mode.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import statistics
import subprocess
import sys
import time

AXIS = "mode"
CHUNK = 2000

# fastText hyper-parameters (see `train`). The default bucket=2,000,000 x dim=100
# would allocate an 800 MB input matrix for a 259-example corpus, dominating
# fastText's memory for no benefit; these keep the model about 40 MB.
FASTTEXT_PARAMS = dict(
    lr=0.5, epoch=50, wordNgrams=2, dim=50, bucket=200_000, minCount=1, loss="softmax", thread=1, seed=7
)

_TOKEN = re.compile(r"\w+")


def die(msg: str) -> None:
    print(f"scale_peers.py: {msg}", file=sys.stderr)
    sys.exit(1)


def fasttext_line(text: str) -> str:
    """fastText splits on whitespace only: lowercase and keep word tokens."""
    return " ".join(_TOKEN.findall(text.lower()))


# --------------------------------------------------------------------------- #
# Registry reading (streamed, in chunks)
# --------------------------------------------------------------------------- #


def registry_chunks(path: str, size: int = CHUNK):
    """Yield lists of `name\\n\\ndescription` texts, `size` records at a time."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            die(f"{path}: empty file")
        try:
            i_name = header.index("Partnership Name")
            i_desc = header.index("Description")
        except ValueError:
            die(f"{path}: no 'Partnership Name'/'Description' column in header {header}")
        chunk = []
        for row in reader:
            chunk.append(row[i_name] + "\n\n" + row[i_desc])
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


# --------------------------------------------------------------------------- #
# train (untimed)
# --------------------------------------------------------------------------- #


def partnerkb_vocab_size(model_json: str) -> int:
    with open(model_json, encoding="utf-8") as f:
        model = json.load(f)
    sizes = [
        len(fz["vocabulary"]["terms"]) for fz in model.get("featurizers", []) if fz.get("kind") == "partnership"
    ]
    if len(sizes) != 1:
        die(f"{model_json}: expected exactly one featurizer with kind == 'partnership', found {len(sizes)}")
    return sizes[0]


def cmd_train(args) -> int:
    import pickle

    import fasttext
    import sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts, labels = [], []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            p = json.loads(line)
            label = (p.get("labels") or {}).get(AXIS)
            if not label:
                continue
            texts.append(p["name"] + "\n\n" + p["description"])
            labels.append(label)
    if not texts:
        die(f"{args.corpus}: no partnership with labels.{AXIS}")

    vocab = partnerkb_vocab_size(args.model_json)
    os.makedirs(args.out, exist_ok=True)

    pipe = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2, max_features=vocab),
        LogisticRegression(C=1.0, max_iter=1000),
    )
    pipe.fit(texts, labels)
    with open(os.path.join(args.out, "sklearn.pkl"), "wb") as f:
        pickle.dump(pipe, f, protocol=pickle.HIGHEST_PROTOCOL)

    train_txt = os.path.join(args.out, "fasttext-train.txt")
    with open(train_txt, "w", encoding="utf-8") as f:
        for text, label in zip(texts, labels):
            f.write(f"__label__{label} {fasttext_line(text)}\n")
    ft = fasttext.train_supervised(input=train_txt, verbose=0, **FASTTEXT_PARAMS)
    ft.save_model(os.path.join(args.out, "fasttext.bin"))

    info = {
        "examples": len(texts),
        "classes": sorted(set(labels)),
        "partnerkb_vocab": vocab,
        "sklearn_vocab": len(pipe[0].vocabulary_),
        "sklearn": sklearn.__version__,
        "fasttext_params": FASTTEXT_PARAMS,
        "fasttext_words": len(ft.words),
    }
    with open(os.path.join(args.out, "train.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps(info), file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- #
# Timed peers
# --------------------------------------------------------------------------- #


def _sklearn_chunk(model, texts):
    """transform + predict_proba on one chunk: (best class index, its probability)."""
    proba = model.predict_proba(texts)
    best = proba.argmax(axis=1)
    return best, proba[range(len(best)), best]


def cmd_sklearn(args) -> int:
    import pickle

    with open(args.model, "rb") as f:
        model = pickle.load(f)
    classes = model.classes_

    chunks = registry_chunks(args.input, args.chunk)
    if args.jobs > 1:
        from joblib import Parallel, delayed

        # At most pre_dispatch chunks are read ahead; results come back in order.
        # loky (joblib's default): fresh worker processes, each importing
        # scikit-learn. multiprocessing: forked workers that inherit the
        # imported modules (copy-on-write), results gathered in a list.
        results = Parallel(
            n_jobs=args.jobs,
            backend=args.backend,
            return_as="generator" if args.backend == "loky" else "list",
            pre_dispatch="2*n_jobs",
        )(delayed(_sklearn_chunk)(model, texts) for texts in chunks)
    else:
        results = (_sklearn_chunk(model, texts) for texts in chunks)

    n = 0
    with open(args.output, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["row", AXIS, f"{AXIS}_probability"])
        for best, prob in results:
            for b, p in zip(best, prob):
                n += 1
                w.writerow([n, classes[b], f"{p:.4f}"])
    print(f"sklearn: {n} records", file=sys.stderr)
    return 0


def cmd_fasttext(args) -> int:
    import fasttext

    fasttext.FastText.eprint = lambda *_: None  # silence load_model's API-change warning
    model = fasttext.load_model(args.model)
    prefix = "__label__"
    n = 0
    with open(args.output, "w", newline="", encoding="utf-8") as out:
        w = csv.writer(out)
        w.writerow(["row", AXIS, f"{AXIS}_probability"])
        for texts in registry_chunks(args.input, args.chunk):
            lines = [fasttext_line(t) for t in texts]
            # The C++ binding directly: FastText.predict in fasttext-wheel 0.9.2
            # fails under NumPy 2 (np.array(..., copy=False)).
            labels, probs = model.f.multilinePredict(lines, 1, 0.0, "strict")
            for lab, pr in zip(labels, probs):
                n += 1
                w.writerow([n, lab[0][len(prefix):] if lab else "", f"{float(pr[0]) if len(pr) else 0.0:.4f}"])
    print(f"fasttext: {n} records", file=sys.stderr)
    return 0


def cmd_bm25(args) -> int:
    import bm25s

    t0 = time.perf_counter()
    texts = [t for chunk in registry_chunks(args.input, args.chunk) for t in chunk]
    corpus_tokens = bm25s.tokenize(texts, stopwords="en", show_progress=False)
    retriever = bm25s.BM25()
    retriever.index(corpus_tokens, show_progress=False)
    del corpus_tokens
    t1 = time.perf_counter()

    with open(args.queries, encoding="utf-8") as f:
        queries = [q.strip() for q in f if q.strip()]
    k = min(args.k, len(texts))
    nq = 0
    with open(args.output, "w", encoding="utf-8") as out:
        for _ in range(args.repeat):
            for q in queries:
                # One query at a time, like one `partnerkb search` call.
                q_tokens = bm25s.tokenize([q], stopwords="en", show_progress=False)
                docs, scores = retriever.retrieve(q_tokens, k=k, show_progress=False)
                out.write(
                    json.dumps({"query": q, "hits": docs[0].tolist(), "scores": [round(float(s), 4) for s in scores[0]]})
                    + "\n"
                )
                nq += 1
    t2 = time.perf_counter()
    if args.phase_report:
        with open(args.phase_report, "w") as f:
            json.dump({"index_s": t1 - t0, "queries_s": t2 - t1, "queries": nq, "docs": len(texts)}, f)
    print(f"bm25s: {len(texts)} docs, {nq} queries", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- #
# measure: run one command under /usr/bin/time -v
# --------------------------------------------------------------------------- #


class TreeSampler:
    """Peak of the summed RSS (and PSS) of every process below `root`, sampled.

    `/usr/bin/time -v` reports the largest single process; for a command with
    worker processes the total is what counts. Scans /proc every `interval`
    seconds (short peaks between two samples can be missed).
    """

    def __init__(self, root: int, interval: float = 0.02):
        import threading

        self.root, self.interval = root, interval
        self.peak_rss_kb = self.peak_pss_kb = self.max_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        self._thread.start()

    def _descendants(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
            children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.root]
        while todo:
            for c in children.get(todo.pop(), []):
                out.append(c)
                todo.append(c)
        return out

    def _sample(self) -> None:
        rss = pss = 0
        pids = self._descendants()
        for pid in pids:
            try:
                with open(f"/proc/{pid}/statm") as f:
                    rss += int(f.read().split()[1]) * self._page_kb
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    for line in f:
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1])
                            break
            except (OSError, ValueError, IndexError):
                continue
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.max_procs = max(self.max_procs, len(pids))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cmd_measure(args) -> int:
    cmd = args.cmd
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if not cmd:
        die("measure: no command")
    time_out = args.results + f".time.{os.getpid()}"
    stdout = open(args.stdout, "wb") if args.stdout else subprocess.DEVNULL
    t0 = time.perf_counter()
    proc = subprocess.Popen([args.time_bin, "-v", "-o", time_out, *cmd], stdout=stdout)
    sampler = TreeSampler(proc.pid) if args.sample_tree else None
    proc.wait()
    wall = time.perf_counter() - t0
    if sampler:
        sampler.stop()
    if args.stdout:
        stdout.close()
    try:
        with open(time_out, encoding="utf-8", errors="replace") as f:
            report = f.read()
    finally:
        if os.path.exists(time_out):
            os.remove(time_out)
    if proc.returncode != 0:
        die(f"measure: `{' '.join(cmd)}` exited with status {proc.returncode}\n{report}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", report)
    if not m:
        die(f"measure: no 'Maximum resident set size' in {args.time_bin} -v output:\n{report}")
    rec = {"row": args.row, "rep": args.rep, "wall_s": wall, "rss_kb": int(m.group(1)), "rss_source": "time"}
    cpu = re.search(r"Percent of CPU this job got: (\d+)%", report)
    if cpu:
        rec["cpu_pct"] = int(cpu.group(1))
    user = re.search(r"User time \(seconds\): ([0-9.]+)", report)
    system = re.search(r"System time \(seconds\): ([0-9.]+)", report)
    if user and system:
        rec["cpu_s"] = float(user.group(1)) + float(system.group(1))
    if sampler:
        rec["rss_kb_single"] = rec["rss_kb"]
        rec["tree_rss_kb"] = sampler.peak_rss_kb
        rec["tree_pss_kb"] = sampler.peak_pss_kb
        rec["tree_procs"] = sampler.max_procs
        if sampler.max_procs > 1:
            # Summed RSS would count copy-on-write pages shared by forked
            # workers once per process; PSS splits shared pages between them.
            rec["rss_kb"] = max(rec["rss_kb"], sampler.peak_pss_kb)
            rec["rss_source"] = (
                f"sampled peak of the PSS summed over {sampler.max_procs} processes; "
                f"largest single process {rec['rss_kb_single'] / 1024:,.0f} MiB"
            )
    if args.phase_report and os.path.exists(args.phase_report):
        with open(args.phase_report) as f:
            rec["phases"] = json.load(f)
    with open(args.results, "a") as f:
        f.write(json.dumps(rec) + "\n")
    extra = f" (tree: {sampler.max_procs} procs, PSS {sampler.peak_pss_kb / 1024:.0f} MiB)" if sampler else ""
    print(
        f"  {args.row} #{args.rep}: {wall:.2f} s, {rec['rss_kb'] / 1024:.0f} MiB{extra}, CPU {rec.get('cpu_pct', '?')}%",
        file=sys.stderr,
    )
    return 0


# --------------------------------------------------------------------------- #
# table
# --------------------------------------------------------------------------- #

# (row id, tool, timed work, row id of its partnerkb baseline or None)
ROWS = [
    ("pkb_classify", "**partnerkb** `classify --input`", "classify every record: function + mode, probabilities, evidence; CSV out", "pkb_classify"),
    ("sk_1", "scikit-learn TF-IDF + LogisticRegression", "load pickle; stream CSV in chunks; transform + predict_proba (mode); CSV out; 1 process", "pkb_classify"),
    ("sk_par", "scikit-learn TF-IDF + LogisticRegression", "same, chunks over {jobs} joblib workers (backend {backend})", "pkb_classify"),
    ("ft", "fastText supervised", "load model; predict one line per record (mode); CSV out; 1 thread", "pkb_classify"),
    ("pkb_ingest", "partnerkb `ingest --no-classify`", "index every record into a fresh index", None),
    ("pkb_search", "partnerkb `search --json` x{nq}", "{nq} searches, one process each, top 10", None),
    ("pkb_ingest_search", "**partnerkb** ingest + {nq} searches", "sum of the two rows above (RSS: the larger)", "pkb_ingest_search"),
    ("bm25", "bm25s (BM25, stopwords=en)", "one process: tokenize + index every record, then {nq} queries one at a time, top 10", "pkb_ingest_search"),
]


def load_results(path: str) -> dict[str, list[dict]]:
    by_row: dict[str, list[dict]] = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                by_row.setdefault(r["row"], []).append(r)
    # Derived row: partnerkb ingest + searches, per repetition.
    ing = {r["rep"]: r for r in by_row.get("pkb_ingest", [])}
    sea = {r["rep"]: r for r in by_row.get("pkb_search", [])}
    by_row["pkb_ingest_search"] = [
        {
            "rep": k,
            "wall_s": ing[k]["wall_s"] + sea[k]["wall_s"],
            "cpu_s": ing[k].get("cpu_s", 0.0) + sea[k].get("cpu_s", 0.0),
            "rss_kb": max(ing[k]["rss_kb"], sea[k]["rss_kb"]),
        }
        for k in sorted(set(ing) & set(sea))
    ]
    return by_row


def summarise(runs: list[dict]) -> dict | None:
    if not runs:
        return None
    # Best (lowest) wall and CPU time of the repetitions: other work on the
    # machine only ever adds time. RSS barely varies: median.
    return {
        "wall_s": min(r["wall_s"] for r in runs),
        "wall_s_median": statistics.median(r["wall_s"] for r in runs),
        "cpu_s": min(r.get("cpu_s", float("nan")) for r in runs),
        "rss_kb": statistics.median(r["rss_kb"] for r in runs),
        "reps": len(runs),
        "rss_source": runs[0].get("rss_source", "time"),
        "phases": [r["phases"] for r in runs if "phases" in r],
    }


def cmd_table(args) -> int:
    with open(args.meta) as f:
        meta = json.load(f)
    by_row = load_results(args.results)
    n = args.n
    nq = meta.get("queries", 100)
    summary = {rid: summarise(by_row.get(rid, [])) for rid, *_ in ROWS}

    def ratio(x, base):
        return f"{x / base:.2f}x" if base else "n/a"

    lines = [
        "| Tool | Timed work (whole process) | Wall (s) | CPU (s) | Peak RSS (MiB) | Records/s | Wall vs partnerkb | RSS vs partnerkb |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for rid, tool, work, base in ROWS:
        s = summary[rid]
        if s is None:
            continue
        tool = tool.format(nq=nq, jobs=meta.get("jobs"), backend=meta.get("sk_backend"))
        work = work.format(nq=nq, jobs=meta.get("jobs"), backend=meta.get("sk_backend"))
        if s["rss_source"] != "time":
            work += f" [memory: {s['rss_source']}]"
        if rid == "pkb_search":
            rate = f"{nq / s['wall_s']:,.0f} queries/s"
        else:
            rate = f"{n / s['wall_s']:,.0f}"
        b = summary.get(base) if base else None
        if base is None or b is None:
            wr = rr = "—"
        elif base == rid:
            wr = rr = "1.00x (baseline)"
        else:
            wr, rr = ratio(s["wall_s"], b["wall_s"]), ratio(s["rss_kb"], b["rss_kb"])
        lines.append(
            f"| {tool} | {work} | {s['wall_s']:.2f} | {s['cpu_s']:.2f} | {s['rss_kb'] / 1024:,.0f} | {rate} | {wr} | {rr} |"
        )
    table = "\n".join(lines)
    print(table)

    notes = [
        "",
        f"N = {n:,} records ({meta.get('registry_source')}); best wall/CPU time and median RSS of {meta.get('repeats')} run(s) per row; "
        f"machine: {meta.get('cpus')} CPUs, {meta.get('machine')}, load average {meta.get('load_before')} before the runs"
        + (
            f", each run started once the CPUs were >= 90% idle (waited up to {meta['wait_idle_s']} s; "
            f"{meta.get('busy_runs', 0)} run(s) started busy). "
            if meta.get("wait_idle_s")
            else ". "
        )
        +
        "Wall = whole process (start-up, imports, model load, I/O); CPU = user + system time of the process "
        "and its children; Peak RSS = `/usr/bin/time -v` \"Maximum resident set size\". Ratios: peer / partnerkb (above 1 = slower / more memory); "
        "classifiers vs `partnerkb classify`, BM25 vs partnerkb ingest + searches.",
        f"Untimed training on corpus/partnerships.jsonl ({meta.get('train', {}).get('examples')} records, "
        f"label = labels.mode): TF-IDF max_features = partnerkb's vocabulary ({meta.get('train', {}).get('partnerkb_vocab')} terms); "
        f"fastText {json.dumps(meta.get('train', {}).get('fasttext_params'))}. "
        "The peers predict the mode axis only; partnerkb predicts function and mode and extracts evidence terms"
        + (
            " (mode agreement with partnerkb on this registry: "
            + ", ".join(f"{k} {v:.1%}" for k, v in meta["mode_agreement"].items())
            + ")."
            if meta.get("mode_agreement")
            else "."
        ),
        "Memory of a multi-process row: peak of the PSS summed over the process tree, sampled every 20 ms "
        "(`/usr/bin/time -v` reports only the largest single process).",
    ]
    bm = summary.get("bm25")
    if bm and bm["phases"]:
        idx = min(p["index_s"] for p in bm["phases"])
        qs = min(p["queries_s"] for p in bm["phases"])
        notes.append(
            f"bm25s in-process split (excludes Python start-up and imports): index {idx:.2f} s, "
            f"{nq} queries {qs:.3f} s ({nq / qs:,.0f} queries/s)."
        )
    print("\n".join(notes), file=sys.stderr if args.notes_to_stderr else sys.stdout)

    if args.out_json:
        with open(args.out_json, "w") as f:
            json.dump({"n": n, "meta": meta, "rows": summary, "runs": by_row, "table": table}, f, indent=1)
    return 0


# --------------------------------------------------------------------------- #


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("train", help="untimed: train the scikit-learn and fastText peers")
    p.add_argument("--corpus", required=True)
    p.add_argument("--model-json", required=True, help="partnerkb model (for the vocabulary size)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("sklearn", help="timed: classify a registry with the pickled pipeline")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--backend", choices=("loky", "multiprocessing"), default="loky", help="joblib backend for --jobs > 1")
    p.add_argument("--chunk", type=int, default=CHUNK)
    p.set_defaults(func=cmd_sklearn)

    p = sub.add_parser("fasttext", help="timed: classify a registry with fastText")
    p.add_argument("--model", required=True)
    p.add_argument("--input", required=True)
    p.add_argument("--output", required=True)
    p.add_argument("--chunk", type=int, default=CHUNK)
    p.set_defaults(func=cmd_fasttext)

    p = sub.add_parser("bm25", help="timed: index a registry with bm25s and run queries")
    p.add_argument("--input", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--output", required=True)
    p.add_argument("--chunk", type=int, default=CHUNK)
    p.add_argument("--phase-report")
    p.set_defaults(func=cmd_bm25)

    p = sub.add_parser("measure", help="run CMD under /usr/bin/time -v and append a result line")
    p.add_argument("--results", required=True)
    p.add_argument("--row", required=True)
    p.add_argument("--rep", type=int, default=1)
    p.add_argument("--time-bin", default="/usr/bin/time")
    p.add_argument("--stdout", help="send CMD's stdout here [default: /dev/null]")
    p.add_argument("--sample-tree", action="store_true", help="also sample the summed RSS of CMD's process tree")
    p.add_argument("--phase-report", help="file CMD writes with in-process phase timings")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_measure)

    p = sub.add_parser("table", help="print the Markdown table")
    p.add_argument("--results", required=True)
    p.add_argument("--n", type=int, required=True)
    p.add_argument("--meta", required=True)
    p.add_argument("--out-json")
    p.add_argument("--notes-to-stderr", action="store_true")
    p.set_defaults(func=cmd_table)

    args = ap.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
