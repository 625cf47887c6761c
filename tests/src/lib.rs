//! Helpers shared by the black-box tests.

pub mod fuzz;
