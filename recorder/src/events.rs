//! The JIT's `jit.attach` events (`vm/vmevent.rs` queues and delivers
//! them), with LuaJIT's argument lists:
//!
//! | event | arguments |
//! |---|---|
//! | `trace` start | `"start", tr, func, pc, parent, exit` (parent and exit nil for a root trace) |
//! | `trace` stop | `"stop", tr, func` (func: the closure the trace starts in) |
//! | `trace` abort | `"abort", tr, func, pc, reason` (the reason is the `-jv` text, a string where LuaJIT passes an error number; `jit.v`-style handlers print either) |
//! | `trace` flush | `"flush"` |
//! | `record` | `tr, func, pc, depth` (depth: inlined frames above the trace's base frame) |
//! | `texit` | `tr, exit, 0, 0` (an exit that came back to the driver; no register values: traces keep none that would mean anything to Lua) |
//!
//! `tr` is the number the trace gets when it is installed (the next
//! free one while recording), `pc` a bytecode position as `jit.util`'s
//! `funcbc` numbers them.

use crate::record::Recorder;
use crate::Jit;
use lunatrace_vm::vmevent::{self, Arg};
use lunatrace_vm::Vm;

impl Jit {
    /// A recording started (`self.rec` holds it); `side`: parent trace and
    /// exit.
    pub(crate) fn event_start(&mut self, vm: &mut Vm, side: Option<(u32, u32)>) {
        if !vm.wants_vmevent(vmevent::TRACE) {
            return;
        }
        let Some(r) = self.rec.as_ref() else { return };
        let (p, e) = match side {
            Some((p, e)) => (Arg::Num(p as f64), Arg::Num(e as f64)),
            None => (Arg::Nil, Arg::Nil),
        };
        let tr = self.traces.len() as f64 + 1.0;
        let args = vec![
            Arg::Str("start".into()),
            Arg::Num(tr),
            Arg::Val(r.start_func),
            Arg::Num(r.pc0 as f64),
            p,
            e,
        ];
        vm.queue_vmevent(vmevent::TRACE, args);
    }

    /// Recording `r` aborted at `pc` (of its current function).
    pub(crate) fn event_abort(&mut self, vm: &mut Vm, r: &Recorder, why: &str, pc: usize) {
        if !vm.wants_vmevent(vmevent::TRACE) {
            return;
        }
        let func = r.frames.last().map_or(r.func, |f| f.func);
        let tr = self.traces.len() as f64 + 1.0;
        let args = vec![
            Arg::Str("abort".into()),
            Arg::Num(tr),
            Arg::Val(func),
            Arg::Num(pc as f64),
            Arg::Str(why.into()),
        ];
        vm.queue_vmevent(vmevent::TRACE, args);
    }

    /// Trace `id`, recorded by `r`, was installed.
    pub(crate) fn event_stop(&mut self, vm: &mut Vm, id: u32, r: &Recorder) {
        if !vm.wants_vmevent(vmevent::TRACE) {
            return;
        }
        let args = vec![
            Arg::Str("stop".into()),
            Arg::Num(id as f64),
            Arg::Val(r.start_func),
        ];
        vm.queue_vmevent(vmevent::TRACE, args);
    }
}

/// Arguments of a `record` event: trace `tr` records instruction `pc` of
/// frame `fi`, `depth` frames above the trace's base frame.
pub(crate) fn record(tr: u32, vm: &mut Vm, fi: usize, pc: usize, depth: usize) -> Vec<Arg> {
    let th = vm.th();
    let func = th.stack[th.frames[fi].func as usize];
    vec![
        Arg::Num(tr as f64),
        Arg::Val(func),
        Arg::Num(pc as f64),
        Arg::Num(depth as f64),
    ]
}

/// Arguments of a `texit` event: trace `tr` left by exit `exit`.
pub(crate) fn texit(tr: u32, exit: usize) -> Vec<Arg> {
    vec![
        Arg::Num(tr as f64),
        Arg::Num(exit as f64),
        Arg::Num(0.0),
        Arg::Num(0.0),
    ]
}
