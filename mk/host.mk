# The host: SQLite store, webhook listener, service layer, CLI (crate inlet-desktop) and its
# black-box tests (crate inlet-tests, which also runs the golden cases).
TEST_TARGETS += test-host
BENCH_TARGETS += bench-host bench-scaleout

SERVE_ARGS ?=

.PHONY: test-host bench-host bench-scaleout serve
# The black-box suites run once per store: SQLite, then PostgreSQL on the cluster `make test`
# starts (INLET_TEST_POSTGRES_URL; without it the PostgreSQL pass and tests are skipped, said so).
test-host:
	$(CARGO) test -p inlet-desktop -p inlet-tests
	$(CARGO) test -p inlet-desktop --features ts --test ipc_types
	@if [ -n "$${INLET_TEST_POSTGRES_URL:-}" ]; then \
	  echo "test-host: the black-box suites again, on PostgreSQL"; \
	  INLET_TEST_STORE=postgres $(CARGO) test -p inlet-tests; \
	else \
	  echo "test-host: INLET_TEST_POSTGRES_URL is not set; skipped the PostgreSQL pass (make test sets it)"; \
	fi

bench-host:
	scripts/bench-host.sh

# 1, 2 and 3 receivers on one PostgreSQL (a private cluster of its own), beside raw upserts.
bench-scaleout:
	scripts/bench-scaleout.sh

# Build and run the headless listener; pass flags with SERVE_ARGS="--listen 127.0.0.1:9000".
serve:
	$(CARGO) build -p inlet-desktop --bin inlet
	target/debug/inlet serve $(SERVE_ARGS)
