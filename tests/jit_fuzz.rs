//! Differential fuzzing of the JIT against the interpreter: random loop
//! programs (arithmetic, tables, conditionals, calls, upvalues, strings,
//! type changes) must print the same under `-joff` and with the JIT forced
//! hot (`-Ohotloop=1`, and with optimisations off).

mod common;

use common::Rng;

use std::process::Command;

const VARS: &[&str] = &["a", "b", "c", "d"];

fn num_expr(r: &mut Rng, depth: usize) -> String {
    if depth == 0 || r.below(3) == 0 {
        return match r.below(5) {
            0 => r.pick(VARS).to_string(),
            1 => "i".to_string(),
            2 => format!("{}", r.below(10)),
            3 => format!("{}.5", r.below(4)),
            _ => format!("t[{}]", 1 + r.below(8)),
        };
    }
    let op = r.pick(&["+", "-", "*", "%", "/"]);
    let rhs = if op == "%" || op == "/" {
        format!("({} + 1)", r.below(5) + 1)
    } else {
        num_expr(r, depth - 1)
    };
    match r.below(6) {
        0 => format!("math.floor({} {} {})", num_expr(r, depth - 1), op, rhs),
        1 => format!("f({})", num_expr(r, depth - 1)),
        2 => format!("math.min({}, {})", num_expr(r, depth - 1), rhs),
        _ => format!("({} {} {})", num_expr(r, depth - 1), op, rhs),
    }
}

fn cond(r: &mut Rng) -> String {
    let cmp = r.pick(&["<", "<=", ">", ">=", "==", "~="]);
    format!("{} {} {}", num_expr(r, 1), cmp, num_expr(r, 1))
}

fn stmt(r: &mut Rng, depth: usize) -> String {
    let v = r.pick(VARS);
    match r.below(if depth == 0 { 4 } else { 24 }) {
        0 | 1 => format!("{} = ({}) % 1000", v, num_expr(r, 2)),
        2 => format!("t[{}] = {}", 1 + r.below(8), num_expr(r, 1)),
        3 => format!("acc = acc + {}", num_expr(r, 1)),
        4 => format!(
            "if {} then {} else {} end",
            cond(r),
            stmt(r, depth - 1),
            stmt(r, depth - 1)
        ),
        5 => format!(
            "for j = 1, {} do {} end",
            1 + r.below(4),
            stmt(r, depth - 1)
        ),
        6 => format!(
            "if i % {} == 0 then {} = 'x' .. {} else {} = {} end",
            2 + r.below(5),
            v,
            r.below(9),
            v,
            r.below(9)
        ),
        7 => format!("up = up + 1; {}", stmt(r, depth - 1)),
        8 => format!("o.n = o.n + ({} > 3 and 1 or 2)", r.pick(VARS)),
        9 => format!("while {} > 50 do {} = {} - 7 end", v, v, v),
        10 => format!("acc = acc + g({})", num_expr(r, 1)),
        11 => format!(
            "o[{}] = (o[{}] or 0) + 1",
            r.pick(&["'k1'", "'k2'", "'k3'"]),
            r.pick(&["'k1'", "'k2'"])
        ),
        12 => format!("if #s < 40 then s = s .. {} end", r.below(10)),
        13 => format!("acc = acc + (m[{}] or 0)", 1 + r.below(10)),
        15 => format!("acc = acc + h({}, {})", num_expr(r, 1), num_expr(r, 1)),
        16 => format!(
            "grid[{}][{}] = {}",
            1 + r.below(3),
            1 + r.below(3),
            num_expr(r, 1)
        ),
        17 => format!(
            "acc = acc + pt:len() + pt.x; pt.x = ({}) % 50",
            num_expr(r, 1)
        ),
        18 => format!("local q, w = two({}) acc = acc + q - w", num_expr(r, 1)),
        19 => format!("acc = acc + tail({})", num_expr(r, 1)),
        20 => "for _, x in ipairs(t) do acc = acc + x end".to_string(),
        21 => {
            "for k, x in pairs(o) do if type(x) == 'number' then acc = acc + x end end".to_string()
        }
        22 => format!("z[i % 3] = (z[(i + {}) % 3] or 0) % 97 + 1", 1 + r.below(2)),
        23 => format!(
            "if s {} 'x{}' then acc = acc + 1 end",
            r.pick(&["<", "<=", ">", ">="]),
            r.below(10)
        ),
        _ => format!(
            "local l = {} if l ~= {} then {} = l end",
            num_expr(r, 1),
            r.pick(VARS),
            r.pick(VARS)
        ),
    }
}

/// One random program printing everything it computed.
fn program(r: &mut Rng) -> String {
    let mut p = String::from(
        "local a, b, c, d = 1, 2, 3, 4\nlocal acc = 0\nlocal up = 0\n\
         local t = {1, 2, 3, 4, 5, 6, 7, 8}\nlocal o = {n = 0}\n\
         local function f(x) if type(x) ~= 'number' then return 0 end return x * 2 - 1 end\n\
         local function num(x) if type(x) == 'number' then return x end return #x end\n\
         local function g(x) up = up + 1 return x % 7 end\n\
         local s = ''\nlocal m = setmetatable({}, {__index = t})\n\
         local function h(x, y) if x > y then return x - y end return y % 5 end\n\
         local grid = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}}\n\
         local P = {} P.__index = P function P:len() return self.x * 2 end\n\
         local pt = setmetatable({x = 3}, P)\n\
         local function two(x) return x, x / 2 end\n\
         local function tail(x) return h(x, 3) end\n\
         local z = {[0] = 1, 2, 3}\n",
    );
    p.push_str(&format!("for i = 1, {} do\n", 20 + r.below(200)));
    for _ in 0..1 + r.below(5) {
        p.push_str("  ");
        p.push_str(&stmt(r, 2));
        p.push('\n');
    }
    p.push_str("  a = num(a); b = num(b); c = num(c); d = num(d)\nend\n");
    p.push_str(
        "print(string.format('%.6g %.6g %.6g %.6g %.6g %d %d', a, b, c, d, acc, up, o.n))\n\
         print(table.concat(t, ' '), s, o.k1, o.k2, o.k3)\n\
         print(grid[1][1], grid[2][2], grid[3][3], pt.x, z[0], z[1], z[2])\n",
    );
    p
}

/// Output of one run (stdout then stderr), or "TIMEOUT" after 20 s (a
/// trace that never exits is a bug too).
fn run(mode: &str, file: &std::path::Path) -> String {
    let mut child = Command::new(common::exe())
        .arg(mode)
        .arg(file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run lunatrace");
    let t0 = std::time::Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if t0.elapsed() > std::time::Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            return "TIMEOUT".into();
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().expect("output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn jit_matches_interpreter_on_random_loops() {
    let dir = std::env::temp_dir().join(format!("lt-jitfuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = std::env::var("LT_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_1234_ABCD_0001u64);
    let mut r = Rng(seed);
    let mut failures = Vec::new();
    let mut clean = 0;
    for n in 0..300 {
        let src = program(&mut r);
        let f = dir.join(format!("p{}.lua", n));
        std::fs::write(&f, &src).unwrap();
        let want = run("-joff", &f);
        if !want.contains("lunatrace:") {
            clean += 1;
        }
        for mode in ["-Ohotloop=1", "-O0,hotloop=1"] {
            let got = run(mode, &f);
            if got != want {
                failures.push(format!(
                    "program {} [{}]:\n{}\n-- interpreter:\n{}-- jit:\n{}",
                    n, mode, src, want, got
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Most programs must run to completion (errors are compared too, but
    // they end a program early).
    assert!(
        clean >= 150,
        "only {} of 300 programs ran without error",
        clean
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
