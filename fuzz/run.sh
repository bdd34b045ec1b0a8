#!/usr/bin/env bash
# Run every fuzz target (or those named) for SECONDS each, one after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]     SECONDS defaults to 600
#
# Seeds fuzz/corpus/<target>/ from the repository's own data on first use
# (the corpus directory keeps growing across runs and is not committed).
# Crashes, timeouts and OOMs land in fuzz/artifacts/<target>/, logs in
# fuzz/logs/. Prints the executions per target from libFuzzer's final
# stats and exits non-zero when any target found a crash.
# Needs cargo-fuzz and a nightly toolchain (`cargo install cargo-fuzz`).
# Extra libFuzzer flags can be passed in FUZZ_ARGS. Built with debug
# assertions and overflow checks from the profile in Cargo.toml (`-O`:
# without it cargo-fuzz forces debug assertions onto every crate), so
# integer overflow panics instead of wrapping.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$here"

seconds=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(read_jsonl read_csv split_document search_query)
fi

# One file per line of $1 (its first $2 lines) into corpus dir $3.
seed_lines() {
    local file=$1 n=$2 dir=$3 base
    base=$(basename "$file")
    head -n "$n" "$file" | awk -v d="$dir" -v b="$base" '{ f = d "/" b "-" NR; print > f; close(f) }'
}

seed() {
    local target=$1 dir=corpus/$1
    if [ -d "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
        return
    fi
    mkdir -p "$dir"
    case $target in
    read_jsonl)
        seed_lines "$root/corpus/partnerships.jsonl" 40 "$dir"
        seed_lines "$root/corpus/lessons.jsonl" 40 "$dir"
        seed_lines "$root/corpus/labels_a.jsonl" 5 "$dir"
        head -n 3 "$root/corpus/lessons.jsonl" >"$dir/lessons-3"
        cp "$root"/tests/data/bad/*.jsonl "$dir/"
        ;;
    read_csv)
        local csv=$root/corpus/registry-sample.csv n
        for n in $(seq 2 30); do
            { head -n 1 "$csv"; sed -n "${n}p" "$csv"; } >"$dir/registry-$n"
        done
        head -n 6 "$csv" >"$dir/registry-head"
        printf 'Title,Lesson,Challenge,Applies to function,Examples\nKeep it small,Start with few partners and grow.,inclusion,operational,gavi;unaids\n' >"$dir/lessons"
        cp "$root"/tests/data/bad/*.csv "$dir/"
        ;;
    split_document)
        local f
        for f in "$root"/corpus/README.md "$root"/docs/*.md "$root"/ARCHITECTURE.md; do
            split -C 3000 -d -a 3 "$f" "$dir/$(basename "$f")-"
        done
        printf '# Inclusion\r\n\r\ni)\r\nConduct a stakeholder analysis - map who is affected before choosing partners.\r\n\r\nUN staff member\r\n\r\n## Power\r\nFacilitation helps partners with less power take part in decisions fully.\r\n' >"$dir/unit-test"
        printf 'II. FRAMING THE PARTNERSHIP\n\nA. Purpose and roles\n\n1. Agree what the partnership is for - write it down in a few lines that all partners sign.\n\n\xc2\xb7 a side quote\n' >"$dir/numbered"
        ;;
    search_query)
        local i=0 q
        for q in 'stakeholder analysis' '"river blindness"' '+vaccine -polio' 'title:partnership' \
            'body:(trust OR fund)' 'stakeh*' 'accountability^2 inclusion' 'kind:lesson' \
            'id:unaids' 'facets:/kind/lesson' '"power imbalance"~3' 'a AND (b OR NOT c)' \
            'year:[2000 TO 2010]' 'título niño' ''; do
            printf '\x00\x00\x00%s' "$q" >"$dir/q-$i"
            printf '\x06\x17\x09%s' "$q" >"$dir/f-$i"
            i=$((i + 1))
        done
        ;;
    esac
}

dict_of() {
    case $1 in
    read_jsonl) echo dicts/json.dict ;;
    read_csv) echo dicts/csv.dict ;;
    split_document) echo dicts/document.dict ;;
    search_query) echo dicts/query.dict ;;
    esac
}

mkdir -p logs
# FUZZ_NO_BUILD=1 reuses the binaries already built (e.g. a second run.sh
# in parallel with the first).
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
    echo "building fuzz targets..."
    if ! cargo +nightly fuzz build -O >logs/build.log 2>&1; then
        tail -n 30 logs/build.log
        exit 2
    fi
fi
bin=target/x86_64-unknown-linux-gnu/release

status=0
summary=()
for target in "${targets[@]}"; do
    seed "$target"
    mkdir -p "artifacts/$target"
    before=$(ls "artifacts/$target" | wc -l)
    echo "== $target: ${seconds}s"
    start=$(date +%s)
    # The binaries built above, run directly: `cargo fuzz run` would
    # rebuild first whenever src/ changed in the meantime.
    # shellcheck disable=SC2086
    "$bin/$target" -artifact_prefix="$here/artifacts/$target/" \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -dict="$(dict_of "$target")" ${FUZZ_ARGS:-} \
        "corpus/$target" >"logs/$target.log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    after=$(ls "artifacts/$target" | wc -l)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$target.log" | tail -n 1 | grep -o '[0-9]*$')
    if [ -z "$execs" ]; then
        # -fork=N prints no final stats; its progress lines start "#EXECS:".
        execs=$(grep -oE '^#[0-9]+:' "logs/$target.log" | tail -n 1 | tr -d '#:')
    fi
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        found="CRASH (exit $rc; see logs/$target.log, artifacts/$target/)"
        grep -m 3 -E "^==[0-9]+==|panicked at|SUMMARY|Test unit written" "logs/$target.log" | sed 's/^/    /'
        status=1
    else
        found="no crashes"
    fi
    line=$(printf '%-15s %12s execs in %5ss  %s' "$target" "${execs:-?}" "$elapsed" "$found")
    echo "$line"
    summary+=("$line")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $status
