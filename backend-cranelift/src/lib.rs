//! Cranelift backend: lowers trace IR to native code. Filled in by the JIT
//! issue.
