# Set-up and run targets for the account_relationship_dunning addon.
# Every target works from a checkout directory of any name.
SHELL := /bin/bash
PORT ?= 8069
SERVE ?= 1
DEMO_DB ?= dunning_demo
TEST_DB ?= dunning_test
export PORT SERVE DEMO_DB TEST_DB

.PHONY: demo test lint setup bench bench-letters

setup:
	@bash tools/setup.sh

demo: setup
	@bash tools/demo.sh

lint:
	@bash tools/setup.sh --lint-only
	@bash tools/lint.sh

test: setup
	@bash tools/lint.sh
	@bash tools/test.sh

bench: setup
	@bash tools/bench.sh

bench-letters: setup
	@bash tools/bench_letters.sh
