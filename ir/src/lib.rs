//! Trace IR for the Lunatrace JIT (ARCHITECTURE.md: The JIT): typed SSA instructions in one
//! array per trace, interned constants, and a snapshot per guard.
//!
//! - `ops`: the declarative op table (enum, names, operand kinds, flags).
//! - `trace`: the IR buffer of one trace — constants, instructions,
//!   snapshots — with the emit path that runs FOLD and CSE.
//! - `fold`: constant folding and algebraic simplification.
//! - `fwd`: store-to-load forwarding for tables made in the trace.
//! - `opt_loop`: loop peeling by copy-substitution (invariants hoisted by
//!   CSE against the first iteration, carried slots as loop variables).
//! - `abc`: array bounds-check elimination (covered checks, induction
//!   variables' checks hoisted out of peeled loops).
//! - `dse`: dead-store elimination (table, upvalue and C stores).
//! - `dce`: dead-code elimination.
//! - `sink`: allocation sinking (closures only snapshots hold).
//! - `dump`: the `-jdump` printer.
//! - `parse`: the dump format read back into a trace (textual IR tests).

pub mod abc;
pub mod alias;
pub mod carry;
pub mod dce;
pub mod dse;
pub mod dump;
pub mod fold;
pub mod fwd;
pub mod ops;
pub mod opt_loop;
pub mod parse;
pub mod region_loop;
pub mod sink;
pub mod trace;

pub use ops::{sload_is_typed, sload_typed, Flags, Op, Ty};
pub use trace::{CScalar, CSig, Const, Ins, Ref, SnapEntry, SnapFrame, Snapshot, Trace, ValueEnc};

/// A compiled trace's entry point for the VM: `base` points at slot 0 of
/// the trace's base frame; `ctx` at the VM's trace context. Returns the
/// exit taken as `trace id << 16 | snapshot index` (an exit may have
/// continued in other traces through link cells, see `Trace::link_cells`).
pub type TraceFn = unsafe extern "C-unwind" fn(base: *mut u64, ctx: *mut u8) -> u32;

/// A compiled trace: `entry` is what the VM calls; `link` is the code
/// address other traces' exits continue at when linked to it directly (0:
/// it cannot be).
#[derive(Clone, Copy)]
pub struct Compiled {
    pub entry: TraceFn,
    pub link: usize,
    /// Bytes of machine code (the trace's function; `maxmcode`).
    pub size: usize,
    /// Machine instructions in it, counted only for the cost report
    /// (`LUNATRACE_TRACECOUNT`; 0 otherwise).
    pub insns: usize,
}

/// Code generators (the Cranelift backend) seen from the recorder.
pub trait CodeGen {
    /// Compile a closed trace (`trace.loop_at` set) into native code.
    fn compile(&mut self, trace: &Trace, name: &str) -> Result<Compiled, String>;
    /// Compile a region of traces into one function entered like
    /// `traces[0]` (see the Cranelift backend's `lower_region`): an exit
    /// `s` of trace `i` with `jumps[i][s] = Some(k)` continues in trace
    /// `k` inside the function.
    fn compile_region(
        &mut self,
        _traces: &[&Trace],
        _jumps: &[Vec<Option<usize>>],
        _name: &str,
    ) -> Result<Compiled, String> {
        Err("regions not supported".into())
    }
    /// Drop all compiled code (jit.flush). Entry points become invalid.
    fn flush(&mut self);
    /// The generated code of the last compiled trace as text (`-jdump`),
    /// if asked for with `set_dump(true)`.
    fn last_dump(&self) -> Option<String> {
        None
    }
    /// Keep a textual dump of each compiled trace.
    fn set_dump(&mut self, _on: bool) {}
    /// Summary lines for the end of a run (cross-ISA results...).
    fn report(&self) -> Vec<String> {
        Vec::new()
    }
}
