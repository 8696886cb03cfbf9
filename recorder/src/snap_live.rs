//! Snapshot liveness (LuaJIT's `snap_usedef`, simplified): which slots of
//! a frame the interpreter may read after an exit resumes at a pc. Slots
//! that are certainly written before being read are dead: exits need not
//! store them, which keeps exit blocks (and compile time) small.
//!
//! The walk follows straight-line code and both successors of branches
//! for a bounded number of instructions; a JMP's A is the first free slot
//! (slots from A on are dead there); a return reads only its results.
//! Anything else (calls, loops, varargs, closures...) stops the walk with
//! every undecided slot live. Slots captured by closures of child
//! prototypes are always live (a metamethod may run such a closure).

use lunatrace_vm::bytecode::{self as bc, opc, Mode, Op as BcOp};
use lunatrace_vm::object::{Proto, UvDesc};

/// Instructions examined per snapshot, over all paths.
const BUDGET: usize = 48;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum St {
    Unknown,
    Live,
    Dead,
}

/// For slots `0..n` of a frame of `p` resuming at `pc`: whether the slot
/// may be read before it is written.
pub fn live_slots(p: &Proto, pc: usize, n: usize) -> Vec<bool> {
    let mut st = vec![St::Unknown; n];
    for child in &p.protos {
        // SAFETY: child prototypes live as long as their parent.
        let c = unsafe { child.as_ref() };
        for d in &c.uvdesc {
            if let UvDesc::Local(r) = *d {
                if let Some(s) = st.get_mut(r as usize) {
                    *s = St::Live;
                }
            }
        }
    }
    let mut budget = BUDGET;
    walk(&p.code, pc, &mut st, &mut budget);
    st.iter().map(|s| *s != St::Dead).collect()
}

fn read(st: &mut [St], s: u32) {
    if let Some(x) = st.get_mut(s as usize) {
        if *x == St::Unknown {
            *x = St::Live;
        }
    }
}

fn write(st: &mut [St], s: u32) {
    if let Some(x) = st.get_mut(s as usize) {
        if *x == St::Unknown {
            *x = St::Dead;
        }
    }
}

/// Undecided slots become live (the walk cannot see further).
fn stop(st: &mut [St]) {
    for x in st.iter_mut() {
        if *x == St::Unknown {
            *x = St::Live;
        }
    }
}

/// Decide every slot along the paths from `pc`.
fn walk(code: &[u32], mut pc: usize, st: &mut Vec<St>, budget: &mut usize) {
    loop {
        let Some(&ins) = code.get(pc) else {
            return stop(st);
        };
        if *budget == 0 {
            return stop(st);
        }
        *budget -= 1;
        let o = bc::op(ins);
        let Some(bo) = BcOp::from_u8(o) else {
            return stop(st);
        };
        let (a, b, c, d) = (bc::a(ins), bc::b(ins), bc::c(ins), bc::d(ins));
        match o {
            opc::JMP => {
                for s in a..st.len() as u32 {
                    write(st, s);
                }
                pc = (pc as i64 + 1 + bc::jump(ins) as i64) as usize;
                continue;
            }
            opc::LOOP | opc::ILOOP => {
                pc += 1;
                continue;
            }
            opc::RET => {
                for s in a..(a + d).saturating_sub(1) {
                    read(st, s);
                }
                for s in 0..st.len() as u32 {
                    write(st, s);
                }
                return;
            }
            opc::CAT => {
                for s in b..=c {
                    read(st, s);
                }
                write(st, a);
                pc += 1;
                continue;
            }
            opc::KNIL => {
                for s in a..=d {
                    write(st, s);
                }
                pc += 1;
                continue;
            }
            opc::FNEW => return stop(st),
            _ => {}
        }
        let (ma, mb, mcd) = bo.modes();
        if [ma, mb, mcd]
            .iter()
            .any(|m| matches!(m, Mode::Base | Mode::RBase | Mode::Jump))
        {
            return stop(st);
        }
        if ma == Mode::Var {
            read(st, a);
        }
        if mb == Mode::Var {
            read(st, b);
        }
        if mcd == Mode::Var {
            read(st, if mb == Mode::None { d } else { c });
        }
        match o {
            opc::ISTC | opc::ISFC => {
                // Taken (the JMP after it): A = D; not taken: A unchanged.
                let mut other = st.clone();
                write(st, a);
                walk(code, pc + 1, st, budget);
                walk(code, pc + 2, &mut other, budget);
                return merge(st, &other);
            }
            _ if is_test(o) => {
                let mut other = st.clone();
                walk(code, pc + 1, st, budget);
                walk(code, pc + 2, &mut other, budget);
                return merge(st, &other);
            }
            _ => {}
        }
        if ma == Mode::Dst {
            write(st, a);
        }
        pc += 1;
    }
}

/// A conditional test followed by a JMP (taken when the test holds), not
/// one that copies its operand (ISTC/ISFC).
fn is_test(o: u8) -> bool {
    bc::is_cond(o) && !matches!(o, opc::ISTC | opc::ISFC)
}

/// Join of two paths: dead only when dead on both.
fn merge(st: &mut [St], other: &[St]) {
    for (x, y) in st.iter_mut().zip(other) {
        *x = match (*x, *y) {
            (St::Dead, St::Dead) => St::Dead,
            _ => St::Live,
        };
    }
}
