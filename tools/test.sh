#!/usr/bin/env bash
# Run the addon's tests with Odoo's own test runner on a fresh database.
#
#   TEST_DB    database, dropped and recreated (default dunning_test); it is
#              kept afterwards for inspection
#   TEST_TAGS  --test-tags spec (default /account_relationship_dunning)
#   TEST_MODULES  modules to install (default
#              account_relationship_dunning,l10n_din5008: DIN 5008 layout)
#
# No demo data is loaded. The log goes to the console and to
# .build/logs/test.log. The last line is "N passed, N failed". Exits non-zero
# if Odoo fails, a module does not install, the log has ERROR/CRITICAL lines,
# a test fails, or no test ran at all.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

TEST_DB="${TEST_DB:-dunning_test}"
TEST_TAGS="${TEST_TAGS:-/$ADDON}"
TEST_MODULES="${TEST_MODULES:-$ADDON,l10n_din5008}"
LOG="$BUILD/logs/test.log"

require_pg
ensure_addon_link
drop_db "$TEST_DB"

# HttpCase tests need Odoo's HTTP server: give it a free loopback port so a
# running `make demo` server does not get in the way.
HTTP_PORT="$(py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"

step "installing $TEST_MODULES into a fresh database $TEST_DB and running tests $TEST_TAGS"
say "(log: ${LOG#"$REPO"/})"
set +e
odoo_run -d "$TEST_DB" -i "$TEST_MODULES" \
    --test-enable --test-tags "$TEST_TAGS" \
    --without-demo=all --stop-after-init --log-level=test \
    --max-cron-threads=0 --http-interface=127.0.0.1 --http-port="$HTTP_PORT" \
    2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e

problems=()
[ "$rc" -eq 0 ] || problems+=("Odoo exited with status $rc")

# e.g. "... INFO dunning_test odoo.tests.result: 0 failed, 0 error(s) of 25 tests
#       when loading database 'dunning_test'" (ERROR level when some failed)
result="$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$LOG" | tail -n 1 || true)"
failures=0 errors=0 run=0
if [[ "$result" =~ ([0-9]+)\ failed,\ ([0-9]+)\ error\(s\)\ of\ ([0-9]+)\ tests ]]; then
    failures=${BASH_REMATCH[1]}
    errors=${BASH_REMATCH[2]}
    run=${BASH_REMATCH[3]}
else
    problems+=("no test result line in the log (Odoo did not get to run the tests)")
fi
failed=$((failures + errors))
passed=$((run - failed))
[ "$passed" -ge 0 ] || passed=0
[ "$failed" -eq 0 ] || problems+=("$failures test(s) failed, $errors error(s)")
[ "$run" -gt 0 ] || problems+=("no test ran (tags: $TEST_TAGS)")

# Odoo skips browser tours (instead of failing) without Chromium or
# websocket-client: a skipped tour is a failed check here.
if grep -qE "websocket-client module is not installed|Chrome executable not found|Failed to detect chrome devtools port|Error during Chrome" "$LOG"; then
    problems+=("browser tours were skipped (Chromium or websocket-client missing: run make setup)")
fi

IFS=, read -r -a mods <<<"$TEST_MODULES"
for mod in "${mods[@]}"; do
    state="$(module_state "$TEST_DB" "$mod")"
    [ "$state" = installed ] || problems+=("module $mod failed to install (state: ${state:-absent})")
done

# log lines at ERROR or CRITICAL level, e.g. "2025-01-01 10:00:00,123 42 ERROR db logger: ..."
log_errors="$(grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" || true)"
if [ "${log_errors:-0}" -gt 0 ]; then
    problems+=("$log_errors ERROR/CRITICAL line(s) in the log")
fi

echo
if [ ${#problems[@]} -gt 0 ]; then
    if [ "${log_errors:-0}" -gt 0 ]; then
        say "ERROR/CRITICAL lines (first 20):"
        grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" | head -n 20 | cut -c1-300
    fi
    for p in "${problems[@]}"; do
        say "test: FAILED: $p"
    done
    say "database $TEST_DB kept for inspection; full log: ${LOG#"$REPO"/}"
    say "$passed passed, $failed failed"
    exit 1
fi
say "test: OK ($run tests, database $TEST_DB kept)"
say "$passed passed, $failed failed"
