//! Inlet host library.
