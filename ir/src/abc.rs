//! ABC: array bounds-check elimination (LuaJIT's `abc`, our rules), and
//! the overflow checks of the same induction variables.
//!
//! `ABC(k, n)` guards `1 <= k <= n` and `ABCZ(k, n)` guards `0 <= k <= n`
//! (`n` an array part's length, `TALEN`, or another length). The rules
//! run on the finished trace after loop peeling:
//!
//! - **Covered checks.** A check is dropped when an earlier one against
//!   the same length reference already proves it: the same index (an
//!   `ABC` covers a later `ABC` or `ABCZ` of it), or a constant index at
//!   most an earlier checked constant (or 1 after any `ABC`). A larger
//!   constant checked later widens the earlier check instead (it fails
//!   only where the later one would, the length being one SSA value), so
//!   `t[1] t[2] t[3]` keep one check. Everything before an instruction
//!   runs before it, pre-roll included, so this needs no loop reasoning.
//! - **Induction variables.** In a peeled loop, a check in the copy of
//!   `x + c` (`x` itself, or `ADDOV(x, c)`) against a loop-invariant
//!   length (defined before the LOOP marker: CSE reused the pre-roll's
//!   `TALEN` only when no store in the loop may resize the table, see
//!   `alias`), where
//!   - `x = ADDOV(LREF s, k)`, the step `k` loop-invariant with a known
//!     sign (a nonzero constant, or a value a pre-roll guard keeps on one
//!     side of 0, as `for` loops with a variable step have), and the copy
//!     ends with `x` in carried slot `s` (a narrowed `for` counter),
//!   - a guard in the copy before the check bounds `x` by a
//!     loop-invariant `stop` in the step's direction (`x <= stop` for
//!     `k >= 0`, `x >= stop` for `k <= 0`),
//!   - the pre-roll checks `x0 + c` against the same length with the same
//!     op (`x0`: slot `s` at the first LOOP),
//!
//!   is replaced by one check of `stop + c` against the length in the
//!   pre-roll, right after that check (sharing its snapshot). Then every
//!   iteration's index lies between `x0 + c` (checked) and `stop + c`
//!   (checked): `x` moves monotonically from `x0` without overflow
//!   (`ADDOV`; a zero step keeps it at `x0`) and never passes `stop`.
//!   The new check fails where the old ones would not when the loop
//!   leaves the array part before its limit, so it is made only when the
//!   limit was in bounds while recording (`Trace::seen`: LuaJIT decides
//!   by the recorded limit too); a limit out of bounds keeps the check in
//!   the loop, whose exit then comes at the first index out of bounds.
//!
//! - **Masked indexes.** `ABCZ(BAND(x, m), n)` with a constant `m >= 0`:
//!   the index lies in `0..=m` whatever `x` is, so the check becomes
//!   `ABCZ(m, n)`, a constant check the covered-checks rule then merges
//!   with the others of `n` (in a peeled loop, the copy's goes: the
//!   pre-roll checked the same constant against the same length). Life's
//!   `row[(x + 1) % W]` with `W` a power of two narrows to such a mask.
//!   The new check fails where the old one would not when the length is
//!   below `m`, so it is made only when the length was at least `m` while
//!   recording (`Trace::seen`).
//!
//! Anything else (unpeeled loops, unknown lengths or limits, a length the
//! loop may change) keeps its checks.
//!
//! - **Overflow-free counters.** The same induction variables: in the
//!   copy, `x = ADDOV(LREF s, k)` becomes a plain `IADD` when the copy
//!   guards `x <= stop` (`>=` going down) for a loop-invariant `stop`, the
//!   pre-roll guards the value `x0` it leaves in `s` the same way, and
//!   `stop + k` cannot overflow: a constant `k` with a constant `stop` or a
//!   pre-roll guard `stop <= K` where `K + k <= INT_MAX`, or any `k` with
//!   a pre-roll guard `stop <= SUBOV(INT_MAX, k)` (mirrored going down;
//!   the recorder makes these guards for a narrowed `for` loop). Each
//!   iteration starts with `LREF s <= stop` (`x0`'s guard, then the
//!   previous iteration's), so `LREF s + k <= stop + k` fits. This runs
//!   after the rules above, which read the `ADDOV`.

use crate::ops::{Op, Ty};
use crate::trace::{Const, Ins, Ref, Trace};

/// Run the rules.
pub fn abc(t: &mut Trace) {
    t.abc_relied.clear();
    widen_masked(t);
    hoist_iv_checks(t);
    drop_covered(t);
    free_counters(t);
}

/// Whether `op` is a bounds check, and its lowest valid index.
fn check_lo(op: Op) -> Option<i32> {
    match op {
        Op::ABC => Some(1),
        Op::ABCZ => Some(0),
        _ => None,
    }
}

/// The int constant behind `r`.
fn kint(t: &Trace, r: Ref) -> Option<i32> {
    match t.get_const(r) {
        Some(Const::Int(k)) => Some(k),
        _ => None,
    }
}

/// The covered-checks rule (see the module doc).
fn drop_covered(t: &mut Trace) {
    let checks: Vec<usize> = (0..t.ins.len())
        .filter(|&i| check_lo(t.ins[i].op).is_some())
        .collect();
    for (n, &j) in checks.iter().enumerate() {
        let cj = t.ins[j];
        let Some(lo_j) = check_lo(cj.op) else {
            continue;
        };
        let kj = kint(t, cj.ra());
        for &i in checks[..n].iter().rev() {
            let ci = t.ins[i];
            let Some(lo_i) = check_lo(ci.op) else {
                continue;
            };
            if ci.b != cj.b {
                continue;
            }
            let relied = |t: &mut Trace| {
                if t.loop_at.is_some_and(|l| i < l && j > l) {
                    t.abc_relied.push(i);
                }
            };
            // The same index: ABC covers both, ABCZ only ABCZ.
            if ci.a == cj.a && lo_i >= lo_j {
                t.ins[j].op = Op::NOP;
                relied(t);
                break;
            }
            let Some(kj) = kj else {
                continue;
            };
            if kj < lo_j {
                // Always fails: keep it.
                break;
            }
            // What the earlier check proves about the length: n >= its
            // constant, or n >= 1 after an ABC of anything.
            let proven = kint(t, ci.ra()).or((lo_i == 1).then_some(1));
            match proven {
                Some(ki) if kj <= ki => {
                    t.ins[j].op = Op::NOP;
                    relied(t);
                    break;
                }
                Some(ki) if kint(t, ci.ra()) == Some(ki) && ki >= lo_i => {
                    // Widen the earlier constant check (its op keeps its
                    // lower bound, which kj >= lo_j meets or exceeds: a
                    // valid ABC index is a valid ABCZ index, and widening
                    // an ABCZ to kj >= 0 checks what ABC(kj) does).
                    t.ins[i].a = t.kint(kj).0;
                    t.ins[j].op = Op::NOP;
                    relied(t);
                    break;
                }
                _ => {}
            }
        }
    }
}

/// The masked-indexes rule (see the module doc).
fn widen_masked(t: &mut Trace) {
    for j in 0..t.ins.len() {
        let c = t.ins[j];
        if c.op != Op::ABCZ {
            continue;
        }
        let Some(k) = t.ins_of(c.ra()).filter(|k| k.op == Op::BAND) else {
            continue;
        };
        let Some(m) = kint(t, k.ra()).or_else(|| kint(t, k.rb())) else {
            continue;
        };
        if m >= 0 && t.seen_value(c.rb()).is_some_and(|n| n >= m) {
            t.ins[j].a = t.kint(m).0;
        }
    }
}

/// `r` as `x + c`: `ADDOV(x, c)` with an int constant `c`, else `(r, 0)`.
fn split_offset(t: &Trace, r: Ref) -> (Ref, i32) {
    if let Some(i) = t.ins_of(r) {
        if i.op == Op::ADDOV {
            if let Some(c) = kint(t, i.ra()) {
                return (i.rb(), c);
            }
            if let Some(c) = kint(t, i.rb()) {
                return (i.ra(), c);
            }
        }
    }
    (r, 0)
}

/// Whether `r` is `x + c` (`x` itself for `c = 0`).
fn is_offset(t: &Trace, r: Ref, x: Ref, c: i32) -> bool {
    if c == 0 {
        r == x
    } else {
        split_offset(t, r) == (x, c)
    }
}

/// Whether `x` is an induction variable of the copy: `ADDOV(LREF s, k)`
/// (an int slot `s`; a step `k` of known sign: a nonzero constant, or a
/// loop-invariant value a pre-roll guard bounds, see `step_sign`) that the
/// copy leaves in `s` (`last`: the final LOOP's snapshot). Returns `s`
/// and whether `x` goes up (never down) or down (never up).
fn iv_of(t: &Trace, l: usize, last: &crate::trace::Snapshot, x: Ref) -> Option<(u32, bool)> {
    let xi = t.ins_of(x).filter(|i| i.op == Op::ADDOV && x.idx() > l)?;
    let is_lref = |r: Ref| {
        t.ins_of(r)
            .is_some_and(|i| i.op == Op::LREF && i.ty == Ty::Int)
    };
    let (prev, k) = if is_lref(xi.ra()) {
        (xi.ra(), xi.rb())
    } else {
        (xi.rb(), xi.ra())
    };
    if !is_lref(prev) || !invariant(k, l) {
        return None;
    }
    let up = step_sign(t, k, l)?;
    let slot = t.ins[prev.idx()].a as u32;
    let carried = last.map.iter().any(|e| e.slot == slot && e.r == x);
    carried.then_some((slot, up))
}

/// The sign of a loop-invariant step: true when it is >= 0, false when
/// <= 0 (a constant, or `v` or `TOINT(v)` with a pre-roll guard comparing
/// `v` against a constant on one side of 0; `for` loops with a variable
/// step guard its direction so). None when unknown or a constant 0.
fn step_sign(t: &Trace, k: Ref, l: usize) -> Option<bool> {
    if let Some(c) = kint(t, k) {
        return (c != 0).then_some(c > 0);
    }
    let v = match t.ins_of(k) {
        Some(i) if i.op == Op::TOINT => i.ra(),
        _ => k,
    };
    let num = |r: Ref| -> Option<f64> {
        match t.get_const(r)? {
            Const::Int(c) => Some(c as f64),
            Const::Num(c) => Some(c),
            _ => None,
        }
    };
    // (A NaN passes GE/GT guards, but TOINT(NaN) exits: no int step is
    // one; an int `v` is no NaN.)
    t.ins[..l].iter().find_map(|g| {
        let (a, b) = (g.ra(), g.rb());
        // v >= c (or v > c) with c >= 0; v <= c (or v < c) with c <= 0.
        let (lower, upper) = match g.op {
            Op::GE | Op::GT => (b, a),
            Op::LE | Op::LT => (a, b),
            _ => return None,
        };
        if upper == v {
            num(lower).filter(|&c| c >= 0.0).map(|_| true)
        } else if lower == v {
            num(upper).filter(|&c| c <= 0.0).map(|_| false)
        } else {
            None
        }
    })
}

/// A value the loop copy does not change: a constant or an instruction
/// before the LOOP marker.
fn invariant(r: Ref, l: usize) -> bool {
    r.is_const() || (r.is_ins() && r.idx() < l)
}

/// A peeled loop with a copy: its LOOP marker and its final LOOP.
fn peeled_loop(t: &Trace) -> Option<(usize, usize)> {
    let l = t.loop_at?;
    let closed = t.ins.last().map(|i| i.op) == Some(Op::LOOP);
    (t.peeled && closed && l + 1 < t.ins.len()).then(|| (l, t.ins.len() - 1))
}

/// One check to hoist: the pre-roll check it follows, the bound `stop`
/// and offset, the length, the op; and the copy's check it replaces.
struct Hoist {
    after: usize,
    stop: Ref,
    c: i32,
    len: Ref,
    op: Op,
    copy: usize,
}

/// The induction-variable rule (see the module doc).
fn hoist_iv_checks(t: &mut Trace) {
    let Some((l, end)) = peeled_loop(t) else {
        return;
    };
    let first = &t.snaps[t.ins[l].snap as usize];
    let last = &t.snaps[t.ins[end].snap as usize];
    let slot_val =
        |s: &crate::trace::Snapshot, slot: u32| s.map.iter().find(|e| e.slot == slot).map(|e| e.r);
    let mut hoists: Vec<Hoist> = Vec::new();
    for j in l + 1..end {
        let cj = t.ins[j];
        if check_lo(cj.op).is_none() || !invariant(cj.rb(), l) {
            continue;
        }
        let len = cj.rb();
        let found = [(cj.ra(), 0), split_offset(t, cj.ra())]
            .into_iter()
            .find_map(|(x, c)| iv_of(t, l, last, x).map(|(slot, up)| (x, c, slot, up)));
        let Some((x, c, slot, up)) = found else {
            continue;
        };
        let Some(x0) = slot_val(first, slot) else {
            continue;
        };
        let Some(stop) = bound_guard(t, l + 1, j, x, up) else {
            continue;
        };
        // The pre-roll's check of x0 + c.
        let twin = (0..l).find(|&p| {
            let ci = t.ins[p];
            ci.op == cj.op && ci.rb() == len && is_offset(t, ci.ra(), x0, c)
        });
        let Some(after) = twin else { continue };
        // Within bounds while recording (see the module doc).
        let lo = check_lo(cj.op).unwrap_or(1);
        let in_bounds = match (t.seen_value(stop), t.seen_value(len)) {
            (Some(s), Some(n)) => s.checked_add(c).is_some_and(|b| b >= lo && b <= n),
            _ => false,
        };
        // Its operands must be there before the pre-roll's check (a
        // constant limit plus the offset: in bounds, so no overflow).
        let defined = |r: Ref| r.is_const() || r.idx() < after;
        let folds = kint(t, stop).is_none_or(|s| s.checked_add(c).is_some());
        if !in_bounds || !defined(stop) || !defined(len) || !folds {
            continue;
        }
        hoists.push(Hoist {
            after,
            stop,
            c,
            len,
            op: cj.op,
            copy: j,
        });
    }
    for h in &hoists {
        t.ins[h.copy].op = Op::NOP;
    }
    // Insert from the last position down, so earlier positions hold.
    hoists.sort_by_key(|h| std::cmp::Reverse(h.after));
    let mut made: Vec<(Ref, i32, Ref, Op)> = Vec::new();
    for h in hoists {
        if made
            .iter()
            .any(|m| (m.0, m.1, m.2, m.3) == (h.stop, h.c, h.len, h.op))
        {
            continue;
        }
        made.push((h.stop, h.c, h.len, h.op));
        t.abc_relied.push(h.after);
        let snap = t.ins[h.after].snap;
        let mut at = h.after + 1;
        let bound = if h.c == 0 {
            h.stop
        } else if let Some(s) = kint(t, h.stop) {
            // (Checked not to overflow above.)
            t.kint(s.wrapping_add(h.c))
        } else {
            let kc = t.kint(h.c);
            let r = t.insert(
                at,
                Ins {
                    op: Op::ADDOV,
                    ty: Ty::Int,
                    a: kc.0,
                    b: h.stop.0,
                    snap,
                },
            );
            at += 1;
            r
        };
        // (stop and len come before `after`: not moved by the inserts.)
        let len = h.len;
        t.insert(
            at,
            Ins {
                op: h.op,
                ty: Ty::Void,
                a: bound.0,
                b: len.0,
                snap,
            },
        );
        t.abc_relied.push(at);
    }
}

/// The overflow-free counters rule (see the module doc).
fn free_counters(t: &mut Trace) {
    let Some((l, end)) = peeled_loop(t) else {
        return;
    };
    let first = &t.snaps[t.ins[l].snap as usize];
    let last = &t.snaps[t.ins[end].snap as usize];
    let mut free = Vec::new();
    for j in l + 1..end {
        if t.ins[j].op != Op::ADDOV {
            continue;
        }
        let x = Ref(j as i32);
        let Some((slot, up)) = iv_of(t, l, last, x) else {
            continue;
        };
        let xi = t.ins[j];
        // The step: the operand that is not the carried slot.
        let step = if t.ins_of(xi.ra()).is_some_and(|i| i.op == Op::LREF) {
            xi.rb()
        } else {
            xi.ra()
        };
        let Some(x0) = first.map.iter().find(|e| e.slot == slot).map(|e| e.r) else {
            continue;
        };
        let Some(stop) = bound_guard(t, l + 1, end, x, up) else {
            continue;
        };
        // x0 bounded by the same stop in the pre-roll.
        if !bounds(t, 0..l, x0, stop, up) {
            continue;
        }
        // stop + k fits in an int.
        let fits = |b: i32| kint(t, step).is_some_and(|k| b.checked_add(k).is_some());
        let room = match kint(t, stop) {
            Some(c) => fits(c),
            // A pre-roll guard bounding `stop` the same way.
            None => t.ins[..l].iter().any(|g| {
                let Some(bound) = bound_of(g, stop, up) else {
                    return false;
                };
                match kint(t, bound) {
                    Some(b) => fits(b),
                    // A variable step: `bound = INT_MAX - step` going up
                    // (`INT_MIN - step` going down).
                    None => t.ins_of(bound).is_some_and(|b| {
                        let edge = if up { i32::MAX } else { i32::MIN };
                        b.op == Op::SUBOV && kint(t, b.ra()) == Some(edge) && b.rb() == step
                    }),
                }
            }),
        };
        if room {
            free.push(j);
        }
    }
    for j in free {
        t.ins[j].op = Op::IADD;
    }
}

/// Whether a guard in `range` bounds `x` by `stop` from above (`up`)
/// or below.
fn bounds(t: &Trace, range: std::ops::Range<usize>, x: Ref, stop: Ref, up: bool) -> bool {
    t.ins[range]
        .iter()
        .any(|g| bound_of(g, x, up) == Some(stop))
}

/// A guard in `from..to` that bounds `x` by a loop-invariant value from
/// above (`up`) or below: the bound.
fn bound_guard(t: &Trace, from: usize, to: usize, x: Ref, up: bool) -> Option<Ref> {
    let l = from - 1;
    (from..to).find_map(|g| {
        let s = bound_of(&t.ins[g], x, up)?;
        (t.ty(s) == Ty::Int && t.ty(x) == Ty::Int && invariant(s, l)).then_some(s)
    })
}

/// The bound guard `g` puts on `x`: from above (`up`: `x <= s` or
/// `x < s`, as LE/LT x s or GE/GT s x), else from below (mirrored).
fn bound_of(g: &Ins, x: Ref, up: bool) -> Option<Ref> {
    let (below, above) = match g.op {
        Op::LE | Op::LT => (g.ra(), g.rb()),
        Op::GE | Op::GT => (g.rb(), g.ra()),
        _ => return None,
    };
    match up {
        true if below == x => Some(above),
        false if above == x => Some(below),
        _ => None,
    }
}
