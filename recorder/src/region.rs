//! Regions (flag `region`): a recursion root trace (function entry or
//! down-recursion; not a loop's root ending at a stitched call, whose
//! region would be compiled for little gain) — or, with `loopregion`, a
//! peeled loop's root and the side traces of its body's exits, which may
//! continue in the loop body (`lunatrace_ir::region_loop`) — continues in other traces through
//! direct links at almost every call or return, each a tail call with
//! the callee's prologue, its reloads and type checks of the slots the
//! exit just stored. Once its side traces are linked, the root is
//! compiled again with every trace it reaches through direct links (link
//! cells holding a trace's code, `TraceInfo::cells`) as one function
//! (`CodeGen::compile_region`), where those links are jumps. The traces
//! keep their own code (the driver and other traces still enter them);
//! the root's entry and the cells that held its code then hold the
//! region's. A region is recompiled when the links it covers change (a
//! new side trace), a bounded number of times. Code of an older region
//! may go on running (its jumps loop in it), which is correct: it is the
//! same traces, and an exit whose link it did not cover goes through the
//! cell, to the new side trace, which continues in the newest code.

use crate::Jit;
use lunatrace_ir::{region_loop, Trace};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Most traces in one region.
const REGION_MAX_TRACES: usize = 24;
/// Most IR instructions of a region's traces together.
const REGION_MAX_INS: usize = 6000;
/// Region compilations per root trace.
const REGION_MAX_COMPILES: u32 = 6;
/// A loop's region (mostly for the hot side traces continuing in the
/// body; compiled in the background when `async`): most IR instructions,
/// compilations.
const LOOP_REGION_MAX_INS: usize = 1500;
const LOOP_REGION_MAX_COMPILES: u32 = 2;

/// The IR a trace keeps for regions: traces without C calls, and
/// without a loop unless it is a function-entry trace's (tail-recursion,
/// `funcf`) or a root trace's peeled loop (`root`).
pub(crate) fn region_ir(t: &Arc<Trace>, funcf: bool, root: bool) -> Option<Arc<Trace>> {
    (t.csigs.is_empty() && (t.loop_at.is_none() || funcf || (root && t.peeled))).then(|| t.clone())
}

/// A region: its traces (the root first) and, per trace, the snapshots
/// whose exits continue in another of them (index in the list).
struct Region {
    ids: Vec<u32>,
    jumps: Vec<Vec<Option<usize>>>,
    /// (trace index, exit, target index) of every jump: what the
    /// region's code covers.
    edges: Vec<(usize, usize, usize)>,
}

impl Jit {
    /// The trace whose code starts at `link` (a cell's value), if any.
    fn link_owner(&self, link: usize) -> Option<u32> {
        self.link_owners.get(&link).copied()
    }

    /// Whether trace `y` links back to trace `root` (some exit continues
    /// in it).
    fn continues_in(&self, y: u32, root: u32) -> bool {
        self.traces[y as usize - 1].cells.iter().any(|c| {
            let v = c.load(Ordering::Relaxed);
            v != 0 && self.link_owner(v) == Some(root)
        })
    }

    /// The region of root trace `root`: the traces with IR reached
    /// through direct links, breadth first, within the limits.
    fn region_of(&self, root: u32) -> Region {
        let mut ids = vec![root];
        // A loop's region: the side traces of its body's exits and theirs
        // (`region_loop`); with a mid-entry, also those of the pre-roll's
        // exits that continue in the root only (a rare first path), not
        // their subtrees (richards' scheduler loop: a region of 24 traces
        // took twice as long); the others keep their own code.
        let rt = &self.traces[root as usize - 1];
        let (body, mid) = match (&rt.ir, rt.loop_root) {
            (Some(ir), true) => (
                region_loop::body_exits(ir).unwrap_or_default(),
                region_loop::mid_entry(ir).is_some(),
            ),
            _ => (Vec::new(), false),
        };
        let max_ins = if rt.loop_root {
            LOOP_REGION_MAX_INS
        } else {
            REGION_MAX_INS
        };
        let mut nins = 0;
        let mut jumps: Vec<Vec<Option<usize>>> = Vec::new();
        let mut edges = Vec::new();
        // Per trace of the region: reached through a pre-roll exit (only
        // its exits back to the root are followed).
        let mut pre = vec![false];
        let mut i = 0;
        while i < ids.len() {
            let t = &self.traces[ids[i] as usize - 1];
            nins += t.nins;
            let mut j = vec![None; t.cells.len()];
            for (e, c) in t.cells.iter().enumerate().take(t.exit_pcs.len()) {
                let from_pre = rt.loop_root && i == 0 && !body.get(e).copied().unwrap_or(false);
                if from_pre && !mid {
                    continue;
                }
                let v = c.load(Ordering::Relaxed);
                let Some(y) = (v != 0).then(|| self.link_owner(v)).flatten() else {
                    continue;
                };
                if pre[i] && y != root {
                    continue;
                }
                let yt = &self.traces[y as usize - 1];
                // (Another loop's root keeps its own function: its loop
                // would run inside this one, among this one's values.)
                if yt.ir.is_none() || (yt.loop_root && y != root) {
                    continue;
                }
                if from_pre && !self.continues_in(y, root) {
                    continue;
                }
                let k = match ids.iter().position(|&x| x == y) {
                    Some(k) => k,
                    None if ids.len() < REGION_MAX_TRACES && nins + yt.nins <= max_ins => {
                        ids.push(y);
                        pre.push(from_pre);
                        ids.len() - 1
                    }
                    None => continue,
                };
                j[e] = Some(k);
                edges.push((i, e, k));
            }
            jumps.push(j);
            i += 1;
        }
        Region { ids, jumps, edges }
    }

    /// Compile again the regions whose links changed (after a trace was
    /// installed): each root trace with IR whose region reaches another
    /// trace, unless its code covers that region already.
    pub(crate) fn update_regions(&mut self) {
        if !self.flags.region {
            return;
        }
        // (Over the compile budget: again when the run has caught up —
        // a program whose traces all form at its start, as n-body's,
        // would otherwise never get its regions.)
        self.regions_dirty = self.over_budget();
        // (One region at a time in the background: the rest when it is
        // installed, `poll_worker`.)
        if self.regions_dirty || self.pending_region.is_some() {
            return;
        }
        for root in 1..=self.traces.len() as u32 {
            let t = &self.traces[root as usize - 1];
            let max = if t.loop_root {
                LOOP_REGION_MAX_COMPILES
            } else {
                REGION_MAX_COMPILES
            };
            if !(t.recursion || (t.loop_root && self.flags.loopregion))
                || t.ir.is_none()
                || t.region_compiles >= max
            {
                continue;
            }
            let reg = self.region_of(root);
            if reg.edges.is_empty() || reg.edges == t.region {
                continue;
            }
            let irs: Vec<Arc<Trace>> = reg
                .ids
                .iter()
                .map(|&id| self.traces[id as usize - 1].ir.clone().unwrap())
                .collect();
            let refs: Vec<&Trace> = irs.iter().map(|t| &**t).collect();
            // A loop's region pays only where a side trace continues in
            // the loop's body (`region_loop`) or in a copy of the root
            // taking its values (`start_copies`); else its traces stay
            // apart.
            if t.loop_root {
                let inline = region_loop::inlined(&refs, &reg.jumps);
                let body = region_loop::body_reentry(&refs, &reg.jumps, &inline);
                let mid = region_loop::mid_reentry(&refs, &reg.jumps, &inline);
                let copies = region_loop::start_copies(&refs, &reg.jumps, &body, &mid, &inline);
                if !body.iter().chain(&mid).chain(&copies).any(|&b| b) {
                    self.traces[root as usize - 1].region = reg.edges;
                    continue;
                }
            }
            let name = format!("region{}", root);
            if std::env::var_os("LT_DBG_REGION").is_some() {
                eprintln!("region {} {:?}", root, reg.ids);
            }
            let t = &mut self.traces[root as usize - 1];
            t.region_compiles += 1;
            t.region = reg.edges;
            if self.use_worker() {
                self.pending_region = Some((root, self.epoch));
                let job = crate::compile_thread::RegionJob {
                    traces: irs,
                    jumps: reg.jumps,
                    name,
                    root,
                };
                self.worker.as_ref().unwrap().submit_region(job);
                return;
            }
            let t0 = std::time::Instant::now();
            let res = self.codegen.compile_region(&refs, &reg.jumps, &name);
            self.add_compile_time(t0.elapsed().as_secs_f64());
            self.install_region(root, res);
        }
    }

    /// Use region code `res` of root trace `root` (compiled here or by
    /// the worker): the root's entry and link become the region's, and
    /// exits that continued in the root continue in the region.
    pub(crate) fn install_region(
        &mut self,
        root: u32,
        res: Result<lunatrace_ir::Compiled, String>,
    ) {
        if std::env::var_os("LT_DBG_REGION").is_some() {
            eprintln!("region {} compiled: {:?}", root, res.as_ref().err());
        }
        let Ok(code) = res else {
            return;
        };
        // (A region over the code limit is simply not used: the flush
        // comes with the next trace.)
        self.mcode_total += code.size;
        if self.mcode_total > self.params.maxmcode as usize * 1024 {
            return;
        }
        let Some(t) = self.traces.get_mut(root as usize - 1) else {
            return;
        };
        let old = t.link;
        t.region_mcode = (code.size, code.insns);
        t.entry = code.entry;
        t.link = code.link;
        self.link_owners.insert(code.link, root);
        // Exits that continued in the root continue in its region.
        for x in &self.traces {
            for c in x.cells.iter() {
                let v = c.load(Ordering::Relaxed);
                if v != 0 && v != code.link && (v == old || self.link_owner(v) == Some(root)) {
                    c.store(code.link, Ordering::Relaxed);
                }
            }
        }
    }
}
