//! Trace IR for the Lunatrace JIT: typed SSA ops, constants, snapshots and
//! the optimisation passes over them. Filled in by the JIT issue.
