# Clippy on every crate but the window (which `make test-desktop` builds and the e2e test runs):
# a warning fails the test run, so new code keeps the tree clean.
TEST_TARGETS += lint

.PHONY: lint
lint:
	$(CARGO) clippy -q -p inlet-core -p inlet-wasm -p inlet-desktop -p inlet-tests --all-targets -- -D warnings
