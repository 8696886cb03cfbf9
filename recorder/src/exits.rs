//! Trace entry and exits: running a trace for the interpreter's `J*`
//! instructions, following the exit links that need checks, starting side
//! traces at hot exits, boxing virtual cdata an exit left, rebuilding the
//! inlined frames of the exit taken, and the checks of the frames below a
//! trace that returns to them.

use crate::install::unpatch;
use crate::record;
use crate::snap::{box_crefs, rebuild_frames};
use crate::{Jit, Refusal, MAX_CHAIN, MAX_ID, NO_SIDE};

/// Times a loop is recorded again because its root trace's first
/// iteration kept failing (`Jit::prefix_fails`): each new recording starts
/// at another iteration, which may take the same rare path again.
const MAX_RERECORD: u32 = 3;
use lunatrace_ir::trace::SnapFrame;
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::debuginfo;
use lunatrace_vm::jitrt;
use lunatrace_vm::object::FrameKind;
use lunatrace_vm::state::{grow_stack, MIN_STACK};
use lunatrace_vm::{Value, Vm};

impl Jit {
    /// Run trace `id` for frame `fi` (register 0 at stack slot `base`):
    /// see `JitHook::enter`.
    pub(crate) fn run_trace(
        &mut self,
        vm: &mut Vm,
        id: u32,
        fi: usize,
        base: usize,
    ) -> Option<(usize, bool)> {
        if self.pending.is_some() || self.pending_region.is_some() {
            self.poll_worker(vm, false);
        }
        if self.regions_dirty {
            // (Every 1024th entry: the budget reads the clock.)
            self.dirty_ticks = self.dirty_ticks.wrapping_add(1);
            if self.dirty_ticks.is_multiple_of(1024) && !self.over_budget() {
                self.update_regions();
            }
        }
        let t = self.traces.get(id as usize - 1)?;
        let fv = vm.th().stack[vm.th().frames[fi].func as usize];
        if fv.bits() != t.func.bits()
            || ((t.tail_base || !t.down.is_empty()) && !down_ok(vm, fi, &t.down, t.tail_base))
        {
            return None;
        }
        let t = &mut self.traces[id as usize - 1];
        t.entries = t.entries.saturating_add(1);
        // Inlined frames live above this one: make room before entering.
        let need = base + self.max_slots + MIN_STACK;
        if vm.th().stack.len() < need {
            grow_stack(&mut vm.heap, vm.cur, need);
        }
        let vmp = vm as *mut Vm;
        let prev = jitrt::enter_trace(vmp as usize);
        let (mut fi, mut base) = (fi, base);
        // The activation entered: a chain of linked traces may return from
        // it (RETG) and push another at the same depth (RECLINK), which
        // the interpreter must then load as a new frame.
        let entered = (fi, base, fv.bits());
        let mut moved = false;
        // A stitched tail call returned from the exit's innermost frame.
        let mut returned = false;
        // The values a stitched call left for the MULTRES consumer the
        // interpreter resumes at.
        let mut left_multres: Option<u32> = None;
        let mut id = id;
        let (pc, last) = loop {
            let bp = vm.th().stack[base..].as_mut_ptr() as *mut u64;
            let entry = self.traces[id as usize - 1].entry;
            // SAFETY: the trace was compiled for this prototype and closure
            // (checked above and before following a link, as is the chain
            // of frames below it that it returns to); it reads and writes
            // this frame's slots, those of the frames it inlines, which
            // exist (grown above), and those of the frames below it; it
            // calls only runtime helpers that never run Lua code or
            // collect; `vmp` is this VM, not otherwise used while the trace
            // runs. A Lua error raised by C code the trace called (the
            // sandwich policy `error`) unwinds to here.
            let t0 = self.counting.then(std::time::Instant::now);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
                entry(bp, vmp as *mut u8)
            }));
            if let Some(t0) = t0 {
                self.enter_stats.in_code += t0.elapsed();
            }
            // The exit taken, in the trace the chain of directly linked
            // traces ended in (all in this frame).
            let exit = match r {
                Ok(e) => {
                    id = e >> 16;
                    (e & 0xffff) as usize
                }
                Err(p) => {
                    jitrt::leave_trace(prev);
                    // SAFETY: the trace is no longer running.
                    let vm = unsafe { &mut *vmp };
                    match p.downcast::<lunatrace_vm::error::Throw>() {
                        Ok(t) => vm.trace_error = Some(t.0),
                        Err(p) => std::panic::resume_unwind(p),
                    }
                    return None;
                }
            };
            let t = &mut self.traces[id as usize - 1];
            let Some(&pc) = t.exit_pcs.get(exit) else {
                break (None, (id, 0));
            };
            t.exits[exit] = t.exits[exit].saturating_add(1);
            if t.loop_root {
                if pc as usize == t.pc + 1 {
                    t.end_exits += 1;
                } else if t.early(exit) {
                    t.early_exits += 1;
                }
            }
            if vm.wants_vmevent(lunatrace_vm::vmevent::TEXIT) {
                vm.queue_vmevent(lunatrace_vm::vmevent::TEXIT, crate::events::texit(id, exit));
            }
            // The usual exit, to the interpreter in the frame the trace
            // ran in, with nothing to rebuild, box, pop or collect (and no
            // side trace to start): straight back.
            let link = t.links[exit];
            if (link == NO_SIDE || (link == 0 && t.exits[exit] < self.params.hotexit))
                && !moved
                && t.plain_exit(exit)
                && vm.reentered == 0
                && vm.th().frames.len() == fi + 1
                && same_activation(vm, entered)
                && !vm.heap.should_collect()
            {
                jitrt::leave_trace(prev);
                vm.exit_multres = None;
                vm.exit_poll = t.exit_poll[exit];
                return Some((pc as usize, false));
            }
            let down = t.exit_down[exit] as usize;
            if t.exit_synced[exit] {
                moved = true;
            }
            // The trace ran in the top frame (recursion traces push and
            // pop real frames as they go).
            if !same_activation(vm, entered) {
                moved = true;
            }
            let th = vm.th();
            let top = th.frames.len() - 1;
            fi = top;
            base = th.frames[fi].base as usize;
            // Virtual references the exit left as addresses (in the frame
            // the trace ran in), boxed unless a side trace takes them.
            let (ebase, from) = (base, (id, exit));
            if down > 0 {
                // The trace returned to lower frames: continue in the
                // frame it left from (the frames returned from are gone).
                fi -= down;
                let th = vm.th();
                th.frames.truncate(fi + 1);
                base = th.frames[fi].base as usize;
                moved = true;
            }
            if t.stitch == Some(exit as u32) {
                // The trace ended before a native call (stitching): make
                // the call, then go on in the trace recorded after it.
                box_crefs(vm, ebase, &self.traces[id as usize - 1].exit_crefs[exit]);
                // (Out of the trace meanwhile: Lua may be re-entered.)
                jitrt::leave_trace(prev);
                self.stitch_calls += 1;
                let res = self.stitch_call(vm, id, exit, fi, base, pc);
                jitrt::enter_trace(vmp as usize);
                // Where the trace recorded after the call starts: after
                // it, or in the caller the tail call returned to.
                let (next, tail, mres) = match res {
                    Err(e) => {
                        vm.trace_error = Some(e);
                        break (Some(pc as usize + 1), (id, exit));
                    }
                    // Not made here: the interpreter makes the call.
                    Ok(None) => {
                        self.refuse(id, exit, Refusal::Coroutine);
                        break (Some(pc as usize), (id, exit));
                    }
                    Ok(Some(Resume::Next)) => (pc as usize + 1, false, None),
                    Ok(Some(Resume::Multres(n))) => (pc as usize + 1, false, Some(n)),
                    Ok(Some(Resume::Caller(p))) => (p, true, None),
                };
                let t = &self.traces[id as usize - 1];
                let link = t.links[exit];
                let frames_ok =
                    vm.th().frames.len() + usize::from(tail) == fi + 1 + t.exit_frames[exit].len();
                // (A continuation at a MULTRES consumer runs only with the
                // number of values it was recorded with.)
                let same_count = link != 0
                    && link != NO_SIDE
                    && self.traces[link as usize - 1].entry_multres == mres;
                // (Not when the call set the first count hook: the
                // traces, without polls, are flushed at the next entry.)
                if frames_ok && same_count && !self.poll_stale(vm) && self.can_follow(vm, fi, link)
                {
                    // The continuation has the exit's frames inlined.
                    vm.th().frames.truncate(fi + 1);
                    id = link;
                    continue;
                }
                if link == 0 && frames_ok && self.may_grow_side(id, exit) {
                    // Record the continuation, from the instruction after
                    // the call, with the exit's frames inlined (but the
                    // one a tail call returned from).
                    // (Its virtual references were boxed for the call.)
                    self.start_side(vm, id, exit, fi, next, false, tail, false);
                    if let (Some(n), Some(r)) = (mres, self.rec.as_mut()) {
                        r.start_at_multres(n, next);
                    }
                }
                left_multres = mres;
                if tail {
                    // The frame the tail call returned from is gone: the
                    // caller goes on (and is rebuilt without it below).
                    returned = true;
                    moved = true;
                }
                break (Some(next), (id, exit));
            }
            let link = t.links[exit];
            if link != 0 && link != NO_SIDE {
                if self.can_follow(vm, fi, link) {
                    if self.traces[link as usize - 1].parent != Some((id, exit as u32)) {
                        box_crefs(
                            vm,
                            ebase,
                            &self.traces[from.0 as usize - 1].exit_crefs[from.1],
                        );
                    }
                    id = link;
                    continue;
                }
                box_crefs(
                    vm,
                    ebase,
                    &self.traces[from.0 as usize - 1].exit_crefs[from.1],
                );
                break (Some(pc as usize), (id, exit));
            }
            if link == 0 && !moved {
                self.link_to_loop(vm, id, exit, fi, pc as usize);
            }
            // A hot exit (not the loop's own end) grows a side trace in the
            // frame the exit continues in; it inherits the exit's inlined
            // frames (the interpreter gets them as real frames below).
            // (A side trace here would be a side loop.)
            let side_loop = link == 0 && !moved && self.side_loop_at(id, exit, pc);
            if link == 0 && !moved && self.prefix_fails(id, exit) {
                // Not a side trace that every iteration would run after
                // the root's failed first iteration: the loop again.
                self.rerecord(id, exit);
            } else if link == 0
                && self.may_grow_side(id, exit)
                && self.side_fits(vm, id, exit, fi, pc, side_loop)
            {
                let t = &self.traces[id as usize - 1];
                let mres = t.exit_multres[exit];
                self.start_side(vm, id, exit, fi, pc as usize, true, false, !moved);
                if let Some(r) = self.rec.as_mut() {
                    r.side_loop = side_loop;
                }
                // (An exit at a MULTRES consumer: the side trace starts
                // with the values its producer left, always as many.)
                if let (Some(n), Some(r)) = (mres, self.rec.as_mut()) {
                    r.start_at_multres(n, pc as usize);
                }
            }
            box_crefs(
                vm,
                ebase,
                &self.traces[from.0 as usize - 1].exit_crefs[from.1],
            );
            break (Some(pc as usize), (id, exit));
        };
        jitrt::leave_trace(prev);
        if vm.reentered != 0 {
            // The trace left after a C call that re-entered Lua (policy
            // `exit`): never compile those call sites again, and stop
            // entering this trace.
            vm.reentered = 0;
            let mut t = last.0;
            loop {
                let ti = &self.traces[t as usize - 1];
                self.ffi_banned.extend(ti.ffi_sites.iter().copied());
                match ti.parent {
                    Some((p, _)) => t = p,
                    None => {
                        unpatch(ti);
                        break;
                    }
                }
            }
        }
        let pc = pc?;
        if moved {
            // Pop the frames the trace returned from; the frame returned
            // to continues at `pc` (or below its inlined frames).
            let th = vm.th();
            th.frames.truncate(fi + 1);
            th.frames[fi].pc = pc as u32;
            let fs = debuginfo::func_proto(th.stack[th.frames[fi].func as usize])
                .map_or(0, |p| debuginfo::proto(p).framesize as usize);
            th.top = base + fs;
        }
        let frames = &self.traces[last.0 as usize - 1].exit_frames[last.1];
        let frames = &frames[..frames.len() - usize::from(returned && !frames.is_empty())];
        if !frames.is_empty() {
            // The exit's inlined frames become real frames.
            rebuild_frames(vm, fi, base, frames, pc as u32);
            moved = true;
        }
        if vm.heap.should_collect() {
            // Traces allocate without collecting and exit when a
            // collection is due (GCSTEP): collect here, with every frame
            // written back. An error of a finaliser is raised by the
            // interpreter as if the trace had raised it. (The JIT is out
            // of the VM meanwhile: a side trace that started recording
            // at this exit roots what it holds for the collection.)
            let n = vm.jit_roots.len();
            if let Some(r) = self.rec.as_ref() {
                r.gc_roots(&mut vm.jit_roots);
            }
            let emr = left_multres.or(self.traces[last.0 as usize - 1].exit_multres[last.1]);
            if let Some(m) = emr {
                // Values left for a MULTRES consumer may reach above the
                // frame: the collection keeps them.
                multres_top(vm, pc, m as usize);
            }
            if let Err(e) = vm.full_gc() {
                vm.trace_error = Some(e);
            }
            vm.jit_roots.truncate(n);
        }
        vm.exit_multres = left_multres.or(self.traces[last.0 as usize - 1].exit_multres[last.1]);
        vm.exit_poll = self.traces[last.0 as usize - 1].exit_poll[last.1];
        Some((pc, moved))
    }
}

impl Jit {
    /// Whether trace `link` (a side trace or continuation linked to an
    /// exit) can run in frame `fi`: the frame's closure is the trace's,
    /// and the frames below are those it returns to.
    fn can_follow(&self, vm: &mut Vm, fi: usize, link: u32) -> bool {
        if link == 0 || link == NO_SIDE {
            return false;
        }
        let th = vm.th();
        let f = th.stack[th.frames[fi].func as usize];
        let lt = &self.traces[link as usize - 1];
        f.bits() == lt.func.bits() && down_ok(vm, fi, &lt.down, lt.tail_base)
    }

    /// A hot exit of trace `id` to the interpreter at `pc` of the frame it
    /// ran in (`fi`), where a compiled loop of that function starts: a
    /// side trace would be empty, so the exit is linked to the loop's
    /// trace (its code jumps there after the write-back; the trace's
    /// entry guards check the slots), as a side trace ending there would
    /// be. Not the trace's own loop, nor an exit that has anything beyond
    /// the write-back to do.
    fn link_to_loop(&mut self, vm: &mut Vm, id: u32, exit: usize, fi: usize, pc: usize) {
        let t = &self.traces[id as usize - 1];
        if t.exits[exit] < self.params.hotexit
            || !t.plain_exit(exit)
            || vm.th().frames.len() != fi + 1
        {
            return;
        }
        let Some(to) = compiled_loop_at(vm, fi, &[], pc) else {
            return;
        };
        let t = &self.traces[id as usize - 1];
        let Some(lt) = self.traces.get(to as usize - 1) else {
            return;
        };
        // (Nor an exit back to the start of the trace's own loop with
        // nothing written back, `snap0`: the state it entered with. The
        // loop's trace there may fail back into it, root and side loops
        // round and round on a path none of them takes.)
        let at_start = pc == t.pc && t.exit_frames[exit].is_empty();
        let restart = at_start && t.full_ir.snaps.get(exit).is_some_and(|s| s.map.is_empty());
        // (An exit of the loop's copy back to its own start, with the
        // values carried so far, may continue in the trace itself: its
        // first iteration takes the path again or fails into a side
        // loop, `side_loop_at`.)
        let own_copy = to == id && at_start && !restart && (t.loop_root || t.side_loop);
        if (to == id && !own_copy)
            || restart
            || lt.func.bits() != t.func.bits()
            || !lt.down.is_empty()
            || lt.tail_base
            || lt.entry_multres.is_some()
            || lt.link == 0
        {
            return;
        }
        let link = lt.link;
        let t = &mut self.traces[id as usize - 1];
        t.links[exit] = to;
        t.cells[exit].store(link, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether exit `exit` of trace `id` is hot enough, and the JIT free
    /// and within its limits, to grow a side trace from it; a hot exit
    /// refused remembers why (`refuse`).
    fn may_grow_side(&mut self, id: u32, exit: usize) -> bool {
        let t = &self.traces[id as usize - 1];
        if t.exits[exit] < self.params.hotexit {
            return false;
        }
        let why = if !self.on {
            Refusal::Off
        } else if self.rec.is_some() || self.pending.is_some() {
            Refusal::Busy
        } else if self.traces[t.root as usize - 1].nside >= self.params.maxside {
            Refusal::MaxSide
        } else if (self.traces.len() as u32) >= self.params.maxtrace.min(MAX_ID) {
            Refusal::MaxTrace
        } else if self.over_budget() {
            Refusal::Budget
        } else {
            return true;
        };
        self.refuse(id, exit, why);
        false
    }

    /// Whether a side trace of exit `exit` of trace `id`, continuing at
    /// `pc` in frame `fi`, would be more than an empty path to a compiled
    /// loop (the interpreter enters it) and not one more of a chain of
    /// side traces at the trace's start (`MAX_CHAIN`); a side loop
    /// (`side_loop_at`) starts at a compiled loop on purpose.
    fn side_fits(
        &mut self,
        vm: &mut Vm,
        id: u32,
        exit: usize,
        fi: usize,
        pc: u32,
        side_loop: bool,
    ) -> bool {
        let t = &self.traces[id as usize - 1];
        let why = if t.chain >= MAX_CHAIN && pc as usize == t.pc {
            Refusal::Chain
        } else if side_loop {
            return true;
        } else if compiled_loop_at(vm, fi, &t.exit_frames[exit], pc as usize).is_some() {
            Refusal::Loop
        } else {
            return true;
        };
        self.refuse(id, exit, why);
        false
    }

    /// Whether a side trace of exit `exit` of trace `id`, resuming at `pc`,
    /// is a side loop (`Recorder::side_loop`): the exit goes back to the
    /// start of the trace's own loop (a `for` or `while`/`repeat` loop of a
    /// root trace or of another side loop) in its base frame, with nothing
    /// written back (a guard of the first iteration before any store:
    /// `Recorder::snap0`). (Not the loop copy's exits back to the start,
    /// with the values carried so far: each would grow a loop of its own
    /// for every path, FFT's bit reversal made 80 of them; those link to
    /// the loop's trace, `link_to_loop`, whose first iteration takes the
    /// path or fails into a side loop.)
    fn side_loop_at(&self, id: u32, exit: usize, pc: u32) -> bool {
        let t = &self.traces[id as usize - 1];
        self.flags.sideloop
            && pc as usize == t.pc
            && (t.loop_root || t.side_loop)
            && matches!(
                bc::op(t.orig),
                opc::FORL | opc::LOOP | opc::JFORL | opc::JLOOP
            )
            && t.exit_frames[exit].is_empty()
            && t.exit_down[exit] == 0
            && t.exit_multres[exit].is_none()
            && t.stitch != Some(exit as u32)
            && t.full_ir.snaps.get(exit).is_some_and(|s| s.map.is_empty())
    }

    /// Whether hot exit `exit` of loop root trace `id` is in its first
    /// iteration (before the loop label, not the loop's end) and the
    /// trace's entries mostly (half or more) failed in that iteration,
    /// many more entries than the loop reached its end: the
    /// loop was recorded when it took a path it rarely takes, and with
    /// side traces linked back to the root's start every iteration would
    /// fail there and go on in one, never reaching the loop. At most
    /// `MAX_RERECORD` times per loop.
    fn prefix_fails(&self, id: u32, exit: usize) -> bool {
        let t = &self.traces[id as usize - 1];
        // Only a root that never ran its loop to the end: a loop whose
        // first iterations after each entry are special (the edges of a
        // row) also fails early on most entries, and so does an inner
        // loop that takes the other path for all of some of its runs
        // (`r % 8 == 0` rows, each iteration of which is a failed entry),
        // but both complete their other runs in the trace, where a side
        // trace serves the failing ones.
        let entries = t.entries as u64;
        self.flags.rerecord
            && t.loop_root
            && t.end_exits == 0
            && entries >= 8
            && t.early_exits * 2 >= entries
            && t.exits[exit] >= self.params.hotexit
            && t.early(exit)
            && self
                .rerecorded
                .get(&(t.proto.as_ptr() as usize, t.pc))
                .copied()
                .unwrap_or(0)
                < MAX_RERECORD
    }

    /// Record root trace `id`'s loop again (`prefix_fails`): its loop
    /// instruction is restored, so the hot counter starts a new recording
    /// (the trace stays for the traces linked to it).
    fn rerecord(&mut self, id: u32, exit: usize) {
        let t = &self.traces[id as usize - 1];
        *self
            .rerecorded
            .entry((t.proto.as_ptr() as usize, t.pc))
            .or_insert(0) += 1;
        crate::install::unpatch(t);
        self.refuse(id, exit, Refusal::Rerecord);
    }

    /// Exit `exit` of trace `id`, hot, started no side trace: `why`.
    fn refuse(&mut self, id: u32, exit: usize, why: Refusal) {
        if let Some(r) = self.traces[id as usize - 1].refused.get_mut(exit) {
            *r = why;
        }
    }

    /// Start recording a side trace of exit `exit` of trace `id` at `pc`
    /// (the exit's pc, or the instruction after a stitched call) in the
    /// frame `fi` the exit continues in, inheriting the exit's inlined
    /// frames (and its virtual references, when `crefs`: not yet boxed;
    /// but the innermost, when it `returned`: a stitched tail call);
    /// `typed`: the exit's frame is the one the trace ran in, so the
    /// recording may load the slots the exit wrote without type checks
    /// (`parent_types`).
    #[allow(clippy::too_many_arguments)]
    fn start_side(
        &mut self,
        vm: &mut Vm,
        id: u32,
        exit: usize,
        fi: usize,
        pc: usize,
        crefs: bool,
        returned: bool,
        typed: bool,
    ) {
        let t = &self.traces[id as usize - 1];
        let th = vm.th();
        let func = th.stack[th.frames[fi].func as usize];
        let proto = debuginfo::func_proto(func).unwrap_or(t.proto);
        let mut frames = t.exit_frames[exit].clone();
        if returned {
            // (The innermost frame returned: a stitched tail call.)
            frames.pop();
        }
        let crefs = if crefs {
            t.exit_crefs[exit].clone()
        } else {
            Vec::new()
        };
        let ints = t.exit_ints.get(exit).cloned().unwrap_or_default();
        // (Not after a stitched call, which wrote its results, nor when
        // the exit continues in a lower frame or leaves MULTRES values.)
        let typed = typed
            && t.exit_down[exit] == 0
            && !t.exit_synced[exit]
            && t.exit_multres[exit].is_none()
            && t.stitch != Some(exit as u32);
        let types = if typed {
            parent_types(&t.full_ir, exit)
        } else {
            Vec::new()
        };
        let mut r = self.new_recorder(vm, proto, pc, fi, func);
        r.side = Some((id, exit as u32));
        r.int_slots = ints;
        r.parent_types = types;
        r.inherit_frames(&frames);
        r.inherit_crefs(&crefs);
        self.rec = Some(r);
        vm.recording = true;
        self.event_start(vm, Some((id, exit as u32)));
    }

    /// The native call a stitched trace ended before (exit `exit` of
    /// trace `id`, at `pc` of its innermost frame; the trace's base frame
    /// is `fi`, register 0 at `base`): the exit's inlined frames become
    /// real frames, the call runs as the interpreter's `CALL` would, and
    /// a collection runs if one is due. An error is the call's. A C
    /// function called in a coroutine is left to the interpreter (it may
    /// yield, which only the interpreter's call can): false, the frames
    /// rebuilt to resume at the call.
    fn stitch_call(
        &mut self,
        vm: &mut Vm,
        id: u32,
        exit: usize,
        fi: usize,
        base: usize,
        pc: u32,
    ) -> lunatrace_vm::LuaResult<Option<Resume>> {
        let frames = &self.traces[id as usize - 1].exit_frames[exit];
        vm.th().frames.truncate(fi + 1);
        if !frames.is_empty() {
            rebuild_frames(vm, fi, base, frames, pc + 1);
        }
        let th = vm.th();
        let inner = th.frames.len() - 1;
        th.frames[inner].pc = pc + 1;
        let ib = th.frames[inner].base as usize;
        let f = th.stack[th.frames[inner].func as usize];
        let p = debuginfo::func_proto(f).ok_or_else(|| vm.rt_error("stitch: no Lua frame"))?;
        let ins = jitrt::code_at(p, pc as usize);
        let a = bc::a(ins) as usize;
        let nres = bc::b(ins) as i32 - 1;
        let callee = match bc::op(ins) {
            opc::ITERC => vm.th().stack[ib + a - 3],
            _ => vm.th().stack[ib + a],
        };
        // (`pcall` of a native: it may be a C function too.)
        let protected = callee
            .as_func_ptr()
            // SAFETY: live function object.
            .is_some_and(
                |f| unsafe { (*f.as_ptr()).hdr.flags } == lunatrace_vm::object::ffid::PCALL,
            );
        if vm.cur != vm.main && (debuginfo::is_c_function(callee) || protected) {
            vm.th().frames[inner].pc = pc;
            return Ok(None);
        }
        let tail = bc::op(ins) == opc::CALLT;
        let nres = if tail { -1 } else { nres };
        let all = nres < 0 && !tail;
        let nargs = if bc::op(ins) == opc::ITERC {
            // The iterator, its state and control variable, copied up.
            let th = vm.th();
            th.stack.copy_within(ib + a - 3..ib + a, ib + a);
            2
        } else if bc::op(ins) == opc::CALLM {
            // C fixed arguments and the values the producer left.
            let m = self.traces[id as usize - 1].exit_multres[exit].unwrap_or(0);
            bc::c(ins) as usize + m as usize
        } else {
            bc::c(ins) as usize - 1
        };
        // A recording in progress is rooted meanwhile (the JIT is out of
        // the VM while it runs a trace).
        let n = vm.jit_roots.len();
        if let Some(r) = self.rec.as_ref() {
            r.gc_roots(&mut vm.jit_roots);
        }
        let mut res = lunatrace_vm::interp::call_at(vm, ib + a, nargs, nres).map(|_| ());
        let mut resume = Resume::Next;
        if let (true, Ok(_)) = (tail, &res) {
            // `return native(...)`: return all its results to the caller.
            let n = vm.th().top - (ib + a);
            lunatrace_vm::interp::return_from(vm, ib + a, n);
            let th = vm.th();
            let caller = th.frames[th.frames.len() - 1];
            resume = Resume::Caller(caller.pc as usize);
            let cf = th.stack[caller.func as usize];
            if let Some(cp) = debuginfo::func_proto(cf) {
                th.top = caller.base as usize + debuginfo::proto(cp).framesize as usize;
            }
        } else if let (true, Ok(_)) = (all, &res) {
            // All results, for the MULTRES consumer after the call: the
            // top stays above them (a collection keeps them).
            let th = vm.th();
            let n = th.top - (ib + a);
            resume = Resume::Multres(n as u32);
            th.top = th.top.max(ib + debuginfo::proto(p).framesize as usize);
        } else {
            vm.th().top = ib + debuginfo::proto(p).framesize as usize;
        }
        if res.is_ok() && vm.heap.should_collect() {
            res = vm.full_gc();
        }
        vm.jit_roots.truncate(n);
        res.map(|_| Some(resume))
    }
}

/// Where execution goes on after a stitched call the driver made.
enum Resume {
    /// At the instruction after the call.
    Next,
    /// In the caller a tail call returned to, at this pc.
    Caller(usize),
    /// At the instruction after the call, a MULTRES consumer, with this
    /// many values.
    Multres(u32),
}

/// Raise the stack top over the `m` values an exit left for the MULTRES
/// consumer at `pc` of the innermost frame (`CALLM`/`CALLMT` arguments,
/// `RETM`/`TSETM` values), which may lie above the frame's registers.
fn multres_top(vm: &mut Vm, pc: usize, m: usize) {
    let th = vm.th();
    let f = th.frames[th.frames.len() - 1];
    let Some(p) = debuginfo::func_proto(th.stack[f.func as usize]) else {
        return;
    };
    let ins = jitrt::code_at(p, pc);
    let a = bc::a(ins) as usize;
    let end = match bc::op(ins) {
        opc::CALLM => a + 1 + bc::c(ins) as usize + m,
        opc::CALLMT => a + 1 + bc::d(ins) as usize + m,
        opc::RETM => a + bc::d(ins) as usize + m,
        _ => a + m,
    };
    let top = (f.base as usize + end).min(th.stack.len());
    th.top = th.top.max(top);
}

/// Whether the top frame is still the activation a trace was entered in
/// (`entered`: its frame index, base and function).
fn same_activation(vm: &mut Vm, entered: (usize, usize, u64)) -> bool {
    let th = vm.th();
    let top = th.frames.len() - 1;
    let f = th.frames[top];
    top == entered.0
        && f.base as usize == entered.1
        && th.stack[f.func as usize].bits() == entered.2
}

/// The trace of the compiled loop starting at `pc` of frame `fi`'s
/// function, if one does (a side trace starting there would be empty).
/// (`pc` is in the innermost of the exit's inlined `frames`, if any.)
fn compiled_loop_at(vm: &mut Vm, fi: usize, frames: &[SnapFrame], pc: usize) -> Option<u32> {
    let th = vm.th();
    let f = frames
        .last()
        .map_or(th.stack[th.frames[fi].func as usize], |f| {
            Value::from_bits(f.func)
        });
    let ins = jitrt::code_at(debuginfo::func_proto(f)?, pc);
    matches!(bc::op(ins), opc::JFORL | opc::JLOOP | opc::JITERL).then(|| bc::d(ins))
}

/// The slots exit `exit` of trace `t` leaves with a known type (sorted by
/// slot): those it writes back (ints are written as numbers; boxed values
/// of unknown type and virtual references are left out), and those it
/// leaves as they were whose type the trace checked before the exit
/// (an `UNBOX` of their `SLOAD`, before any instruction that moves the
/// base or stores a slot). A side trace started there loads them without
/// a type check (`Recorder::parent_types`).
fn parent_types(t: &lunatrace_ir::Trace, exit: usize) -> Vec<(u32, lunatrace_ir::Ty)> {
    use lunatrace_ir::{Op, Ty};
    let Some(snap) = t.snaps.get(exit).filter(|s| s.shift == 0) else {
        return Vec::new();
    };
    let known = |ty: Ty| match ty {
        Ty::Int => Some(Ty::Num),
        Ty::Void | Ty::Val | Ty::CRef | Ty::Ptr => None,
        ty => Some(ty),
    };
    let mut v: Vec<(u32, Ty)> = snap
        .map
        .iter()
        .filter_map(|e| Some((e.slot, known(t.ty(e.r))?)))
        .collect();
    for ins in t.ins.iter().take(snap.at as usize) {
        if matches!(ins.op, Op::SSTORE | Op::FSTORE | Op::RETF | Op::RETG) {
            break;
        }
        if ins.op != Op::UNBOX || ins.ra().is_const() {
            continue;
        }
        let l = &t.ins[ins.ra().idx()];
        if l.op != Op::SLOAD || l.a < 0 {
            continue;
        }
        let slot = l.a as u32;
        if let Some(ty) = known(ins.ty) {
            if !snap.map.iter().any(|e| e.slot == slot) {
                v.push((slot, ty));
            }
        }
    }
    v.sort_by_key(|e| e.0);
    v.dedup_by_key(|e| e.0);
    v
}

/// Whether the frames below frame `fi` are those trace code returning to
/// them expects (`down`, see `record::DownFrame`), with no open upvalue
/// in the frames it returns from.
fn down_ok(vm: &mut Vm, fi: usize, down: &[record::DownFrame], tail_base: bool) -> bool {
    if tail_base {
        // A tail call from the entry frame: no open upvalues there.
        let th = vm.th();
        let b = th.frames[fi].base as usize;
        // SAFETY: live upvalues.
        if th
            .open_upvals
            .last()
            .is_some_and(|u| unsafe { (*u.as_ptr()).idx } >= b)
        {
            return false;
        }
    }
    if down.is_empty() {
        return true;
    }
    if fi < down.len() {
        return false;
    }
    let th = vm.th();
    for (k, d) in down.iter().enumerate() {
        let (f, c) = (&th.frames[fi - k], &th.frames[fi - k - 1]);
        if f.kind != d.kind
            || f.nresults as i32 != d.nres
            || f.base.wrapping_sub(c.base) != d.delta
            || f.ret.wrapping_sub(c.base) != d.call_a
            || c.pc != d.pc
            || c.kind == FrameKind::Native
            || th.stack[c.func as usize].bits() != d.func
        {
            return false;
        }
    }
    let low = th.frames[fi + 1 - down.len()].base as usize;
    // SAFETY: live upvalues.
    th.open_upvals
        .last()
        .is_none_or(|u| unsafe { (*u.as_ptr()).idx } < low)
}
