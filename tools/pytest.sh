#!/usr/bin/env bash
# Run the addon's tests with pytest-odoo (the last step of `make test`).
#
#   TEST_DB        database (default dunning_test); dropped and installed
#                  afresh unless TEST_REUSE_DB=1
#   TEST_REUSE_DB  1 = keep TEST_DB when the addon is installed in it and
#                  only update the addon (-u), for a quick loop
#   TEST_MODULES   modules to install (default
#                  account_relationship_dunning,l10n_din5008: DIN 5008 layout)
#   PYTEST_ARGS    extra pytest arguments, e.g. "-k letters -x", "--lf",
#                  "tests/test_claims.py" or
#                  "tests/test_claims.py::TestClaims::test_interest_days"
#   TEST_TAGS      Odoo-style selection, still understood:
#                  "/account_relationship_dunning:TestClass.test_method,..."
#                  becomes a pytest -k expression
#
# pytest-odoo never installs modules: this script installs (or updates) them
# first, then runs pytest on tests/ through the link
# .build/addons/account_relationship_dunning (pytest-odoo takes the module
# name from the directory name), with Odoo's HTTP server on a free loopback
# port for the HttpCase tests (--odoo-http). Odoo's log goes to
# .build/logs/pytest-odoo.log (its first line, an ERROR "Importing test
# framework" with a stack, is pytest-odoo importing odoo.tests before tests
# are enabled: expected, and not counted). pytest's summary line ends the
# output.
# Fails when the install fails or logs ERROR lines, when a test fails, when a
# test logs an ERROR line (tools/pytest_odoo_checks.py), or when no test ran.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

TEST_DB="${TEST_DB:-dunning_test}"
TEST_MODULES="${TEST_MODULES:-$ADDON,l10n_din5008}"
TEST_REUSE_DB="${TEST_REUSE_DB:-0}"
PYTEST_ARGS="${PYTEST_ARGS:-}"
TEST_TAGS="${TEST_TAGS:-}"
INSTALL_LOG="$BUILD/logs/test-install.log"
ODOO_LOG="$BUILD/logs/pytest-odoo.log"
LINK="$ADDONS_LINK_DIR/$ADDON"

require_pg
ensure_addon_link
py -c 'import pytest_odoo' 2>/dev/null ||
    die "pytest-odoo is not importable by $PYTHON" \
        "run: make setup   (installs tools/requirements-dev.txt)"

log_errors() { # log_errors FILE: the ERROR/CRITICAL lines of an Odoo log
    grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$1" || true
}

# --- 1. install or update the modules (pytest-odoo never does) ----------------
if [ "$TEST_REUSE_DB" = 1 ] && db_exists "$TEST_DB" &&
    [ "$(module_state "$TEST_DB" "$ADDON")" = installed ]; then
    step "updating $ADDON in $TEST_DB (TEST_REUSE_DB=1)"
    mode=(-u "$ADDON")
else
    drop_db "$TEST_DB"
    step "installing $TEST_MODULES into a fresh database $TEST_DB"
    mode=(-i "$TEST_MODULES")
fi
say "(log: ${INSTALL_LOG#"$REPO"/})"
rc=0
odoo_run -d "$TEST_DB" "${mode[@]}" --without-demo=all --stop-after-init \
    --no-http --max-cron-threads=0 --log-level=info >"$INSTALL_LOG" 2>&1 || rc=$?
problems=()
[ "$rc" -eq 0 ] || problems+=("Odoo exited with status $rc")
IFS=, read -r -a mods <<<"$TEST_MODULES"
for mod in "${mods[@]}"; do
    state="$(module_state "$TEST_DB" "$mod")"
    [ "$state" = installed ] || problems+=("module $mod failed to install (state: ${state:-absent})")
done
errors="$(log_errors "$INSTALL_LOG")"
[ -z "$errors" ] || problems+=("$(wc -l <<<"$errors") ERROR/CRITICAL line(s) in the install log")
if [ ${#problems[@]} -gt 0 ]; then
    [ -z "$errors" ] || { say "ERROR/CRITICAL lines (first 20):"; head -n 20 <<<"$errors" | cut -c1-300; }
    tail -n 20 "$INSTALL_LOG" | cut -c1-300
    for p in "${problems[@]}"; do
        say "test: FAILED: $p"
    done
    die "installing $TEST_MODULES into $TEST_DB failed" "full log: ${INSTALL_LOG#"$REPO"/}"
fi

# --- 2. the pytest command line ------------------------------------------------
# pytest-odoo passes --odoo-extra NAME=VALUE on to Odoo as --NAME=VALUE: the
# same configuration file, addons path, data directory and database
# connection as every other Odoo command of tools/ (odoo_common_args).
odoo_common_args
HTTP_PORT="$(py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
pytest_cmd=(--odoo-database="$TEST_DB" --odoo-log-level=warn --odoo-http)
i=0
while [ $i -lt ${#ODOO_ARGS[@]} ]; do
    arg="${ODOO_ARGS[$i]}"
    case "$arg" in
    -c | --config)
        i=$((i + 1))
        pytest_cmd+=(--odoo-config="${ODOO_ARGS[$i]}")
        ;;
    --addons-path=*) pytest_cmd+=(--odoo-addons-path="${arg#--addons-path=}") ;;
    --*=*) pytest_cmd+=(--odoo-extra "${arg#--}") ;;
    *) die "tools/pytest.sh cannot pass the Odoo option '$arg' to pytest-odoo" \
        "use the --name=value form in odoo_common_args (tools/common.sh)" ;;
    esac
    i=$((i + 1))
done
# Odoo's HTTP server for HttpCase: loopback only, on a free port (pytest-odoo
# checks the port again when it starts the server), no cron threads.
pytest_cmd+=(
    --odoo-extra "http-interface=127.0.0.1"
    --odoo-extra "http-port=$HTTP_PORT"
    --odoo-extra "max-cron-threads=0"
    --odoo-extra "logfile=$ODOO_LOG"
    -p pytest_odoo_checks
)

# TEST_TAGS (Odoo's --test-tags syntax) -> a pytest -k expression on the
# class and method names: "/addon:TestA.test_x,:TestB" -> "(TestA and
# test_x) or (TestB)"; "-/addon:TestC" -> "not (TestC)".
if [ -n "$TEST_TAGS" ] && [ "$TEST_TAGS" != "/$ADDON" ]; then
    k_in=() k_out=()
    IFS=, read -r -a specs <<<"$TEST_TAGS"
    for spec in "${specs[@]}"; do
        spec="${spec// /}"
        [ -n "$spec" ] || continue
        neg=0
        case "$spec" in -*) neg=1 spec="${spec#-}" ;; +*) spec="${spec#+}" ;; esac
        [ "${spec%%:*}" != "$spec" ] || [ "$spec" != "/$ADDON" ] || continue
        [[ "$spec" == *:* ]] || { warn "TEST_TAGS: '$spec' names no test class; ignored under pytest"; continue; }
        target="${spec#*:}"
        expr="${target%%.*}"
        [[ "$target" != *.* ]] || expr="$expr and ${target#*.}"
        if [ "$neg" = 1 ]; then k_out+=("not ($expr)"); else k_in+=("($expr)"); fi
    done
    k=""
    if [ ${#k_in[@]} -gt 0 ]; then
        k="$(printf ' or %s' "${k_in[@]}")"
        k="(${k# or })"
    fi
    for e in "${k_out[@]}"; do
        k="${k:+$k and }$e"
    done
    [ -z "$k" ] || { pytest_cmd+=(-k "$k"); say "TEST_TAGS=$TEST_TAGS -> pytest -k \"$k\""; }
fi

# PYTEST_ARGS, split like a shell would; a path in tests/ is taken through the
# link (a path of the checkout itself would give the wrong module name).
user_args=()
if [ -n "$PYTEST_ARGS" ]; then
    mapfile -d '' -t user_args < <(py -c 'import shlex, sys
sys.stdout.write("".join(a + "\0" for a in shlex.split(sys.argv[1])))' "$PYTEST_ARGS")
fi
have_path=0
for idx in "${!user_args[@]}"; do
    arg="${user_args[$idx]}"
    case "$arg" in
    ./tests | ./tests/* | tests | tests/*)
        user_args[idx]="$LINK/${arg#./}"
        have_path=1
        ;;
    .build/addons/"$ADDON"/* | ./.build/addons/"$ADDON"/*)
        # a test id as pytest prints it
        user_args[idx]="$REPO/${arg#./}"
        have_path=1
        ;;
    "$LINK"/*) have_path=1 ;;
    esac
done
[ "$have_path" = 1 ] || user_args+=("$LINK/tests")

# --- 3. pytest -------------------------------------------------------------------
step "pytest-odoo on $TEST_DB (Odoo log: ${ODOO_LOG#"$REPO"/}; HTTP on 127.0.0.1:$HTTP_PORT)"
: >"$ODOO_LOG"
rc=0
# rootdir is the link: pytest reads pyproject.toml ([tool.pytest.ini_options])
# through it, and the test ids read tests/test_x.py::TestX::test_y
PYTHONPATH="$REPO/tools${PYTHONPATH:+:$PYTHONPATH}" \
    py -m pytest --rootdir="$LINK" "${pytest_cmd[@]}" "${user_args[@]}" || rc=$?
# exit code 5 (no test collected) is a failure too; pytest_odoo_checks turns
# it into 1 already, this is the safety net
[ "$rc" -ne 5 ] || rc=1
# Odoo skips browser tours (instead of failing) without Chromium or
# websocket-client: a skipped tour is a failed check here.
if grep -qE "websocket-client module is not installed|Chrome executable not found|Failed to detect chrome devtools port|Error during Chrome" "$ODOO_LOG"; then
    warn "browser tours were skipped (Chromium or websocket-client missing: run make setup)"
    rc=1
fi
exit "$rc"
