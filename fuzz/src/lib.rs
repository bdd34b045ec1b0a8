//! Fuzz harness for partnerkb: the per-input checks live in [`checks`]
//! (shared with `tests/suite/fuzz_regressions.rs`); `run.sh` runs them.

pub mod checks;
