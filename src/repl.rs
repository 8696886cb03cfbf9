//! The interactive loop of `lunatrace -i`, as luajit's: reads lines
//! (continuing incomplete statements), runs each chunk (`=expr` is
//! `return expr`, and the values returned are printed), reports errors
//! with a traceback and keeps going. The prompts are the globals
//! `_PROMPT` and `_PROMPT2` when they are strings or numbers, else `> `
//! and `>> `.
//!
//! When stdin is a terminal and the `readline` feature is on (default),
//! lines are read through rustyline: line editing (arrows, Home/End,
//! Ctrl-A/E/K/U/W, ...) and a history of the session's lines (up/down,
//! Ctrl-R; kept in memory only). Ctrl-C at a prompt drops the line (and a
//! statement being continued) and prompts again; Ctrl-D on an empty line
//! ends the loop as end of input does. Otherwise (a pipe, a file, or the
//! feature off) lines are read as they come, the prompt written to C's
//! stdout, as luajit does.

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

/// What reading a line gave.
enum Read {
    Line(String),
    /// End of input (or a read error).
    Eof,
    /// Ctrl-C at the prompt (line editing only).
    #[cfg_attr(not(feature = "readline"), allow(dead_code))]
    Interrupted,
}

/// Where lines come from.
enum Input {
    /// Plain reads (not a terminal, or no line editing built in).
    Plain(std::io::Lines<std::io::StdinLock<'static>>),
    /// rustyline on a terminal.
    #[cfg(feature = "readline")]
    Edit(Box<rustyline::DefaultEditor>),
}

impl Input {
    fn new() -> Input {
        #[cfg(feature = "readline")]
        {
            use std::io::IsTerminal;
            if std::io::stdin().is_terminal() {
                let config = rustyline::Config::builder()
                    .auto_add_history(false)
                    .max_history_size(1000)
                    .ok()
                    .map(|b| b.build());
                if let Some(Ok(ed)) = config.map(rustyline::DefaultEditor::with_config) {
                    return Input::Edit(Box::new(ed));
                }
            }
        }
        Input::Plain(std::io::stdin().lock().lines())
    }

    /// A line, read after showing `prompt`.
    fn read(&mut self, prompt: &str) -> Read {
        match self {
            Input::Plain(lines) => {
                show(prompt.as_bytes());
                match lines.next() {
                    Some(Ok(l)) => Read::Line(l),
                    _ => Read::Eof,
                }
            }
            #[cfg(feature = "readline")]
            Input::Edit(ed) => {
                // (What the program printed comes before the prompt.)
                show(b"");
                match ed.readline(prompt) {
                    Ok(l) => {
                        if !l.trim().is_empty() {
                            let _ = ed.add_history_entry(l.as_str());
                        }
                        Read::Line(l)
                    }
                    Err(rustyline::error::ReadlineError::Interrupted) => Read::Interrupted,
                    Err(_) => Read::Eof,
                }
            }
        }
    }
}

pub fn run(vm: &mut Vm) {
    let mut input = Input::new();
    let mut eof = false;
    loop {
        let mut line = match input.read(&prompt(vm, true)) {
            Read::Line(l) => l,
            Read::Interrupted => continue,
            Read::Eof => break,
        };
        if let Some(rest) = line.strip_prefix('=') {
            line = format!("return {}", rest);
        }
        crate::IN_REPL.store(true, std::sync::atomic::Ordering::Relaxed);
        let f = loop {
            match vm.load(line.as_bytes(), "=stdin") {
                Ok(f) => break Some(f),
                Err(e) if incomplete(str_bytes(e.value)) => {
                    match input.read(&prompt(vm, false)) {
                        Read::Line(more) => {
                            line.push('\n');
                            line.push_str(&more);
                        }
                        // (Ctrl-C drops the statement.)
                        Read::Interrupted => break None,
                        // (End of input inside a statement ends the
                        // loop, as in luajit.)
                        Read::Eof => {
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
