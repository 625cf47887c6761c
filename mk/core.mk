# The pure core: unit tests, golden cases, property tests, and the purity checks of docs/design.md §1.
TEST_TARGETS += test-core
BENCH_TARGETS += bench-core

.PHONY: test-core bench-core
test-core:
	$(CARGO) test -p inlet-core
	$(CARGO) test -p inlet-core -p inlet-tests --test golden --test fuzz_corpus
	$(CARGO) test -p inlet-core --features ts --test ts_types
	$(CARGO) build -p inlet-core --target wasm32-unknown-unknown
	@! $(CARGO) tree -p inlet-core -e normal --prefix none | grep -E '^(tokio|rusqlite|hyper|reqwest|libsqlite3-sys|getrandom|wasm-bindgen) ' \
		|| { echo "inlet-core must stay pure (see docs/design.md §1)"; exit 1; }

bench-core:
	scripts/bench-core.sh
