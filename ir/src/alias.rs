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
    may_alias_load(t, store, op, a, None)
}

/// `may_alias`, with the load's second operand when it has one (`key`:
/// the key of an `HGETS`).
pub fn may_alias_load(t: &Trace, store: &Ins, op: Op, a: i32, key: Option<i32>) -> bool {
    use Op::*;
    if let Some(st) = store_table(t, store) {
        // A table made in the trace is none that existed before it.
        if let Some(lt) = load_table(t, op, Ref(a)) {
            if fresh_and_older(t, st, lt) || fresh_and_unreachable(t, st, lt) {
                return false;
            }
        }
        // Table stores leave upvalues, varargs and closures alone.
        if matches!(store.op, TSETNEW | TAPPEND)
            && matches!(op, UVLOAD | UVCLOSED | UVPTR | FENV | VLOAD | NVARG)
        {
            return false;
        }
    }
    match store.op {
        // New objects, strings, stack-only effects, GC checks.
        // (A guarded frame pop changes the top frame: the base frame's
        // varargs are another frame's.)
        RETG => matches!(op, NVARG | VLOAD),
        TNEW | TDUP | GCSTEP | RETF | FSTORE | RECLINK | CAT | SSUB | SCHAR | SFMT | TCONCAT
        | TOSTR | SCASE | FNEW | CONEW => false,
        ASTORE => match op {
            ALOAD => !disjoint_slots(t, Ref(store.a), Ref(a)),
            // next() skips nil values, so any value store may change it.
            HGET | TLEN | NEXTK => true,
            _ => false,
        },
        HSTORE => match op {
            HLOAD => !disjoint_slots(t, Ref(store.a), Ref(a)),
            // A value stored into an existing entry changes no lookup of
            // another key (`o.s = x` leaves `o.next`, absent or not).
            HGETS => !other_key(t, Ref(store.a), key),
            HGET | TLEN | NOMM | NEXTK => true,
            _ => false,
        },
        // An existing key's value: array or hash part, never a header.
        HSET => matches!(op, ALOAD | HLOAD | HGETS | HGET | TLEN | NOMM | NEXTK),
        UVSTORE => op == UVLOAD && !disjoint_upvals(t, Ref(store.a), Ref(a)),
        XSTORE => op == XLOAD,
        TSETMETA => matches!(op, TMETA | NOMM),
        // Growth (TSETNEW, TAPPEND), C calls, anything else: all memory.
        _ => true,
    }
}

/// The table a table store writes.
fn store_table(t: &Trace, store: &Ins) -> Option<Ref> {
    match store.op {
        Op::TSETNEW | Op::TAPPEND | Op::HSET | Op::TSETMETA => Some(Ref(store.a)),
        Op::ASTORE | Op::HSTORE => slot_table(t, Ref(store.a)),
        _ => None,
    }
}

/// The table a load of `op` with operand `a` reads.
fn load_table(t: &Trace, op: Op, a: Ref) -> Option<Ref> {
    match op {
        Op::HREFK
        | Op::TALEN
        | Op::TARR
        | Op::TMETA
        | Op::NOMM
        | Op::HGETS
        | Op::HGET
        | Op::TLEN
        | Op::NEXTK => Some(a),
        Op::HLOAD | Op::ALOAD => slot_table(t, a),
        _ => None,
    }
}

/// The table of a slot address (HREFK, AREF of its TARR).
fn slot_table(t: &Trace, p: Ref) -> Option<Ref> {
    let ins = t.ins_of(p)?;
    match ins.op {
        Op::HREFK => Some(ins.ra()),
        Op::AREF => t
            .ins_of(ins.ra())
            .filter(|b| b.op == Op::TARR)
            .map(|b| b.ra()),
        _ => None,
    }
}

/// Whether table `st` was allocated in the trace (TNEW, TDUP) after table
/// `lt` existed (a constant, or an earlier instruction's value): two
/// different tables.
fn fresh_and_older(t: &Trace, st: Ref, lt: Ref) -> bool {
    let fresh = t
        .ins_of(st)
        .is_some_and(|i| matches!(i.op, Op::TNEW | Op::TDUP));
    fresh && (lt.is_const() || (lt.is_ins() && lt.idx() < st.idx()))
}

/// Whether table `st` was allocated in the trace and never escapes it
/// (`fwd::escaped`): no other reference `lt` can be it, whatever its
/// age (a table loaded after a temporary was made is not that
/// temporary).
fn fresh_and_unreachable(t: &Trace, st: Ref, lt: Ref) -> bool {
    st != lt && crate::fwd::is_alloc(t, st) && !crate::fwd::escaped(t, st)
}

/// Whether two upvalue objects are surely different ones (hence
/// different value cells: an open upvalue is the only one of its stack
/// slot): two different constants, or two different upvalues of one
/// closure (a closure never captures one variable twice).
fn disjoint_upvals(t: &Trace, p: Ref, q: Ref) -> bool {
    if p == q {
        return false;
    }
    if let (Some(Const::Ptr(x, _)), Some(Const::Ptr(y, _))) = (t.get_const(p), t.get_const(q)) {
        return x != y;
    }
    match (t.ins_of(p), t.ins_of(q)) {
        (Some(x), Some(y)) => x.op == Op::FUVAL && y.op == Op::FUVAL && x.a == y.a && x.b != y.b,
        _ => false,
    }
}

/// Whether the hash entry `p` (an HREFK) has a constant key other than
/// the string constant `key` (an HGETS's key).
fn other_key(t: &Trace, p: Ref, key: Option<i32>) -> bool {
    let (Some((1, bits)), Some(k)) = (key_of(t, p), key) else {
        return false;
    };
    match t.get_const(Ref(k)) {
        Some(Const::Ptr(s, _)) => t.enc.payload_mask != 0 && bits != t.enc.box_str(s),
        _ => false,
    }
}

/// Whether two slot addresses (AREF or HREFK) are for different
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
        Op::AREF => match t.get_const(Ref(ins.b))? {
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
