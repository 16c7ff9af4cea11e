# Set-up and run targets for the account_relationship_dunning addon.
# Every target works from a checkout directory of any name.
SHELL := /bin/bash
PORT ?= 8069
SERVE ?= 1
DEMO_DB ?= dunning_demo
TEST_DB ?= dunning_test
# extra pytest arguments for `make test`, e.g. PYTEST_ARGS="-k letters -x"
PYTEST_ARGS ?=
export PORT SERVE DEMO_DB TEST_DB PYTEST_ARGS

.PHONY: demo test test-odoo test-uninstall wheel readme lint setup bench bench-letters bench-concurrency

setup:
	@bash tools/setup.sh

demo: setup
	@bash tools/demo.sh

lint:
	@bash tools/setup.sh --lint-only
	@bash tools/lint.sh

# lint, the wheel, the German uninstall check, then the suite with pytest-odoo
test: setup
	@bash tools/lint.sh
	@bash tools/test.sh

# fallback: the suite with Odoo's own test runner (TEST_TAGS selects tests)
test-odoo: setup
	@bash tools/lint.sh
	@bash tools/test_odoo.sh

test-uninstall: setup
	@bash tools/test_uninstall.sh

wheel: setup
	@bash -c 'source tools/common.sh && py "$$REPO/tools/build_wheel.py"'

readme:
	@bash tools/setup.sh --lint-only
	@bash -c 'source tools/common.sh && py "$$REPO/tools/gen_readme.py"'

bench: setup
	@bash tools/bench.sh

bench-letters: setup
	@bash tools/bench_letters.sh

# a payment registered during a dunning run (after `make bench` with BENCH_KEEP=1)
bench-concurrency: setup
	@bash tools/bench_concurrency.sh
