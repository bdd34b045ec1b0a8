#!/usr/bin/env bash
# partnerkb vs scikit-learn, cross-validated on the SAME folds.
#
#   benches/peers/run_cv.sh [extra `partnerkb evaluate` options, e.g. --folds 10 --seed 7]
#
# Environment:
#   PARTNERKB  partnerkb binary [default: target/release/partnerkb under the repo root]
#   PYTHON     Python with benches/peers/requirements.txt installed [default: python3]
#   OUT_JSON   if set, also write the numbers as JSON to this path
#
# Runs from the repo root: `partnerkb evaluate --export-folds FOLDS.csv --json`,
# then sklearn_cv.py on FOLDS.csv, and prints one Markdown table to stdout.
#
# Note: partnerkb's numbers are those of the configuration it picks (best
# macro-F1 of several learners/regularisations) on these same folds, with no
# nested CV; the sklearn rows are fixed configurations. OUT_JSON includes every
# partnerkb candidate ("candidates") for a like-for-like reading.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

partnerkb="${PARTNERKB:-target/release/partnerkb}"
python="${PYTHON:-python3}"

if [[ ! -x "$partnerkb" ]]; then
    echo "run_cv.sh: partnerkb binary not found or not executable: $partnerkb (set PARTNERKB)" >&2
    exit 1
fi
if ! "$python" -c 'import sklearn, numpy' 2>/dev/null; then
    echo "run_cv.sh: $python cannot import scikit-learn/numpy; run: $python -m pip install -r benches/peers/requirements.txt (or set PYTHON)" >&2
    exit 1
fi
if [[ -n "${OUT_JSON:-}" ]]; then
    # Resolve relative to where the caller ran us, not the repo root.
    case "$OUT_JSON" in /*) ;; *) OUT_JSON="$OLDPWD/$OUT_JSON" ;; esac
    export OUT_JSON
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/partnerkb-peers.XXXXXX")"
trap 'rm -rf "$work"' EXIT

folds="$work/folds.csv"
pkb_json="$work/partnerkb.json"

"$partnerkb" evaluate --export-folds "$folds" --json "$@" > "$pkb_json"

"$python" - "$pkb_json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
axes = d.get("axes")
if not axes or not all("macro_f1" in a.get("metrics", {}) and "accuracy" in a["metrics"] for a in axes):
    sys.exit("run_cv.sh: unexpected `partnerkb evaluate --json` output (no axes[].metrics.macro_f1/accuracy)")
EOF

"$python" "$here/sklearn_cv.py" --folds "$folds" --partnerkb-json "$pkb_json"
