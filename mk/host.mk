# The host: SQLite store, webhook listener, service layer, CLI (crate inlet-desktop) and its
# black-box tests (crate inlet-tests, which also runs the golden cases).
TEST_TARGETS += test-host
BENCH_TARGETS += bench-host

SERVE_ARGS ?=

.PHONY: test-host bench-host serve
test-host:
	$(CARGO) test -p inlet-desktop -p inlet-tests

bench-host:
	scripts/bench-host.sh

# Build and run the headless listener; pass flags with SERVE_ARGS="--listen 127.0.0.1:9000".
serve:
	$(CARGO) build -p inlet-desktop --bin inlet
	target/debug/inlet serve $(SERVE_ARGS)
