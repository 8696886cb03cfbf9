//! IR passes tested on IR built by hand (not through Lua programs): FOLD,
//! CSE with alias analysis, DCE, loop peeling (`opt_loop`) and allocation
//! sinking (more sinking cases are unit tests in `sink.rs`).

use lunatrace_ir::alias::may_alias;
use lunatrace_ir::dce::dce;
use lunatrace_ir::opt_loop::loop_opt;
use lunatrace_ir::trace::{Const, Ref, SnapEntry, Trace};
use lunatrace_ir::{Op, Ty};

fn optimising() -> Trace {
    Trace::new(true, true)
}

/// A boxed load of slot `s` unboxed as a number (with its guard).
fn num_slot(t: &mut Trace, s: i32) -> Ref {
    let v = t.emit_lit(Op::SLOAD, Ty::Val, s, 0);
    t.snapshot(0, vec![], vec![]);
    t.emit(Op::UNBOX, Ty::Num, v, Ref::NONE)
}

/// A table constant and the address of its array slot `k` (1-based).
fn array_slot(t: &mut Trace, tab: Ref, k: i32) -> Ref {
    let arr = t.emit(Op::TARR, Ty::Ptr, tab, Ref::NONE);
    let kr = t.kint(k);
    t.emit(Op::AREF, Ty::Ptr, arr, kr)
}

#[test]
fn fold_evaluates_constants_and_keeps_ieee_identities() {
    let mut t = optimising();
    let (two, three) = (t.knum(2.0), t.knum(3.0));
    let five = t.emit(Op::ADD, Ty::Num, two, three);
    assert_eq!(t.get_const(five), Some(Const::Num(5.0)));
    assert!(t.ins.is_empty(), "folded, nothing emitted");
    let x = num_slot(&mut t, 1);
    let one = t.knum(1.0);
    assert_eq!(t.emit(Op::MUL, Ty::Num, x, one), x, "x * 1 is x");
    let zero = t.knum(0.0);
    assert_eq!(t.emit(Op::SUB, Ty::Num, x, zero), x, "x - 0 is x");
    // x + 0 is not x when x is -0: kept.
    let n = t.ins.len();
    let y = t.emit(Op::ADD, Ty::Num, x, zero);
    assert_ne!(y, x);
    assert_eq!(t.ins.len(), n + 1);
}

#[test]
fn fold_off_emits_everything() {
    let mut t = Trace::new(false, false);
    let (two, three) = (t.knum(2.0), t.knum(3.0));
    let r = t.emit(Op::ADD, Ty::Num, two, three);
    assert!(r.is_ins());
    assert_eq!(t.ins[r.idx()].op, Op::ADD);
}

#[test]
fn cse_reuses_pure_instructions_and_orders_commutative_operands() {
    let mut t = optimising();
    let x = num_slot(&mut t, 1);
    let y = num_slot(&mut t, 2);
    let a = t.emit(Op::MUL, Ty::Num, x, y);
    let b = t.emit(Op::MUL, Ty::Num, y, x);
    assert_eq!(a, b, "x*y and y*x are one instruction");
    let c = t.emit(Op::SUB, Ty::Num, x, y);
    let d = t.emit(Op::SUB, Ty::Num, y, x);
    assert_ne!(c, d, "subtraction does not commute");
}

#[test]
fn cse_reuses_loads_unless_a_store_may_alias() {
    let mut t = optimising();
    let tab = t.konst(Const::Ptr(0x1000, Ty::Tab));
    let s1 = array_slot(&mut t, tab, 1);
    let l1 = t.emit(Op::ALOAD, Ty::Val, s1, Ref::NONE);
    // A store to a different constant key: the load is reused.
    let s2 = array_slot(&mut t, tab, 2);
    let v = t.konst(Const::Val(0x7ff8_0000_0000_0001));
    t.emit(Op::ASTORE, Ty::Void, s2, v);
    let l1b = t.emit(Op::ALOAD, Ty::Val, s1, Ref::NONE);
    assert_eq!(l1, l1b, "slot 2's store leaves slot 1 alone");
    // A store to the same slot: reloaded.
    t.emit(Op::ASTORE, Ty::Void, s1, v);
    let l1c = t.emit(Op::ALOAD, Ty::Val, s1, Ref::NONE);
    assert_ne!(l1, l1c);
    // A table that may grow (TSETNEW) invalidates every load, headers too.
    let alen = t.emit(Op::TALEN, Ty::Int, tab, Ref::NONE);
    let k = t.konst(Const::Val(0x4000_0000_0000_0000));
    let kv = t.emit(Op::CARG, Ty::Void, k, v);
    t.snapshot(3, vec![], vec![]);
    t.emit(Op::TSETNEW, Ty::Void, tab, kv);
    let alen2 = t.emit(Op::TALEN, Ty::Int, tab, Ref::NONE);
    assert_ne!(alen, alen2, "array length reloaded after growth");
}

#[test]
fn alias_rules() {
    let mut t = optimising();
    let tab = t.konst(Const::Ptr(0x1000, Ty::Tab));
    let s1 = array_slot(&mut t, tab, 1);
    let s2 = array_slot(&mut t, tab, 2);
    let v = t.konst(Const::Val(0));
    let st = t.emit(Op::ASTORE, Ty::Void, s1, v);
    let store = t.ins[st.idx()];
    assert!(may_alias(&t, &store, Op::ALOAD, s1.0));
    assert!(!may_alias(&t, &store, Op::ALOAD, s2.0));
    assert!(
        !may_alias(&t, &store, Op::HLOAD, s2.0),
        "array and hash parts are disjoint"
    );
    assert!(
        !may_alias(&t, &store, Op::TMETA, tab.0),
        "headers do not change"
    );
    let sm = t.emit(Op::TSETMETA, Ty::Void, tab, Ref::NONE);
    let setmeta = t.ins[sm.idx()];
    assert!(may_alias(&t, &setmeta, Op::TMETA, tab.0));
    assert!(
        may_alias(&t, &setmeta, Op::NOMM, tab.0),
        "a new metatable may bring __index"
    );
    assert!(!may_alias(&t, &setmeta, Op::ALOAD, s1.0));
}

#[test]
fn dce_removes_unused_pure_instructions_only() {
    let mut t = optimising();
    let x = num_slot(&mut t, 1);
    let y = num_slot(&mut t, 2);
    let unused = t.emit(Op::MUL, Ty::Num, x, y);
    let kept = t.emit(Op::ADD, Ty::Num, x, y);
    t.snapshot(5, vec![SnapEntry { slot: 3, r: kept }], vec![]);
    let k = t.knum(0.0);
    t.emit(Op::LT, Ty::Void, x, k);
    dce(&mut t);
    assert_eq!(t.ins[unused.idx()].op, Op::NOP);
    assert_eq!(t.ins[kept.idx()].op, Op::ADD, "a snapshot holds it");
    assert!(t.ins.iter().any(|i| i.op == Op::LT), "guards stay");
}

/// `for`-like loop body: slot 1 += slot 2 * 3, where slot 2 is invariant.
fn loop_trace() -> (Trace, Ref, Ref) {
    let mut t = optimising();
    let acc = num_slot(&mut t, 1);
    let step = num_slot(&mut t, 2);
    let three = t.knum(3.0);
    let inv = t.emit(Op::MUL, Ty::Num, step, three);
    let next = t.emit(Op::ADD, Ty::Num, acc, inv);
    t.snapshot(9, vec![SnapEntry { slot: 1, r: next }], vec![]);
    let s = t.commit_snapshot();
    let l = t.push(Op::LOOP, Ty::Void, 0, 0);
    t.ins[l.idx()].snap = s;
    t.loop_at = Some(l.idx());
    (t, inv, next)
}

#[test]
fn loop_peeling_hoists_invariants_and_carries_slots() {
    let (mut t, inv, _) = loop_trace();
    assert!(loop_opt(&mut t));
    assert!(t.peeled);
    let l = t.loop_at.unwrap();
    let copy = &t.ins[l + 1..];
    // The carried slot is read as a typed loop variable.
    assert!(copy
        .iter()
        .any(|i| i.op == Op::LREF && i.a == 1 && i.ty == Ty::Num));
    // The invariant product is not recomputed in the copy.
    assert!(
        !copy.iter().any(|i| i.op == Op::MUL),
        "MUL hoisted:\n{}",
        lunatrace_ir::dump::dump(&t)
    );
    // The copy's addition uses the pre-roll's product.
    assert!(copy
        .iter()
        .any(|i| i.op == Op::ADD && (i.a == inv.0 || i.b == inv.0)));
    assert_eq!(t.ins.last().unwrap().op, Op::LOOP);
}

#[test]
fn loop_peeling_refuses_a_slot_changing_type() {
    let mut t = optimising();
    let v = t.emit_lit(Op::SLOAD, Ty::Val, 1, 0);
    t.snapshot(0, vec![], vec![]);
    let _n = t.emit(Op::UNBOX, Ty::Num, v, Ref::NONE);
    // The slot ends the iteration holding a string.
    let s = t.konst(Const::Ptr(0x2000, Ty::Str));
    t.snapshot(9, vec![SnapEntry { slot: 1, r: s }], vec![]);
    let sn = t.commit_snapshot();
    let l = t.push(Op::LOOP, Ty::Void, 0, 0);
    t.ins[l.idx()].snap = sn;
    t.loop_at = Some(l.idx());
    let before = t.ins.len();
    assert!(!loop_opt(&mut t));
    assert_eq!(t.ins.len(), before, "unchanged");
}

/// `fwd::known_value`: a number key of a table made in the trace reads
/// the value last stored under it (the recorder uses this instead of an
/// array-part load after `{...}`), nil when never stored; unknown after a
/// store under a variable key or an array store, and once the table
/// escapes.
#[test]
fn fwd_knows_number_keys_of_tables_made_in_the_trace() {
    use lunatrace_ir::fwd::known_value;
    let nil = 0xfff8_8000_0000_0000;
    let mut t = optimising();
    t.fwd = true;
    t.enc.nil = nil;
    let k = |t: &mut Trace, n: f64| t.konst(Const::Val(n.to_bits()));
    let tab = t.emit_lit(Op::TNEW, Ty::Tab, 0, 0);
    let x = num_slot(&mut t, 1);
    let bx = t.emit(Op::BOX, Ty::Val, x, Ref::NONE);
    let k1 = k(&mut t, 1.0);
    let a = t.emit(Op::CARG, Ty::Void, k1, bx);
    t.emit(Op::TSETNEW, Ty::Void, tab, a);
    let y = num_slot(&mut t, 2);
    let by = t.emit(Op::BOX, Ty::Val, y, Ref::NONE);
    let k2 = k(&mut t, 2.0);
    let b = t.emit(Op::CARG, Ty::Void, k2, by);
    t.emit(Op::TSETNEW, Ty::Void, tab, b);
    assert_eq!(known_value(&mut t, tab, 1f64.to_bits(), false), Some(bx));
    assert_eq!(known_value(&mut t, tab, 2f64.to_bits(), false), Some(by));
    let none = known_value(&mut t, tab, 3f64.to_bits(), false).unwrap();
    assert_eq!(t.get_const(none), Some(Const::Val(nil)));
    // A store under a variable key could be any key.
    let kv = t.emit(Op::BOX, Ty::Val, y, Ref::NONE);
    let c = t.emit(Op::CARG, Ty::Void, kv, bx);
    t.emit(Op::TSETNEW, Ty::Void, tab, c);
    assert_eq!(known_value(&mut t, tab, 1f64.to_bits(), false), None);
    // An array store into it: any number key.
    let mut t2 = optimising();
    t2.fwd = true;
    let tab2 = t2.emit_lit(Op::TNEW, Ty::Tab, 0, 0);
    let x2 = num_slot(&mut t2, 1);
    let bx2 = t2.emit(Op::BOX, Ty::Val, x2, Ref::NONE);
    let k12 = k(&mut t2, 1.0);
    let a2 = t2.emit(Op::CARG, Ty::Void, k12, bx2);
    t2.emit(Op::TSETNEW, Ty::Void, tab2, a2);
    let slot = array_slot(&mut t2, tab2, 1);
    t2.emit(Op::ASTORE, Ty::Void, slot, bx2);
    assert_eq!(known_value(&mut t2, tab2, 1f64.to_bits(), false), None);
    // Escaped (stored into another table): unknown.
    let mut t3 = optimising();
    t3.fwd = true;
    let tab3 = t3.emit_lit(Op::TNEW, Ty::Tab, 0, 0);
    let x3 = num_slot(&mut t3, 1);
    let bx3 = t3.emit(Op::BOX, Ty::Val, x3, Ref::NONE);
    let k13 = k(&mut t3, 1.0);
    let a3 = t3.emit(Op::CARG, Ty::Void, k13, bx3);
    t3.emit(Op::TSETNEW, Ty::Void, tab3, a3);
    assert_eq!(known_value(&mut t3, tab3, 1f64.to_bits(), false), Some(bx3));
    let other = t3.konst(Const::Ptr(0x1000, Ty::Tab));
    let bt = t3.emit(Op::BOX, Ty::Val, tab3, Ref::NONE);
    let k23 = k(&mut t3, 2.0);
    let e = t3.emit(Op::CARG, Ty::Void, k23, bt);
    t3.emit(Op::TSETNEW, Ty::Void, other, e);
    assert_eq!(known_value(&mut t3, tab3, 1f64.to_bits(), false), None);
}

/// A trace's end after a GCSTEP with the same state (a side trace boxing
/// a virtual integer before it links) gets a snapshot of its own: the
/// GCSTEP's exit must reach the interpreter, which collects, while the
/// end's exit follows the link to the next trace.
#[test]
fn a_gcstep_snapshot_is_never_shared_with_a_later_exit() {
    let mut t = optimising();
    let x = num_slot(&mut t, 1);
    let map = vec![SnapEntry { slot: 1, r: x }];
    t.snapshot(7, map.clone(), vec![]);
    let g = t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
    let gs = t.ins[g.idx()].snap;
    // The same state again, committed for the trace's final exit.
    t.snapshot(7, map.clone(), vec![]);
    let end = t.commit_snapshot();
    assert_ne!(gs, end, "the end's exit has its own snapshot");
    assert_eq!(t.snaps[end as usize].map, t.snaps[gs as usize].map);
    // Nothing pending: still a copy of its own.
    let g2 = t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
    let gs2 = t.ins[g2.idx()].snap;
    assert_ne!(gs2, end);
    let end2 = t.commit_snapshot();
    assert_ne!(gs2, end2);
    // After an ordinary snapshot, identical states share again.
    t.snapshot(7, map.clone(), vec![]);
    let again = t.commit_snapshot();
    assert_eq!(again, end2, "reused when no GCSTEP's snapshot is last");
}

/// Comparisons of ints converted to numbers (with each other or with an
/// integral constant in int range) compare the ints; a fractional or
/// out-of-range constant keeps the number comparison.
#[test]
fn comparisons_of_converted_ints_compare_the_ints() {
    let mut t = optimising();
    let x = num_slot(&mut t, 1);
    let i = t.emit(Op::TOBIT, Ty::Int, x, Ref::NONE);
    let one = t.kint(1);
    let b = t.emit(Op::BAND, Ty::Int, i, one);
    let bn = t.emit(Op::TONUM, Ty::Num, b, Ref::NONE);
    let zero = t.knum(0.0);
    let g = t.emit(Op::EQ, Ty::Void, bn, zero);
    let gi = t.ins_of(g).copied().expect("a guard");
    // (EQ is commutative: the constant may come first.)
    let (k, v) = if gi.ra() == b {
        (gi.rb(), gi.ra())
    } else {
        (gi.ra(), gi.rb())
    };
    assert_eq!((gi.op, v), (Op::EQ, b), "EQ on the int");
    assert_eq!(t.get_const(k), Some(Const::Int(0)));
    // Both sides converted ints.
    let j = t.emit(Op::BSHR, Ty::Int, i, one);
    let jn = t.emit(Op::TONUM, Ty::Num, j, Ref::NONE);
    let g = t.emit(Op::LT, Ty::Void, jn, bn);
    let gi = t.ins_of(g).copied().expect("a guard");
    assert_eq!((gi.op, gi.ra(), gi.rb()), (Op::LT, j, b));
    // 0.5 and 2^40 are no ints: the number comparison stays.
    for k in [0.5, 1099511627776.0] {
        let kn = t.knum(k);
        let g = t.emit(Op::LE, Ty::Void, bn, kn);
        let gi = t.ins_of(g).copied().expect("a guard");
        assert_eq!((gi.op, gi.ra(), gi.rb()), (Op::LE, bn, kn), "{}", k);
    }
}

/// A number a `TOINT` guard proved to be an int32 (a side trace's slot
/// its parent left as an int) is an integer expression: `x % 4` of it is
/// the int's low bits; without the guard it stays a number modulo.
#[test]
fn a_number_guarded_int_narrows_a_modulo() {
    let mut t = optimising();
    let x = num_slot(&mut t, 1);
    let four = t.knum(4.0);
    let m = t.emit(Op::MOD, Ty::Num, x, four);
    assert_eq!(t.ins_of(m).map(|i| i.op), Some(Op::MOD), "no guard: MOD");
    let i = t.emit(Op::TOINT, Ty::Int, x, Ref::NONE);
    let m = t.emit(Op::MOD, Ty::Num, x, four);
    let conv = t.ins_of(m).copied().expect("an instruction");
    assert_eq!(conv.op, Op::TONUM, "the int result converted");
    let band = t.ins_of(conv.ra()).copied().expect("the int modulo");
    // (BAND is commutative: the constant may come first.)
    let (k, v) = if band.ra() == i {
        (band.rb(), band.ra())
    } else {
        (band.ra(), band.rb())
    };
    assert_eq!((band.op, v), (Op::BAND, i), "BAND of the guarded int");
    assert_eq!(t.get_const(k), Some(Const::Int(3)));
    // An undo that drops the guard (a recorder's `restore`) drops what it
    // proved: the number's modulo stays a MOD.
    t.truncate(i.idx());
    let m = t.emit(Op::MOD, Ty::Num, x, four);
    assert_eq!(
        t.ins_of(m).map(|i| i.op),
        Some(Op::MOD),
        "guard undone: MOD"
    );
}

#[test]
fn fold_converts_numbers_to_int64_as_x86_64_does() {
    let mut t = optimising();
    let cases = [
        (3e9, 3_000_000_000i64),
        (-1.5, -1),
        (1e20, i64::MIN),
        (-1e20, i64::MIN),
        (f64::NAN, i64::MIN),
        (-9.223_372_036_854_776e18, i64::MIN),
        (9.223_372_036_854_776e18, i64::MIN),
    ];
    for (n, want) in cases {
        let k = t.knum(n);
        let r = t.emit_lit(Op::TOI64, Ty::Ptr, k.0, 0);
        assert_eq!(
            t.get_const(r),
            Some(Const::Ptr(want as u64, Ty::Ptr)),
            "{}",
            n
        );
    }
    // A conversion as to another integer type (b > 0) is left to the code.
    let k = t.knum(-1.5);
    let r = t.emit_lit(Op::TOI64, Ty::Ptr, k.0, 1);
    assert_eq!(t.get_const(r), None);
}
