#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine: apt packages only when missing, the wasm
# target, CLIs pinned to exact versions, npm packages from the lock file.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # Tauri 2
  libwebkit2gtk-4.1-dev build-essential file libxdo-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev pkg-config
  # tests, screenshots, benchmarks
  xvfb xauth imagemagick webkit2gtk-driver chromium chromium-driver fonts-dejavu-core jq time wrk curl sqlite3 xdotool
  # the PostgreSQL store's tests and benchmarks (a private cluster: scripts/pg-cluster.sh)
  postgresql
)
WASM_BINDGEN_VERSION=0.2.130
TAURI_DRIVER_VERSION=2.1.0
# The tunnel program the tunnel tests run for real (a relay on loopback and its client).
BORE_VERSION=0.6.0
# The fastest jq-compatible tool: the core benchmark's second baseline (docs/design.md §10).
JAQ_VERSION=3.1.2

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing apt packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
rustup component list --installed | grep -q '^clippy' || rustup component add clippy

if ! wasm-bindgen --version 2>/dev/null | grep -q " ${WASM_BINDGEN_VERSION}\$"; then
  echo "setup: installing wasm-bindgen-cli ${WASM_BINDGEN_VERSION} (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "=${WASM_BINDGEN_VERSION}" --force
fi
# tauri-driver has no --version: ask cargo what it installed.
if ! { command -v tauri-driver >/dev/null && cargo install --list | grep -q "^tauri-driver v${TAURI_DRIVER_VERSION}:"; }; then
  echo "setup: installing tauri-driver ${TAURI_DRIVER_VERSION}"
  cargo install tauri-driver --version "=${TAURI_DRIVER_VERSION}" --locked --force
fi

if ! bore --version 2>/dev/null | grep -q " ${BORE_VERSION}\$"; then
  echo "setup: installing bore-cli ${BORE_VERSION}"
  cargo install bore-cli --version "=${BORE_VERSION}" --locked --force
fi

if ! jaq --version 2>/dev/null | grep -q " ${JAQ_VERSION}\$"; then
  echo "setup: installing jaq ${JAQ_VERSION}"
  cargo install jaq --version "=${JAQ_VERSION}" --locked --force
fi

if [ -f ui/package.json ]; then
  if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
    (cd ui && npm ci --no-audit --no-fund)
  fi
fi
