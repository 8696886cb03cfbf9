//! Embedding API: values and handles — conversions (checked numbers,
//! binary strings, collections, multi-values), table handles and their
//! API, handles released when dropped, values from another state refused.

use lunatrace::{
    BString, Error, Function, Lua, LuaString, MultiValue, Table, Thread, ThreadStatus, Value,
    Variadic,
};
use std::collections::HashMap;

#[test]
fn numbers_are_checked() {
    let lua = Lua::new();
    let ev = |s: &str| lua.load(s).eval::<Value>().unwrap();
    assert_eq!(lua.unpack::<i64>(ev("42")).unwrap(), 42);
    assert_eq!(lua.unpack::<u8>(ev("255")).unwrap(), 255);
    assert_eq!(lua.unpack::<i32>(ev("'17'")).unwrap(), 17);
    for (src, ty) in [
        ("1.5", "i64"),
        ("256", "u8"),
        ("-1", "u32"),
        ("0/0", "i64"),
        ("1/0", "i64"),
        ("2^63", "i64"),
        ("'x'", "i64"),
    ] {
        let v = ev(src);
        let r = match ty {
            "i64" => lua.unpack::<i64>(v).map(|_| ()),
            "u8" => lua.unpack::<u8>(v).map(|_| ()),
            _ => lua.unpack::<u32>(v).map(|_| ()),
        };
        assert!(
            matches!(r, Err(Error::FromLuaConversionError { .. })),
            "{} as {}: {:?}",
            src,
            ty,
            r
        );
    }
    assert_eq!(lua.unpack::<i64>(ev("-2^53")).unwrap(), -(1i64 << 53));
    assert_eq!(lua.unpack::<u64>(ev("2^63")).unwrap(), 1u64 << 63);
    assert!(lua.unpack::<u64>(ev("2^64")).is_err());
    // Into Lua: exact only.
    assert!(lua.pack(1i64 << 53).is_ok());
    assert!(matches!(
        lua.pack((1i64 << 53) + 1),
        Err(Error::ToLuaConversionError { .. })
    ));
    assert!(lua.pack(i64::MAX).is_err());
    assert!(lua.pack(u64::MAX).is_err());
    assert_eq!(
        lua.pack(i64::MIN).unwrap(),
        Value::Number(-9.223372036854776e18)
    );
    assert_eq!(lua.unpack::<f64>(ev("0.1")).unwrap(), 0.1);
}

#[test]
fn strings_keep_their_bytes() {
    let lua = Lua::new();
    let bytes: Vec<u8> = (0..=255).collect();
    let s = lua.create_string(&bytes).unwrap();
    assert_eq!(s.as_bytes(), &bytes[..]);
    assert!(s.to_str().is_err());
    lua.globals().set("s", s).unwrap();
    assert_eq!(lua.load("#s").eval::<u32>().unwrap(), 256);
    let back: LuaString = lua.load("s:sub(1, 3) .. '\\255'").eval().unwrap();
    assert_eq!(back.as_bytes(), b"\0\x01\x02\xff");
    let b: BString = lua.load("s:sub(250)").eval().unwrap();
    assert_eq!(b.0, vec![249, 250, 251, 252, 253, 254, 255]);
    // String requires UTF-8; numbers convert as tostring writes them.
    assert!(lua.load("'\\255'").eval::<String>().is_err());
    assert_eq!(lua.load("'héllo'").eval::<String>().unwrap(), "héllo");
    assert_eq!(lua.load("1e100").eval::<String>().unwrap(), "1e+100");
    assert_eq!(lua.load("3").eval::<LuaString>().unwrap(), "3");
    assert!(lua.load("{}").eval::<String>().is_err());
}

#[test]
fn collections_options_and_multi_values() {
    let lua = Lua::new();
    let m: HashMap<String, i64> = lua.load("{a = 1, b = 2}").eval().unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m["b"], 2);
    let mut h = HashMap::new();
    h.insert("k".to_string(), vec![1, 2]);
    lua.globals().set("h", h).unwrap();
    assert_eq!(lua.load("h.k[2]").eval::<i64>().unwrap(), 2);
    let o: Option<i64> = lua.load("nil").eval().unwrap();
    assert_eq!(o, None);
    let (a, rest): (i64, Variadic<String>) = lua.load("1, 'x', 'y'").eval().unwrap();
    assert_eq!((a, rest.0), (1, vec!["x".to_string(), "y".to_string()]));
    let mv: MultiValue = lua.load("1, nil, 3").eval().unwrap();
    assert_eq!(mv.len(), 3);
    assert!(mv.0[1].is_nil());
    let sum = lua
        .create_function(|_, v: Variadic<f64>| Ok(v.iter().sum::<f64>()))
        .unwrap();
    assert_eq!(sum.call::<f64>((1, 2, 3.5)).unwrap(), 6.5);
    let (x, y, z): (i64, Option<i64>, Option<i64>) = lua.load("7").eval().unwrap();
    assert_eq!((x, y, z), (7, None, None));
}

#[test]
fn table_api() {
    let lua = Lua::new();
    let t = lua.create_table().unwrap();
    assert!(t.is_empty());
    t.set("a", 1).unwrap();
    t.push("one").unwrap();
    t.push("two").unwrap();
    assert_eq!(t.len().unwrap(), 2);
    assert_eq!(t.raw_len(), 2);
    assert!(t.contains_key("a").unwrap());
    assert!(!t.contains_key("b").unwrap());
    let seq: Vec<String> = t
        .sequence_values::<String>()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(seq, vec!["one", "two"]);
    let mut keys: Vec<String> = t
        .pairs::<Value, Value>()
        .map(|p| format!("{:?}", p.unwrap().0))
        .collect();
    keys.sort();
    assert_eq!(keys, vec!["\"a\"", "1", "2"]);
    // Metatables and raw access.
    let mt: Table = lua
        .load("{__index = function(t, k) return 'default ' .. k end, __newindex = function(t, k, v) rawset(t, k, v * 2) end}")
        .eval()
        .unwrap();
    t.set_metatable(Some(mt.clone())).unwrap();
    assert_eq!(t.get_metatable().unwrap(), mt);
    assert_eq!(t.get::<_, String>("zz").unwrap(), "default zz");
    assert!(t.raw_get::<_, Value>("zz").unwrap().is_nil());
    t.set("n", 5).unwrap();
    assert_eq!(t.raw_get::<_, i64>("n").unwrap(), 10);
    t.raw_set("m", 5).unwrap();
    assert_eq!(t.get::<_, i64>("m").unwrap(), 5);
    t.set_metatable(None).unwrap();
    assert!(t.get_metatable().is_none());
    // Errors: nil keys, failing metamethods.
    assert!(t.raw_set(Value::Nil, 1).is_err());
    assert!(t.raw_set(f64::NAN, 1).is_err());
    let bad: Table = lua
        .load("setmetatable({}, {__index = function() error('no reads') end})")
        .eval()
        .unwrap();
    let e = bad.get::<_, Value>("x").unwrap_err();
    assert!(e.to_string().contains("no reads"), "{}", e);
    // Table handles compare by identity; for_each.
    let g = lua.globals();
    assert_eq!(g, lua.load("_G").eval::<Table>().unwrap());
    let mut n = 0;
    lua.create_table_from([("x", 1), ("y", 2)])
        .unwrap()
        .for_each(|_: String, v: i64| {
            n += v;
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 3);
}

#[test]
fn callbacks_get_cyclic_tables_as_handles() {
    let lua = Lua::new();
    // `_G` contains itself: passing it to Rust is a handle, not a copy.
    let count = lua
        .create_function(|_, t: Table| Ok(t.pairs::<Value, Value>().count()))
        .unwrap();
    lua.globals().set("count", count).unwrap();
    let n: usize = lua.load("count(_G)").eval().unwrap();
    assert!(n > 10, "{}", n);
    let same = lua
        .create_function(|lua, t: Table| Ok(t == lua.globals() && t.get::<_, Table>("_G")? == t))
        .unwrap();
    assert!(same.call::<bool>(lua.globals()).unwrap());
}

#[test]
fn handles_are_released() {
    let lua = Lua::new();
    lua.gc_collect().unwrap();
    let base = lua.used_memory();
    for _ in 0..200 {
        let t: Table = lua
            .load("{ ('x'):rep(10000) .. math.random() }")
            .eval()
            .unwrap();
        let s: LuaString = t.get(1).unwrap();
        assert!(s.as_bytes().len() > 10000);
    }
    lua.gc_collect().unwrap();
    let after = lua.used_memory();
    assert!(after < base + 500_000, "{} -> {}", base, after);
    // A held handle keeps its value alive across collections.
    let t: Table = lua.load("{ big = ('y'):rep(100000) }").eval().unwrap();
    lua.gc_collect().unwrap();
    assert_eq!(
        t.get::<_, LuaString>("big").unwrap().as_bytes().len(),
        100000
    );
}

#[test]
fn functions_threads_environments() {
    let lua = Lua::new();
    let f: Function = lua
        .load("function(a, b, c) return a + b * c end")
        .eval()
        .unwrap();
    let g = f.bind((1, 2)).unwrap();
    assert_eq!(g.call::<i64>(10).unwrap(), 21);
    let env = lua.create_table().unwrap();
    env.set("y", 5).unwrap();
    let h: Function = lua.load("return y").into_function().unwrap();
    assert!(h.call::<Option<i64>>(()).unwrap().is_none());
    h.set_environment(env.clone()).unwrap();
    assert_eq!(h.call::<i64>(()).unwrap(), 5);
    assert_eq!(h.environment().unwrap().unwrap(), env);
    let co: Thread = lua
        .create_thread(
            lua.load("function(n) for i = 1, n do coroutine.yield(i) end return 'done' end")
                .eval()
                .unwrap(),
        )
        .unwrap();
    assert_eq!(co.status(), ThreadStatus::Resumable);
    assert_eq!(co.resume::<i64>(2).unwrap(), 1);
    assert_eq!(co.resume::<i64>(()).unwrap(), 2);
    assert_eq!(co.resume::<String>(()).unwrap(), "done");
    assert_eq!(co.status(), ThreadStatus::Finished);
    let bad: Thread = lua
        .create_thread(lua.load("function() error('inside') end").eval().unwrap())
        .unwrap();
    assert!(bad
        .resume::<()>(())
        .unwrap_err()
        .to_string()
        .contains("inside"));
}

#[test]
fn values_of_other_states_are_refused() {
    let a = Lua::new();
    let b = Lua::new();
    let t = a.create_table().unwrap();
    assert!(matches!(
        b.globals().set("t", t),
        Err(Error::MismatchedState)
    ));
}

#[test]
fn handles_outliving_the_state() {
    let lua = Lua::new();
    let t = lua.create_table().unwrap();
    let s = lua.create_string("kept").unwrap();
    drop(lua);
    assert!(matches!(t.set("a", 1), Err(Error::StateClosed)));
    assert_eq!(s.as_bytes(), b"kept");
}

#[test]
fn globals_need_no_vm() {
    let lua = Lua::new();
    let g = lua.with_raw_vm(|_| lua.globals()).unwrap();
    g.set("z", 3).unwrap();
    assert_eq!(lua.load("z").eval::<i32>().unwrap(), 3);
}
