//! Embedding API: Rust callbacks — they get the state, call back into
//! Lua, create and return handles; their errors travel through Lua and
//! come back as `CallbackError`; panics become Lua errors; `FnMut`
//! callbacks refuse recursion; external errors work with `?`.

use lunatrace::{Error, ExternalError, ExternalResult, Function, Lua, Table, Value};
use std::cell::Cell;
use std::rc::Rc;

#[test]
fn callbacks_call_lua_and_return_handles() {
    let lua = Lua::new();
    lua.load("function twice(x) return x * 2 end")
        .exec()
        .unwrap();
    let f = lua
        .create_function(|lua, n: i64| {
            let twice: Function = lua.globals().get("twice")?;
            let t = lua.create_table()?;
            for i in 1..=n {
                t.set(i, twice.call::<i64>(i)?)?;
            }
            Ok(t)
        })
        .unwrap();
    lua.globals().set("make", f).unwrap();
    let s: i64 = lua
        .load("local t = make(4) local s = 0 for _, v in ipairs(t) do s = s + v end return s")
        .eval()
        .unwrap();
    assert_eq!(s, 20);
    // Deep re-entry: Lua -> Rust -> Lua -> Rust ...
    let depth = lua
        .create_function(|lua, n: u32| {
            if n == 0 {
                return Ok(0);
            }
            let f: Function = lua.globals().get("depth")?;
            Ok(f.call::<u32>(n - 1)? + 1)
        })
        .unwrap();
    lua.globals().set("depth", depth).unwrap();
    assert_eq!(lua.load("depth(50)").eval::<u32>().unwrap(), 50);
}

#[test]
fn errors_travel_through_lua() {
    let lua = Lua::new();
    let fail = lua
        .create_function(|_, ()| -> lunatrace::Result<()> { Err("file missing".into_lua_err()) })
        .unwrap();
    lua.globals().set("fail", fail).unwrap();
    // Caught in Lua: the error value prints as the Rust error.
    let msg: String = lua
        .load("local ok, e = pcall(fail) return tostring(e)")
        .eval()
        .unwrap();
    assert!(msg.contains("file missing"), "{}", msg);
    // Uncaught: CallbackError with the cause and a traceback.
    let e = lua
        .load("local x = 1\nfail()")
        .set_name("chunk")
        .exec()
        .unwrap_err();
    match &e {
        Error::CallbackError { traceback, cause } => {
            assert!(matches!(**cause, Error::ExternalError(_)), "{:?}", cause);
            assert!(traceback.contains("chunk:2"), "{}", traceback);
        }
        e => panic!("{:?}", e),
    }
    // Re-raised by Lua code: still the same error.
    let e = lua
        .load("local ok, e = pcall(fail) error(e)")
        .exec()
        .unwrap_err();
    assert!(
        e.root_cause().to_string().contains("file missing"),
        "{:?}",
        e
    );
    // `?` on other error types.
    let parse = lua
        .create_function(|_, s: String| s.parse::<i32>().into_lua_err())
        .unwrap();
    assert_eq!(parse.call::<i32>("12").unwrap(), 12);
    let e = parse.call::<i32>("x").unwrap_err();
    assert!(e.to_string().contains("invalid digit"), "{}", e);
    // Bad arguments are conversion errors, with their position.
    let e = parse.call::<i32>(lua.create_table().unwrap()).unwrap_err();
    match e.root_cause() {
        Error::BadArgument { pos: 1, cause } => {
            assert!(
                matches!(**cause, Error::FromLuaConversionError { .. }),
                "{:?}",
                cause
            )
        }
        other => panic!("{:?}", other),
    }
    let three = lua
        .create_function(|_, (_a, _b, _c): (i32, String, Option<bool>)| Ok(()))
        .unwrap();
    let e = three
        .call::<()>((1, lua.create_table().unwrap()))
        .unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::BadArgument { pos: 2, .. }),
        "{:?}",
        e
    );
    assert!(e.to_string().contains("bad argument #2"), "{}", e);
    let var = lua
        .create_function(|_, (_a, _rest): (i32, lunatrace::Variadic<i32>)| Ok(()))
        .unwrap();
    let e = var.call::<()>((1, 2, 3, "x")).unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::BadArgument { pos: 4, .. }),
        "{:?}",
        e
    );
}

#[test]
fn panics_become_lua_errors() {
    let lua = Lua::new();
    let boom = lua
        .create_function(|_, ()| -> lunatrace::Result<()> { panic!("kaboom") })
        .unwrap();
    lua.globals().set("boom", boom).unwrap();
    let r: (bool, String) = lua
        .load("local ok, e = pcall(boom) return ok, tostring(e)")
        .eval()
        .unwrap();
    assert!(!r.0);
    assert!(r.1.contains("kaboom"), "{}", r.1);
    let e = lua.load("boom()").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::CallbackPanic(m) if m == "kaboom"),
        "{:?}",
        e
    );
    // The state still works.
    assert_eq!(lua.load("1 + 1").eval::<i32>().unwrap(), 2);
}

#[test]
fn mutable_callbacks() {
    let lua = Lua::new();
    let mut total = 0;
    let acc = lua
        .create_function_mut(move |_, n: i64| {
            total += n;
            Ok(total)
        })
        .unwrap();
    lua.globals().set("acc", acc).unwrap();
    assert_eq!(
        lua.load("acc(1) acc(2) return acc(3)")
            .eval::<i64>()
            .unwrap(),
        6
    );
    let rec = lua
        .create_function_mut(|lua, ()| {
            let f: Function = lua.globals().get("rec")?;
            f.call::<()>(())
        })
        .unwrap();
    lua.globals().set("rec", rec).unwrap();
    let e = lua.load("rec()").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::RecursiveMutCallback),
        "{:?}",
        e
    );
}

#[test]
fn callbacks_are_freed_with_their_function() {
    let lua = Lua::new();
    let dropped = Rc::new(Cell::new(false));
    struct Flag(Rc<Cell<bool>>);
    impl Drop for Flag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }
    let flag = Flag(dropped.clone());
    let f = lua
        .create_function(move |_, ()| {
            let _ = &flag;
            Ok(())
        })
        .unwrap();
    lua.globals().set("f", f).unwrap();
    lua.load("f() f = nil").exec().unwrap();
    lua.gc_collect().unwrap();
    assert!(dropped.get());
}

#[test]
fn callbacks_in_hot_loops() {
    // Called from a loop the JIT compiles (a stitched native call).
    let lua = Lua::new();
    let seen = Rc::new(Cell::new(0));
    let s2 = seen.clone();
    let f = lua
        .create_function(move |_, (i, t): (i64, Table)| {
            s2.set(s2.get() + 1);
            t.raw_set(i, i * 3)?;
            Ok(i)
        })
        .unwrap();
    lua.globals().set("f", f).unwrap();
    let sum: i64 = lua
        .load("local t, s = {}, 0 for i = 1, 5000 do s = s + f(i, t) end return s + t[5000]")
        .eval()
        .unwrap();
    assert_eq!(sum, 5000 * 5001 / 2 + 15000);
    assert_eq!(seen.get(), 5000);
    let v: Value = lua.load("nil").eval().unwrap();
    assert!(v.is_nil());
}

#[test]
fn deep_reentry_is_an_error_not_a_crash() {
    let lua = Lua::new();
    let depth = lua
        .create_function(|lua, n: u32| {
            if n == 0 {
                return Ok(0);
            }
            let f: Function = lua.globals().get("depth")?;
            Ok(f.call::<u32>(n - 1)? + 1)
        })
        .unwrap();
    lua.globals().set("depth", depth).unwrap();
    let e = lua.load("depth(100000)").exec().unwrap_err();
    assert!(e.to_string().contains("stack overflow"), "{}", e);
    assert_eq!(lua.load("depth(20)").eval::<u32>().unwrap(), 20);
}

#[test]
fn callbacks_inside_coroutines() {
    let lua = Lua::new();
    let f = lua
        .create_function(|lua, x: i64| {
            let g: Function = lua.load("function(v) return v + 1 end").eval()?;
            g.call::<i64>(x * 10)
        })
        .unwrap();
    lua.globals().set("f", f).unwrap();
    let r: String = lua
        .load(
            "local co = coroutine.wrap(function(a) local b = coroutine.yield(f(a)) return f(b) end) \
             return co(1) .. ',' .. co(2)",
        )
        .eval()
        .unwrap();
    assert_eq!(r, "11,21");
    // Yielding across a Rust callback is refused with an error.
    let y = lua
        .create_function(|lua, ()| lua.load("coroutine.yield(1)").exec())
        .unwrap();
    lua.globals().set("y", y).unwrap();
    let (ok, _msg): (bool, Value) = lua
        .load("return coroutine.resume(coroutine.create(function() y() end))")
        .eval()
        .unwrap();
    assert!(!ok);
}

#[test]
fn raw_vm_access_refuses_reentry() {
    let lua = Lua::new();
    let t = lua.create_table().unwrap();
    let r = lua.with_raw_vm(|_| t.set("a", 1)).unwrap();
    assert!(r.is_err());
    assert!(t.set("a", 1).is_ok());
}
