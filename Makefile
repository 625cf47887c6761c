# Inlet. `make run` opens the app, `make test` runs every test; both set up what is missing first.
SHELL := bash
.DEFAULT_GOAL := help
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never

.PHONY: help setup run test test-all bench playground package check-core

help:
	@echo "make run         build what is missing and open the desktop app (headless: inlet serve)"
	@echo "make test        every test"
	@echo "make bench       benchmarks; figures go to BENCHMARKS.md"
	@echo "make fuzz        the fuzz targets, 10 minutes each (nightly; see docs/testing.md)"
	@echo "make mutants     mutation testing of the core (MUTANTS_FILES=...; see docs/testing.md)"
	@echo "make playground  serve the browser playground"
	@echo "make package     build a .deb"

setup:
	@scripts/setup.sh

# Each area adds its own test-*/bench-* targets in mk/*.mk and appends them to these lists.
TEST_TARGETS :=
BENCH_TARGETS :=
include $(sort $(wildcard mk/*.mk))

# A private PostgreSQL cluster lives for the length of the tests (INLET_TEST_POSTGRES_URL), and is
# stopped and removed at the end whether they pass or not.
test: setup
	@scripts/pg-cluster.sh run -- $(MAKE) --no-print-directory test-all

test-all: $(TEST_TARGETS)
	@echo "make test: all green"

bench: setup $(BENCH_TARGETS)
