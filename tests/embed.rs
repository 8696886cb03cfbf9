//! The safe Rust embedding API (`lunatrace::Lua`): code, globals, typed
//! calls, Rust functions, userdata with methods and errors.

use lunatrace::{Lua, LuaValue, Methods, UserData};

#[derive(Clone, Debug, PartialEq)]
struct Counter {
    n: i64,
}

impl UserData for Counter {
    const NAME: &'static str = "Counter";
    fn methods(m: &mut Methods<Self>) {
        m.add("add", |c: &mut Counter, k: i64| {
            c.n += k;
            Ok(c.n)
        });
        m.add("fail", |_: &mut Counter, ()| {
            Err::<(), _>("counter failed".to_string())
        });
    }
}

#[test]
fn globals_calls_and_conversions() {
    let mut lua = Lua::new();
    lua.set_global("x", 21);
    lua.set_global("list", vec!["a", "b", "c"]);
    assert_eq!(lua.eval::<i64>("x * 2").unwrap(), 42);
    assert_eq!(
        lua.eval::<String>("table.concat(list, '-')").unwrap(),
        "a-b-c"
    );
    lua.exec("function f(a, b) return a .. b, #a + #b, nil end")
        .unwrap();
    let (s, n, none): (String, u32, Option<f64>) = lua.call("f", ("ab", "cde")).unwrap();
    assert_eq!((s.as_str(), n, none), ("abcde", 5, None));
    let v: Vec<i64> = lua.eval("{3, 2, 1}").unwrap();
    assert_eq!(v, vec![3, 2, 1]);
    let t: LuaValue = lua.eval("{1, k = true}").unwrap();
    assert_eq!(
        t,
        LuaValue::Table(vec![
            (LuaValue::Number(1.0), LuaValue::Number(1.0)),
            (LuaValue::String("k".into()), LuaValue::Boolean(true)),
        ])
    );
    assert!(lua.call::<_, ()>("nosuchfunction", ()).is_err());
}

#[test]
fn rust_functions_and_userdata() {
    let mut lua = Lua::new();
    lua.register("add3", |(a, b, c): (f64, f64, f64)| Ok(a + b + c));
    lua.register("checked", |n: i64| {
        if n < 0 {
            Err("negative".to_string())
        } else {
            Ok(n * 10)
        }
    });
    assert_eq!(lua.eval::<f64>("add3(1, 2, 3)").unwrap(), 6.0);
    assert_eq!(lua.eval::<i64>("checked(4)").unwrap(), 40);
    let e = lua.exec("checked(-1)").unwrap_err();
    assert!(e.message.ends_with("negative"), "{}", e.message);
    lua.set_object("c", Counter { n: 1 });
    assert_eq!(lua.eval::<i64>("c:add(5) + c:add(1)").unwrap(), 13);
    assert_eq!(lua.get_object::<Counter>("c"), Some(Counter { n: 7 }));
    let e = lua.exec("local ok = c:fail()").unwrap_err();
    assert!(e.message.contains("counter failed"), "{}", e.message);
    assert!(lua.exec("c.add({}, 1)").is_err());
    lua.exec("c = nil").unwrap();
    lua.gc().unwrap();
}

#[test]
fn errors_have_tracebacks() {
    let mut lua = Lua::new();
    let e = lua
        .exec(
            "local function inner() error('deep') end\nlocal function outer() inner() end\nouter()",
        )
        .unwrap_err();
    assert!(e.message.ends_with("deep"), "{}", e.message);
    assert!(
        e.traceback.starts_with("stack traceback:"),
        "{}",
        e.traceback
    );
    assert!(e.traceback.contains("inner"), "{}", e.traceback);
    let e = lua.exec("this is not lua").unwrap_err();
    assert!(e.message.contains("'=' expected"), "{}", e.message);
    assert!(lua.exec_file("/nonexistent.lua").is_err());
}

#[test]
fn memory_limit_is_a_lua_error() {
    let mut lua = Lua::new();
    lua.set_memory_limit(Some(32 << 20));
    // Caught inside Lua: the state goes on.
    let r: String = lua
        .eval(
            "local ok, e = pcall(function() local t = {} for i = 1, 1e8 do t[i] = {i} end end) \
             return tostring(ok) .. ' ' .. e",
        )
        .unwrap();
    assert_eq!(r, "false not enough memory");
    lua.gc().unwrap();
    assert!(lua.used_memory() < 32 << 20);
    // Uncaught: an Error from exec, and the state still works.
    let e = lua.exec("local s = ('x'):rep(67108864)").unwrap_err();
    assert!(e.to_string().contains("not enough memory"), "{}", e);
    let n: f64 = lua.eval("return 40 + 2").unwrap();
    assert_eq!(n, 42.0);
    lua.set_memory_limit(None);
    let n: f64 = lua.eval("return #('x'):rep(67108864)").unwrap();
    assert_eq!(n, (64 << 20) as f64);
}
