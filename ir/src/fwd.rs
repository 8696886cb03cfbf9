//! FWD: store-to-load forwarding for tables allocated in the trace.
//!
//! A table made by `TNEW`/`TDUP` in the trace is reachable only through
//! its IR reference until it escapes (is stored somewhere, passed to a
//! call, made a metatable...). Until then no other instruction can read or
//! write it, so a load from it is the value the trace last stored under
//! that key, and its metatable is the one the trace last set (none at
//! first). Forwarding those loads lets the values flow in registers, and
//! leaves the allocation with no reader but the snapshots: `sink` can then
//! leave it to the exits.
//!
//! Called from the emit path (`Trace::emit`) when `Trace::fwd` is on:
//! - `HLOAD(HREFK(T, key))`: the value of the last store of `key` to `T`
//!   (boxed, as the load returns it);
//! - `HGETS(T, key)` (a key the recorder saw absent): that value, or nil
//!   when `T` came from `TNEW` and the key was never stored;
//! - `TMETA(T)`: the last `TSETMETA` operand, or no metatable;
//! - `NOMM(T)` of a table without metatable: nothing to check.
//!
//! A store of `T` under a key that is not a constant ends forwarding for
//! `T` (it could be any key); so does anything that may store to the
//! array part for a number key. The LOOP marker ends every walk (the
//! instructions before it are an earlier iteration's).

use crate::ops::{Op, Ty};
use crate::trace::{Const, Ref, Trace};

/// The boxed nil constant (`Trace::enc`).
fn nil_const(t: &mut Trace) -> Ref {
    let bits = t.enc.nil;
    t.konst(Const::Val(bits))
}

/// Whether `r` is a table allocated in the trace (`TNEW` or `TDUP`).
pub fn is_alloc(t: &Trace, r: Ref) -> bool {
    t.ins_of(r)
        .is_some_and(|i| matches!(i.op, Op::TNEW | Op::TDUP))
}

/// Whether `r` is a table whose contents the trace knows: an allocation,
/// or a table carried around the loop as its fields (`Trace::vtabs`).
fn is_known(t: &Trace, r: Ref) -> bool {
    is_alloc(t, r) || t.vtabs.iter().any(|v| v.lref == r)
}

/// What a table the trace knows holds under `key` before any store:
/// nothing (a new table), its template's value (a template copy whose
/// template the recorder described, `Trace::templates`), or a carried
/// field (boxed); None: unknown.
fn initial(t: &mut Trace, tab: Ref, key: u64) -> Option<Ref> {
    if let Some(v) = t.vtabs.iter().find(|v| v.lref == tab) {
        return match v.fields.iter().find(|f| f.0 == key) {
            Some(&(_, r)) => Some(t.emit(Op::BOX, Ty::Val, r, Ref::NONE)),
            None => Some(nil_const(t)),
        };
    }
    let ins = t.ins[tab.idx()];
    match ins.op {
        Op::TNEW => Some(nil_const(t)),
        Op::TDUP => {
            // A template copy: the template's value, or nil.
            let Some(Const::Ptr(p, _)) = t.get_const(Ref(ins.a)) else {
                return None;
            };
            let (_, entries) = t.templates.iter().find(|e| e.0 == p)?;
            match entries.iter().find(|e| e.0 == key) {
                Some(&(_, v)) => Some(t.konst(Const::Val(v))),
                None => Some(nil_const(t)),
            }
        }
        _ => None,
    }
}

/// The keys (boxed bits) a template copy `tab` (`TDUP`) holds from its
/// template, when the recorder described it; empty otherwise.
pub fn template_keys(t: &Trace, tab: Ref) -> Vec<u64> {
    let ins = t.ins[tab.idx()];
    if ins.op != Op::TDUP {
        return Vec::new();
    }
    let Some(Const::Ptr(p, _)) = t.get_const(Ref(ins.a)) else {
        return Vec::new();
    };
    t.templates
        .iter()
        .find(|e| e.0 == p)
        .map_or_else(Vec::new, |e| e.1.iter().map(|kv| kv.0).collect())
}

/// Whether allocation `tab` may be reached by anything but its own
/// reference among the instructions after it (see the module doc): it is
/// stored as a value, passed to a call, made a metatable, or used by an
/// instruction this analysis does not know.
pub fn escaped(t: &Trace, tab: Ref) -> bool {
    let ti = tab.idx();
    let mut boxes: Vec<usize> = Vec::new();
    for (i, ins) in t.ins.iter().enumerate().skip(ti + 1) {
        if ins.op == Op::NOP {
            continue;
        }
        let (a, b) = (Ref(ins.a), Ref(ins.b));
        let is_t = |r: Ref| r == tab || (r.is_ins() && boxes.contains(&r.idx()));
        let ops = ins.op.args();
        let uses_a = ops.0 == crate::ops::Arg::Ref && is_t(a);
        let uses_b = ops.1 == crate::ops::Arg::Ref && is_t(b);
        if !uses_a && !uses_b {
            continue;
        }
        let ok = match ins.op {
            // The table as the object operated on.
            Op::HREFK
            | Op::TSETNEW
            | Op::HSET
            | Op::HGETS
            | Op::HGET
            | Op::TMETA
            | Op::NOMM
            | Op::TALEN
            | Op::TARR
            | Op::TLEN
            | Op::TAPPEND
            | Op::NEXTK => !uses_b && a == tab,
            Op::TSETMETA => !uses_b && a == tab,
            // Identity comparisons.
            Op::EQ | Op::NE => true,
            // A boxed form: followed like the table itself.
            Op::BOX => {
                boxes.push(i);
                true
            }
            _ => false,
        };
        if !ok {
            return true;
        }
    }
    false
}

/// The constant key of a `CARG(key, _)` operand, as boxed bits.
pub(crate) fn carg_key(t: &Trace, carg: Ref) -> Option<u64> {
    let c = t.ins_of(carg)?;
    if c.op != Op::CARG {
        return None;
    }
    match t.get_const(Ref(c.a))? {
        Const::Val(bits) => Some(bits),
        _ => None,
    }
}

/// The value operand of a `CARG(_, value)`.
fn carg_val(t: &Trace, carg: Ref) -> Option<Ref> {
    let c = t.ins_of(carg)?;
    (c.op == Op::CARG).then_some(Ref(c.b))
}

/// What the walk back from the end of the trace found for `key` of `tab`.
enum Found {
    /// The boxed value last stored.
    Stored(Ref),
    /// No store since the allocation.
    Alloc,
}

/// Walk back from the end to allocation `tab` for the last store of the
/// constant key `key` (boxed bits; `is_str` for a string key, which never
/// lives in the array part). None when it cannot be known.
fn last_store(t: &Trace, tab: Ref, key: u64, is_str: bool) -> Option<Found> {
    let ti = tab.idx();
    for i in (ti + 1..t.ins.len()).rev() {
        let ins = &t.ins[i];
        let (a, b) = (Ref(ins.a), Ref(ins.b));
        match ins.op {
            Op::LOOP => return None,
            Op::TSETNEW | Op::HSET if a == tab => match carg_key(t, b) {
                Some(k) if k == key => return carg_val(t, b).map(Found::Stored),
                Some(_) => {}
                None => return None,
            },
            Op::HSTORE => {
                let r = t.ins_of(a)?;
                if r.op == Op::HREFK && Ref(r.a) == tab {
                    match carg_key(t, Ref(r.b)) {
                        Some(k) if k == key => return Some(Found::Stored(b)),
                        Some(_) => {}
                        None => return None,
                    }
                }
            }
            // May store a number key into the array part (of this table,
            // or of one this analysis cannot name).
            Op::TAPPEND | Op::ASTORE
                if !is_str && op_table(t, ins.op, a).is_none_or(|x| x == tab) =>
            {
                return None;
            }
            _ => {}
        }
    }
    Some(Found::Alloc)
}

/// The table an array store works on (TAPPEND's operand, or the TARR
/// under an ASTORE's slot address).
fn op_table(t: &Trace, op: Op, a: Ref) -> Option<Ref> {
    match op {
        Op::TAPPEND => Some(a),
        _ => {
            let aref = t.ins_of(a)?;
            match aref.op {
                Op::AREF => t.ins_of(Ref(aref.a)).map(|arr| Ref(arr.a)),
                _ => None,
            }
        }
    }
}

/// Forward `op a b` if it reads a table allocated in the trace that has
/// not escaped. Returns the reference standing for the result (for NOMM:
/// `Ref::NONE`, nothing to emit).
pub fn fwd(t: &mut Trace, op: Op, ty: Ty, a: Ref, b: Ref) -> Option<Ref> {
    match op {
        Op::HLOAD => {
            let href = *t.ins_of(a)?;
            if href.op != Op::HREFK {
                return None;
            }
            let tab = Ref(href.a);
            if !is_known(t, tab) || escaped(t, tab) {
                return None;
            }
            let key = carg_key(t, Ref(href.b))?;
            let is_str = key_is_str(t, Ref(href.b));
            match last_store(t, tab, key, is_str)? {
                Found::Stored(v) => Some(v),
                // (The recorder saw the key present: a new table has it
                // from a store; a carried one from its fields.)
                Found::Alloc => {
                    let r = initial(t, tab, key)?;
                    (t.get_const(r) != Some(Const::Val(t.enc.nil))).then_some(r)
                }
            }
        }
        Op::HGETS => {
            if !is_known(t, a) || escaped(t, a) {
                return None;
            }
            let Some(Const::Ptr(p, Ty::Str)) = t.get_const(b) else {
                return None;
            };
            let key = t.enc.box_str(p);
            match last_store(t, a, key, true)? {
                Found::Stored(v) => Some(v),
                Found::Alloc => initial(t, a, key),
            }
        }
        Op::TMETA => {
            let _ = ty;
            meta_of(t, a)
        }
        Op::NOMM => {
            let m = meta_of(t, a)?;
            match t.get_const(m) {
                Some(Const::Ptr(0, _)) => Some(Ref::NONE),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The metatable reference of allocation `tab`, if it has not escaped:
/// the last `TSETMETA` operand, or a null pointer constant.
fn meta_of(t: &mut Trace, tab: Ref) -> Option<Ref> {
    if !is_known(t, tab) || escaped(t, tab) {
        return None;
    }
    for i in (tab.idx() + 1..t.ins.len()).rev() {
        let ins = &t.ins[i];
        match ins.op {
            Op::LOOP => return None,
            Op::TSETMETA if Ref(ins.a) == tab => return Some(Ref(ins.b)),
            _ => {}
        }
    }
    match t.vtabs.iter().find(|v| v.lref == tab) {
        Some(v) if v.meta != Ref::NONE => Some(v.meta),
        _ => Some(t.konst(Const::Ptr(0, Ty::Ptr))),
    }
}

/// The boxed value `tab[key]` holds (`key`: the constant key's boxed
/// bits), when `tab` is a table the trace allocated (or carries as its
/// fields) that has not escaped and every store to it since was under a
/// constant key: the value last stored under `key`, or nil for a new
/// table that never got one. Wherever the key lives (array or hash part),
/// a raw read returns that value; the recorder uses this for keys its
/// array-slot path would read (`t[2]` after `{...}` or `t[1] = v`).
pub fn known_value(t: &mut Trace, tab: Ref, key: u64, is_str: bool) -> Option<Ref> {
    if !t.fwd || !is_known(t, tab) || escaped(t, tab) {
        return None;
    }
    match last_store(t, tab, key, is_str)? {
        Found::Stored(v) => Some(v),
        Found::Alloc => initial(t, tab, key),
    }
}

/// Whether a `CARG(key, _)`'s constant key is a string (`Trace::enc`).
fn key_is_str(t: &Trace, carg: Ref) -> bool {
    carg_key(t, carg).is_some_and(|k| t.enc.is_str(k))
}
