//! The IR printer used by `-jdump`: one line per instruction
//! (`0007 num ADD  0005 [+1]`), constants in brackets, snapshots as
//! `SNAP #n [slot=ref ...] pc`.

use crate::ops::{Arg, Op};
use crate::trace::{Const, Ref, Trace};
use std::fmt::Write;

fn operand(t: &Trace, kind: Arg, v: i32) -> String {
    match kind {
        Arg::None => String::new(),
        Arg::Lit => format!("#{}", v),
        Arg::Ref => ref_str(t, Ref(v)),
    }
}

/// A reference as text: `0012` or a bracketed constant.
pub fn ref_str(t: &Trace, r: Ref) -> String {
    if r == Ref::NONE {
        return "----".into();
    }
    match t.get_const(r) {
        Some(Const::Num(n)) => format!("[{:+}]", n),
        Some(Const::Int(n)) => format!("[{:+}i]", n),
        Some(Const::Ptr(p, ty)) => format!("[{} {:#x}]", ty.name(), p),
        Some(Const::Val(v)) => format!("[val {:#x}]", v),
        None => format!("{:04}", r.0),
    }
}

/// Print the whole trace.
pub fn dump(t: &Trace) -> String {
    let mut out = String::new();
    let mut next_snap = 0;
    for (i, ins) in t.ins.iter().enumerate() {
        while next_snap < t.snaps.len() && t.snaps[next_snap].at as usize <= i {
            let s = &t.snaps[next_snap];
            let _ = write!(out, "....        SNAP   #{:<3} [", next_snap);
            for e in &s.map {
                let _ = write!(out, " {}={}", e.slot, ref_str(t, e.r));
            }
            if s.retdepth > 0 || s.shift > 0 {
                let _ = writeln!(out, " ] pc {} (down {}, -{})", s.pc, s.retdepth, s.shift);
            } else {
                let _ = writeln!(out, " ] pc {}", s.pc);
            }
            next_snap += 1;
        }
        if ins.op == Op::NOP {
            continue;
        }
        let (ka, kb) = ins.op.args();
        let g = if t.is_sunk(Ref(i as i32)) {
            "}"
        } else if ins.op.flags().guard() {
            ">"
        } else {
            " "
        };
        let _ = writeln!(
            out,
            "{:04} {}{} {:<7} {} {}",
            i,
            g,
            ins.ty.name(),
            ins.op.name(),
            operand(t, ka, ins.a),
            operand(t, kb, ins.b)
        );
    }
    out
}
