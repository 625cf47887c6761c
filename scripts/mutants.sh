#!/usr/bin/env bash
# make mutants: cargo-mutants over the core's files (MUTANTS_FILES, default the planner), each
# mutant judged by the core's unit and property tests and by the golden cases. Not part of
# `make test`: about ten seconds per mutant, one at a time.
#   MUTANTS_FILES="core/src/planner.rs core/src/mapping.rs" make mutants
#
# The golden cases live in the `tests` package, whose dev-dependencies include the whole host: a
# mutant of the core would rebuild it each time. So the run is on a throwaway worktree of HEAD
# (commit what you want judged) where the golden test is also one of the core's own tests.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_MUTANTS_VERSION=27.1.0
FILES=${MUTANTS_FILES:-core/src/planner.rs}
OUT=${MUTANTS_OUT:-target/mutants}

if [ "$(cargo mutants --version 2>/dev/null)" != "cargo-mutants $CARGO_MUTANTS_VERSION" ]; then
  cargo install cargo-mutants --locked --version "=$CARGO_MUTANTS_VERSION"
fi

tree=$(mktemp -d)
trap 'git worktree remove --force "$tree" >/dev/null 2>&1 || true; rm -rf "$tree"' EXIT
git worktree add --quiet --detach "$tree" HEAD
ln -s ../tests/cases "$tree/core/cases"
cp tests/tests/golden.rs "$tree/core/tests/golden_here.rs"
# The golden test prints its diffs with `similar`, a dev-dependency of `tests` only.
sed -i 's/^proptest.workspace = true$/&\nsimilar = "2"/' "$tree/core/Cargo.toml"

args=()
for f in $FILES; do args+=(-f "$f"); done
mkdir -p "$OUT"
out=$(cd "$OUT" && pwd)
status=0
(cd "$tree" && cargo mutants "${args[@]}" -p inlet-core -j 1 --timeout 180 -o "$out") || status=$?
# cargo-mutants exits 2 when some mutant survived: each is a behaviour no test holds, or an
# equivalent mutant (a capacity hint, say); docs/testing.md lists those judged equivalent.
echo "mutants: survivors (if any) in $OUT/mutants.out/missed.txt"
exit "$status"
