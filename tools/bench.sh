#!/usr/bin/env bash
# Benchmark: a fresh database (no demo data; main company German, EUR, German
# chart of accounts) with the addon installed, then benchmarks/bench.py run
# inside `odoo shell` (it gets `env`; it must commit itself if it wants to).
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
# bench_install MODULES: install into $BENCH_DB without demo data, log to $LOG
bench_install() {
    step "installing $1 into $BENCH_DB (no demo; log: ${LOG#"$REPO"/})"
    if ! odoo_run -d "$BENCH_DB" -i "$1" --without-demo=all \
        --stop-after-init --no-http --max-cron-threads=0 >>"$LOG" 2>&1; then
        grep -E ' (ERROR|CRITICAL) ' "$LOG" | tail -n 20 | cut -c1-400 >&2 || true
        die "installing $1 into $BENCH_DB failed" "see ${LOG#"$REPO"/}"
    fi
}

: >"$LOG"
drop_db "$BENCH_DB"
# same German EUR company as the demo (German chart of accounts), no demo data
bench_install base
step "making the main company German (DE, EUR)"
make_company_german "$BENCH_DB"
bench_install "$BENCH_MODULES"

step "running benchmarks/bench.py (BENCH_SIZES=\"$BENCH_SIZES\"${BENCH_CUSTOMERS:+, BENCH_CUSTOMERS=$BENCH_CUSTOMERS})"
odoo_shell "$BENCH_DB" <"$SCRIPT" 2>&1 | tee "$BUILD/logs/bench-output.txt"
