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
        print!("{}", prompt(vm, true));
        let _ = std::io::stdout().flush();
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
                    print!("{}", prompt(vm, false));
                    let _ = std::io::stdout().flush();
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
    println!();
}
