//! Finishing a recording and installing its trace: the IR passes that
//! run on the finished trace (loop peeling, bounds-check and dead-store
//! elimination, DCE, sinking), compilation in
//! the foreground or on the background worker (`compile_thread`), and the
//! installation itself: the trace table entry, exit links and link cells,
//! the bytecode patch that makes a root trace's loop enter it, the `-jv`
//! line.

use crate::record::Recorder;
use crate::{Jit, TraceInfo, MAX_ID, NO_SIDE};
use lunatrace_ir::ops::Ty;
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::jitrt;
use lunatrace_vm::{Value, Vm};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Keep what a recorded trace's code refers to alive (constants the
/// recorder rooted; the closures trace entry compares by identity).
pub(crate) fn keep_alive(vm: &mut Vm, r: &mut Recorder) {
    vm.jit_roots.push(r.start_func);
    for d in &r.down {
        vm.jit_roots.push(Value::from_bits(d.func));
    }
    r.roots.sort_by_key(|v| v.bits());
    r.roots.dedup_by_key(|v| v.bits());
    vm.jit_roots.append(&mut r.roots);
}

/// A native function as `-jv` names it: `library.name` when a standard
/// library table holds it (`string.gsub`), its global name, else the name
/// it was made with.
fn native_name(vm: &Vm, f: Value) -> String {
    use lunatrace_vm::object::str_bytes;
    use lunatrace_vm::table;
    // The string-keyed entries of table `t`.
    let entries = |t| {
        let mut out = Vec::new();
        let mut k = Value::NIL;
        while let Ok(Some((nk, v))) = table::next(t, k) {
            if nk.is_str() {
                out.push((String::from_utf8_lossy(str_bytes(nk)).into_owned(), v));
            }
            k = nk;
        }
        out
    };
    let globals = entries(vm.globals);
    for lib in [
        "string",
        "table",
        "math",
        "io",
        "os",
        "coroutine",
        "debug",
        "bit",
        "jit",
        "package",
    ] {
        let lt = globals
            .iter()
            .find(|(k, _)| k == lib)
            .and_then(|e| e.1.as_table_ptr());
        if let Some(t) = lt {
            if let Some((k, _)) = entries(t).into_iter().find(|e| e.1.bits() == f.bits()) {
                return format!("{}.{}", lib, k);
            }
        }
    }
    if let Some((k, _)) = globals.into_iter().find(|e| e.1.bits() == f.bits()) {
        return k;
    }
    // SAFETY: a live function object (a root of the trace).
    f.as_func_ptr()
        .map_or("?".into(), |p| unsafe { (*p.as_ptr()).name.to_string() })
}

/// A finished recording waiting for its code (background compilation),
/// or being installed: the recorder's state, the trace number it was
/// given, how it ends (`link`, `link_exit`), its link cells, and the flush
/// epoch it belongs to.
pub(crate) struct Pending {
    pub(crate) r: Recorder,
    pub(crate) id: u32,
    pub(crate) link: Option<(usize, u32)>,
    pub(crate) link_exit: Option<u32>,
    pub(crate) cells: Box<[AtomicUsize]>,
    pub(crate) epoch: u32,
}

/// Restore the loop instruction of root trace `t` (and its FORI).
pub(crate) fn unpatch(t: &TraceInfo) {
    jitrt::patch_code(t.proto, t.pc, t.orig);
    if bc::op(t.orig) == opc::FORL {
        let fori = (t.pc as i64 + bc::jump(t.orig) as i64) as usize;
        let fi = jitrt::code_at(t.proto, fori);
        if bc::op(fi) == opc::JFORI {
            jitrt::patch_code(t.proto, fori, (fi & !0xff) | opc::FORI as u32);
        }
    }
}

impl Jit {
    /// Abort the finished recording `r` with `msg` (at its start).
    fn abort_with(&mut self, vm: &mut Vm, r: Recorder, msg: &str) {
        let pc0 = r.pc0;
        self.rec = Some(r);
        self.abort_recording(vm, Some((msg, pc0)));
    }

    /// Whether finished recordings go to the background worker (started
    /// on first use): `async=1`, no `-jdump` (it prints the code with the
    /// IR), and a code generator maker given.
    pub(crate) fn use_worker(&mut self) -> bool {
        if self.params.async_ == 0 || self.dump.is_some() {
            return false;
        }
        if self.worker.is_none() {
            let Some(make) = self.make_codegen else {
                return false;
            };
            self.worker = crate::compile_thread::Worker::spawn(make);
        }
        self.worker.is_some()
    }

    /// Install the background compiler's result if it is ready (`wait`:
    /// wait for it). True when no compilation is pending afterwards.
    pub(crate) fn poll_worker(&mut self, vm: &mut Vm, wait: bool) -> bool {
        loop {
            if self.pending.is_none() && self.pending_region.is_none() {
                return true;
            }
            let Some(w) = self.worker.as_ref() else {
                return true;
            };
            let done = if wait { w.wait_done() } else { w.try_done() };
            let Some(done) = done else {
                return self.pending.is_none();
            };
            match done.job {
                crate::compile_thread::Job::Region(root) => {
                    let Some((_, epoch)) = self.pending_region.take() else {
                        continue;
                    };
                    // (Flushed meanwhile: the code was retired with its
                    // generation.)
                    if epoch == self.epoch {
                        self.add_compile_time(done.secs);
                        self.install_region(root, done.code);
                        // (Regions that waited for this one.)
                        self.update_regions();
                    }
                }
                crate::compile_thread::Job::Trace(trace) => {
                    let Some(mut p) = self.pending.take() else {
                        continue;
                    };
                    if p.epoch == self.epoch {
                        p.r.t = *trace;
                        self.install(vm, p, done.code, done.secs);
                    }
                }
            }
        }
    }

    /// Wait for the background compiler (end of run: statistics and `-jv`
    /// lines complete).
    pub fn finish_pending(&mut self, vm: &mut Vm) {
        self.poll_worker(vm, true);
    }

    /// Compile and install the finished recording; a side trace ends at
    /// `link = (pc, trace id)`.
    pub(crate) fn finish(&mut self, vm: &mut Vm, link: Option<(usize, u32)>) {
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
                    self.abort_with(vm, r, &msg);
                    return;
                }
                if self.flags.loop_ {
                    lunatrace_ir::opt_loop::loop_opt(&mut r.t);
                }
                // Virtual pointers carried around the loop need the peeled
                // loop (its registers carry them).
                let l = r.t.loop_at.map(|l| r.t.ins[l].snap as usize);
                if !r.t.peeled
                    && l.is_some_and(|s| {
                        r.t.snaps[s]
                            .map
                            .iter()
                            .any(|e| r.t.ty(e.r) == lunatrace_ir::Ty::CRef)
                    })
                {
                    let msg = "NYI: pointer or reference cdata carried across iterations";
                    self.abort_with(vm, r, msg);
                    return;
                }
                None
            }
        };
        if self.flags.abc {
            lunatrace_ir::abc::abc(&mut r.t);
        }
        if self.flags.carry {
            lunatrace_ir::carry::carry(&mut r.t);
        }
        if self.flags.dse {
            lunatrace_ir::dse::dse(&mut r.t);
        }
        if self.flags.dce {
            lunatrace_ir::dce::dce(&mut r.t);
        }
        if self.flags.sink {
            lunatrace_ir::sink::sink(&mut r.t);
        }
        if self.traces.len() as u32 >= self.params.maxtrace.min(MAX_ID) {
            self.abort_with(vm, r, "too many traces");
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
            // (The cost summary: machine code, IR, snapshots, compile time.)
            if let Ok(c) = res.as_ref() {
                let _ = writeln!(
                    w,
                    "---- TRACE {} mcode {} bytes, {} IR instructions, {} snapshots, compiled in {:.3} ms",
                    id,
                    c.size,
                    r.t.ins.len(),
                    r.t.snaps.len(),
                    dt * 1e3
                );
            }
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
    /// bytecode patch of a root trace's loop, the `-jv` line; then the
    /// regions its links changed are compiled again.
    pub(crate) fn install(
        &mut self,
        vm: &mut Vm,
        p: Pending,
        code: Result<lunatrace_ir::Compiled, String>,
        dt: f64,
    ) {
        let n = self.traces.len();
        self.install_trace(vm, p, code, dt);
        if self.traces.len() > n {
            self.update_regions();
        }
    }

    fn install_trace(
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
                self.abort_with(vm, r, &format!("NYI: codegen: {}", e));
                return;
            }
        };
        self.compile_times.push(dt);
        self.add_compile_time(dt);
        // The machine code limits (LuaJIT's: a trace longer than one code
        // area is refused; when the areas reach `maxmcode`, every trace is
        // flushed and the JIT starts over).
        let area = self.params.sizemcode as usize * 1024;
        if code.size > area {
            self.abort_with(vm, r, "machine code too long");
            return;
        }
        if self.mcode_total + code.size > self.params.maxmcode as usize * 1024 {
            self.abort_with(vm, r, "failed to allocate mcode memory");
            self.flush(vm);
            return;
        }
        self.mcode_total += code.size;
        let orig = jitrt::code_at(r.start_proto, r.pc0);
        let slot = id as usize - 1;
        if vm.trace_orig.len() <= slot {
            vm.trace_orig.resize(slot + 1, opc::ILOOP as u32);
        }
        vm.trace_orig[slot] = orig;
        self.max_slots = self.max_slots.max(r.nslots());
        vm.jit_max_slots = self.max_slots;
        // A trace ending in RECLINK continues in itself or in another
        // function-entry trace, with the exit's frames pushed by its code.
        let rec_link = r.rec_link.map(|to| match to {
            crate::record::SELF_LINK => id,
            n => n,
        });
        let link = match (rec_link, link) {
            (Some(to), Some((pc, _))) => Some((pc, to)),
            (_, l) => l,
        };
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
        if let (Some(e), true) = (link_exit, r.switch_end) {
            // A coroutine switch: the interpreter makes the call (no side
            // trace starts there).
            links[e as usize] = NO_SIDE;
        }
        let mut exit_poll = vec![false; nexits];
        for ins in r.t.ins.iter().filter(|i| i.op == lunatrace_ir::Op::POLL) {
            exit_poll[ins.snap as usize] = true;
        }
        for ins in r.t.ins.iter().filter(|i| {
            // (A failing stack check exits to the interpreter's call,
            // which grows the stack or raises "stack overflow".)
            // (A count hook's countdown ran out: the interpreter calls
            // the hook.)
            matches!(
                i.op,
                lunatrace_ir::Op::GCSTEP | lunatrace_ir::Op::STKCHK | lunatrace_ir::Op::POLL
            )
        }) {
            // A collection is due: the exit must reach `enter`, which
            // collects, never a side trace.
            links[ins.snap as usize] = NO_SIDE;
        }
        let full_ir = std::sync::Arc::new(r.t.clone());
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
            refused: vec![crate::Refusal::None; nexits],
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
            exit_synced: vec![false; nexits],
            exit_poll,
            exit_crefs,
            exit_multres: r.t.snaps.iter().map(|s| s.multres).collect(),
            exit_ints: r
                .t
                .snaps
                .iter()
                .map(|s| {
                    s.map
                        .iter()
                        .filter(|e| r.t.ty(e.r) == Ty::Int)
                        .map(|e| e.slot)
                        .collect()
                })
                .collect(),
            exit_down: r.t.snaps.iter().map(|s| s.retdepth).collect(),
            down: r.down.clone(),
            tail_base: r.tail_base,
            entry_multres: r.entry_multres,
            stitch: r.stitch.filter(|_| !r.switch_end).and(link_exit),
            nins: r.t.ins.len(),
            nconsts: r.t.consts.len(),
            ffi_sites: std::mem::take(&mut r.ffi_sites),
            ir: crate::region::region_ir(&full_ir, r.funcf && r.side.is_none(), r.side.is_none()),
            full_ir,
            mcode_size: code.size,
            mcode_insns: code.insns,
            region_mcode: (0, 0),
            region: Vec::new(),
            region_compiles: 0,
            recursion: r.side.is_none() && (r.funcf || r.downrec),
            loop_root: r.side.is_none() && !r.funcf && r.t.peeled && r.t.csigs.is_empty(),
            // (Not one that ended otherwise: at a stitched call, or where
            // its recording could not go on.)
            side_loop: r.side_loop && link.is_none(),
            linktype: link_type(&r, link, id),
            early_exits: 0,
            end_exits: 0,
            entries: 0,
        });
        self.link_owners.insert(code.link, id);
        if let (Some(e), Some(to)) = (link_exit, rec_link) {
            // RECLINK: its code pushed the frames (nothing to rebuild or
            // pop at the exit); linked directly when the target runs the
            // callee's closure with nothing below to check.
            let t = &mut self.traces[id as usize - 1];
            t.exit_frames[e as usize].clear();
            t.exit_down[e as usize] = 0;
            t.exit_synced[e as usize] = true;
            let callee = r.frames.last().map_or(r.func, |f| f.func);
            // (A frame known by its prototype may run another closure.)
            let poly = r.frames.last().is_some_and(|f| f.poly);
            let (me, lt) = (&self.traces[id as usize - 1], &self.traces[to as usize - 1]);
            if lt.func.bits() == callee.bits()
                && !poly
                && lt.down.is_empty()
                && !lt.tail_base
                && me.exit_crefs[e as usize].is_empty()
            {
                me.cells[e as usize].store(lt.link, Ordering::Relaxed);
            }
        } else if let (Some(e), Some((_, to @ 1..))) = (link_exit, link) {
            // The final exit continues in the loop trace `to` directly when
            // nothing needs checking on the way: same closure, no frames
            // below to verify, no references to box.
            // (The function the trace ends in: another after returns.)
            let (me, lt) = (&self.traces[id as usize - 1], &self.traces[to as usize - 1]);
            if lt.func.bits() == r.func.bits()
                && lt.down.is_empty()
                && !lt.tail_base
                && me.exit_crefs[e as usize].is_empty()
                && me.exit_frames[e as usize].is_empty()
            {
                me.cells[e as usize].store(lt.link, Ordering::Relaxed);
            }
        }
        // The native a stitched trace ends before, named for `-jv` (looked
        // up in the library tables only when `-jv` is on).
        let callee = match (r.stitch, self.verbose.is_some()) {
            (Some(_), true) => native_name(vm, r.stitch_fn),
            _ => String::new(),
        };
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
            let stitched = pt.stitch == Some(e);
            if me.down.is_empty() && !me.tail_base && same_frame && !stitched {
                self.traces[p as usize - 1].cells[e as usize].store(me.link, Ordering::Relaxed);
            }
            self.traces[p as usize - 1].links[e as usize] = id;
            // (LuaJIT's forms: a continuation's parent exit is `stitch`,
            // a stitching trace ends `stitch <function>`.)
            let from = match stitched {
                true => "stitch".to_string(),
                false => e.to_string(),
            };
            let to = match link.map_or(0, |l| l.1) {
                _ if link.is_none() => "loop".to_string(),
                _ if r.switch_end => format!("switch {}", callee),
                _ if r.stitch.is_some() => format!("stitch {}", callee),
                0 => "-- fallback to interpreter".to_string(),
                n => format!("-> {}", n),
            };
            let line = format!(
                "[TRACE {:>3} ({}/{}) {} {}]",
                id,
                p,
                from,
                Self::loc(r.start_proto, r.pc0),
                to
            );
            self.verbose_line(&line);
            self.event_stop(vm, id, &r);
            return;
        }
        let jop = match bc::op(orig) {
            opc::FORL => opc::JFORL,
            opc::ITERL => opc::JITERL,
            opc::FUNCF => opc::JFUNCF,
            opc::RET0 | opc::RET1 | opc::RET => opc::JRET,
            _ => opc::JLOOP,
        };
        let jins = (jop as u32) | (bc::a(orig) << 8) | (id << 16);
        jitrt::patch_code(r.start_proto, r.pc0, jins);
        if jop == opc::JFORL {
            // The loop's FORI enters the trace too (first iteration).
            let fori = (r.pc0 as i64 + bc::jump(orig) as i64) as usize;
            let fi = jitrt::code_at(r.start_proto, fori);
            if bc::op(fi) == opc::FORI {
                jitrt::patch_code(r.start_proto, fori, (fi & !0xff) | opc::JFORI as u32);
            }
        }
        // (LuaJIT's names of the links, `link_type`.)
        let loc = Self::loc(r.start_proto, r.pc0);
        let line = match self.traces[id as usize - 1].linktype {
            ("stitch", _) => format!(
                "[TRACE {:>3} {} {} {}]",
                id,
                loc,
                if r.switch_end { "switch" } else { "stitch" },
                callee
            ),
            ("interpreter", _) => format!("[TRACE {:>3} {} -- fallback to interpreter]", id, loc),
            ("root", to) => format!("[TRACE {:>3} {} -> {}]", id, loc, to),
            (kind, _) => format!("[TRACE {:>3} {} {}]", id, loc, kind),
        };
        self.verbose_line(&line);
        self.event_stop(vm, id, &r);
    }
}

/// How trace `id` (recorded by `r`, ending at `link`: None for a loop,
/// `(pc, 0)` in the interpreter) ends, by LuaJIT's link type names, and
/// the trace it continues in.
fn link_type(r: &Recorder, link: Option<(usize, u32)>, id: u32) -> (&'static str, u32) {
    match link {
        None if r.funcf && r.side.is_none() => ("tail-recursion", id),
        None => ("loop", id),
        Some((_, to)) if to == id && r.downrec => ("down-recursion", id),
        Some((_, to)) if to == id => ("up-recursion", id),
        Some(_) if r.stitch.is_some() => ("stitch", 0),
        Some((pc, 0)) if r.side.is_none() && crate::record::is_return(r.cur_proto(), pc) => {
            ("return", 0)
        }
        Some((_, 0)) => ("interpreter", 0),
        Some((_, to)) => ("root", to),
    }
}
