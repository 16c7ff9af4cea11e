#!/usr/bin/env bash
# Benchmark: a fresh database (no demo data) with the addon installed, then
# benchmarks/bench.py run inside `odoo shell` (it gets `env`).
#
#   BENCH_DB         database, dropped and recreated (default dunning_bench)
#   BENCH_SIZES      passed to bench.py (default "10000 50000")
#   BENCH_CUSTOMERS  passed to bench.py when set
#   BENCH_MODULES    modules to install (default account_relationship_dunning)
#   tools/bench.sh ARGS...  ARGS are passed to bench.py as BENCH_ARGS
#
# Output goes to the console and to .build/logs/bench-output.txt.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

BENCH_DB="${BENCH_DB:-dunning_bench}"
BENCH_MODULES="${BENCH_MODULES:-$ADDON}"
export BENCH_SIZES="${BENCH_SIZES:-10000 50000}"
export BENCH_ARGS="$*"
[ -z "${BENCH_CUSTOMERS:-}" ] || export BENCH_CUSTOMERS
SCRIPT="$REPO/benchmarks/bench.py"
LOG="$BUILD/logs/bench.log"

if [ ! -f "$SCRIPT" ]; then
    say "note: benchmarks/bench.py does not exist yet: nothing to benchmark"
    exit 1
fi

require_pg
ensure_addon_link
drop_db "$BENCH_DB"
step "installing $BENCH_MODULES into a fresh database $BENCH_DB (no demo; log: ${LOG#"$REPO"/})"
if ! odoo_run -d "$BENCH_DB" -i "$BENCH_MODULES" --without-demo=all \
    --stop-after-init --no-http --max-cron-threads=0 >"$LOG" 2>&1; then
    grep -E ' (ERROR|CRITICAL) ' "$LOG" | tail -n 20 | cut -c1-400 >&2 || true
    die "installing $BENCH_MODULES into $BENCH_DB failed" "see ${LOG#"$REPO"/}"
fi

step "running benchmarks/bench.py (BENCH_SIZES=\"$BENCH_SIZES\"${BENCH_CUSTOMERS:+, BENCH_CUSTOMERS=$BENCH_CUSTOMERS})"
odoo_shell "$BENCH_DB" <"$SCRIPT" 2>&1 | tee "$BUILD/logs/bench-output.txt"
