//! Allocation sinking: a closure made in the trace (`FNEW`) that only
//! snapshots refer to is not allocated on the trace's path; the exits that
//! need it make it (the backend calls the same helper in the exit block,
//! once per exit however many slots hold it), so a loop that makes a
//! closure and calls it inline allocates nothing.
//!
//! Tables (`TNEW`, `TDUP`) sink the same way when, after load forwarding
//! (`fwd`), nothing reads them: their only uses are stores of constant
//! keys (`TSETNEW`, `HSET`, `HSTORE` through an `HREFK` of a key stored
//! before it), setting their metatable, and key checks (`HREFK`) of keys
//! stored before. Those stores sink with the table (they are listed in
//! `Trace::sunk` too, and `-jdump` marks them `}`): an exit that holds the
//! table makes it and replays the sunk stores made before the exit, in
//! order.
//!
//! Cdata made by `ffi.new` or a ctype call (`CNEW`) sink when only their
//! member stores use them (see `sinkable_cdata`).
//!
//! A closure may sink when no instruction uses it (its upvalue reads were
//! forwarded to the frame's slots by the recorder), it is not carried
//! around the loop (the LOOP snapshots do not hold it), and no upvalues
//! are closed (`UCLOSE`) between it and a snapshot that holds it: an exit
//! then finds the same open upvalues the allocation would have found. The collection check that
//! followed the allocation (`GCSTEP`) goes with it.

use crate::ops::Op;
use crate::trace::{Ref, Trace};

/// Sink what can be sunk; the sunk instructions are listed in
/// `Trace::sunk`. Returns how many were sunk.
pub fn sink(t: &mut Trace) -> usize {
    t.sunk.clear();
    let n = t.ins.len();
    let closes: Vec<usize> = (0..n).filter(|&i| t.ins[i].op == Op::UCLOSE).collect();
    let mut used = vec![false; n];
    for ins in &t.ins {
        if ins.op == Op::NOP {
            continue;
        }
        for o in ins.ins_operands() {
            used[o] = true;
        }
    }
    for ins in t.ins.iter().filter(|i| i.op == Op::LOOP) {
        if let Some(s) = t.snaps.get(ins.snap as usize) {
            for e in &s.map {
                if e.r.is_ins() {
                    used[e.r.idx()] = true;
                }
            }
        }
    }
    // Held by a snapshot taken after upvalues were closed.
    for s in &t.snaps {
        for e in &s.map {
            if e.r.is_ins() && closes.iter().any(|&c| c > e.r.idx() && c < s.at as usize) {
                used[e.r.idx()] = true;
            }
        }
    }
    for (i, &u) in used.iter().enumerate() {
        if t.ins[i].op != Op::FNEW || u {
            continue;
        }
        t.sunk.push(i);
        drop_gc_check(t, i);
    }
    let mut tables: Vec<(usize, Vec<usize>)> = (0..n)
        .filter(|&i| matches!(t.ins[i].op, Op::TNEW | Op::TDUP))
        .filter_map(|i| sinkable_table(t, i).map(|s| (i, s)))
        .collect();
    // A table carried as its fields sinks with its twin in the other
    // half of the loop, or neither does (the loop would need the pointer
    // from one side); its reads in the copy (`LREF` and key checks) go
    // with them.
    let mut carried = Vec::new();
    for v in &t.vtabs {
        let has = |r: Ref, tables: &Vec<(usize, Vec<usize>)>| {
            r.is_ins() && tables.iter().any(|x| x.0 == r.idx())
        };
        if has(v.pre, &tables) && has(v.end, &tables) {
            carried.push(v.lref.idx());
            for (j, ins) in t.ins.iter().enumerate().skip(v.lref.idx() + 1) {
                if ins.op == Op::HREFK && ins.a == v.lref.0 {
                    carried.push(j);
                }
            }
        } else {
            tables.retain(|x| x.0 != v.pre.idx() && x.0 != v.end.idx());
        }
    }
    for (i, stores) in tables {
        t.sunk.push(i);
        drop_gc_check(t, i);
        for s in stores {
            t.sunk.push(s);
            if matches!(t.ins[s].op, Op::TSETNEW | Op::HSET) {
                drop_gc_check(t, s);
            }
        }
    }
    t.sunk.extend(carried);
    let cdata: Vec<(usize, Vec<usize>)> = (0..n)
        .filter(|&i| t.ins[i].op == Op::CNEW)
        .filter_map(|i| sinkable_cdata(t, i).map(|s| (i, s)))
        .collect();
    for (i, parts) in cdata {
        t.sunk.push(i);
        if let Some(&last) = parts.iter().filter(|&&j| t.ins[j].op == Op::XSTORE).max() {
            drop_gc_check(t, last);
        } else {
            drop_gc_check(t, i);
        }
        t.sunk.extend(parts);
    }
    t.sunk.sort_unstable();
    t.sunk.dedup();
    t.sunk
        .iter()
        .filter(|&&i| matches!(t.ins[i].op, Op::FNEW | Op::TNEW | Op::TDUP | Op::CNEW))
        .count()
}

/// The instructions that sink with cdata allocation `i` (`CNEW`), if it
/// can sink: it is not carried around the loop and its only use is its
/// payload address (`CDPTR`), used only by constant offsets (`XREF`) that
/// are only stored to (`XSTORE` of `CARG(address, value)`): the recorder
/// forwarded the loads. Snapshots may hold it (exits make it and replay
/// the stores made before them).
fn sinkable_cdata(t: &Trace, i: usize) -> Option<Vec<usize>> {
    let users = |r: usize| -> Vec<usize> {
        t.ins
            .iter()
            .enumerate()
            .skip(r + 1)
            .filter(|(_, x)| x.op != Op::NOP && x.ins_operands().any(|o| o == r))
            .map(|(j, _)| j)
            .collect()
    };
    let carried = t
        .ins
        .iter()
        .filter(|x| x.op == Op::LOOP)
        .filter_map(|x| t.snaps.get(x.snap as usize))
        .any(|s| s.map.iter().any(|e| e.r == Ref(i as i32)));
    if carried {
        return None;
    }
    let in_snap = |r: usize| {
        t.snaps
            .iter()
            .any(|s| s.map.iter().any(|e| e.r == Ref(r as i32)))
    };
    let mut parts = Vec::new();
    for d in users(i) {
        if t.ins[d].op != Op::CDPTR || in_snap(d) {
            return None;
        }
        parts.push(d);
        for x in users(d) {
            let xi = &t.ins[x];
            if xi.op != Op::XREF
                || xi.a != d as i32
                || t.get_const(Ref(xi.b)).is_none()
                || in_snap(x)
            {
                return None;
            }
            parts.push(x);
            for c in users(x) {
                let ci = &t.ins[c];
                if ci.op != Op::CARG || ci.a != x as i32 || ci.b == x as i32 {
                    return None;
                }
                parts.push(c);
                for st in users(c) {
                    if t.ins[st].op != Op::XSTORE || t.ins[st].a != c as i32 {
                        return None;
                    }
                    parts.push(st);
                }
            }
        }
    }
    Some(parts)
}

/// The collection check (`GCSTEP`) that follows allocation or store `i`
/// with nothing else storing in between: it goes with it.
fn drop_gc_check(t: &mut Trace, i: usize) {
    let n = t.ins.len();
    let mut j = i + 1;
    while j < n && (t.ins[j].op == Op::NOP || !t.ins[j].op.flags().store()) {
        j += 1;
    }
    if j < n && t.ins[j].op == Op::GCSTEP {
        t.ins[j].op = Op::NOP;
    }
}

/// The instructions that sink with table allocation `i` (its stores and
/// key checks), if it can sink: see the module doc.
fn sinkable_table(t: &Trace, i: usize) -> Option<Vec<usize>> {
    let tab = Ref(i as i32);
    if crate::fwd::escaped(t, tab) {
        return None;
    }
    // Carried around the loop: the next iteration would read it (unless
    // it reads the fields, see `Trace::vtabs`).
    let virt = t.vtabs.iter().any(|v| v.pre == tab || v.end == tab);
    for ins in t.ins.iter().filter(|x| x.op == Op::LOOP && !virt) {
        if let Some(s) = t.snaps.get(ins.snap as usize) {
            if s.map.iter().any(|e| e.r == tab) {
                return None;
            }
        }
    }
    let key = |carg: i32| crate::fwd::carg_key(t, Ref(carg));
    // (A template copy has its template's keys: `Trace::templates`.)
    let mut stored: Vec<u64> = crate::fwd::template_keys(t, tab);
    let mut out = Vec::new();
    for (j, ins) in t.ins.iter().enumerate().skip(i + 1) {
        if ins.op == Op::NOP {
            continue;
        }
        let on_tab = ins.ins_operands().any(|o| o == i);
        match ins.op {
            Op::TSETNEW | Op::HSET if ins.a == tab.0 => {
                stored.push(key(ins.b)?);
                out.push(j);
            }
            Op::TSETMETA if ins.a == tab.0 => out.push(j),
            Op::HREFK if ins.a == tab.0 => {
                // Only for keys stored before: the key check holds.
                if !stored.contains(&key(ins.b)?) {
                    return None;
                }
                out.push(j);
            }
            Op::HSTORE => {
                let href = t.ins_of(Ref(ins.a))?;
                if href.op == Op::HREFK && href.a == tab.0 {
                    out.push(j);
                } else if on_tab {
                    return None;
                }
            }
            _ if on_tab => return None,
            _ => {
                // A user of a key check other than a sunk store.
                if ins
                    .ins_operands()
                    .any(|o| t.ins[o].op == Op::HREFK && t.ins[o].a == tab.0)
                {
                    return None;
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::Ty;
    use crate::trace::{Const, Ref, SnapEntry};

    /// A closure of a constant prototype made at slot 3, a snapshot that
    /// holds it, and the collection check after it.
    fn closure_trace() -> (Trace, Ref) {
        let mut t = Trace::new(false, false);
        let p = t.konst(Const::Ptr(0x1000, Ty::Ptr));
        let parent = t.konst(Const::Ptr(0x2000, Ty::Func));
        let sref = t.emit_lit(Op::SREF, Ty::Ptr, 0, 0);
        let arg = t.emit(Op::CARG, Ty::Void, parent, sref);
        let f = t.emit(Op::FNEW, Ty::Func, p, arg);
        t.snapshot(7, vec![SnapEntry { slot: 3, r: f }], vec![]);
        t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        (t, f)
    }

    #[test]
    fn closure_only_snapshots_hold_sinks_with_its_gc_check() {
        let (mut t, f) = closure_trace();
        assert_eq!(sink(&mut t), 1);
        assert!(t.is_sunk(f));
        assert!(!t.ins.iter().any(|i| i.op == Op::GCSTEP));
    }

    #[test]
    fn closure_an_instruction_uses_stays() {
        let (mut t, f) = closure_trace();
        t.emit(Op::FPROTO, Ty::Ptr, f, Ref::NONE);
        assert_eq!(sink(&mut t), 0);
        assert!(t.ins.iter().any(|i| i.op == Op::GCSTEP));
    }

    #[test]
    fn closure_held_after_upvalues_close_stays() {
        let (mut t, f) = closure_trace();
        t.emit_lit(Op::UCLOSE, Ty::Void, 0, 0);
        t.snapshot(9, vec![SnapEntry { slot: 3, r: f }], vec![]);
        t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        assert_eq!(sink(&mut t), 0);
        // Closing after the last snapshot that holds it is harmless.
        let (mut t, f) = closure_trace();
        t.emit_lit(Op::UCLOSE, Ty::Void, 0, 0);
        assert_eq!(sink(&mut t), 1);
        assert!(t.is_sunk(f));
    }

    #[test]
    fn closure_carried_around_the_loop_stays() {
        let (mut t, f) = closure_trace();
        t.snapshot(7, vec![SnapEntry { slot: 3, r: f }], vec![]);
        t.loop_at = Some(t.ins.len());
        let snap = t.commit_snapshot();
        let l = t.push(Op::LOOP, Ty::Void, 0, 0);
        t.ins[l.idx()].snap = snap;
        assert_eq!(sink(&mut t), 0);
    }
}
