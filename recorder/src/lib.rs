//! Trace recorder: turns interpreted bytecode into trace IR. Filled in by the
//! JIT issue.
