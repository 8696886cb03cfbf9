//! The interpreter's side of the JIT: the hot counters' slow path (which
//! also charges the instruction budget) and entering a compiled trace from
//! a J* instruction, deciding where the interpreter continues after the
//! trace exits. The counting itself and the J* opcode arms stay in
//! `interp::run`.

use crate::error::LuaResult;
use crate::object::*;
use crate::state::Vm;
use crate::value::Value;
use std::ptr::NonNull;

/// A counter for hot loops and the instruction budget hit zero.
#[cold]
pub(crate) fn hot_or_budget(vm: &mut Vm, proto: *mut Proto, pc: usize) -> LuaResult<()> {
    if let Some(n) = vm.instr_limit.as_mut() {
        if *n == 0 {
            return Err(vm.rt_error_at(0, "instruction limit exceeded"));
        }
        *n -= 1;
    }
    if crate::interrupt::pending() && crate::interrupt::take() {
        // (The CLI's Ctrl-C.)
        return Err(vm.rt_error_at(0, "interrupted!"));
    }
    if crate::profile::due(vm) {
        // (`jit.profile`: a sample of interpreted code.)
        crate::profile::sample(vm, Some(pc), b"I");
    }
    if vm.in_vmevent {
        // (No trace starts while a `jit.attach` handler runs.)
        return Ok(());
    }
    if let (Some(mut j), Some(p)) = (vm.jit.take(), NonNull::new(proto)) {
        j.hot(vm, p, pc);
        vm.jit = Some(j);
    }
    Ok(())
}

/// Where the interpreter continues after `enter_trace`.
pub(crate) enum AfterTrace {
    /// The trace was not entered (its closure or the frames below did not
    /// match): the instruction runs in its original form.
    NotEntered,
    /// Run the instruction's original form: there is no JIT, or the trace
    /// exited back to this loop instruction (a guard before the loop
    /// failed), which must not run the trace again.
    Original,
    /// Continue this frame at instruction `pc`.
    At(usize),
    /// Continue in the top frame, re-reading it (`frames[fi].pc` is set).
    Frame,
    /// A side trace starts recording: continue in the recording loop (the
    /// frame's pc is set).
    Record,
}

/// Run trace `id` from the J* instruction before `pc` of frame `fi` (with
/// registers at `bidx`, running closure `cl`); its pc and top are saved.
/// `multres` receives the trace exit's multiple-result count. A trace's
/// error is returned for the loop to throw.
#[inline(never)]
pub(crate) fn enter_trace(
    vm: &mut Vm,
    id: u32,
    fi: usize,
    bidx: usize,
    pc: usize,
    cl: NonNull<Func>,
    multres: &mut usize,
) -> LuaResult<AfterTrace> {
    if vm.in_vmevent {
        // (No trace runs while a `jit.attach` handler runs: `vmevent.rs`.)
        return Ok(AfterTrace::NotEntered);
    }
    let Some(mut j) = vm.jit.take() else {
        // The JIT is out of the VM (Lua run by a native a stitched trace
        // called, a finaliser at an exit): the trace is not entered, and
        // what the `J*` instruction prepared for it is undone (JFORI's
        // counter stepped back).
        return Ok(AfterTrace::NotEntered);
    };
    let r = j.enter(vm, id, fi, bidx);
    vm.jit = Some(j);
    let poll = std::mem::take(&mut vm.exit_poll);
    if vm.hook_mask & crate::lib_debug::HOOK_COUNT == 0 {
        // (Traces compiled under a count hook poll its countdown, also
        // once it is removed: far from zero, they never exit for it.)
        vm.hook_left = u32::MAX;
    }
    if let Some(m) = vm.exit_multres.take() {
        *multres = m as usize;
    }
    if let Some(e) = vm.trace_error.take() {
        vm.vmevents.clear();
        return Err(e);
    }
    if crate::interrupt::pending() && r.is_some() && crate::interrupt::take() {
        // (The CLI's Ctrl-C, seen when a trace exits: the interpreter's
        // state is the exit's.)
        return Err(vm.rt_error_at(0, "interrupted!"));
    }
    if !vm.vmevents.is_empty() || crate::profile::due(vm) {
        deliver_after_exit(vm, *multres);
    }
    let Some((npc, moved)) = r else {
        return Ok(AfterTrace::NotEntered);
    };
    let at = pc - 1;
    if moved || vm.th().frames.len() != fi + 1 {
        // The exit rebuilt inlined frames (or popped frames it returned
        // from); a side trace may start recording in the frame it
        // continues in.
        if vm.recording {
            return Ok(AfterTrace::Record);
        }
        return Ok(AfterTrace::Frame);
    }
    if vm.recording {
        // A side trace starts recording here (the recording loop re-reads
        // the frame, whose function a tail call in the trace may have
        // replaced).
        vm.th().frames[fi].pc = npc as u32;
        return Ok(AfterTrace::Record);
    }
    let th = vm.th();
    let f = th.frames[fi];
    if f.base as usize != bidx || th.stack[f.func as usize].bits() != Value::from_func(cl).bits() {
        // A tail call in the trace replaced this frame's function, or the
        // exit left another frame at this level.
        th.frames[fi].pc = npc as u32;
        return Ok(AfterTrace::Frame);
    }
    // (A collection due when the trace exited has run in `enter`.)
    if npc != at || poll {
        // (A poll's exit back at this instruction: the trace ran an
        // iteration at least; the count hook runs before the instruction,
        // which enters it again, instead of interpreting an iteration.)
        return Ok(AfterTrace::At(npc));
    }
    // An exit back to this loop instruction (a guard before the loop
    // failed): run its original form, not the trace again.
    Ok(AfterTrace::Original)
}

/// Deliver `jit.attach` events after a trace exit, with the stack top
/// above the top frame's registers and the values an exit may have left
/// for a MULTRES consumer.
#[cold]
fn deliver_after_exit(vm: &mut Vm, multres: usize) {
    let th = vm.th();
    let Some(f) = th.frames.last().copied() else {
        return;
    };
    let fs = crate::debuginfo::func_proto(th.stack[f.func as usize])
        .map_or(0, |p| crate::debuginfo::proto(p).framesize as usize);
    let saved = th.top;
    th.top = saved.max(f.base as usize + fs + multres + 1);
    if vm.ensure_stack(crate::state::MIN_STACK).is_ok() {
        vm.deliver_vmevents();
        // (`jit.profile`: the ticks counted while the trace ran.)
        if crate::profile::due(vm) {
            crate::profile::sample(vm, None, b"N");
        }
    }
    vm.th().top = saved;
}
