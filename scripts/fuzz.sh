#!/usr/bin/env bash
# make fuzz: each cargo-fuzz target in turn, one job, at low priority, for FUZZ_SECONDS each
# (default 600), seeded from tests/cases/ and from the saved corpus. Afterwards the run's inputs
# are merged into the saved corpus (fuzz/corpus/<target>, minimised by libFuzzer's -set_cover_merge), which
# `make test` replays on stable. A crash stops the run with its input in fuzz/artifacts/<target>/.
#   FUZZ_TARGETS="path timestamp" FUZZ_SECONDS=60 make fuzz
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.1
SECONDS_EACH=${FUZZ_SECONDS:-600}
TARGETS=${FUZZ_TARGETS:-body_reader path timestamp mapping preview}
# Safe Rust: the address sanitizer would halve the executions for little; overflow checks and
# debug assertions stay on (cargo-fuzz's default).
SANITIZER=${FUZZ_SANITIZER:-none}

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "make fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 1
fi
if [ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  cargo install cargo-fuzz --version "=$CARGO_FUZZ_VERSION"
fi

node fuzz/seed.mjs
for t in $TARGETS; do
  mkdir -p "fuzz/corpus/$t" "fuzz/work/$t"
  echo "fuzz: $t for ${SECONDS_EACH}s"
  mkdir -p "fuzz/findings/$t"
  status=0
  (cd fuzz && nice -n 19 cargo +nightly fuzz run -s "$SANITIZER" "$t" "work/$t" "corpus/$t" "findings/$t" -- \
    -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048) \
    >"fuzz/work/$t.log" 2>&1 || status=$?
  grep -E '^#[0-9]+\s+(INITED|DONE)|^(stat::|SUMMARY)|panicked|Done [0-9]+ runs' "fuzz/work/$t.log" || true
  if [ "$status" != 0 ]; then
    echo "fuzz: $t failed (exit $status); see fuzz/work/$t.log and fuzz/artifacts/$t/" >&2
    exit 1
  fi
  # Keep a minimal set of the inputs that cover what this run reached.
  rm -rf "fuzz/work/$t.merged" && mkdir "fuzz/work/$t.merged"
  (cd fuzz && nice -n 19 "target/x86_64-unknown-linux-gnu/release/$t" -set_cover_merge=1 \
    "work/$t.merged" "corpus/$t" "work/$t" >/dev/null 2>&1)
  rm -rf "fuzz/corpus/$t" && mv "fuzz/work/$t.merged" "fuzz/corpus/$t"
  echo "fuzz: $t corpus saved: $(ls "fuzz/corpus/$t" | wc -l) inputs"
done
