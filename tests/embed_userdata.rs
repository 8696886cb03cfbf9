//! Embedding API: Rust values as userdata — methods, mutable methods,
//! functions, fields (getters, setters, constants), metamethods, borrow
//! checking from Rust and from Lua, `take`, type checks, finalisation.

use lunatrace::{
    AnyUserData, Error, Lua, MetaMethod, UserData, UserDataFields, UserDataMethods, Value,
};
use std::cell::Cell;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq)]
struct V2 {
    x: f64,
    y: f64,
}

impl UserData for V2 {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("x", |_, v| Ok(v.x));
        f.add_field_method_get("y", |_, v| Ok(v.y));
        f.add_field_method_set("x", |_, v, x: f64| {
            v.x = x;
            Ok(())
        });
        f.add_field("kind", "vector");
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("dot", |_, a, b: AnyUserData| {
            let b = b.borrow::<V2>()?;
            Ok(a.x * b.x + a.y * b.y)
        });
        m.add_method_mut("scale", |_, v, k: f64| {
            v.x *= k;
            v.y *= k;
            Ok(())
        });
        m.add_function("new", |lua, (x, y): (f64, f64)| {
            lua.create_userdata(V2 { x, y })
        });
        let op = |f: fn(f64, f64) -> f64| {
            move |lua: &Lua, a: &V2, b: AnyUserData| {
                let b = b.borrow::<V2>()?;
                lua.create_userdata(V2 {
                    x: f(a.x, b.x),
                    y: f(a.y, b.y),
                })
            }
        };
        m.add_meta_method(MetaMethod::Add, op(|a, b| a + b));
        m.add_meta_method(MetaMethod::Sub, op(|a, b| a - b));
        m.add_meta_method(MetaMethod::Mul, |lua, a, k: f64| {
            lua.create_userdata(V2 {
                x: a.x * k,
                y: a.y * k,
            })
        });
        m.add_meta_method(MetaMethod::Unm, |lua, a, ()| {
            lua.create_userdata(V2 { x: -a.x, y: -a.y })
        });
        m.add_meta_function(MetaMethod::Eq, |_, (a, b): (AnyUserData, AnyUserData)| {
            Ok(*a.borrow::<V2>()? == *b.borrow::<V2>()?)
        });
        m.add_meta_method(MetaMethod::Lt, |_, a, b: AnyUserData| {
            let b = b.borrow::<V2>()?;
            Ok(a.x < b.x)
        });
        m.add_meta_method(MetaMethod::Le, |_, a, b: AnyUserData| {
            let b = b.borrow::<V2>()?;
            Ok(a.x <= b.x)
        });
        m.add_meta_method(MetaMethod::Len, |_, a, ()| {
            Ok((a.x * a.x + a.y * a.y).sqrt())
        });
        m.add_meta_method(MetaMethod::ToString, |_, a, ()| {
            Ok(format!("({}, {})", a.x, a.y))
        });
        m.add_meta_function(MetaMethod::Concat, |_, (a, b): (Value, Value)| {
            let s = |v: &Value| match v {
                Value::UserData(u) => u.borrow::<V2>().map(|v| format!("<{},{}>", v.x, v.y)),
                Value::String(s) => Ok(s.to_string_lossy()),
                o => Ok(format!("{:?}", o)),
            };
            Ok(format!("{}{}", s(&a)?, s(&b)?))
        });
        m.add_meta_method(MetaMethod::Call, |_, a, k: f64| Ok(a.x * k));
        m.add_meta_method(MetaMethod::Div, |_, a, k: f64| Ok(a.x / k));
        m.add_meta_method(MetaMethod::Mod, |_, a, k: f64| Ok(a.x % k));
        m.add_meta_method(MetaMethod::Pow, |_, a, k: f64| Ok(a.x.powf(k)));
    }
}

#[test]
fn methods_fields_and_metamethods() {
    let lua = Lua::new();
    let v = lua.create_userdata(V2 { x: 3.0, y: 4.0 }).unwrap();
    lua.globals().set("v", v.clone()).unwrap();
    let check = |src: &str, want: &str| {
        let got: String = lua
            .load(src)
            .eval::<Value>()
            .map(|v| format!("{:?}", v))
            .unwrap();
        assert_eq!(got, want, "{}", src);
    };
    check("v.x + v.y", "7");
    check("v.kind", "\"vector\"");
    check("v:dot(v)", "25");
    check("#v", "5");
    check("tostring(v + v)", "\"(6, 8)\"");
    check("tostring(v - v)", "\"(0, 0)\"");
    check("tostring(v * 2)", "\"(6, 8)\"");
    check("tostring(-v)", "\"(-3, -4)\"");
    check("v == v.new(3, 4)", "true");
    check("v == v.new(3, 5)", "false");
    check("v < v.new(4, 0)", "true");
    check("v <= v.new(3, 0)", "true");
    check("v .. '!'", "\"<3,4>!\"");
    check("'!' .. v", "\"!<3,4>\"");
    check("v(2)", "6");
    check("v / 2", "1.5");
    check("v % 2", "1");
    check("v ^ 2", "9");
    check("v.missing", "nil");
    lua.load("v.x = 10; v:scale(2)").exec().unwrap();
    assert_eq!(*v.borrow::<V2>().unwrap(), V2 { x: 20.0, y: 8.0 });
    let e = lua.load("v.y = 1").exec().unwrap_err();
    assert!(e.to_string().contains("cannot set field"), "{}", e);
    // Methods check their receiver.
    let e = lua.load("v.dot({}, v)").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::BadArgument { pos: 1, .. }),
        "{:?}",
        e
    );
    let e = lua.load("v.scale(newproxy(), 1)").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::BadArgument { pos: 1, .. }),
        "{:?}",
        e
    );
    let e = lua.load("v:dot(1)").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::BadArgument { pos: 2, .. }),
        "{:?}",
        e
    );
    // The metatable is protected.
    assert_eq!(
        lua.load("getmetatable(v)").eval::<Value>().unwrap(),
        Value::Boolean(false)
    );
    assert!(lua.load("tostring(type(v))").eval::<String>().unwrap() == "userdata");
}

#[test]
fn borrow_checking() {
    let lua = Lua::new();
    let v = lua.create_userdata(V2 { x: 1.0, y: 2.0 }).unwrap();
    {
        let b = v.borrow::<V2>().unwrap();
        assert_eq!(b.x, 1.0);
        assert!(v.borrow::<V2>().is_ok());
        assert!(matches!(
            v.borrow_mut::<V2>(),
            Err(Error::UserDataBorrowMutError)
        ));
        // From Lua: a mutable method while Rust holds a borrow.
        lua.globals().set("v", v.clone()).unwrap();
        let e = lua.load("v:scale(2)").exec().unwrap_err();
        assert!(
            matches!(e.root_cause(), Error::UserDataBorrowMutError),
            "{:?}",
            e
        );
        assert_eq!(lua.load("v.x").eval::<f64>().unwrap(), 1.0);
    }
    {
        let _m = v.borrow_mut::<V2>().unwrap();
        assert!(matches!(v.borrow::<V2>(), Err(Error::UserDataBorrowError)));
        let e = lua.load("return v.x").exec().unwrap_err();
        assert!(
            matches!(e.root_cause(), Error::UserDataBorrowError),
            "{:?}",
            e
        );
    }
    // A method re-entering its own object mutably.
    struct Cell2(i32);
    impl UserData for Cell2 {
        fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
            m.add_method_mut("poke", |lua, c, ()| {
                c.0 += 1;
                lua.load("c:poke()").exec()
            });
        }
    }
    let c = lua.create_userdata(Cell2(0)).unwrap();
    lua.globals().set("c", c.clone()).unwrap();
    let e = lua.load("c:poke()").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::UserDataBorrowMutError),
        "{:?}",
        e
    );
    assert_eq!(c.borrow::<Cell2>().unwrap().0, 1);
}

#[test]
fn take_type_checks_and_drop() {
    let lua = Lua::new();
    let drops = Rc::new(Cell::new(0));
    struct Res(Rc<Cell<i32>>, i32);
    impl Drop for Res {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    impl UserData for Res {
        fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
            m.add_method("get", |_, r, ()| Ok(r.1));
        }
    }
    let u = lua.create_userdata(Res(drops.clone(), 7)).unwrap();
    assert!(u.is::<Res>());
    assert!(!u.is::<V2>());
    assert!(matches!(u.borrow::<V2>(), Err(Error::UserDataTypeMismatch)));
    lua.globals().set("r", u.clone()).unwrap();
    assert_eq!(lua.load("r:get()").eval::<i32>().unwrap(), 7);
    let r = u.take::<Res>().unwrap();
    assert_eq!(r.1, 7);
    assert_eq!(drops.get(), 0);
    drop(r);
    assert_eq!(drops.get(), 1);
    let e = lua.load("r:get()").exec().unwrap_err();
    assert!(
        matches!(e.root_cause(), Error::UserDataDestructed),
        "{:?}",
        e
    );
    assert!(matches!(u.take::<Res>(), Err(Error::UserDataDestructed)));
    // Collected userdata drop their value.
    lua.load("r = nil").exec().unwrap();
    drop(u);
    for i in 0..10 {
        let x = lua.create_userdata(Res(drops.clone(), i)).unwrap();
        lua.globals().set("tmp", x).unwrap();
    }
    lua.load("tmp = nil").exec().unwrap();
    lua.gc_collect().unwrap();
    assert_eq!(drops.get(), 11);
    // Plain Lua userdata are not Rust values.
    let p: AnyUserData = lua.load("newproxy()").eval().unwrap();
    assert!(matches!(
        p.borrow::<Res>(),
        Err(Error::UserDataTypeMismatch)
    ));
}

#[test]
fn custom_index_and_newindex() {
    struct Bag(std::collections::HashMap<String, i64>);
    impl UserData for Bag {
        fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
            m.add_method("size", |_, b, ()| Ok(b.0.len()));
            m.add_meta_method(MetaMethod::Index, |_, b, k: String| {
                Ok(b.0.get(&k).copied())
            });
            m.add_meta_method_mut(MetaMethod::NewIndex, |_, b, (k, v): (String, i64)| {
                b.0.insert(k, v);
                Ok(())
            });
        }
    }
    let lua = Lua::new();
    let b = lua.create_userdata(Bag(Default::default())).unwrap();
    lua.globals().set("b", b).unwrap();
    let r: (i64, Option<i64>, usize) = lua
        .load("b.apples = 3; b.pears = 4; return b.apples, b.plums, b:size()")
        .eval()
        .unwrap();
    assert_eq!(r, (3, None, 2));
}

#[test]
fn a_panicking_drop_does_not_unwind_through_the_collector() {
    struct Bad;
    impl Drop for Bad {
        fn drop(&mut self) {
            panic!("drop failed");
        }
    }
    impl UserData for Bad {}
    let lua = Lua::new();
    lua.globals()
        .set("b", lua.create_userdata(Bad).unwrap())
        .unwrap();
    lua.load("b = nil").exec().unwrap();
    lua.gc_collect().unwrap();
    assert_eq!(lua.load("40 + 2").eval::<i32>().unwrap(), 42);
}
