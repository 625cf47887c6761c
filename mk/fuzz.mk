# Fuzzing (cargo-fuzz, nightly): not part of `make test`, which replays the saved corpora on
# stable (tests/tests/fuzz_corpus.rs). See docs/testing.md.
.PHONY: fuzz
fuzz: setup
	scripts/fuzz.sh

# Mutation testing of the core (cargo-mutants): not part of `make test`. See docs/testing.md.
.PHONY: mutants
mutants: setup
	scripts/mutants.sh
