//! Side traces that continue in their root's loop body (regions of a
//! peeled loop root, lowered as one function by the backend's
//! `lower_region`).
//!
//! A side trace of a loop normally links back to the root's start: the
//! root's first (peeled) iteration loads and type-checks every slot it
//! reads again and recomputes the loop's invariants (table lengths,
//! metatable guards, unboxed tables) before the loop body runs. In a
//! region those traces are one function with the root, and a side trace
//! reached only through exits of the root's loop body (the body's
//! invariants are computed on every path to it) may instead jump to the
//! body's top with the loop-carried values in registers — when nothing it
//! did can have changed an invariant the body uses:
//! - no slot the invariants were loaded from is written (other than the
//!   loop-carried ones, which the jump passes); the invariants include
//!   what the pre-roll's guards the body does not repeat checked
//!   (`Trace::hoisted`);
//! - no store, when an invariant is a loaded value (array or hash slot,
//!   upvalue, C memory, `#t`);
//! - nothing that changes a table's layout (metatable, array growth, new
//!   keys) or closes upvalues, when an invariant is layout (array length
//!   or base, hash part, metatable, upvalue address);
//! - no C call, no stack store, no frame change (returns below the base,
//!   tail calls, recursion links).
//!
//! `body_reentry` decides this per trace of the region; the lowering
//! checks the types of the carried values at the jump (statically, or
//! with a guard that falls back to the root's start).
//!
//! The side traces of the pre-roll's exits (the root was recorded on a
//! rare path) may jump to the root's **mid-entry** instead (`mid_entry`,
//! `mid_reentry`; flag `midentry`, off by default): the pre-roll
//! instructions the body takes run again from the stack (their guards
//! falling back to the root's start), the carried values are loaded and
//! checked, and the body goes on — the first iteration's other work is
//! not redone.

use crate::ops::{Op, Ty};
use crate::Trace;

/// Ops that read a loaded value a store may change.
fn value_load(op: Op) -> bool {
    matches!(
        op,
        Op::ALOAD
            | Op::HLOAD
            | Op::HGETS
            | Op::HGET
            | Op::UVLOAD
            | Op::XLOAD
            | Op::TLEN
            | Op::NEXTK
            | Op::VLOAD
            | Op::COSTATUS
    )
}

/// Ops that store values (a loaded invariant may be stale after them).
fn value_store(op: Op) -> bool {
    matches!(
        op,
        Op::ASTORE
            | Op::HSTORE
            | Op::HSET
            | Op::UVSTORE
            | Op::XSTORE
            | Op::TSETNEW
            | Op::TAPPEND
            | Op::TSETMETA
    )
}

/// Ops that change a table's layout or an upvalue's address.
fn layout_change(op: Op) -> bool {
    matches!(op, Op::TSETMETA | Op::TAPPEND | Op::TSETNEW)
}

/// Ops a trace continuing in the body must not have.
fn barred(op: Op) -> bool {
    matches!(
        op,
        Op::CALLC
            | Op::SSTORE
            | Op::UCLOSE
            | Op::RETF
            | Op::RETG
            | Op::RECLINK
            | Op::FSTORE
            | Op::LOOP
    )
}

/// What the root loop's body takes from its first iteration.
struct Invariants {
    /// Slots loaded (`SLOAD`) by instructions whose values the body uses.
    slots: Vec<u32>,
    /// Some of those values are loaded values.
    values: bool,
    /// Some are layout (lengths, array bases, metatables, addresses).
    layout: bool,
    /// The loop-carried slots (the LOOP snapshot's).
    carried: Vec<u32>,
    /// Slots loaded by the bounds checks `abc` relies on (`abc_relied`):
    /// the body continues from its own values of them only.
    strict: Vec<u32>,
    /// Snapshots only guards of the body exit by.
    body_snaps: Vec<bool>,
    /// The pre-roll instructions the body takes (values, and guards it
    /// relies on) with what they are computed from, in order.
    used: Vec<usize>,
}

fn invariants(r: &Trace) -> Option<Invariants> {
    let li = r.loop_at?;
    if !r.peeled || !r.vcarry.is_empty() {
        return None;
    }
    let lsnap = &r.snaps[r.ins[li].snap as usize];
    if lsnap.map.iter().any(|e| r.is_sunk(e.r)) || r.ins.iter().any(|x| x.ty == Ty::CRef) {
        return None;
    }
    let mut used = vec![false; li];
    let mut work: Vec<usize> = Vec::new();
    let add = |i: usize, used: &mut Vec<bool>, work: &mut Vec<usize>| {
        if i < li && !used[i] {
            used[i] = true;
            work.push(i);
        }
    };
    let mut body_snaps = vec![false; r.snaps.len()];
    let mut pre_snaps = vec![false; r.snaps.len()];
    for (i, x) in r.ins.iter().enumerate() {
        if x.op.flags().guard() && (x.snap as usize) < r.snaps.len() {
            if i > li {
                body_snaps[x.snap as usize] = true;
            } else {
                pre_snaps[x.snap as usize] = true;
            }
        }
        if i > li {
            for o in x.ins_operands() {
                add(o, &mut used, &mut work);
            }
        }
    }
    for (s, snap) in r.snaps.iter().enumerate() {
        if body_snaps[s] {
            for e in &snap.map {
                if e.r.is_ins() {
                    add(e.r.idx(), &mut used, &mut work);
                }
            }
        }
    }
    // (Guards of the pre-roll the body does not repeat: it relies on
    // what they checked.)
    for &g in r.hoisted.iter().chain(&r.abc_relied) {
        add(g, &mut used, &mut work);
    }
    let close = |used: &mut Vec<bool>, work: &mut Vec<usize>| {
        while let Some(i) = work.pop() {
            for o in r.ins[i].ins_operands() {
                add(o, used, work);
            }
        }
    };
    close(&mut used, &mut work);
    // The slots under the bounds checks `abc` relies on.
    let mut strict_used = vec![false; li];
    for &g in &r.abc_relied {
        add(g, &mut strict_used, &mut work);
    }
    close(&mut strict_used, &mut work);
    let strict = (0..li)
        .filter(|&i| strict_used[i] && r.ins[i].op == Op::SLOAD)
        .map(|i| r.ins[i].a as u32)
        .collect();
    let mut inv = Invariants {
        slots: Vec::new(),
        values: false,
        layout: false,
        carried: lsnap.map.iter().map(|e| e.slot).collect(),
        strict,
        body_snaps: body_snaps
            .iter()
            .zip(&pre_snaps)
            .map(|(&b, &p)| b && !p)
            .collect(),
        used: (0..li).filter(|&i| used[i]).collect(),
    };
    for (i, x) in r.ins[..li].iter().enumerate() {
        if !used[i] {
            continue;
        }
        if x.op == Op::SLOAD {
            inv.slots.push(x.a as u32);
        } else if value_load(x.op) {
            inv.values = true;
        } else if x.op.flags().load() {
            inv.layout = true;
        }
    }
    Some(inv)
}

/// Pre-roll ops the mid-entry may run again: no effects, no allocation,
/// cheap (loads, guards, arithmetic).
fn rerunnable(op: Op) -> bool {
    use Op::*;
    matches!(
        op,
        SLOAD
            | UNBOX
            | BOX
            | ADD
            | SUB
            | MUL
            | DIV
            | MOD
            | NEG
            | MIN
            | MAX
            | TOINT
            | TONUM
            | LT
            | GE
            | LE
            | GT
            | EQ
            | NE
            | ABC
            | ABCZ
            | IADD
            | IMUL
            | ADDOV
            | SUBOV
            | MULOV
            | TOBIT
            | BNOT
            | BAND
            | BOR
            | BXOR
            | BSHL
            | BSHR
            | BSAR
            | TMETA
            | NOMM
            | TALEN
            | TARR
            | AREF
            | ALOAD
            | HREFK
            | HLOAD
            | CARG
            | UVLOAD
            | UVCLOSED
            | UVPTR
            | FPROTO
            | FENV
            | FUVAL
            | STRLEN
            | SUBLEN
    )
}

/// The mid-entry of loop root `r`: the pre-roll instructions its loop
/// body takes (values, and guards it relies on), in order, when all of
/// them can run again. A trace of the region continuing in the root may
/// jump there instead of the root's start: the instructions run again
/// from the stack as the side trace left it (their guards falling back
/// to the root's start), and the body goes on with the carried values —
/// the first iteration's other work is not redone. None when the root
/// has no mid-entry.
pub fn mid_entry(r: &Trace) -> Option<Vec<usize>> {
    if r.no_mid {
        return None;
    }
    let inv = invariants(r)?;
    inv.used
        .iter()
        .all(|&i| rerunnable(r.ins[i].op))
        .then_some(inv.used)
}

/// Per trace of a region (as `body_reentry`): whether trace `k`'s exits
/// that continue in the root may jump to the root's mid-entry
/// (`mid_entry`): reached from an exit of the root's pre-roll through
/// inlined traces only (dominated by the root's entry), with nothing
/// barred (`barred`) on the way. Stores and slot writes do not matter:
/// the mid-entry reads everything again. (Not the body's exits: their
/// traces that cannot jump to the body go to the root's start as
/// before — measured, sending them through the mid-entry too made the
/// regions of loops whose path changes every iteration, such as
/// richards' scheduler, slower.)
pub fn mid_reentry(traces: &[&Trace], jumps: &[Vec<Option<usize>>], inline: &[bool]) -> Vec<bool> {
    let n = traces.len();
    let mut ok = vec![false; n];
    if traces.first().and_then(|r| mid_entry(r)).is_none() {
        return ok;
    }
    let body = body_exits(traces[0]).unwrap_or_default();
    let parent = parents(n, jumps, inline);
    let mut seen = vec![false; n];
    let mut changed = true;
    while changed {
        changed = false;
        for k in 1..n {
            let Some((i, s)) = parent[k] else { continue };
            if seen[k] || !(i == 0 || seen[i]) {
                continue;
            }
            seen[k] = true;
            changed = true;
            let bad = traces[k]
                .ins
                .iter()
                .any(|x| barred(x.op) || x.ty == Ty::CRef);
            let pre = i != 0 || !body.get(s).copied().unwrap_or(false);
            ok[k] = !bad && pre && (i == 0 || ok[i]);
        }
    }
    ok
}

/// Per trace of a region of `n` (as `body_reentry`): the one edge into
/// it, `(trace, exit)`, when it is inlined (`inline`, not the root).
fn parents(n: usize, jumps: &[Vec<Option<usize>>], inline: &[bool]) -> Vec<Option<(usize, usize)>> {
    let mut parent = vec![None; n];
    for (i, js) in jumps.iter().enumerate() {
        for (s, k) in js.iter().enumerate() {
            if let Some(k) = *k {
                if k < n && k != 0 && inline.get(k).copied().unwrap_or(false) {
                    parent[k] = Some((i, s));
                }
            }
        }
    }
    parent
}

/// Most traces of a region that get a copy of the root (`start_copies`).
pub const MAX_START_COPIES: usize = 2;

/// Largest root (IR instructions) a region copies (`start_copies`).
pub const START_COPY_MAX_INS: usize = 400;

/// Most iterations a loop may have had left when its root was recorded
/// for a region to copy it (`start_copies`, `Trace::trips`).
pub const START_COPY_MAX_TRIPS: u32 = 16;

/// Per trace of a region (as `body_reentry`; `reenter`, `mid` and
/// `inline` its, `mid_reentry`'s and `inlined`'s results): whether trace
/// `k`'s exits that continue at the root's start jump to a copy of the
/// root lowered for it, which takes the values the exit wrote from
/// registers, typed and unchecked, where the root's start reloads and
/// checks the stack. For the outer loop's side trace that re-enters a
/// short inner loop (n-body's `j` loop, FFT's butterflies of the last
/// passes, 1-4 iterations an entry) the reloads, type checks and int
/// conversions of the pre-roll are most of the entry's cost. Only a
/// peeled `for` loop root of at most `START_COPY_MAX_INS` instructions
/// whose loop had at most `START_COPY_MAX_TRIPS` iterations left when it
/// was recorded (`Trace::trips`: LU's long inner loop ran 14% slower in
/// the region's code), with no values carried out of slots; only traces
/// reached through inlined ones from the root's exit at the loop's end
/// (the outer loop's path: other paths back to the start, branches of the
/// body, made oop's regions twice as costly to compile for nothing); at most
/// `MAX_START_COPIES` (each copy holds the root's inlined side traces
/// again). Not in a region where any trace continues in the body or the
/// mid-entry: a trace with a block of its own is reached from the copies'
/// exits too, where the root's pre-roll, whose values the body uses, did
/// not run (the verifier's "non-dominating" error).
pub fn start_copies(
    traces: &[&Trace],
    jumps: &[Vec<Option<usize>>],
    reenter: &[bool],
    mid: &[bool],
    inline: &[bool],
) -> Vec<bool> {
    let n = traces.len();
    let mut ok = vec![false; n];
    let Some(r) = traces.first() else {
        return ok;
    };
    let Some(li) = r.loop_at.filter(|_| r.peeled) else {
        return ok;
    };
    if r.no_copy
        || r.trips.is_none_or(|n| n > START_COPY_MAX_TRIPS)
        || r.ins.len() > START_COPY_MAX_INS
        || !r.vcarry.is_empty()
        || reenter.iter().chain(mid).any(|&b| b)
    {
        return ok;
    }
    // The root's exits at the loop's end: at the instruction after the
    // loop's own (a `for` loop's FORL).
    let lpc = r.snaps.get(r.ins[li].snap as usize).map(|s| s.pc);
    let at_end = |s: usize| lpc.is_some_and(|p| r.snaps.get(s).is_some_and(|x| x.pc == p + 1));
    // Reached through inlined traces from such an exit: up the chain of
    // single edges into them (at most `n` long).
    let parent = parents(n, jumps, inline);
    let from_end = |mut k: usize| {
        for _ in 0..n {
            match parent[k] {
                Some((0, s)) => return at_end(s),
                Some((i, _)) => k = i,
                None => return false,
            }
        }
        false
    };
    let mut left = MAX_START_COPIES;
    for (k, c) in ok.iter_mut().enumerate().skip(1) {
        let to_root = jumps.get(k).is_some_and(|js| js.contains(&Some(0)));
        if left > 0 && to_root && from_end(k) {
            *c = true;
            left -= 1;
        }
    }
    ok
}

/// Per snapshot of loop root `r`: whether only guards of its loop body
/// exit by it (side traces from there may continue in the body); None
/// when the body cannot be continued in at all.
pub fn body_exits(r: &Trace) -> Option<Vec<bool>> {
    invariants(r).map(|inv| inv.body_snaps)
}

/// Per trace of a region (`traces[0]` the root; `jumps[i][s] = Some(k)`:
/// exit `s` of trace `i` continues in trace `k`): whether it is lowered
/// at the one exit continuing in it rather than as a block of its own
/// (not the root, one incoming link, not a recursion link's target,
/// which moves the base).
pub fn inlined(traces: &[&Trace], jumps: &[Vec<Option<usize>>]) -> Vec<bool> {
    let mut incoming = vec![0usize; traces.len()];
    let mut by_reclink = vec![false; traces.len()];
    for (i, t) in traces.iter().enumerate() {
        let rl = t
            .ins
            .iter()
            .find(|x| x.op == Op::RECLINK)
            .map(|x| x.snap as usize);
        for (s, k) in jumps.get(i).into_iter().flatten().enumerate() {
            if let Some(k) = *k {
                incoming[k] += 1;
                by_reclink[k] |= rl == Some(s);
            }
        }
    }
    (0..traces.len())
        .map(|k| k != 0 && incoming[k] == 1 && !by_reclink[k])
        .collect()
}

/// Per trace of a region (as `inlined`; `inline` its result): whether
/// trace `k`'s exits that continue in the root may jump to the root's
/// loop body instead of its start.
pub fn body_reentry(traces: &[&Trace], jumps: &[Vec<Option<usize>>], inline: &[bool]) -> Vec<bool> {
    let n = traces.len();
    let mut ok = vec![false; n];
    let Some(inv) = traces.first().and_then(|r| invariants(r)) else {
        return ok;
    };
    // The one edge into each inlined trace.
    let parent = parents(n, jumps, inline);
    // In the loop: reached from a body exit of the root through inlined
    // traces only. Per trace: slots written and effects so far.
    let mut in_loop = vec![false; n];
    let mut slots: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut stores = vec![false; n];
    let mut layout = vec![false; n];
    let mut bad = vec![false; n];
    let mut changed = true;
    while changed {
        changed = false;
        for k in 1..n {
            if in_loop[k] {
                continue;
            }
            let Some((i, s)) = parent[k] else { continue };
            let from_body = if i == 0 {
                inv.body_snaps.get(s).copied().unwrap_or(false)
            } else {
                in_loop[i]
            };
            if !from_body {
                continue;
            }
            in_loop[k] = true;
            changed = true;
            let t = traces[k];
            let mut sl = if i == 0 { Vec::new() } else { slots[i].clone() };
            for snap in &t.snaps {
                sl.extend(snap.map.iter().map(|e| e.slot));
            }
            sl.sort_unstable();
            sl.dedup();
            slots[k] = sl;
            let (mut st, mut lay, mut b) = if i == 0 {
                (false, false, false)
            } else {
                (stores[i], layout[i], bad[i])
            };
            for x in &t.ins {
                st |= value_store(x.op);
                lay |= layout_change(x.op);
                b |= barred(x.op) || x.ty == Ty::CRef;
            }
            (stores[k], layout[k], bad[k]) = (st, lay, b);
        }
    }
    for k in 1..n {
        let stale = (inv.values && stores[k]) || (inv.layout && layout[k]);
        let slots_kept = slots[k].iter().all(|s| {
            !inv.strict.contains(s) && (!inv.slots.contains(s) || inv.carried.contains(s))
        });
        ok[k] = in_loop[k] && !bad[k] && !stale && slots_kept;
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::{
        body_reentry, inlined, mid_entry, mid_reentry, start_copies, MAX_START_COPIES,
        START_COPY_MAX_TRIPS,
    };
    use crate::parse::parse;

    /// A peeled loop over `t[i]` (slot 1 the table, slot 2 the index):
    /// the body uses the table unboxed and its array length from the
    /// first iteration.
    const ROOT: &str = "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 1
0001 >tab UNBOX 0000
0002 val SLOAD #2 #0
0003 >num UNBOX 0002
0004 int TALEN 0001
0005 >int TOINT 0003
.... SNAP [ 2=0005 ] pc 2
0006 > ABCZ 0005 0004
.... SNAP [ 2=0005 ] pc 3
0007 LOOP
0008 int LREF #2
0009 >int ADDOV 0008 [+1i]
.... SNAP [ 2=0009 ] pc 2
0010 > ABCZ 0009 0004
.... SNAP [ 2=0009 ] pc 3
0011 LOOP
";

    fn region(side: &str, parent_exit: usize) -> Vec<bool> {
        let r = parse(ROOT, false, false).unwrap();
        assert!(r.peeled);
        let s = parse(side, false, false).unwrap();
        let mut j0 = vec![None; r.snaps.len()];
        j0[parent_exit] = Some(1);
        let mut j1 = vec![None; s.snaps.len()];
        *j1.last_mut().unwrap() = Some(0);
        body_reentry(&[&r, &s], &[j0, j1], &[false, true])
    }

    #[test]
    fn a_side_trace_of_a_body_exit_writing_only_carried_slots_reenters() {
        let side = "
0000 val SLOAD #2 #0
.... SNAP [ ] pc 2
0001 >num UNBOX 0000
0002 num ADD 0001 [+2]
.... SNAP [ 2=0002 ] pc 3
0003 > EXIT
";
        // Exit 2 is the body's ABCZ; exit 1 the first iteration's.
        assert_eq!(region(side, 2), vec![false, true]);
        assert_eq!(region(side, 1), vec![false, false], "not from the body");
    }

    #[test]
    fn writing_an_invariant_slot_or_storing_bars_reentry() {
        let writes_table_slot = "
0000 val SLOAD #2 #0
.... SNAP [ 1=[+1] ] pc 3
0001 > EXIT
";
        assert_eq!(region(writes_table_slot, 2), vec![false, false]);
        let appends = "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 2
0001 >tab UNBOX 0000
0002 > TAPPEND 0001 [+1]
.... SNAP [ ] pc 3
0003 > EXIT
";
        assert_eq!(region(appends, 2), vec![false, false], "layout changed");
        let writes_other = "
0000 val SLOAD #2 #0
.... SNAP [ 5=[+1] ] pc 3
0001 > EXIT
";
        assert_eq!(region(writes_other, 2), vec![false, true]);
    }

    /// The mid-entry: the pre-roll instructions the body takes, in order
    /// (the table, its unboxing, its array length, the carried index's
    /// load its LREF stands for; the pre-roll bounds check `abc` relies
    /// on when it does).
    #[test]
    fn the_mid_entry_runs_the_invariants_again() {
        let r = parse(ROOT, false, false).unwrap();
        assert_eq!(mid_entry(&r), Some(vec![0, 1, 2, 3, 4, 5]));
        let mut r = parse(ROOT, false, false).unwrap();
        r.abc_relied = vec![6];
        assert_eq!(mid_entry(&r), Some(vec![0, 1, 2, 3, 4, 5, 6]));
        // (An instruction it cannot run again: no mid-entry.)
        let calls = ROOT.replace("0004 int TALEN 0001", "0004 int STRLEN 0001");
        let r = parse(&calls, false, false).unwrap();
        assert!(mid_entry(&r).is_some());
        let pow = ROOT.replace("0004 int TALEN 0001", "0004 num POW 0003 0003");
        let r = parse(&pow, false, false).unwrap();
        assert_eq!(mid_entry(&r), None);
    }

    /// Side traces of the pre-roll's exits may continue through the
    /// mid-entry, even writing an invariant's slot or storing, but not
    /// with a C call or a frame change on the way; those of the body's
    /// exits do not.
    #[test]
    fn side_traces_of_pre_roll_exits_use_the_mid_entry() {
        let r = parse(ROOT, false, false).unwrap();
        let run = |side: &str, parent_exit: usize| {
            let s = parse(side, false, false).unwrap();
            let mut j0 = vec![None; r.snaps.len()];
            j0[parent_exit] = Some(1);
            let mut j1 = vec![None; s.snaps.len()];
            *j1.last_mut().unwrap() = Some(0);
            mid_reentry(&[&r, &s], &[j0, j1], &[false, true])
        };
        let writes_table_slot = "
0000 val SLOAD #2 #0
.... SNAP [ 1=[+1] ] pc 3
0001 > EXIT
";
        // Exit 1 is the pre-roll's ABCZ; exit 2 the body's.
        assert_eq!(run(writes_table_slot, 1), vec![false, true]);
        assert_eq!(run(writes_table_slot, 2), vec![false, false], "a body exit");
        let returns = "
0000 val SLOAD #2 #0
.... SNAP [ ] pc 3
0001 RETF #2
.... SNAP [ ] pc 3
0002 > EXIT
";
        assert_eq!(run(returns, 1), vec![false, false]);
    }

    /// A `for` loop root (its FORL at pc 5): the exits at pc 6 leave the
    /// loop (the pre-roll's first, the body's second `LE`).
    const FOR_ROOT: &str = "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 5
0001 >num UNBOX 0000
0002 >int TOINT 0001
0003 >int ADDOV 0002 [+1i]
.... SNAP [ 1=0003 ] pc 6
0004 > LE 0003 [+10i]
.... SNAP [ 1=0003 ] pc 5
0005 LOOP
0006 int LREF #1
0007 >int ADDOV 0006 [+1i]
.... SNAP [ 1=0007 ] pc 6
0008 > LE 0007 [+10i]
.... SNAP [ 1=0007 ] pc 5
0009 LOOP
";

    /// An outer loop's side trace: back at the inner loop's start.
    const OUTER: &str = "
0000 val SLOAD #2 #0
.... SNAP [ ] pc 7
0001 >num UNBOX 0000
0002 num ADD 0001 [+1]
.... SNAP [ 1=[+0] 2=0002 ] pc 5
0003 > EXIT
";

    /// Side traces `sides` of root exits `from` (each ending at the
    /// root's start), or of each other's first exit (`Err(k)`: of trace
    /// `k`'s): which get a copy of the root.
    fn copies(sides: &[Result<usize, usize>]) -> Vec<bool> {
        let mut r = parse(FOR_ROOT, false, false).unwrap();
        r.trips = Some(4);
        let s = parse(OUTER, false, false).unwrap();
        let mut traces = vec![&r];
        let mut jumps = vec![vec![None; r.snaps.len()]];
        for (k, from) in sides.iter().enumerate() {
            traces.push(&s);
            let mut js = vec![None; s.snaps.len()];
            *js.last_mut().unwrap() = Some(0);
            jumps.push(js);
            match *from {
                Ok(e) => jumps[0][e] = Some(k + 1),
                Err(p) => jumps[p][0] = Some(k + 1),
            }
        }
        let n = traces.len();
        let inline = inlined(&traces, &jumps);
        start_copies(&traces, &jumps, &vec![false; n], &vec![false; n], &inline)
    }

    /// The outer loop's side traces (from the exits that leave the
    /// loop, also through another trace) get copies; others, and past
    /// `MAX_START_COPIES`, do not.
    #[test]
    fn side_traces_from_the_loops_end_get_copies_of_the_root() {
        assert_eq!(copies(&[Ok(3)]), vec![false, true], "the body's end");
        assert_eq!(copies(&[Ok(1)]), vec![false, true], "the pre-roll's end");
        assert_eq!(copies(&[Ok(0)]), vec![false, false], "a type guard");
        assert_eq!(
            copies(&[Ok(3), Err(1)]),
            vec![false, true, true],
            "through another trace"
        );
        assert_eq!(
            copies(&[Ok(0), Err(1)]),
            vec![false, false, false],
            "through another trace"
        );
        assert_eq!(MAX_START_COPIES, 2);
        assert_eq!(
            copies(&[Ok(3), Ok(1), Err(1)]),
            vec![false, true, true, false],
            "at most two"
        );
        // Not where a trace continues in the body.
        let mut r = parse(FOR_ROOT, false, false).unwrap();
        r.trips = Some(4);
        let s = parse(OUTER, false, false).unwrap();
        let mut j0 = vec![None; r.snaps.len()];
        j0[3] = Some(1);
        j0[2] = Some(2);
        let mut j1 = vec![None; s.snaps.len()];
        *j1.last_mut().unwrap() = Some(0);
        let jumps = vec![j0, j1.clone(), j1];
        let inline = inlined(&[&r, &s, &s], &jumps);
        let body = [false, false, true];
        let none = start_copies(&[&r, &s, &s], &jumps, &body, &[false; 3], &inline);
        assert_eq!(none, vec![false; 3], "with body re-entry");
        let some = start_copies(&[&r, &s, &s], &jumps, &[false; 3], &[false; 3], &inline);
        assert_eq!(some, vec![false, true, false], "without");
        // Nor for a long loop (or one of unknown length).
        for trips in [Some(START_COPY_MAX_TRIPS + 1), None] {
            r.trips = trips;
            let none = start_copies(&[&r, &s, &s], &jumps, &[false; 3], &[false; 3], &inline);
            assert_eq!(none, vec![false; 3], "{:?} iterations", trips);
        }
        // A root that is not a peeled loop: none.
        let r = parse(OUTER, false, false).unwrap();
        let j = vec![vec![Some(1)], vec![Some(0)]];
        let inline = inlined(&[&r, &r], &j);
        let none = start_copies(&[&r, &r], &j, &[false; 2], &[false; 2], &inline);
        assert_eq!(none, vec![false, false]);
    }
}
