//! Robustness: random bytes, random token streams and mutated real
//! scripts go through the compiler; random small programs run under an
//! instruction budget; corrupted binary chunks go through the loader.
//! Errors are fine; a panic or a crash fails the test.

mod common;

use common::Rng;
use lunatrace::vm::{self, Vm};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// A VM with the libraries that cannot touch the machine (no io, os,
/// package loading from disk).
fn sandbox() -> Box<Vm> {
    let mut vm = Vm::new();
    vm::open_libs_env(&mut vm, false);
    for g in [
        "io", "os", "require", "dofile", "loadfile", "module", "package",
    ] {
        vm.set_global(g, vm::Value::NIL);
    }
    // Keep the test output clean: print goes nowhere.
    let quiet = vm.load(b"print = function() end", "=quiet").unwrap();
    vm.call_values(quiet, &[]).unwrap();
    vm
}

/// Compile `src`, and when `run`, call it with a budget. Panics propagate.
fn try_source(vm: &mut Vm, src: &[u8], run: bool) {
    let f = match vm.load(src, "=fuzz") {
        Ok(f) => f,
        Err(_) => return,
    };
    if run {
        vm.instr_limit = Some(20_000);
        let _ = vm.call_values(f, &[]);
        vm.instr_limit = None;
        let _ = vm.full_gc();
    }
}

fn check(what: &str, src: &[u8], run: bool) {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let mut vm = sandbox();
        try_source(&mut vm, src, run);
    }));
    if r.is_err() {
        panic!(
            "{} panicked on input:\n{}",
            what,
            String::from_utf8_lossy(src)
        );
    }
}

#[test]
fn random_bytes_compile() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let n = rng.below(200);
        let src: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
        check("compiler (random bytes)", &src, false);
    }
}

const TOKENS: &[&str] = &[
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
    "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while", "+", "-",
    "*", "/", "%", "^", "#", "==", "~=", "<=", ">=", "<", ">", "=", "(", ")", "{", "}", "[", "]",
    ";", ":", ",", ".", "..", "...", "::", "x", "y", "f", "t", "1", "0x10", "2.5e3", "'s'",
    "\"q\\n\"", "[[long]]", "--c\n", "\n", "lbl", "[==[", "]==]", "0x1p4",
];

#[test]
fn random_tokens_compile() {
    let mut rng = Rng(12345);
    for _ in 0..4000 {
        let n = 1 + rng.below(60);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(rng.pick(TOKENS));
            s.push(' ');
        }
        check("compiler (random tokens)", s.as_bytes(), false);
    }
}

#[test]
fn mutated_scripts_compile_and_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lua");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "lua"));
    files.sort();
    let mut rng = Rng(777);
    for p in files.iter().take(40) {
        let orig = std::fs::read(p).unwrap();
        if orig.is_empty() {
            continue;
        }
        for _ in 0..15 {
            let mut src = orig.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(src.len());
                match rng.below(3) {
                    0 => src[at] = rng.next() as u8,
                    1 => {
                        src.remove(at);
                    }
                    _ => {
                        let tok = rng.pick(TOKENS).as_bytes().to_vec();
                        src.splice(at..at, tok);
                    }
                }
                if src.is_empty() {
                    break;
                }
            }
            check("mutated script", &src, true);
        }
    }
}

/// A random expression over locals `a b c`, table `t` and function `f`.
fn expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 {
        return rng
            .pick(&[
                "a", "b", "c", "1", "0", "-2.5", "'7'", "'x'", "nil", "true", "t", "f", "{}", "#t",
                "t[1]", "t.k", "...",
            ])
            .to_string();
    }
    let d = depth - 1;
    match rng.below(9) {
        0 | 1 => format!(
            "({} {} {})",
            expr(rng, d),
            rng.pick(&[
                "+", "-", "*", "/", "%", "^", "..", "==", "~=", "<", "<=", ">", "and", "or"
            ]),
            expr(rng, d)
        ),
        2 => format!("({}{})", rng.pick(&["-", "not ", "#"]), expr(rng, d)),
        3 => format!("f({}, {})", expr(rng, d), expr(rng, d)),
        4 => format!("{{{}, k = {}}}", expr(rng, d), expr(rng, d)),
        5 => format!("t[{}]", expr(rng, d)),
        6 => format!(
            "{}({})",
            rng.pick(&[
                "tostring",
                "tonumber",
                "type",
                "select('#', ",
                "math.floor",
                "string.len",
                "string.sub",
                "pcall",
                "setmetatable",
                "unpack",
                "rawget"
            ]),
            expr(rng, d)
        )
        .replace("', (", "', ")
        .replace("#', ", "#', ("),
        7 => format!("function(...) return {} end", expr(rng, d)),
        _ => expr(rng, 0),
    }
}

/// A random statement.
fn stmt(rng: &mut Rng, depth: usize) -> String {
    let d = depth.saturating_sub(1);
    match rng.below(if depth == 0 { 3 } else { 9 }) {
        0 => format!(
            "{} = {}",
            rng.pick(&["a", "b", "c", "t.k", "t[1]", "t[a]"]),
            expr(rng, 2)
        ),
        1 => format!("local {} = {}", rng.pick(&["a", "b", "c"]), expr(rng, 2)),
        2 => format!("f({})", expr(rng, 2)),
        3 => format!(
            "if {} then {} else {} end",
            expr(rng, 2),
            stmt(rng, d),
            stmt(rng, d)
        ),
        4 => format!("for i = 1, {} do {} end", rng.below(5), stmt(rng, d)),
        5 => format!("for k, v in pairs(t) do {} end", stmt(rng, d)),
        6 => format!("while {} do {} break end", expr(rng, 1), stmt(rng, d)),
        7 => format!("pcall(function() {} end)", stmt(rng, d)),
        _ => format!(
            "setmetatable(t, {{__index = {}, __add = {}, __call = {}}})",
            expr(rng, 1),
            expr(rng, 1),
            expr(rng, 1)
        ),
    }
}

#[test]
fn random_programs_run_under_budget() {
    let mut rng = Rng(4242);
    for _ in 0..1500 {
        let mut src = String::from(
            "local a, b, c = 1, 'two', {} local t = {1, 2, k = 3}\nlocal function f(x, y) return x end\n",
        );
        for _ in 0..1 + rng.below(8) {
            src.push_str(&stmt(&mut rng, 3));
            src.push('\n');
        }
        src.push_str("return a, b, c\n");
        check("random program", src.as_bytes(), true);
    }
}

#[test]
fn corrupted_binary_chunks_are_rejected_cleanly() {
    let mut vm = sandbox();
    let f = vm
        .load(
            b"local t = {} for i = 1, 10 do t[i] = i * 2 end return function(x) return t[x] .. 'a' end",
            "=src",
        )
        .unwrap();
    let dump = vm.get_global("string");
    let dump = vm.get_field(dump, "dump");
    let bin = vm.call_values(dump, &[f]).unwrap()[0];
    let bytes = vm::object::str_bytes(bin).to_vec();
    assert!(bytes.len() > 20);
    let mut rng = Rng(99);
    for _ in 0..3000 {
        let mut b = bytes.clone();
        match rng.below(3) {
            0 => {
                let at = rng.below(b.len());
                b[at] = rng.next() as u8;
            }
            1 => b.truncate(rng.below(b.len())),
            _ => {
                let at = 4 + rng.below(b.len() - 4);
                b[at] ^= 1 << rng.below(8);
            }
        }
        check("binary chunk loader", &b, true);
    }
}

/// Recursion through natives and metamethods on a thread with a small
/// stack ends in a "C stack overflow" error, not a crash: nested calls
/// stop before the native stack runs out, whatever its size.
#[test]
fn deep_native_recursion_on_a_small_stack() {
    let r = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let mut vm = sandbox();
            let f = vm
                .load(
                    b"local t = setmetatable({}, {__index = function(t, k) return t[k] end})\n\
                      local ok, e = pcall(function() return t.x end)\n\
                      local ok2, e2 = pcall(function() local function f() return tostring(setmetatable({}, {__tostring = f})) end return f() end)\n\
                      return ok, e, ok2, e2",
                    "=deep",
                )
                .unwrap();
            let r = vm.call_values(f, &[]).unwrap();
            (0..4).map(|i| vm.tostring_basic(r[i])).collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .expect("no crash");
    assert_eq!(r[0], "false");
    assert!(r[1].contains("stack overflow"), "{}", r[1]);
    assert_eq!(r[2], "false");
    assert!(r[3].contains("stack overflow"), "{}", r[3]);
}
