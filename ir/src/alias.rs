//! Alias analysis for CSE of loads: whether a store-like instruction may
//! change what a load reads. Loads are reused across instructions that
//! cannot (LuaJIT's `opt_mem` rules, reduced to what the recorder emits):
//! array slots and hash entries are disjoint memory, table headers only
//! change when a table grows or gets a metatable, allocations and string
//! operations write no existing object, and slots of different constant
//! keys never overlap.

use crate::ops::Op;
use crate::trace::{Const, Ins, Ref, Trace};

/// Whether `store` (an instruction with the store flag) may change the
/// memory read by a load `op` with operand `a`.
pub fn may_alias(t: &Trace, store: &Ins, op: Op, a: i32) -> bool {
    use Op::*;
    match store.op {
        // New objects, strings, stack-only effects, GC checks.
        TNEW | TDUP | GCSTEP | RETF | FSTORE | RECLINK | CAT | SSUB | SCHAR | SFMT | TCONCAT
        | TOSTR | SCASE | FNEW => false,
        ASTORE => match op {
            ALOAD => !disjoint_slots(t, Ref(store.a), Ref(a)),
            // next() skips nil values, so any value store may change it.
            HGET | TLEN | NEXTK => true,
            _ => false,
        },
        HSTORE => match op {
            HLOAD => !disjoint_slots(t, Ref(store.a), Ref(a)),
            HGETS | HGET | TLEN | NOMM | NEXTK => true,
            _ => false,
        },
        // An existing key's value: array or hash part, never a header.
        HSET => matches!(op, ALOAD | HLOAD | HGETS | HGET | TLEN | NOMM | NEXTK),
        UVSTORE => op == UVLOAD,
        XSTORE => op == XLOAD,
        TSETMETA => matches!(op, TMETA | NOMM),
        // Growth (TSETNEW, TAPPEND), C calls, anything else: all memory.
        _ => true,
    }
}

/// Whether two slot addresses (AREF/AREFZ or HREFK) are for different
/// constant keys, hence different memory whatever the tables.
fn disjoint_slots(t: &Trace, p: Ref, q: Ref) -> bool {
    match (key_of(t, p), key_of(t, q)) {
        (Some(x), Some(y)) => x != y,
        _ => false,
    }
}

/// The constant key of a slot address, as comparable bits.
fn key_of(t: &Trace, r: Ref) -> Option<(u8, u64)> {
    let ins = t.ins_of(r)?;
    match ins.op {
        Op::AREF | Op::AREFZ => match t.get_const(Ref(ins.b))? {
            Const::Int(k) => Some((0, k as u64)),
            _ => None,
        },
        Op::HREFK => {
            let carg = t.ins_of(Ref(ins.b))?;
            match t.get_const(Ref(carg.a))? {
                Const::Val(bits) => Some((1, bits)),
                _ => None,
            }
        }
        _ => None,
    }
}
