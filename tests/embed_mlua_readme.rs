//! The headline examples of mlua's README and guided tour, written anew
//! against Lunatrace's API: same calls, same behaviour.

use lunatrace::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

/// Replace `print` with a Rust function collecting its lines.
fn capture_print(lua: &Lua) -> Rc<RefCell<Vec<String>>> {
    let out = Rc::new(RefCell::new(Vec::new()));
    let o2 = out.clone();
    let print = lua
        .create_function(move |_, args: LuaVariadic<LuaValue>| {
            let parts: Vec<String> = args
                .iter()
                .map(|v| match v {
                    LuaValue::String(s) => s.to_string_lossy(),
                    LuaValue::Number(n) => n.to_string(),
                    other => format!("{:?}", other),
                })
                .collect();
            o2.borrow_mut().push(parts.join("\t"));
            Ok(())
        })
        .unwrap();
    lua.globals().set("print", print).unwrap();
    out
}

#[test]
fn readme_map_table() -> LuaResult<()> {
    let lua = Lua::new();
    let out = capture_print(&lua);
    let map_table = lua.create_table()?;
    map_table.set(1, "one")?;
    map_table.set("two", 2)?;
    lua.globals().set("map_table", map_table)?;
    lua.load("for k,v in pairs(map_table) do print(k,v) end")
        .exec()?;
    let mut lines = out.borrow().clone();
    lines.sort();
    assert_eq!(lines, vec!["1\tone", "two\t2"]);
    Ok(())
}

#[test]
fn tour_globals_and_eval() -> LuaResult<()> {
    let lua = Lua::new();
    let globals = lua.globals();
    globals.set("string_var", "hello")?;
    globals.set("int_var", 42)?;
    assert_eq!(globals.get::<_, String>("string_var")?, "hello");
    assert_eq!(globals.get::<_, i64>("int_var")?, 42);

    lua.load(
        r#"
            global = 'foo'..'bar'
        "#,
    )
    .set_name("example code")
    .exec()?;
    assert_eq!(globals.get::<_, String>("global")?, "foobar");
    assert_eq!(lua.load("1 + 1").eval::<i32>()?, 2);
    assert!(lua.load("false == false").eval::<bool>()?);
    assert_eq!(lua.load("return 1 + 2").eval::<i32>()?, 3);

    let v: LuaTable = lua.load("{1, 2, 3}").eval()?;
    assert_eq!(v.len()?, 3);
    let squares: Vec<i32> = lua.load("{1, 4, 9, 16}").eval()?;
    assert_eq!(squares.iter().sum::<i32>(), 30);
    Ok(())
}

#[test]
fn tour_rust_functions() -> LuaResult<()> {
    let lua = Lua::new();
    let globals = lua.globals();
    let check_equal =
        lua.create_function(|_, (list1, list2): (Vec<String>, Vec<String>)| Ok(list1 == list2))?;
    let join = lua.create_function(|_, strings: LuaVariadic<String>| Ok(strings.join("")))?;
    globals.set("check_equal", check_equal)?;
    globals.set("join", join)?;
    assert!(lua
        .load(r#"check_equal({"a", "b", "c"}, {"a", "b", "c"})"#)
        .eval::<bool>()?);
    assert!(!lua
        .load(r#"check_equal({"a", "b", "c"}, {"d", "e", "f"})"#)
        .eval::<bool>()?);
    assert_eq!(lua.load(r#"join("a", "b", "c")"#).eval::<String>()?, "abc");

    // Lua functions hold handles to Rust closures and back.
    let print_person = lua.create_function(|_, (name, age): (String, u8)| {
        Ok(format!("{} is {} years old!", name, age))
    })?;
    let s: String = print_person.call(("John Smith", 42))?;
    assert_eq!(s, "John Smith is 42 years old!");
    assert!(print_person.call::<String>(("John Smith", 420)).is_err());

    // Callbacks capturing Rust state.
    let counter = Rc::new(RefCell::new(0));
    let c2 = counter.clone();
    let inc = lua.create_function(move |_, by: i32| {
        *c2.borrow_mut() += by;
        Ok(())
    })?;
    globals.set("inc", inc)?;
    lua.load("for i = 1, 10 do inc(i) end").exec()?;
    assert_eq!(*counter.borrow(), 55);
    Ok(())
}

#[test]
fn tour_userdata() -> LuaResult<()> {
    #[derive(Copy, Clone)]
    struct Vec2(f32, f32);

    impl LuaUserData for Vec2 {
        fn add_methods<M: LuaUserDataMethods<Self>>(methods: &mut M) {
            methods.add_method("magnitude", |_, vec, ()| {
                let mag_squared = vec.0 * vec.0 + vec.1 * vec.1;
                Ok(mag_squared.sqrt())
            });
            methods.add_meta_function(
                LuaMetaMethod::Add,
                |_, (vec1, vec2): (LuaAnyUserData, LuaAnyUserData)| {
                    let (a, b) = (*vec1.borrow::<Vec2>()?, *vec2.borrow::<Vec2>()?);
                    Ok(Vec2(a.0 + b.0, a.1 + b.1))
                },
            );
        }
    }
    impl IntoLua for Vec2 {
        fn into_lua(self, lua: &Lua) -> LuaResult<LuaValue> {
            lua.create_userdata(self).map(LuaValue::UserData)
        }
    }

    let lua = Lua::new();
    let vec2_constructor = lua.create_function(|_, (x, y): (f32, f32)| Ok(Vec2(x, y)))?;
    lua.globals().set("vec2", vec2_constructor)?;
    assert!(
        (lua.load("(vec2(1, 2) + vec2(2, 2)):magnitude()")
            .eval::<f32>()?
            - 5.0)
            .abs()
            < f32::EPSILON
    );
    Ok(())
}

#[test]
fn tour_errors() -> LuaResult<()> {
    let lua = Lua::new();
    let check_positive = lua.create_function(|_, n: f64| {
        if n <= 0.0 {
            Err(LuaError::runtime("not positive"))
        } else {
            Ok(n)
        }
    })?;
    lua.globals().set("check_positive", check_positive)?;
    // Errors from Rust can be caught in Lua...
    let (ok, msg): (bool, String) = lua
        .load("local ok, e = pcall(check_positive, -1) return ok, tostring(e)")
        .eval()?;
    assert!(!ok);
    assert!(msg.contains("not positive"));
    // ... and reach Rust as a callback error with its cause.
    match lua.load("check_positive(-1)").exec() {
        Err(LuaError::CallbackError { cause, .. }) => {
            assert!(matches!(&*cause, LuaError::RuntimeError(m) if m == "not positive"))
        }
        r => panic!("{:?}", r),
    }
    // Syntax errors report whether more input could complete the chunk.
    assert!(matches!(
        lua.load("x = (1 +").exec(),
        Err(LuaError::SyntaxError {
            incomplete_input: true,
            ..
        })
    ));
    Ok(())
}

#[test]
fn tour_scope() -> LuaResult<()> {
    let lua = Lua::new();
    let mut rust_val = 0;
    lua.scope(|scope| {
        // A callback holding a mutable reference to a local: only
        // allowed in a scope, which invalidates it at its end.
        lua.globals().set(
            "sketchy",
            scope.create_function_mut(|_, ()| {
                rust_val = 42;
                Ok(())
            })?,
        )?;
        lua.load("sketchy()").exec()
    })?;
    assert_eq!(rust_val, 42);
    // `sketchy` is still a global, but calling it now is an error.
    let e = lua.load("sketchy()").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), LuaError::CallbackDestructed),
        "{:?}",
        e
    );
    Ok(())
}
