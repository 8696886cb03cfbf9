//! The command line behaves like luajit's: options, `arg`, stdin, exit
//! codes, error reports with tracebacks, the REPL.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// Run lunatrace with `args`, feeding `stdin`; returns (stdout, stderr, code).
fn lt(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> (String, String, i32) {
    let mut c = Command::new(common::exe());
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("LUA_INIT")
        .env_remove("LUA_PATH")
        .env_remove("LUA_CPATH");
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c.spawn().expect("spawn lunatrace");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn tmp_script(name: &str, body: &str) -> String {
    let p = std::env::temp_dir().join(format!("lunatrace-cli-{}-{}", std::process::id(), name));
    std::fs::write(&p, body).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn dash_e_runs_chunks_in_order() {
    let (o, _, c) = lt(&["-e", "x = 2", "-e", "print(x * 21)"], "", &[]);
    assert_eq!((o.as_str(), c), ("42\n", 0));
}

#[test]
fn version_flag() {
    let (o, _, c) = lt(&["-v"], "", &[]);
    assert!(o.starts_with("Lunatrace "), "{}", o);
    assert_eq!(c, 0);
}

#[test]
fn script_args_and_negative_indices() {
    let s = tmp_script(
        "args.lua",
        "print(#arg, arg[0] ~= nil, arg[1], arg[2], arg[-1], ...)",
    );
    let (o, _, c) = lt(&["-joff", &s, "a", "b"], "", &[]);
    assert_eq!(o, "2\ttrue\ta\tb\t-joff\ta\tb\n");
    assert_eq!(c, 0);
}

#[test]
fn stdin_script_with_dash() {
    let (o, _, c) = lt(&["-", "x"], "print('from stdin', ...)", &[]);
    assert_eq!((o.as_str(), c), ("from stdin\tx\n", 0));
}

#[test]
fn non_tty_stdin_runs_as_script() {
    let (o, _, c) = lt(&[], "print(1 + 1)", &[]);
    assert_eq!((o.as_str(), c), ("2\n", 0));
}

#[test]
fn double_dash_stops_options() {
    let s = tmp_script("dd.lua", "print(arg[1])");
    let (o, _, _) = lt(&["--", &s, "-e"], "", &[]);
    assert_eq!(o, "-e\n");
}

#[test]
fn uncaught_error_reports_with_traceback_and_exit_1() {
    let s = tmp_script("err.lua", "local function f()\n  error('boom')\nend\nf()\n");
    let (_, e, c) = lt(&[&s], "", &[]);
    assert_eq!(c, 1);
    let first = e.lines().next().unwrap();
    assert!(
        first.starts_with("lunatrace: ") && first.ends_with(":2: boom"),
        "{}",
        e
    );
    assert!(e.contains("stack traceback:"), "{}", e);
    assert!(
        e.contains("in function 'f'") || e.contains("in local 'f'"),
        "{}",
        e
    );
}

#[test]
fn syntax_error_message_like_luajit() {
    let s = tmp_script("syn.lua", "local a = 1\n\nlocal x x y\n");
    let (_, e, c) = lt(&[&s], "", &[]);
    assert_eq!(c, 1);
    assert!(e.trim_end().ends_with(":3: '=' expected near 'y'"), "{}", e);
}

#[test]
fn missing_script_file() {
    let (_, e, c) = lt(&["/nonexistent/dir/x.lua"], "", &[]);
    assert_eq!(c, 1);
    assert!(e.contains("cannot open /nonexistent/dir/x.lua"), "{}", e);
}

/// As luajit: a non-string error object without `__tostring` is reported
/// as "(error object is not a string)", one with `__tostring` by its text
/// and a traceback, and a nil error object not at all (status 1 always).
#[test]
fn non_string_error_object() {
    let (_, e, c) = lt(&["-e", "error({})"], "", &[]);
    assert_eq!(c, 1);
    assert_eq!(e, "lunatrace: (error object is not a string)\n");
    let (_, e, c) = lt(&["-e", "error(true)"], "", &[]);
    assert_eq!(
        (e.as_str(), c),
        ("lunatrace: (error object is not a string)\n", 1)
    );
    let (o, e, c) = lt(&["-e", "print(1) error()"], "", &[]);
    assert_eq!((o.as_str(), e.as_str(), c), ("1\n", "", 1));
    let (_, e, c) = lt(
        &[
            "-e",
            "error(setmetatable({}, {__tostring = function() return 'TS' end}))",
        ],
        "",
        &[],
    );
    assert_eq!(c, 1);
    assert!(e.starts_with("lunatrace: TS\nstack traceback:\n"), "{}", e);
    assert!(e.contains("in function 'error'"), "{}", e);
}

#[test]
fn lua_init_runs_first_unless_dash_capital_e() {
    let (o, _, _) = lt(&["-e", "print(y)"], "", &[("LUA_INIT", "y = 'init'")]);
    assert_eq!(o, "init\n");
    let (o, _, _) = lt(&["-E", "-e", "print(y)"], "", &[("LUA_INIT", "y = 'init'")]);
    assert_eq!(o, "nil\n");
    let f = tmp_script("init.lua", "z = 5");
    let at = format!("@{}", f);
    let (o, _, _) = lt(&["-e", "print(z)"], "", &[("LUA_INIT", &at)]);
    assert_eq!(o, "5\n");
}

#[test]
fn dash_l_requires_module_from_lua_path() {
    let dir = std::env::temp_dir().join(format!("lunatrace-cli-mod-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mymod.lua"), "mymod_loaded = ... return {v = 7}").unwrap();
    let path = format!("{}/?.lua", dir.display());
    let (o, e, c) = lt(
        &[
            "-l",
            "mymod",
            "-e",
            "print(mymod_loaded, package.loaded.mymod.v)",
        ],
        "",
        &[("LUA_PATH", &path)],
    );
    assert_eq!((o.as_str(), c), ("mymod\t7\n", 0), "{}", e);
}

#[test]
fn repl_prints_values_and_survives_errors() {
    let (o, e, c) = lt(
        &["-i"],
        "= 1 + 2\nerror('x')\nprint('after')\nt = {\n 5 }\nprint(#t)\n",
        &[],
    );
    assert_eq!(c, 0);
    assert!(o.contains("3\n"), "{}", o);
    assert!(o.contains("after\n"), "{}", o);
    assert!(o.contains("1\n"), "multi-line input continues: {}", o);
    assert!(e.contains("x"), "{}", e);
}

#[test]
fn jit_options_are_accepted() {
    for args in [
        ["-joff", "-e"],
        ["-jon", "-e"],
        ["-O3", "-e"],
        ["-Ohotloop=1", "-e"],
    ] {
        let (o, e, c) = lt(&[args[0], args[1], "print('ok')"], "", &[]);
        assert_eq!((o.as_str(), c), ("ok\n", 0), "{:?}: {}", args, e);
    }
}

#[test]
fn unknown_option_prints_usage() {
    let (_, e, c) = lt(&["-Z"], "", &[]);
    assert_eq!(c, 1);
    assert!(e.contains("usage:"), "{}", e);
}

/// The help lists which `-O` flags and parameters are reserved (accepted,
/// no effect), and every one of them is accepted.
#[test]
fn reserved_optimisation_options_are_documented_and_accepted() {
    let (_, e, c) = lt(&["-h"], "", &[]);
    assert_eq!(c, 1);
    let reserved_flags = ["fuse"];
    let reserved_params = ["instunroll"];
    let flags_line = e
        .lines()
        .find(|l| l.contains("Reserved flags:"))
        .unwrap_or("");
    // Flags that became passes are listed as in effect (and still taken).
    let effect_line = e
        .lines()
        .skip_while(|l| !l.contains("Flags in effect:"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    for f in ["dse", "abc"] {
        assert!(effect_line.contains(f), "{} not in effect:\n{}", f, e);
        assert!(!flags_line.contains(f), "{} still reserved:\n{}", f, e);
        let (o, err, c) = lt(&[&format!("-O-{}", f), "-e", "print(1)"], "", &[]);
        assert_eq!((o.as_str(), c), ("1\n", 0), "{}: {}", f, err);
    }
    let params_line = e
        .lines()
        .skip_while(|l| !l.contains("Reserved params:"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    for f in reserved_flags {
        assert!(flags_line.contains(f), "{} not listed:\n{}", f, e);
        for opt in [format!("-O+{}", f), format!("-O-{}", f), format!("-O{}", f)] {
            let (o, err, c) = lt(&[&opt, "-e", "print(1)"], "", &[]);
            assert_eq!((o.as_str(), c), ("1\n", 0), "{}: {}", opt, err);
        }
    }
    for p in reserved_params {
        assert!(params_line.contains(p), "{} not listed:\n{}", p, e);
        let opt = format!("-O{}=7", p);
        let (o, err, c) = lt(&[&opt, "-e", "print(1)"], "", &[]);
        assert_eq!((o.as_str(), c), ("1\n", 0), "{}: {}", opt, err);
    }
    let (o, _, c) = lt(
        &["-e", "jit.opt.start('+fwd', 'maxmcode=1') print(2)"],
        "",
        &[],
    );
    assert_eq!((o.as_str(), c), ("2\n", 0));
}

#[test]
fn os_exit_codes_and_flush() {
    let (o, _, c) = lt(&["-e", "io.write('buffered') os.exit(3)"], "", &[]);
    assert_eq!((o.as_str(), c), ("buffered", 3));
    let (_, _, c) = lt(&["-e", "os.exit(false)"], "", &[]);
    assert_eq!(c, 1);
    let (_, _, c) = lt(&["-e", "os.exit(true)"], "", &[]);
    assert_eq!(c, 0);
}

/// `os.exit` ends the run through the same finish as a normal end: the
/// `-jv` statistics line and the `-jisa` summaries are printed, and the
/// exit status (numbers, `true`, `false`) is kept.
#[test]
fn os_exit_prints_the_jit_report() {
    let body = "local s = 0 for i = 1, 200 do s = s + i end io.write(s, ' ')";
    for (exit, want) in [
        ("os.exit(3)", 3),
        ("os.exit(0)", 0),
        ("os.exit(true)", 0),
        ("os.exit(false)", 1),
        ("os.exit(7, true)", 7),
        ("", 0),
    ] {
        let chunk = format!("{} {}", body, exit);
        let (o, e, c) = lt(&["-jv", "-Ohotloop=1", "-e", &chunk], "", &[]);
        assert_eq!((o.as_str(), c), ("20100 ", want), "{}", exit);
        let stats: Vec<&str> = e
            .lines()
            .filter(|l| l.starts_with("[TRACE stats: "))
            .collect();
        assert_eq!(stats.len(), 1, "{}: {}", exit, e);
        if cfg!(feature = "jit") {
            assert!(
                stats[0].starts_with("[TRACE stats: 1 traces"),
                "{}: {}",
                exit,
                e
            );
            let (_, e, c) = lt(&["-jisa=aarch64", "-Ohotloop=1", "-e", &chunk], "", &[]);
            assert_eq!(c, want, "{}", exit);
            assert!(
                e.contains("[ISA aarch64: 1 traces compiled"),
                "{}: {}",
                exit,
                e
            );
        }
    }
    // Without -jv/-jisa, nothing is printed.
    let (_, e, c) = lt(&["-e", "os.exit(2)"], "", &[]);
    assert_eq!((e.as_str(), c), ("", 2));
}

#[test]
fn runaway_recursion_is_a_clean_error() {
    let (_, e, c) = lt(
        &["-e", "local function f() return 1 + f() end f()"],
        "",
        &[],
    );
    assert_eq!(c, 1);
    assert!(e.contains("stack overflow"), "{}", e);
}

/// `-M mb` limits the heap (luajit has no such option): a program whose
/// live data passes it gets the catchable "not enough memory", interpreted
/// and compiled, and goes on; under the limit the same program runs; a bad
/// value prints the usage.
#[test]
fn memory_limit_option() {
    let prog = "local ok, e = pcall(function() local t = {} \
                for i = 1, 1e7 do t[i] = {i} end end) \
                print(ok, e) local s = 0 for i = 1, 1000 do s = s + #tostring(i) end print(s)";
    for mode in ["-joff", "-Ohotloop=1"] {
        for m in [&["-M", "16"][..], &["-M16"][..]] {
            let mut args = m.to_vec();
            args.extend([mode, "-e", prog]);
            let (o, e, c) = lt(&args, "", &[]);
            assert_eq!(
                (o.as_str(), c),
                ("false\tnot enough memory\n2893\n", 0),
                "{:?}: {}",
                args,
                e
            );
        }
        // A hundred thousand small tables fit in 1000 MB.
        let small = prog.replace("1e7", "1e5");
        let (o, e, c) = lt(&["-M", "1000", mode, "-e", &small], "", &[]);
        assert_eq!((o.as_str(), c), ("true\tnil\n2893\n", 0), "{}", e);
    }
    for bad in [&["-M"][..], &["-M", "x"], &["-M0"], &["-M", "-3"]] {
        let (o, e, c) = lt(bad, "", &[]);
        assert_eq!((o.as_str(), c), ("", 1), "{:?}", bad);
        assert!(
            e.contains("usage:") && e.contains("-M mb"),
            "{:?}: {}",
            bad,
            e
        );
    }
}

/// Wait for `child` at most `secs` seconds (killed after that: a hang
/// fails the test instead of blocking it).
fn wait_for(child: &mut std::process::Child, secs: u64) -> std::process::ExitStatus {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > std::time::Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("lunatrace did not end within {} s", secs);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Start `lunatrace args`, wait until it prints its first line, send it
/// SIGINT; (stderr, exit status).
fn interrupt_after_first_line(args: &[&str], delay_ms: u64) -> (String, std::process::ExitStatus) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(common::exe())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("LUA_INIT")
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    // (The loop runs now; the handler is installed before the chunk runs.)
    std::thread::sleep(std::time::Duration::from_millis(delay_ms));
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let st = wait_for(&mut child, 60);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (err, st)
}

/// Ctrl-C while a script runs: luajit's "interrupted!" error at the
/// running line, with a traceback, and exit status 1 (as
/// `luajit -joff script` prints it, the addresses of `[C]: at 0x...`
/// aside).
#[test]
fn sigint_interrupts_a_running_script() {
    let f = tmp_script(
        "sigint.lua",
        "local function spin()\n  while true do end\nend\nio.write('ready\\n') io.stdout:flush()\nspin()\n",
    );
    let (err, st) = interrupt_after_first_line(&["-joff", &f], 0);
    assert_eq!(st.code(), Some(1), "{}", err);
    let want = format!(
        "lunatrace: {f}:2: interrupted!\nstack traceback:\n\t{f}:2: in function 'spin'\n\t{f}:5: in main chunk\n\t[C]: at 0x...\n"
    );
    assert_eq!(common::no_addresses(&err), want);
    // A loop calling a function, with the JIT on and its traces compiled
    // (half a second after the start): compiled code is interrupted where
    // a trace exits to the interpreter (`vm/src/interrupt.rs`; here
    // `tostring`'s; a loop of linked traces that never exits is not, as in
    // LuaJIT).
    let f = tmp_script(
        "sigint2.lua",
        "local t = {}\nlocal function put(i) t[i % 100 + 1] = tostring(i) end\n\
         io.write('ready\\n') io.stdout:flush()\n\
         local i = 0\nwhile true do i = i + 1 put(i) if i % 3 == 0 then t[1] = {} end end\n",
    );
    let (err, st) = interrupt_after_first_line(&["-jon", &f], 500);
    assert_eq!(st.code(), Some(1), "{}", err);
    assert!(
        err.contains(": interrupted!\nstack traceback:\n"),
        "{}",
        err
    );
    assert!(
        common::no_addresses(&err).ends_with("in main chunk\n\t[C]: at 0x...\n"),
        "{}",
        err
    );
}

/// `lunatrace -e '...print...' | head -1` ends at once, killed by SIGPIPE
/// as luajit is (the shell shows status 141).
#[test]
fn closed_stdout_pipe_ends_the_process_by_sigpipe() {
    use std::io::BufRead;
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(common::exe())
        .args(["-e", "for i = 1, 1e7 do print(i) end"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line, "1\n");
    drop(out);
    let st = wait_for(&mut child, 60);
    assert_eq!(st.signal(), Some(13), "{:?}", st);
}

/// The REPL as luajit's (outputs read off `luajit -i` with the same
/// input): errors as `stdin:N: msg` with a traceback and no program name,
/// no automatic `return` (a bare expression is a syntax error, `=expr`
/// prints), `_PROMPT`/`_PROMPT2` (strings or numbers) replace the prompts,
/// end of input inside a statement ends the loop.
#[test]
fn repl_errors_and_prompts_like_luajit() {
    let input = "error('x')\nx = 5\nx\n1+1\nprint(x)\n\
                 _PROMPT = 'P> ' _PROMPT2 = 2\nfor i = 1, 2 do\nprint(i)\nend\n= x * 2\n= 1 +\n";
    let (o, e, c) = lt(&["-i"], input, &[]);
    assert_eq!(c, 0);
    let banner_end = o.find('\n').unwrap() + 1;
    assert_eq!(&o[banner_end..], "> > > >> > 5\n> P> 221\n2\nP> 10\nP> 2\n");
    assert_eq!(
        common::no_addresses(&e),
        "stdin:1: x\nstack traceback:\n\t[C]: in function 'error'\n\tstdin:1: in main chunk\n\t[C]: at 0x...\n\
         stdin:2: '=' expected near '1'\n"
    );
}

/// On a terminal (a pty made by util-linux's `script`), the REPL edits
/// lines and keeps a history (`readline` feature, rustyline): the up
/// arrow brings the last line back, Ctrl-A goes to the start of the line,
/// Ctrl-C drops the line being typed, `_PROMPT2` and errors as without a
/// terminal, Ctrl-D ends. (Keys are sent with pauses, so each reaches the
/// editor in raw mode rather than the terminal's own line discipline.)
#[test]
fn repl_edits_lines_and_keeps_history_on_a_terminal() {
    if !cfg!(feature = "readline") || !common::have("script") {
        eprintln!("skipped: no readline feature or no script(1)");
        return;
    }
    let keys = [
        "print(1+1)\\r",
        "\\033[A\\r",
        "rint(40+2)\\001p\\r",
        "x = 5 --\\003",
        "print(x)\\r",
        "_PROMPT2 = \"cont> \"\\r",
        "for i=1,2 do\\r",
        "print(i*10) end\\r",
        "error(\"boom\")\\r",
        "\\004",
    ];
    let mut sh = String::from("(sleep 0.5");
    for k in keys {
        sh.push_str(&format!("; printf '{}'; sleep 0.4", k));
    }
    sh.push_str(&format!(
        ") | script -qec '{}' /dev/null",
        common::exe().replace('\'', "'\\''")
    ));
    let out = Command::new("sh")
        .arg("-c")
        .arg(&sh)
        .env("TERM", "xterm")
        .output()
        .unwrap();
    let o = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(out.status.success(), "{:?}\n{}", out.status, o);
    // The results, in order, each on its own line.
    let lines: Vec<&str> = o.lines().collect();
    let results: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| matches!(*l, "2" | "42" | "nil" | "5" | "10" | "20"))
        .collect();
    assert_eq!(results, ["2", "2", "42", "nil", "10", "20"], "{}", o);
    assert!(o.contains("cont> "), "{}", o);
    assert!(o.contains("stdin:1: boom\nstack traceback:"), "{}", o);
}

/// Lines with NUL bytes are read whole (`io.lines`, `io.read('*l')`,
/// `file:lines`, `*L`), from stdin and from a file. (Debian's luajit
/// 2.1.0-beta3 reads with `fgets` and cuts a line at its first NUL,
/// dropping the bytes up to the end of what `fgets` read: `a\0b\nc\n`
/// reads as one line "ac". Lunatrace keeps the bytes, as PUC Lua 5.2+.)
#[test]
fn lines_with_nul_bytes_are_read_whole() {
    let (o, e, c) = lt(
        &["-e", "for l in io.lines() do io.write(#l, ' ') end print()"],
        "a\0b\nc\n",
        &[],
    );
    assert_eq!((o.as_str(), c), ("3 1 \n", 0), "{}", e);
    let data = std::env::temp_dir().join(format!("lt-nul-{}.txt", std::process::id()));
    std::fs::write(&data, b"a\0b\nc\0\0d\n\0\nlast\0").unwrap();
    let prog = format!(
        "local n = {:?}\n\
         for l in io.lines(n) do io.write(#l, ' ') end print()\n\
         local f = io.open(n)\n\
         print(f:read('*l') == 'a\\0b', f:read('*L') == 'c\\0\\0d\\n', #f:read('*l'))\n\
         for l in f:lines() do print(l == 'last\\0') end\n\
         f:close()\n\
         print(io.read('*l') == 'x\\0y', io.read('*l'))\n",
        data.to_str().unwrap()
    );
    let (o, e, c) = lt(&["-e", &prog], "x\0y\n", &[]);
    let _ = std::fs::remove_file(&data);
    assert_eq!(
        (o.as_str(), c),
        ("3 4 1 5 \ntrue\ttrue\t1\ntrue\ntrue\tnil\n", 0),
        "{}",
        e
    );
}
