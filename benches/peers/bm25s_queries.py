#!/usr/bin/env python3
"""Peer baseline for partnerkb's query sets: bm25s over the same passages.

Reads a passages file (JSONL, one {"id", "text"} object per searchable
passage or lesson; extra keys are ignored) and the query sets in
tests/data/queries/ (plain.jsonl, paraphrased.jsonl), indexes the passages
with the `bm25s` package (English stopwords; the English Snowball stemmer
from PyStemmer when it is installed, otherwise no stemming, and the output
says which), and prints hit@3 and MRR@10 per query set as a markdown table.

A hit is correct when its text contains the query's "answer" phrase,
compared case-insensitively after collapsing runs of whitespace to one
space (tests/data/queries/README.md). Only passages with a positive BM25
score count as retrieved. rank = position of the first correct hit among
the top 10; hit@3 = share of queries with rank <= 3; MRR@10 = mean of
1/rank (0 when no correct hit in the top 10).

Usage:
  python3 benches/peers/passages.py --out /tmp/passages.jsonl
  python3 benches/peers/bm25s_queries.py --passages /tmp/passages.jsonl [--json]

Without --passages the passages are built in-process by passages.py from
the paper (../shared/mission/msp-paper.txt) and corpus/lessons.jsonl.
--json prints one JSON object instead of the table: the settings, the
scores per set and per target, and for each query its rank (null if not
in the top 10) and the ids of its top 10 hits.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SETS = ("plain", "paraphrased")
K = 10


def norm(s):
    return " ".join(s.casefold().split())


def load_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_passages(path):
    if path is None:
        sys.path.insert(0, HERE)
        import passages  # noqa: E402  (benches/peers/passages.py)

        rows = [
            {"id": p["id"], "text": f"{p['title']}\n{p['text']}"}
            for p in passages.read_document(passages.DEFAULT_PAPER)
        ] + [
            {"id": l["id"], "text": f"{l['title']}\n{l['text']}"}
            for l in passages.read_lessons(passages.DEFAULT_LESSONS)
        ]
        return rows, "built by passages.py"
    return load_jsonl(path), path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--passages", help="JSONL of {id, text} (default: build with passages.py)")
    ap.add_argument("--queries", default=os.path.join(ROOT, "tests", "data", "queries"),
                    help="directory holding plain.jsonl and paraphrased.jsonl")
    ap.add_argument("--json", action="store_true", help="print per-query ranks as JSON")
    args = ap.parse_args(argv)

    try:
        import bm25s
    except ImportError:
        sys.exit("bm25s_queries.py: bm25s is not installed; run: "
                 "python3 -m pip install -r benches/peers/requirements.txt")

    try:
        import Stemmer

        stemmer = Stemmer.Stemmer("english")
        from importlib.metadata import version

        stemmer_name = f"PyStemmer {version('PyStemmer')} english (Snowball)"
    except ImportError:
        stemmer = None
        stemmer_name = "none (PyStemmer not installed)"

    passages, source = load_passages(args.passages)
    ids = [p["id"] for p in passages]
    texts = [p["text"] for p in passages]
    normed = [norm(t) for t in texts]

    corpus_tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)
    retriever = bm25s.BM25()  # method "lucene", k1 1.5, b 0.75
    retriever.index(corpus_tokens, show_progress=False)
    k = min(K, len(passages))

    report = {
        "bm25s": bm25s.__version__,
        "stemmer": stemmer_name,
        "stopwords": "bm25s English list",
        "params": {"method": "lucene", "k1": 1.5, "b": 0.75},
        "passages": {"source": source, "count": len(passages)},
        "sets": {},
    }
    warnings = []
    for name in SETS:
        path = os.path.join(args.queries, f"{name}.jsonl")
        queries = load_jsonl(path)
        q_tokens = bm25s.tokenize([q["query"] for q in queries], stopwords="en",
                                  stemmer=stemmer, return_ids=False, show_progress=False)
        docs, scores = retriever.retrieve(q_tokens, k=k, show_progress=False, n_threads=1)
        per_query = []
        for qi, q in enumerate(queries):
            answer = norm(q["answer"])
            holders = [i for i, t in enumerate(normed) if answer in t]
            if len(holders) != 1:
                warnings.append(f"{name} {q['id']}: answer occurs in {len(holders)} passages")
            top = [int(d) for d, s in zip(docs[qi], scores[qi]) if s > 0]
            rank = next((r + 1 for r, d in enumerate(top) if answer in normed[d]), None)
            per_query.append({
                "id": q["id"],
                "target": q.get("target"),
                "rank": rank,
                "top": [ids[d] for d in top],
            })
        report["sets"][name] = {"file": path, **summarise(per_query),
                                "by_target": {t: summarise([r for r in per_query if r["target"] == t])
                                              for t in ("paper", "lesson")},
                                "queries": per_query}
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)

    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
        return
    print(f"bm25s {report['bm25s']} (lucene, k1 1.5, b 0.75), English stopwords, "
          f"stemmer: {stemmer_name}; {len(passages)} passages ({source})\n")
    print("| query set | target | n | hit@3 | MRR@10 |")
    print("|---|---|---:|---:|---:|")
    for name in SETS:
        s = report["sets"][name]
        print(f"| {name} | all | {s['n']} | {s['hit@3']:.3f} | {s['mrr@10']:.3f} |")
        for t, st in s["by_target"].items():
            if st["n"]:
                print(f"| {name} | {t} | {st['n']} | {st['hit@3']:.3f} | {st['mrr@10']:.3f} |")


def summarise(rows):
    n = len(rows)
    if n == 0:
        return {"n": 0, "hit@3": 0.0, "mrr@10": 0.0}
    hit3 = sum(1 for r in rows if r["rank"] is not None and r["rank"] <= 3) / n
    mrr = sum(1.0 / r["rank"] for r in rows if r["rank"] is not None) / n
    return {"n": n, "hit@3": round(hit3, 4), "mrr@10": round(mrr, 4)}


if __name__ == "__main__":
    main()
