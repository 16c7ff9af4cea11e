#!/usr/bin/env bash
# A payment registered while a dunning run over the benchmark's invoices is in
# progress (benchmarks/concurrency.py). Needs the data database of `make bench`
# kept (BENCH_KEEP=1), or any database with overdue invoices:
#
#   CONCURRENCY_DB      database copied for the check (default
#                       <BENCH_DB>_data_5000, BENCH_DB default dunning_bench)
#   CONCURRENCY_PAUSE=0 do not hold the run open until the payment is done
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

require_pg
ensure_addon_link
odoo_common_args
BENCH_ODOO="$(py -c 'import json, sys; print(json.dumps(sys.argv[1:]))' \
    "$PYTHON" -P -m odoo shell "${ODOO_ARGS[@]}" --no-http --log-level=warn \
    --max-cron-threads=0)"
export BENCH_ODOO
export CONCURRENCY_DB="${CONCURRENCY_DB:-${BENCH_DB:-dunning_bench}_data_5000}"
py "$REPO/benchmarks/concurrency.py"
