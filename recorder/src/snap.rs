//! Snapshots: the state an exit restores. While recording, a snapshot
//! records the written slots (minus those the interpreter writes before
//! reading, `snap_live.rs`), the inlined frames and where to resume, and
//! keeps exits off instructions that read MULTRES. At an exit, the VM
//! side rebuilds the inlined frames and boxes virtual cdata references
//! (the slot stores themselves are compiled into the trace's exit stubs,
//! `backend-cranelift/src/lower.rs`).

use crate::record::{Abort, Recorder};
use lunatrace_ir::trace::{SnapEntry, SnapFrame};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::debuginfo;
use lunatrace_vm::object::{Frame, FrameKind};
use lunatrace_vm::{Value, Vm};

/// What the last multi-result producer left: the number of values and the
/// state at the producer (its pc, slots and frames), where exits of the
/// consuming instruction resume.
pub(crate) type MultresState = (u32, usize, Vec<SnapEntry>, Vec<SnapFrame>);

/// Whether instruction `ins` reads MULTRES (the interpreter's count of the
/// values the previous instruction left), so that no exit may resume at
/// it: the interpreter's count would be stale.
pub(crate) fn consumes_multres(ins: u32) -> bool {
    matches!(
        bc::op(ins),
        opc::CALLM | opc::CALLMT | opc::RETM | opc::TSETM
    )
}

impl Recorder {
    /// Snapshot of the written slots, resuming at `pc`.
    ///
    /// The one place that keeps exits off MULTRES consumers: a snapshot at
    /// an instruction that reads MULTRES (`consumes_multres`) is the state
    /// at the instruction that produced it (re-run by the interpreter,
    /// which then computes the count itself). Callers check that a
    /// producer was recorded first (`multres_exit_ok`).
    pub(crate) fn snap(&mut self, pc: usize) {
        if consumes_multres(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)) {
            // The consumer being recorded resumes at its producer; an
            // exit right after the producer being recorded re-runs it.
            let state = if pc == self.cur_pc {
                self.multres.clone()
            } else {
                self.ins_state.clone().map(|(p, m, f)| (0, p, m, f))
            };
            match state {
                Some((n, ppc, map, frames)) => {
                    self.t.snapshot(ppc as u32, map, frames);
                    if ppc == pc {
                        // A producer that must not run again (a C call)
                        // left its values in the state: resume here.
                        self.t.snapshot_multres(n);
                    }
                }
                None => {
                    // Never resume at the consumer itself: the recording
                    // is aborted after this instruction.
                    self.bad_multres_exit = true;
                    let (map, frames) = self.snap_state();
                    self.t.snapshot(pc as u32, map, frames);
                }
            }
            return;
        }
        self.snap_plain(pc);
    }

    /// A snapshot of the current state resuming at `pc` as it is; at a
    /// MULTRES consumer, with the `n` values its producer left (for
    /// producers that must not run again, such as C calls).
    pub(crate) fn snap_multres(&mut self, pc: usize, n: u32) {
        self.snap_plain(pc);
        if consumes_multres(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)) {
            self.t.snapshot_multres(n);
        }
    }

    fn snap_plain(&mut self, pc: usize) {
        let (mut map, frames) = self.snap_state();
        if frames.is_empty() && self.t.retdepth == 0 && self.t.shift == 0 {
            // Slots the interpreter writes before reading need no store.
            let p = lunatrace_vm::debuginfo::proto(self.cur_proto());
            let live = crate::snap_live::live_slots(p, pc, p.framesize as usize);
            map.retain(|e| live.get(e.slot as usize).copied().unwrap_or(true));
        }
        self.t.snapshot(pc as u32, map, frames);
    }

    /// Start recording at MULTRES consumer `pc` with the `n` values a
    /// stitched call left: exits at it resume there with them (the call
    /// must not run again).
    pub(crate) fn start_at_multres(&mut self, n: u32, pc: usize) {
        let (map, frames) = self.snap_state();
        self.multres = Some((n, pc, map, frames));
        self.entry_multres = Some(n);
    }

    /// An exit may resume at `pc`: not a MULTRES consumer, or one whose
    /// producer was recorded (see `snap`).
    pub(crate) fn multres_exit_ok(&self, pc: usize) -> Result<(), Abort> {
        let ins = lunatrace_vm::jitrt::code_at(self.cur_proto(), pc);
        if (consumes_multres(ins) && self.multres.is_none()) || self.bad_multres_exit {
            return Err("NYI: multiple results from here".into());
        }
        Ok(())
    }

    /// The written slots and inlined frames, as a snapshot records them.
    pub(crate) fn snap_state(&self) -> (Vec<SnapEntry>, Vec<SnapFrame>) {
        let map: Vec<SnapEntry> = self
            .written
            .iter()
            .enumerate()
            .filter(|(_, w)| **w)
            .map(|(s, _)| SnapEntry {
                slot: s as u32,
                r: self.slots[s].unwrap(),
            })
            .collect();
        let mut frames = Vec::with_capacity(self.frames.len());
        let mut caller = self.proto;
        for f in &self.frames {
            let plain = f.cmp.is_none() && !f.pcall && f.ret.is_none();
            let link = frame_link(caller, f.call_pc as u32 + 1, plain);
            caller = f.proto;
            frames.push(SnapFrame {
                base: f.base,
                func: f.func.bits(),
                ret_pc: f.call_pc as u32 + 1,
                nres: f.nres,
                ret: f.ret.unwrap_or(f.base - f.fdelta),
                fdelta: f.fdelta,
                nvarargs: f.nvarargs,
                cmp: f.cmp,
                pcall: f.pcall,
                xpcall: f.xpcall,
                poly: f.poly,
                link,
            });
        }
        (map, frames)
    }
}

/// The `Frame::link` the interpreter gives a frame returning to `pc` of
/// prototype `caller` (`plain`: a Lua frame with its results to its
/// function slot): the call instruction's (CALL, CALLM, ITERC), else 0.
pub(crate) fn frame_link(
    caller: std::ptr::NonNull<lunatrace_vm::object::Proto>,
    pc: u32,
    plain: bool,
) -> u64 {
    let p = lunatrace_vm::debuginfo::proto(caller);
    let call = pc > 0
        && matches!(
            bc::op(lunatrace_vm::jitrt::code_at(caller, pc as usize - 1)),
            opc::CALL | opc::CALLM | opc::ITERC
        );
    if plain && call {
        lunatrace_vm::object::call_link(p, pc)
    } else {
        0
    }
}

/// Box the virtual reference cdata an exit left as raw addresses in the
/// frame at `base` (the interpreter, or a trace not made from that exit,
/// reads boxed values).
pub(crate) fn box_crefs(vm: &mut Vm, base: usize, crefs: &[(u32, u32)]) {
    for &(slot, ct) in crefs {
        let i = base + slot as usize;
        let addr = vm.th().stack[i].bits() as usize;
        let v = lunatrace_ffi::cdata::box_virtual(vm, ct, addr);
        vm.th().stack[i] = v;
    }
}

/// Push the inlined frames an exit left from (above frame `fi`, whose
/// register 0 is stack slot `base`); the innermost continues at `pc`.
pub(crate) fn rebuild_frames(vm: &mut Vm, fi: usize, base: usize, frames: &[SnapFrame], pc: u32) {
    let th = vm.th();
    th.frames.truncate(fi + 1);
    th.frames[fi].pc = frames[0].ret_pc;
    for (k, f) in frames.iter().enumerate() {
        let fb = base + f.base as usize;
        let fpc = frames.get(k + 1).map_or(pc, |n| n.ret_pc);
        th.frames.push(Frame {
            func: (fb - f.fdelta as usize) as u32,
            base: fb as u32,
            pc: fpc,
            nresults: f.nres as i16,
            nvarargs: f.nvarargs,
            kind: match (f.cmp, f.pcall) {
                (Some(jump_if), _) => FrameKind::Compare { jump_if },
                (None, true) if f.xpcall => FrameKind::Xpcall,
                (None, true) => FrameKind::Pcall,
                (None, false) => FrameKind::Lua,
            },
            ret: (base + f.ret as usize) as u32,
            link: f.link,
        });
    }
    let last = frames.last().unwrap();
    let fs = debuginfo::func_proto(Value::from_bits(last.func))
        .map_or(0, |p| debuginfo::proto(p).framesize as usize);
    th.top = base + last.base as usize + fs;
}
