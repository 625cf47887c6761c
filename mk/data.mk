# The data browser and export: figures for `inlet export` and record pages on 1,000,000 events.
BENCH_TARGETS += bench-data

.PHONY: bench-data
bench-data:
	scripts/bench-data.sh
