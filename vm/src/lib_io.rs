//! The `io` library (placeholder until written).

use crate::state::Vm;

/// Register the library.
pub fn open(_vm: &mut Vm) {}

/// Flush buffered output (called by the CLI at exit).
pub fn flush_all(_vm: &mut Vm) {}
