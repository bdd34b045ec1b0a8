#!/usr/bin/env bash
# partnerkb vs scikit-learn, fastText and bm25s on the SAME generated registry:
# whole-process wall time, peak RSS and records/s, as one Markdown table.
#
#   benches/peers/scale.sh N
#
# Environment:
#   PARTNERKB  partnerkb binary [default: target/release/partnerkb under the repo
#              root; a relative path is taken from the directory you run from].
#              It is copied once into the work directory so that a rebuild during
#              the run cannot mix two binaries.
#   PYTHON     Python with benches/peers/requirements-scale.txt installed [default: python3]
#   REPEATS    timed runs per row; the table shows the best wall/CPU time and
#              the median RSS [default: 3]
#   JOBS       joblib worker processes for the parallel scikit-learn row
#              [default: CPUs available; 1 drops the row]
#   SK_BACKEND joblib backend of that row: multiprocessing (forked workers that
#              inherit the imports) or loky (joblib's default, fresh interpreters)
#              [default: multiprocessing]
#   REGISTRY   use this registry CSV instead of `partnerkb generate --count N --seed 7`
#   STANDIN=1  if `partnerkb generate` does not exist, build a stand-in registry by
#              repeating corpus/registry-sample.csv (names made unique)
#   OUT_JSON   if set, also write every run and the summary as JSON to this path
#   KEEP_TMP=1 keep the work directory (registry, models, outputs)
#   TIME_BIN   GNU time [default: /usr/bin/time; Debian package `time`]
#   WAIT_IDLE  before each timed run, wait up to this many seconds for the CPUs to
#              be >= 90% idle over 2 s (a shared machine) [default: 0, no wait]
#
# Timed, each as a whole process under `/usr/bin/time -v`:
#   partnerkb classify --input registry.csv --output out.csv --quiet
#   scale_peers.py sklearn  (pickled TF-IDF + LogisticRegression; 1 process, then JOBS)
#   scale_peers.py fasttext (fastText supervised model)
#   partnerkb ingest --index IDX registry.csv --no-classify --quiet    (fresh IDX)
#   100 x partnerkb search --index IDX "<query>" --json               (one bash loop)
#   scale_peers.py bm25     (bm25s tokenize + index, then the same 100 queries)
# Not timed: generating the registry, training the peers (scale_peers.py train).
# The 10 queries are in scale_queries.txt, run 10 times each.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; }
fail() { echo "scale.sh: $*" >&2; exit 1; }

if [[ $# -ne 1 || "$1" == -h || "$1" == --help ]]; then
    usage
    exit 2
fi
n="$1"
[[ "$n" =~ ^[1-9][0-9]*$ ]] || fail "N must be a positive integer, got '$n'"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
caller="$PWD"

abspath() { case "$1" in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }

if [[ -n "${PARTNERKB:-}" ]]; then
    partnerkb="$(abspath "$PARTNERKB")"
else
    partnerkb="$root/target/release/partnerkb"
fi
python="${PYTHON:-python3}"
time_bin="${TIME_BIN:-/usr/bin/time}"
repeats="${REPEATS:-3}"
cpus="$(nproc 2>/dev/null || echo 1)"
jobs="${JOBS:-$cpus}"
queries="$here/scale_queries.txt"
query_rounds=10
[[ "$repeats" =~ ^[1-9][0-9]*$ ]] || fail "REPEATS must be a positive integer, got '$repeats'"
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || fail "JOBS must be a positive integer, got '$jobs'"
sk_backend="${SK_BACKEND:-multiprocessing}"
[[ "$sk_backend" == multiprocessing || "$sk_backend" == loky ]] || fail "SK_BACKEND must be multiprocessing or loky, got '$sk_backend'"
wait_idle="${WAIT_IDLE:-0}"
[[ "$wait_idle" =~ ^[0-9]+$ ]] || fail "WAIT_IDLE must be a number of seconds, got '$wait_idle'"

# ---- tools ---------------------------------------------------------------- #
[[ -x "$partnerkb" ]] || fail "partnerkb binary not found or not executable: $partnerkb (build it with \`cargo build --release\`, or set PARTNERKB)"
if [[ ! -x "$time_bin" ]]; then
    fail "$time_bin not found: install GNU time (\`apt-get install time\` on Debian/Ubuntu) or set TIME_BIN"
fi
"$time_bin" -v true >/dev/null 2>&1 || fail "$time_bin does not support -v (GNU time needed: \`apt-get install time\`)"
command -v "$python" >/dev/null 2>&1 || fail "Python not found: $python (set PYTHON)"
if ! missing="$("$python" - <<'EOF' 2>&1
import importlib, sys
bad = []
for mod in ("numpy", "scipy", "sklearn", "joblib", "fasttext", "bm25s"):
    try:
        importlib.import_module(mod)
    except Exception as e:
        bad.append(f"{mod} ({type(e).__name__}: {e})")
if bad:
    print(", ".join(bad))
    sys.exit(1)
EOF
)"; then
    fail "$python cannot import: $missing
  run: $python -m pip install -r $here/requirements-scale.txt   (or set PYTHON)"
fi
for f in "$root/corpus/partnerships.jsonl" "$root/models/default.json" "$queries" "$here/scale_peers.py"; do
    [[ -f "$f" ]] || fail "missing file: $f"
done

if [[ -n "${OUT_JSON:-}" ]]; then
    OUT_JSON="$(abspath "$OUT_JSON")"
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/partnerkb-scale.XXXXXX")"
if [[ "${KEEP_TMP:-0}" == 1 ]]; then
    echo "scale.sh: work directory kept: $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi

peers=("$python" "$here/scale_peers.py")
pkb="$work/partnerkb"
cp "$partnerkb" "$pkb"

# ---- registry (untimed) ---------------------------------------------------- #
registry="$work/registry.csv"
if [[ -n "${REGISTRY:-}" ]]; then
    src="$(abspath "$REGISTRY")"
    [[ -f "$src" ]] || fail "REGISTRY not found: $src"
    cp "$src" "$registry"
    registry_source="given registry $(basename "$src")"
elif "$pkb" generate --help >/dev/null 2>&1; then
    echo "scale.sh: partnerkb generate --count $n --seed 7" >&2
    "$pkb" generate --count "$n" --seed 7 --output "$registry"
    registry_source="\`partnerkb generate --count $n --seed 7\`"
elif [[ "${STANDIN:-0}" == 1 ]]; then
    echo "scale.sh: WARNING: \`partnerkb generate\` is not available; stand-in registry from corpus/registry-sample.csv" >&2
    "$python" - "$root/corpus/registry-sample.csv" "$registry" "$n" <<'EOF'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
name = header.index("Partnership Name")
with open(dst, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(header)
    for i in range(n):
        row = list(body[i % len(body)])
        row[name] = f"{row[name]} (copy {i // len(body) + 1})"
        w.writerow(row)
EOF
    registry_source="STAND-IN: corpus/registry-sample.csv repeated, names made unique"
else
    fail "\`$partnerkb generate\` is not available (older binary?). Rebuild partnerkb, or set STANDIN=1 for a stand-in registry, or REGISTRY=FILE"
fi

"$python" - "$registry" "$n" <<'EOF' || fail "registry check failed"
import csv, sys
path, n = sys.argv[1], int(sys.argv[2])
expected = ["Partnership Name", "Lead Partner", "Partners", "Description", "Themes",
            "Geographical Scope", "Start Date", "End Date"]
with open(path, newline="", encoding="utf-8") as f:
    r = csv.reader(f)
    header = next(r, None)
    count = sum(1 for _ in r)
if header != expected:
    sys.exit(f"{path}: header {header}, expected {expected}")
if count != n:
    sys.exit(f"{path}: {count} records, expected {n}")
EOF

# ---- peers' training (untimed) ---------------------------------------------- #
models="$work/models"
echo "scale.sh: training the peers (untimed)" >&2
"${peers[@]}" train --corpus "$root/corpus/partnerships.jsonl" --model-json "$root/models/default.json" --out "$models" 2>"$work/train.log" \
    || { cat "$work/train.log" >&2; fail "peer training failed"; }

# ---- timed runs ------------------------------------------------------------- #
load_before="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
if awk -v l="$load_before" 'BEGIN { exit !(l + 0 >= 0.5) }'; then
    echo "scale.sh: WARNING: load average is $load_before before the timed runs; other work on this machine skews the numbers" >&2
fi
results="$work/results.jsonl"
: >"$results"
busy_runs=0
cpu_idle_pct() { # idle share of all CPUs over 2 s
    local a b
    read -r -a a < <(head -n1 /proc/stat)
    sleep 2
    read -r -a b < <(head -n1 /proc/stat)
    local total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
    echo $((total > 0 ? 100 * (b[4] - a[4]) / total : 100))
}
wait_for_idle() {
    ((wait_idle > 0)) || return 0
    local deadline=$((SECONDS + wait_idle)) idle
    while :; do
        idle="$(cpu_idle_pct)"
        ((idle >= 90)) && return 0
        if ((SECONDS >= deadline)); then
            echo "scale.sh: WARNING: CPUs only $idle% idle after waiting ${wait_idle}s; measuring anyway" >&2
            busy_runs=$((busy_runs + 1))
            return 0
        fi
    done
}
measure() { # ROW REP [measure options] -- CMD...
    local row="$1" rep="$2"
    shift 2
    wait_for_idle
    "${peers[@]}" measure --results "$results" --row "$row" --rep "$rep" --time-bin "$time_bin" "$@"
}
search_loop='pkb="$1"; idx="$2"; queries="$3"; rounds="$4"
for ((r = 0; r < rounds; r++)); do
    while IFS= read -r q; do
        if [[ -n "$q" ]]; then "$pkb" search --index "$idx" "$q" --json; fi
    done <"$queries"
done'
nq=$((query_rounds * $(grep -c . "$queries")))

for ((rep = 1; rep <= repeats; rep++)); do
    echo "scale.sh: timed run $rep/$repeats (N=$n)" >&2
    measure pkb_classify "$rep" -- "$pkb" classify --input "$registry" --output "$work/out-partnerkb.csv" --quiet
    measure sk_1 "$rep" -- "${peers[@]}" sklearn --model "$models/sklearn.pkl" --input "$registry" \
        --output "$work/out-sklearn.csv" --jobs 1
    if ((jobs > 1)); then
        measure sk_par "$rep" --sample-tree -- "${peers[@]}" sklearn --model "$models/sklearn.pkl" \
            --input "$registry" --output "$work/out-sklearn-par.csv" --jobs "$jobs" --backend "$sk_backend"
    fi
    measure ft "$rep" -- "${peers[@]}" fasttext --model "$models/fasttext.bin" --input "$registry" \
        --output "$work/out-fasttext.csv"
    rm -rf "$work/idx"
    measure pkb_ingest "$rep" -- "$pkb" ingest --index "$work/idx" "$registry" --no-classify --quiet
    measure pkb_search "$rep" --stdout "$work/out-partnerkb-search.jsonl" -- \
        bash -c "$search_loop" search-loop "$pkb" "$work/idx" "$queries" "$query_rounds"
    measure bm25 "$rep" --phase-report "$work/bm25-phases.json" -- "${peers[@]}" bm25 --input "$registry" \
        --queries "$queries" --repeat "$query_rounds" --output "$work/out-bm25.jsonl" --phase-report "$work/bm25-phases.json"
done

# ---- sanity checks (untimed) ------------------------------------------------- #
"$pkb" stats --index "$work/idx" --json >"$work/idx-stats.json"
"$python" - "$work" "$n" "$nq" <<'EOF' || fail "output check failed"
import csv, json, os, sys
work, n, nq = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
problems = []
for name in ("out-partnerkb.csv", "out-sklearn.csv", "out-sklearn-par.csv", "out-fasttext.csv"):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        continue
    with open(path, newline="", encoding="utf-8") as f:
        rows = sum(1 for _ in csv.reader(f)) - 1
    if rows != n:
        problems.append(f"{name}: {rows} rows, expected {n}")
with open(os.path.join(work, "out-partnerkb.csv"), newline="", encoding="utf-8") as f:
    errors = sum(1 for r in csv.DictReader(f) if r.get("error"))
if errors:
    problems.append(f"out-partnerkb.csv: {errors} records with an error")
for name in ("out-partnerkb-search.jsonl", "out-bm25.jsonl"):
    with open(os.path.join(work, name)) as f:
        lines = sum(1 for line in f if line.strip())
    if lines != nq:
        problems.append(f"{name}: {lines} results, expected {nq}")
def modes(name, column="mode"):
    with open(os.path.join(work, name), newline="", encoding="utf-8") as f:
        return [r[column] for r in csv.DictReader(f)]
pkb_modes = modes("out-partnerkb.csv")
agreement = {}
for peer, name in (("sklearn", "out-sklearn.csv"), ("fasttext", "out-fasttext.csv")):
    got = modes(name)
    if len(got) == len(pkb_modes) and got:
        agreement[peer] = sum(a == b for a, b in zip(got, pkb_modes)) / len(got)
with open(os.path.join(work, "agreement.json"), "w") as f:
    json.dump(agreement, f)
total = json.load(open(os.path.join(work, "idx-stats.json"))).get("total")
if total != n:
    print(f"scale.sh: note: the partnerkb index holds {total} documents for {n} records "
          "(records with the same id are merged)", file=sys.stderr)
if problems:
    sys.exit("\n".join(problems))
EOF

# ---- table -------------------------------------------------------------------- #
cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n1)"
"$python" - "$work/meta.json" "$models/train.json" "$work/agreement.json" <<EOF
import json, sys
meta = {
    "registry_source": """$registry_source""",
    "repeats": $repeats,
    "jobs": $jobs,
    "sk_backend": "$sk_backend",
    "cpus": $cpus,
    "queries": $nq,
    "load_before": "$load_before",
    "wait_idle_s": $wait_idle,
    "busy_runs": $busy_runs,
    "machine": """${cpu_model:-$(uname -m)}""",
    "partnerkb": """$("$pkb" --version 2>/dev/null || echo unknown)""",
    "train": json.load(open(sys.argv[2])),
    "mode_agreement": json.load(open(sys.argv[3])),
}
json.dump(meta, open(sys.argv[1], "w"), indent=1)
EOF
"${peers[@]}" table --results "$results" --n "$n" --meta "$work/meta.json" ${OUT_JSON:+--out-json "$OUT_JSON"}
