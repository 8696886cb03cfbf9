//! VM events for `jit.attach` (LuaJIT's `trace`, `record`, `texit` and
//! `bc` events): the JIT (or the parser, for `bc`) queues an event in
//! `Vm::vmevents` when a handler is attached for its kind
//! (`Vm::vmevent_mask`), and the interpreter delivers the queue at safe
//! points, never from compiled code:
//!
//! - in the recording loop, before the recorder sees the next instruction
//!   and after it has seen the last one (the frame's pc and top are saved
//!   there, as for debug hooks), so a handler runs between two
//!   instructions and the recorder observes the state it left;
//! - after a trace exit has returned to the interpreter (`enter_trace`),
//!   with the stack top above the frame's registers and any results it
//!   left;
//! - after `load`/`loadstring`/`dofile`/`require` made a function (`bc`),
//!   and after `jit.flush` (its own call).
//!
//! Queued events' objects are GC roots (`Vm::root_list`) until their
//! handler is called with them.
//!
//! Handlers are kept in the registry (`REGISTRY_KEY`, a table from event
//! name to function: one handler per event, as LuaJIT). While one runs, no
//! trace starts, records or is entered, and no further event is queued or
//! delivered (LuaJIT's `HOOK_VMEVENT`); an error in a handler is reported
//! on stderr ("VM handler failed: ...") and otherwise ignored, as LuaJIT
//! does.

use crate::object::str_bytes;
use crate::state::Vm;
use crate::value::Value;

/// Registry field holding the handler table.
pub const REGISTRY_KEY: &str = "_VMEVENTS";

/// Event kinds: (name, `Vm::vmevent_mask` bit).
pub const EVENTS: &[(&str, u8)] = &[("trace", 1), ("record", 2), ("texit", 4), ("bc", 8)];

/// Mask bit of `trace` events (start, stop, abort, flush).
pub const TRACE: u8 = 1;
/// Mask bit of `record` events (one per recorded instruction).
pub const RECORD: u8 = 2;
/// Mask bit of `texit` events (an exit back to the interpreter).
pub const TEXIT: u8 = 4;
/// Mask bit of `bc` events (a function made by the parser).
pub const BC: u8 = 8;

/// An argument of a queued event.
#[derive(Clone, Debug)]
pub enum Arg {
    Nil,
    Num(f64),
    Str(String),
    /// A live object (a function the trace or the parser refers to).
    Val(Value),
}

/// A queued event: its kind's name and the handler's arguments.
#[derive(Clone, Debug)]
pub struct Event {
    pub kind: &'static str,
    pub args: Vec<Arg>,
}

/// Mask bit of event `name`, if it is one.
pub fn bit_of(name: &[u8]) -> Option<u8> {
    EVENTS.iter().find(|e| e.0.as_bytes() == name).map(|e| e.1)
}

impl Vm {
    /// Whether events of kind `bit` are wanted now.
    #[inline]
    pub fn wants_vmevent(&self, bit: u8) -> bool {
        self.vmevent_mask & bit != 0 && !self.in_vmevent
    }

    /// Queue an event of kind `bit` (dropped when no handler wants it).
    pub fn queue_vmevent(&mut self, bit: u8, args: Vec<Arg>) {
        if !self.wants_vmevent(bit) {
            return;
        }
        let kind = EVENTS.iter().find(|e| e.1 == bit).map_or("?", |e| e.0);
        self.vmevents.push(Event { kind, args });
    }

    /// Recompute `vmevent_mask` from the handler table.
    pub fn refresh_vmevent_mask(&mut self) {
        let reg = Value::from_table(self.registry);
        let t = self.get_field(reg, REGISTRY_KEY);
        let mut mask = 0;
        if t.is_table() {
            for &(name, bit) in EVENTS {
                if self.get_field(t, name).is_func() {
                    mask |= bit;
                }
            }
        }
        self.vmevent_mask = mask;
        if mask == 0 {
            self.vmevents.clear();
        }
    }

    /// Deliver the queued events (see the module docs for where this is
    /// safe). The stack top must be above every live slot.
    pub fn deliver_vmevents(&mut self) {
        if self.vmevents.is_empty() || self.in_vmevent {
            return;
        }
        let reg = Value::from_table(self.registry);
        let handlers = self.get_field(reg, REGISTRY_KEY);
        if !handlers.is_table() {
            self.vmevents.clear();
            return;
        }
        let recording = self.recording;
        self.recording = false;
        self.in_vmevent = true;
        // Debug hooks are off while handlers run (LuaJIT's rule): a count
        // hook due when a trace exits (`POLL`) is called in the code that
        // goes on after the event, not in a handler, whose errors are only
        // reported. (Hooks a handler sets or removes stay so.)
        let hooks = (self.hook_mask, self.hook_left);
        let hook_fn = self.hook.map(|h| h.bits());
        self.hook_mask = 0;
        // (Events wait in the queue, their objects rooted there, until
        // their turn; none is queued while a handler runs.)
        while !self.vmevents.is_empty() {
            let ev = self.vmevents.remove(0);
            let h = self.get_field(handlers, ev.kind);
            if !h.is_func() {
                continue;
            }
            let mut args = Vec::with_capacity(ev.args.len());
            for a in ev.args {
                args.push(match a {
                    Arg::Nil => Value::NIL,
                    Arg::Num(n) => Value::num(n),
                    Arg::Str(s) => self.intern(s.as_bytes()),
                    Arg::Val(v) => v,
                });
            }
            let top = self.th().top;
            let nframes = self.th().frames.len();
            if let Err(e) = self.pcall_values(h, &args) {
                let msg = if e.value.is_str() {
                    String::from_utf8_lossy(str_bytes(e.value)).into_owned()
                } else {
                    "?".to_string()
                };
                eprintln!("VM handler failed: {}", msg);
            }
            let th = self.th();
            th.top = top;
            debug_assert_eq!(th.frames.len(), nframes);
        }
        self.in_vmevent = false;
        self.recording = recording;
        if self.hook_mask == 0 && self.hook.map(|h| h.bits()) == hook_fn {
            (self.hook_mask, self.hook_left) = hooks;
        }
    }

    /// `call_values` in protected mode.
    fn pcall_values(&mut self, f: Value, args: &[Value]) -> crate::error::LuaResult<()> {
        let base = self.th().top;
        self.ensure_stack(args.len() + 1 + crate::state::MIN_STACK)?;
        self.push(f);
        for &a in args {
            self.push(a);
        }
        self.pcall_at(base, args.len(), 0)?;
        self.th().top = base;
        Ok(())
    }
}
