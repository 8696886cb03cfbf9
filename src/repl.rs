//! The interactive loop of `lunatrace -i`: reads lines (continuing
//! incomplete statements with `>>`), prints the values of expressions, and
//! keeps going after errors.

use lunatrace::vm::{object::str_bytes, Vm};
use std::io::{BufRead, Write};

/// True if a syntax error only says the chunk is unfinished.
fn incomplete(msg: &[u8]) -> bool {
    msg.ends_with(b"'<eof>'")
}

pub fn run(vm: &mut Vm) {
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        prompt(b"> ");
        let Some(Ok(mut line)) = lines.next() else {
            break;
        };
        if let Some(rest) = line.strip_prefix('=') {
            line = format!("return {}", rest);
        }
        crate::IN_REPL.store(true, std::sync::atomic::Ordering::Relaxed);
        let f = loop {
            // Expressions first, as `return <line>`, then statements.
            if let Ok(f) = vm.load(format!("return {}", line).as_bytes(), "=stdin") {
                break Some(f);
            }
            match vm.load(line.as_bytes(), "=stdin") {
                Ok(f) => break Some(f),
                Err(e) if incomplete(str_bytes(e.value)) => {
                    prompt(b">> ");
                    match lines.next() {
                        Some(Ok(more)) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        _ => break None,
                    }
                }
                Err(e) => {
                    crate::report(vm, &e);
                    break None;
                }
            }
        };
        let Some(f) = f else { continue };
        if let Ok(vals) = crate::docall(vm, f, &[]) {
            if !vals.is_empty() {
                let p = vm.get_global("print");
                let _ = crate::docall(vm, p, &vals);
            }
        }
    }
    prompt(b"\n");
}

/// Write a prompt to C's stdout (where `print` writes) and flush it.
fn prompt(p: &[u8]) {
    let mut o = lunatrace::vm::cstdio::CStdout;
    let _ = o.write_all(p);
    let _ = o.flush();
}
