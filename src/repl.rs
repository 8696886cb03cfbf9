//! The interactive loop of `lunatrace -i`, as luajit's: reads lines
//! (continuing incomplete statements), runs each chunk (`=expr` is
//! `return expr`, and the values returned are printed), reports errors
//! with a traceback and keeps going. The prompts are the globals
//! `_PROMPT` and `_PROMPT2` when they are strings or numbers, else `> `
//! and `>> `.

use lunatrace::vm::{object::str_bytes, Vm};
use std::io::{BufRead, Write};

/// True if a syntax error only says the chunk is unfinished.
fn incomplete(msg: &[u8]) -> bool {
    msg.ends_with(b"'<eof>'")
}

/// The prompt to show: `_PROMPT` (first line) or `_PROMPT2`.
fn prompt(vm: &mut Vm, first: bool) -> String {
    let v = vm.get_global(if first { "_PROMPT" } else { "_PROMPT2" });
    if v.is_str() || v.is_num() {
        vm.tostring_basic(v)
    } else if first {
        "> ".to_string()
    } else {
        ">> ".to_string()
    }
}

pub fn run(vm: &mut Vm) {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    let mut eof = false;
    loop {
        show(prompt(vm, true).as_bytes());
        let Some(Ok(mut line)) = lines.next() else {
            break;
        };
        if let Some(rest) = line.strip_prefix('=') {
            line = format!("return {}", rest);
        }
        crate::IN_REPL.store(true, std::sync::atomic::Ordering::Relaxed);
        let f = loop {
            match vm.load(line.as_bytes(), "=stdin") {
                Ok(f) => break Some(f),
                Err(e) if incomplete(str_bytes(e.value)) => {
                    show(prompt(vm, false).as_bytes());
                    match lines.next() {
                        Some(Ok(more)) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        // (End of input inside a statement ends the
                        // loop, as in luajit.)
                        _ => {
                            eof = true;
                            break None;
                        }
                    }
                }
                Err(e) => {
                    crate::report(vm, &e);
                    break None;
                }
            }
        };
        let Some(f) = f else {
            if eof {
                break;
            }
            continue;
        };
        if let Ok(vals) = crate::docall(vm, f, &[]) {
            if !vals.is_empty() {
                let p = vm.get_global("print");
                let _ = crate::docall(vm, p, &vals);
            }
        }
    }
    show(b"\n");
}

/// Write to C's stdout (where `print` writes) and flush it.
fn show(p: &[u8]) {
    let mut o = lunatrace::vm::cstdio::CStdout;
    let _ = o.write_all(p);
    let _ = o.flush();
}
