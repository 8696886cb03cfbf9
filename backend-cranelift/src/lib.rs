//! Cranelift backend (ARCHITECTURE.md: The JIT): each trace becomes one Cranelift function
//! `fn(base: *mut Value, ctx: *mut u8) -> u32` in the `tail` convention,
//! called by the VM through a small host-convention entry function; an
//! exit linked to another trace tail-calls it.
//!
//! - `lower`: IR → CLIF. Values are unboxed in SSA; every guard branches to
//!   a cold exit block that boxes the snapshot's values back into the stack
//!   slots and returns the exit (snapshot) number; `LOOP` writes back the
//!   loop's snapshot and jumps to the top, so the loop stays native.
//! - this file: the code memory. One `JITModule` per trace generation;
//!   `flush` drops the whole generation (cranelift-jit cannot free a single
//!   function).

pub mod ffi_thunk;
mod lower;

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, Signature};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use lunatrace_ir::{CodeGen, Compiled, Trace, TraceFn};

/// Cross-ISA compilation results (`-jisa=...`): every trace is also
/// lowered and compiled for these targets, the bytes counted, not run.
pub struct CrossIsa {
    pub name: String,
    isa: cranelift_codegen::isa::OwnedTargetIsa,
    pub traces: u32,
    pub bytes: usize,
    pub failures: Vec<String>,
}

impl CrossIsa {
    /// The target for a short name (`aarch64`, `riscv64`, `s390x`,
    /// `x86_64`) or a full triple.
    pub fn new(name: &str) -> Result<CrossIsa, String> {
        let triple = match name {
            "aarch64" | "arm64" => "aarch64-unknown-linux-gnu",
            "riscv64" => "riscv64gc-unknown-linux-gnu",
            "s390x" => "s390x-unknown-linux-gnu",
            "x86_64" | "x64" => "x86_64-unknown-linux-gnu",
            t => t,
        };
        let b = cranelift_codegen::isa::lookup_by_name(triple)
            .map_err(|e| format!("{}: {}", name, e))?;
        let mut fb = settings::builder();
        fb.set("opt_level", "speed").map_err(|e| e.to_string())?;
        // Tail calls (linked exits) need frame pointers.
        fb.set("preserve_frame_pointers", "true")
            .map_err(|e| e.to_string())?;
        let isa = b
            .finish(settings::Flags::new(fb))
            .map_err(|e| e.to_string())?;
        Ok(CrossIsa {
            name: name.to_string(),
            isa,
            traces: 0,
            bytes: 0,
            failures: Vec::new(),
        })
    }

    fn compile(&mut self, trace: &Trace, name: &str) {
        let mut func = cranelift_codegen::ir::Function::new();
        let r = lower::lower(
            trace,
            &mut func,
            self.isa.frontend_config(),
            lower::Target::of(&*self.isa),
        )
        .and_then(|()| {
            let mut ctx = cranelift_codegen::Context::for_function(func);
            ctx.compile(&*self.isa, &mut Default::default())
                .map(|c| c.code_buffer().len())
                .map_err(|e| format!("{:?}", e.inner))
        });
        match r {
            Ok(n) => {
                self.traces += 1;
                self.bytes += n;
            }
            Err(e) => self.failures.push(format!("{}: {}", name, e)),
        }
    }

    /// One summary line.
    pub fn summary(&self) -> String {
        format!(
            "[ISA {}: {} traces compiled, {} bytes, {} failures{}]",
            self.name,
            self.traces,
            self.bytes,
            self.failures.len(),
            self.failures
                .first()
                .map_or(String::new(), |f| format!(" (first: {})", f))
        )
    }
}

/// The Cranelift code generator.
pub struct Cranelift {
    /// Extra targets every trace is also compiled for (`-jisa`).
    pub cross: Vec<CrossIsa>,
    module: Option<Generation>,
    /// Old generations kept alive until `flush` (their code may still be
    /// running when a flush is requested from inside a trace's callee).
    retired: Vec<Generation>,
    /// Textual CLIF of the last compiled trace (for `-jdump`).
    pub last_clif: String,
    /// Keep the CLIF text (costs time; off unless dumping).
    pub want_clif: bool,
}

/// One code generation: the modules (loop traces optimised by Cranelift,
/// side traces, straight-line code run once per exit, compiled quickly)
/// and the unwind registrations of its traces that call C (a Lua error
/// raised in C unwinds through them).
struct Generation {
    module: JITModule,
    quick: JITModule,
    /// `%al` stubs of variadic C calls, by (defined in `quick`, key).
    stubs: std::collections::HashMap<(bool, ffi_thunk::StubKey), cranelift_module::FuncId>,
    unwind: Vec<ffi_thunk::EhFrameRegistration>,
}

fn new_module(opt_level: &str) -> Result<JITModule, String> {
    let mut fb = settings::builder();
    fb.set("opt_level", opt_level).map_err(|e| e.to_string())?;
    // Tail calls (linked exits) need frame pointers.
    fb.set("preserve_frame_pointers", "true")
        .map_err(|e| e.to_string())?;
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
            cross: Vec::new(),
        }
    }
}

impl Default for Cranelift {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Cranelift is compiling on this thread (`guarded`).
    static IN_CODEGEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run Cranelift's compilation of a function (`f`), a panic inside it —
/// an internal assertion our CLIF tripped — becoming an error: the trace
/// or region is not compiled (an NYI abort, shown by `-jv`) and the
/// program goes on without it, where it crashed. The panic message is
/// not printed (the process's panic hook is wrapped once to stay quiet
/// while `IN_CODEGEN` is set).
fn guarded(f: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_CODEGEN.with(|c| c.get()) {
                prev(info);
            }
        }));
    });
    IN_CODEGEN.with(|c| c.set(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    IN_CODEGEN.with(|c| c.set(false));
    r.unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(format!("NYI: codegen: Cranelift failed: {}", msg))
    })
}

/// Development aid (`LUNATRACE_CODEDUMP=dir`): write the machine code of
/// each trace to `dir`, named by trace and address (to disassemble
/// against a profile).
fn dump_code(name: &str, code: *const u8, len: usize) {
    if let Some(dir) = std::env::var_os("LUNATRACE_CODEDUMP") {
        // SAFETY: `code` points at the `len` bytes just finalized.
        let bytes = unsafe { std::slice::from_raw_parts(code, len) };
        let f = std::path::Path::new(&dir).join(format!("{}_{:x}.bin", name, code as usize));
        let _ = std::fs::write(f, bytes);
    }
}

/// Define the host-convention entry function calling trace function `id`
/// (the VM enters traces through it), named `name` when given; returns it
/// and its unwind information (a Lua error raised in C code unwinds
/// through the entry function of whichever trace a chain of linked
/// traces started at).
fn define_entry(
    module: &mut JITModule,
    ctx: &mut cranelift_codegen::Context,
    id: cranelift_module::FuncId,
    name: Option<&str>,
) -> Result<(cranelift_module::FuncId, Option<ffi_thunk::PendingUnwind>), String> {
    let ptr = module.isa().pointer_type();
    let mut sig = Signature::new(module.isa().default_call_conv());
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
    ctx.func.signature = sig.clone();
    {
        let mut fbc = FunctionBuilderContext::new();
        let mut b = FunctionBuilder::new(&mut ctx.func, &mut fbc);
        let blk = b.create_block();
        b.append_block_params_for_function_params(blk);
        b.switch_to_block(blk);
        let args = b.block_params(blk).to_vec();
        let callee = module.declare_func_in_func(id, b.func);
        let call = b.ins().call(callee, &args);
        let r = b.inst_results(call)[0];
        b.ins().return_(&[r]);
        b.seal_all_blocks();
        b.finalize(module.isa().frontend_config());
    }
    let named = name.and_then(|n| module.declare_function(n, Linkage::Local, &sig).ok());
    let wid = match named {
        Some(w) => w,
        None => module
            .declare_anonymous_function(&sig)
            .map_err(|e| e.to_string())?,
    };
    module
        .define_function(wid, ctx)
        .map_err(|e| format!("{:?}", e))?;
    let unwind = ffi_thunk::PendingUnwind::of(module.isa(), ctx)?;
    module.clear_context(ctx);
    Ok((wid, unwind))
}

/// The current code generation in `slot` (its modules made on first use,
/// and again after a flush retired the last one).
fn generation(slot: &mut Option<Generation>) -> Result<&mut Generation, String> {
    if slot.is_none() {
        *slot = Some(Generation {
            module: new_module("speed")?,
            quick: new_module("none")?,
            stubs: Default::default(),
            unwind: Vec::new(),
        });
    }
    Ok(slot.as_mut().unwrap())
}

/// Machine instructions of the function just compiled in `ctx`, from
/// its disassembly (asked for with `set_disasm`; 0 without): the lines
/// that are not block labels.
fn insn_count(ctx: &cranelift_codegen::Context) -> usize {
    ctx.compiled_code()
        .and_then(|c| c.vcode.as_ref())
        .map_or(0, |d| {
            d.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.ends_with(':'))
                .count()
        })
}

impl CodeGen for Cranelift {
    fn compile(&mut self, trace: &Trace, name: &str) -> Result<Compiled, String> {
        for c in self.cross.iter_mut() {
            c.compile(trace, name);
        }
        let generation = generation(&mut self.module)?;
        // Straight-line traces compile quickly, except those of recursion
        // (pushing or popping frames: they run once per call or return,
        // as often as a loop's body).
        let recursion = trace.ins.iter().any(|i| {
            matches!(
                i.op,
                lunatrace_ir::Op::RETG | lunatrace_ir::Op::RECLINK | lunatrace_ir::Op::STKCHK
            )
        });
        let quick = trace.loop_at.is_none() && !recursion;
        let module = if quick {
            &mut generation.quick
        } else {
            &mut generation.module
        };
        let mut ctx = module.make_context();
        // The `%al` stubs of variadic calls (x86-64), one per key per module.
        let mut stubs = Vec::new();
        for sig in &trace.csigs {
            let key = if sig.nfixed < sig.args.len() {
                let abi = ffi_thunk::Abi::for_isa(module.isa())?;
                let ptr = module.isa().pointer_type();
                let (_, plan) = ffi_thunk::clif_signature(&lower::abi_sig(sig), abi, ptr)?;
                plan.stub
            } else {
                None
            };
            let Some(key) = key else {
                stubs.push(None);
                continue;
            };
            let id = match generation.stubs.get(&(quick, key)) {
                Some(&id) => id,
                None => {
                    let sig = Signature::new(module.isa().default_call_conv());
                    let id = module
                        .declare_anonymous_function(&sig)
                        .map_err(|e| e.to_string())?;
                    module
                        .define_function_bytes(id, 16, &ffi_thunk::stub_bytes(key), &[])
                        .map_err(|e| e.to_string())?;
                    generation.stubs.insert((quick, key), id);
                    id
                }
            };
            stubs.push(Some(module.declare_func_in_func(id, &mut ctx.func)));
        }
        let target = lower::Target::of(module.isa());
        lower::lower_with_stubs(
            trace,
            &mut ctx.func,
            module.isa().frontend_config(),
            stubs,
            target,
        )?;
        if self.want_clif {
            self.last_clif = ctx.func.display().to_string();
        }
        let declare = |module: &mut JITModule, name: &str, sig: &Signature| match module
            .declare_function(name, Linkage::Local, sig)
        {
            Ok(id) => Ok(id),
            Err(_) => module
                .declare_anonymous_function(sig)
                .map_err(|e| e.to_string()),
        };
        let id = declare(module, name, &ctx.func.signature)?;
        ctx.set_disasm(lunatrace_vm::jitrt::trace_counting());
        guarded(|| {
            module
                .define_function(id, &mut ctx)
                .map_err(|e| format!("{:?}", e))
        })?;
        let code_len = ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        let insns = insn_count(&ctx);
        if std::env::var_os("LUNATRACE_OPTCLIF").is_some() {
            eprintln!("---- {} optimized CLIF\n{}", name, ctx.func.display());
        }
        let calls_c = trace.ins.iter().any(|i| i.op == lunatrace_ir::Op::CALLC);
        let unwind = if calls_c {
            ffi_thunk::PendingUnwind::of(module.isa(), &ctx)?
        } else {
            None
        };
        module.clear_context(&mut ctx);
        // The VM's entry: a host-convention function calling the trace.
        let (wid, wunwind) = define_entry(module, &mut ctx, id, Some(&format!("{}_entry", name)))?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let code = module.get_finalized_function(id);
        let wcode = module.get_finalized_function(wid);
        dump_code(name, code, code_len);
        if let Some(u) = unwind {
            generation.unwind.push(u.register(code)?);
        }
        if let Some(u) = wunwind {
            generation.unwind.push(u.register(wcode)?);
        }
        // SAFETY: the entry function was built with exactly the `TraceFn`
        // signature (two pointer arguments, u32 result, host ABI).
        let entry = unsafe { std::mem::transmute::<*const u8, TraceFn>(wcode) };
        Ok(Compiled {
            entry,
            link: code as usize,
            size: code_len,
            insns,
        })
    }

    fn compile_region(
        &mut self,
        traces: &[&Trace],
        jumps: &[Vec<Option<usize>>],
        name: &str,
    ) -> Result<Compiled, String> {
        let module = &mut generation(&mut self.module)?.module;
        let mut ctx = module.make_context();
        let target = lower::Target::of(module.isa());
        lower::lower_region(
            traces,
            jumps,
            &mut ctx.func,
            module.isa().frontend_config(),
            target,
        )?;
        if self.want_clif {
            self.last_clif = ctx.func.display().to_string();
        }
        if std::env::var_os("LT_REGION_CLIF").is_some() {
            eprintln!("---- {} CLIF\n{}", name, ctx.func.display());
        }
        let id = module
            .declare_anonymous_function(&ctx.func.signature)
            .map_err(|e| e.to_string())?;
        ctx.set_disasm(lunatrace_vm::jitrt::trace_counting());
        guarded(|| {
            module
                .define_function(id, &mut ctx)
                .map_err(|e| format!("{:?}", e))
        })?;
        let code_len = ctx.compiled_code().map_or(0, |c| c.code_buffer().len());
        let insns = insn_count(&ctx);
        module.clear_context(&mut ctx);
        let (wid, _) = define_entry(module, &mut ctx, id, None)?;
        module.finalize_definitions().map_err(|e| e.to_string())?;
        let code = module.get_finalized_function(id);
        let wcode = module.get_finalized_function(wid);
        dump_code(name, code, code_len);
        // SAFETY: the entry function was built with exactly the `TraceFn`
        // signature (two pointer arguments, u32 result, host ABI).
        let entry = unsafe { std::mem::transmute::<*const u8, TraceFn>(wcode) };
        Ok(Compiled {
            entry,
            link: code as usize,
            size: code_len,
            insns,
        })
    }

    fn last_dump(&self) -> Option<String> {
        self.want_clif.then(|| self.last_clif.clone())
    }

    fn set_dump(&mut self, on: bool) {
        self.want_clif = on;
    }

    fn report(&self) -> Vec<String> {
        self.cross.iter().map(|c| c.summary()).collect()
    }

    fn flush(&mut self) {
        if let Some(m) = self.module.take() {
            self.retired.push(m);
        }
        // Generations retired by an earlier flush can no longer be running.
        while self.retired.len() > 1 {
            let g = self.retired.remove(0);
            drop(g.unwind);
            // SAFETY: no trace of this generation is installed or running:
            // every entry instruction was restored by the flush that
            // retired it, and a later flush has happened since.
            unsafe {
                g.module.free_memory();
                g.quick.free_memory();
            }
        }
    }
}
