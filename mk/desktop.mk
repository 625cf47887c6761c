# The desktop app: the `inlet` binary with the Tauri window (feature `gui`), built in its own
# target dir so the window's dependency tree never invalidates the headless builds.
TEST_TARGETS += test-desktop
BENCH_TARGETS += bench-desktop

GUI_TARGET := target/gui
GUI_BIN := $(GUI_TARGET)/debug/inlet
GUI_RELEASE_BIN := $(GUI_TARGET)/release/inlet
DESKTOP_SOURCES := $(shell find desktop/src core/src -name '*.rs') desktop/Cargo.toml desktop/build.rs \
	desktop/tauri.conf.json $(wildcard desktop/capabilities/*.json) Cargo.lock
XVFB := xvfb-run -a -s "-screen 0 1280x860x24"

.PHONY: gui test-desktop bench-desktop run package

$(GUI_BIN): $(DESKTOP_SOURCES) ui/dist/.built
	$(CARGO) build -p inlet-desktop --features gui --target-dir $(GUI_TARGET)
	@touch $@

$(GUI_RELEASE_BIN): $(DESKTOP_SOURCES) ui/dist/.built
	$(CARGO) build -p inlet-desktop --features gui --release --target-dir $(GUI_TARGET)
	@touch $@

gui: $(GUI_BIN)

# The real window under Xvfb, driven through tauri-driver (WebKitWebDriver).
test-desktop: $(GUI_BIN)
	SCREENSHOTS=target/screenshots/desktop $(XVFB) node tests/desktop/e2e.mjs $(GUI_BIN)
	SCREENSHOTS=target/screenshots/desktop $(XVFB) node tests/desktop/postgres.mjs $(GUI_BIN)

bench-desktop: $(GUI_RELEASE_BIN)
	$(XVFB) scripts/bench-desktop.sh $(GUI_RELEASE_BIN)

# `make run`: the window when there is a display, else the headless listener (and it says so).
run: setup $(GUI_RELEASE_BIN)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		exec $(GUI_RELEASE_BIN); \
	else \
		echo "make run: no display here; starting the headless listener (inlet serve) instead."; \
		exec $(GUI_RELEASE_BIN) serve; \
	fi

# A .deb from the Tauri bundler (AppImage would download tools from the network).
DEB_DIR := $(GUI_TARGET)/release/bundle/deb
package: setup ui/dist/.built
	cd desktop && CARGO_TARGET_DIR=../$(GUI_TARGET) ../ui/node_modules/.bin/tauri build --features gui --bundles deb --ci
	@ls -1 $(DEB_DIR)/*.deb
