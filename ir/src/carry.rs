//! Array values carried across loop iterations (after `opt_loop`): a load
//! in the loop body from an array slot that the previous iteration stored
//! or loaded becomes that value, kept in a register from one iteration to
//! the next (a `VCarry` read by `LREF`), as LuaJIT's loop optimisation
//! gets from CSE over its copy (a PHI). In SOR's `G[j] = f(G[j-1], G[j],
//! G[j+1])`, `G[j-1]` is the value the previous iteration stored and
//! `G[j]` the one it loaded as `G[j+1]`: the store -> load round trip
//! through memory leaves the loop's dependency chain.
//!
//! The same goes for a load of an address computed before the loop (a
//! field of a loop-invariant table, `o.n = o.n + x`, or an array slot
//! at an invariant index): the slot is the same in every iteration.
//!
//! Moving array slots are compared as (array, base, offset): an `AREF` of array
//! `a` at an index that is `base + offset` (`ADDOV`/`IADD` of int
//! constants), `base` the body's `LREF` of a carried int slot whose
//! iteration ends at `LREF + step` (the pre-roll: its start value and the
//! same step). The slot at offset `c` in this iteration is the one at
//! `c + step` in the previous one. A load at `c` qualifies when
//! - it is read by nothing but one `UNBOX` to a number (`Trace::readers`;
//!   that `UNBOX` becomes the `LREF`, the load dies);
//! - the body (as the previous iteration) last touched `c + step` with a
//!   store of a boxed number or a load unboxed as one, and the pre-roll
//!   (as the iteration before the first) did too, at the same offset
//!   from its start value;
//! - nothing between that access and the end of its iteration, or
//!   between the body's start and the load, may write the slot: a store
//!   into the same array at another offset from the same base may not;
//!   a store into another array (maybe the same table) or through an
//!   index of another form may; other stores as `alias::may_alias`
//!   says for an array load.

use crate::alias::may_alias;
use crate::ops::{Op, Ty};
use crate::trace::{Const, Ins, Ref, Trace, VCarry, VSLOT_BASE};

/// An array slot address as (array pointer, index base, constant offset).
type Addr = (Ref, Ref, i64);

/// Where a load reads, as the previous iteration sees it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Slot {
    /// An array slot moving with a carried index: (array, base, offset).
    Moving(Addr),
    /// An address computed before the loop (a field of a loop-invariant
    /// table, an array slot at an invariant index): the same every
    /// iteration.
    Fixed(Ref),
}

/// Carry what qualifies; returns how many loads became carried values.
pub fn carry(t: &mut Trace) -> usize {
    let Some(l) = t.loop_at else { return 0 };
    if !t.peeled {
        return 0;
    }
    let end = t.ins.len() - 1;
    if t.ins[end].op != Op::LOOP {
        return 0;
    }
    let pre_map = t.snaps[t.ins[l].snap as usize].map.clone();
    let body_map = t.snaps[t.ins[end].snap as usize].map.clone();
    // Carried int slots: (body base LREF, pre-roll start value, step).
    let mut ivs: Vec<(Ref, Ref, i64)> = Vec::new();
    for e in &body_map {
        let (b, step) = split(t, e.r);
        let Some(bi) = t.ins_of(b) else { continue };
        if bi.op != Op::LREF || bi.a as u32 != e.slot || bi.ty != Ty::Int || step == 0 {
            continue;
        }
        let Some(p) = pre_map.iter().find(|p| p.slot == e.slot) else {
            continue;
        };
        let (pb, pstep) = split(t, p.r);
        if pstep == step && pb.is_ins() && pb.idx() < l {
            ivs.push((b, pb, step));
        }
    }
    let readers = t.readers();
    let mut done = 0;
    for i in l + 1..end {
        let x = t.ins[i];
        if !matches!(x.op, Op::ALOAD | Op::HLOAD) {
            continue;
        }
        let p = x.ra();
        // Where the previous iteration (body, pre-roll) last touched
        // what this load reads, and what this iteration must not write
        // before it.
        let (prev, pre, now) = if p.is_ins() && p.idx() < l {
            let s = Slot::Fixed(p);
            (s, s, s)
        } else if x.op == Op::ALOAD {
            let Some((arr, base, c)) = addr(t, p) else {
                continue;
            };
            let Some(&(_, pbase, step)) = ivs.iter().find(|v| v.0 == base) else {
                continue;
            };
            (
                Slot::Moving((arr, base, c + step)),
                Slot::Moving((arr, pbase, c + step)),
                Slot::Moving((arr, base, c)),
            )
        } else {
            continue;
        };
        // Its one reader: an UNBOX to a number.
        if readers.get(i) != Some(&1) {
            continue;
        }
        let Some(u) = (i + 1..end).find(|&j| {
            let y = t.ins[j];
            y.op == Op::UNBOX && y.ty == Ty::Num && y.a == i as i32
        }) else {
            continue;
        };
        let Some(end_v) = provider(t, prev, x.op, p, l + 1, end) else {
            continue;
        };
        let Some(pre_v) = provider(t, pre, x.op, p, 0, l) else {
            continue;
        };
        if (l + 1..i).any(|j| writes(t, j, now, x.op, p)) {
            continue;
        }
        let slot = VSLOT_BASE + t.vcarry.len() as u32;
        t.vcarry.push(VCarry {
            slot,
            ty: Ty::Num,
            pre: pre_v,
            end: end_v,
        });
        t.ins[u] = Ins {
            op: Op::LREF,
            ty: Ty::Num,
            a: slot as i32,
            b: 0,
            snap: u32::MAX,
        };
        done += 1;
    }
    done
}

/// `r` as `base + k`: through `ADDOV`/`IADD` with an int constant.
fn split(t: &Trace, r: Ref) -> (Ref, i64) {
    let mut k = 0i64;
    let mut r = r;
    while let Some(x) = t.ins_of(r) {
        if !matches!(x.op, Op::ADDOV | Op::IADD) || x.ty != Ty::Int {
            break;
        }
        match (t.get_const(x.ra()), t.get_const(x.rb())) {
            (_, Some(Const::Int(c))) => {
                k += c as i64;
                r = x.ra();
            }
            (Some(Const::Int(c)), _) => {
                k += c as i64;
                r = x.rb();
            }
            _ => break,
        }
    }
    (r, k)
}

/// The address of an `AREF`.
fn addr(t: &Trace, p: Ref) -> Option<Addr> {
    let x = t.ins_of(p).filter(|x| x.op == Op::AREF)?;
    let (b, k) = split(t, x.rb());
    Some((x.ra(), b, k))
}

/// Whether instruction `x` reads or writes slot `at`.
fn touches(t: &Trace, x: &Ins, at: Slot) -> bool {
    if !matches!(x.op, Op::ASTORE | Op::ALOAD | Op::HSTORE | Op::HLOAD) {
        return false;
    }
    match at {
        Slot::Fixed(p) => x.ra() == p,
        Slot::Moving(a) => matches!(x.op, Op::ASTORE | Op::ALOAD) && addr(t, x.ra()) == Some(a),
    }
}

/// The number the last access to `at` in instructions `from..to` left
/// there: a store of a boxed number (the number), or a load unboxed as a
/// number (the unboxed value); None when there is none, it is of another
/// kind, or a later instruction may write the slot (`op`, `p`: the load
/// that reads it, for `writes`).
fn provider(t: &Trace, at: Slot, op: Op, p: Ref, from: usize, to: usize) -> Option<Ref> {
    for j in (from..to).rev() {
        let x = t.ins[j];
        if touches(t, &x, at) {
            if x.op.flags().store() {
                let v = t.ins_of(x.rb()).filter(|b| b.op == Op::BOX)?;
                return (t.ty(v.ra()) == Ty::Num).then_some(v.ra());
            }
            return (j + 1..to)
                .find(|&k| {
                    let y = t.ins[k];
                    y.op == Op::UNBOX && y.ty == Ty::Num && y.a == j as i32
                })
                .map(|k| Ref(k as i32));
        }
        if writes(t, j, at, op, p) {
            return None;
        }
    }
    None
}

/// Whether instruction `j` may write slot `at`, read by a load `op` of
/// address `p` (an address into the same array or table).
fn writes(t: &Trace, j: usize, at: Slot, op: Op, p: Ref) -> bool {
    let x = t.ins[j];
    if !x.op.flags().store() {
        return false;
    }
    if let (Op::ASTORE, Slot::Moving(at)) = (x.op, at) {
        // The same array at another offset from the same base: another
        // slot; anything else may be this one.
        return match addr(t, x.ra()) {
            Some((a, b, k)) => !(a == at.0 && b == at.1 && k != at.2),
            None => true,
        };
    }
    may_alias(t, &x, op, p.0)
}

#[cfg(test)]
mod tests {
    use super::carry;
    use crate::dump::dump;
    use crate::parse::parse;

    /// SOR's inner loop, peeled: slot 1 the row (its array 0003), slot 2
    /// the index j; each iteration stores G[j] from G[j-1], G[j] and
    /// G[j+1]. `tail` goes after the body's store.
    fn sor(tail: &str) -> String {
        format!(
            "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 1
0001 >tab UNBOX 0000
0002 val SLOAD #2 #0
0003 ptr TARR 0001
0004 >num UNBOX 0002
0005 >int TOINT 0004
0006 >int ADDOV 0005 [+1i]
0007 >int ADDOV 0006 [-1i]
0008 ptr AREF 0003 0007
0009 val ALOAD 0008
.... SNAP [ 2=0006 ] pc 2
0010 >num UNBOX 0009
0011 ptr AREF 0003 0006
0012 val ALOAD 0011
0013 >num UNBOX 0012
0014 >int ADDOV 0006 [+1i]
0015 ptr AREF 0003 0014
0016 val ALOAD 0015
0017 >num UNBOX 0016
0018 num ADD 0010 0013
0019 num ADD 0018 0017
0020 val BOX 0019
0021 ASTORE 0011 0020
.... SNAP [ 2=0006 ] pc 3
0022 LOOP
0023 int LREF #2
0024 >int ADDOV 0023 [+1i]
0025 >int ADDOV 0024 [-1i]
0026 ptr AREF 0003 0025
0027 val ALOAD 0026
.... SNAP [ 2=0024 ] pc 2
0028 >num UNBOX 0027
0029 ptr AREF 0003 0024
0030 val ALOAD 0029
0031 >num UNBOX 0030
0032 >int ADDOV 0024 [+1i]
0033 ptr AREF 0003 0032
0034 val ALOAD 0033
0035 >num UNBOX 0034
0036 num ADD 0028 0031
0037 num ADD 0036 0035
0038 val BOX 0037
0039 ASTORE 0029 0038
{tail}.... SNAP [ 2=0024 ] pc 3
0040 LOOP
"
        )
    }

    fn carried(tail: &str) -> (usize, String) {
        let mut t = parse(&sor(tail), false, false).unwrap();
        assert!(t.peeled);
        let n = carry(&mut t);
        (n, dump(&t))
    }

    #[test]
    fn the_previous_store_and_load_become_carried_values() {
        let mut t = parse(&sor(""), false, false).unwrap();
        assert_eq!(carry(&mut t), 2);
        // G[j-1] is what the last iteration stored (the pre-roll's:
        // 0019), G[j] what it loaded as G[j+1] (0017); G[j+1] stays.
        let c: Vec<_> = t.vcarry.iter().map(|c| (c.pre.0, c.end.0)).collect();
        assert_eq!(c, vec![(19, 37), (17, 35)]);
        let d = dump(&t);
        let lrefs: Vec<&str> = d.lines().filter(|l| l.contains("LREF")).collect();
        assert_eq!(lrefs.len(), 3, "{}", d);
        assert!(
            lrefs[1].starts_with("0028") && lrefs[1].contains("#1048576"),
            "{}",
            d
        );
        assert!(
            lrefs[2].starts_with("0031") && lrefs[2].contains("#1048577"),
            "{}",
            d
        );
        assert!(d.contains(">num UNBOX   0034"), "{}", d);
    }

    #[test]
    fn a_store_that_may_write_the_slot_keeps_the_loads() {
        // Through another array (maybe the same table's), after the
        // iteration's accesses.
        let (n, d) = carried(
            "0100 val SLOAD #3 #0
0101 >tab UNBOX 0100
0102 ptr TARR 0101
0103 ptr AREF 0102 0024
0104 ASTORE 0103 [val 0x0]
",
        );
        assert_eq!(n, 0, "{}", d);
        // A later store of something else than a number at G[j].
        let (n, d) = carried("0105 ASTORE 0029 [val 0x0]\n");
        assert_eq!(n, 1, "only G[j], from the G[j+1] load: {}", d);
    }

    #[test]
    fn a_store_to_another_offset_of_the_same_array_does_not_bar() {
        let (n, d) = carried(
            "0100 >int ADDOV 0024 [+5i]
0101 ptr AREF 0003 0100
0102 ASTORE 0101 [val 0x0]
",
        );
        assert_eq!(n, 2, "{}", d);
    }

    /// `o.n = o.n + 1` in a loop: a field of a loop-invariant table.
    fn field(tail: &str) -> String {
        format!(
            "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 1
0001 >tab UNBOX 0000
0002 CARG [val 0xfffd000000001000] [+0i]
0003 >ptr HREFK 0001 0002
0004 val HLOAD 0003
0005 >num UNBOX 0004
0006 num ADD 0005 [+1]
0007 val BOX 0006
0008 HSTORE 0003 0007
.... SNAP [ ] pc 2
0009 LOOP
0010 val HLOAD 0003
.... SNAP [ ] pc 1
0011 >num UNBOX 0010
0012 num ADD 0011 [+1]
0013 val BOX 0012
0014 HSTORE 0003 0013
{tail}.... SNAP [ ] pc 2
0015 LOOP
"
        )
    }

    #[test]
    fn a_field_of_an_invariant_table_is_carried() {
        let mut t = parse(&field(""), false, false).unwrap();
        assert_eq!(carry(&mut t), 1);
        let c = &t.vcarry[0];
        // The number each iteration stored.
        assert_eq!((c.pre.0, c.end.0), (6, 12));
        // Another key of the table does not bar it; a new key (the table
        // may grow) does.
        let other = "0100 CARG [val 0xfffd000000002000] [+1i]
0101 >ptr HREFK 0001 0100
0102 HSTORE 0101 [val 0x0]
";
        let mut t = parse(&field(other), false, false).unwrap();
        assert_eq!(carry(&mut t), 1, "{}", dump(&t));
        let grow = "0100 CARG [val 0xfffd000000002000] [val 0x0]
0101 > TSETNEW 0001 0100
";
        let mut t = parse(&field(grow), false, false).unwrap();
        assert_eq!(carry(&mut t), 0, "{}", dump(&t));
    }

    #[test]
    fn a_load_also_read_by_an_exit_stays() {
        let text = sor("").replace(
            ".... SNAP [ 2=0024 ] pc 2",
            ".... SNAP [ 2=0024 5=0027 ] pc 2",
        );
        let mut t = parse(&text, false, false).unwrap();
        assert_eq!(carry(&mut t), 1, "only G[j]");
    }
}
