#![no_main]
// The property itself is in tests/src/fuzz.rs, shared with the stable corpus replay.
libfuzzer_sys::fuzz_target!(|data: &[u8]| inlet_tests::fuzz::timestamp(data));
