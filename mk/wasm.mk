# The WebAssembly core and the browser playground (ui/): build, parity with the native core,
# unit and browser tests, benchmarks. The wasm build has its own target dir (see Cargo.toml).
TEST_TARGETS += test-wasm test-ui
BENCH_TARGETS += bench-wasm

WASM_PKG := ui/src/wasm-pkg/inlet_wasm_bg.wasm
WASM_SOURCES := $(wildcard core/src/*.rs wasm/src/*.rs) core/Cargo.toml wasm/Cargo.toml Cargo.toml Cargo.lock
UI_DEPS := ui/node_modules/.package-lock.json
UI_SOURCES := $(shell find ui/src ui/public -type f -not -path 'ui/src/wasm-pkg/*' 2>/dev/null) \
	ui/index.html ui/playground.html ui/vite.config.ts ui/tsconfig.json ui/package.json
PLAYGROUND_PORT ?= 5180

.PHONY: wasm ui test-wasm test-ui bench-wasm playground

$(UI_DEPS): ui/package.json ui/package-lock.json
	cd ui && npm ci --no-audit --no-fund
	@touch $@

$(WASM_PKG): $(WASM_SOURCES) $(UI_DEPS)
	CARGO="$(CARGO)" scripts/build-wasm.sh

wasm: $(WASM_PKG)

ui/dist/.built: $(WASM_PKG) $(UI_SOURCES) $(UI_DEPS)
	cd ui && npx vite build --logLevel warn
	@touch $@

ui: ui/dist/.built

test-wasm: $(WASM_PKG)
	$(CARGO) test -p inlet-wasm
	node ui/scripts/parity.mjs

test-ui: ui/dist/.built
	cd ui && npx vitest run
	cd ui && npx svelte-check --tsconfig ./tsconfig.json --threshold error
	node ui/tests/browser/run.mjs

bench-wasm: ui/dist/.built
	node ui/scripts/bench.mjs

playground: ui/dist/.built
	node ui/scripts/serve.mjs ui/dist $(PLAYGROUND_PORT)
