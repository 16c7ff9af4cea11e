#!/usr/bin/env bash
# Letter benchmark: batch printing of post letters and e-mail sending.
#
#   BENCH_LETTERS_DB     database (default dunning_bench_letters), dropped and
#                        recreated unless BENCH_LETTERS_REUSE=1 and it exists
#   BENCH_LETTER_SIZES   letters per measurement (default "200 1000")
#   BENCH_LETTERS_PORT   HTTP port of the Odoo server that serves the report
#                        styles to wkhtmltopdf (default: a free port)
#   BENCH_README=0       do not write the figures into README.md
#
# Builds the database (no demo data; German company, EUR, German chart of
# accounts), starts an Odoo HTTP server on 127.0.0.1 for the report styles,
# runs benchmarks/bench_letters.py in `odoo shell` and stops the server.
# Output: console and .build/logs/bench-letters-output.txt; by default the
# figures also go into README.md (between the bench-letters markers).
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

DB="${BENCH_LETTERS_DB:-dunning_bench_letters}"
export BENCH_LETTER_SIZES="${BENCH_LETTER_SIZES:-200 1000}"
SCRIPT="$REPO/benchmarks/bench_letters.py"
LOG="$BUILD/logs/bench-letters.log"
SERVER_LOG="$BUILD/logs/bench-letters-server.log"

require_pg
ensure_addon_link
mkdir -p "$BUILD/logs"
wkhtmltopdf --version 2>/dev/null | grep -q 'with patched qt' ||
    warn "wkhtmltopdf is not a patched-Qt build ($(wkhtmltopdf --version 2>/dev/null || echo missing)): run make setup"

install_db() { # install_db MODULES
    step "installing $1 into $DB (no demo; log: ${LOG#"$REPO"/})"
    if ! odoo_run -d "$DB" -i "$1" --without-demo=all \
        --stop-after-init --no-http --max-cron-threads=0 >>"$LOG" 2>&1; then
        grep -E ' (ERROR|CRITICAL) ' "$LOG" | tail -n 20 | cut -c1-400 >&2 || true
        die "installing $1 into $DB failed" "see ${LOG#"$REPO"/}"
    fi
}

: >"$LOG"
if [ "${BENCH_LETTERS_REUSE:-0}" = 1 ] && [ "$(module_state "$DB" "$ADDON")" = installed ]; then
    say "reusing database $DB"
else
    drop_db "$DB"
    install_db base
    step "making the main company German (DE, EUR)"
    make_company_german "$DB"
    install_db "$ADDON"
fi

PORT="${BENCH_LETTERS_PORT:-$(py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')}"
step "starting Odoo on 127.0.0.1:$PORT for the report styles (log: ${SERVER_LOG#"$REPO"/})"
odoo_run -d "$DB" --db-filter="^${DB}\$" --http-interface=127.0.0.1 --http-port="$PORT" \
    --max-cron-threads=0 --log-level=warn >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
stop_server() { # the subshell of odoo_run and the Odoo process it started
    pkill -TERM -P "$SERVER_PID" 2>/dev/null || true
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 1 120); do
    if py -c "import urllib.request, sys
urllib.request.urlopen('http://127.0.0.1:$PORT/web/health', timeout=2)" 2>/dev/null; then
        break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || die "the Odoo server stopped" "see ${SERVER_LOG#"$REPO"/}"
    sleep 1
done

export REPORT_URL="http://127.0.0.1:$PORT"
if [ "${BENCH_README:-1}" != 0 ]; then
    export BENCH_README="$REPO/README.md"
else
    unset BENCH_README
fi
step "running benchmarks/bench_letters.py (BENCH_LETTER_SIZES=\"$BENCH_LETTER_SIZES\")"
odoo_shell "$DB" <"$SCRIPT" 2>&1 | grep --line-buffered -v 'QSslSocket' | tee "$BUILD/logs/bench-letters-output.txt"
