#!/usr/bin/env bash
# The test steps of `make test` (after lint), each failing the run:
#
#   1. tools/build_wheel.py   the addon builds as the wheel
#                             odoo-addon-account_relationship_dunning with its
#                             data files (whool, pyproject.toml)
#   2. tools/test_uninstall.sh  install -> use -> uninstall on a German database
#                             ($TEST_DB with the suffix _de): nothing left, no
#                             ERROR line
#   3. tools/pytest.sh        the suite with pytest-odoo on $TEST_DB; pytest's
#                             summary line ends the output
#
# Steps 1 and 2 are skipped when a selection of tests is asked for
# (PYTEST_ARGS or TEST_TAGS set), for a quick loop; TEST_UNINSTALL=0 and
# TEST_WHEEL=0 skip them explicitly, TEST_UNINSTALL=1 / TEST_WHEEL=1 force them.
# See tools/pytest.sh for TEST_DB, TEST_REUSE_DB, TEST_MODULES, PYTEST_ARGS and
# TEST_TAGS.
set -euo pipefail
# shellcheck source=tools/common.sh
source "$(dirname "$0")/common.sh"

selection=0
if [ -n "${PYTEST_ARGS:-}" ] || { [ -n "${TEST_TAGS:-}" ] && [ "${TEST_TAGS}" != "/$ADDON" ]; }; then
    selection=1
fi
default=$((1 - selection))

if [ "${TEST_WHEEL:-$default}" = 1 ]; then
    step "building the wheel (whool) and checking its content"
    py "$REPO/tools/build_wheel.py" || die "the wheel check failed" "see above"
fi
if [ "${TEST_UNINSTALL:-$default}" = 1 ]; then
    bash "$REPO/tools/test_uninstall.sh"
fi
exec bash "$REPO/tools/pytest.sh"
