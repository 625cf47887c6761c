# The request log (docs/design.md §14): search and paging on a full log, beside the sqlite3 shell.
BENCH_TARGETS += bench-request-log

.PHONY: bench-request-log
bench-request-log:
	scripts/bench-request-log.sh
