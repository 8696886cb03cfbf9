//! The JIT's observable surface: `-jv` lines, `-jisa` cross-compilation of
//! every trace of the JIT corpus, the `jit` module, `-O` parsing, and that
//! compiled code gives the interpreter's results.

mod common;

use std::process::Command;

fn lt(args: &[&str], dir: &std::path::Path) -> (String, String, i32) {
    lt_env(args, dir, &[])
}

/// Run `script` (in tests/lua) with each of `modes` and check its output
/// is the expected file's, with exit status 0.
fn same_as_expected(script: &str, modes: &[&str]) {
    let dir = common::dir("lua");
    let want = common::read_expected(&dir.join(script));
    for opts in modes {
        let (o, e, c) = lt(&[opts, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", opts, e);
    }
}

/// `lt` with environment variables set (development aids such as
/// `LUNATRACE_EXITSTATS` and `LT_DBG_REGION`).
fn lt_env(args: &[&str], dir: &std::path::Path, env: &[(&str, &str)]) -> (String, String, i32) {
    let out = Command::new(common::exe())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .output()
        .expect("run lunatrace");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// `script` run with `-O` options `opts` plus `extra` gives `want`.
fn same_with(dir: &std::path::Path, opts: &str, extra: &str, script: &str, want: &str) {
    let o = format!("{},{}", opts, extra);
    let (out, e, c) = lt(&[&o, script], dir);
    assert_eq!((out.as_str(), c), (want, 0), "{}: {}", o, e);
}

fn jit_corpus() -> Vec<std::path::PathBuf> {
    common::scripts(&common::dir("lua"), true)
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("jit_"))
        .collect()
}

#[test]
fn verbose_lines_look_like_luajit() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-jv-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local s = 0\nfor i = 1, 1000 do\n  s = s + i\nend\nprint(s)\n",
    )
    .unwrap();
    let (o, e, c) = lt(&["-jv", f.to_str().unwrap()], &dir);
    assert_eq!((o.as_str(), c), ("500500\n", 0));
    let first = e.lines().next().unwrap_or("");
    assert!(
        first.starts_with("[TRACE   1 ") && first.ends_with(":2 loop]"),
        "{}",
        e
    );
    assert!(e.contains("[TRACE stats: 1 traces"), "{}", e);
}

/// Side loops (`jit_side_loop.lua`, flag `sideloop`): a loop that changes
/// path from the start of an iteration runs the new path in a side trace
/// that closes a loop of its own (`(parent/exit) file:line loop]`),
/// including one of another side loop; the copy loop's side loop runs the
/// later passes' iterations (cost report); the results are the
/// interpreter's with and without side loops.
#[test]
fn side_loops_form_and_keep_results() {
    let dir = common::dir("lua");
    let script = "jit_side_loop.lua";
    let want = common::read_expected(&dir.join(script));
    let (o, e, c) = lt_env(
        &["-jv", "-Ohotloop=1,hotexit=1", script],
        &dir,
        &[("LUNATRACE_TRACECOUNT", "1")],
    );
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    let side_loops = |line: u32| {
        let pat = format!(") {}:{} loop]", script, line);
        e.lines()
            .filter(|l| l.starts_with("[TRACE ") && l.contains(&pat))
            .count()
    };
    for line in [14, 26, 34, 39] {
        assert!(side_loops(line) >= 1, "no side loop at :{}:\n{}", line, e);
    }
    // Three paths: a side loop of the side loop.
    assert!(side_loops(34) >= 2, "{}", e);
    // The copy loop's side loop does the work of the passes after the
    // first (40 passes of 30 rows of 60).
    let cost = e
        .lines()
        .find(|l| l.contains(") jit_side_loop.lua:14: ") && l.contains(" iterations"))
        .unwrap_or_else(|| panic!("no cost line of the side loop:\n{}", e));
    let iters: u64 = cost
        .split(" iterations")
        .next()
        .and_then(|h| h.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", cost));
    assert!(iters > 30_000, "{}", cost);
    // The fill from key 2 (root recorded at the 56th iteration, on the
    // append path): its side trace from the loop's start adds keys, so it
    // links back to the root instead of looping.
    let (o, e, c) = lt(&["-jv", "-Ohotloop=56,hotexit=1", script], &dir);
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    assert!(e.contains(") jit_side_loop.lua:78 -> "), "{}", e);
    assert!(!e.contains(") jit_side_loop.lua:78 loop]"), "{}", e);
    let (o, e, c) = lt(&["-jv", "-Ohotloop=1,hotexit=1,-sideloop", script], &dir);
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    assert!(!e.contains(") jit_side_loop.lua:14 loop]"), "{}", e);
    // `jit.util.traceinfo` of a side loop: linktype "loop", linked to
    // itself; of the side traces linked back, "root" and the root.
    let tmp = std::env::temp_dir();
    let f = tmp.join(format!("lt-sideloop-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local rows, src = {}, {}\n\
         for j = 1, 60 do src[j] = j end\n\
         for pass = 1, 40 do\n\
         \x20 for r = 1, 30 do\n\
         \x20   local dst = rows[r] or {}\n\
         \x20   for j = 1, 60 do dst[j] = src[j] + pass end\n\
         \x20   rows[r] = dst\n\
         \x20 end\n\
         end\n\
         local ju = require('jit.util')\n\
         for n = 1, 20 do\n\
         \x20 local t = ju.traceinfo(n)\n\
         \x20 if t then print(n, t.linktype, t.link) end\n\
         end\n",
    )
    .unwrap();
    let (o, e, c) = lt(&["-jv", "-Ohotloop=1,hotexit=1", f.to_str().unwrap()], &tmp);
    let _ = std::fs::remove_file(&f);
    assert_eq!(c, 0, "{}", e);
    let side_loop = e
        .lines()
        .find(|l| l.contains(") ") && l.ends_with(":6 loop]"))
        .and_then(|l| l.strip_prefix("[TRACE"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no side loop:\n{}", e))
        .to_string();
    let want = format!("{}\tloop\t{}", side_loop, side_loop);
    assert!(o.lines().any(|l| l == want), "{}\n{}", o, e);
    let root = e
        .lines()
        .find(|l| !l.contains(") ") && l.ends_with(":6 loop]"))
        .and_then(|l| l.strip_prefix("[TRACE"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no root:\n{}", e))
        .to_string();
    let back = format!("\troot\t{}", root);
    assert!(o.lines().any(|l| l.ends_with(&back)), "{}\n{}", o, e);
}

/// The cost report (`LUNATRACE_TRACECOUNT=1` with `-jv`): a loop of
/// 1000 iterations entered once from the interpreter gives its trace's
/// machine instructions, one entry, its iterations and exits.
#[test]
fn cost_report_counts_code_entries_and_iterations() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-cost-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local s = 0\nfor i = 1, 1000 do\n  s = s + i\nend\nprint(s)\n",
    )
    .unwrap();
    let (o, e, c) = lt_env(
        &["-jv", "-Ohotloop=1", f.to_str().unwrap()],
        &dir,
        &[("LUNATRACE_TRACECOUNT", "1")],
    );
    let _ = std::fs::remove_file(&f);
    assert_eq!((o.as_str(), c), ("500500\n", 0), "{}", e);
    let line = e
        .lines()
        .find(|l| l.starts_with("[TRACE   1 root "))
        .unwrap_or_else(|| panic!("no cost line: {}", e));
    // The number just before `unit`.
    let num = |unit: &str| -> u64 {
        let i = line.find(unit).unwrap_or_else(|| panic!("{}", line));
        let head = &line[..i];
        let n = &head[head.rfind(' ').unwrap() + 1..];
        n.trim_end_matches(',').parse().unwrap()
    };
    let insns = num(" insns");
    assert!((5..2000).contains(&insns), "{}", line);
    assert!(num(" bytes") >= insns, "{}", line);
    let entered = line
        .split("entered ")
        .nth(1)
        .and_then(|r| r.split(',').next());
    assert_eq!(entered, Some("1"), "{}", line);
    // (The first iteration ran interpreted, recording; the last leaves
    // through the loop's exit.)
    let iters = num(" iterations,");
    assert!((990..=1000).contains(&iters), "{}", line);
    assert_eq!(num(" exits"), 1, "{}", line);
    assert!(
        e.lines()
            .any(|l| l.starts_with("[TRACE enter: 1 entries from the interpreter")),
        "{}",
        e
    );
}

#[test]
fn aborts_name_the_reason() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-abort-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local n = 0\nfor i = 1, 100 do\n  n = n + (os.time() > 0 and i % 3 or 0)\nend\nprint(n)\n",
    )
    .unwrap();
    let (o, e, _) = lt(&["-jv", "-Ohotloop=2,-stitch", f.to_str().unwrap()], &dir);
    assert_eq!(o, "100\n");
    assert!(e.contains("[TRACE --- ") && e.contains("-- NYI: "), "{}", e);
}

#[test]
fn every_trace_compiles_for_other_isas() {
    let mut total = 0;
    for s in jit_corpus() {
        let want = common::read_expected(&s);
        let name = s.file_name().unwrap().to_str().unwrap();
        let (o, e, _) = lt(
            &["-Ohotloop=1", "-jisa=aarch64,riscv64,s390x", name],
            s.parent().unwrap(),
        );
        assert_eq!(o, want, "{}: output changed under -jisa", name);
        for isa in ["aarch64", "riscv64", "s390x"] {
            let line = e
                .lines()
                .find(|l| l.starts_with(&format!("[ISA {}:", isa)))
                .unwrap_or_else(|| panic!("{}: no {} summary in {}", name, isa, e));
            assert!(line.contains(" 0 failures"), "{}: {}", name, line);
            let n: usize = line
                .split_whitespace()
                .nth(2)
                .and_then(|w| w.parse().ok())
                .unwrap_or(0);
            total += n;
        }
    }
    assert!(total > 0, "no traces were compiled");
}

#[test]
fn jit_module_controls_the_compiler() {
    let dir = std::env::temp_dir();
    let (o, e, c) = lt(
        &[
            "-e",
            "print(jit.status()) jit.off() print((jit.status())) jit.on() \
             local s = 0 for i = 1, 300 do s = s + i end jit.flush() \
             for i = 1, 300 do s = s + i end print(s, type(jit.version), jit.arch ~= nil) \
             jit.opt.start('hotloop=5', '-fold') print(pcall(jit.opt.start, 'bogus=1'))",
        ],
        &dir,
    );
    assert_eq!(c, 0, "{}", e);
    let lines: Vec<&str> = o.lines().collect();
    assert!(lines[0].starts_with("true\tfold\tcse\tdce"), "{}", o);
    assert_eq!(lines[1], "false");
    assert_eq!(lines[2], "90300\tstring\ttrue");
    assert!(
        lines[3].starts_with("false\t") && lines[3].contains("bogus"),
        "{}",
        o
    );
}

#[test]
fn bad_o_option_is_reported() {
    let (_, e, c) = lt(&["-O+nonsense", "-e", "print(1)"], &std::env::temp_dir());
    assert_eq!(c, 1);
    assert!(e.contains("nonsense"), "{}", e);
}

#[test]
fn per_function_control_and_traceinfo() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-jitoff-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local function hot() local s = 0 for i = 1, 1000 do s = s + i end return s end\n\
         jit.off(hot)\nprint(hot(), require('jit.util').traceinfo(1))\njit.on(hot)\nprint(hot())\n\
         local t = require('jit.util').traceinfo(1)\nprint(t.linktype, t.nins > 0, t.nexit > 0)\n",
    )
    .unwrap();
    let (o, e, c) = lt(&["-jv", f.to_str().unwrap()], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, "500500\tnil\n500500\nloop\ttrue\ttrue\n");
    assert_eq!(e.matches("[TRACE   1 ").count(), 1, "{}", e);
}

#[test]
fn string_natives_and_concat_compile() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-fast-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local s, n, t = \"hello\", 0, {}\n\
         for i = 1, 200 do\n\
         \x20 local w = string.sub(s, 1, i % 5) .. i .. string.char(65 + i % 26) .. tostring(i / 2)\n\
         \x20 n = n + string.byte(w, 1) + #w + string.len(s) + s:byte(2) + (tonumber(\"1\" .. i % 10) or 0)\n\
         \x20 n = n + select(\"#\", 1, 2) + select(2, 5, 6) + (rawget(t, 1) or 0) + (rawequal(t, t) and 1 or 0)\n\
         \x20 local a, b = unpack({1, 2}); n = n + a + b + assert(1)\n\
         \x20 rawset(t, 1, i); table.insert(t, i)\n\
         \x20 n = n + #string.format(\"%d %s %5.2f\", i, w, i / 3)\n\
         end\n\
         print(n, #t)\n",
    )
    .unwrap();
    let (o, e, _) = lt(&["-jv", "-Ohotloop=2", f.to_str().unwrap()], &dir);
    let (want, _, _) = lt(&["-joff", f.to_str().unwrap()], &dir);
    assert_eq!(o, want);
    assert!(e.contains("[TRACE   1 "), "{}", e);
    assert!(!e.contains("[TRACE --- "), "{}", e);
    let _ = std::fs::remove_file(&f);
}

/// Polymorphic call sites stay bounded: a closure made and called every
/// iteration compiles as one trace (prototype guard, not a chain of side
/// traces, one per closure), and so do calls to closures whose upvalue is
/// a fresh variable instance every round.
#[test]
fn polymorphic_closures_do_not_chain() {
    let dir = common::dir("lua");
    for (script, max) in [
        ("jit_poly_closures.lua", 24),
        ("jit_poly_open_upval.lua", 7),
    ] {
        let (o, e, c) = lt(&["-jv", "-Obudget=0", script], &dir);
        assert_eq!(c, 0, "{}: {}", script, e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", script);
        let n = e
            .lines()
            .filter(|l| {
                l.starts_with("[TRACE ")
                    && !l.starts_with("[TRACE ---")
                    && !l.starts_with("[TRACE stats")
            })
            .count();
        assert!(n >= 2 && n <= max, "{}: {} traces:\n{}", script, n, e);
    }
    // The closure-per-iteration loop of jit_poly_closures.lua (line 7):
    // one root trace, no side trace starting in the closure.
    let (_, e, _) = lt(&["-jv", "-Obudget=0", "jit_poly_closures.lua"], &dir);
    assert!(e.contains("jit_poly_closures.lua:7 loop]"), "{}", e);
    assert!(!e.contains("jit_poly_closures.lua:9 ->"), "{}", e);
}

/// Every script of the JIT corpus at `hotloop=1,hotexit=1` (side traces
/// from the first exits): no trace fails Cranelift's verifier (debug
/// builds verify; a mismatch between what the recorder observed and the
/// IR it emitted shows up there), and the scripts about a feature compile
/// root and side traces where that feature is used.
#[test]
fn jit_corpus_compiles_with_side_traces() {
    let dir = common::dir("lua");
    for s in jit_corpus() {
        let name = s.file_name().unwrap().to_string_lossy().into_owned();
        let (_, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", &name], &dir);
        assert!(!e.contains("NYI: codegen"), "{}:\n{}", name, e);
    }
    for (script, feature_lines) in [
        (
            "jit_find_rep_getmeta.lua",
            &[":6 loop]", ":26 loop]", ":37 loop]"][..],
        ),
        ("jit_strbyte_multi.lua", &[":4 loop]", ":13 loop]"][..]),
        (
            "jit_multres_exit.lua",
            &[":6 loop]", ":21 loop]", ":35 loop]"][..],
        ),
        (
            "jit_closure_loopvar.lua",
            &[":8 loop]", ":14 loop]", ":21 loop]"][..],
        ),
        ("jit_tail_fast_multi.lua", &[":17 loop]", ":10 loop]"][..]),
        (
            "jit_pcall.lua",
            &[":13 loop]", ":25 loop]", ":35 loop]"][..],
        ),
        (
            "jit_xpcall.lua",
            &[":17 loop]", ":40 loop]", ":49 loop]"][..],
        ),
        ("jit_bitrot.lua", &[":7 loop]", ":29 loop]"][..]),
        (
            "jit_varg_select.lua",
            &[":6 loop]", ":15 loop]", ":50 loop]"][..],
        ),
        (
            "jit_iter_closure.lua",
            &[":33 loop]", ":38 loop]", ":55 loop]"][..],
        ),
        (
            "jit_poly_meta.lua",
            &[":12 loop]", ":24 loop]", ":35 loop]", ":42 loop]"][..],
        ),
        (
            "jit_nil_global.lua",
            &[":5 loop]", ":13 loop]", ":17 loop]", ":20 loop]"][..],
        ),
        ("jit_table_keys.lua", &[":8 loop]"][..]),
        // (Its lookups' shared entry-count check, with side traces for
        // the tables of other shapes.)
        ("jit_hrefk_reach.lua", &[":15 loop]", ":17 -> "][..]),
        (
            "jit_varg_base.lua",
            &[":8 loop]", ":15 loop]", ":21 loop]", ":29 loop]"][..],
        ),
        ("jit_fast_strings.lua", &[":77 loop]"][..]),
        ("jit_table_remove.lua", &[":4 loop]"][..]),
        (
            "jit_arith_string.lua",
            &[":7 loop]", ":18 loop]", ":28 loop]", ":35 loop]"][..],
        ),
        ("jit_unpack_bounds.lua", &[":5 loop]"][..]),
        (
            "jit_absent_key.lua",
            &[":18 loop]", ":35 loop]", ":47 loop]"][..],
        ),
        (
            "jit_hrefk_resize.lua",
            &[":6 loop]", ":20 loop]", ":33 loop]"][..],
        ),
        (
            "jit_lua_iter.lua",
            &[":11 loop]", ":24 loop]", ":48 loop]", ":64 loop]"][..],
        ),
        (
            "jit_stitch.lua",
            &[
                ":10 stitch string.reverse]",
                ":26 stitch debug.getinfo]",
                ":32 stitch table.sort]",
                ":44 stitch string.gsub]",
                ":63 stitch string.gsub]",
                ":73 stitch string.gsub]",
                ":87 loop]",
                ":93 stitch gmatch_aux]",
            ][..],
        ),
        ("jit_upval_coroutine.lua", &[":10 loop]", ":28 loop]"][..]),
        ("jit_side_int.lua", &[":6 loop]", ":24 loop]"][..]),
        (
            "jit_gmatch.lua",
            &[
                ":10 loop]",
                ":11 loop]",
                ":18 loop]",
                ":19 loop]",
                ":36 loop]",
                ":48 loop]",
                ":59 loop]",
                ":74 loop]",
                ":27 stitch gmatch_aux]",
            ][..],
        ),
        ("closure_many_upvals.lua", &[":6 loop]"][..]),
        ("mod_floor.lua", &[":4 loop]", ":8 loop]"][..]),
        (
            "array_keys.lua",
            &[":22 loop]", ":24 loop]", ":34 loop]", ":38 loop]"][..],
        ),
        (
            "tail_calls.lua",
            &[":6 up-recursion]", ":20 tail-recursion]"][..],
        ),
        (
            "jit_narrow.lua",
            &[
                ":137 loop]",
                ":142 loop]",
                ":147 loop]",
                ":152 loop]",
                ":171 loop]",
            ][..],
        ),
        (
            "jit_narrow_index.lua",
            &[
                ":13 loop]",
                ":20 loop]",
                ":26 loop]",
                ":36 loop]",
                ":45 loop]",
                ":55 loop]",
            ][..],
        ),
        (
            "jit_sublen.lua",
            &[
                ":6 loop]",
                ":10 loop]",
                ":16 loop]",
                ":22 loop]",
                ":26 loop]",
            ],
        ),
        (
            "jit_strmatch.lua",
            &[
                ":16 loop]",
                ":25 loop]",
                ":42 loop]",
                ":55 loop]",
                ":61 loop]",
            ][..],
        ),
        (
            "jit_setmetatable.lua",
            &[":8 loop]", ":20 loop]", ":30 loop]", ":40 loop]"][..],
        ),
        (
            "jit_stitch_multres.lua",
            &[
                // (The match on line 10 gives one value: SMATCH.)
                ":8 stitch require]",
                ":20 stitch string.gsub]",
                ":31 stitch string.match]",
            ][..],
        ),
        (
            "jit_pcall_native.lua",
            &[
                ":5 stitch pcall]",
                ":12 stitch pcall]",
                ":20 stitch pcall]",
                ":29 stitch pcall]",
            ][..],
        ),
        (
            "jit_stitch_tail.lua",
            &[
                ":13 stitch string.gsub]",
                ":24 stitch string.gsub]",
                // (`next` is a fast function: the loop is one trace.)
                ":33 loop]",
            ][..],
        ),
        (
            "jit_gc_recording.lua",
            &["loop1:2 loop]", "loop3:2 loop]"][..],
        ),
        (
            "jit_string_buffer.lua",
            &[
                ":7 stitch put]",
                ":7 -> 1]",
                ":14 stitch putf]",
                ":16 stitch get]",
                ":21 stitch encode]",
                ":23 stitch decode]",
                ":29 stitch reserve]",
                ":31 stitch commit]",
            ][..],
        ),
    ] {
        let (_, e, _) = lt(&["-jv", "-Ohotloop=1", script], &dir);
        for l in feature_lines {
            assert!(e.contains(l), "{}: no trace at {}:\n{}", script, l, e);
        }
        let (_, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", script], &dir);
        assert!(
            e.lines()
                .any(|l| l.starts_with("[TRACE ") && l.contains(" (")),
            "{}: no side trace:\n{}",
            script,
            e
        );
    }
}

/// Closures made and called inside a compiled loop are not allocated on
/// the trace's path (`-jdump` marks the sunk `FNEW` with `}`), and the
/// results equal the interpreter's (`jit_sink_closure.lua`: closures that
/// escape at exits, share upvalues, or sit in two slots at once).
#[test]
fn closures_called_inline_are_sunk() {
    let dir = common::dir("lua");
    let script = "jit_sink_closure.lua";
    for mode in ["-Ohotloop=1", "-Ohotloop=2,hotexit=1"] {
        let (o, e, c) = lt(&["-jdump", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        let sunk = e.lines().filter(|l| l.contains("}fun FNEW")).count();
        assert!(sunk >= 6, "{}: {} sunk closures:\n{}", mode, sunk, e);
    }
    let (o, e, _) = lt(&["-jdump", "-O-sink,hotloop=1", script], &dir);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(!e.contains("}fun") && e.contains(" FNEW "), "{}", e);
}

/// The background compiler (the default without `-jv`/`-jdump` or chosen
/// thresholds) installs traces while the program runs: a long loop gets
/// its trace and its exits' side traces without waiting, and results are
/// the interpreter's. `async=0` compiles in the foreground.
#[test]
fn background_compiler_installs_traces_during_the_run() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-async-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local s = 0\nfor i = 1, 3e7 do if i % 3 == 0 then s = s + 1 else s = s - 0.5 end end\n\
         print(s, require('jit.util').traceinfo(1) ~= nil, require('jit.util').traceinfo(2) ~= nil)\n",
    )
    .unwrap();
    let path = f.to_str().unwrap();
    for args in [&[path][..], &["-Oasync=1", "-jv", path][..]] {
        let (o, e, c) = lt(args, &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, "0\ttrue\ttrue\n", "{:?}: {}", args, e);
    }
    let (o, _, _) = lt(&["-joff", path], &dir);
    assert_eq!(o, "0\tfalse\tfalse\n");
}

/// A missing key read from tables with many different metatables (none
/// with `__index`) is guarded as "no __index", not by metatable identity:
/// no chain of side traces at that line (`jit_poly_meta.lua:14`).
#[test]
fn missing_keys_of_many_metatables_do_not_chain() {
    let dir = common::dir("lua");
    let (o, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", "jit_poly_meta.lua"], &dir);
    assert_eq!(o, common::read_expected(&dir.join("jit_poly_meta.lua")));
    let at14 = e
        .lines()
        .filter(|l| l.contains("jit_poly_meta.lua:14 ->"))
        .count();
    assert!(at14 <= 1, "{} side traces at line 14:\n{}", at14, e);
}

/// A trace that reaches a compiled loop in a frame it inlined pushes that
/// frame itself and continues in the loop's trace (RECLINK), vararg
/// frames included (`jit_loop_link.lua`, `sum(...)` called from a loop);
/// its results equal the interpreter's (checked with the other scripts).
/// After a guarded return (n-body's shape, `jit_loop_hop.lua`: the outer
/// loop's side trace returns from the function and calls it again) the
/// exit goes on in the inner loop's trace from `enter` instead: the
/// transition count shows with `LUNATRACE_EXITSTATS`.
#[test]
fn traces_reaching_a_compiled_loop_in_an_inlined_frame_link_to_it() {
    let dir = common::dir("lua");
    let script = "jit_loop_link.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=2,hotexit=2", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(e.contains(" RECLINK "), "no RECLINK:\n{}", e);
    // The per-trace cost summary of `-jdump`.
    let summary = e
        .lines()
        .find(|l| l.starts_with("---- TRACE 1 mcode "))
        .unwrap_or_else(|| panic!("no cost summary:\n{}", e));
    let bytes: usize = summary["---- TRACE 1 mcode ".len()..]
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(
        bytes > 0 && summary.contains(" IR instructions, "),
        "{}",
        summary
    );
    let (o, e, _) = lt_env(
        &["-jv", "-Ohotloop=2,hotexit=2", "jit_loop_hop.lua"],
        &dir,
        &[("LUNATRACE_EXITSTATS", "1")],
    );
    assert_eq!(o, common::read_expected(&dir.join("jit_loop_hop.lua")));
    // advance() is called 3,000 times; after warm-up, the side trace that
    // returns from it and calls it again pushes its frame and links to
    // the inner loop's trace (RECLINK after RETG): the trace graph is
    // closed, no exit is taken more than a few times.
    assert!(
        e.lines().any(|l| l.contains(":8 -> ") && l.contains('/')),
        "no side trace linking to the inner loop:\n{}",
        e
    );
    let most = e
        .lines()
        .filter_map(|l| l.strip_prefix("[TRACE exit "))
        .filter_map(|l| {
            l.split(" taken ")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    assert!(most < 100, "an exit taken {} times:\n{}", most, e);
}

/// Tables made in a compiled loop that do not escape are not allocated on
/// the trace's path (`-jdump` marks the sunk `TNEW` with `}`), exits that
/// hold them make them with the stores done so far, and the results
/// equal the interpreter's (`jit_sink_table.lua`). Without `fwd` their
/// loads read the tables, so nothing sinks.
#[test]
fn tables_that_do_not_escape_are_sunk() {
    let dir = common::dir("lua");
    let script = "jit_sink_table.lua";
    for mode in ["-Ohotloop=1", "-Ohotloop=2,hotexit=1"] {
        let (o, e, c) = lt(&["-jdump", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        let sunk = e.lines().filter(|l| l.contains("}tab TNEW")).count();
        assert!(sunk >= 8, "{}: {} sunk tables:\n{}", mode, sunk, e);
        // The loop of part 1 (temporaries with metamethods) allocates
        // nothing at all.
        let t1 = e
            .split("---- TRACE")
            .find(|s| s.contains("start jit_sink_table.lua:15"))
            .unwrap_or("");
        assert!(t1.contains("}tab TNEW"), "{}", t1);
        assert!(!t1.lines().any(|l| l.contains(" tab TNEW")), "{}", t1);
        // Parts 8 and 9: tables carried around the loop as their fields.
        let carried = e.lines().filter(|l| l.contains("LREF    #1048576")).count();
        assert!(carried >= 2, "{}: {} carried tables:\n{}", mode, carried, e);
    }
    let (o, e, _) = lt(&["-jdump", "-O-fwd,hotloop=1", script], &dir);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(!e.contains("}tab") && e.contains(" TNEW "), "{}", e);
}

/// Constant constructors are template copies (TDUP, `table_template.lua`):
/// loads of template fields are forwarded, and a copy that does not
/// escape sinks (`}tab TDUP` in the loop at line 34).
#[test]
fn template_copies_are_forwarded_and_sunk() {
    let dir = common::dir("lua");
    let script = "table_template.lua";
    for mode in ["-Ohotloop=1", "-Ohotloop=2,hotexit=1"] {
        let (o, e, c) = lt(&["-jdump", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        let t = e
            .split("---- TRACE")
            .find(|s| s.contains("start table_template.lua:34"))
            .unwrap_or("");
        assert!(t.contains("}tab TDUP"), "{}: {}", mode, t);
        assert!(!t.lines().any(|l| l.contains(" tab TDUP")), "{}", t);
    }
}

/// Userdata indexed through its metatable's `__index` table (file
/// methods) is compiled: the loops writing and reading files form traces
/// that stitch the method calls (`jit_udata_index.lua`).
#[test]
fn userdata_methods_are_traced() {
    let dir = common::dir("lua");
    let script = "jit_udata_index.lua";
    for mode in ["-Ohotloop=1", "-Ohotloop=1,hotexit=1"] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        assert!(!e.contains("indexing a non-table"), "{}: {}", mode, e);
        for l in ["jit_udata_index.lua:7 stitch write]", "stitch read]"] {
            assert!(e.contains(l), "{}: no {}:\n{}", mode, l, e);
        }
    }
}

/// A native that is not compiled, called with a MULTRES argument list
/// (`format("%q", sub(s, 1, i))`, `concat(t, sep, range())`), is stitched:
/// the trace ends before the CALLM with the producer's values stored
/// (`jit_stitch_callm.lua`).
#[test]
fn calls_with_multiple_result_arguments_are_stitched() {
    let dir = common::dir("lua");
    let script = "jit_stitch_callm.lua";
    for mode in [
        "-Ohotloop=1",
        "-Ohotloop=1,hotexit=1",
        "-Ohotloop=2,hotexit=2",
    ] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        for l in [
            "jit_stitch_callm.lua:10 stitch string.format]",
            "jit_stitch_callm.lua:19 stitch table.concat]",
            "jit_stitch_callm.lua:28 stitch string.format]",
        ] {
            assert!(e.contains(l), "{}: no {}:\n{}", mode, l, e);
        }
        assert!(!e.contains("multiple results from here"), "{}", e);
    }
}

/// `next` called directly compiles as a fast function (`jit_next.lua`):
/// in a while loop, in Penlight's pcall'd `return next(t, k)`, for
/// emptiness tests; no "call of native 'next'" abort, and the while loop
/// over `next` is a trace. Side traces entering a not yet compiled
/// inner loop stop unrolling it after `loopunroll` iterations.
#[test]
fn next_is_a_fast_function() {
    let dir = common::dir("lua");
    let script = "jit_next.lua";
    for mode in [
        "-Ohotloop=1",
        "-Ohotloop=1,hotexit=1",
        "-Ohotloop=3,hotexit=2",
    ] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        assert!(!e.contains("native 'next'"), "{}: {}", mode, e);
        assert!(e.contains("jit_next.lua:31 loop]"), "{}: {}", mode, e);
        // Side traces unroll the inner while loop of the overwrite part
        // at most `loopunroll` times (not until the snapshot limit).
        assert!(!e.contains("too many snapshots"), "{}: {}", mode, e);
    }
}

/// An exit that makes sunk tables saves the values their stores read in
/// a stack slot of its own before the first helper call (stored through
/// `stack_addr` of an `explicit_slot` in the Cranelift IR of part 1's loop), so those
/// values (floats: no x86-64 register survives a call) do not live
/// across calls and the loop keeps them in registers; the results equal
/// the interpreter's.
#[test]
fn exits_save_sunk_store_values_before_calls() {
    let dir = common::dir("lua");
    let script = "jit_sink_table.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    // (The trace's Cranelift IR follows its IR and its stop line.)
    let t1 = e
        .split("---- TRACE")
        .skip_while(|s| !s.contains("start jit_sink_table.lua:15"))
        .find(|s| s.contains("Cranelift IR"))
        .unwrap_or("");
    assert!(t1.contains("Cranelift IR"), "{}", t1);
    assert!(
        t1.contains("explicit_slot") && t1.contains("stack_addr"),
        "{}",
        t1
    );
}

/// Tables packed from varargs in a compiled loop (`{ n = select('#',
/// ...), ... }`, `jit_vararg_pack.lua`): their number keys are read from
/// the stores the trace made, not from the array part, so the tables sink
/// (`}tab TNEW` in `-jdump`, operand 2051: LuaJIT's sizes, 3 array slots
/// and a 2-slot hash part); the results equal the interpreter's.
#[test]
fn vararg_tables_read_by_constant_keys_are_sunk() {
    let dir = common::dir("lua");
    let script = "jit_vararg_pack.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    let t1 = e
        .split("---- TRACE")
        .find(|s| s.contains("start jit_vararg_pack.lua:9"))
        .unwrap_or("");
    // pack2 in the recorded iteration and in the loop copy, twice each.
    let sunk = t1
        .lines()
        .filter(|l| l.contains("}tab TNEW    #2051"))
        .count();
    assert!(sunk >= 4, "{} sunk vararg tables:\n{}", sunk, t1);
    assert!(
        !t1.lines().any(|l| l.contains(" tab TNEW    #2051")),
        "{}",
        t1
    );
}

/// Upvalues never assigned after their declaration are read as constants
/// (`jit_upval_immutable.lua`, LuaJIT's immutable upvalues): the closure
/// of part 5 reads a closed immutable upvalue (no `UVLOAD`), part 4's is
/// assigned in a nested function (loaded each time); debug writes to
/// locals and upvalues flush the traces, so results equal the
/// interpreter's.
#[test]
fn immutable_upvalues_are_constants() {
    let dir = common::dir("lua");
    let script = "jit_upval_immutable.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    let trace = |line: u32| {
        e.split("---- TRACE")
            .find(|s| s.contains(&format!("start jit_upval_immutable.lua:{}\n", line)))
            .unwrap_or_else(|| panic!("no trace at line {}:\n{}", line, e))
    };
    assert!(trace(49).contains(" UVLOAD "), "{}", trace(49));
    assert!(!trace(64).contains(" UVLOAD "), "{}", trace(64));
}

/// MD5-style rounds (`jit_bit_narrow.lua`): `tobit` of a sum of int32
/// values adds ints (`IADD`; values read from tables guarded by `TOINT`),
/// the loop of part 1 carries `a, b, c, d` as ints (no `num LREF`, no
/// `TOBIT` in the copy), and part 5's `x % 2^k` of integer expressions
/// masks ints (`IMUL`, `BAND`). Fractions and large numbers leave the
/// compiled path: results equal the interpreter's.
#[test]
fn bit_operations_on_sums_of_ints_stay_ints() {
    let dir = common::dir("lua");
    let script = "jit_bit_narrow.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=2", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    let trace = |line: u32| {
        e.split("---- TRACE")
            .find(|s| s.contains(&format!("start jit_bit_narrow.lua:{}\n", line)))
            .unwrap_or_else(|| panic!("no trace at line {}:\n{}", line, e))
    };
    let body = trace(13).split(" LOOP ").nth(1).unwrap_or("");
    assert!(
        body.contains(" IADD ") && body.contains("int LREF"),
        "{}",
        body
    );
    assert!(
        !body.contains("num LREF") && !body.contains(" TOBIT "),
        "{}",
        body
    );
    let t5 = trace(50);
    assert!(t5.contains(" IMUL ") && t5.contains(" BAND "), "{}", t5);
}

/// Binary trees (`jit_recursion_trees.lua`): the base case's return to
/// its two call sites is a guard sharing the allocation's state; its exits
/// grow side traces (only the collection check's own exit must reach the
/// interpreter), so no unlinked exit is taken often.
#[test]
fn returns_after_an_allocation_grow_side_traces() {
    let dir = common::dir("lua");
    let script = "jit_recursion_trees.lua";
    let (o, e, _) = lt_env(
        &["-jv", "-Ohotloop=1,hotexit=1", script],
        &dir,
        &[("LUNATRACE_EXITSTATS", "1")],
    );
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(e.contains("up-recursion]"), "{}", e);
    for l in e.lines().filter(|l| l.ends_with(" link 4294967295]")) {
        let n: u64 = l
            .split(" taken ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        // (The make() calls number about 100,000.)
        assert!(n < 1_000, "an unlinked exit taken {} times:\n{}", n, e);
    }
}

/// Recursive functions get function-entry traces (`jit_recursion.lua`):
/// up-recursion for fib, ackermann and tak, tail-recursion for an
/// accumulator loop, side traces linked back to them; deep recursion
/// overflows with the interpreter's error; results equal the
/// interpreter's in every mode.
#[test]
fn recursive_functions_get_traces() {
    let dir = common::dir("lua");
    let script = "jit_recursion.lua";
    for mode in [
        "-Ohotloop=1",
        "-Ohotloop=1,hotexit=1",
        "-Ohotloop=5,hotexit=2",
    ] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        for l in [
            "jit_recursion.lua:5 up-recursion]",
            "jit_recursion.lua:11 up-recursion]",
            "jit_recursion.lua:18 up-recursion]",
            "jit_recursion.lua:25 tail-recursion]",
            // sumr's `return n + sumr(n - 1)`: returns into callers that
            // add and return again.
            "jit_recursion.lua:91 down-recursion]",
        ] {
            assert!(e.contains(l), "{}: no trace {}:\n{}", mode, l, e);
        }
        assert!(!e.contains("NYI: codegen"), "{}", e);
    }
    // Side traces from fib's base case link back to its trace.
    let (_, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", script], &dir);
    assert!(
        e.lines()
            .any(|l| l.contains(" (1/") && l.ends_with("-> 1]")),
        "{}",
        e
    );
    // Other traces (side traces from a base case) link to them.
    let (_, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", script], &dir);
    let downs: Vec<String> = e
        .lines()
        .filter(|l| l.ends_with(" down-recursion]"))
        .filter_map(|l| l.split_whitespace().nth(1).map(String::from))
        .collect();
    assert!(
        e.lines()
            .any(|l| downs.iter().any(|d| l.ends_with(&format!("-> {}]", d)))),
        "{}",
        e
    );
    // Off with -O-downrec: returns below a trace are not compiled so.
    let (o, e, _) = lt(&["-jv", "-Ohotloop=1,-downrec", script], &dir);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(!e.contains("down-recursion"), "{}", e);
    // Off with -O-recursion: no function-entry traces.
    let (o, e, _) = lt(&["-jv", "-Ohotloop=1,-recursion", script], &dir);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(!e.contains("recursion]"), "{}", e);
}

/// More recursion shapes (`jit_recursion_more.lua`): recursive calls
/// inlined in loop traces up to `callunroll` levels (LuaJIT's rule, no
/// "NYI: recursive call"), loops calling into protected calls and native
/// callbacks that return into them, immutable upvalues taken as
/// constants (no UVLOAD in the loop's trace) and the traces flushed when
/// the debug library sets one, fib getting its recursion traces. Results equal the interpreter's (the
/// expected output is `luajit -joff`'s: luajit's JIT keeps the old
/// constants) in every mode, the background compiler's included.
#[test]
fn more_recursion_shapes_compile() {
    let dir = common::dir("lua");
    let script = "jit_recursion_more.lua";
    let want = common::read_expected(&dir.join(script));
    for mode in [
        "-Ohotloop=1",
        "-Ohotloop=1,hotexit=1",
        "-Ohotloop=2,hotexit=1",
        "-Oasync=1",
        "-Oasync=1,hotloop=2,hotexit=1",
        "-O-region",
    ] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!(c, 0, "{}: {}", mode, e);
        assert_eq!(o, want, "{}", mode);
        assert!(!e.contains("NYI: recursive call"), "{}: {}", mode, e);
        assert!(!e.contains("NYI: codegen"), "{}: {}", mode, e);
    }
    let (_, e, _) = lt(&["-jv", "-Ohotloop=1,hotexit=1", script], &dir);
    for l in [
        // `halves` inlined (recursing) in the loop's trace.
        "jit_recursion_more.lua:36 loop]",
        // The loop calling through pcall and a gsub callback.
        "jit_recursion_more.lua:42 stitch string.gsub]",
        // The upvalue constants' loops, flushed by upvaluejoin.
        "jit_recursion_more.lua:56 loop]",
        "jit_recursion_more.lua:65 loop]",
        "[TRACE flush]",
        // fib through a local.
        "jit_recursion_more.lua:89 up-recursion]",
    ] {
        assert!(e.contains(l), "no {}:\n{}", l, e);
    }
    // `K` (never assigned) is a constant in the `addk` loop's trace: no
    // upvalue load there; `M` (assigned) is loaded.
    let (_, d, _) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    let trace_at = |line: &str| -> String {
        let start = format!("start {}", line);
        let from = d
            .find(&start)
            .unwrap_or_else(|| panic!("no trace at {}", line));
        let rest = &d[from..];
        let end = rest.find(" stop ").unwrap_or(rest.len());
        rest[..end].to_string()
    };
    let addk = trace_at("jit_recursion_more.lua:56");
    assert!(!addk.contains("UVLOAD"), "{}", addk);
    let addm = trace_at("jit_recursion_more.lua:85");
    assert!(addm.contains("UVLOAD"), "{}", addm);
}

/// Coroutine switches in compiled loops: a long loop body ends its trace
/// at the switch (`switch coroutine.yield`, `switch wrap`), the
/// interpreter switches, the other side's loop runs its own trace; a
/// short one aborts (`NYI: coroutine switch in a short trace`). Results
/// equal the interpreter's; with stitching off no trace ends at a switch.
#[test]
fn coroutine_switches_end_traces() {
    let dir = common::dir("lua");
    let script = "jit_coroutine_switch.lua";
    let want = common::read_expected(&dir.join(script));
    for mode in ["-Ohotloop=1", "-Ohotloop=5,hotexit=2"] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", mode, e);
        for l in [
            ":26 switch wrap]",
            ":13 switch coroutine.yield]",
            ":47 switch coroutine.yield]",
            "-- NYI: coroutine switch in a short trace at jit_coroutine_switch.lua:39]",
        ] {
            assert!(e.contains(l), "{}: no line {}:\n{}", mode, l, e);
        }
    }
    let (o, e, _) = lt(&["-jv", "-Ohotloop=1,-stitch", script], &dir);
    assert_eq!(o, want);
    assert!(!e.contains(" switch "), "{}", e);
}

/// Coroutines as values in compiled loops (`jit_coroutine_values.lua`):
/// threads in slots, tables, upvalues and as keys (type guards), compared;
/// `coroutine.create` in a loop (CONEW); `coroutine.status` guarded on the
/// status seen (COSTATUS), side traces when it changes. With
/// `minswitch=0` the short generator loops (a few instructions between
/// switches) end at their switches instead of aborting. Results equal the
/// interpreter's.
#[test]
fn coroutine_values_compile() {
    let dir = common::dir("lua");
    let script = "jit_coroutine_values.lua";
    let want = common::read_expected(&dir.join(script));
    for mode in [
        "-Ohotloop=1",
        "-Ohotloop=1,hotexit=1",
        "-Ohotloop=5,hotexit=2",
    ] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", mode, e);
        for l in [":15 loop]", ":28 loop]", ":38 loop]", ":46 loop]"] {
            assert!(e.contains(l), "{}: no line {}:\n{}", mode, l, e);
        }
        assert!(!e.contains("value of type thread"), "{}: {}", mode, e);
        assert!(!e.contains("native 'create'"), "{}: {}", mode, e);
    }
    let (_, d, _) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    assert!(d.contains(" CONEW "), "{}", d);
    assert!(d.contains(" COSTATUS "), "{}", d);
    assert!(d.contains(">thr UNBOX "), "{}", d);
    let (o, e, c) = lt(&["-jv", "-Ohotloop=1,minswitch=0", script], &dir);
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    for l in [
        ":129 switch coroutine.yield]",
        ":131 switch wrap]",
        ":134 switch wrap]",
        ":134 switch coroutine.yield]",
        ":139 switch coroutine.yield]",
        ":142 switch coroutine.resume]",
    ] {
        assert!(e.contains(l), "minswitch=0: no line {}:\n{}", l, e);
    }
    assert!(!e.contains("switch in a short trace"), "{}", e);
}

/// Bounds-check and dead-store elimination (`jit_abc_dse.lua`, results
/// equal to the interpreter's): the sum loop `for i = 1, #t do s = s +
/// t[i] end` checks its index once, against the limit, in the pre-roll,
/// and none in the loop after the LOOP line; with `-O-abc` the loop
/// checks every index. The upvalue stored twice per iteration (part 8)
/// is stored once per stretch with `dse`, twice without.
#[test]
fn bounds_checks_and_dead_stores_are_eliminated() {
    let dir = common::dir("lua");
    let script = "jit_abc_dse.lua";
    // The root trace of the loop at `line` (its IR, with LOOP lines).
    let trace = |e: &str, line: u32| -> String {
        let head = format!("start {}:{}\n", script, line);
        e.split("---- TRACE")
            .find(|s| s.contains(&head) && s.contains(" LOOP"))
            .unwrap_or_else(|| panic!("no trace at line {}:\n{}", line, e))
            .to_string()
    };
    // ABCs before and after the (first) LOOP line of a trace.
    let abcs = |t: &str| -> (usize, usize) {
        let (pre, body) = t.split_once("LOOP").unwrap_or((t, ""));
        let n = |s: &str| s.lines().filter(|l| l.contains(" ABC ")).count();
        (n(pre), n(body))
    };
    let uvstores = |t: &str| t.lines().filter(|l| l.contains(" UVSTORE ")).count();
    for mode in ["-Ohotloop=1", "-Ohotloop=1,hotexit=1"] {
        let (o, e, c) = lt(&["-jdump", mode, script], &dir);
        assert_eq!(c, 0, "{}", e);
        assert_eq!(o, common::read_expected(&dir.join(script)), "{}", mode);
        let sum = trace(&e, 10);
        assert_eq!(abcs(&sum), (2, 0), "{}", sum);
        assert_eq!(uvstores(&trace(&e, 142)), 2, "{}", trace(&e, 142));
    }
    let (o, e, _) = lt(&["-jdump", "-Ohotloop=1,-abc,-dse", script], &dir);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    let sum = trace(&e, 10);
    assert_eq!(abcs(&sum), (1, 1), "{}", sum);
    assert_eq!(uvstores(&trace(&e, 142)), 4, "{}", trace(&e, 142));
}

/// FFI loops whose side trace boxes a 64-bit integer before linking back
/// to the root trace (`jit_ffi_gc_link.lua`): both loops and their side
/// traces compile, and the collection check after the box leaves the
/// traces (the script checks a finaliser runs during the loop).
#[test]
fn ffi_side_traces_boxing_integers_let_the_collector_run() {
    let dir = common::dir("lua");
    let script = "jit_ffi_gc_link.lua";
    let (o, e, c) = lt(&["-jv", "-Oasync=0", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    // (The second loop's root: its side trace links back to it.)
    let root2 = e
        .lines()
        .find(|l| l.ends_with(":31 loop]"))
        .and_then(|l| l.strip_prefix("[TRACE"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no trace :31 loop]:\n{}", e))
        .to_string();
    for l in [":17 loop]", ":20 -> 1]", &format!(":33 -> {}]", root2)] {
        assert!(e.contains(l), "no trace {}:\n{}", l, e);
    }
    assert!(!e.contains("[TRACE ---"), "{}", e);
}

/// Metamethods and `__index` tables read from a metatable the trace fixed
/// (tables' and metatypes') load their hash entry (`HREFK`), no lookup
/// call (`HGETS`), and the loops see the metatable change
/// (`jit_meta_field_hrefk.lua`: results checked in every mode).
#[test]
fn metatable_fields_load_their_hash_entry() {
    let dir = common::dir("lua");
    let script = "jit_meta_field_hrefk.lua";
    let (o, e, c) = lt(&["-jdump", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    for line in [11, 40] {
        let t = e
            .split("---- TRACE")
            .find(|s| s.contains(&format!("start {}:{}", script, line)))
            .unwrap_or_else(|| panic!("no trace at line {}:\n{}", line, e));
        let t = t.split(" Cranelift IR").next().unwrap();
        assert!(t.contains(" HREFK "), "{}", t);
        assert!(!t.contains(" HGETS "), "{}", t);
    }
}

/// A chain of linked traces that returns from the activation it was
/// entered in (RETG) and pushes another at the same depth (RECLINK) leaves
/// the interpreter in the new activation: ray tracing with these
/// parameters once resumed `shadowed`'s code in `closest`'s frame (a
/// "Lua frame" panic, or wrong pixels).
#[test]
fn a_chain_that_returns_and_calls_leaves_in_the_new_activation() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/programs");
    let (want, e, c) = lt(&["-joff", "raytrace.lua", "400"], &dir);
    assert_eq!(c, 0, "{}", e);
    {
        let o = "-Oasync=0,budget=0,hotloop=40,hotexit=10";
        let (got, e, c) = lt(&["-jv", o, "raytrace.lua", "400"], &dir);
        assert_eq!(c, 0, "{}: {}", o, e);
        assert_eq!(got, want, "{}", o);
        assert!(e.contains(" -> "), "{}: no linked side trace:\n{}", o, e);
    }
}

/// The machine code limits: a trace longer than `sizemcode` KB aborts
/// ("machine code too long"); reaching `maxmcode` KB flushes every trace
/// ("failed to allocate mcode memory") and the JIT starts over, compiling
/// again. Results stay the interpreter's.
#[test]
fn machine_code_limits_abort_and_flush() {
    let dir = common::dir("lua");
    let script = "jit_hrefk_resize.lua";
    let want = common::read_expected(&dir.join(script));
    let (o, e, c) = lt(&["-jv", "-Ohotloop=2,hotexit=2,maxmcode=6", script], &dir);
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    assert!(e.contains("-- failed to allocate mcode memory at"), "{}", e);
    let flush = e.find("[TRACE flush]").expect("no flush");
    assert!(
        e[flush..].contains("[TRACE   1 "),
        "nothing compiled after the flush:\n{}",
        e
    );
    let (o, e, c) = lt(&["-jv", "-Ohotloop=2,hotexit=2,sizemcode=1", script], &dir);
    assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}", e);
    assert!(e.contains("-- machine code too long at"), "{}", e);
    assert!(!e.contains("[TRACE   1 "), "a trace was kept:\n{}", e);
}

/// A return from the trace's base frame with closures still holding its
/// locals stores the locals and closes the upvalues (no "NYI: return
/// with open upvalues" abort); the closures see the last values.
#[test]
fn returns_with_open_upvalues_close_them() {
    let dir = common::dir("lua");
    let script = "jit_return_open_upvalues.lua";
    let (o, e, c) = lt(&["-jv", "-Ohotloop=2,hotexit=1", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    assert!(!e.contains("open upvalues"), "{}", e);
    for l in [":7 loop]", ":27 loop]"] {
        assert!(e.contains(l), "no trace {}:\n{}", l, e);
    }
    // The side trace from the first loop's exit returns (closing `c`)
    // and goes on in the caller.
    assert!(e.contains(":16 -> 1]"), "{}", e);
}

/// An aborted side-trace recording names its parent trace and exit, as
/// LuaJIT's `-jv` does (`[TRACE --- (7/9) file:line -- reason at ...]`),
/// and a hot exit left without a side trace says why in the exit stats.
#[test]
fn side_trace_aborts_name_their_parent_exit() {
    let dir = common::dir("lua");
    let script = "jit_arith_string.lua";
    // (Without side loops: with them, the string's exit goes back to the
    // loop's start and the loop ends, in the pcall, before a side trace.)
    let (o, e, c) = lt(&["-jv", "-Ohotloop=2,hotexit=1,-sideloop", script], &dir);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, common::read_expected(&dir.join(script)));
    let line = e
        .lines()
        .find(|l| l.starts_with("[TRACE --- ("))
        .unwrap_or_else(|| panic!("no side trace abort:\n{}", e));
    let (p, x) = line["[TRACE --- (".len()..]
        .split_once(')')
        .and_then(|(pe, _)| pe.split_once('/'))
        .unwrap_or_else(|| panic!("{}", line));
    assert!(
        p.parse::<u32>().is_ok() && x.parse::<u32>().is_ok(),
        "{}",
        line
    );
    let (_, e, _) = lt_env(
        &["-jv", "-Ohotloop=2,hotexit=2,maxside=1", "jit_loop_hop.lua"],
        &dir,
        &[("LUNATRACE_EXITSTATS", "1")],
    );
    assert!(
        e.contains("(no side trace: the root trace has maxside side traces)"),
        "{}",
        e
    );
}

/// Loop regions (`ir/region_loop.rs`): side traces of a loop body's exits
/// continue in the body where nothing they did invalidates it (the
/// region dump of the dev aid `LT_DBG_REGION` says which), with the
/// interpreter's results, also for the shapes that must not continue
/// there (the script's cases 2 to 7).
#[test]
fn loop_side_traces_continue_in_the_loop_body() {
    let dir = common::dir("lua");
    let script = "jit_loop_region.lua";
    let want = common::read_expected(&dir.join(script));
    for opts in ["-Ohotloop=1,hotexit=1", "-Ohotloop=2,hotexit=2"] {
        let (o, e, _) = lt_env(&[opts, script], &dir, &[("LT_DBG_REGION", "1")]);
        assert_eq!(o, want, "{}\n{}", opts, e);
        assert!(
            e.lines()
                .any(|l| l.starts_with("region reenter") && l.contains("true")),
            "{}: no side trace continues in a loop body:\n{}",
            opts,
            e
        );
        // Without loop regions: the same results, no such region.
        same_with(&dir, opts, "-loopregion", script, &want);
        // With the mid-entry: a body exit's side trace took values of
        // the pre-roll that the mid-entry bypasses (Cranelift's egraph
        // assertion in release builds, the verifier's "non-dominating"
        // error in debug ones).
        same_with(&dir, opts, "+midentry", script, &want);
    }
}

/// Copies of a loop region's root (`jit_loop_copy.lua`): the outer
/// loop's side trace that re-enters a short inner loop continues in a
/// copy of the inner loop's root that takes the slots it wrote from
/// registers (`region_loop::start_copies`; `LT_DBG_REGION` says which
/// traces get one); results equal the interpreter's, also where those
/// slots change type or table, and without loop regions.
#[test]
fn outer_side_traces_continue_in_a_copy_of_the_inner_loop() {
    let dir = common::dir("lua");
    let script = "jit_loop_copy.lua";
    let want = common::read_expected(&dir.join(script));
    for opts in ["-Ohotloop=1,hotexit=1", "-Ohotloop=2,hotexit=2"] {
        let (o, e, _) = lt_env(&[opts, script], &dir, &[("LT_DBG_REGION", "1")]);
        assert_eq!(o, want, "{}\n{}", opts, e);
        assert!(
            e.lines().any(|l| l.starts_with("region reenter")
                && l.split("copies").nth(1).is_some_and(|c| c.contains("true"))),
            "{}: no region copies its root:\n{}",
            opts,
            e
        );
        same_with(&dir, opts, "-loopregion", script, &want);
        same_with(&dir, opts, "-rootcopy", script, &want);
    }
    same_as_expected(script, &["-joff", "-Ohotloop=1,hotexit=1,async=0"]);
}

/// Inner loops with a low trip count in a root trace
/// (`jit_inner_loop_left.lua`): once an inner loop's own recordings leave
/// it, the outer loop's trace unrolls it instead of aborting ("inner loop
/// in root trace"), so the outer loops of the scanner, the `repeat` and
/// the growing `while` compile; results equal the interpreter's when the
/// inner loops later run longer.
#[test]
fn root_traces_unroll_inner_loops_that_leave() {
    let dir = common::dir("lua");
    let script = "jit_inner_loop_left.lua";
    let want = common::read_expected(&dir.join(script));
    for mode in ["-Ohotloop=1", "-Ohotloop=5,hotexit=2"] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", mode, e);
        for line in [16, 31, 73] {
            let l = format!(" jit_inner_loop_left.lua:{} loop]", line);
            assert!(e.contains(&l), "{}: no root trace at{}:\n{}", mode, l, e);
        }
    }
}

/// The loop root's mid-entry (`jit_loop_mid.lua`): side traces of the
/// pre-roll's exits (a root recorded on a rare path) continue in the loop
/// body through the mid-entry (the invariants run again), also when they
/// replace a table the body reads, store into its array or grow it: some
/// region has a trace that may not jump to the body directly but may
/// through the mid-entry (`LT_DBG_REGION`; flag `midentry`, off by
/// default); results equal the interpreter's, and without loop regions.
#[test]
fn loop_side_traces_continue_through_the_mid_entry() {
    let dir = common::dir("lua");
    let script = "jit_loop_mid.lua";
    let want = common::read_expected(&dir.join(script));
    let lists = |l: &str| -> Vec<Vec<bool>> {
        l.split('[')
            .skip(1)
            .map(|p| {
                p.split(']')
                    .next()
                    .unwrap_or("")
                    .split(", ")
                    .map(|b| b.trim() == "true")
                    .collect()
            })
            .collect()
    };
    for opts in [
        "-Ohotloop=1,hotexit=1,+midentry",
        "-Ohotloop=5,hotexit=2,+midentry",
    ] {
        let (o, e, _) = lt_env(&[opts, script], &dir, &[("LT_DBG_REGION", "1")]);
        assert_eq!(o, want, "{}\n{}", opts, e);
        let mid_only = e
            .lines()
            .filter(|l| l.starts_with("region reenter"))
            .any(|l| {
                let v = lists(l);
                v.len() >= 3 && (0..v[0].len()).any(|k| !v[0][k] && v[2].get(k) == Some(&true))
            });
        assert!(
            mid_only,
            "{}: no trace continues through the mid-entry:\n{}",
            opts, e
        );
        same_with(&dir, opts, "-loopregion", script, &want);
    }
}

/// A side trace from an exit at a MULTRES consumer
/// (`jit_multres_side.lua`): the continuation after a stitched native
/// call starts at the CALLM taking its results; when its callee guard
/// fails there, the side trace starts with the values the call left
/// instead of aborting ("multiple results from here"). Results equal the
/// interpreter's.
#[test]
fn side_traces_start_at_multres_consumers() {
    let dir = common::dir("lua");
    let script = "jit_multres_side.lua";
    let want = common::read_expected(&dir.join(script));
    for mode in ["-Ohotloop=1,hotexit=1", "-Ohotloop=5,hotexit=2"] {
        let (o, e, c) = lt(&["-jv", mode, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", mode, e);
        assert!(!e.contains("multiple results"), "{}: {}", mode, e);
        for l in [
            "(2/0) jit_multres_side.lua:16 ",
            "(3/0) jit_multres_side.lua:18 ",
        ] {
            assert!(e.contains(l), "{}: no side trace {}:\n{}", mode, l, e);
        }
    }
}

/// A side trace whose first instruction is a return into a native caller
/// (`jit_return_first.lua`: a loop in `gsub`'s replacement function)
/// would be empty: its exit goes on in the interpreter, recorded once and
/// not retried, and exit stats say so; results equal the interpreter's.
#[test]
fn returns_into_native_callers_end_in_the_interpreter() {
    let dir = common::dir("lua");
    let script = "jit_return_first.lua";
    let want = common::read_expected(&dir.join(script));
    let (o, e, _) = lt_env(
        &["-jv", "-Ohotloop=5,hotexit=2", script],
        &dir,
        &[("LUNATRACE_EXITSTATS", "1")],
    );
    assert_eq!(o, want, "{}", e);
    assert!(!e.contains("TRACE ---"), "{}", e);
    assert!(
        e.lines()
            .any(|l| l.starts_with("[TRACE exit 1/0 ") && l.contains("(no side trace")),
        "{}",
        e
    );
}

/// `-Ominstitch` (LuaJIT's parameter): a trace shorter than it does not
/// end at a stitched native call but aborts ("trace too short"); by
/// default (0) the loop around `reverse` stitches. Results are the same.
#[test]
fn minstitch_aborts_short_stitched_traces() {
    let dir = common::dir("lua");
    let src = "local s = 0 for i = 1, 300 do s = s + #(('ab'):reverse()) end print(s)";
    let (o, e, _) = lt(&["-jv", "-Ohotloop=5", "-e", src], &dir);
    assert_eq!(o, "600\n", "{}", e);
    assert!(e.contains(":1 stitch string.reverse]"), "{}", e);
    let (o, e, _) = lt(&["-jv", "-Ohotloop=5,minstitch=1000", "-e", src], &dir);
    assert_eq!(o, "600\n", "{}", e);
    assert!(e.contains("-- trace too short"), "{}", e);
    assert!(!e.contains("stitch string.reverse]"), "{}", e);
}

/// A count-only debug hook (`debug.sethook(f, "", n)`, the embedding
/// API's interrupt) leaves the JIT on: loops record and run compiled,
/// their traces polling the hook's countdown (IR `POLL`), so the hook
/// stops a compiled endless loop; the first such hook flushes the
/// traces compiled without polls. Line hooks keep every instruction
/// interpreted (no trace).
#[test]
fn count_hooks_run_in_compiled_loops() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-counthook-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local t = 0\n\
         for i = 1, 1000 do t = t + i end\n\
         local n = 0\n\
         debug.sethook(function() n = n + 1 if n > 50 then error('stop') end end, '', 1000)\n\
         local s = 0\n\
         print(pcall(function() while true do s = s + 1 end end))\n\
         print(n, s > 10000)\n\
         debug.sethook(function() n = n + 1 end, 'l')\n\
         for i = 1, 1000 do t = t + i end\n\
         debug.sethook()\n\
         print(t)\n",
    )
    .unwrap();
    let (o, e, c) = lt(&["-jv", "-Ohotloop=10", f.to_str().unwrap()], &dir);
    let name = f.to_str().unwrap();
    assert_eq!(
        (o.as_str(), c),
        (
            format!("false\t{}:4: stop\n51\ttrue\n1001000\n", name).as_str(),
            0
        ),
        "{}",
        e
    );
    let traces: Vec<&str> = e.lines().filter(|l| l.starts_with("[TRACE ")).collect();
    // The first loop's trace, the flush at the first count hook, the
    // endless loop's trace; none for the loop under the line hook.
    assert!(traces.len() >= 3, "{}", e);
    assert!(traces[0].ends_with(":2 loop]"), "{}", e);
    assert_eq!(traces[1], "[TRACE flush]", "{}", e);
    assert!(traces[2].ends_with(":6 loop]"), "{}", e);
    assert!(!e.contains(":9 loop]"), "{}", e);
}

/// Every JIT corpus script (`tests/lua/jit_*.lua`) gives its expected
/// output with a count hook that stops nothing set from the start
/// (`-e`): traces compiled with polls (hot at once), exits at polls
/// every 97 instructions' worth of trace, hooks called at MULTRES
/// consumers, none of it changes a result.
#[test]
fn count_hook_changes_no_jit_result() {
    for script in jit_corpus() {
        let want = common::read_expected(&script);
        let (out, _) = common::run(
            common::exe(),
            &["-Ohotloop=1", "-e", "debug.sethook(function() end, '', 97)"],
            &script,
        );
        assert_eq!(out, want, "{}", script.display());
    }
}

/// Hooks called where values lie above the frame keep them: the count
/// hook at a MULTRES consumer (`select('#', ...)` of a VARG) and the
/// return hook at `return ...`.
#[test]
fn hooks_keep_values_above_the_frame() {
    let dir = std::env::temp_dir();
    let f = dir.join(format!("lt-hookmultres-{}.lua", std::process::id()));
    std::fs::write(
        &f,
        "local function g(...) return ... end\n\
         local function n(...) return select('#', ...) end\n\
         debug.sethook(function() local a, b, c, d = 1, 2, 3, 4 end, 'r')\n\
         local t = {g(1, 2, 3, 4, 5, 6, 7, 8)}\n\
         debug.sethook(function() local a, b, c, d = 1, 2, 3, 4 end, '', 1)\n\
         local u = {g(1, 2, 3, 4, 5, 6, 7, 8)}\n\
         local k = n(1, 2, 3, 4, 5, 6, 7, 8, 9, 10)\n\
         debug.sethook()\n\
         print(table.concat(t, ','), table.concat(u, ','), k)\n",
    )
    .unwrap();
    let (o, e, c) = lt(&["-joff", f.to_str().unwrap()], &dir);
    assert_eq!(
        (o.as_str(), c),
        ("1,2,3,4,5,6,7,8\t1,2,3,4,5,6,7,8\t10\n", 0),
        "{}",
        e
    );
}

/// Every hot exit without a side trace says why (`Refusal` in the exit
/// statistics of `-jv` with `LUNATRACE_EXITSTATS`): over the JIT corpus
/// with side traces forced, no exit taken `hotexit` times or more is left
/// unlinked without a reason.
#[test]
fn hot_exits_without_side_traces_say_why() {
    let dir = common::dir("lua");
    let mut seen = 0;
    for p in jit_corpus() {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let (_, e, _) = lt_env(
            &["-jv", "-Ohotloop=1,hotexit=1,maxside=2", &name],
            &dir,
            &[("LUNATRACE_EXITSTATS", "1")],
        );
        for l in e.lines().filter(|l| l.starts_with("[TRACE exit ")) {
            assert!(!l.ends_with("(no side trace)]"), "{}: {}", name, l);
            if l.contains("(no side trace: ") {
                seen += 1;
            }
        }
    }
    // (maxside=2 leaves hot exits of the larger trees without one.)
    assert!(seen > 0, "no refused exit in the corpus");
}

/// `string.format` with a constant format compiles to `SFMT` for the
/// integer, unsigned, hex, octal, string and float directives, with the
/// interpreter's results (`%.0d` of 0 is empty, `%#05x` is `0x00a`):
/// every one of the script's 42 formats runs in a loop of its own.
#[test]
fn constant_formats_compile_with_the_interpreters_results() {
    let dir = common::dir("lua");
    let script = "jit_format_consts.lua";
    same_as_expected(script, &["-joff", "-Ohotloop=1", "-Ohotloop=1,hotexit=1"]);
    let (_, dump, c) = lt(&["-jdump=i", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", dump);
    let sfmt = dump.lines().filter(|l| l.contains(" SFMT ")).count();
    assert!(sfmt >= 42, "{} SFMT:\n{}", sfmt, dump);
}

/// A loop root trace recorded in a warm-up path its loop then never takes
/// fails in its first iteration on nearly every entry: the loop is
/// recorded again (a second root at the same line), the exit statistics
/// say why, and the results are the interpreter's.
#[test]
fn loops_recorded_on_a_rare_path_are_recorded_again() {
    let dir = common::dir("lua");
    let script = "jit_rerecord.lua";
    let want = common::read_expected(&dir.join(script));
    for opts in ["-joff", "-Ohotloop=1,hotexit=1", "-Obudget=0"] {
        let (o, e, c) = lt(&[opts, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", opts, e);
    }
    // (No compile budget: the second recording is not put off.)
    let (_, e, c) = lt_env(
        &["-jv", "-Obudget=0", script],
        &dir,
        &[("LUNATRACE_EXITSTATS", "1")],
    );
    assert_eq!(c, 0, "{}", e);
    let roots = e
        .lines()
        .filter(|l| l.starts_with("[TRACE ") && l.contains(" jit_rerecord.lua:7 loop]"))
        .count();
    assert_eq!(roots, 2, "{}", e);
    assert!(e.contains("the loop was recorded again)]"), "{}", e);
    // The inner loop's root completed runs before the others failed.
    let inner = e
        .lines()
        .filter(|l| l.starts_with("[TRACE ") && l.contains(" jit_rerecord.lua:22 loop]"))
        .count();
    assert_eq!(inner, 1, "{}", e);
}

/// A side trace loads the slots its parent's exit wrote, or checked and
/// left, without a type check (`SLOAD` flags `sload_typed`, `-jdump`
/// shows them as the number): numbers, strings and tables cross the
/// exit in `jit_parent_types.lua`, whose results are the interpreter's
/// also where a side trace returns below its base or slot types change
/// between iterations.
#[test]
fn side_traces_know_their_parents_slot_types() {
    use lunatrace_ir::{sload_typed, Ty};
    let dir = common::dir("lua");
    let script = "jit_parent_types.lua";
    let want = common::read_expected(&dir.join(script));
    for opts in ["-Ohotloop=1,hotexit=1", "-Ohotloop=1,hotexit=1,-region"] {
        let (o, e, c) = lt(&[opts, script], &dir);
        assert_eq!((o.as_str(), c), (want.as_str(), 0), "{}: {}", opts, e);
    }
    // (The dump goes to stderr.)
    let (_, dump, c) = lt(&["-jdump", "-Ohotloop=1,hotexit=1", script], &dir);
    assert_eq!(c, 0, "{}", dump);
    for ty in [Ty::Num, Ty::Str, Ty::Tab] {
        let flag = format!(" #{}", sload_typed(ty));
        assert!(
            dump.lines()
                .any(|l| l.contains(" SLOAD ") && l.trim_end().ends_with(&flag)),
            "no typed SLOAD of {:?}:\n{}",
            ty,
            dump
        );
    }
}

/// Array slots an iteration stored or loaded and the next reads are
/// carried in registers (`carry`): the stencil, prefix-sum, backwards,
/// step-2 and call cases, fields of a loop-invariant table and a fixed
/// array slot compile with carried values, the aliasing and growing
/// ones keep their loads, and every mode prints the
/// interpreter's results (expected output from luajit).
#[test]
fn array_values_carried_across_iterations_keep_the_interpreters_results() {
    let dir = common::dir("lua");
    let script = "jit_carry.lua";
    same_as_expected(
        script,
        &[
            "-joff",
            "-Ohotloop=1",
            "-Ohotloop=1,hotexit=1",
            "-Ohotloop=1,-carry",
        ],
    );
    let (_, dump, c) = lt(&["-jdump=i", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", dump);
    // The traces starting at each loop line, with their carried values.
    let mut carried: Vec<(String, usize)> = Vec::new();
    for l in dump.lines() {
        if l.starts_with("---- TRACE ") && l.contains(" start ") {
            let at = l.rsplit(' ').next().unwrap_or("").to_string();
            carried.push((at, 0));
        } else if l.contains(" LREF ") && l.contains("#1048") {
            if let Some(last) = carried.last_mut() {
                last.1 += 1;
            }
        }
    }
    let at = |line: u32| {
        carried
            .iter()
            .filter(|c| c.0 == format!("jit_carry.lua:{}", line))
            .map(|c| c.1)
            .max()
            .unwrap_or(0)
    };
    // stencil (G[j-1] and G[j]), prefix, suffix, step 2, the call;
    // two fields, a fixed array slot.
    assert_eq!(at(22), 2, "{:?}", carried);
    assert_eq!(at(135), 2, "{:?}", carried);
    for line in [32, 40, 48, 107, 144] {
        assert_eq!(at(line), 1, "line {}: {:?}", line, carried);
    }
    // Through another name, and with the array growing: loads stay.
    // (Both loops compile: a root starts at each.)
    for line in [57, 93, 151] {
        assert!(
            carried
                .iter()
                .any(|c| c.0 == format!("jit_carry.lua:{}", line)),
            "{:?}",
            carried
        );
        assert_eq!(at(line), 0, "line {}: {:?}", line, carried);
    }
    let (_, dump, _) = lt(&["-jdump=i", "-Ohotloop=1,-carry", script], &dir);
    assert!(!dump.contains("LREF    #1048"), "-carry: {}", dump);
}

/// A method lookup (`o:step()`, found through the metatable) in a loop
/// that stores another field of the object is made once, before the
/// loop body (a store into another key's entry changes no lookup), and
/// the loops that shadow, replace or swap the method keep the
/// interpreter's results.
#[test]
fn method_lookups_leave_loops_that_store_other_fields() {
    let dir = common::dir("lua");
    let script = "jit_method_lookup.lua";
    same_as_expected(script, &["-joff", "-Ohotloop=1", "-Ohotloop=1,hotexit=1"]);
    let (_, dump, c) = lt(&["-jdump=i", "-Ohotloop=1", script], &dir);
    assert_eq!(c, 0, "{}", dump);
    let trace = dump
        .split("---- TRACE ")
        .find(|t| t.contains(" start jit_method_lookup.lua:14\n"))
        .unwrap_or_else(|| panic!("no trace of plain's loop: {}", dump));
    let ir = trace.split(" stop ").next().unwrap();
    let (pre, body) = ir.split_once(" LOOP ").expect("a peeled loop");
    assert_eq!(pre.matches(" HGETS ").count(), 1, "{}", ir);
    assert_eq!(body.matches(" HGETS ").count(), 0, "{}", ir);
}
