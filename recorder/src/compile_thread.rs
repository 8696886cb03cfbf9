//! Background compilation: a worker thread that owns its own code
//! generator and turns finished recordings into machine code while the
//! interpreter runs on. The driver (`lib.rs`) hands over one trace at a
//! time (`submit`), polls for the result at its hooks (`try_done`) and
//! installs it then; the interpreter never waits for the compiler.
//!
//! Jobs and flushes are processed in the order sent, so a flush retires
//! the code of every job sent before it; the driver tags each job with its
//! flush epoch and drops results of an earlier epoch.

use lunatrace_ir::{CodeGen, Compiled, Trace};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

/// Makes the worker's code generator (on the worker thread: code
/// generators need not be `Send`).
pub type CodeGenMaker = fn() -> Box<dyn CodeGen>;

enum Msg {
    Compile(Box<Trace>, String),
    Flush,
}

/// A finished job: the trace (handed back), its code or the reason it
/// failed, and the compile time in seconds.
pub struct Done {
    pub trace: Box<Trace>,
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
                            if done.send(Done { trace, code, secs }).is_err() {
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
