//! Benchmark runner. `cargo run --release -p bench -- [--runs N] [names...]`
//!
//! Builds the release `lunatrace`, then runs every program of
//! `bench/programs/` (or those named) under each engine that is installed:
//! `lunatrace -joff`, `lunatrace` (JIT), `luajit`, `luajit -joff`,
//! `lua5.1`. Prints the best wall time of N runs (default 1) and peak RSS
//! per engine, checks that every engine printed the same output, and prints
//! ratios of lunatrace to the others with geometric means.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

struct Engine {
    name: &'static str,
    prog: String,
    args: Vec<&'static str>,
    /// Has LuaJIT's `ffi` module (programs that `require "ffi"` are not
    /// run on the others: "n/a").
    ffi: bool,
}

struct Sample {
    secs: f64,
    rss_kb: i64,
    out: Vec<u8>,
    ok: bool,
}

/// Run `prog args file` in `dir`; wall time, peak RSS of the child, output.
fn run_once(e: &Engine, file: &Path) -> Sample {
    let t0 = Instant::now();
    let child = Command::new(&e.prog)
        .args(&e.args)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(_) => {
            return Sample {
                secs: f64::NAN,
                rss_kb: 0,
                out: Vec::new(),
                ok: false,
            };
        }
    };
    let mut out = Vec::new();
    let mut err = Vec::new();
    use std::io::Read;
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_end(&mut out);
    }
    if let Some(mut o) = child.stderr.take() {
        let _ = o.read_to_end(&mut err);
    }
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `child.id()` is our unwaited child; pointers are valid.
    unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut ru) };
    let secs = t0.elapsed().as_secs_f64();
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    if !ok {
        out.extend_from_slice(b"\n[failed] ");
        out.extend_from_slice(&err);
    }
    Sample {
        secs,
        rss_kb: ru.ru_maxrss,
        out,
        ok,
    }
}

fn have(prog: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {} >/dev/null", prog))
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn geomean(xs: &[f64]) -> f64 {
    let v: Vec<f64> = xs
        .iter()
        .copied()
        .filter(|x| x.is_finite() && *x > 0.0)
        .collect();
    if v.is_empty() {
        return f64::NAN;
    }
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

fn main() {
    let mut runs = 1;
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "-h" | "--help" => {
                println!("usage: cargo run --release -p bench -- [--runs N] [program names...]");
                return;
            }
            _ => only.push(a.trim_end_matches(".lua").to_string()),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    // Build the interpreter binary first when run through cargo.
    if let Ok(cargo) = std::env::var("CARGO") {
        let st = Command::new(cargo)
            .args([
                "build",
                "--release",
                "-p",
                "lunatrace",
                "--bin",
                "lunatrace",
            ])
            .current_dir(&root)
            .status()
            .expect("run cargo build");
        assert!(st.success(), "building lunatrace failed");
    }
    let lt = root
        .join("target/release/lunatrace")
        .to_string_lossy()
        .into_owned();
    let mut engines = vec![
        Engine {
            name: "lt -joff",
            prog: lt.clone(),
            args: vec!["-joff"],
            ffi: true,
        },
        Engine {
            name: "lt",
            prog: lt,
            args: vec![],
            ffi: true,
        },
    ];
    if have("luajit") {
        engines.push(Engine {
            name: "luajit",
            prog: "luajit".into(),
            args: vec![],
            ffi: true,
        });
        engines.push(Engine {
            name: "lj -joff",
            prog: "luajit".into(),
            args: vec!["-joff"],
            ffi: true,
        });
    }
    if have("lua5.1") {
        engines.push(Engine {
            name: "lua5.1",
            prog: "lua5.1".into(),
            args: vec![],
            ffi: false,
        });
    }
    let dir = root.join("bench/programs");
    let mut progs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("bench/programs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "lua"))
        .filter(|p| {
            only.is_empty()
                || only
                    .iter()
                    .any(|o| p.file_stem().unwrap().to_string_lossy() == *o)
        })
        .collect();
    progs.sort();

    print!("{:<15}", "program");
    for e in &engines {
        print!("{:>10}", e.name);
    }
    println!("{:>10}{:>10}  output", "MB lt", "MB ref");
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); engines.len()];
    let mut mismatches = Vec::new();
    for p in &progs {
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        print!("{:<15}", name);
        let mut samples = Vec::new();
        let needs_ffi = std::fs::read_to_string(p).is_ok_and(|src| src.contains("require \"ffi\""));
        let mut skipped = vec![false; engines.len()];
        for (i, e) in engines.iter().enumerate() {
            if needs_ffi && !e.ffi {
                print!("{:>10}", "n/a");
                times[i].push(f64::NAN);
                skipped[i] = true;
                samples.push(Sample {
                    secs: f64::NAN,
                    rss_kb: 0,
                    ok: false,
                    out: Vec::new(),
                });
                continue;
            }
            let mut best: Option<Sample> = None;
            for _ in 0..runs {
                let s = run_once(e, p);
                if best.as_ref().is_none_or(|b| s.secs < b.secs) {
                    best = Some(s);
                }
            }
            let s = best.unwrap();
            let t = if s.ok { s.secs } else { f64::NAN };
            print!(
                "{:>10}",
                if s.ok {
                    format!("{:.3}", t)
                } else {
                    "FAIL".into()
                }
            );
            use std::io::Write;
            let _ = std::io::stdout().flush();
            times[i].push(t);
            samples.push(s);
        }
        // Reference output: the last engine that ran fine (lua5.1, luajit),
        // else lunatrace -joff.
        let refi = (0..samples.len())
            .rev()
            .find(|&i| samples[i].ok)
            .unwrap_or(0);
        let agree = samples
            .iter()
            .zip(&skipped)
            .all(|(s, &skip)| skip || s.out == samples[refi].out);
        if !agree {
            mismatches.push(name.clone());
        }
        println!(
            "{:>10.1}{:>10.1}  {}",
            samples[0].rss_kb as f64 / 1024.0,
            samples[refi].rss_kb as f64 / 1024.0,
            if agree { "ok" } else { "MISMATCH" }
        );
    }
    println!();
    println!("geomean time ratios (lower is better for lunatrace):");
    for (li, lname) in [(0usize, "lt -joff"), (1, "lt")] {
        for (i, e) in engines.iter().enumerate().skip(2) {
            let ratios: Vec<f64> = times[li]
                .iter()
                .zip(&times[i])
                .map(|(a, b)| a / b)
                .collect();
            println!("  {:<9} / {:<9} = {:.2}x", lname, e.name, geomean(&ratios));
        }
    }
    if !mismatches.is_empty() {
        println!("\noutput mismatches: {}", mismatches.join(", "));
        std::process::exit(1);
    }
}
