#!/usr/bin/env bash
# The query-set table: partnerkb lexical / semantic / hybrid (cargo bench
# --bench query_sets) and bm25s over the same passages. Needs
# ../shared/mission/msp-paper.txt and `pip install -r benches/peers/requirements.txt`.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo bench --bench query_sets
passages=$(mktemp)
trap 'rm -f "$passages"' EXIT
python3 benches/peers/passages.py --out "$passages"
python3 benches/peers/bm25s_queries.py --passages "$passages"
