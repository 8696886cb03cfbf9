//! The tracing JIT's driver (ARCHITECTURE.md: The JIT): hot-spot
//! handling, recording (`record`), trace installation and entry, aborts
//! and blacklisting, `-jv` output. Parameters and flags are in `params`,
//! background compilation in `compile_thread`. The code generator is
//! pluggable (`lunatrace_ir::CodeGen`); the Cranelift backend is installed
//! by the `lunatrace` facade.

mod compile_thread;
pub mod lib_jit;
pub mod params;
pub mod record;
mod record_fast;
mod record_ffi;
mod record_iter;
mod record_meta;
mod snap_live;

pub use compile_thread::CodeGenMaker;
use lunatrace_ir::trace::SnapFrame;
use lunatrace_ir::{CodeGen, TraceFn};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::debuginfo;
use lunatrace_vm::jitrt;
use lunatrace_vm::object::{str_bytes, Frame, FrameKind, Proto};
use lunatrace_vm::state::JitHook;
use lunatrace_vm::state::{grow_stack, MIN_STACK};
use lunatrace_vm::{Value, Vm};
pub use params::{Flags, Params};
use record::{Recorder, LEAVING_LOOP};
use std::collections::HashMap;
use std::io::Write;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// A compiled trace.
pub struct TraceInfo {
    /// Per exit: slots holding the raw address of a virtual reference
    /// cdata, with its C type, to box unless a side trace takes them over.
    pub exit_crefs: Vec<Vec<(u32, u32)>>,
    /// Per exit: the MULTRES count it leaves (exits at a MULTRES consumer
    /// after a C call, which must not run again).
    pub exit_multres: Vec<Option<u32>>,
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
    /// The frames below the entry frame the trace returns to (checked on
    /// entry).
    pub down: Vec<record::DownFrame>,
    /// The trace tail-calls from its entry frame.
    pub tail_base: bool,
    pub nins: usize,
    pub nconsts: usize,
}

/// `links` value of an exit that gets no side trace.
const NO_SIDE: u32 = u32::MAX;

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
    /// State of the pseudo-random jitter added to penalties.
    prng: u32,
    /// Link cells of flushed traces (code of the retired generation may
    /// still read them until the next flush).
    retired_cells: Vec<Box<[AtomicUsize]>>,
    /// Compile times (seconds) of the traces, for statistics.
    pub compile_times: Vec<f64>,
    /// Their sum, and when the JIT started: the compile budget.
    compile_total: f64,
    born: Instant,
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
    epoch: u32,
    /// `async=` was given explicitly (other options leave it alone).
    pub async_set: bool,
}

/// Box the virtual reference cdata an exit left as raw addresses in the
/// frame at `base` (the interpreter, or a trace not made from that exit,
/// reads boxed values).
fn box_crefs(vm: &mut Vm, base: usize, crefs: &[(u32, u32)]) {
    for &(slot, ct) in crefs {
        let i = base + slot as usize;
        let addr = vm.th().stack[i].bits() as usize;
        let v = lunatrace_ffi::cdata::box_virtual(vm, ct, addr);
        vm.th().stack[i] = v;
    }
}

/// Keep what a recorded trace's code refers to alive (constants the
/// recorder rooted; the closures trace entry compares by identity).
fn keep_alive(vm: &mut Vm, r: &mut Recorder) {
    vm.jit_roots.push(r.start_func);
    for d in &r.down {
        vm.jit_roots.push(Value::from_bits(d.func));
    }
    r.roots.sort_by_key(|v| v.bits());
    r.roots.dedup_by_key(|v| v.bits());
    vm.jit_roots.append(&mut r.roots);
}

/// A finished recording waiting for its code (background compilation),
/// or being installed: the recorder's state, the trace number it was
/// given, how it ends (`link`, `link_exit`), its link cells, and the flush
/// epoch it belongs to.
struct Pending {
    r: Recorder,
    id: u32,
    link: Option<(usize, u32)>,
    link_exit: Option<u32>,
    cells: Box<[AtomicUsize]>,
    epoch: u32,
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
            prng: 0x2545_f491,
            retired_cells: Vec::new(),
            compile_times: Vec::new(),
            compile_total: 0.0,
            born: Instant::now(),
            sandwich: Default::default(),
            ffi_banned: Default::default(),
            max_slots: 0,
            make_codegen: None,
            worker: None,
            pending: None,
            epoch: 0,
            async_set: false,
        }
    }

    /// Whether finished recordings go to the background worker (started
    /// on first use): `async=1`, no `-jdump` (it prints the code with the
    /// IR), and a code generator maker given.
    fn use_worker(&mut self) -> bool {
        if self.params.async_ == 0 || self.dump.is_some() {
            return false;
        }
        if self.worker.is_none() {
            let Some(make) = self.make_codegen else {
                return false;
            };
            self.worker = compile_thread::Worker::spawn(make);
        }
        self.worker.is_some()
    }

    /// Install the background compiler's result if it is ready (`wait`:
    /// wait for it). True when no compilation is pending afterwards.
    fn poll_worker(&mut self, vm: &mut Vm, wait: bool) -> bool {
        if self.pending.is_none() {
            return true;
        }
        let Some(w) = self.worker.as_ref() else {
            return true;
        };
        let done = if wait { w.wait_done() } else { w.try_done() };
        let Some(done) = done else {
            return false;
        };
        let mut p = self.pending.take().unwrap();
        if p.epoch != self.epoch {
            // Flushed meanwhile: the code was retired with its generation.
            return true;
        }
        p.r.t = *done.trace;
        self.install(vm, p, done.code, done.secs);
        true
    }

    /// Wait for the background compiler (end of run: statistics and `-jv`
    /// lines complete).
    pub fn finish_pending(&mut self, vm: &mut Vm) {
        self.poll_worker(vm, true);
    }

    /// Compiling has used up its share of the run so far (`budget`): new
    /// recordings wait (hot counters reload, exits count on), so a short
    /// program never spends most of its time in the compiler.
    fn over_budget(&self) -> bool {
        // (Background compilation costs the interpreter nothing.)
        let b = if self.worker.is_some() {
            0
        } else {
            self.params.budget
        };
        b > 0 && self.compile_total * 100.0 > b as f64 * self.born.elapsed().as_secs_f64()
    }

    /// Location "file.lua:12" of `pc` in `p`.
    fn loc(p: NonNull<Proto>, pc: usize) -> String {
        let pr = debuginfo::proto(p);
        format!(
            "{}:{}",
            debuginfo::chunkid(str_bytes(pr.source)),
            debuginfo::line_at(pr, pc)
        )
    }

    fn verbose_line(&mut self, s: &str) {
        if let Some(w) = self.verbose.as_mut() {
            let _ = writeln!(w, "{}", s);
            let _ = w.flush();
        }
    }

    /// End-of-run lines: trace counts, median compile time, backend
    /// reports (cross-ISA results).
    pub fn report(&self) -> Vec<String> {
        let mut t = self.compile_times.clone();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = t.get(t.len() / 2).copied().unwrap_or(0.0);
        let aborts: u32 = self.aborts.values().map(|a| a.0).sum();
        let mut v = vec![format!(
            "[TRACE stats: {} traces, {} aborted recordings, median compile {:.3} ms, total compile {:.1} ms]",
            self.traces.len(),
            aborts,
            median * 1e3,
            t.iter().fold(0.0, |a, b| a + b) * 1e3
        )];
        v.extend(self.codegen.report());
        if std::env::var_os("LUNATRACE_EXITSTATS").is_some() {
            // Development aid: the most taken exits (trace/exit -> pc).
            let mut all: Vec<(u32, u32, usize, u32)> = Vec::new();
            for (i, t) in self.traces.iter().enumerate() {
                for (e, &n) in t.exits.iter().enumerate() {
                    if n > 0 {
                        all.push((n, i as u32 + 1, e, t.exit_pcs[e]));
                    }
                }
            }
            all.sort_by(|a, b| b.cmp(a));
            for (n, id, e, pc) in all.into_iter().take(12) {
                let link = self.traces[id as usize - 1].links[e];
                v.push(format!(
                    "[TRACE exit {}/{} pc {} taken {} link {}]",
                    id, e, pc, n, link
                ));
            }
        }
        v
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
            unpatch(&t);
            for c in t.cells.iter() {
                c.store(0, Ordering::Relaxed);
            }
            self.retired_cells.push(t.cells);
        }
        self.codegen.flush();
        if let Some(w) = self.worker.as_ref() {
            w.flush();
        }
        // A trace being compiled belongs to the flushed generation.
        self.pending = None;
        self.epoch = self.epoch.wrapping_add(1);
        vm.jit_roots.clear();
        self.aborts.clear();
        self.abort_recording(vm, None);
        self.verbose_line("[TRACE flush]");
    }

    /// Stop a recording (with a reason for `-jv`, or silently).
    pub fn abort_recording(&mut self, vm: &mut Vm, why: Option<(&str, usize)>) {
        vm.recording = false;
        let Some(r) = self.rec.take() else { return };
        if let Some((msg, at)) = why {
            let line = format!(
                "[TRACE --- {} -- {} at {}]",
                Self::loc(r.start_proto, r.pc0),
                msg,
                Self::loc(r.cur_proto(), at)
            );
            self.verbose_line(&line);
            if let Some((p, e)) = r.side {
                let tryside = self.params.tryside;
                if let Some(t) = self.traces.get_mut(p as usize - 1) {
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
            let key = (r.proto.as_ptr() as usize, r.pc0);
            let a = self.aborts.entry(key).or_insert((0, 0));
            a.0 += 1;
            a.1 = if a.1 == 0 {
                PENALTY_MIN
            } else if msg == LEAVING_LOOP {
                // A loop that ran out during the recording has a low trip
                // count now, maybe not later (growing work sizes): retry
                // every so often instead of blacklisting it.
                (a.1 * 2 + jitter).min(PENALTY_LEAVE_MAX + jitter)
            } else {
                a.1 * 2 + jitter
            };
            if a.1 > PENALTY_MAX {
                // Blacklist: the loop instruction stops counting.
                let ins = jitrt::code_at(r.proto, r.pc0);
                let uncounted = match bc::op(ins) {
                    opc::FORL => Some(opc::IFORL),
                    opc::LOOP => Some(opc::ILOOP),
                    opc::ITERL => Some(opc::IITERL),
                    _ => None,
                };
                if let Some(o) = uncounted {
                    jitrt::patch_code(r.proto, r.pc0, (ins & !0xff) | o as u32);
                }
            } else {
                vm.hotcount[jitrt::hotcount_slot(r.proto, r.pc0)] = a.1 as u16;
            }
        }
    }

    /// Compile and install the finished recording; a side trace ends at
    /// `link = (pc, trace id)`.
    fn finish(&mut self, vm: &mut Vm, link: Option<(usize, u32)>) {
        vm.recording = false;
        let Some(mut r) = self.rec.take() else { return };
        let link_exit = match link {
            Some((pc, _)) => match r.close_side(pc) {
                Ok(e) => Some(e),
                Err(msg) => {
                    self.rec = Some(r);
                    self.abort_recording(vm, Some((&msg, pc)));
                    return;
                }
            },
            None => {
                if let Err(msg) = r.close() {
                    let pc0 = r.pc0;
                    self.rec = Some(r);
                    self.abort_recording(vm, Some((&msg, pc0)));
                    return;
                }
                if self.flags.loop_ {
                    lunatrace_ir::opt_loop::loop_opt(&mut r.t);
                }
                None
            }
        };
        if self.flags.dce {
            lunatrace_ir::dce::dce(&mut r.t);
        }
        if self.flags.sink {
            lunatrace_ir::sink::sink(&mut r.t);
        }
        if self.traces.len() as u32 >= self.params.maxtrace.min(MAX_ID) {
            let msg = "too many traces";
            self.rec = Some(r);
            let pc0 = self.rec.as_ref().unwrap().pc0;
            self.abort_recording(vm, Some((msg, pc0)));
            return;
        }
        let id = self.traces.len() as u32 + 1;
        let name = format!("trace{}", id);
        if let Some(w) = self.dump.as_mut() {
            let _ = writeln!(
                w,
                "---- TRACE {} start {}",
                id,
                Self::loc(r.start_proto, r.pc0)
            );
            let _ = write!(w, "{}", lunatrace_ir::dump::dump(&r.t));
            match link {
                Some((_, to)) => {
                    let _ = writeln!(w, "---- TRACE {} stop -> {}", id, to);
                }
                None => {
                    let _ = writeln!(w, "---- TRACE {} stop -> loop", id);
                }
            }
        }
        // One link cell per exit (see `Trace::link_cells`), filled when a
        // side trace is attached to the exit or the exit links to a loop.
        let cells: Box<[AtomicUsize]> = (0..r.t.snaps.len()).map(|_| AtomicUsize::new(0)).collect();
        r.t.id = id;
        r.t.link_cells = cells.as_ptr() as usize;
        if self.use_worker() {
            // Compile in the background: what the code refers to stays
            // alive from now on; the trace is installed when ready.
            keep_alive(vm, &mut r);
            let t = std::mem::take(&mut r.t);
            if let Some(w) = self.worker.as_ref() {
                w.submit(Box::new(t), name);
            }
            self.pending = Some(Pending {
                r,
                id,
                link,
                link_exit,
                cells,
                epoch: self.epoch,
            });
            return;
        }
        let t0 = Instant::now();
        let res = self.codegen.compile(&r.t, &name);
        let dt = t0.elapsed().as_secs_f64();
        if let (Some(w), Some(clif)) = (self.dump.as_mut(), self.codegen.last_dump()) {
            let _ = writeln!(w, "---- TRACE {} Cranelift IR", id);
            let _ = write!(w, "{}", clif);
        }
        if res.is_ok() {
            keep_alive(vm, &mut r);
        }
        self.install(
            vm,
            Pending {
                r,
                id,
                link,
                link_exit,
                cells,
                epoch: self.epoch,
            },
            res,
            dt,
        );
    }

    /// Install a compiled trace (`code`; an error aborts it as the
    /// recording's failure): the trace table entry, exit links, the
    /// bytecode patch of a root trace's loop, the `-jv` line.
    fn install(
        &mut self,
        vm: &mut Vm,
        p: Pending,
        code: Result<lunatrace_ir::Compiled, String>,
        dt: f64,
    ) {
        let Pending {
            mut r,
            id,
            link,
            link_exit,
            cells,
            ..
        } = p;
        let code = match code {
            Ok(c) => c,
            Err(e) => {
                let pc0 = r.pc0;
                self.rec = Some(r);
                self.abort_recording(vm, Some((&format!("NYI: codegen: {}", e), pc0)));
                return;
            }
        };
        self.compile_times.push(dt);
        self.compile_total += dt;
        let orig = jitrt::code_at(r.start_proto, r.pc0);
        self.max_slots = self.max_slots.max(r.nslots());
        let exit_pcs: Vec<u32> = r.t.snaps.iter().map(|s| s.pc).collect();
        // Exits store virtual reference cdata as raw addresses (slot, type).
        let exit_crefs: Vec<Vec<(u32, u32)>> =
            r.t.snaps
                .iter()
                .map(|s| {
                    s.map
                        .iter()
                        .filter(|e| r.t.ty(e.r) == lunatrace_ir::Ty::CRef)
                        .map(|e| (e.slot, r.t.ins[e.r.idx()].b as u32))
                        .collect()
                })
                .collect();
        let nexits = exit_pcs.len();
        let mut links = vec![0; nexits];
        if let (Some(e), Some((_, to))) = (link_exit, link) {
            links[e as usize] = to;
        }
        for ins in r.t.ins.iter().filter(|i| i.op == lunatrace_ir::Op::GCSTEP) {
            // A collection is due: the exit must reach `enter`, which
            // collects, never a side trace.
            links[ins.snap as usize] = NO_SIDE;
        }
        self.traces.push(TraceInfo {
            proto: r.start_proto,
            pc: r.pc0,
            func: r.start_func,
            orig,
            entry: code.entry,
            link: code.link,
            cells,
            exit_pcs,
            exits: vec![0; nexits],
            links,
            tries: vec![0; nexits],
            parent: r.side,
            root: r.side.map_or(id, |(p, _)| self.traces[p as usize - 1].root),
            nside: 0,
            chain: match r.side {
                Some((p, _)) if self.traces[p as usize - 1].pc == r.pc0 => {
                    self.traces[p as usize - 1].chain + 1
                }
                Some(_) => 1,
                None => 0,
            },
            exit_frames: r.t.snaps.iter().map(|s| s.frames.clone()).collect(),
            exit_crefs,
            exit_multres: r.t.snaps.iter().map(|s| s.multres).collect(),
            exit_down: r.t.snaps.iter().map(|s| s.retdepth).collect(),
            down: r.down.clone(),
            tail_base: r.tail_base,
            nins: r.t.ins.len(),
            nconsts: r.t.consts.len(),
            ffi_sites: std::mem::take(&mut r.ffi_sites),
        });
        if let (Some(e), Some((_, to @ 1..))) = (link_exit, link) {
            // The final exit continues in the loop trace `to` directly when
            // nothing needs checking on the way: same closure, no frames
            // below to verify, no references to box.
            let (me, lt) = (&self.traces[id as usize - 1], &self.traces[to as usize - 1]);
            if lt.func.bits() == me.func.bits()
                && lt.down.is_empty()
                && !lt.tail_base
                && me.exit_crefs[e as usize].is_empty()
            {
                me.cells[e as usize].store(lt.link, Ordering::Relaxed);
            }
        }
        if let Some((p, e)) = r.side {
            let root = self.traces[id as usize - 1].root;
            self.traces[root as usize - 1].nside += 1;
            // Link the parent's exit to the new side trace (directly unless
            // the side trace returns below its frame: entry checks that).
            // (Not from an exit below the parent's frame: the side trace
            // runs with another base, entered by `enter`.)
            let me = &self.traces[id as usize - 1];
            let pt = &self.traces[p as usize - 1];
            let same_frame = pt.exit_down[e as usize] == 0;
            if me.down.is_empty() && !me.tail_base && same_frame {
                self.traces[p as usize - 1].cells[e as usize].store(me.link, Ordering::Relaxed);
            }
            self.traces[p as usize - 1].links[e as usize] = id;
            let to = match link.map_or(0, |l| l.1) {
                0 => "interpreter".to_string(),
                n => n.to_string(),
            };
            let line = format!(
                "[TRACE {:>3} ({}/{}) {} -> {}]",
                id,
                p,
                e,
                Self::loc(r.start_proto, r.pc0),
                to
            );
            self.verbose_line(&line);
            return;
        }
        let jop = match bc::op(orig) {
            opc::FORL => opc::JFORL,
            opc::ITERL => opc::JITERL,
            _ => opc::JLOOP,
        };
        let jins = (jop as u32) | (bc::a(orig) << 8) | (id << 16);
        jitrt::patch_code(r.proto, r.pc0, jins);
        if jop == opc::JFORL {
            // The loop's FORI enters the trace too (first iteration).
            let fori = (r.pc0 as i64 + bc::jump(orig) as i64) as usize;
            let fi = jitrt::code_at(r.proto, fori);
            if bc::op(fi) == opc::FORI {
                jitrt::patch_code(r.proto, fori, (fi & !0xff) | opc::JFORI as u32);
            }
        }
        let line = match link {
            None => format!("[TRACE {:>3} {} loop]", id, Self::loc(r.proto, r.pc0)),
            Some((_, 0)) => format!(
                "[TRACE {:>3} {} -> interpreter]",
                id,
                Self::loc(r.proto, r.pc0)
            ),
            Some((_, to)) => format!("[TRACE {:>3} {} -> {}]", id, Self::loc(r.proto, r.pc0), to),
        };
        self.verbose_line(&line);
    }
}

impl JitHook for Jit {
    fn hot(&mut self, vm: &mut Vm, proto: NonNull<Proto>, pc: usize) {
        if !self.on || vm.hook_mask != 0 || debuginfo::proto(proto).nojit {
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
        if !matches!(bc::op(ins), opc::FORL | opc::LOOP | opc::ITERL) {
            // Loops only (function entries: not yet).
            return;
        }
        let th = vm.th();
        let fi = th.frames.len() - 1;
        let func = th.stack[th.frames[fi].func as usize];
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
        let mut r = Recorder::new(proto, pc, fi, func, self.flags.fold, self.flags.cse);
        r.narrow = self.flags.narrow;
        r.ffi_banned = self.ffi_banned.clone();
        r.index_key = vm.mm_names[lunatrace_vm::state::MM::Index as usize];
        r.newindex_key = vm.mm_names[lunatrace_vm::state::MM::NewIndex as usize];
        r.metatable_key = vm.mm_names[lunatrace_vm::state::MM::Metatable as usize];
        self.rec = Some(r);
        vm.recording = true;
    }

    fn record(&mut self, vm: &mut Vm, fi: usize, pc: usize) {
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
        if r.side.is_none() && pc == r.pc0 && r.started && at_base {
            self.finish(vm, None);
            return;
        }
        if r.side.is_none() && at_base && r.started {
            // A root trace must loop back: past its loop's exit target it
            // would run on into the enclosing code.
            let l = jitrt::code_at(r.proto, r.pc0);
            if bc::op(l) == opc::LOOP && pc as i64 >= r.pc0 as i64 + 1 + bc::jump(l) as i64 {
                self.abort_recording(vm, Some((LEAVING_LOOP, pc)));
                return;
            }
        }
        if r.side.is_some() {
            let ins = jitrt::code_at(r.cur_proto(), pc);
            if matches!(bc::op(ins), opc::JFORL | opc::JLOOP | opc::JITERL) {
                // A side trace ends where a compiled loop starts: linked
                // to it in the base frame, else through the interpreter
                // (which rebuilds the inlined frames and enters it).
                let to = if at_base { bc::d(ins) } else { 0 };
                self.finish(vm, Some((pc, to)));
                return;
            }
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
        let saved = if r.side.is_some() {
            Some(r.save())
        } else {
            None
        };
        if let Err(msg) = r.record(vm, pc, ins, &orig_of) {
            if let (Some(saved), true) = (saved, r.nrec > 2) {
                // A side trace that got somewhere ends here instead: the
                // interpreter takes over at this instruction.
                r.restore(saved);
                self.finish(vm, Some((pc, 0)));
                return;
            }
            self.abort_recording(vm, Some((&msg, pc)));
            return;
        }
        if r.t.consts.len() as u32 > self.params.maxirconst {
            self.abort_recording(vm, Some(("too many IR constants", pc)));
        } else if r.t.snaps.len() as u32 > self.params.maxsnap.min(MAX_ID) {
            self.abort_recording(vm, Some(("too many snapshots", pc)));
        }
    }

    fn enter(&mut self, vm: &mut Vm, id: u32, fi: usize, base: usize) -> Option<(usize, bool)> {
        self.poll_worker(vm, false);
        let t = self.traces.get(id as usize - 1)?;
        let fv = vm.th().stack[vm.th().frames[fi].func as usize];
        if fv.bits() != t.func.bits() || !down_ok(vm, fi, &t.down, t.tail_base) {
            return None;
        }
        // Inlined frames live above this one: make room before entering.
        let need = base + self.max_slots + MIN_STACK;
        if vm.th().stack.len() < need {
            grow_stack(&mut vm.heap, vm.cur, need);
        }
        let vmp = vm as *mut Vm;
        let prev = jitrt::enter_trace(vmp as usize);
        let (mut fi, mut base) = (fi, base);
        let mut moved = false;
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
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
                entry(bp, vmp as *mut u8)
            }));
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
            // Virtual references the exit left as addresses (in the frame
            // the trace ran in), boxed unless a side trace takes them.
            let (ebase, from) = (base, (id, exit));
            let down = t.exit_down[exit] as usize;
            if down > 0 {
                // The trace returned to lower frames: continue in the
                // frame it left from.
                fi -= down;
                base = vm.th().frames[fi].base as usize;
                moved = true;
            }
            let link = t.links[exit];
            if link != 0 && link != NO_SIDE {
                let th = vm.th();
                let f = th.stack[th.frames[fi].func as usize];
                let lt = &self.traces[link as usize - 1];
                if f.bits() == lt.func.bits() && down_ok(vm, fi, &lt.down, lt.tail_base) {
                    if lt.parent != Some((id, exit as u32)) {
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
            let t = &self.traces[id as usize - 1];
            // A hot exit (not the loop's own end) grows a side trace in the
            // frame the exit continues in; it inherits the exit's inlined
            // frames (the interpreter gets them as real frames below).
            let (root, exits) = (t.root, t.exits[exit]);
            if link == 0
                && self.traces[root as usize - 1].nside < self.params.maxside
                && self.on
                && self.rec.is_none()
                && self.pending.is_none()
                && exits >= self.params.hotexit
                && !(t.chain >= MAX_CHAIN && pc as usize == t.pc)
                && !self.over_budget()
                && !at_compiled_loop(vm, fi, &t.exit_frames[exit], pc as usize)
                && (self.traces.len() as u32) < self.params.maxtrace.min(MAX_ID)
            {
                let th = vm.th();
                let func = th.stack[th.frames[fi].func as usize];
                let proto = debuginfo::func_proto(func).unwrap_or(t.proto);
                let mut r = Recorder::new(
                    proto,
                    pc as usize,
                    fi,
                    func,
                    self.flags.fold,
                    self.flags.cse,
                );
                r.side = Some((id, exit as u32));
                r.inherit_frames(&t.exit_frames[exit]);
                r.inherit_crefs(&t.exit_crefs[exit]);
                r.ffi_banned = self.ffi_banned.clone();
                r.index_key = vm.mm_names[lunatrace_vm::state::MM::Index as usize];
                r.newindex_key = vm.mm_names[lunatrace_vm::state::MM::NewIndex as usize];
                r.metatable_key = vm.mm_names[lunatrace_vm::state::MM::Metatable as usize];
                self.rec = Some(r);
                vm.recording = true;
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
            if let Err(e) = vm.full_gc() {
                vm.trace_error = Some(e);
            }
            vm.jit_roots.truncate(n);
        }
        vm.exit_multres = self.traces[last.0 as usize - 1].exit_multres[last.1];
        Some((pc, moved))
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

    fn original(&self, id: u32) -> u32 {
        self.traces
            .get(id as usize - 1)
            .map_or(opc::LOOP as u32, |t| t.orig)
    }
}

/// Push the inlined frames an exit left from (above frame `fi`, whose
/// register 0 is stack slot `base`); the innermost continues at `pc`.
fn rebuild_frames(vm: &mut Vm, fi: usize, base: usize, frames: &[SnapFrame], pc: u32) {
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
            nresults: f.nres,
            nvarargs: f.nvarargs,
            kind: match (f.cmp, f.pcall) {
                (Some(jump_if), _) => FrameKind::Compare { jump_if },
                (None, true) => FrameKind::Pcall,
                (None, false) => FrameKind::Lua,
            },
            ret: (base + f.ret as usize) as u32,
        });
    }
    let last = frames.last().unwrap();
    let fs = debuginfo::func_proto(Value::from_bits(last.func))
        .map_or(0, |p| debuginfo::proto(p).framesize as usize);
    th.top = base + last.base as usize + fs;
}

/// Restore the loop instruction of root trace `t` (and its FORI).
fn unpatch(t: &TraceInfo) {
    jitrt::patch_code(t.proto, t.pc, t.orig);
    if bc::op(t.orig) == opc::FORL {
        let fori = (t.pc as i64 + bc::jump(t.orig) as i64) as usize;
        let fi = jitrt::code_at(t.proto, fori);
        if bc::op(fi) == opc::JFORI {
            jitrt::patch_code(t.proto, fori, (fi & !0xff) | opc::FORI as u32);
        }
    }
}

/// Whether `pc` of frame `fi`'s function is a compiled loop (a side trace
/// starting there would be empty).
/// (`pc` is in the innermost of the exit's inlined `frames`, if any.)
fn at_compiled_loop(vm: &mut Vm, fi: usize, frames: &[SnapFrame], pc: usize) -> bool {
    let th = vm.th();
    let f = frames
        .last()
        .map_or(th.stack[th.frames[fi].func as usize], |f| {
            Value::from_bits(f.func)
        });
    debuginfo::func_proto(f).is_some_and(|p| {
        matches!(
            bc::op(jitrt::code_at(p, pc)),
            opc::JFORL | opc::JLOOP | opc::JITERL
        )
    })
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
            || f.nresults != d.nres
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

/// Parse one `-O` argument (`3`, `+fold`, `-cse`, `hotloop=10`, comma
/// separated) into the JIT. Returns an error message for unknown items.
/// Set the interpreter's hot threshold to `hotloop` and re-arm every hot
/// counter with it (at start-up, and when `jit.opt.start` sets it, as
/// LuaJIT does).
pub fn arm_hot_counters(vm: &mut Vm, hotloop: u32) {
    vm.hotloop = hotloop.clamp(1, u16::MAX as u32) as u16;
    vm.hotcount = [vm.hotloop; lunatrace_vm::state::HOTCOUNT_SIZE];
}

pub fn apply_opt(jit: &mut Jit, arg: &str) -> Result<(), String> {
    for item in arg.split(',').filter(|s| !s.is_empty()) {
        if let Ok(n) = item.parse::<u32>() {
            jit.flags = Flags::level(n.min(3));
        } else if let Some(f) = item.strip_prefix('+') {
            if !jit.flags.set(f, true) {
                return Err(format!("unknown or malformed optimization flag '{}'", item));
            }
        } else if let Some(f) = item.strip_prefix('-') {
            if !jit.flags.set(f, false) {
                return Err(format!("unknown or malformed optimization flag '{}'", item));
            }
        } else if let Some(p) = item.strip_prefix("sandwich=") {
            jit.sandwich = lunatrace_vm::jitrt::Sandwich::parse(p)
                .ok_or_else(|| format!("unknown or malformed optimization flag '{}'", item))?;
        } else if let Some((k, v)) = item.split_once('=') {
            match v.parse::<u32>() {
                Ok(n) if jit.params.set(k, n) => {
                    // Chosen thresholds are kept: no compile budget then
                    // (unless one is set too, after them).
                    if k == "hotloop" || k == "hotexit" {
                        jit.params.budget = 0;
                        if !jit.async_set {
                            jit.params.async_ = 0;
                        }
                    }
                    if k == "async" {
                        jit.async_set = true;
                    }
                }
                _ => return Err(format!("unknown or malformed optimization flag '{}'", item)),
            }
        } else if !jit.flags.set(item, true) {
            return Err(format!("unknown or malformed optimization flag '{}'", item));
        }
    }
    Ok(())
}
