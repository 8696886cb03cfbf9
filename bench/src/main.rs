//! Benchmark runner.
//! `cargo run --release -p bench -- [--real] [--runs N] [--cpu] [--svg FILE] [names...]`
//!
//! Builds the release `lunatrace`, then runs every program of
//! `bench/programs/` (with `--real`: the driver scripts of `bench/real/`,
//! which run real Lua libraries), or those named, under each engine that is
//! installed: `lunatrace -joff`, `lunatrace` (JIT), `luajit`, `luajit -joff`,
//! `lua5.1`. Prints the best wall time of N runs (default 1; with `--cpu`
//! the child's user + system time instead: on a VM whose host takes the
//! CPU away, wall times move by a third from run to run) and peak RSS
//! per engine, checks that every engine printed the same output, and prints
//! ratios of lunatrace to the others with geometric means. Writes a bar
//! chart of the times relative to luajit to `target/bench.svg`
//! (`target/bench-real.svg` with `--real`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod svg;

struct Engine {
    name: &'static str,
    prog: String,
    args: Vec<&'static str>,
    /// Has LuaJIT's `ffi` and `bit` modules (programs that `require` them are not
    /// run on the others: "n/a").
    ffi: bool,
}

struct Sample {
    secs: f64,
    rss_kb: i64,
    out: Vec<u8>,
    ok: bool,
}

/// Run `prog args file` in `dir`; wall time (its CPU time, user + system,
/// when `cpu`), peak RSS of the child, output.
fn run_once(e: &Engine, file: &Path, cpu: bool) -> Sample {
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
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    let secs = match cpu {
        true => tv(ru.ru_utime) + tv(ru.ru_stime),
        false => t0.elapsed().as_secs_f64(),
    };
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

/// The engines to compare, those installed: lunatrace `-joff` and JIT
/// first (the ratios divide their times by the others').
fn engines(lt: &str) -> Vec<Engine> {
    let mut engines = vec![
        Engine {
            name: "lt -joff",
            prog: lt.to_string(),
            args: vec!["-joff"],
            ffi: true,
        },
        Engine {
            name: "lt",
            prog: lt.to_string(),
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
    engines
}

/// The `.lua` files directly in `dir` (those named in `only`, if any),
/// sorted.
fn programs(dir: &Path, only: &[String]) -> Vec<PathBuf> {
    let mut progs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {}", dir.display(), e))
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
    progs
}

/// One program's results: best time per engine (NaN: failed or not run)
/// and, when the outputs disagree, a description of the disagreement.
struct Row {
    name: String,
    secs: Vec<f64>,
    mismatch: Option<String>,
}

/// The first line where two outputs differ, for the mismatch report.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let a = String::from_utf8_lossy(a);
    let b = String::from_utf8_lossy(b);
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 1;
    loop {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => n += 1,
            (x, y) => {
                let cut = |s: Option<&str>| {
                    let s = s.unwrap_or("<end of output>");
                    s.chars().take(120).collect::<String>()
                };
                return format!("line {}: {:?} vs {:?}", n, cut(x), cut(y));
            }
        }
    }
}

/// Run one program under every engine (best of `runs`), printing its row
/// of the table as it goes.
fn run_program(engines: &[Engine], p: &Path, runs: usize, cpu: bool) -> Row {
    use std::io::Write;
    let name = p.file_stem().unwrap().to_string_lossy().into_owned();
    print!("{:<15}", name);
    let mut samples = Vec::new();
    let mut secs = Vec::new();
    // (LuaJIT's `ffi` and `bit` modules: PUC Lua 5.1 has neither.)
    let needs_ffi = std::fs::read_to_string(p).is_ok_and(|src| {
        ["ffi", "bit"].iter().any(|m| {
            src.contains(&format!("require \"{}\"", m))
                || src.contains(&format!("require(\"{}\")", m))
        })
    });
    let mut skipped = vec![false; engines.len()];
    for (i, e) in engines.iter().enumerate() {
        if needs_ffi && !e.ffi {
            print!("{:>10}", "n/a");
            secs.push(f64::NAN);
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
        for _ in 0..runs.max(1) {
            let s = run_once(e, p, cpu);
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
        let _ = std::io::stdout().flush();
        secs.push(t);
        samples.push(s);
    }
    // Reference output: the last engine that ran fine (lua5.1, luajit),
    // else lunatrace -joff.
    let refi = (0..samples.len())
        .rev()
        .find(|&i| samples[i].ok)
        .unwrap_or(0);
    let differing: Vec<usize> = (0..samples.len())
        .filter(|&i| !skipped[i] && samples[i].out != samples[refi].out)
        .collect();
    println!(
        "{:>10.1}{:>10.1}  {}",
        samples[0].rss_kb as f64 / 1024.0,
        samples[refi].rss_kb as f64 / 1024.0,
        if differing.is_empty() {
            "ok"
        } else {
            "MISMATCH"
        }
    );
    let mismatch = (!differing.is_empty()).then(|| {
        differing
            .iter()
            .map(|&i| {
                let what = if samples[i].ok {
                    first_difference(&samples[i].out, &samples[refi].out)
                } else {
                    // run_once appended the stderr after a "[failed] " mark.
                    let out = String::from_utf8_lossy(&samples[i].out);
                    let err = out.rsplit("[failed] ").next().unwrap_or("");
                    format!("failed: {}", err.lines().next().unwrap_or("").trim())
                };
                format!(
                    "  {}: {} differs from {}: {}",
                    name, engines[i].name, engines[refi].name, what
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Row {
        name,
        secs,
        mismatch,
    }
}

/// Geometric means of the ratios of lunatrace's times (`-joff`, JIT) to each
/// other engine's.
fn print_geomeans(engines: &[Engine], rows: &[Row]) {
    println!("geomean time ratios (lower is better for lunatrace):");
    for (li, lname) in [(0usize, "lt -joff"), (1, "lt")] {
        for (i, e) in engines.iter().enumerate().skip(2) {
            let ratios: Vec<f64> = rows.iter().map(|r| r.secs[li] / r.secs[i]).collect();
            println!("  {:<9} / {:<9} = {:.2}x", lname, e.name, geomean(&ratios));
        }
    }
}

/// Write the chart of `rows` (times relative to luajit, else to the last
/// engine) to `path`.
fn write_chart(path: &Path, title: &str, engines: &[Engine], rows: &[Row]) {
    let names: Vec<&str> = engines.iter().map(|e| e.name).collect();
    let reference = names
        .iter()
        .position(|&n| n == "luajit")
        .unwrap_or(names.len() - 1);
    let table: Vec<(String, Vec<f64>)> = rows
        .iter()
        .map(|r| (r.name.clone(), r.secs.clone()))
        .collect();
    let text = svg::chart(title, &names, &table, reference);
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    match std::fs::write(path, text) {
        Ok(()) => println!("chart: {}", path.display()),
        Err(e) => eprintln!("writing {}: {}", path.display(), e),
    }
}

fn main() {
    let mut runs = 1;
    let mut real = false;
    let mut strlib = false;
    let mut cpu = false;
    let mut svg_path: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(1),
            "--real" => real = true,
            "--strlib" => strlib = true,
            "--cpu" => cpu = true,
            "--svg" => svg_path = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!(
                    "usage: cargo run --release -p bench -- [--real | --strlib] [--runs N] [--cpu] [--svg FILE] [program names...]"
                );
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
    let engines = engines(&lt);
    let (dir, default_svg, title) = if strlib {
        (
            "bench/strlib",
            "target/bench-strlib.svg",
            "lunatrace benchmarks: string library (bench/strlib), time relative to luajit",
        )
    } else if real {
        (
            "bench/real",
            "target/bench-real.svg",
            "lunatrace benchmarks: real programs (bench/real), time relative to luajit",
        )
    } else {
        (
            "bench/programs",
            "target/bench.svg",
            "lunatrace benchmarks (bench/programs), time relative to luajit",
        )
    };
    let progs = programs(&root.join(dir), &only);

    if cpu {
        println!("(CPU time of each run, user + system: a JIT's compiler thread counts)");
    }
    print!("{:<15}", "program");
    for e in &engines {
        print!("{:>10}", e.name);
    }
    println!("{:>10}{:>10}  output", "MB lt", "MB ref");
    let rows: Vec<Row> = progs
        .iter()
        .map(|p| run_program(&engines, p, runs, cpu))
        .collect();
    println!();
    print_geomeans(&engines, &rows);
    write_chart(
        &svg_path.unwrap_or_else(|| root.join(default_svg)),
        title,
        &engines,
        &rows,
    );
    let mismatches: Vec<&Row> = rows.iter().filter(|r| r.mismatch.is_some()).collect();
    if !mismatches.is_empty() {
        println!(
            "\noutput mismatches: {}",
            mismatches
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        for r in &mismatches {
            println!("{}", r.mismatch.as_deref().unwrap_or(""));
        }
        std::process::exit(1);
    }
}
