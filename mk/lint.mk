# Formatting (rustfmt, Prettier over ui/) on the whole tree, then clippy on every crate but the
# window (which `make test-desktop` builds and the e2e test runs): a warning or an unformatted file
# fails the test run, so new code keeps the tree clean. The readers' side-by-side example (which
# `make bench-core` runs) is linted with its feature, so that it cannot rot between benchmarks.
# `make fmt` formats everything.
TEST_TARGETS += lint

.PHONY: lint fmt
lint: ui/node_modules/.package-lock.json
	$(CARGO) fmt --all --check
	cd ui && npx prettier --check --log-level warn .
	$(CARGO) clippy -q -p inlet-core -p inlet-wasm -p inlet-desktop -p inlet-tests --all-targets -- -D warnings
	$(CARGO) clippy -q -p inlet-core --example parsers --features compare-parsers -- -D warnings

fmt: ui/node_modules/.package-lock.json
	$(CARGO) fmt --all
	cd ui && npx prettier --write --log-level warn .
