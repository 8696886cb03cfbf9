//! Dead-code elimination: instructions whose results nobody uses (no
//! operand, no snapshot) and that have no effect become NOPs.

use crate::ops::Op;
use crate::trace::Trace;

/// Run DCE over the whole trace.
pub fn dce(t: &mut Trace) {
    let n = t.ins.len();
    let mut live = vec![false; n];
    for s in &t.snaps {
        for e in &s.map {
            if e.r.is_ins() {
                live[e.r.idx()] = true;
            }
        }
    }
    // (Values carried around the loop out of no slot.)
    for c in &t.vcarry {
        for r in [c.pre, c.end] {
            if r.is_ins() {
                live[r.idx()] = true;
            }
        }
    }
    for i in (0..n).rev() {
        let ins = t.ins[i];
        let f = ins.op.flags();
        if f.store() || f.guard() || ins.op == Op::LOOP {
            live[i] = true;
        }
        if !live[i] {
            continue;
        }
        for o in ins.ins_operands() {
            live[o] = true;
        }
    }
    for (i, l) in live.iter().enumerate() {
        if !l {
            t.ins[i].op = Op::NOP;
        }
    }
}
