//! Embedding API: the state — library selection (sandboxing), per-chunk
//! environments, the interrupt hook (also over loops the JIT compiled),
//! and closing (dropping the `Lua` runs `__gc` finalisers and drops the
//! Rust values Lua owned).

use lunatrace::{Error, Lua, StdLib, Table, UserData};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn globals_present(lua: &Lua, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter(|n| {
            !lua.globals()
                .get::<_, lunatrace::Value>(**n)
                .unwrap()
                .is_nil()
        })
        .map(|n| n.to_string())
        .collect()
}

const ALL_NAMES: [&str; 12] = [
    "print",
    "string",
    "table",
    "math",
    "io",
    "os",
    "coroutine",
    "require",
    "bit",
    "jit",
    "debug",
    "package",
];

#[test]
fn library_selection() {
    let lua = Lua::new_with(StdLib::BASE | StdLib::STRING);
    assert_eq!(globals_present(&lua, &ALL_NAMES), vec!["print", "string"]);
    assert_eq!(
        lua.load("('%03d'):format(7)").eval::<String>().unwrap(),
        "007"
    );
    let bare = Lua::new_with(StdLib::NONE);
    assert!(globals_present(&bare, &ALL_NAMES).is_empty());
    assert_eq!(bare.load("1 + 1").eval::<i32>().unwrap(), 2);

    // The default: no debug, no ffi, no C modules.
    let lua = Lua::new();
    assert_eq!(
        globals_present(&lua, &ALL_NAMES),
        vec![
            "print",
            "string",
            "table",
            "math",
            "io",
            "os",
            "coroutine",
            "require",
            "bit",
            "jit",
            "package"
        ]
    );
    let e = lua.load("require 'ffi'").exec().unwrap_err();
    assert!(e.to_string().contains("module 'ffi' not found"), "{}", e);
    let (ok, msg): (bool, String) = lua
        .load("local f, e = package.loadlib('/lib/x86_64-linux-gnu/libc.so.6', 'puts') return f ~= nil, tostring(e)")
        .eval()
        .unwrap();
    assert!(!ok, "{}", msg);
    let buf: bool = lua.load("require('string.buffer') ~= nil").eval().unwrap();
    assert!(buf);

    // Everything, as the command line has it.
    let all = Lua::new_with(StdLib::ALL);
    assert_eq!(globals_present(&all, &ALL_NAMES).len(), ALL_NAMES.len());
    let n: i64 = all
        .load("local ffi = require 'ffi' return tonumber(ffi.new('int64_t', 41)) + 1")
        .eval()
        .unwrap();
    assert_eq!(n, 42);
}

#[test]
fn chunk_environments() {
    let lua = Lua::new();
    let sandbox = lua.create_table().unwrap();
    sandbox.set("print_count", 0).unwrap();
    lua.load("x = 1; leaked = print")
        .set_environment(sandbox.clone())
        .exec()
        .unwrap();
    assert_eq!(sandbox.get::<_, i64>("x").unwrap(), 1);
    assert!(sandbox
        .get::<_, lunatrace::Value>("leaked")
        .unwrap()
        .is_nil());
    assert!(lua.globals().get::<_, Option<i64>>("x").unwrap().is_none());
    // A sandbox that reads through to a whitelist.
    let env: Table = lua
        .load("setmetatable({}, {__index = {tostring = tostring}})")
        .eval()
        .unwrap();
    let s: String = lua
        .load("return tostring(12) .. tostring(io)")
        .set_environment(env)
        .eval()
        .unwrap();
    assert_eq!(s, "12nil");
}

#[test]
fn interrupt_stops_loops_also_compiled_ones() {
    let lua = Lua::new();
    // A loop hot enough to be compiled, then run with the hook set.
    lua.load(
        "function spin(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end \
         for _ = 1, 5 do spin(200000) end",
    )
    .exec()
    .unwrap();
    let compiled: bool = lua
        .load("return require(\"jit.util\").traceinfo(1) ~= nil")
        .eval()
        .unwrap();
    assert!(compiled, "the loop should have been compiled");
    let calls = Arc::new(Mutex::new(0u64));
    let c2 = calls.clone();
    let deadline = Instant::now() + Duration::from_millis(200);
    lua.set_interrupt(move |_| {
        *c2.lock().unwrap() += 1;
        if Instant::now() > deadline {
            Err(Error::runtime("deadline exceeded"))
        } else {
            Ok(())
        }
    });
    let t0 = Instant::now();
    // 1e10 iterations: minutes even compiled, unless interrupted.
    let e = lua.load("return spin(1e10)").exec().unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    assert!(
        matches!(e.root_cause(), Error::RuntimeError(m) if m == "deadline exceeded"),
        "{:?}",
        e
    );
    assert!(*calls.lock().unwrap() > 10);
    // Caught by pcall inside Lua, it is still an error value there.
    let deadline2 = Instant::now() + Duration::from_millis(50);
    lua.set_interrupt(move |_| {
        if Instant::now() > deadline2 {
            Err(Error::runtime("stop"))
        } else {
            Ok(())
        }
    });
    let caught: String = lua
        .load("local ok, e = pcall(function() while true do end end) return tostring(e)")
        .eval()
        .unwrap();
    assert!(caught.contains("stop"), "{}", caught);
    // Removed: the same code runs to the end, at full speed again.
    lua.remove_interrupt();
    assert_eq!(lua.load("spin(700)").eval::<i64>().unwrap(), 2100);
}

#[test]
fn instruction_budget() {
    let lua = Lua::new();
    let n = Arc::new(Mutex::new(0u32));
    let n2 = n.clone();
    lua.set_interrupt(move |_| {
        let mut k = n2.lock().unwrap();
        *k += 1;
        if *k > 100 {
            return Err(Error::runtime("budget"));
        }
        Ok(())
    });
    // Small work fits the budget; an endless loop does not.
    assert_eq!(
        lua.load("local s = 0 for i = 1, 100 do s = s + i end return s")
            .eval::<i64>()
            .unwrap(),
        5050
    );
    assert!(lua.load("repeat until false").exec().is_err());
    assert_eq!(*n.lock().unwrap(), 101);
}

#[test]
fn dropping_the_state_runs_finalisers() {
    let log = Arc::new(Mutex::new(Vec::<String>::new()));
    struct Logged(Arc<Mutex<Vec<String>>>, &'static str);
    impl Drop for Logged {
        fn drop(&mut self) {
            self.0.lock().unwrap().push(format!("drop {}", self.1));
        }
    }
    impl UserData for Logged {}
    {
        let lua = Lua::new();
        let l2 = log.clone();
        let note = lua
            .create_function(move |_, s: String| {
                l2.lock().unwrap().push(s);
                Ok(())
            })
            .unwrap();
        lua.globals().set("note", note).unwrap();
        lua.load(
            "local p = newproxy(true) getmetatable(p).__gc = function() note('gc proxy') end keep = p",
        )
        .exec()
        .unwrap();
        let u = lua
            .create_userdata(Logged(log.clone(), "userdata"))
            .unwrap();
        lua.globals().set("u", u).unwrap();
        assert!(log.lock().unwrap().is_empty());
    }
    let mut got = log.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, vec!["drop userdata", "gc proxy"]);
}

#[test]
fn handles_captured_by_callbacks_do_not_leak_the_state() {
    let dropped = Arc::new(Mutex::new(false));
    struct Flag(Arc<Mutex<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            *self.0.lock().unwrap() = true;
        }
    }
    {
        let lua = Lua::new();
        let t = lua.create_table().unwrap();
        let flag = Flag(dropped.clone());
        // A cycle: the callback holds a handle to the state it lives in.
        let f = lua
            .create_function(move |_, ()| {
                let _ = &flag;
                t.len()
            })
            .unwrap();
        lua.globals().set("f", f).unwrap();
    }
    assert!(*dropped.lock().unwrap());
}

#[test]
fn registry_values_and_app_data() {
    let lua = Lua::new();
    let t: Table = lua.load("{ 'x' }").eval().unwrap();
    let key = lua.create_registry_value(t).unwrap();
    lua.gc_collect().unwrap();
    let back: Table = lua.registry_value(&key).unwrap();
    assert_eq!(back.get::<_, String>(1).unwrap(), "x");
    lua.remove_registry_value(key).unwrap();
    let other = Lua::new();
    let k2 = other.create_registry_value(1).unwrap();
    assert!(matches!(
        lua.registry_value::<i32>(&k2),
        Err(Error::MismatchedState)
    ));
    lua.set_named_registry_value("my.key", "named").unwrap();
    assert_eq!(
        lua.named_registry_value::<String>("my.key").unwrap(),
        "named"
    );
    // App data: per type, reachable from callbacks.
    assert!(lua.set_app_data(vec![1u32]).is_none());
    let push = lua
        .create_function(|lua, n: u32| {
            lua.app_data_mut::<Vec<u32>>().unwrap().push(n);
            Ok(())
        })
        .unwrap();
    push.call::<()>(2).unwrap();
    assert_eq!(*lua.app_data_ref::<Vec<u32>>().unwrap(), vec![1, 2]);
    assert!(lua.app_data_ref::<String>().is_none());
    assert_eq!(lua.remove_app_data::<Vec<u32>>(), Some(vec![1, 2]));
    assert!(lua.app_data_ref::<Vec<u32>>().is_none());
}

#[test]
fn every_single_library_opens_alone() {
    let libs = [
        StdLib::BASE,
        StdLib::COROUTINE,
        StdLib::TABLE,
        StdLib::IO,
        StdLib::OS,
        StdLib::STRING,
        StdLib::MATH,
        StdLib::PACKAGE,
        StdLib::BIT,
        StdLib::BUFFER,
        StdLib::JIT,
        StdLib::DEBUG,
        StdLib::FFI,
        StdLib::C_MODULES,
    ];
    for lib in libs {
        let lua = Lua::new_with(lib);
        assert_eq!(
            lua.load("return 6 * 7").eval::<i32>().unwrap(),
            42,
            "{:?}",
            lib
        );
        let f = lua.create_function(|_, x: i32| Ok(x + 1)).unwrap();
        assert_eq!(f.call::<i32>(1).unwrap(), 2);
    }
}

#[test]
fn app_data_while_borrowed() {
    let lua = Lua::new();
    lua.set_app_data(5u8);
    let r = lua.app_data_ref::<u8>().unwrap();
    assert_eq!(lua.try_set_app_data(6u8), Err(6));
    assert!(lua.app_data_mut::<u8>().is_none());
    drop(r);
    assert_eq!(lua.try_set_app_data(7u8), Ok(Some(5)));
}

/// Lua run with the interrupt set in a fresh state (hot thresholds
/// chosen, so traces compile synchronously): `setup` once, then `body`,
/// an endless loop that counts its iterations in global `N`. The
/// interrupt stops it after `calls` calls. Returns the error, the
/// number of trace exits seen (`jit.attach` "texit"), the number of
/// traces and side traces, and the most loop iterations between two
/// interrupt calls.
fn stopped_by_interrupt(setup: &str, body: &str, calls: u32) -> (Error, u32, u32, u32, u64) {
    let lua = Lua::new();
    lua.load(
        "jit.opt.start('hotloop=20', 'hotexit=5') \
         EXITS = 0 N = 0 \
         jit.attach(function() EXITS = EXITS + 1 end, 'texit')",
    )
    .exec()
    .unwrap();
    lua.load(setup).exec().unwrap();
    let seen = Arc::new(Mutex::new((0u32, 0u64, 0u64)));
    let s2 = seen.clone();
    lua.set_interrupt(move |lua| {
        let n: u64 = lua.globals().get("N")?;
        let mut s = s2.lock().unwrap();
        s.0 += 1;
        s.2 = s.2.max(n - s.1);
        s.1 = n;
        if s.0 >= calls {
            return Err(Error::runtime("budget spent"));
        }
        Ok(())
    });
    let t0 = Instant::now();
    let e = lua.load(body).exec().unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(20), "{:?}", t0.elapsed());
    lua.remove_interrupt();
    let (traces, sides): (u32, u32) = lua
        .load(
            "local n, s = 0, 0 \
             while require('jit.util').traceinfo(n + 1) do \
               n = n + 1 \
               if require('jit.util').traceinfo(n).linktype ~= 'loop' then s = s + 1 end \
             end return n, s",
        )
        .eval()
        .unwrap();
    let exits: u32 = lua.globals().get("EXITS").unwrap();
    let most = seen.lock().unwrap().2;
    assert_eq!(seen.lock().unwrap().0, calls);
    (e, exits, traces, sides, most)
}

fn is_budget(e: &Error) -> bool {
    matches!(e.root_cause(), Error::RuntimeError(m) if m == "budget spent")
}

/// With the interrupt set, loops still compile and run compiled: every
/// trace polls the interrupt's countdown at its loop's back edge and
/// before it links to another trace, and exits when it runs out, so the
/// interrupt is called within `INTERRUPT_INTERVAL` iterations however
/// the loop's code is spread over traces: one loop trace; a loop calling
/// a function whose loop is another trace; a loop whose path runs
/// through a side trace only (its root's guard fails every iteration).
#[test]
fn interrupt_polls_in_compiled_loops() {
    let interval = lunatrace::INTERRUPT_INTERVAL as u64;
    // A tight loop: 300 calls, nearly all after a poll's exit.
    let (e, exits, traces, _, most) = stopped_by_interrupt("", "while true do N = N + 1 end", 300);
    assert!(is_budget(&e), "{:?}", e);
    assert!(traces >= 1, "the loop did not compile");
    assert!(exits >= 250, "only {} trace exits: not polled", exits);
    assert!(most <= interval, "{} iterations between two calls", most);
    // A numeric `for` loop.
    let (e, exits, traces, _, most) = stopped_by_interrupt(
        "",
        "local s = 0 for i = 1, 1e15 do s = s + i % 7 N = i end",
        300,
    );
    assert!(is_budget(&e), "{:?}", e);
    assert!(
        traces >= 1 && exits >= 250,
        "{} traces, {} exits",
        traces,
        exits
    );
    assert!(most <= interval, "{}", most);
    // A loop calling a function compiled in a trace of its own: the
    // outer loop's trace links into the inner loop's.
    let (e, exits, traces, _, most) = stopped_by_interrupt(
        "function inner(m) local s = 0 for j = 1, m do s = s + j end return s end",
        "local t = 0 while true do N = N + 1 t = t + inner(30) end",
        300,
    );
    assert!(is_budget(&e), "{:?}", e);
    assert!(
        traces >= 2 && exits >= 250,
        "{} traces, {} exits",
        traces,
        exits
    );
    assert!(most <= interval, "{}", most);
    // The root trace was recorded while `flip` was false; from then on
    // its first guard fails every iteration, and the side trace grown
    // there (linked to the root's start) is the only trace to finish an
    // iteration: its poll alone stops the loop. (Without `rerecord`,
    // which would record the loop again instead of growing that side
    // trace.)
    let (e, exits, traces, sides, most) = stopped_by_interrupt(
        "jit.opt.start('-rerecord')",
        "local flip, s = false, 0 \
         while true do \
           N = N + 1 \
           if N == 500 then flip = true end \
           if flip then s = s + 1 else s = s - 1 end \
         end",
        300,
    );
    assert!(is_budget(&e), "{:?}", e);
    assert!(sides >= 1, "no side trace ({} traces)", traces);
    assert!(exits >= 250, "{} exits", exits);
    assert!(most <= interval, "{}", most);
}

/// A wall-clock deadline stops a compiled numeric loop (recorded and
/// compiled with the interrupt set) within the deadline's order.
#[test]
fn deadline_stops_a_compiled_loop() {
    let lua = Lua::new();
    let deadline = Instant::now() + Duration::from_millis(150);
    lua.set_interrupt(move |_| {
        if Instant::now() > deadline {
            Err(Error::runtime("deadline exceeded"))
        } else {
            Ok(())
        }
    });
    lua.load("EXITS = 0 jit.attach(function() EXITS = EXITS + 1 end, 'texit')")
        .exec()
        .unwrap();
    let t0 = Instant::now();
    let e = lua
        .load("local s = 0 for i = 1, 1e15 do s = s + i % 7 end return s")
        .exec()
        .unwrap_err();
    let took = t0.elapsed();
    assert!(
        matches!(e.root_cause(), Error::RuntimeError(m) if m == "deadline exceeded"),
        "{:?}",
        e
    );
    assert!(took < Duration::from_secs(5), "{:?}", took);
    let compiled: bool = lua
        .load("return require('jit.util').traceinfo(1) ~= nil and EXITS > 10")
        .eval()
        .unwrap();
    assert!(compiled, "the loop did not run compiled");
}

/// Programs compute the same with an interrupt that never stops them
/// (called thousands of times, with traces compiled under it) as
/// without one, and as with the JIT off.
#[test]
fn interrupt_that_never_fires_changes_no_result() {
    let program = r##"
        local out = {}
        -- numbers, a side trace on a type change, integer narrowing
        local s = 0
        for i = 1, 30000 do
          local x = i % 3 == 0 and i / 2 or i
          s = s + x * 0.5 - (i % 7)
        end
        out[#out + 1] = s
        -- tables and strings
        local t = {}
        for i = 1, 5000 do t[i] = tostring(i % 97) .. "x" end
        local parts = {}
        for i = 1, #t, 7 do parts[#parts + 1] = t[i]:upper() end
        out[#out + 1] = table.concat(parts, ","):len()
        local h = {}
        for i = 1, 20000 do local k = "k" .. (i % 300) h[k] = (h[k] or 0) + i end
        local hs = 0
        for k, v in pairs(h) do hs = hs + v * #k end
        out[#out + 1] = hs
        -- closures, varargs, select, multiple results
        local function sum(...)
          local a = 0
          for i = 1, select("#", ...) do a = a + (select(i, ...)) end
          return a, ...
        end
        local acc = 0
        for i = 1, 5000 do
          local a, b, c = sum(i, i + 1, i + 2)
          acc = acc + a + b + c + select("#", sum(i, i))
        end
        out[#out + 1] = acc
        -- recursion
        local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
        out[#out + 1] = fib(22)
        -- a loop calling another compiled loop, and coroutines
        local function inner(m) local q = 0 for j = 1, m do q = q + j * j end return q end
        local o = 0
        for i = 1, 3000 do o = o + inner(i % 17) end
        out[#out + 1] = o
        local co = coroutine.wrap(function() for i = 1, 3000 do coroutine.yield(i) end end)
        local cs = 0
        for _ = 1, 3000 do cs = cs + co() end
        out[#out + 1] = cs
        -- pcall and errors inside loops
        local errs = 0
        for i = 1, 3000 do
          local ok = pcall(function() if i % 5 == 0 then error("x") end return i end)
          if not ok then errs = errs + 1 end
        end
        out[#out + 1] = errs
        for i = 1, #out do out[i] = tostring(out[i]) end
        return table.concat(out, " ")
    "##;
    let run = |interrupt: bool, jit: bool| -> (String, u32, bool) {
        let lua = Lua::new();
        lua.load(if jit {
            "jit.opt.start('hotloop=10', 'hotexit=3')"
        } else {
            "jit.off()"
        })
        .exec()
        .unwrap();
        let calls = Arc::new(Mutex::new(0u32));
        if interrupt {
            let c = calls.clone();
            lua.set_interrupt(move |_| {
                *c.lock().unwrap() += 1;
                Ok(())
            });
        }
        let r: String = lua.load(program).eval().unwrap();
        let traces: bool = lua
            .load("return require('jit.util').traceinfo(1) ~= nil")
            .eval()
            .unwrap();
        let n = *calls.lock().unwrap();
        (r, n, traces)
    };
    let (plain, _, t1) = run(false, true);
    let (polled, calls, t2) = run(true, true);
    let (interp, _, t3) = run(false, false);
    assert!(t1 && t2 && !t3, "traces: {} {} {}", t1, t2, t3);
    assert!(calls > 100, "the interrupt ran {} times", calls);
    assert_eq!(polled, plain);
    assert_eq!(plain, interp);
}

/// Only the first interrupt flushes the traces (compiled without polls);
/// traces compiled under it keep their polls when it is removed, so a
/// host that sets and removes it around each call recompiles nothing,
/// and results stay right either way.
#[test]
fn setting_the_interrupt_again_recompiles_nothing() {
    let lua = Lua::new();
    lua.load(
        "jit.opt.start('hotloop=20') FLUSHES = 0 \
         jit.attach(function(what) if what == 'flush' then FLUSHES = FLUSHES + 1 end end, 'trace') \
         function spin(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end",
    )
    .exec()
    .unwrap();
    let want: i64 = lua.load("return spin(100000)").eval().unwrap();
    let calls = Arc::new(Mutex::new(0u32));
    for _ in 0..3 {
        let c = calls.clone();
        lua.set_interrupt(move |_| {
            *c.lock().unwrap() += 1;
            Ok(())
        });
        assert_eq!(lua.load("return spin(100000)").eval::<i64>().unwrap(), want);
        lua.remove_interrupt();
        assert_eq!(lua.load("return spin(100000)").eval::<i64>().unwrap(), want);
    }
    let (flushes, traces): (u32, bool) = lua
        .load("return FLUSHES, require('jit.util').traceinfo(1) ~= nil")
        .eval()
        .unwrap();
    assert_eq!(flushes, 1);
    assert!(traces);
    assert!(*calls.lock().unwrap() > 100);
}
