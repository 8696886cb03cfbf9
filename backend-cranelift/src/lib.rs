//! Cranelift backend (DESIGN §5): each trace becomes one Cranelift function
//! `extern "C" fn(base: *mut Value, ctx: *mut u8) -> u32`.
//!
//! - `lower`: IR → CLIF. Values are unboxed in SSA; every guard branches to
//!   a cold exit block that boxes the snapshot's values back into the stack
//!   slots and returns the exit (snapshot) number; `LOOP` writes back the
//!   loop's snapshot and jumps to the top, so the loop stays native.
//! - this file: the code memory. One `JITModule` per trace generation;
//!   `flush` drops the whole generation (cranelift-jit cannot free a single
//!   function).

mod lower;

use cranelift_codegen::settings::{self, Configurable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use lunatrace_ir::{CodeGen, Trace, TraceFn};

/// The Cranelift code generator.
pub struct Cranelift {
    module: Option<JITModule>,
    /// Old generations kept alive until `flush` (their code may still be
    /// running when a flush is requested from inside a trace's callee).
    retired: Vec<JITModule>,
    /// Textual CLIF of the last compiled trace (for `-jdump`).
    pub last_clif: String,
    /// Keep the CLIF text (costs time; off unless dumping).
    pub want_clif: bool,
}

fn new_module() -> Result<JITModule, String> {
    let mut fb = settings::builder();
    fb.set("opt_level", "speed").map_err(|e| e.to_string())?;
    fb.set("use_colocated_libcalls", "false")
        .map_err(|e| e.to_string())?;
    fb.set("is_pic", "false").map_err(|e| e.to_string())?;
    let verify = if cfg!(debug_assertions) {
        "true"
    } else {
        "false"
    };
    fb.set("enable_verifier", verify)
        .map_err(|e| e.to_string())?;
    let isa_b = cranelift_native::builder().map_err(|e| e.to_string())?;
    let isa = isa_b
        .finish(settings::Flags::new(fb))
        .map_err(|e| e.to_string())?;
    Ok(JITModule::new(JITBuilder::with_isa(
        isa,
        default_libcall_names(),
    )))
}

impl Cranelift {
    pub fn new() -> Cranelift {
        Cranelift {
            module: None,
            retired: Vec::new(),
            last_clif: String::new(),
            want_clif: false,
        }
    }
}

impl Default for Cranelift {
    fn default() -> Self {
        Self::new()
    }
}

impl CodeGen for Cranelift {
    fn compile(&mut self, trace: &Trace, name: &str) -> Result<TraceFn, String> {
        if self.module.is_none() {
            self.module = Some(new_module()?);
        }
        let module = self.module.as_mut().unwrap();
        let mut ctx = module.make_context();
        lower::lower(trace, &mut ctx.func, module.isa().frontend_config())?;
        if self.want_clif {
            self.last_clif = ctx.func.display().to_string();
        }
        let id = match module.declare_function(name, Linkage::Local, &ctx.func.signature) {
            Ok(id) => id,
            Err(_) => module
                .declare_anonymous_function(&ctx.func.signature)
                .map_err(|e| e.to_string())?,
        };
        module
            .define_function(id, &mut ctx)
            .map_err(|e| format!("{:?}", e))?;
        module.clear_context(&mut ctx);
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let code = module.get_finalized_function(id);
        // SAFETY: the function was built with exactly the `TraceFn`
        // signature (two pointer arguments, u32 result, SystemV/host ABI).
        Ok(unsafe { std::mem::transmute::<*const u8, TraceFn>(code) })
    }

    fn flush(&mut self) {
        if let Some(m) = self.module.take() {
            self.retired.push(m);
        }
        // Generations retired by an earlier flush can no longer be running.
        while self.retired.len() > 1 {
            let m = self.retired.remove(0);
            // SAFETY: no trace of this generation is installed or running:
            // every entry instruction was restored by the flush that
            // retired it, and a later flush has happened since.
            unsafe { m.free_memory() };
        }
    }
}
