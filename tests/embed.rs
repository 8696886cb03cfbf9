//! The Rust embedding API (`lunatrace::Lua`): code, globals, typed calls,
//! Rust functions, userdata with methods, errors with tracebacks, memory
//! limits. (Other areas: `embed_*.rs`.)

use lunatrace::{Error, Function, Lua, Table, UserData, UserDataMethods, Value};

#[derive(Clone, Debug, PartialEq)]
struct Counter {
    n: i64,
}

impl UserData for Counter {
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("add", |_, c, k: i64| {
            c.n += k;
            Ok(c.n)
        });
        m.add_method("fail", |_, _, ()| {
            Err::<(), _>(Error::runtime("counter failed"))
        });
    }
}

#[test]
fn globals_calls_and_conversions() {
    let lua = Lua::new();
    let g = lua.globals();
    g.set("x", 21).unwrap();
    g.set("list", vec!["a", "b", "c"]).unwrap();
    assert_eq!(lua.load("x * 2").eval::<i64>().unwrap(), 42);
    assert_eq!(
        lua.load("table.concat(list, '-')")
            .eval::<String>()
            .unwrap(),
        "a-b-c"
    );
    lua.load("function f(a, b) return a .. b, #a + #b, nil end")
        .exec()
        .unwrap();
    let f: Function = g.get("f").unwrap();
    let (s, n, none): (String, u32, Option<f64>) = f.call(("ab", "cde")).unwrap();
    assert_eq!((s.as_str(), n, none), ("abcde", 5, None));
    let v: Vec<i64> = lua.load("{3, 2, 1}").eval().unwrap();
    assert_eq!(v, vec![3, 2, 1]);
    let t: Table = lua.load("{1, k = true}").eval().unwrap();
    assert_eq!(t.get::<_, f64>(1).unwrap(), 1.0);
    assert!(t.get::<_, bool>("k").unwrap());
    let nf: Value = g.get("nosuchfunction").unwrap();
    assert!(nf.is_nil());
    assert!(g.get::<_, Function>("nosuchfunction").is_err());
}

#[test]
fn rust_functions_and_userdata() {
    let lua = Lua::new();
    let g = lua.globals();
    let add3 = lua
        .create_function(|_, (a, b, c): (f64, f64, f64)| Ok(a + b + c))
        .unwrap();
    g.set("add3", add3).unwrap();
    let checked = lua
        .create_function(|_, n: i64| {
            if n < 0 {
                Err(Error::runtime("negative"))
            } else {
                Ok(n * 10)
            }
        })
        .unwrap();
    g.set("checked", checked).unwrap();
    assert_eq!(lua.load("add3(1, 2, 3)").eval::<f64>().unwrap(), 6.0);
    assert_eq!(lua.load("checked(4)").eval::<i64>().unwrap(), 40);
    let e = lua.load("checked(-1)").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::RuntimeError(m) if m == "negative"),
        "{:?}",
        e
    );
    let c = lua.create_userdata(Counter { n: 1 }).unwrap();
    g.set("c", c.clone()).unwrap();
    assert_eq!(lua.load("c:add(5) + c:add(1)").eval::<i64>().unwrap(), 13);
    assert_eq!(*c.borrow::<Counter>().unwrap(), Counter { n: 7 });
    let e = lua.load("local ok = c:fail()").exec().unwrap_err();
    assert!(e.to_string().contains("counter failed"), "{}", e);
    assert!(lua.load("c.add({}, 1)").exec().is_err());
    lua.load("c = nil").exec().unwrap();
    lua.gc_collect().unwrap();
}

#[test]
fn errors_have_tracebacks() {
    let lua = Lua::new();
    let e = lua
        .load(
            "local function inner() error('deep') end\nlocal function outer() inner() end\nouter()",
        )
        .set_name("deep.lua")
        .exec()
        .unwrap_err();
    let Error::RuntimeError(m) = &e else {
        panic!("{:?}", e)
    };
    assert!(m.starts_with("deep.lua:1: deep\nstack traceback:"), "{}", m);
    assert!(m.contains("inner"), "{}", m);
    let e = lua.load("this is not lua").exec().unwrap_err();
    assert!(
        matches!(&e, Error::SyntaxError { message, incomplete_input: false } if message.contains("'=' expected")),
        "{:?}",
        e
    );
    let e = lua.load("for i = 1, 2 do").exec().unwrap_err();
    assert!(
        matches!(
            &e,
            Error::SyntaxError {
                incomplete_input: true,
                ..
            }
        ),
        "{:?}",
        e
    );
}

#[test]
fn memory_limit_is_a_lua_error() {
    let lua = Lua::new();
    lua.set_memory_limit(Some(32 << 20));
    // Caught inside Lua: the state goes on.
    let r: String = lua
        .load(
            "local ok, e = pcall(function() local t = {} for i = 1, 1e8 do t[i] = {i} end end) \
             return tostring(ok) .. ' ' .. e",
        )
        .eval()
        .unwrap();
    assert_eq!(r, "false not enough memory");
    lua.gc_collect().unwrap();
    assert!(lua.used_memory() < 32 << 20);
    // Uncaught: an Error, and the state still works.
    let e = lua
        .load("local s = ('x'):rep(67108864)")
        .exec()
        .unwrap_err();
    assert!(matches!(e, Error::MemoryError(_)), "{:?}", e);
    let n: f64 = lua.load("return 40 + 2").eval().unwrap();
    assert_eq!(n, 42.0);
    // Creating values from Rust is limited too.
    assert!(matches!(
        lua.create_string(vec![b'x'; 64 << 20]),
        Err(Error::MemoryError(_))
    ));
    lua.set_memory_limit(None);
    let n: f64 = lua.load("return #('x'):rep(67108864)").eval().unwrap();
    assert_eq!(n, (64 << 20) as f64);
}

/// The limit covers what the VM holds in Rust collections: a table's
/// array and hash parts (the table keeps what it had), `string.format`
/// results, string buffers, and compiling a huge chunk (an uncaught
/// `Error::MemoryError` from `load`); the state goes on after each.
#[test]
fn memory_limit_covers_tables_buffers_and_chunks() {
    let lua = Lua::new();
    lua.set_memory_limit(Some(16 << 20));
    let r: String = lua
        .load(
            "local t, h = {}, {} \
             local ok, e = pcall(function() for i = 1, 1e8 do t[i] = i end end) \
             local ok2, e2 = pcall(function() for i = 1, 1e8 do h['k' .. i] = i end end) \
             local n, m = #t, 0 for _ in pairs(h) do m = m + 1 end \
             t, h = nil, nil \
             local big = ('f'):rep(2 ^ 20) \
             local ok3, e3 = pcall(string.format, ('%s'):rep(16), big, big, big, big, big, \
               big, big, big, big, big, big, big, big, big, big, big) \
             local b = require('string.buffer').new() \
             local ok4, e4 = pcall(function() for i = 1, 1e6 do b:put(big) end end) \
             b:free() \
             return table.concat({tostring(ok), e, tostring(n > 1000), tostring(ok2), e2, \
               tostring(m > 1000), tostring(ok3), e3, tostring(ok4), e4}, ' ')",
        )
        .eval()
        .unwrap();
    assert_eq!(
        r,
        "false not enough memory true false not enough memory true \
         false not enough memory false not enough memory"
    );
    let src: String = lua
        .load("return 'return {' .. ('1,'):rep(2 ^ 21) .. '}'")
        .eval()
        .unwrap();
    let e = lua.load(&src).exec().unwrap_err();
    assert!(matches!(e, Error::MemoryError(_)), "{:?}", e);
    drop(src);
    lua.gc_collect().unwrap();
    let n: f64 = lua
        .load("local t = {} for i = 1, 1000 do t[i] = i end return #t + 2")
        .eval()
        .unwrap();
    assert_eq!(n, 1002.0);
}
