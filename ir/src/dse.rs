//! DSE: dead-store elimination (LuaJIT's `dse` rules of `lj_opt_mem`,
//! our code), run on the finished trace after loop peeling.
//!
//! Stores covered: `ASTORE` and `HSTORE` (the same slot address: one
//! `AREF`/`HREFK` reference), `UVSTORE` (the same upvalue object
//! reference) and `XSTORE` (the same address reference and C type).
//! For two such stores S1 before S2 to the same address:
//!
//! - **S1 is dead** when nothing between them may observe the memory S1
//!   wrote: no guard and no snapshot taken there (an exit between them
//!   would let the interpreter, or an exit that makes a sunk table from
//!   the stores before its snapshot, see memory without S1: unlike stack
//!   slots, memory is not restored from snapshots), no load that may
//!   read it (`alias::may_alias`; for upvalues also stack and vararg
//!   loads, since an open upvalue's value is a stack slot), and nothing
//!   else with an effect but plain stores (calls, helpers, allocations,
//!   appends and new keys are taken to read anything). S1 is removed.
//! - **S2 is redundant** when it stores the same value reference and
//!   nothing between them may write that memory (`alias::may_alias` of
//!   each store-like instruction against a load of the address): the
//!   memory already holds the value. Guards between are fine. S2 is
//!   removed.
//!
//! Both stay within one stretch of the trace: the LOOP marker ends the
//! search, so the pre-roll's stores never kill the copy's or the other
//! way round, and a store in the loop that the next iteration overwrites
//! stays (the loop's own exits, at least its `for` test, come between).

use crate::alias::may_alias;
use crate::ops::Op;
use crate::trace::{Ins, Ref, Trace};

/// How far back (instructions) a store looks for an earlier one.
const WINDOW: usize = 500;

/// Run DSE over the whole trace.
pub fn dse(t: &mut Trace) {
    let n = t.ins.len();
    // A snapshot describes the state before instruction `at`.
    let mut snap_at = vec![false; n + 1];
    for s in &t.snaps {
        if let Some(m) = snap_at.get_mut(s.at as usize) {
            *m = true;
        }
    }
    for j in 0..n {
        let s2 = t.ins[j];
        let Some(load) = load_of(s2.op) else {
            continue;
        };
        let addr = address(t, &s2);
        // Between an earlier store and S2 (exclusive):
        let mut exits = snap_at[j];
        let mut reads = false;
        let mut writes = false;
        for i in (j.saturating_sub(WINDOW)..j).rev() {
            let x = t.ins[i];
            if x.op == Op::LOOP {
                break;
            }
            if x.op == s2.op && address(t, &x) == addr && same_kind(&x, &s2) {
                if value(t, &x) == value(t, &s2) && !writes {
                    t.ins[j].op = Op::NOP;
                } else if !exits && !reads {
                    t.ins[i].op = Op::NOP;
                }
                break;
            }
            if x.op == Op::NOP {
                continue;
            }
            exits |= x.op.flags().guard() || snap_at[i];
            reads |= may_read(t, &x, &s2);
            writes |= x.op.flags().store() && may_alias(t, &x, load, load_operand(t, &s2));
            if exits && reads && writes {
                break;
            }
        }
    }
}

/// The load that reads what store `op` writes.
fn load_of(op: Op) -> Option<Op> {
    match op {
        Op::ASTORE => Some(Op::ALOAD),
        Op::HSTORE => Some(Op::HLOAD),
        Op::UVSTORE => Some(Op::UVLOAD),
        Op::XSTORE => Some(Op::XLOAD),
        _ => None,
    }
}

/// The operand a load of the store's memory would have (the address; for
/// XSTORE, whose operand is `CARG(address, value)`, the address).
fn load_operand(t: &Trace, s: &Ins) -> i32 {
    address(t, s).0
}

/// The address a store writes.
fn address(t: &Trace, s: &Ins) -> Ref {
    match s.op {
        Op::XSTORE => t.ins_of(s.ra()).map_or(Ref::NONE, |c| c.ra()),
        _ => s.ra(),
    }
}

/// The value a store writes.
fn value(t: &Trace, s: &Ins) -> Ref {
    match s.op {
        Op::XSTORE => t.ins_of(s.ra()).map_or(Ref::NONE, |c| c.rb()),
        _ => s.rb(),
    }
}

/// Same C type for XSTOREs (the other stores write boxed values).
fn same_kind(a: &Ins, b: &Ins) -> bool {
    a.op != Op::XSTORE || a.b == b.b
}

/// Whether `x` may read the memory store `s` writes (see the module doc).
fn may_read(t: &Trace, x: &Ins, s: &Ins) -> bool {
    let f = x.op.flags();
    if f.load() {
        if s.op == Op::UVSTORE && matches!(x.op, Op::SLOAD | Op::VLOAD) {
            return true;
        }
        return crate::alias::may_alias_load(t, s, x.op, x.a, Some(x.b));
    }
    if f.store() {
        // Plain stores write only; anything else may read.
        return !matches!(x.op, Op::ASTORE | Op::HSTORE | Op::UVSTORE | Op::XSTORE);
    }
    false
}
