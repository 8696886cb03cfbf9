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
    // A store to a table made in the trace never changes a table known
    // before that allocation ran (a constant, or a reference computed
    // earlier: it named an object that already existed).
    if let (Some(st), Some(lt)) = (store_table(t, store), load_table(t, op, Ref(a))) {
        if crate::fwd::is_alloc(t, st) && (lt.is_const() || (lt.is_ins() && lt.idx() < st.idx())) {
            return false;
        }
    }
    match store.op {
        // New objects, strings, stack-only effects, GC checks.
        TNEW | TDUP | GCSTEP | RETF | FSTORE | CAT | SSUB | SCHAR | SFMT | TCONCAT | TOSTR
        | SCASE | FNEW => false,
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

/// The table a table store writes to, when known.
fn store_table(t: &Trace, store: &Ins) -> Option<Ref> {
    match store.op {
        Op::TSETNEW | Op::HSET | Op::TAPPEND | Op::TSETMETA => Some(Ref(store.a)),
        Op::HSTORE | Op::ASTORE => slot_table(t, Ref(store.a)),
        _ => None,
    }
}

/// The table a load with operand `a` reads, when known.
fn load_table(t: &Trace, op: Op, a: Ref) -> Option<Ref> {
    match op {
        Op::HREFK
        | Op::HGETS
        | Op::HGET
        | Op::TMETA
        | Op::NOMM
        | Op::TALEN
        | Op::TLEN
        | Op::NEXTK => Some(a),
        Op::HLOAD | Op::ALOAD => slot_table(t, a),
        _ => None,
    }
}

/// The table of a slot address (HREFK, AREF of a TARR, AREFZ).
fn slot_table(t: &Trace, r: Ref) -> Option<Ref> {
    let ins = t.ins_of(r)?;
    match ins.op {
        Op::HREFK | Op::AREFZ => Some(Ref(ins.a)),
        Op::AREF => {
            let arr = t.ins_of(Ref(ins.a))?;
            (arr.op == Op::TARR).then_some(Ref(arr.a))
        }
        _ => None,
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
