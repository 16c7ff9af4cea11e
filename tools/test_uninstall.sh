#!/usr/bin/env bash
# Install -> use -> uninstall on a German database (part of `make test`;
# alone: `make test-uninstall`).
#
#   UNINSTALL_DB  database, dropped and recreated (default: $TEST_DB with the
#                 suffix _de, i.e. dunning_test_de); kept afterwards
#
# base -> main company German (DE, EUR; l10n_de with its accounting audit
# trail comes with account) -> the addon -> tools/uninstall_check.py works
# with it (invoices, payments, blocks, a dunning run, a printed letter, a
# dispute, a payment plan, a second company) and lists what the addon owns ->
# the addon is uninstalled -> no model, field record, column, table or
# external id of the addon may be left, and the uninstall log may have no
# ERROR/CRITICAL line. Log: .build/logs/uninstall.log.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

UNINSTALL_DB="${UNINSTALL_DB:-${TEST_DB:-dunning_test}_de}"
LOG="$BUILD/logs/uninstall.log"
INVENTORY="$BUILD/logs/uninstall-inventory.json"
SCRIPT="$REPO/tools/uninstall_check.py"

require_pg
ensure_addon_link
: >"$LOG"

log_errors() { grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" || true; }
fail() {
    local errors
    errors="$(log_errors)"
    [ -z "$errors" ] || { say "ERROR/CRITICAL lines (first 20):"; head -n 20 <<<"$errors" | cut -c1-300; }
    die "uninstall check: $1" "database $UNINSTALL_DB kept; log: ${LOG#"$REPO"/}"
}
# uninstall_odoo STEP [odoo options]: an odoo shell (INFO log to $LOG) fed
# with tools/uninstall_check.py
uninstall_step() {
    local step_name="$1"
    shift
    UNINSTALL_STEP="$step_name" UNINSTALL_INVENTORY="$INVENTORY" \
        odoo_run shell -d "$UNINSTALL_DB" --no-http --max-cron-threads=0 \
        --log-level=info --logfile="$LOG" "$@" <"$SCRIPT"
}

step "uninstall check on a German database $UNINSTALL_DB (log: ${LOG#"$REPO"/})"
drop_db "$UNINSTALL_DB"
odoo_run -d "$UNINSTALL_DB" -i base --without-demo=all --stop-after-init --no-http \
    --max-cron-threads=0 --log-level=info --logfile="$LOG" || fail "installing base failed"
make_company_german "$UNINSTALL_DB" >>"$LOG" 2>&1 || fail "making the company German failed"
say "installing $ADDON (account, l10n_de)"
odoo_run -d "$UNINSTALL_DB" -i "$ADDON" --without-demo=all --stop-after-init --no-http \
    --max-cron-threads=0 --log-level=info --logfile="$LOG" || fail "installing $ADDON failed"
if [ "$(module_state "$UNINSTALL_DB" l10n_de)" != installed ]; then
    odoo_run -d "$UNINSTALL_DB" -i l10n_de --without-demo=all --stop-after-init --no-http \
        --max-cron-threads=0 --log-level=info --logfile="$LOG" || fail "installing l10n_de failed"
fi
[ -z "$(log_errors)" ] || fail "ERROR lines while installing"

say "using the addon"
uninstall_step use || fail "the use step failed"
[ -z "$(log_errors)" ] || fail "ERROR lines while using the addon"

say "uninstalling $ADDON"
mark="$(wc -l <"$LOG")"
uninstall_step uninstall || fail "the uninstall failed"
errors="$(tail -n +"$((mark + 1))" "$LOG" | grep -cE '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' || true)"
[ "${errors:-0}" -eq 0 ] || fail "$errors ERROR/CRITICAL line(s) in the uninstall log"

py "$SCRIPT" verify "$UNINSTALL_DB" "$INVENTORY" || fail "the addon left traces"
say "uninstall: OK (German database, audit trail on, no ERROR line)"
