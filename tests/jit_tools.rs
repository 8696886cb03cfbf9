//! The JIT's Lua tools, Lunatrace's own: `jit.attach` events for a hot
//! loop, `jit.v` and `jit.dump` (ours, from `package.preload`, the same
//! output as `-jv`/`-jdump`), `jit.bc` listings, the `-b` command line,
//! `jit.security`, and `package.path` without LuaJIT's directory.

mod common;

use std::path::PathBuf;
use std::process::Command;

fn lt(args: &[&str]) -> (String, String, i32) {
    let out = Command::new(common::exe())
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run lunatrace");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn script(name: &str, src: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("lt-tools-{}-{}.lua", name, std::process::id()));
    std::fs::write(&p, src).unwrap();
    p
}

#[test]
fn attach_sees_a_hot_loop_start_stop_and_exit() {
    let f = script(
        "attach",
        "local ev = {}\n\
         jit.attach(function(what, tr, func, pc, otr, oex)\n\
           ev[#ev + 1] = what .. ' ' .. tr .. ' ' .. type(func) .. ' ' .. tostring(otr)\n\
         end, 'trace')\n\
         local exits = 0\n\
         jit.attach(function(tr, ex) exits = exits + 1 end, 'texit')\n\
         local recorded = 0\n\
         jit.attach(function(tr, func, pc, depth) recorded = recorded + 1 end, 'record')\n\
         local s = 0\n\
         for i = 1, 300 do if i > 200 then s = s + 2 else s = s + 1 end end\n\
         jit.attach(print)\n\
         local h = ev\n\
         print(s, #ev > 0 and ev[1], ev[2])\n\
         print(exits > 0, recorded > 0)\n\
         jit.attach(function() error('boom') end, 'trace')\n\
         jit.attach(function(what) h[#h + 1] = 'late ' .. what end, 'trace')\n\
         local n0 = #h\n\
         jit.attach(h == ev and function() end or print)\n\
         for i = 1, 300 do s = s + i end\n\
         print(#h > n0)\n",
    );
    let (o, e, c) = lt(&["-Ohotloop=10,hotexit=5", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(
        lines[0], "400\tstart 1 function nil\tstop 1 function nil",
        "{}",
        o
    );
    assert_eq!(lines[1], "true\ttrue", "{}", o);
    // The second loop's events went to the last handler attached.
    assert_eq!(lines[2], "true", "{}", o);
}

#[test]
fn attach_detaches_and_reports_handler_errors() {
    let f = script(
        "detach",
        "local n = 0\n\
         local function h() n = n + 1 end\n\
         jit.attach(h, 'trace')\n\
         jit.attach(h)\n\
         local s = 0\n\
         for i = 1, 300 do s = s + i end\n\
         print(n)\n\
         jit.attach(function() error('boom') end, 'trace')\n\
         for i = 1, 300 do s = s + i end\n\
         print(s)\n",
    );
    let (o, e, c) = lt(&["-Ohotloop=10", f.to_str().unwrap()]);
    assert_eq!((o.as_str(), c), ("0\n90300\n", 0));
    assert!(
        e.contains("VM handler failed: ") && e.contains("boom"),
        "{}",
        e
    );
}

#[test]
fn jit_v_is_ours_and_writes_the_jv_lines() {
    let out = std::env::temp_dir().join(format!("lt-tools-v-{}.txt", std::process::id()));
    let f = script(
        "v",
        &format!(
            "print(package.preload['jit.v'] ~= nil, debug.getinfo(require('jit.v').on).what)\n\
             print(package.path:find('luajit', 1, true))\n\
             require('jit.v').on({:?})\n\
             local s = 0\n\
             for i = 1, 1000 do s = s + i end\n\
             require('jit.v').off()\n\
             for i = 1, 1000 do s = s + i end\n\
             print(s)\n",
            out.to_str().unwrap()
        ),
    );
    let (o, e, c) = lt(&["-Ohotloop=10", f.to_str().unwrap()]);
    assert_eq!((o.as_str(), c), ("true\tC\nnil\n1001000\n", 0), "{}", e);
    let v = std::fs::read_to_string(&out).unwrap();
    let lines: Vec<&str> = v.lines().collect();
    assert_eq!(lines.len(), 1, "{}", v);
    assert!(
        lines[0].starts_with("[TRACE   1 ") && lines[0].ends_with(":5 loop]"),
        "{}",
        v
    );
}

#[test]
fn jit_dump_on_and_off() {
    let f = script(
        "dump",
        "require('jit.dump').on(nil, '-')\n\
         local s = 0\n\
         for i = 1, 1000 do s = s + i end\n\
         require('jit.dump').off()\n\
         print(s)\n",
    );
    let (o, e, c) = lt(&["-Ohotloop=10", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    assert!(o.ends_with("500500\n"), "{}", o);
    assert!(o.contains("TRACE 1"), "{}", o);
}

#[test]
fn bc_lists_our_bytecode() {
    let f = script(
        "bc",
        "local function add(a, b) return a + b + 0.5, 'x' end\n\
         local bc = require('jit.bc')\n\
         bc.dump(add, io.stdout)\n\
         print(bc.line(add, 1))\n\
         print(bc.line(add, 1e6))\n",
    );
    let (o, e, c) = lt(&[f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let name = f.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        o.starts_with(&format!("-- BYTECODE -- {}:1-1\n0001 ", name)),
        "{}",
        o
    );
    assert!(
        o.contains("ADDVV") && o.contains("; 0.5") && o.contains("; \"x\""),
        "{}",
        o
    );
    assert!(o.contains("RET"), "{}", o);
    assert!(o.trim_end().ends_with("nil"), "{}", o);
}

#[test]
fn dash_b_lists_saves_and_refuses_other_outputs() {
    let f = script(
        "b",
        "local t = {}\nfor i = 1, 3 do t[i] = i * 2 end\nprint(t[3])\n",
    );
    let fs = f.to_str().unwrap();
    let (o, e, c) = lt(&["-bl", fs]);
    assert_eq!(c, 0, "{}", e);
    assert!(
        o.starts_with("-- BYTECODE -- ") && o.contains("FORI"),
        "{}",
        o
    );
    let out = std::env::temp_dir().join(format!("lt-tools-b-{}.out", std::process::id()));
    let (_, e, c) = lt(&["-b", fs, out.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let saved = std::fs::read(&out).unwrap();
    assert_eq!(saved[0], 0x1b, "a binary chunk");
    let (o, e, c) = lt(&[out.to_str().unwrap()]);
    assert_eq!((o.as_str(), c), ("6\n", 0), "{}", e);
    let (_, e, c) = lt(&["-b", fs, "x.c"]);
    assert_eq!(c, 1);
    assert!(e.contains("not supported"), "{}", e);
    let (_, e, c) = lt(&["-b"]);
    assert_eq!(c, 1);
    assert!(e.contains("-l"), "{}", e);
    let (o, _, c) = lt(&["-ble", "print(1)"]);
    assert_eq!(c, 0);
    assert!(o.contains("GGET") && o.contains("\"print\""), "{}", o);
}

#[test]
fn security_reports_no_hardening() {
    let (o, _, c) = lt(&[
        "-e",
        "print(jit.security('prng'), jit.security('strhash'), jit.security('strid'), jit.security('mcode'))\n\
         print(pcall(jit.security, 'nope'))",
    ]);
    assert_eq!(c, 0);
    assert_eq!(
        o,
        "0\t0\t0\t0\nfalse\tbad argument #1 to '?' (invalid option 'nope')\n"
    );
}

#[test]
fn profiler_samples_interpreted_and_compiled_code() {
    let f = script(
        "prof",
        "local profile = require('jit.profile')\n\
         local seen, states = {}, {}\n\
         local function spin(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end\n\
         profile.start('fi1', function(th, samples, vmstate)\n\
           seen[profile.dumpstack(th, 'f;', 2)] = true\n\
           states[vmstate] = (states[vmstate] or 0) + samples\n\
         end)\n\
         local t0 = os.clock()\n\
         while os.clock() - t0 < 0.3 do spin(20000) end\n\
         profile.stop()\n\
         local spun = false\n\
         for k in pairs(seen) do if k:find('spin;', 1, true) then spun = true end end\n\
         print(spun, (states.I or 0) + (states.N or 0) > 0)\n\
         print(profile.dumpstack('lZ', 1), profile.dumpstack('f;', 1))\n\
         print(select('#', profile.dumpstack('f', -3)))\n",
    );
    let (o, e, c) = lt(&["-joff", f.to_str().unwrap()]);
    // (Outside a callback the running thread's stack starts with
    // `dumpstack` itself, as LuaJIT's.)
    assert_eq!(
        (o.as_str(), c),
        ("true\ttrue\n[builtin#163]\tdumpstack;\n1\n", 0),
        "{}",
        e
    );
    // Compiled code is sampled where it leaves to the interpreter or the
    // driver (`vm/profile.rs`): when the whole loop nest is linked traces
    // (spin's loop, its exit's side trace stitching `os.clock`, the
    // continuation linking back into spin's loop, as under load), that is
    // only at the stitched call, in the main chunk — `spin` is then not
    // on any sampled stack. The samples are taken all the same.
    let (o, e, c) = lt(&["-jon", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let lines: Vec<&str> = o.lines().collect();
    assert_eq!(lines.len(), 3, "{}", o);
    assert!(
        lines[0].ends_with("\ttrue") && lines[1..] == ["[builtin#163]\tdumpstack;", "1"],
        "{}",
        o
    );
}

#[test]
fn dash_jp_reports_the_busy_function() {
    let f = script(
        "jp",
        "local function busy(n) local s = 0 for i = 1, n do s = s + math.sin(i) end return s end\n\
         local t0 = os.clock()\n\
         while os.clock() - t0 < 0.3 do busy(10000) end\n\
         print('done')\n",
    );
    for mode in ["-joff", "-jon"] {
        let (o, e, c) = lt(&[mode, "-jp", f.to_str().unwrap()]);
        assert_eq!(c, 0, "{}", e);
        assert!(o.starts_with("done\n"), "{}", o);
        let first = o.lines().nth(1).unwrap_or("");
        // (Compiled code is sampled where its trace exits: a loop that
        // inlined `busy` shows as its caller.)
        let busy = first.ends_with("%  busy");
        let caller = mode == "-jon" && first.ends_with(".lua:0");
        assert!(busy || caller, "{} {}", mode, o);
    }
    let (o, _, c) = lt(&["-jp=v", f.to_str().unwrap()]);
    assert_eq!(c, 0);
    assert!(o.contains("%  I") || o.contains("%  N"), "{}", o);
}

/// `jit.util`'s trace inspection (`traceir`, `tracek`, `tracesnap`,
/// `tracemc`, `traceexitstub`, `ircalladdr`) and `jit.vmdef`'s IR tables
/// return what LuaJIT's do, in kind and number (the values describe each
/// engine's own IR).
#[test]
fn trace_inspection_has_luajits_shapes() {
    let f = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/jit_tools/trace_shapes.lua");
    let (o, e, c) = lt(&[f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let want = "vmdef\tstring\t0\ttable\tstring\ttable\tstring\ttable\n\
                traceir\t5 number number number number number\t5 number number number number number\t0\t0\n\
                all\ttrue\n\
                tracek\tnumber\t0\t0\n\
                tracesnap\ttable\tnumber\tnumber\t-16777216\t0\n\
                tracemc\t3 string number number\t0\n\
                exitstub\t1 number\n\
                ircalladdr\t1 number\t0\n";
    assert_eq!(o, want);
    if common::have("luajit") {
        let out = Command::new("luajit").arg(&f).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "luajit differs");
    }
}

/// What `traceir` and `tracesnap` give is the trace `-jdump` lists: the
/// same instructions (ref `i + 1` is the listing's `i`), op names (as
/// `jit.vmdef.irnames` cuts them to 6 characters) and snapshot entries.
#[test]
fn traceir_and_tracesnap_agree_with_the_dump() {
    let dump = std::env::temp_dir().join(format!("lt-tools-dumpfile-{}.txt", std::process::id()));
    let f = script(
        "traceir",
        &format!(
            "local util, vmdef = require('jit.util'), require('jit.vmdef')\n\
             require('jit.dump').on(nil, {:?})\n\
             local t, s = {{}}, 0\n\
             for i = 1, 200 do t[i] = i * 2; s = s + (t[i - 1] or 0) end\n\
             require('jit.dump').off()\n\
             jit.off()\n\
             local info = util.traceinfo(1)\n\
             local sn, snap = 0, util.tracesnap(1, 0)\n\
             for ins = 1, info.nins + 1 do\n\
               while snap and snap[0] <= ins do\n\
                 local e = {{}}\n\
                 for i = 2, #snap - 1 do\n\
                   local v = snap[i] % 2^32\n\
                   local slot, ref = math.floor(v / 2^24), v % 2^16 - 0x8000\n\
                   if ref > 0 then e[#e + 1] = string.format('%d=%04d', slot, ref - 1) end\n\
                 end\n\
                 print(string.format('SNAP #%d [ %s ] pc %d', sn, table.concat(e, ' '), snap.pc))\n\
                 sn = sn + 1\n\
                 snap = util.tracesnap(1, sn)\n\
               end\n\
               local m, ot = util.traceir(1, ins)\n\
               if ot then\n\
                 local name = vmdef.irnames:sub(6 * math.floor(ot / 256) + 1, 6 * math.floor(ot / 256) + 6)\n\
                 if name ~= 'NOP   ' then print(string.format('%04d %s', ins - 1, name)) end\n\
               end\n\
             end\n",
            dump.to_str().unwrap()
        ),
    );
    let (o, e, c) = lt(&["-Ohotloop=10", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    let text = std::fs::read_to_string(&dump).unwrap();
    let _ = std::fs::remove_file(&dump);
    // The IR listing of trace 1, written as the script prints it.
    let mut want = String::new();
    for l in text
        .lines()
        .skip_while(|l| !l.starts_with("---- TRACE 1 start"))
        .skip(1)
        .take_while(|l| !l.starts_with("---- TRACE"))
    {
        if let Some(rest) = l.strip_prefix("....        SNAP   #") {
            let (n, rest) = rest.split_once(' ').unwrap();
            let (map, pc) = rest.rsplit_once("] pc ").unwrap();
            let map = map.trim().trim_start_matches('[');
            // (Entries holding instructions only: constants print apart.)
            let e: Vec<&str> = map
                .split_whitespace()
                .filter(|e| {
                    e.split_once('=')
                        .is_some_and(|(_, r)| r.len() == 4 && r.bytes().all(|b| b.is_ascii_digit()))
                })
                .collect();
            want.push_str(&format!("SNAP #{} [ {} ] pc {}\n", n, e.join(" "), pc));
        } else if l.len() > 13 && l.as_bytes()[..4].iter().all(u8::is_ascii_digit) {
            let name: String = l[10..]
                .split_whitespace()
                .next()
                .unwrap()
                .chars()
                .take(6)
                .collect();
            want.push_str(&format!("{} {:<6}\n", &l[..4], name));
        }
    }
    assert!(want.contains("LOOP"), "{}", text);
    assert_eq!(o, want);
}

/// LuaJIT's own `jit/dump.lua` (Debian's file) runs over our traces with
/// our `jit.util` and `jit.vmdef`: it prints their IR and snapshots.
#[test]
fn luajits_dump_lua_prints_our_ir() {
    let dir = "/usr/share/luajit-2.1.0-beta3";
    if !std::path::Path::new(dir).join("jit/dump.lua").exists() {
        eprintln!("skipped: no {}/jit/dump.lua", dir);
        return;
    }
    let f = script(
        "ljdump",
        &format!(
            "local dump = dofile('{dir}/jit/dump.lua')\n\
             dump.on('tbis', '-')\n\
             local t = {{}}\n\
             for i = 1, 100 do t[i] = tostring(i * 2) end\n\
             dump.off()\n\
             print(#t)\n"
        ),
    );
    let (o, e, c) = lt(&["-Ohotloop=10", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    assert!(
        !o.contains("handler failed") && !e.contains("handler failed"),
        "{}{}",
        o,
        e
    );
    for want in [
        "---- TRACE 1 start",
        "---- TRACE 1 IR",
        "SNAP   #0",
        "SLOAD",
        "TOSTR",
        "------ LOOP ------------",
        "---- TRACE 1 stop -> loop",
    ] {
        assert!(o.contains(want), "{} missing:\n{}", want, o);
    }
    assert!(o.ends_with("100\n"), "{}", o);
}

/// The `jit` library's functions called in a hot loop work (traces do
/// not stitch them: they reach the JIT, which is out of the VM while a
/// stitched call runs).
#[test]
fn jit_functions_work_in_hot_loops() {
    let f = script(
        "jitloop",
        "local util = require('jit.util')\n\
         for i = 1, 50 do end\n\
         local n, m = 0, 0\n\
         for i = 1, 100 do\n\
           if jit.status() then n = n + 1 end\n\
           if util.traceinfo(1) and util.traceir(1, 1) then m = m + 1 end\n\
         end\n\
         print(n, m)\n",
    );
    let (o, e, c) = lt(&["-Ohotloop=2", f.to_str().unwrap()]);
    assert_eq!(c, 0, "{}", e);
    assert_eq!(o, "100\t100\n");
}
