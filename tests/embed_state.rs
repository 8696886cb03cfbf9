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
