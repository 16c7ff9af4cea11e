#!/usr/bin/env bash
# Code checks, offline, with the pinned tools of tools/requirements-dev.txt
# (install them with: tools/setup.sh --lint-only):
#   1. ruff check + ruff format --check    (.ruff.toml)
#   2. pylint with pylint_odoo, OCA's mandatory checks for 18.0   (.pylintrc)
#   3. OCA odoo-pre-commit-hooks: manifest/XML/CSV/PO checks (.oca_hooks.cfg),
#      through tools/oca_checks.py
#   4. tools/check_xml.py: well-formed XML, no pre-Odoo-18 view constructs
#   5. tools/gen_readme.py --check: static/description/index.html is built
#      from the current readme/*.md fragments and manifest
# Runs every step, then exits 1 if any reported a finding; "lint: OK" if clean.
#
#   tools/lint.sh --fix   first applies the automatic fixes (ruff check --fix,
#                         ruff format, OCA XML autofixes, index.html), then checks
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

FIX=0
case "${1:-}" in
"") ;;
--fix) FIX=1 ;;
*) die "unknown argument: $1" "usage: tools/lint.sh [--fix]" ;;
esac

cd "$REPO"
ensure_addon_link

for mod in ruff pylint pylint_odoo oca_pre_commit_hooks lxml markdown; do
    py -c "import $mod" 2>/dev/null ||
        die "lint tool missing: python module '$mod' is not importable by $PYTHON" \
            "run: bash tools/setup.sh --lint-only   (installs tools/requirements-dev.txt)"
done

FAILED=()
run_step() { # run_step NAME command...
    local name="$1"
    shift
    step "$name"
    if ! "$@"; then
        FAILED+=("$name")
    fi
}

# pylint and oca-checks-odoo-module must see a directory named like the addon;
# their output is rewritten to paths relative to the repository root.
pylint_odoo() {
    local rc=0
    (cd "$ADDONS_LINK_DIR" && py -m pylint --rcfile="$REPO/.pylintrc" "$ADDON") \
        >"$BUILD/logs/pylint.txt" 2>&1 || rc=$?
    sed -e "s#^$ADDON/##" -e '/^\*\{13\} Module /d' "$BUILD/logs/pylint.txt"
    return "$rc"
}

oca_checks() {
    # tools/oca_checks.py: the stock oca-checks-odoo-module skips an addon
    # that is the repository root (see the script's docstring)
    py "$REPO/tools/oca_checks.py" --config "$REPO/.oca_hooks.cfg" "$@" \
        "$ADDONS_LINK_DIR/$ADDON"
}

if [ "$FIX" = 1 ]; then
    step "applying automatic fixes"
    py -m ruff check --no-cache --quiet --fix --exit-zero .
    py -m ruff format --no-cache --quiet .
    oca_checks --fix >/dev/null || true
    py "$REPO/tools/gen_readme.py"
fi

run_step "ruff check" py -m ruff check --no-cache --quiet .
run_step "ruff format --check" py -m ruff format --no-cache --check --quiet .
run_step "pylint (pylint_odoo, OCA mandatory checks)" pylint_odoo
run_step "oca-checks-odoo-module / oca-checks-po" oca_checks
run_step "check_xml.py (Odoo 18 XML)" py "$REPO/tools/check_xml.py"
run_step "gen_readme.py --check (Apps page from readme/)" py "$REPO/tools/gen_readme.py" --check

if [ ${#FAILED[@]} -gt 0 ]; then
    joined="$(printf '%s, ' "${FAILED[@]}")"
    printf '\nlint: FAILED: %s\n' "${joined%, }" >&2
    exit 1
fi
say "lint: OK"
