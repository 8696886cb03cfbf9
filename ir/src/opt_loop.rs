//! LOOP: the recorded iteration becomes a pre-roll that runs once, followed
//! by a copy of itself made by substituting each instruction's operands.
//! Copying through the emit path lets CSE map every loop-invariant
//! instruction (and guard) of the copy onto its pre-roll twin, so only the
//! varying work repeats. Slots written by the loop are carried from one
//! iteration to the next as typed values (`LREF` reads them at the top of
//! the copy); snapshots of the copy store them back on exit.

use crate::ops::{Arg, Op, Ty};
use crate::trace::{Ref, SnapEntry, Trace};

/// Peel the loop of a closed trace (ending in LOOP). Returns false, leaving
/// the trace unchanged, when a carried slot changes type across the
/// iteration (the copy could not assume the pre-roll's types).
pub fn loop_opt(t: &mut Trace) -> bool {
    let Some(l) = t.loop_at else { return false };
    if l + 1 != t.ins.len() || t.ins[l].op != Op::LOOP {
        return false;
    }
    let loop_snap = t.snaps[t.ins[l].snap as usize].clone();
    // Carried slots: their pre-roll load type must equal their final type.
    for e in &loop_snap.map {
        let fin = t.ty(e.r);
        for ins in &t.ins[..l] {
            if ins.op == Op::UNBOX {
                if let Some(src) = t.ins_of(ins.ra()) {
                    // (A slot loaded as a number that ends as an int, such
                    // as a narrowed `for` counter, is carried as the int and
                    // converted back where the copy loads it: an int stands
                    // for its number exactly.)
                    let narrowed = ins.ty == Ty::Num && fin == Ty::Int;
                    if src.op == Op::SLOAD && src.a as u32 == e.slot && ins.ty != fin && !narrowed {
                        return false;
                    }
                }
            }
        }
        if matches!(fin, Ty::Val | Ty::Void) {
            return false;
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
    for &(s, ty) in &carried {
        let r = t.push(Op::LREF, ty, s as i32, 0);
        lref.push((s, r));
    }
    for &(s, r) in &lref {
        let b = t.push(Op::BOX, Ty::Val, r.0, Ref::NONE.0);
        boxed.push((s, b, r));
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
    t.snapshot(loop_snap.pc, end_map, loop_snap.frames.clone());
    let s = t.commit_snapshot();
    let r = t.push(Op::LOOP, Ty::Void, 0, 0);
    t.ins[r.idx()].snap = s;
    t.cse_across_loop = false;
    t.fold = saved_fold;
    t.peeled = true;
    true
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
    }
    t.emit(ins.op, ins.ty, a, b)
}
