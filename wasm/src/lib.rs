//! Thin wasm-bindgen face over inlet-core (filled by the WebAssembly issue).
