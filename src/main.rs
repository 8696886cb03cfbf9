//! The `lunatrace` command line, compatible with `luajit`'s:
//! `lunatrace [options]... [script [args]...]` with `-e`, `-l`, `-i`, `-v`,
//! `-E`, `-j`, `-O`, `-`, `--`, the `arg` table and `LUA_INIT`.

mod repl;

use lunatrace::vm::{self, LuaError, Value, Vm};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

const PROGNAME: &str = "lunatrace";

fn version_line() -> String {
    format!(
        "Lunatrace {} -- a Lua 5.1 VM with LuaJIT 2.1's surface and a Cranelift tracing JIT",
        env!("CARGO_PKG_VERSION")
    )
}

fn usage() {
    eprintln!(
        "usage: {PROGNAME} [options]... [script [args]...].
Available options are:
  -e chunk  Execute string 'chunk'.
  -l name   Require library 'name'.
  -b ...    Save or list bytecode (-b alone for its options).
  -j cmd    Perform LuaJIT control command.
  -O[opt]   Control LuaJIT optimizations.
  -i        Enter interactive mode after executing 'script'.
  -v        Show version information.
  -E        Ignore environment variables.
  -M mb     Limit the heap to 'mb' megabytes (Lunatrace's own option):
            past it, \"not enough memory\" is raised as a Lua error.
  --        Stop handling options.
  -         Execute stdin and stop handling options.
"
    );
    eprint!("{}", lunatrace::recorder::params::help());
}

/// `-M`'s value: a positive whole number of megabytes, in bytes.
fn parse_megabytes(s: &str) -> Option<usize> {
    let mb: usize = s.parse().ok().filter(|&n| n > 0)?;
    mb.checked_mul(1 << 20)
}

/// `-jv` or `-jisa` was given: print the JIT report at exit.
static REPORT_JIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Set while the REPL runs: errors are then printed without the program
/// name, as luajit does.
static IN_REPL: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Print an error the way luajit's CLI does: `lunatrace: msg` (nothing for
/// a nil error value).
pub(crate) fn report(vm: &mut Vm, e: &LuaError) {
    let Some(msg) = error_text(vm, e.value) else {
        return;
    };
    let _ = std::io::stdout().flush();
    if IN_REPL.load(std::sync::atomic::Ordering::Relaxed) {
        eprintln!("{}", msg);
    } else {
        eprintln!("{}: {}", PROGNAME, msg);
    }
}

/// Text of an error value as luajit's CLI prints it: strings and numbers
/// as is, nil as nothing, anything else "(error object is not a string)"
/// (the message handler already replaced objects with a `__tostring`).
pub(crate) fn error_text(vm: &mut Vm, v: Value) -> Option<String> {
    if v.is_str() || v.is_num() {
        Some(vm.tostring_basic(v))
    } else if v.is_nil() {
        None
    } else {
        Some("(error object is not a string)".to_string())
    }
}

/// Message handler (luajit's `traceback`): append a traceback to string
/// messages, and to the `__tostring` text of objects that have one; other
/// values pass through unchanged.
fn traceback_handler(vm: &mut Vm) -> vm::LuaResult<usize> {
    let mut msg = vm.arg(1);
    if !msg.is_str() && !msg.is_num() {
        let text = if msg.is_nil() || vm.metamethod(msg, vm::state::MM::ToString).is_nil() {
            None
        } else {
            vm.tostring(msg).ok()
        };
        match text {
            Some(s) => msg = s,
            None => {
                vm.push(msg);
                return Ok(1);
            }
        }
    }
    let tb = vm::debuginfo::traceback(vm, vm.cur, 1);
    let s = format!("{}\n{}", vm.tostring_basic(msg), tb);
    let v = vm.intern(s.as_bytes());
    vm.push(v);
    Ok(1)
}

/// Call `f` with `args` under the traceback handler; report errors.
pub(crate) fn docall(vm: &mut Vm, f: Value, args: &[Value]) -> Result<Vec<Value>, ()> {
    let h = vm.new_native(traceback_handler, "traceback");
    let base = vm.th().top;
    vm.push(f);
    for &a in args {
        vm.push(a);
    }
    // The handler is held only here: keep it alive across collections.
    vm.roots.push(h);
    // (Ctrl-C while the call runs: "interrupted!", as in luajit.)
    lunatrace::capi::signals::catch_sigint(true);
    let r = vm.pcall_at_handler(base, args.len(), -1, Some(h));
    lunatrace::capi::signals::catch_sigint(false);
    vm.roots.pop();
    match r {
        Ok(n) => {
            let th = vm.th();
            let vals = th.stack[base..base + n].to_vec();
            th.top = base;
            Ok(vals)
        }
        Err(e) => {
            vm.th().top = base;
            report(vm, &e);
            Err(())
        }
    }
}

fn dochunk(vm: &mut Vm, src: &[u8], name: &str) -> Result<(), ()> {
    match vm.load(src, name) {
        Ok(f) => docall(vm, f, &[]).map(|_| ()),
        Err(e) => {
            report(vm, &e);
            Err(())
        }
    }
}

fn dolibrary(vm: &mut Vm, name: &str) -> Result<(), ()> {
    let req = vm.get_global("require");
    let n = vm.intern(name.as_bytes());
    docall(vm, req, &[n]).map(|_| ())
}

fn run_script(vm: &mut Vm, script: Option<&str>, args: &[Value]) -> Result<(), ()> {
    match vm::lib_base::load_file(vm, script) {
        Ok(f) => docall(vm, f, args).map(|_| ()),
        Err(e) => {
            report(vm, &e);
            Err(())
        }
    }
}

fn handle_luainit(vm: &mut Vm) -> Result<(), ()> {
    let Ok(init) = std::env::var("LUA_INIT") else {
        return Ok(());
    };
    if let Some(file) = init.strip_prefix('@') {
        run_script(vm, Some(file), &[])
    } else {
        dochunk(vm, init.as_bytes(), "=LUA_INIT")
    }
}

/// Options of the JIT given on the command line (`-j`, `-O`); applied when
/// the JIT is installed.
#[derive(Default, Debug)]
pub struct JitArgs {
    pub cmds: Vec<String>,
    pub opts: Vec<String>,
}

fn main() -> ExitCode {
    // A write to a closed pipe ends the process, as luajit's (Rust
    // ignores SIGPIPE by default; the library leaves it to its host).
    lunatrace::capi::signals::default_sigpipe();
    let argv: Vec<String> = std::env::args().collect();
    let mut vm = Vm::new();
    // (Tracebacks end with the level of the CLI's code, as luajit's show
    // its `pmain`: `[C]: at 0x...`.)
    vm.host_cfunc = main as fn() -> ExitCode as usize;
    vm.exit_hook = Some(end_report);
    // Parse options first (as luajit does) to know -E before opening libs.
    let mut i = 1;
    let mut has_e = false;
    let mut has_i = false;
    let mut has_v = false;
    let mut no_env = false;
    let mut actions: Vec<(char, String)> = Vec::new();
    let mut jit = JitArgs::default();
    let mut script: Option<usize> = None;
    let mut mem_limit: Option<usize> = None;
    // `-b...`: the bytecode tool takes the rest of the command line.
    let mut bytecode: Option<Vec<String>> = None;
    while i < argv.len() {
        let a = &argv[i];
        if !a.starts_with('-') {
            script = Some(i);
            break;
        }
        match a.as_str() {
            "--" => {
                i += 1;
                if i < argv.len() {
                    script = Some(i);
                }
                break;
            }
            "-" => {
                script = Some(i);
                break;
            }
            "-i" => {
                has_i = true;
                has_v = true;
            }
            "-v" => has_v = true,
            "-E" => no_env = true,
            _ => {
                let opt = a.as_bytes()[1] as char;
                match opt {
                    'e' | 'l' | 'j' => {
                        let val = if a.len() > 2 {
                            a[2..].to_string()
                        } else {
                            i += 1;
                            match argv.get(i) {
                                Some(v) => v.clone(),
                                None => {
                                    usage();
                                    return ExitCode::from(1);
                                }
                            }
                        };
                        if opt == 'e' {
                            has_e = true;
                        }
                        if opt == 'j' {
                            jit.cmds.push(val.clone());
                        }
                        actions.push((opt, val));
                    }
                    'O' => jit.opts.push(a[2..].to_string()),
                    'b' => {
                        // (As luajit: `-bl x` is `-b -l x`.)
                        let mut rest = Vec::new();
                        if a.len() > 2 {
                            rest.push(format!("-{}", &a[2..]));
                        }
                        rest.extend(argv[i + 1..].iter().cloned());
                        bytecode = Some(rest);
                        break;
                    }
                    'M' => {
                        let val = if a.len() > 2 {
                            Some(a[2..].to_string())
                        } else {
                            i += 1;
                            argv.get(i).cloned()
                        };
                        match val.as_deref().map(parse_megabytes) {
                            Some(Some(b)) => mem_limit = Some(b),
                            _ => {
                                usage();
                                return ExitCode::from(1);
                            }
                        }
                    }
                    _ => {
                        usage();
                        return ExitCode::from(1);
                    }
                }
            }
        }
        i += 1;
    }
    if let Some(b) = mem_limit {
        vm.heap.limit = b;
        vm.heap.threshold = vm.heap.threshold.min(b);
    }
    vm::open_libs_env(&mut vm, !no_env);
    if jit
        .cmds
        .iter()
        .any(|c| c == "v" || c.starts_with("v=") || c.starts_with("isa="))
    {
        REPORT_JIT.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    if let Err(e) = lunatrace::install_jit(&mut vm, &jit.cmds, &jit.opts) {
        eprintln!("{}: {}", PROGNAME, e);
        return ExitCode::from(1);
    }
    lunatrace::install_capi(&mut vm);

    // The arg table: script at 0, options before it negative.
    let sidx = script.unwrap_or(argv.len());
    let argt = vm.new_table(argv.len(), 0);
    for (j, a) in argv.iter().enumerate() {
        let k = j as i64 - sidx as i64;
        let v = vm.intern(a.as_bytes());
        let _ = vm::table::set_int(&mut vm.heap, argt, k, v);
    }
    vm.set_global("arg", Value::from_table(argt));
    if let Some(rest) = bytecode {
        return match run_bytecode_tool(&mut vm, &rest) {
            Ok(()) => finish(&mut vm, 0),
            Err(()) => finish(&mut vm, 1),
        };
    }

    if has_v {
        println!("{}", version_line());
    }
    if !no_env && handle_luainit(&mut vm).is_err() {
        return finish(&mut vm, 1);
    }
    for (opt, val) in &actions {
        let r = match opt {
            'e' => dochunk(&mut vm, val.as_bytes(), "=(command line)"),
            'l' => dolibrary(&mut vm, val),
            'j' => match lunatrace::profile_command(val) {
                Some(chunk) => dochunk(&mut vm, chunk.as_bytes(), "=(command line)"),
                None => Ok(()),
            },
            _ => Ok(()),
        };
        if r.is_err() {
            return finish(&mut vm, 1);
        }
    }
    if let Some(s) = script {
        let args: Vec<Value> = argv[s + 1..]
            .iter()
            .map(|a| vm.intern(a.as_bytes()))
            .collect();
        let name = if argv[s] == "-" {
            None
        } else {
            Some(argv[s].as_str())
        };
        if run_script(&mut vm, name, &args).is_err() {
            return finish(&mut vm, 1);
        }
    }
    if has_i {
        repl::run(&mut vm);
    } else if script.is_none() && !has_e && !has_v {
        if std::io::stdin().is_terminal() {
            println!("{}", version_line());
            repl::run(&mut vm);
        } else if run_script(&mut vm, None, &[]).is_err() {
            return finish(&mut vm, 1);
        }
    }
    finish(&mut vm, 0)
}

/// `-b`: `require("jit.bcsave").start(...)` with the arguments after it
/// (`recorder/tools/bcsave.lua`), errors reported as a script's are.
fn run_bytecode_tool(vm: &mut Vm, rest: &[String]) -> Result<(), ()> {
    let mut src = String::from("require('jit.bcsave').start(...)");
    src.push('\n');
    let args: Vec<Value> = rest.iter().map(|a| vm.intern(a.as_bytes())).collect();
    let f = match vm.load(src.as_bytes(), "=(command line)") {
        Ok(f) => f,
        Err(_) => return Err(()),
    };
    match vm.call_values(f, &args) {
        Ok(_) => Ok(()),
        Err(e) => {
            let msg = vm.tostring_basic(e.value);
            eprintln!("{}: {}", PROGNAME, msg);
            Err(())
        }
    }
}

fn finish(vm: &mut Vm, code: u8) -> ExitCode {
    // As `lua_close` at the end of `luajit`: pending finalisers run.
    vm.close_finalizers();
    vm::lib_io::flush_all(vm);
    end_report(vm);
    ExitCode::from(code)
}

/// The end of every run, normal or through `os.exit` (`Vm::exit_hook`):
/// flush stdout and print the `-jv` statistics / `-jisa` summary lines.
fn end_report(vm: &mut Vm) {
    let _ = std::io::stdout().flush();
    if REPORT_JIT.load(std::sync::atomic::Ordering::Relaxed) {
        for line in lunatrace::jit_report(vm) {
            eprintln!("{}", line);
        }
    }
}
