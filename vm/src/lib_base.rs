//! The `base` library (placeholder until written).

use crate::state::Vm;

/// Register the library.
pub fn open(_vm: &mut Vm) {}
