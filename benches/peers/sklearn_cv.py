#!/usr/bin/env python3
"""scikit-learn peer baseline for `partnerkb evaluate`, on partnerkb's own folds.

Reads the fold assignment written by `partnerkb evaluate --export-folds FILE`
(CSV header `axis,id,fold,label`) and, per axis, fits the standard text
baseline on the training part of every fold only and predicts the held-out
part:

    TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2,
                    stop_words="english")
    + LogisticRegression(C=1.0, max_iter=1000)       (the baseline)
    + LinearSVC(C=1.0)                                (for reference)

Features mirror partnerkb's: partnerships use name + "\\n\\n" + description
plus one word per distinct partner sector ("sectorbusiness",
"sectorcivilsociety", ...); lessons use title + "\\n\\n" + text.

The folds and the labels are used exactly as given in the CSV. Metrics are
computed the way partnerkb computes them: on the pooled out-of-fold
predictions of all folds, macro-F1 averaged over the classes that occur in the
truth.

With --partnerkb-json (the output of `partnerkb evaluate --json`), prints one
Markdown table comparing both tools; the numbers also go to --out-json
(default: $OUT_JSON) when set.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import re
import sys
import warnings
from collections import OrderedDict, defaultdict

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

PARTNERSHIP_AXES = ("function", "mode")
LESSON_AXES = ("challenge",)

MODELS = OrderedDict(
    [
        (
            "logreg",
            {
                "label": "LogisticRegression",
                "make": lambda: LogisticRegression(C=1.0, max_iter=1000),
            },
        ),
        (
            "linearsvc",
            {
                "label": "LinearSVC",
                "make": lambda: LinearSVC(C=1.0, random_state=0),
            },
        ),
    ]
)


def make_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        ngram_range=(1, 2), sublinear_tf=True, min_df=2, stop_words="english"
    )


def sector_word(sector: str) -> str:
    """`civil_society` -> `sectorcivilsociety`: one token for the vectorizer."""
    return "sector" + re.sub(r"[^0-9a-z]", "", sector.lower())


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_texts(partnerships_path: str, lessons_path: str):
    """Texts and corpus labels, keyed by (kind, id)."""
    texts: dict[tuple[str, str], str] = {}
    corpus_labels: dict[tuple[str, str], str] = {}
    for p in read_jsonl(partnerships_path):
        sectors = sorted({x.get("sector", "") for x in p.get("partners") or [] if x.get("sector")})
        text = f"{p.get('name', '')}\n\n{p.get('description', '')}"
        if sectors:
            text += "\n\n" + " ".join(sector_word(s) for s in sectors)
        texts[("partnership", p["id"])] = text
        for axis in PARTNERSHIP_AXES:
            label = (p.get("labels") or {}).get(axis)
            if label:
                corpus_labels[(axis, p["id"])] = label
    for l in read_jsonl(lessons_path):
        texts[("lesson", l["id"])] = f"{l.get('title', '')}\n\n{l.get('text', '')}"
        if l.get("challenge"):
            corpus_labels[("challenge", l["id"])] = l["challenge"]
    return texts, corpus_labels


def read_folds(path: str):
    """{axis: [(id, fold, label), ...]} in file order."""
    by_axis: "OrderedDict[str, list[tuple[str, int, str]]]" = OrderedDict()
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        expected = ["axis", "id", "fold", "label"]
        if reader.fieldnames != expected:
            sys.exit(f"sklearn_cv: {path}: header {reader.fieldnames}, expected {expected}")
        for row in reader:
            by_axis.setdefault(row["axis"], []).append((row["id"], int(row["fold"]), row["label"]))
    if not by_axis:
        sys.exit(f"sklearn_cv: {path}: no folds")
    return by_axis


def kind_of(axis: str) -> str:
    if axis in PARTNERSHIP_AXES:
        return "partnership"
    if axis in LESSON_AXES:
        return "lesson"
    sys.exit(f"sklearn_cv: unknown axis {axis!r} in the folds file")


def cross_validate(axis: str, rows, texts, corpus_labels) -> dict:
    kind = kind_of(axis)
    ids = [r[0] for r in rows]
    if len(set(ids)) != len(ids):
        sys.exit(f"sklearn_cv: axis {axis}: duplicate ids in the folds file")
    missing = [i for i in ids if (kind, i) not in texts]
    if missing:
        sys.exit(f"sklearn_cv: axis {axis}: {len(missing)} ids not in the corpus, e.g. {missing[:3]}")
    disagree = [i for i, _, lab in rows if corpus_labels.get((axis, i), lab) != lab]
    if disagree:
        print(
            f"sklearn_cv: warning: axis {axis}: {len(disagree)} fold labels differ from the corpus "
            f"(using the folds file's), e.g. {disagree[:3]}",
            file=sys.stderr,
        )
    X = np.array([texts[(kind, i)] for i in ids], dtype=object)
    y = np.array([r[2] for r in rows], dtype=object)
    folds = np.array([r[1] for r in rows])
    classes = sorted(set(y))

    out = OrderedDict()
    for key, spec in MODELS.items():
        pred = np.empty(len(y), dtype=object)
        converged = True
        for fold in sorted(set(folds)):
            test = folds == fold
            train = ~test
            vec = make_vectorizer()
            Xtr = vec.fit_transform(X[train])
            model = spec["make"]()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                model.fit(Xtr, y[train])
            if any(issubclass(w.category, ConvergenceWarning) for w in caught):
                converged = False
            pred[test] = model.predict(vec.transform(X[test]))
        out[key] = {
            "model": spec["label"],
            # Same definition as partnerkb: pooled out-of-fold predictions,
            # macro average over the classes present in the truth.
            "macro_f1": float(f1_score(y, pred, labels=classes, average="macro", zero_division=0)),
            "accuracy": float(accuracy_score(y, pred)),
            "converged": converged,
        }
    return {"axis": axis, "n": len(y), "folds": len(set(folds)), "classes": classes, "sklearn": out}


def load_partnerkb(path: str | None) -> dict:
    if not path:
        return {}
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return {
        a["axis"]: {
            "macro_f1": float(a["metrics"]["macro_f1"]),
            "accuracy": float(a["metrics"]["accuracy"]),
            "n": a["metrics"].get("n"),
            "chosen": a.get("chosen"),
            "regularization": a.get("regularization"),
            # Every configuration partnerkb tried on these folds; the reported
            # metrics are those of the best one by macro-F1 on these same folds.
            "candidates": a.get("comparison"),
        }
        for a in data.get("axes", [])
    }


def fmt(x) -> str:
    return "—" if x is None else f"{x:.3f}"


def markdown(results, pkb) -> str:
    lines = [
        "| axis | partnerkb macro-F1 | sklearn macro-F1 | partnerkb accuracy | sklearn accuracy |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        p = pkb.get(r["axis"], {})
        for i, (key, s) in enumerate(r["sklearn"].items()):
            name = f"{r['axis']} ({s['model']}{'' if i == 0 else ', reference'})"
            if not s["converged"]:
                name += " †"
            lines.append(
                f"| {name} | {fmt(p.get('macro_f1'))} | {fmt(s['macro_f1'])} "
                f"| {fmt(p.get('accuracy'))} | {fmt(s['accuracy'])} |"
            )
    return "\n".join(lines) + "\n"


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--folds", required=True, help="fold CSV from `partnerkb evaluate --export-folds`")
    ap.add_argument("--partnerships", default=os.path.join(root, "corpus", "partnerships.jsonl"))
    ap.add_argument("--lessons", default=os.path.join(root, "corpus", "lessons.jsonl"))
    ap.add_argument("--partnerkb-json", help="output of `partnerkb evaluate --json`, for the side-by-side table")
    ap.add_argument("--out-json", default=os.environ.get("OUT_JSON") or None,
                    help="write the numbers here as JSON [default: $OUT_JSON]")
    args = ap.parse_args()

    texts, corpus_labels = load_texts(args.partnerships, args.lessons)
    folds = read_folds(args.folds)
    pkb = load_partnerkb(args.partnerkb_json)
    if pkb and set(pkb) != set(folds):
        print(f"sklearn_cv: warning: partnerkb axes {sorted(pkb)} != fold axes {sorted(folds)}", file=sys.stderr)
    results = [cross_validate(axis, rows, texts, corpus_labels) for axis, rows in folds.items()]
    for r in results:
        n = pkb.get(r["axis"], {}).get("n")
        if n is not None and n != r["n"]:
            print(f"sklearn_cv: warning: axis {r['axis']}: partnerkb n={n}, folds n={r['n']}", file=sys.stderr)

    sys.stdout.write(markdown(results, pkb))
    if any(not s["converged"] for r in results for s in r["sklearn"].values()):
        print("\n† the solver reported a ConvergenceWarning in at least one fold")

    if args.out_json:
        with open(args.folds, "rb") as f:
            folds_sha256 = hashlib.sha256(f.read()).hexdigest()
        doc = {
            "folds_csv_sha256": folds_sha256,
            "versions": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
            },
            "sklearn_config": {
                "vectorizer": "TfidfVectorizer(ngram_range=(1,2), sublinear_tf=True, min_df=2, stop_words='english')",
                "logreg": "LogisticRegression(C=1.0, max_iter=1000)",
                "linearsvc": "LinearSVC(C=1.0, random_state=0)",
                "metrics": "pooled out-of-fold predictions; macro-F1 over classes present in the truth",
            },
            "axes": [
                {
                    "axis": r["axis"],
                    "n": r["n"],
                    "folds": r["folds"],
                    "classes": r["classes"],
                    "partnerkb": pkb.get(r["axis"]),
                    "sklearn_logreg": r["sklearn"]["logreg"],
                    "sklearn_linearsvc": r["sklearn"]["linearsvc"],
                }
                for r in results
            ],
        }
        os.makedirs(os.path.dirname(os.path.abspath(args.out_json)), exist_ok=True)
        with open(args.out_json, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
