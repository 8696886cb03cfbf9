//! The tracing JIT's driver (ARCHITECTURE.md: The JIT). This file: the
//! trace table, hot-spot handling and the recording lifecycle (start,
//! per-instruction step, abort and blacklisting, flush). By stage:
//! - `record*`, `snap_live`: recording bytecode into IR;
//! - `install`: finishing a recording, compiling it (foreground or
//!   `compile_thread`), installing the trace;
//! - `exits`: running traces, exits, links, side-trace starts;
//! - `verbose`: `-jv` lines and statistics;
//! - `params`: parameters, flags and the `-O` parser;
//! - `lib_jit`: the `jit` module.
//!
//! The code generator is pluggable (`lunatrace_ir::CodeGen`); the
//! Cranelift backend is installed by the `lunatrace` facade.

mod compile_thread;
mod events;
mod exits;
mod install;
pub mod lib_jit;
pub mod params;
pub mod record;
mod record_fast;
mod record_ffi;
mod record_iter;
mod record_meta;
mod region;
mod snap;
mod snap_live;
mod tools;
mod verbose;

pub use compile_thread::CodeGenMaker;
use install::{unpatch, Pending};
use lunatrace_ir::{CodeGen, TraceFn};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::debuginfo;
use lunatrace_vm::jitrt;
use lunatrace_vm::object::Proto;
use lunatrace_vm::state::JitHook;
use lunatrace_vm::vmevent;
use lunatrace_vm::{Value, Vm};
pub use params::{apply_opt, arm_hot_counters, Flags, Params};
use record::{Recorder, LEAVING_LOOP};
use std::collections::HashMap;
use std::io::Write;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Seconds of background compilation allowed beyond the compile budget
/// (see `Jit::over_budget`).
const ASYNC_GRACE: f64 = 0.15;

/// A compiled trace.
pub struct TraceInfo {
    /// Per exit: slots holding the raw address of a virtual reference
    /// cdata, with its C type, to box unless a side trace takes them over.
    pub exit_crefs: Vec<Vec<(u32, u32)>>,
    /// Per exit: the MULTRES count it leaves (exits at a MULTRES consumer
    /// after a C call, which must not run again).
    pub exit_multres: Vec<Option<u32>>,
    /// Per exit: the slots whose snapshot values are ints (sorted; a side
    /// trace from there loads them as ints, `Recorder::int_slots`).
    pub exit_ints: Vec<Vec<u32>>,
    /// C call sites compiled into the trace (banned if one re-enters).
    pub ffi_sites: Vec<(usize, usize)>,
    pub proto: NonNull<Proto>,
    pub pc: usize,
    pub func: Value,
    /// The instruction the `J*` entry replaced.
    pub orig: u32,
    pub entry: TraceFn,
    /// Code address exits of other traces continue at (see `Compiled`).
    pub link: usize,
    /// Per exit: the code address it continues at directly (0: returns to
    /// `enter`). Read by the trace's code; kept alive until the flush after
    /// the one that drops the trace.
    pub cells: Box<[AtomicUsize]>,
    /// Resume pc of each snapshot (exit number).
    pub exit_pcs: Vec<u32>,
    pub exits: Vec<u32>,
    /// Per exit: the trace it continues in (0: the interpreter;
    /// `NO_SIDE`: side traces failed there, stop trying).
    pub links: Vec<u32>,
    /// Per exit: failed side trace attempts.
    pub tries: Vec<u8>,
    /// Per exit: why it grew no side trace the last time it was taken
    /// hot (`-jv` exit statistics).
    pub refused: Vec<Refusal>,
    /// For a side trace: (parent id, exit).
    pub parent: Option<(u32, u32)>,
    /// The root trace of this trace's tree (itself for a root).
    pub root: u32,
    /// For a root trace: side traces in its tree (bounded by `maxside`).
    pub nside: u32,
    /// Side traces in a row (this one and its ancestors) that start at
    /// the same instruction: a guard there failing with one new identity
    /// or shape after another (bounded by `MAX_CHAIN`).
    pub chain: u32,
    /// Per exit: the inlined frames to rebuild.
    pub exit_frames: Vec<Vec<lunatrace_ir::SnapFrame>>,
    /// Per exit: frames below the entry frame returned from (popped).
    pub exit_down: Vec<u32>,
    /// Per exit: the trace's code made the real frames what the exit
    /// continues in (RECLINK): the exit's frame is the top frame.
    pub exit_synced: Vec<bool>,
    /// Per exit: a `POLL`'s (the count hook's countdown ran out; the
    /// interpreter calls the hook and may enter the trace again at once).
    pub exit_poll: Vec<bool>,
    /// The frames below the entry frame the trace returns to (checked on
    /// entry).
    pub down: Vec<record::DownFrame>,
    /// The trace tail-calls from its entry frame.
    pub tail_base: bool,
    /// A continuation starting at a MULTRES consumer after a stitched
    /// call: the number of values it was recorded with (the driver enters
    /// it only with as many).
    pub entry_multres: Option<u32>,
    /// The exit before the native call the trace ends at (stitching; see
    /// `Recorder::stitch`): the driver makes the call, then continues in
    /// the trace linked to this exit, which is never linked directly.
    pub stitch: Option<u32>,
    pub nins: usize,
    pub nconsts: usize,
    /// The trace's IR, kept for regions (`region::region_ir`).
    pub ir: Option<std::sync::Arc<lunatrace_ir::Trace>>,
    /// The trace's IR as compiled, for `jit.util`'s `traceir`, `tracek`
    /// and `tracesnap` (the same `Arc` as `ir` when that is kept).
    pub full_ir: std::sync::Arc<lunatrace_ir::Trace>,
    /// Bytes of machine code of the trace's function at `link`
    /// (`jit.util.tracemc`).
    pub mcode_size: usize,
    /// Its machine instructions (counted for the cost report only).
    pub mcode_insns: usize,
    /// For a root trace with region code: its bytes and instructions.
    pub region_mcode: (usize, usize),
    /// For a root trace: the links its region code covers (`region`), or,
    /// for a loop's root, that were found not worth a region (examined
    /// again only when they change).
    pub region: Vec<(usize, usize, usize)>,
    /// For a root trace: its region compilations.
    pub region_compiles: u32,
    /// A recursion root trace (function entry or down-recursion): regions
    /// are compiled for it.
    pub recursion: bool,
    /// A peeled loop's root trace: with `loopregion`, a region is
    /// compiled for it once a side trace of its body may continue in
    /// the body (`region`).
    pub loop_root: bool,
    /// A side trace that closes a loop of its own (`Recorder::side_loop`).
    pub side_loop: bool,
    /// How it ends, by LuaJIT's names (`jit.util.traceinfo`'s `linktype`:
    /// "loop", "root", "interpreter", "stitch", "return", "up-recursion",
    /// ...), and the trace it continues in (itself for a loop; 0: none).
    pub linktype: (&'static str, u32),
    /// Times the driver entered it first (from the interpreter), for
    /// `Jit::prefix_fails`.
    pub entries: u32,
    /// A loop root's exits taken before its loop label (not at the
    /// loop's end), and at the loop's end, counted as they are taken
    /// (`Jit::prefix_fails` asks on every unlinked exit).
    pub early_exits: u64,
    pub end_exits: u64,
}

impl TraceInfo {
    /// Exit `e` of a loop trace leaves before the loop label, not at the
    /// loop's end (exits to the loop's end are how short loops leave).
    pub(crate) fn early(&self, e: usize) -> bool {
        let Some(l) = self.full_ir.loop_at else {
            return false;
        };
        self.full_ir
            .snaps
            .get(e)
            .is_some_and(|s| (s.at as usize) < l)
            && self.exit_pcs[e] as usize != self.pc + 1
    }

    /// Exit `e` only writes back: no stitched call, no returns below the
    /// trace's frame or synced frames, no inlined frames to rebuild, no
    /// references to box, no MULTRES values.
    pub(crate) fn plain_exit(&self, e: usize) -> bool {
        self.stitch != Some(e as u32)
            && self.exit_down[e] == 0
            && !self.exit_synced[e]
            && self.exit_frames[e].is_empty()
            && self.exit_crefs[e].is_empty()
            && self.exit_multres[e].is_none()
    }
}

/// `links` value of an exit that gets no side trace.
const NO_SIDE: u32 = u32::MAX;

/// Why a hot exit (taken `hotexit` times or more, not linked) started no
/// side trace when it was last taken: one row per reason, with the text
/// `-jv`'s exit statistics print.
macro_rules! refusals {
    ($($name:ident => $text:literal,)*) => {
        /// See `refusals!`.
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub enum Refusal {
            /// Not refused (or never hot).
            #[default]
            None,
            $($name,)*
        }
        impl Refusal {
            /// The reason as `-jv` prints it.
            pub fn text(self) -> &'static str {
                match self {
                    Refusal::None => "",
                    $(Refusal::$name => $text,)*
                }
            }
        }
    };
}

refusals! {
    Off => "the JIT is off",
    Busy => "another trace was being recorded or compiled",
    MaxSide => "the root trace has maxside side traces",
    Budget => "the compile-time budget is spent",
    MaxTrace => "maxtrace traces",
    Chain => "a chain of side traces at one instruction is MAX_CHAIN long",
    Loop => "it continues in a compiled loop the exit cannot link to (the interpreter enters it)",
    Coroutine => "a stitched call in a coroutine (the interpreter makes it)",
    Aborted => "its side trace's recording aborted (see the abort above; retried up to tryside times)",
    Rerecord => "the loop's first iteration failed here on nearly every entry (recorded on a rare path): the loop was recorded again",
}

/// The JIT state installed into a VM.
pub struct Jit {
    pub on: bool,
    pub params: Params,
    pub flags: Flags,
    /// `-jv`: one line per trace event.
    pub verbose: Option<Box<dyn Write>>,
    /// `-jdump`: IR of each trace.
    pub dump: Option<Box<dyn Write>>,
    codegen: Box<dyn CodeGen>,
    pub traces: Vec<TraceInfo>,
    rec: Option<Recorder>,
    /// Aborts per start point, for blacklisting.
    /// Per start point (prototype, pc): aborted recordings and the
    /// current back-off penalty (hot counter reload).
    aborts: HashMap<(usize, usize), (u32, u32)>,
    /// Loops recorded again because their root trace's first iteration
    /// kept failing (`Jit::prefix_fails`), and how many times.
    rerecorded: HashMap<(usize, usize), u32>,
    /// Loops whose last root recording left them (see
    /// `Recorder::left_loops`; shared with the recorder, copied when it
    /// changes while one holds it).
    left_loops: std::sync::Arc<std::collections::HashSet<(usize, usize)>>,
    /// State of the pseudo-random jitter added to penalties.
    prng: u32,
    /// Link cells of flushed traces (code of the retired generation may
    /// still read them until the next flush).
    retired_cells: Vec<Box<[AtomicUsize]>>,
    /// Compile times (seconds) of the traces, for statistics.
    pub compile_times: Vec<f64>,
    /// Their sum, and when the JIT started: the compile budget.
    compile_total: f64,
    /// Bytes of machine code made since the last flush (`maxmcode`).
    pub(crate) mcode_total: usize,
    /// Set once `over_budget` found the budget not used up: it stays so
    /// (time only grows) until more compile time is added
    /// (`add_compile_time`), so hot exits do not read the clock.
    budget_clear: std::cell::Cell<bool>,
    /// Exits that went on in a compiled loop's trace from `enter`
    /// (`LUNATRACE_EXITSTATS`), and native calls made for stitched traces.
    pub(crate) loop_hops: u64,
    pub(crate) stitch_calls: u64,
    /// The cost report's transition times (`jitrt::trace_counting`).
    pub(crate) enter_stats: EnterStats,
    /// `jitrt::trace_counting()`, read once (it is on the entry path).
    pub(crate) counting: bool,
    born: Instant,
    /// `Vm::debug_writes` when last seen by `enter`.
    debug_writes_seen: u32,
    /// A count hook has been set (the embedding API's interrupt,
    /// `debug.sethook(f, "", n)`): traces compiled since poll its
    /// countdown (`POLL`). Set once, when the first count hook is seen,
    /// which flushes the traces compiled without polls; it stays set, so
    /// a host that sets and removes an interrupt around each call does
    /// not recompile everything each time.
    pub poll: bool,
    /// Most stack slots any trace touches above its base.
    max_slots: usize,
    /// C call sites that re-entered the VM under `sandwich=exit`.
    ffi_banned: std::collections::HashSet<(usize, usize)>,
    /// `sandwich=`: the re-entrancy policy, copied into the VM.
    pub sandwich: lunatrace_vm::jitrt::Sandwich,
    /// Background compilation (`async=1`): how to make the worker's code
    /// generator, the worker once started, the trace it is compiling, and
    /// the flush epoch (results of an earlier one are dropped).
    pub make_codegen: Option<compile_thread::CodeGenMaker>,
    worker: Option<compile_thread::Worker>,
    pending: Option<Pending>,
    /// A loop region the worker is compiling: its root, the flush epoch.
    pending_region: Option<(u32, u32)>,
    /// Regions wait for the compile budget (`update_regions`); trace
    /// entries since.
    regions_dirty: bool,
    dirty_ticks: u32,
    epoch: u32,
    /// `async=` was given explicitly (other options leave it alone).
    pub async_set: bool,
    /// The trace whose code starts at each address link cells may hold
    /// (every trace's own code and its regions').
    link_owners: HashMap<usize, u32>,
}

/// Trace numbers and exit numbers fit in 16 bits each (an exit returns
/// `id << 16 | exit`).
const MAX_ID: u32 = 0xffff;

/// Side traces in a row at one instruction (`TraceInfo::chain`) past
/// which an exit there gets no further side trace: every execution walks
/// the chain, so a site that keeps failing with new identities must not
/// grow it without bound (its exits go to the interpreter). Eight leaves
/// room for a value of each type at a type-dispatching site.
const MAX_CHAIN: u32 = 8;

/// First back-off penalty (iterations) after an aborted recording.
const PENALTY_MIN: u32 = 36;
/// A start point whose penalty grows past this is blacklisted (after
/// about ten aborts).
const PENALTY_MAX: u32 = 60_000;
/// The penalty of a loop whose recordings leave it stays below this.
const PENALTY_LEAVE_MAX: u32 = 2_000;

impl Jit {
    pub fn new(codegen: Box<dyn CodeGen>) -> Jit {
        Jit {
            on: true,
            params: Params::default(),
            flags: Flags::level(3),
            verbose: None,
            dump: None,
            codegen,
            traces: Vec::new(),
            rec: None,
            aborts: HashMap::new(),
            left_loops: Default::default(),
            rerecorded: Default::default(),
            prng: 0x2545_f491,
            retired_cells: Vec::new(),
            compile_times: Vec::new(),
            compile_total: 0.0,
            mcode_total: 0,
            budget_clear: std::cell::Cell::new(false),
            loop_hops: 0,
            enter_stats: EnterStats::default(),
            counting: jitrt::trace_counting(),
            stitch_calls: 0,
            born: Instant::now(),
            debug_writes_seen: 0,
            poll: false,
            sandwich: Default::default(),
            ffi_banned: Default::default(),
            max_slots: 0,
            make_codegen: None,
            worker: None,
            pending: None,
            pending_region: None,
            regions_dirty: false,
            dirty_ticks: 0,
            epoch: 0,
            async_set: false,
            link_owners: HashMap::new(),
        }
    }

    /// A recorder starting at `pc` of `proto` in frame `fi` (closure
    /// `func`), with the JIT's flags, banned C call sites and the VM's
    /// metamethod names.
    pub(crate) fn new_recorder(
        &self,
        vm: &Vm,
        proto: NonNull<Proto>,
        pc: usize,
        fi: usize,
        func: Value,
    ) -> Recorder {
        let mut r = Recorder::new(proto, pc, fi, func, self.flags.fold, self.flags.cse);
        r.narrow = self.flags.narrow;
        r.t.fwd = self.flags.fwd;
        r.t.no_mid = !self.flags.midentry;
        r.t.no_copy = !self.flags.rootcopy;
        r.peel = self.flags.loop_;
        if !self.flags.sideloop {
            r.snap0 = Some(false);
        }
        r.t.enc = value_enc();
        r.stitching = self.flags.stitch;
        r.recunroll = self.params.recunroll;
        r.minswitch = self.params.minswitch as usize;
        r.minstitch = self.params.minstitch as usize;
        r.callunroll = self.params.callunroll;
        r.loopunroll = self.params.loopunroll as i32;
        r.downrec_on = self.flags.downrec;
        r.poll = self.poll;
        r.ffi_banned = self.ffi_banned.clone();
        r.left_loops = self.left_loops.clone();
        r.index_key = vm.mm_names[lunatrace_vm::state::MM::Index as usize];
        r.newindex_key = vm.mm_names[lunatrace_vm::state::MM::NewIndex as usize];
        r.metatable_key = vm.mm_names[lunatrace_vm::state::MM::Metatable as usize];
        r
    }

    /// Whether a count hook is set while the traces have no polls (they
    /// were compiled before any was): they must not run.
    pub(crate) fn poll_stale(&self, vm: &Vm) -> bool {
        !self.poll && vm.hook_mask & lunatrace_vm::lib_debug::HOOK_COUNT != 0
    }

    /// The first count hook: flush the traces compiled without polls (and
    /// a recording in progress, which has none), and poll from now on.
    /// Returns whether it flushed.
    fn sync_poll(&mut self, vm: &mut Vm) -> bool {
        if !self.poll_stale(vm) {
            return false;
        }
        self.poll = true;
        self.flush(vm);
        true
    }

    /// Compiling has used up its share of the run so far (`budget`): new
    /// recordings wait (hot counters reload, exits count on), so a short
    /// program never spends most of its time in the compiler.
    fn over_budget(&self) -> bool {
        // (Background compilation counts too: it takes a core the program
        // may want, and on short runs most of its traces come too late to
        // pay off — ldoc: 28% more instructions than `-joff` without. It
        // gets `ASYNC_GRACE` on top, for the burst of traces every
        // program compiles first: richards compiles 100 ms of traces
        // in its first 0.2 s, all of them soon paying off.)
        let b = self.params.budget;
        let grace = if self.worker.is_some() {
            ASYNC_GRACE
        } else {
            0.0
        };
        if b == 0 || self.budget_clear.get() {
            return false;
        }
        let over = self.compile_total * 100.0
            > b as f64 * self.born.elapsed().as_secs_f64() + grace * 100.0;
        self.budget_clear.set(!over);
        over
    }

    /// Count `dt` seconds of compilation against the budget.
    pub(crate) fn add_compile_time(&mut self, dt: f64) {
        self.compile_total += dt;
        self.budget_clear.set(false);
    }

    /// Turn `-jv` output on (`jit.v` too): one line per trace event to
    /// `w`; traces are then compiled in the foreground (unless `async=1`
    /// was given), so the lines follow the run.
    pub fn set_verbose(&mut self, w: Box<dyn Write>) {
        self.verbose = Some(w);
        if !self.async_set {
            self.params.async_ = 0;
        }
    }

    /// Turn `-jdump` output off (`jit.dump.off()`).
    pub fn clear_dump(&mut self) {
        if let Some(w) = self.dump.as_mut() {
            let _ = w.flush();
        }
        self.dump = None;
        self.codegen.set_dump(false);
    }

    /// Turn `-jdump` output on (IR and Cranelift IR of each trace).
    pub fn set_dump(&mut self, w: Box<dyn Write>) {
        self.dump = Some(w);
        self.codegen.set_dump(true);
    }

    /// Drop every trace and restore the original instructions.
    pub fn flush(&mut self, vm: &mut Vm) {
        // Cells of the previous flush's traces: no code reads them now.
        self.retired_cells.clear();
        for t in self.traces.drain(..) {
            // (Only root traces patched their start; a side trace's
            // `orig` may be a root's `J*` instruction, which restoring it
            // would put back.)
            if t.parent.is_none() {
                unpatch(&t);
            }
            for c in t.cells.iter() {
                c.store(0, Ordering::Relaxed);
            }
            self.retired_cells.push(t.cells);
        }
        self.codegen.flush();
        if let Some(w) = self.worker.as_ref() {
            w.flush();
        }
        // A trace being compiled belongs to the flushed generation: its
        // result (sent before the worker sees the flush) is taken and
        // dropped here, or the next job would be installed with it.
        let jobs =
            self.pending.take().is_some() as usize + self.pending_region.take().is_some() as usize;
        for _ in 0..jobs {
            if let Some(w) = self.worker.as_ref() {
                let _ = w.wait_done();
            }
        }
        self.link_owners.clear();
        self.mcode_total = 0;
        self.epoch = self.epoch.wrapping_add(1);
        vm.jit_roots.clear();
        self.aborts.clear();
        self.left_loops = Default::default();
        self.abort_recording(vm, None);
        self.verbose_line("[TRACE flush]");
        vm.queue_vmevent(vmevent::TRACE, vec![vmevent::Arg::Str("flush".into())]);
    }

    /// A recording returned a second time into a frame of a function it
    /// returned into already (`record::DOWNREC_RESTART`): it is dropped
    /// (not counted against its exit's side trace tries: recorded again,
    /// it will link to the new trace), and a down-recursion trace starts
    /// at this return (instruction `pc` of frame `fi`), LuaJIT's
    /// "down-recursion, restarting".
    fn restart_downrec(&mut self, vm: &mut Vm, fi: usize, pc: usize) {
        let th = vm.th();
        let func = th.stack[th.frames[fi].func as usize];
        let proto = debuginfo::func_proto(func);
        let ins = proto.map_or(0, |p| jitrt::code_at(p, pc));
        let key = (proto.map_or(0, |p| p.as_ptr() as usize), pc);
        let blacklisted = self.aborts.get(&key).is_some_and(|a| a.1 > PENALTY_MAX);
        let can = self.on
            && !blacklisted
            && matches!(bc::op(ins), opc::RET0 | opc::RET1 | opc::RET)
            && self.pending.is_none()
            && !self.over_budget()
            && (self.traces.len() as u32) < self.params.maxtrace.min(MAX_ID);
        let (Some(proto), true) = (proto, can) else {
            // No trace can start there: an ordinary abort.
            Jit::abort_recording(self, vm, Some(("down-recursion", pc)));
            return;
        };
        if let Some(r) = self.rec.take() {
            let line = format!(
                "[TRACE --- {} -- {} at {}]",
                Self::loc(r.start_proto, r.pc0),
                record::DOWNREC_RESTART,
                Self::loc(r.cur_proto(), pc)
            );
            self.verbose_line(&line);
        }
        let mut r = self.new_recorder(vm, proto, pc, fi, func);
        r.downrec = true;
        self.rec = Some(r);
        vm.recording = true;
        self.event_start(vm, None);
        self.record(vm, fi, pc);
    }

    /// Stop a recording (with a reason for `-jv`, or silently).
    pub fn abort_recording(&mut self, vm: &mut Vm, why: Option<(&str, usize)>) {
        vm.recording = false;
        let Some(r) = self.rec.take() else { return };
        if let Some((msg, at)) = why {
            self.event_abort(vm, &r, msg, at);
            // (LuaJIT's form names a side trace's parent and exit.)
            let parent = match r.side {
                Some((p, e)) => format!("({}/{}) ", p, e),
                None => String::new(),
            };
            let line = format!(
                "[TRACE --- {}{} -- {} at {}]",
                parent,
                Self::loc(r.start_proto, r.pc0),
                msg,
                Self::loc(r.cur_proto(), at)
            );
            self.verbose_line(&line);
            if let Some((p, e)) = r.side {
                let tryside = self.params.tryside;
                if let Some(t) = self.traces.get_mut(p as usize - 1) {
                    t.refused[e as usize] = Refusal::Aborted;
                    let n = &mut t.tries[e as usize];
                    *n = n.saturating_add(1);
                    if *n as u32 >= tryside {
                        t.links[e as usize] = NO_SIDE;
                    }
                }
                return;
            }
            // Back off: the start point becomes hot again after a penalty
            // that doubles (with jitter, so that loops in step do not
            // retry in step) with every abort; past the maximum, it is
            // blacklisted.
            self.prng = self.prng.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let jitter = (self.prng >> 16) & 15;
            let key = (r.start_proto.as_ptr() as usize, r.pc0);
            if (msg == LEAVING_LOOP) != self.left_loops.contains(&key) {
                let set = std::sync::Arc::make_mut(&mut self.left_loops);
                if msg == LEAVING_LOOP {
                    set.insert(key);
                } else {
                    set.remove(&key);
                }
            }
            let a = self.aborts.entry(key).or_insert((0, 0));
            a.0 += 1;
            a.1 = if a.1 == 0 {
                PENALTY_MIN
            } else if msg == LEAVING_LOOP {
                // A loop that ran out during the recording has a low trip
                // count now, maybe not later (growing work sizes): retry
                // every so often instead of blacklisting it. (Bounding
                // the retries — 24, then blacklisting — saved nothing
                // measurable on dkjson, whose `scanwhite` is retried
                // ~1,700 times, and made the sort benchmark 1.5x slower:
                // its partition loops compile only on a later retry.)
                (a.1 * 2 + jitter).min(PENALTY_LEAVE_MAX + jitter)
            } else {
                // (Saturating: a start point that cannot be blacklisted,
                // such as a `JRET`, keeps aborting past the maximum.)
                a.1.saturating_mul(2).saturating_add(jitter)
            };
            if a.1 > PENALTY_MAX {
                // Blacklist: the loop instruction stops counting.
                let ins = jitrt::code_at(r.start_proto, r.pc0);
                let uncounted = match bc::op(ins) {
                    opc::FORL => Some(opc::IFORL),
                    opc::LOOP => Some(opc::ILOOP),
                    opc::ITERL => Some(opc::IITERL),
                    opc::FUNCF => Some(opc::IFUNCF),
                    _ => None,
                };
                if let Some(o) = uncounted {
                    jitrt::patch_code(r.start_proto, r.pc0, (ins & !0xff) | o as u32);
                }
            } else {
                vm.hotcount[jitrt::hotcount_slot(r.start_proto, r.pc0)] = a.1 as u16;
            }
        }
    }
}

/// Whether the function of frame `fi` (prototype `proto`, at its entry)
/// recurses: its caller runs the same prototype, or it has a tail call
/// (maybe of itself).
fn recursive(vm: &mut Vm, proto: NonNull<Proto>, fi: usize) -> bool {
    let th = vm.th();
    if fi > 0 && debuginfo::func_proto(th.stack[th.frames[fi - 1].func as usize]) == Some(proto) {
        return true;
    }
    // A tail call of itself: the callee register loaded from an upvalue
    // or global holding this closure just before the CALLT.
    let func = th.stack[th.frames[fi].func as usize];
    let Some(fp) = func.as_func_ptr() else {
        return false;
    };
    // SAFETY: live closure.
    let f = unsafe { &*fp.as_ptr() };
    let p = debuginfo::proto(proto);
    let holds = |i: u32| -> bool {
        match bc::op(i) {
            opc::UGET => f.upvals.get(bc::d(i) as usize).is_some_and(|u| {
                // SAFETY: live upvalue.
                unsafe { *(*u.as_ptr()).v }.bits() == func.bits()
            }),
            opc::GGET => {
                let k = p.k[bc::d(i) as usize];
                match (NonNull::new(f.env), k.as_str_ptr()) {
                    (Some(env), Some(_)) => lunatrace_vm::table::get(env, k).bits() == func.bits(),
                    _ => false,
                }
            }
            _ => false,
        }
    };
    p.code.iter().enumerate().any(|(pc, &i)| {
        bc::op(i) == opc::CALLT
            && p.code[pc.saturating_sub(16)..pc]
                .iter()
                .rev()
                .find(|&&j| bc::a(j) == bc::a(i))
                .is_some_and(|&j| holds(j))
    })
}

impl JitHook for Jit {
    fn hot(&mut self, vm: &mut Vm, proto: NonNull<Proto>, pc: usize) {
        self.sync_poll(vm);
        if !self.on || !vm.hooks_allow_traces() || debuginfo::proto(proto).nojit {
            return;
        }
        if self.rec.is_some() {
            // Nested hot spot while recording: keep recording the outer one.
            return;
        }
        if !self.poll_worker(vm, false) || self.over_budget() {
            // (One trace is compiled at a time.)
            return;
        }
        let ins = jitrt::code_at(proto, pc);
        let funcf = bc::op(ins) == opc::FUNCF && pc == 0;
        if !matches!(bc::op(ins), opc::FORL | opc::LOOP | opc::ITERL) && !funcf {
            return;
        }
        let th = vm.th();
        let fi = th.frames.len() - 1;
        let func = th.stack[th.frames[fi].func as usize];
        if funcf && !self.flags.recursion {
            return;
        }
        if funcf && !recursive(vm, proto, fi) {
            // Function entries of recursive functions only: a trace at
            // every hot function's entry would cost a trace entry per call.
            return;
        }
        if bc::op(ins) == opc::FORL {
            // Only start when this step continues the loop: a recording
            // that begins with the loop's exit cannot close it.
            let base = th.frames[fi].base as usize + bc::a(ins) as usize;
            let (i, l, s) = (th.stack[base], th.stack[base + 1], th.stack[base + 2]);
            if let (Some(i), Some(l), Some(s)) = (i.as_num(), l.as_num(), s.as_num()) {
                let n = i + s;
                if !(if s >= 0.0 { n <= l } else { n >= l }) {
                    return;
                }
            }
        }
        let mut r = self.new_recorder(vm, proto, pc, fi, func);
        r.funcf = funcf;
        self.rec = Some(r);
        vm.recording = true;
        self.event_start(vm, None);
    }

    fn record(&mut self, vm: &mut Vm, fi: usize, pc: usize) {
        if self.sync_poll(vm) {
            // (A count hook was set: the recording, without polls, is
            // dropped with the traces.)
            return;
        }
        if !vm.hooks_allow_traces() {
            self.abort_recording(vm, Some(("debug hook set", pc)));
            return;
        }
        let Some(r) = self.rec.as_mut() else {
            vm.recording = false;
            return;
        };
        let th = vm.th();
        if fi + 1 != r.fi + r.depth() || th.frames.len() != fi + 1 {
            self.abort_recording(vm, Some(("NYI: call or return", pc)));
            return;
        }
        let cur = debuginfo::func_proto(th.stack[th.frames[fi].func as usize]);
        if cur != Some(r.cur_proto()) {
            self.abort_recording(vm, Some(("NYI: frame change", pc)));
            return;
        }
        let at_base = r.frames.is_empty();
        if let (Some(to), 0) = (r.rec_link, pc) {
            // At the entry of the function the trace continues in.
            self.finish(vm, Some((0, to)));
            return;
        }
        if r.downrec && pc == r.pc0 && r.started && at_base {
            // A down-recursion trace back at its return, in a frame below:
            // it continues in itself there once it has returned into
            // `recunroll` frames of its function (or stops at a frame of
            // another function).
            if r.cur_proto() == r.start_proto
                && r.pops_of(r.start_proto) >= r.recunroll.max(1) as usize
            {
                r.rec_link = Some(record::SELF_LINK);
                self.finish(vm, Some((pc, 0)));
                return;
            }
        } else if (r.side.is_none() || (r.side_loop && r.cur_proto() == r.start_proto))
            && pc == r.pc0
            && r.started
            && at_base
        {
            if r.side_loop && r.t.ins.iter().any(|i| i.op == lunatrace_ir::Op::TSETNEW) {
                // A side loop that adds keys to a table ends as a plain side
                // trace, linked to the loop's trace: the path that adds a
                // key is a phase (a table filling its array part from a
                // key above 1, as sieve's), after which the root's faster
                // path (an append, a store to an existing slot) applies
                // again, which the loop would never try.
                r.side_loop = false;
            } else {
                // Back at the loop's start: the loop closes (a side loop's
                // too, `Recorder::side_loop`).
                self.finish(vm, None);
                return;
            }
        }
        if r.own_loop() && at_base && r.started {
            // A root trace must loop back: past its loop's exit target it
            // would run on into the enclosing code. (A side loop that
            // leaves goes on as a plain side trace.)
            let mut l = jitrt::code_at(r.start_proto, r.pc0);
            if bc::op(l) == opc::JLOOP {
                l = self.traces.get(bc::d(l) as usize - 1).map_or(l, |t| t.orig);
            }
            if bc::op(l) == opc::LOOP && pc as i64 >= r.pc0 as i64 + 1 + bc::jump(l) as i64 {
                if r.side_loop {
                    r.side_loop = false;
                } else {
                    self.abort_recording(vm, Some((LEAVING_LOOP, pc)));
                    return;
                }
            }
        }
        let own_start = pc == r.pc0 && r.cur_proto() == r.start_proto && at_base;
        if r.side.is_some() || (r.downrec && !own_start) {
            let ins = jitrt::code_at(r.cur_proto(), pc);
            let jop = bc::op(ins);
            // (A side trace may start at a down-recursion trace's return,
            // where that trace's first guard failed.)
            let jret = jop == opc::JRET && (!own_start || r.started);
            // (Not at the first instruction inside inlined frames: that
            // trace would only exit through the interpreter again, and
            // its exit grow the same trace.)
            // (Nor at a side loop's own start: it records its loop.)
            let useful = (r.started || at_base) && !(r.side_loop && own_start && !r.started);
            if (matches!(jop, opc::JFORL | opc::JLOOP | opc::JITERL | opc::JFUNCF) || jret)
                && useful
            {
                // A side trace ends where a compiled loop starts: linked
                // to it in the base frame, else through the interpreter
                // (which rebuilds the inlined frames and enters it).
                let to = if at_base { bc::d(ins) } else { 0 };
                if !at_base && matches!(jop, opc::JFORL | opc::JLOOP | opc::JITERL) {
                    // In an inlined frame: pushed by the trace, linked.
                    r.link_loop(bc::d(ins));
                }
                self.finish(vm, Some((pc, to)));
                return;
            }
        }
        if bc::op(jitrt::code_at(r.cur_proto(), pc)) == opc::JFORI && r.funcf && r.side.is_none() {
            self.abort_recording(
                vm,
                Some(("NYI: compiled loop in a function-entry trace", pc)),
            );
            return;
        }
        if bc::op(jitrt::code_at(r.cur_proto(), pc)) == opc::JFORI
            && (r.started || r.side.is_some())
        {
            // Entering a compiled `for` loop: the trace ends in it (linked
            // in the base frame, else through the interpreter).
            let ins = jitrt::code_at(r.cur_proto(), pc);
            match r.fori_link(vm, pc, ins) {
                Ok(Some((forl, id))) => {
                    let to = if at_base { id } else { 0 };
                    if !at_base {
                        // In an inlined frame: pushed by the trace, linked.
                        r.link_loop(id);
                    }
                    self.finish(vm, Some((forl, to)));
                    return;
                }
                Ok(None) => {}
                Err(msg) => {
                    self.abort_recording(vm, Some((&msg, pc)));
                    return;
                }
            }
        }
        r.started = true;
        if r.nrec as u32 >= self.params.maxrecord {
            self.abort_recording(vm, Some(("trace too long", pc)));
            return;
        }
        let ins = jitrt::code_at(r.cur_proto(), pc);
        let traces = &self.traces;
        let orig_of = |id: u32| traces.get(id as usize - 1).map_or(0, |t| t.orig);
        let r = self.rec.as_mut().unwrap();
        // (Recursion root traces may end before a return too.)
        let saved = if r.side.is_some() || r.funcf || r.downrec {
            Some(r.save())
        } else {
            None
        };
        if vm.wants_vmevent(vmevent::RECORD) {
            let ev = events::record(self.traces.len() as u32 + 1, vm, fi, pc, r.frames.len());
            vm.queue_vmevent(vmevent::RECORD, ev);
        }
        let r = self.rec.as_mut().unwrap();
        let res = r.record(vm, pc, ins, &orig_of);
        if res.is_ok() && r.stitch.is_some() {
            // The trace ends before the native call at `pc` (stitching).
            self.finish(vm, Some((pc, 0)));
            return;
        }
        if let Err(msg) = res {
            if msg == record::DOWNREC_RESTART {
                self.restart_downrec(vm, fi, pc);
                return;
            }
            // (A trace whose first instruction is that return has nothing
            // to compile.)
            let stop = msg == record::RETURN_STOP && pc != r.pc0;
            // (Not at a recursive call past `callunroll`: as LuaJIT, the
            // side trace aborts, ending it there would grow a chain of
            // traces each one level deeper.)
            let got_somewhere = r.nrec > 2 && r.side.is_some() && msg != record::CALL_UNROLL;
            if let (Some(saved), true) = (saved, got_somewhere || stop) {
                // A side trace that got somewhere, or any trace at a
                // return it cannot make, ends here instead: the
                // interpreter takes over at this instruction.
                r.restore(saved);
                self.finish(vm, Some((pc, 0)));
                return;
            }
            if let (true, Some((p, e))) = (msg == record::RETURN_STOP, r.side) {
                // A side trace whose first instruction is a return it
                // cannot follow (to a native caller, a protected call, a
                // frame wanting all results) would be empty: its exit's
                // path goes on in the interpreter (exit stats say so), and
                // is not recorded again.
                self.abort_recording(vm, None);
                if let Some(t) = self.traces.get_mut(p as usize - 1) {
                    t.links[e as usize] = NO_SIDE;
                }
                return;
            }
            let msg = if msg == record::RETURN_STOP {
                "NYI: return from the trace's base frame to this frame"
            } else {
                &msg
            };
            self.abort_recording(vm, Some((msg, pc)));
            return;
        }
        if r.t.consts.len() as u32 > self.params.maxirconst {
            self.abort_recording(vm, Some(("too many IR constants", pc)));
        } else if r.t.snaps.len() as u32 > self.params.maxsnap.min(MAX_ID) {
            self.abort_recording(vm, Some(("too many snapshots", pc)));
        }
    }

    fn enter(&mut self, vm: &mut Vm, id: u32, fi: usize, base: usize) -> Option<(usize, bool)> {
        if self.sync_poll(vm) {
            // (The trace had no polls.)
            return None;
        }
        if vm.debug_writes != self.debug_writes_seen {
            // The debug library or the C API wrote a local or an upvalue:
            // traces may hold an immutable upvalue's old value.
            self.debug_writes_seen = vm.debug_writes;
            self.flush(vm);
            return None;
        }
        let t0 = self.counting.then(std::time::Instant::now);
        let r = self.enter_traces(vm, id, fi, base);
        if let Some(t0) = t0 {
            self.enter_stats.calls += 1;
            self.enter_stats.total += t0.elapsed();
        }
        r
    }

    fn abort_recording(&mut self, vm: &mut Vm, reason: &str) {
        let at = self.rec.as_ref().map_or(0, |r| r.pc0);
        Jit::abort_recording(self, vm, Some((reason, at)));
    }

    fn as_any(&mut self) -> &mut dyn std::any::Any {
        self
    }

    fn gc_roots(&self, out: &mut Vec<Value>) {
        if let Some(r) = self.rec.as_ref() {
            r.gc_roots(out);
        }
    }
}

impl Jit {
    /// `enter`'s work: run trace `id`, then, where its exit stopped at
    /// another compiled loop, that loop's trace.
    fn enter_traces(
        &mut self,
        vm: &mut Vm,
        id: u32,
        fi: usize,
        base: usize,
    ) -> Option<(usize, bool)> {
        let (mut pc, moved) = self.run_trace(vm, id, fi, base)?;
        // An exit that made inlined frames real and stopped at a compiled
        // loop of the innermost one (a side trace that returned, then
        // called the loop's function again) goes on in that loop's trace
        // here, not through the interpreter. Not when the trace entered
        // leaves at its own loop again without getting anywhere (its
        // entry guard failed): the interpreter runs the loop's original
        // form then.
        while moved
            && self.on
            && !vm.recording
            && !self.poll_stale(vm)
            && vm.trace_error.is_none()
            && vm.exit_multres.is_none()
        {
            let th = vm.th();
            let top = th.frames.len() - 1;
            let f = th.frames[top];
            let Some(p) = debuginfo::func_proto(th.stack[f.func as usize]) else {
                break;
            };
            let ins = jitrt::code_at(p, pc);
            if !matches!(
                bc::op(ins),
                opc::JFORL | opc::JLOOP | opc::JITERL | opc::JFUNCF | opc::JRET
            ) {
                break;
            }
            self.loop_hops += 1;
            let Some((npc, m)) = self.run_trace(vm, bc::d(ins), top, f.base as usize) else {
                break;
            };
            if !m {
                // Left in the frame it ran in.
                vm.th().frames[top].pc = npc as u32;
            }
            let stuck = !m && npc == pc;
            pc = npc;
            if stuck {
                break;
            }
        }
        Some((pc, moved))
    }
}

/// Time spent entering and leaving traces, for the cost report.
#[derive(Default)]
pub(crate) struct EnterStats {
    /// Calls of `enter` from the interpreter.
    pub calls: u64,
    /// Time in them, and the part of it in compiled code.
    pub total: std::time::Duration,
    pub in_code: std::time::Duration,
}

/// The VM's value boxing, as the IR passes need it.
pub(crate) fn value_enc() -> lunatrace_ir::ValueEnc {
    use lunatrace_vm::value::{tag, NIL_BITS, PAYLOAD_MASK, TAG_BASE, TAG_SHIFT};
    lunatrace_ir::ValueEnc {
        nil: NIL_BITS,
        str_tag: TAG_BASE | (tag::STR << TAG_SHIFT),
        payload_mask: PAYLOAD_MASK,
    }
}

#[cfg(test)]
mod layout_tests {
    /// The IR's folding knows where boxed non-numbers start.
    #[test]
    fn ir_num_limit_matches_the_vm() {
        assert_eq!(
            lunatrace_ir::fold::NUM_LIMIT,
            lunatrace_vm::value::NUM_LIMIT
        );
    }
}
