#!/usr/bin/env bash
# Bounded loopback load on the search API: `partnerkb serve` on the bundled
# corpus, then wrk for DURATION seconds with CONNECTIONS connections on two
# threads, cycling through typed queries (queries.lua). Prints wrk's report
# (requests/s, latency percentiles) and fails if any request errored or got
# a non-2xx status. Not part of `cargo test`.
#
#   bash benches/load/run.sh [DURATION=30] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
duration=${1:-30}
connections=${2:-32}
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y wrk >/dev/null; }
cargo build --release --quiet
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
bin=target/release/partnerkb
"$bin" ingest --quiet --index "$work/index" corpus/partnerships.jsonl corpus/lessons.jsonl
"$bin" serve --index "$work/index" --addr 127.0.0.1:0 >"$work/out" 2>"$work/err" &
server=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
base=$(sed -n 's/^listening on \(http:\/\/[^ ]*\).*/\1/p' "$work/out")
[ -n "$base" ] || { cat "$work/err"; exit 1; }
echo "server $base ($(nproc) cores, $(date -u +%F))"
wrk --latency -t2 -c"$connections" -d"${duration}s" -s benches/load/queries.lua "$base" | tee "$work/wrk"
if grep -qE "Non-2xx|Socket errors" "$work/wrk"; then
    echo "FAIL: errors under load" >&2
    exit 1
fi
echo "OK: no errors"
