//! LOOP: the recorded iteration becomes a pre-roll that runs once, followed
//! by a copy of itself made by substituting each instruction's operands.
//! Copying through the emit path lets CSE map every loop-invariant
//! instruction (and guard) of the copy onto its pre-roll twin, so only the
//! varying work repeats. Slots written by the loop are carried from one
//! iteration to the next as typed values (`LREF` reads them at the top of
//! the copy); snapshots of the copy store them back on exit.
//!
//! With `fwd`, a slot that holds a table made in each iteration (a new
//! vector from `v = v + w`) is carried as the table's fields instead
//! (`Trace::vtabs`, `Trace::vcarry`): the copy's loads from the previous
//! iteration's table become those carried values, so `sink` can leave
//! both allocations to the exits (LuaJIT sinks through PHIs the same
//! way). A slot qualifies when the table is a `TNEW` that does not escape,
//! gets only constant keys, and the copy makes one of the same shape
//! (keys, field types, metatable); the copy is checked after it is made,
//! and the peeling is redone without the slots that failed.

use crate::ops::{Arg, Op, Ty};
use crate::trace::{Const, Ref, SnapEntry, Trace, VCarry, VirtTab, VSLOT_BASE};

/// Peel the loop of a closed trace (ending in LOOP). Returns false, leaving
/// the trace unchanged, when a carried slot changes type across the
/// iteration (the copy could not assume the pre-roll's types).
pub fn loop_opt(t: &mut Trace) -> bool {
    let saved = t.clone();
    if !loop_opt_virt(t) {
        return false;
    }
    // Slots carried as numbers that the copy ends as ints converted to
    // numbers (`c = b` after `b = tobit(...)`): peel again with them
    // carried as ints, the pre-roll's values guarded to be int32 values.
    // (A chain `a = d; d = c; c = b` gains one slot per round.)
    let mut ints: Vec<u32> = Vec::new();
    for _ in 0..4 {
        let more: Vec<u32> = int_ended_slots(t)
            .into_iter()
            .filter(|s| !ints.contains(s))
            .collect();
        if more.is_empty() {
            break;
        }
        ints.extend(more);
        let peeled = t.clone();
        *t = saved.clone();
        if !(narrow_carried(t, &ints) && loop_opt_virt(t)) {
            *t = peeled;
            break;
        }
    }
    true
}

/// The slots the peeled loop carries as numbers (`num LREF`) that its
/// copy ends as `TONUM` of an int.
fn int_ended_slots(t: &Trace) -> Vec<u32> {
    let Some(l) = t.loop_at else {
        return Vec::new();
    };
    let Some(snap) = t
        .ins
        .last()
        .filter(|i| i.op == Op::LOOP)
        .map(|i| i.snap as usize)
    else {
        return Vec::new();
    };
    let lref_num = |slot: u32| {
        t.ins[l..]
            .iter()
            .any(|i| i.op == Op::LREF && i.a as u32 == slot && i.ty == Ty::Num)
    };
    t.snaps[snap]
        .map
        .iter()
        .filter(|e| {
            t.ins_of(e.r)
                .is_some_and(|i| i.op == Op::TONUM && t.ty(i.ra()) == Ty::Int)
                && lref_num(e.slot)
        })
        .map(|e| e.slot)
        .collect()
}

/// Before the LOOP of an unpeeled trace, guard that the numbers slots
/// `slots` hold there are int32 values (`TOINT`, exiting at the loop
/// with the LOOP's snapshot) and make the LOOP carry the ints. False
/// (trace unchanged) when none qualifies.
fn narrow_carried(t: &mut Trace, slots: &[u32]) -> bool {
    let Some(l) = t.loop_at else { return false };
    if l + 1 != t.ins.len() || t.ins[l].op != Op::LOOP {
        return false;
    }
    let snap = t.snaps[t.ins[l].snap as usize].clone();
    let todo: Vec<usize> = (0..snap.map.len())
        .filter(|&k| {
            let r = snap.map[k].r;
            slots.contains(&snap.map[k].slot)
                && t.ty(r) == Ty::Num
                && match t.get_const(r) {
                    Some(Const::Num(x)) => x.fract() == 0.0 && x.abs() < 2147483648.0,
                    Some(_) => false,
                    None => true,
                }
        })
        .collect();
    if todo.is_empty() {
        return false;
    }
    let lp = t.ins.pop().unwrap();
    t.loop_at = None;
    let mut map = snap.map.clone();
    for k in todo {
        t.snapshot(snap.pc, snap.map.clone(), snap.frames.clone());
        map[k].r = t.emit(Op::TOINT, Ty::Int, snap.map[k].r, Ref::NONE);
    }
    t.snapshot(snap.pc, map, snap.frames.clone());
    let s = t.commit_snapshot();
    let r = t.push(Op::LOOP, Ty::Void, lp.a, lp.b);
    t.ins[r.idx()].snap = s;
    t.loop_at = Some(r.idx());
    true
}

/// `loop_opt` with tables carried as their fields where they can be.
fn loop_opt_virt(t: &mut Trace) -> bool {
    if !t.fwd || t.loop_at.is_none() {
        return peel(t, &[]).unwrap_or(false);
    }
    let l = t.loop_at.unwrap();
    let snap = t.ins[l].snap as usize;
    let mut virt: Vec<u32> = match t.snaps.get(snap) {
        Some(s) => s
            .map
            .iter()
            .filter(|e| shape(t, e.r, l).is_some())
            .map(|e| e.slot)
            .collect(),
        None => Vec::new(),
    };
    loop {
        let saved = t.clone();
        match peel(t, &virt) {
            Ok(done) => return done,
            Err(bad) => {
                *t = saved;
                virt.retain(|s| !bad.contains(s));
            }
        }
    }
}

/// The shape of table `r` if it is a `TNEW` made before `end` that does
/// not escape and gets only constant keys there: its TNEW operand, its
/// fields in first-store order (key bits, typed value last stored), its
/// metatable (`Ref::NONE`: none).
type Shape = (i32, Vec<(u64, Ref)>, Ref);
fn shape(t: &Trace, r: Ref, end: usize) -> Option<Shape> {
    let ins = t.ins_of(r)?;
    if ins.op != Op::TNEW || crate::fwd::escaped(t, r) {
        return None;
    }
    let key = |carg: i32| crate::fwd::carg_key(t, Ref(carg));
    // A stored value as a typed one (the store boxed it).
    let typed = |v: Ref| -> Option<Ref> {
        let b = t.ins_of(v)?;
        let x = Ref(b.a);
        (b.op == Op::BOX && matches!(t.ty(x), Ty::Num | Ty::Str | Ty::Tab | Ty::Func)).then_some(x)
    };
    let mut fields: Vec<(u64, Ref)> = Vec::new();
    let mut meta = Ref::NONE;
    let mut put = |k: u64, v: Ref| match fields.iter_mut().find(|f| f.0 == k) {
        Some(f) => f.1 = v,
        None => fields.push((k, v)),
    };
    for x in t.ins.iter().take(end).skip(r.idx() + 1) {
        match x.op {
            Op::TSETNEW | Op::HSET if x.a == r.0 => {
                let c = t.ins_of(Ref(x.b))?;
                put(key(x.b)?, typed(Ref(c.b))?);
            }
            Op::HSTORE => {
                let h = t.ins_of(Ref(x.a))?;
                if h.op == Op::HREFK && h.a == r.0 {
                    put(key(h.b)?, typed(Ref(x.b))?);
                }
            }
            Op::TSETMETA if x.a == r.0 => meta = Ref(x.b),
            Op::TAPPEND | Op::TARR | Op::TALEN if x.a == r.0 => return None,
            _ => {}
        }
    }
    Some((ins.a, fields, meta))
}

/// Peel with the slots `virt` carried as table fields. `Err(slots)`: the
/// copy did not keep those slots' shape (the trace is half made: the
/// caller restores it and tries without them).
fn peel(t: &mut Trace, virt: &[u32]) -> Result<bool, Vec<u32>> {
    let Some(l) = t.loop_at else { return Ok(false) };
    if l + 1 != t.ins.len() || t.ins[l].op != Op::LOOP {
        return Ok(false);
    }
    t.hoisted.clear();
    // A slot that ends the iteration as an int converted to a number
    // (`b = tobit(...)`) is carried as the int: the copy's bit operations
    // on it fold `TOBIT(TONUM(i))` to `i` (LuaJIT's PHI on the int). The
    // snapshot stores the int as the same number.
    let ls = t.ins[l].snap as usize;
    for k in 0..t.snaps[ls].map.len() {
        let r = t.snaps[ls].map[k].r;
        if let Some(i) = t
            .ins_of(r)
            .filter(|i| i.op == Op::TONUM && t.ty(i.ra()) == Ty::Int)
        {
            let x = i.ra();
            t.snaps[ls].map[k].r = x;
        }
    }
    let loop_snap = t.snaps[t.ins[l].snap as usize].clone();
    // Virtual pointer cdata carried as their address.
    let mut vptrs: Vec<VPtr> = Vec::new();
    for e in &loop_snap.map {
        if t.ty(e.r) == Ty::CRef {
            match carried_ptr(t, e.slot, e.r, l) {
                Some(v) => vptrs.push(v),
                None => return Ok(false),
            }
        }
    }
    // Carried slots: their pre-roll load type must equal their final type.
    for e in &loop_snap.map {
        let fin = t.ty(e.r);
        if fin == Ty::CRef {
            continue;
        }
        for ins in &t.ins[..l] {
            if ins.op == Op::UNBOX {
                if let Some(src) = t.ins_of(ins.ra()) {
                    // (A slot loaded as a number that ends as an int, such
                    // as a narrowed `for` counter, is carried as the int and
                    // converted back where the copy loads it: an int stands
                    // for its number exactly.)
                    let narrowed = ins.ty == Ty::Num && fin == Ty::Int;
                    if src.op == Op::SLOAD && src.a as u32 == e.slot && ins.ty != fin && !narrowed {
                        return Ok(false);
                    }
                }
            }
        }
        if matches!(fin, Ty::Val | Ty::Void) {
            return Ok(false);
        }
    }
    let carried: Vec<(u32, Ty)> = loop_snap.map.iter().map(|e| (e.slot, t.ty(e.r))).collect();
    t.loop_stores = (0..l)
        .filter(|&i| t.ins[i].op.flags().store() && t.ins[i].op != Op::LOOP)
        .collect();
    t.cse_across_loop = true;
    let saved_fold = t.fold;
    let mut map: Vec<Ref> = (0..l as i32).map(Ref).collect();
    // The carried values at the top of the copy, and their boxed forms
    // (for instructions that used the raw slot load).
    let mut lref = Vec::new();
    let mut boxed = Vec::new();
    let mut ptr_lrefs = Vec::new();
    for &(s, ty) in &carried {
        match vptrs.iter().find(|v| v.slot == s) {
            Some(v) => {
                // The address, typed as a pointer, and the cdata the
                // snapshots of the copy hold.
                let a = t.push(Op::LREF, Ty::Ptr, s as i32, 0);
                let r = t.push(Op::CREF, Ty::CRef, a.0, v.lit);
                ptr_lrefs.push((v.clone(), a, r));
                lref.push((s, r));
            }
            None => {
                let r = t.push(Op::LREF, ty, s as i32, 0);
                lref.push((s, r));
            }
        }
    }
    for &(s, r) in &lref {
        if t.ty(r) == Ty::CRef {
            continue;
        }
        let b = t.push(Op::BOX, Ty::Val, r.0, Ref::NONE.0);
        boxed.push((s, b, r));
    }
    // Tables carried as their fields: a virtual slot per field.
    let mut shapes: Vec<(u32, Ref, Shape)> = Vec::new();
    for e in &loop_snap.map {
        if virt.contains(&e.slot) {
            if let Some(sh) = shape(t, e.r, l) {
                shapes.push((e.slot, e.r, sh));
            }
        }
    }
    t.vtabs.clear();
    t.vcarry.clear();
    for (slot, pre, (size, fields, meta)) in &shapes {
        let mut vf = Vec::new();
        for &(k, v) in fields {
            let vs = VSLOT_BASE + t.vcarry.len() as u32;
            let ty = t.ty(v);
            let r = t.push(Op::LREF, ty, vs as i32, 0);
            t.vcarry.push(VCarry {
                slot: vs,
                ty,
                pre: v,
                end: Ref::NONE,
            });
            vf.push((k, r));
        }
        let lr = lref.iter().find(|x| x.0 == *slot).map(|x| x.1).unwrap();
        t.vtabs.push(VirtTab {
            slot: *slot,
            lref: lr,
            pre: *pre,
            end: Ref::NONE,
            size: *size,
            fields: vf,
            meta: *meta,
        });
    }
    let sub = |map: &Vec<Ref>, r: Ref| -> Ref {
        if r.is_ins() && r.idx() < map.len() {
            map[r.idx()]
        } else {
            r
        }
    };
    for i in 0..l {
        let ins = t.ins[i];
        let (ka, kb) = ins.op.args();
        if let Some((v, a, r)) = ptr_lrefs.iter().find(|(v, _, _)| v.chain.contains(&i)) {
            // The pre-roll's load of a carried pointer from its boxed
            // slot: the copy has it in a register.
            map[i] = if i == v.chain[4] {
                *a
            } else if Some(i) == v.cref {
                *r
            } else {
                Ref::NONE
            };
            continue;
        }
        let new = match ins.op {
            Op::NOP => Ref::NONE,
            Op::SLOAD => match boxed.iter().find(|(s, _, _)| *s == ins.a as u32) {
                Some(&(_, b, _)) => b,
                None => Ref(i as i32),
            },
            Op::UNBOX => {
                let a = sub(&map, ins.ra());
                match boxed.iter().find(|&&(_, b, _)| b == a) {
                    // A carried slot: its type is known, no guard.
                    Some(&(_, _, r)) if t.ty(r) == ins.ty => r,
                    Some(&(_, _, r)) => t.emit(Op::TONUM, Ty::Num, r, Ref::NONE),
                    None => copy_ins(t, &map, &lref, i),
                }
            }
            _ => {
                let _ = (ka, kb);
                copy_ins(t, &map, &lref, i)
            }
        };
        map[i] = new;
    }
    // The end of the copy: carried values for the next iteration.
    let end_map: Vec<SnapEntry> = loop_snap
        .map
        .iter()
        .map(|e| SnapEntry {
            slot: e.slot,
            r: sub(&map, e.r),
        })
        .collect();
    // The carried tables: the copy must have made one of the same shape,
    // and read the previous one only through its fields.
    let mut bad = Vec::new();
    for vi in 0..t.vtabs.len() {
        let v = t.vtabs[vi].clone();
        let end = end_map.iter().find(|e| e.slot == v.slot).map(|e| e.r);
        let ok = end.and_then(|end| {
            let (size, fields, meta) = shape(t, end, t.ins.len())?;
            let pre_keys: Vec<u64> = v.fields.iter().map(|f| f.0).collect();
            let end_keys: Vec<u64> = fields.iter().map(|f| f.0).collect();
            let types_agree = v
                .fields
                .iter()
                .zip(&fields)
                .all(|(a, b)| t.ty(a.1) == t.ty(b.1));
            (end.idx() > l
                && size == v.size
                && pre_keys == end_keys
                && types_agree
                && meta == v.meta
                && only_read_through_fields(t, &v))
            .then_some((end, fields))
        });
        match ok {
            Some((end, fields)) => {
                t.vtabs[vi].end = end;
                for (f, (_, r)) in v.fields.iter().zip(fields) {
                    let vs = t.ins[f.1.idx()].a as u32;
                    if let Some(c) = t.vcarry.iter_mut().find(|c| c.slot == vs) {
                        c.end = r;
                    }
                }
            }
            None => bad.push(v.slot),
        }
    }
    if !bad.is_empty() {
        return Err(bad);
    }
    t.snapshot(loop_snap.pc, end_map, loop_snap.frames.clone());
    let s = t.commit_snapshot();
    let r = t.push(Op::LOOP, Ty::Void, 0, 0);
    t.ins[r.idx()].snap = s;
    t.cse_across_loop = false;
    t.fold = saved_fold;
    t.peeled = true;
    Ok(true)
}

/// A slot carrying a virtual pointer cdata (`CREF` with `VIRTUAL_PTR`)
/// around the loop: the pre-roll loaded it from its boxed slot as
/// `SLOAD UNBOX(cdt) CDTYPE EQ(type) CDPTR XLOAD(ptr)` (`chain`, indices in
/// that order; empty if it never read the slot) and may have made the
/// virtual pointer of that load (`cref`); the copy replaces them by the
/// carried address.
#[derive(Clone, Debug)]
struct VPtr {
    slot: u32,
    lit: i32,
    chain: Vec<usize>,
    cref: Option<usize>,
}

/// The flag of a virtual pointer's type operand (`lunatrace_ffi::cdata::VIRTUAL_PTR`).
const VIRTUAL_PTR: i32 = 1 << 30;

/// Whether carried slot `slot`, ending the iteration as `end`, can carry
/// its virtual pointer as an address (see `VPtr`).
fn carried_ptr(t: &Trace, slot: u32, end: Ref, l: usize) -> Option<VPtr> {
    let e = t.ins_of(end)?;
    if e.op != Op::CREF || e.b & VIRTUAL_PTR == 0 {
        return None;
    }
    let used_by = |r: usize| -> Vec<usize> {
        (r + 1..l)
            .filter(|&j| {
                let x = &t.ins[j];
                let (ka, kb) = x.op.args();
                (ka == Arg::Ref && x.a == r as i32) || (kb == Arg::Ref && x.b == r as i32)
            })
            .collect()
    };
    let in_snap = |r: usize| {
        t.snaps
            .iter()
            .any(|s| s.map.iter().any(|m| m.r == Ref(r as i32)))
    };
    let mut v = VPtr {
        slot,
        lit: e.b,
        chain: Vec::new(),
        cref: None,
    };
    let sload = (0..l).find(|&i| t.ins[i].op == Op::SLOAD && t.ins[i].a as u32 == slot);
    let Some(sl) = sload else { return Some(v) };
    let unbox = used_by(sl);
    let [u] = unbox[..] else {
        return if unbox.is_empty() { Some(v) } else { None };
    };
    if t.ins[u].op != Op::UNBOX || t.ins[u].ty != Ty::Cdata || in_snap(u) {
        return None;
    }
    let (mut cdtype, mut cdptr) = (None, None);
    for j in used_by(u) {
        match t.ins[j].op {
            Op::CDTYPE if cdtype.is_none() => cdtype = Some(j),
            Op::CDPTR if cdptr.is_none() => cdptr = Some(j),
            _ => return None,
        }
    }
    let (c, d) = (cdtype?, cdptr?);
    // The type guard: against the pointer type the loop carries.
    let [g] = used_by(c)[..] else { return None };
    let gi = &t.ins[g];
    let want = Some(Const::Int(e.b & !VIRTUAL_PTR));
    let k = if gi.a == c as i32 { gi.b } else { gi.a };
    if gi.op != Op::EQ || t.get_const(Ref(k)) != want {
        return None;
    }
    let [x] = used_by(d)[..] else { return None };
    if t.ins[x].op != Op::XLOAD || t.ins[x].ty != Ty::Ptr || in_snap(c) || in_snap(d) {
        return None;
    }
    v.cref = used_by(x)
        .into_iter()
        .find(|&j| t.ins[j].op == Op::CREF && t.ins[j].b == e.b);
    v.chain = vec![u, c, g, d, x];
    Some(v)
}

/// Whether the copy reads carried table `v` (its `LREF`) only through its
/// fields: no store to it, no load left, only key checks of its keys,
/// unused boxed forms, and snapshots.
fn only_read_through_fields(t: &Trace, v: &VirtTab) -> bool {
    let lr = v.lref;
    if crate::fwd::escaped(t, lr) {
        return false;
    }
    let mut boxes = Vec::new();
    for (i, ins) in t.ins.iter().enumerate().skip(lr.idx() + 1) {
        if ins.op == Op::NOP {
            continue;
        }
        let uses = |r: Ref| r == lr || (r.is_ins() && boxes.contains(&r.idx()));
        let (ka, kb) = ins.op.args();
        let ua = ka == Arg::Ref && uses(Ref(ins.a));
        let ub = kb == Arg::Ref && uses(Ref(ins.b));
        if !ua && !ub {
            // A load through one of its key checks.
            if ins.op == Op::HLOAD || ins.op == Op::HSTORE {
                if let Some(h) = t.ins_of(Ref(ins.a)) {
                    if h.op == Op::HREFK && uses(Ref(h.a)) {
                        return false;
                    }
                }
            }
            continue;
        }
        match ins.op {
            Op::BOX if Ref(ins.a) == lr => boxes.push(i),
            Op::HREFK if ua && !ub => {
                let key = t
                    .ins_of(Ref(ins.b))
                    .and_then(|c| match t.get_const(Ref(c.a)) {
                        Some(Const::Val(k)) => Some(k),
                        _ => None,
                    });
                if !key.is_some_and(|k| v.fields.iter().any(|f| f.0 == k)) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    // The boxed forms must be dead (DCE removes them): nothing holds one.
    !t.snaps.iter().any(|s| {
        s.map
            .iter()
            .any(|e| e.r.is_ins() && boxes.contains(&e.r.idx()))
    })
}

/// Re-emit instruction `i` with substituted operands (guards get their
/// snapshot substituted, plus the carried slots it did not mention).
fn copy_ins(t: &mut Trace, map: &[Ref], lref: &[(u32, Ref)], i: usize) -> Ref {
    let ins = t.ins[i];
    let (ka, kb) = ins.op.args();
    let s = |r: i32| -> Ref {
        let r = Ref(r);
        if r.is_ins() && r.idx() < map.len() {
            map[r.idx()]
        } else {
            r
        }
    };
    let a = if ka == Arg::Ref { s(ins.a) } else { Ref(ins.a) };
    let b = if kb == Arg::Ref { s(ins.b) } else { Ref(ins.b) };
    if ins.op.flags().guard() && ins.snap != u32::MAX {
        let snap = t.snaps[ins.snap as usize].clone();
        let mut m: Vec<SnapEntry> = snap
            .map
            .iter()
            .map(|e| SnapEntry {
                slot: e.slot,
                r: s(e.r.0),
            })
            .collect();
        for &(slot, r) in lref {
            if !m.iter().any(|e| e.slot == slot) {
                m.push(SnapEntry { slot, r });
            }
        }
        t.snapshot(snap.pc, m, snap.frames.clone());
        let n = t.ins.len();
        let r = t.emit(ins.op, ins.ty, a, b);
        if t.ins.len() == n {
            t.hoisted.push(i);
        }
        return r;
    }
    t.emit(ins.op, ins.ty, a, b)
}
