#!/usr/bin/env bash
# Build a demo database and (unless SERVE=0) serve it.
#
#   DEMO_DB  database, dropped and recreated (default dunning_demo)
#   PORT     HTTP port on 127.0.0.1 (default 8069)
#   SERVE    0 = build the database and print the summary only (default 1)
#
# Steps: base with demo data -> main company made German (country DE,
# currency EUR, Berlin address) -> install the addon and l10n_din5008 (account
# then installs the German chart of accounts l10n_de for a German company;
# installed explicitly if it did not) -> admin password "admin" -> the dunning
# summary of tools/demo_summary.py -> Odoo in the foreground.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

DEMO_DB="${DEMO_DB:-dunning_demo}"
PORT="${PORT:-8069}"
SERVE="${SERVE:-1}"
LOG="$BUILD/logs/demo.log"

require_pg
ensure_addon_link

# odoo_install MODULES...: install into $DEMO_DB (with demo data), log to $LOG
odoo_install() {
    step "installing $1 (with demo data; log: ${LOG#"$REPO"/})"
    if ! odoo_run -d "$DEMO_DB" -i "$1" --stop-after-init --no-http \
        --max-cron-threads=0 --log-level=info >>"$LOG" 2>&1; then
        grep -E ' (ERROR|CRITICAL) ' "$LOG" | tail -n 20 | cut -c1-400 >&2 || true
        die "installing $1 into $DEMO_DB failed" "see ${LOG#"$REPO"/}"
    fi
}

: >"$LOG"
drop_db "$DEMO_DB"
odoo_install base

step "making the main company German (DE, EUR, Berlin)"
make_company_german "$DEMO_DB"

odoo_install "$ADDON,l10n_din5008"
if [ "$(module_state "$DEMO_DB" l10n_de)" != installed ]; then
    warn "l10n_de was not auto-installed for the German company: installing it"
    odoo_install l10n_de
fi

step "loading Odoo's German translations of every installed module (admin speaks German)"
odoo_shell "$DEMO_DB" <<'EOF'
env["res.lang"]._activate_lang("de_DE")
env["ir.module.module"].search([("state", "=", "installed")])._update_translations(
    "de_DE"
)
env.ref("base.user_admin").lang = "de_DE"
env.cr.commit()
EOF

step "checking the company set-up and setting the admin password"
odoo_shell "$DEMO_DB" <<'EOF'
import sys

company = env.ref("base.main_company")
admin = env.ref("base.user_admin")
admin.password = "admin"
env.cr.commit()
admin.with_user(admin)._check_credentials(
    {"login": "admin", "password": "admin", "type": "password"},
    {"interactive": False},
)
problems = []
if company.country_id.code != "DE":
    problems.append(f"country is {company.country_id.code}")
if company.currency_id.name != "EUR":
    problems.append(f"currency is {company.currency_id.name}")
if not (company.chart_template or "").startswith("de_"):
    problems.append(f"chart of accounts is {company.chart_template!r}, not German")
print(
    f"company: {company.name}, {company.city}, {company.country_id.code}, "
    f"{company.currency_id.name}, chart {company.chart_template}; "
    f"login admin / admin OK"
)
if problems:
    sys.exit("demo company set-up incomplete: " + "; ".join(problems))
EOF

if [ -f "$REPO/tools/demo_summary.py" ]; then
    step "dunning run and summary (tools/demo_summary.py)"
    odoo_shell "$DEMO_DB" <"$REPO/tools/demo_summary.py"
else
    say "note: tools/demo_summary.py does not exist yet: no dunning summary"
fi

if [ "$SERVE" = 0 ]; then
    say "demo: database $DEMO_DB ready (SERVE=0: not serving)"
    exit 0
fi
say "Open http://127.0.0.1:$PORT — login admin / admin"
odoo_run -d "$DEMO_DB" --db-filter="^${DEMO_DB}\$" \
    --http-interface=127.0.0.1 --http-port="$PORT"
