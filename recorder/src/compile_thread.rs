//! Background compilation: a worker thread that owns its own code
//! generator and turns finished recordings into machine code while the
//! interpreter runs on. The driver (`lib.rs`) hands over one trace at a
//! time (`submit`), polls for the result at its hooks (`try_done`) and
//! installs it then; the interpreter never waits for the compiler.
//!
//! Loop regions (`region.rs`) are compiled here too (`submit_region`):
//! their traces' IR is shared (`Arc`), and the result names the root.
//!
//! Jobs and flushes are processed in the order sent, so a flush retires
//! the code of every job sent before it; the driver tags each job with its
//! flush epoch and drops results of an earlier epoch.

use lunatrace_ir::{CodeGen, Compiled, Trace};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

/// Makes the worker's code generator (on the worker thread: code
/// generators need not be `Send`).
pub type CodeGenMaker = fn() -> Box<dyn CodeGen>;

enum Msg {
    Compile(Box<Trace>, String),
    Region(RegionJob),
    Flush,
}

/// A region to compile: its traces (the root first), the exits
/// continuing within it, its name and its root's id.
pub struct RegionJob {
    pub traces: Vec<Arc<Trace>>,
    pub jumps: Vec<Vec<Option<usize>>>,
    pub name: String,
    pub root: u32,
}

/// What a finished job was: a trace (handed back) or a region of root
/// trace `root`.
pub enum Job {
    Trace(Box<Trace>),
    Region(u32),
}

/// A finished job: what it was, its code or the reason it failed, and
/// the compile time in seconds.
pub struct Done {
    pub job: Job,
    pub code: Result<Compiled, String>,
    pub secs: f64,
}

/// The worker thread and its channels.
pub struct Worker {
    tx: Option<Sender<Msg>>,
    rx: Receiver<Done>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Start the thread; None if the system refuses one.
    pub fn spawn(make: CodeGenMaker) -> Option<Worker> {
        let (tx, jobs) = channel::<Msg>();
        let (done, rx) = channel::<Done>();
        let handle = std::thread::Builder::new()
            .name("lunatrace-jit".into())
            .spawn(move || {
                let mut cg = make();
                while let Ok(m) = jobs.recv() {
                    match m {
                        Msg::Compile(trace, name) => {
                            let t0 = Instant::now();
                            let code = cg.compile(&trace, &name);
                            let secs = t0.elapsed().as_secs_f64();
                            let job = Job::Trace(trace);
                            if done.send(Done { job, code, secs }).is_err() {
                                break;
                            }
                        }
                        Msg::Region(r) => {
                            let t0 = Instant::now();
                            let refs: Vec<&Trace> = r.traces.iter().map(|t| &**t).collect();
                            let code = cg.compile_region(&refs, &r.jumps, &r.name);
                            let secs = t0.elapsed().as_secs_f64();
                            let job = Job::Region(r.root);
                            if done.send(Done { job, code, secs }).is_err() {
                                break;
                            }
                        }
                        Msg::Flush => cg.flush(),
                    }
                }
            })
            .ok()?;
        Some(Worker {
            tx: Some(tx),
            rx,
            handle: Some(handle),
        })
    }

    /// Queue a trace for compilation.
    pub fn submit(&self, trace: Box<Trace>, name: String) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Compile(trace, name));
        }
    }

    /// Queue a region for compilation.
    pub fn submit_region(&self, job: RegionJob) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Region(job));
        }
    }

    /// Retire the worker's code generation (after the jobs sent before).
    pub fn flush(&self) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Msg::Flush);
        }
    }

    /// A finished job, if one is ready.
    pub fn try_done(&self) -> Option<Done> {
        self.rx.try_recv().ok()
    }

    /// Wait for the next finished job (None if the thread is gone).
    pub fn wait_done(&self) -> Option<Done> {
        self.rx.recv().ok()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the job channel ends the thread's loop.
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
