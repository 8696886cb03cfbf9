//! Lunatrace: the public facade that wires the VM and the JIT together.
//!
//! `install_jit` builds the tracing JIT (recorder + Cranelift backend),
//! applies the command line's `-j` commands and `-O` options, registers the
//! `jit` module and installs the JIT into the VM. `install_capi` enables
//! the C API (C modules, `liblunatrace`); `Lua` and the rest of `embed`
//! are the safe embedding API.

#[warn(missing_docs)]
pub mod embed;
pub use embed::*;

#[cfg(feature = "jit")]
pub use lunatrace_backend_cranelift as backend;
pub use lunatrace_recorder as recorder;
pub use lunatrace_vm as vm;

use recorder::Jit;

/// Build and install the JIT into `vm` with `-j` commands (`on`, `off`,
/// `flush`, `v[=file]`, `dump[=file]`) and `-O` options. Errors name the
/// offending option.
pub fn install_jit(
    vm: &mut vm::Vm,
    cmds: &[String],
    opts: &[String],
) -> std::result::Result<(), String> {
    install_jit_parts(vm, cmds, opts, true, true)
}

/// `install_jit`, choosing whether the `jit` module and the `ffi` module
/// are installed too (the embedding API's library selection).
pub(crate) fn install_jit_parts(
    vm: &mut vm::Vm,
    cmds: &[String],
    opts: &[String],
    module: bool,
    ffi: bool,
) -> std::result::Result<(), String> {
    let mut jit = Jit::new(codegen(cmds)?);
    #[cfg(not(feature = "jit"))]
    {
        jit.on = false;
    }
    for o in opts {
        recorder::apply_opt(&mut jit, o)?;
    }
    for c in cmds {
        let (name, arg) = match c.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (c.as_str(), None),
        };
        match name {
            "on" => jit.on = cfg!(feature = "jit"),
            "off" => jit.on = false,
            // (`-jp`: the profiler starts from Lua, `jit.p`, once the
            // libraries are open: `lunatrace::profile_command`.)
            "flush" | "isa" | "p" => {}
            "v" => jit.set_verbose(open_out(arg)?),
            "dump" => jit.set_dump(open_out(arg.map(|a| a.rsplit(',').next().unwrap_or(a)))?),
            _ => {
                return Err(format!(
                    "unknown luaJIT command or jit.* modules not installed: {}",
                    c
                ))
            }
        }
    }
    jit.make_codegen = background_codegen(cmds);
    recorder::arm_hot_counters(vm, jit.params.hotloop);
    vm.sandwich = jit.sandwich;
    vm.jit = Some(Box::new(jit));
    if module {
        open_jit_module(vm);
    }
    if ffi && vm.ffi.is_none() {
        install_ffi(vm);
    }
    Ok(())
}

/// The Lua chunk `-jp[=mode[,file]]` runs before the script: it starts
/// the profiler report of `jit.p` (None for other `-j` commands).
pub fn profile_command(cmd: &str) -> Option<String> {
    let arg = match cmd.split_once('=') {
        Some(("p", a)) => a,
        None if cmd == "p" => "",
        _ => return None,
    };
    let (mode, file) = match arg.split_once(',') {
        Some((m, f)) => (m, Some(f)),
        None => (arg, None),
    };
    let q = |s: &str| format!("{:?}", s);
    Some(format!(
        "require('jit.p').start({}, {})",
        if mode.is_empty() {
            "nil".to_string()
        } else {
            q(mode)
        },
        file.map_or("nil".to_string(), q)
    ))
}

/// Install the `ffi` module, with Cranelift-generated call thunks when the
/// JIT is built in.
pub fn install_ffi(vm: &mut vm::Vm) {
    lunatrace_ffi::lib_ffi::install(vm, ffi_code());
}

#[cfg(feature = "jit")]
fn ffi_code() -> Option<Box<dyn lunatrace_ffi::state::CodeMaker>> {
    struct Code(backend::ffi_thunk::FfiCode);
    impl lunatrace_ffi::state::CodeMaker for Code {
        fn thunk(
            &mut self,
            sig: &lunatrace_ffi::abi::AbiSig,
        ) -> std::result::Result<lunatrace_ffi::abi::ThunkFn, String> {
            self.0.thunk(sig)
        }
        fn callback(
            &mut self,
            sig: &lunatrace_ffi::abi::AbiSig,
            dispatch: lunatrace_ffi::abi::DispatchFn,
            ctx: usize,
        ) -> std::result::Result<*const u8, String> {
            self.0.callback(sig, dispatch, ctx)
        }
    }
    backend::ffi_thunk::FfiCode::new()
        .ok()
        .map(|c| Box::new(Code(c)) as Box<dyn lunatrace_ffi::state::CodeMaker>)
}

#[cfg(not(feature = "jit"))]
fn ffi_code() -> Option<Box<dyn lunatrace_ffi::state::CodeMaker>> {
    None
}

/// The code generator: Cranelift (with `-jisa` cross targets).
#[cfg(feature = "jit")]
fn codegen(cmds: &[String]) -> std::result::Result<Box<dyn lunatrace_ir::CodeGen>, String> {
    let mut cg = backend::Cranelift::new();
    for c in cmds {
        if let Some(list) = c.strip_prefix("isa=") {
            for name in list.split(',').filter(|n| !n.is_empty()) {
                cg.cross.push(backend::CrossIsa::new(name)?);
            }
        }
    }
    Ok(Box::new(cg))
}

/// The code generator of the background compiler: Cranelift, unless
/// cross targets are compiled too (`-jisa`: those run in the foreground).
#[cfg(feature = "jit")]
fn background_codegen(cmds: &[String]) -> Option<recorder::CodeGenMaker> {
    if cmds.iter().any(|c| c.starts_with("isa=")) {
        return None;
    }
    Some(|| Box::new(backend::Cranelift::new()))
}

#[cfg(not(feature = "jit"))]
fn background_codegen(_cmds: &[String]) -> Option<recorder::CodeGenMaker> {
    None
}

/// Interpreter-only build: a code generator that refuses every trace.
#[cfg(not(feature = "jit"))]
fn codegen(_cmds: &[String]) -> std::result::Result<Box<dyn lunatrace_ir::CodeGen>, String> {
    struct NoJit;
    impl lunatrace_ir::CodeGen for NoJit {
        fn compile(
            &mut self,
            _t: &lunatrace_ir::Trace,
            _name: &str,
        ) -> std::result::Result<lunatrace_ir::Compiled, String> {
            Err("built without the jit feature".into())
        }
        fn flush(&mut self) {}
    }
    Ok(Box::new(NoJit))
}

/// Output of `-jv`/`-jdump`: stderr, or a file.
fn open_out(arg: Option<&str>) -> std::result::Result<Box<dyn std::io::Write>, String> {
    match arg {
        None | Some("") | Some("-") => Ok(Box::new(std::io::stderr())),
        Some(f)
            if f.contains(|c: char| c.is_ascii_alphabetic() && f.len() <= 4)
                && !f.contains('.')
                && !f.contains('/') =>
        {
            // Dump option letters (e.g. `-jdump=is`): not a file name.
            Ok(Box::new(std::io::stderr()))
        }
        Some(f) => std::fs::File::create(f)
            .map(|f| Box::new(f) as Box<dyn std::io::Write>)
            .map_err(|e| format!("cannot open {}: {}", f, e)),
    }
}

/// End-of-run JIT report lines (`-jv` statistics, `-jisa` summaries).
pub fn jit_report(vm: &mut vm::Vm) -> Vec<String> {
    let Some(mut j) = vm.jit.take() else {
        return Vec::new();
    };
    let r = j
        .as_any()
        .downcast_mut::<Jit>()
        .map(|jit| {
            // A trace still compiling in the background counts.
            jit.finish_pending(vm);
            jit.report()
        })
        .unwrap_or_default();
    vm.jit = Some(j);
    r
}

pub use lunatrace_capi as capi;

/// Make the C API usable with `vm`: C modules load through `require` and
/// `package.loadlib`, and the JIT hooks of the C API are installed. Also
/// keeps every API function in the link of an executable that calls it
/// (the CLI exports them with `-rdynamic` for C modules).
pub fn install_capi(vm: &mut vm::Vm) {
    install_capi_hooks();
    capi::install(vm);
    std::hint::black_box(capi::exported_symbols());
}

/// Plug the JIT into states created through the C API (`luaL_newstate`),
/// `luaopen_jit` and `luaJIT_setmode`.
pub fn install_capi_hooks() {
    capi::set_hooks(capi::Hooks {
        vm_init: |vm| {
            let _ = install_jit(vm, &[], &[]);
        },
        open_jit: open_jit_module,
        setmode: jit_setmode,
    });
}

/// `hooks()` of the C API calls this when no hooks are installed yet (a
/// static link of liblunatrace, or a program that never called
/// `install_capi`).
#[no_mangle]
pub fn lunatrace_capi_install_hooks() {
    install_capi_hooks();
}

/// Register the `jit` module. In the interpreter-only build its `jit.on()`
/// is accepted but leaves the (absent) compiler off, so `jit.status()`
/// stays false.
fn open_jit_module(vm: &mut vm::Vm) {
    recorder::lib_jit::open(vm);
    #[cfg(not(feature = "jit"))]
    {
        let m = vm.get_global("jit");
        if m.is_table() {
            let on = vm.new_native(|_| Ok(0), "on");
            vm.set_field(m, "on", on);
        }
    }
}

/// `luaJIT_setmode` for the engine: `LUAJIT_MODE_ENGINE` (0) with the
/// flags `ON` (0x100), `OFF` (0) or `FLUSH` (0x200). Other modes (per
/// function or trace) are accepted and ignored. Without the JIT feature,
/// turning the engine on fails (returns 0, as LuaJIT built without its
/// JIT) and it stays off.
fn jit_setmode(vm: &mut vm::Vm, _idx: i32, mode: i32) -> bool {
    let Some(mut j) = vm.jit.take() else {
        return false;
    };
    let ok = match j.as_any().downcast_mut::<Jit>() {
        Some(jit) => {
            if mode & 0xff == 0 {
                if mode & 0x200 != 0 {
                    jit.flush(vm);
                } else if mode & 0x100 != 0 {
                    if !cfg!(feature = "jit") {
                        vm.jit = Some(j);
                        return false;
                    }
                    jit.on = true;
                } else {
                    jit.on = false;
                    jit.abort_recording(vm, None);
                }
            }
            true
        }
        None => false,
    };
    vm.jit = Some(j);
    ok
}
