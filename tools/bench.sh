#!/usr/bin/env bash
# Benchmark: a fresh base database (no demo data; main company German, EUR,
# German chart of accounts) with the addon and, for the side-by-side
# comparison, OCA's account_credit_control 18.0 (its PyPI wheel, unpacked
# under .build/oca, not installed into the python environment); then
# benchmarks/bench.py, which copies it per size and repetition.
#
#   BENCH_DB            base database, dropped and recreated (default dunning_bench);
#                       the copies are named after it (<BENCH_DB>_data_<size>, <BENCH_DB>_copy)
#   BENCH_REUSE=1       keep an existing base database with the modules installed
#   BENCH_SIZES         overdue invoices per size (default "5000 20000 50000")
#   BENCH_CUSTOMERS     customers (default 5000)
#   BENCH_REPEAT        repetitions per size, the median is reported (default 3)
#   BENCH_LARGEST_REPEAT  repetitions of the largest size (default BENCH_REPEAT)
#   BENCH_PEER=0        leave the peer out (default 1)
#   BENCH_PEER_REPEAT   repetitions of the peer per size (default 1: it is slow)
#   BENCH_PEER_TIMEOUT  seconds after which the peer's communication step is
#                       stopped and reported as such (default 1800)
#   BENCH_STATES        statistics states measured at the largest size
#                       (default "rolled_back analyzed_empty earlier_letters")
#   BENCH_README        file whose bench:begin/bench:end block is replaced
#                       (default README.md; empty: print only)
#
# Output goes to the console and to .build/logs/bench-output.txt.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

BENCH_DB="${BENCH_DB:-dunning_bench}"
BENCH_PEER="${BENCH_PEER:-1}"
PEER_WHEEL_SPEC="odoo-addon-account-credit-control>=18.0,<18.1"
PEER_DIR="$BUILD/oca"
LOG="$BUILD/logs/bench.log"
export BENCH_PEER

require_pg
ensure_addon_link
mkdir -p "$BUILD/logs"

# The peer's wheel, unpacked (pip download --no-deps: it declares a
# dependency on `odoo`, which is not on PyPI; its manifest needs only base,
# account and mail).
MODULES="$ADDON"
if [ "$BENCH_PEER" = 1 ]; then
    if [ ! -f "$PEER_DIR/odoo/addons/account_credit_control/__manifest__.py" ]; then
        step "downloading $PEER_WHEEL_SPEC (no dependencies) into ${PEER_DIR#"$REPO"/}"
        rm -rf "$PEER_DIR" "$BUILD/wheels"
        py -m pip download --quiet --no-deps -d "$BUILD/wheels" "$PEER_WHEEL_SPEC"
        mkdir -p "$PEER_DIR"
        py -m zipfile -e "$BUILD"/wheels/odoo_addon_account_credit_control-*.whl "$PEER_DIR"
    fi
    EXTRA_ADDONS="${EXTRA_ADDONS:+$EXTRA_ADDONS,}$PEER_DIR/odoo/addons"
    MODULES="$MODULES,account_credit_control"
fi

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
if [ "${BENCH_REUSE:-0}" = 1 ] && [ "$(module_state "$BENCH_DB" "$ADDON")" = installed ]; then
    step "reusing $BENCH_DB"
else
    drop_db "$BENCH_DB"
    # same German EUR company as the demo (German chart of accounts), no demo data
    bench_install base
    step "making the main company German (DE, EUR)"
    make_company_german "$BENCH_DB"
    bench_install "$MODULES"
fi

odoo_common_args
BENCH_ODOO="$(py -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
    "$PYTHON" -P -m odoo shell "${ODOO_ARGS[@]}" --no-http --log-level=warn \
    --max-cron-threads=0)"
export BENCH_ODOO BENCH_BASE_DB="$BENCH_DB"
step "running benchmarks/bench.py (sizes: ${BENCH_SIZES:-5000 20000 50000})"
py "$REPO/benchmarks/bench.py" 2>&1 | tee "$BUILD/logs/bench-output.txt"
