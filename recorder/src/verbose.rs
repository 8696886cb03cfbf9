//! `-jv` output: one line per trace event, the location of a bytecode
//! position, and the end-of-run statistics (trace counts, compile times,
//! backend reports, the most taken exits with `LUNATRACE_EXITSTATS`).

use crate::Jit;
use lunatrace_vm::debuginfo;
use lunatrace_vm::object::{str_bytes, Proto};
use std::io::Write;
use std::ptr::NonNull;

impl Jit {
    /// Location "file.lua:12" of `pc` in `p`.
    pub(crate) fn loc(p: NonNull<Proto>, pc: usize) -> String {
        let pr = debuginfo::proto(p);
        format!(
            "{}:{}",
            debuginfo::chunkid(str_bytes(pr.source)),
            debuginfo::line_at(pr, pc)
        )
    }

    pub(crate) fn verbose_line(&mut self, s: &str) {
        if let Some(w) = self.verbose.as_mut() {
            let _ = writeln!(w, "{}", s);
            let _ = w.flush();
        }
    }

    /// The cost report (`LUNATRACE_TRACECOUNT=1`): per trace entered
    /// most (16 at most), its machine code (instructions, bytes; a
    /// region's too), entries, loop iterations and exits per 10^6
    /// iterations (entries for a trace without a loop); then the time
    /// the driver spent entering and leaving traces outside their code.
    fn cost_report(&self) -> Vec<String> {
        use lunatrace_vm::jitrt::{TRACE_ENTRIES, TRACE_ITERS};
        use std::sync::atomic::Ordering;
        let count = |table: &[std::sync::atomic::AtomicU64], id: usize| {
            table.get(id - 1).map_or(0, |n| n.load(Ordering::Relaxed))
        };
        let mut all: Vec<(u64, usize)> = (1..=self.traces.len())
            .map(|id| (count(&TRACE_ENTRIES, id), id))
            .filter(|e| e.0 > 0)
            .collect();
        all.sort_by(|a, b| b.cmp(a));
        let mut v = Vec::new();
        for (entered, id) in all.into_iter().take(16) {
            let t = &self.traces[id - 1];
            let iters = count(&TRACE_ITERS, id);
            let exits: u64 = t.exits.iter().map(|&n| n as u64).sum();
            let per = exits as f64 * 1e6 / iters.max(entered) as f64;
            let kind = match t.parent {
                Some((p, e)) => format!("({}/{})", p, e),
                None => "root".into(),
            };
            let region = if t.region_mcode.0 > 0 {
                format!(
                    ", region {} insns {} bytes",
                    t.region_mcode.1, t.region_mcode.0
                )
            } else {
                String::new()
            };
            v.push(format!(
                "[TRACE {:3} {} {}: {} insns {} bytes{}, entered {}, {} iterations, {} exits = {:.0} per 10^6 iterations]",
                id,
                kind,
                Jit::loc(t.proto, t.pc),
                t.mcode_insns,
                t.mcode_size,
                region,
                entered,
                iters,
                exits,
                per
            ));
        }
        let e = &self.enter_stats;
        let outside = e.total.saturating_sub(e.in_code);
        v.push(format!(
            "[TRACE enter: {} entries from the interpreter, {:.1} ms in them, {:.1} ms of it outside compiled code ({:.0} ns per entry)]",
            e.calls,
            e.total.as_secs_f64() * 1e3,
            outside.as_secs_f64() * 1e3,
            outside.as_secs_f64() * 1e9 / e.calls.max(1) as f64
        ));
        v
    }

    /// End-of-run lines: trace counts, median compile time, backend
    /// reports (cross-ISA results).
    pub fn report(&self) -> Vec<String> {
        let mut t = self.compile_times.clone();
        t.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let median = t.get(t.len() / 2).copied().unwrap_or(0.0);
        let aborts: u32 = self.aborts.values().map(|a| a.0).sum();
        let mut v = vec![format!(
            "[TRACE stats: {} traces, {} aborted recordings, median compile {:.3} ms, total compile {:.1} ms, machine code {} KB]",
            self.traces.len(),
            aborts,
            median * 1e3,
            t.iter().fold(0.0, |a, b| a + b) * 1e3,
            self.mcode_total.div_ceil(1024)
        )];
        v.extend(self.codegen.report());
        if lunatrace_vm::jitrt::trace_counting() {
            v.extend(self.cost_report());
        }
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
            v.push(format!(
                "[TRACE transitions: {} exits went on in a compiled loop's trace, {} stitched native calls]",
                self.loop_hops, self.stitch_calls
            ));
            all.sort_by(|a, b| b.cmp(a));
            for (n, id, e, pc) in all.into_iter().take(12) {
                let t = &self.traces[id as usize - 1];
                let link = t.links[e];
                // Why a hot exit has no side trace.
                let why = if link != 0 && link != crate::NO_SIDE {
                    String::new()
                } else if link == crate::NO_SIDE {
                    " (no side trace: its recordings aborted tryside times, or its path ends in the interpreter)".into()
                } else if n < self.params.hotexit {
                    String::new()
                } else {
                    match t.refused[e] {
                        crate::Refusal::None if t.stitch == Some(e as u32) => {
                            " (a stitched call)".into()
                        }
                        crate::Refusal::None => " (no side trace)".into(),
                        r => format!(" (no side trace: {})", r.text()),
                    }
                };
                v.push(format!(
                    "[TRACE exit {}/{} pc {} taken {} link {}{}]",
                    id, e, pc, n, link, why
                ));
            }
        }
        v
    }
}
