//! `Lua::scope`: functions and userdata borrowing non-`'static` data,
//! invalidated when the scope ends.

use lunatrace::prelude::*;
use lunatrace::{Error, Function, UserData, UserDataFields, UserDataMethods};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `e` (or its cause) is `CallbackDestructed`.
fn is_destructed_callback(e: &Error) -> bool {
    matches!(e.root_cause(), Error::CallbackDestructed)
}

fn is_destructed_userdata(e: &Error) -> bool {
    matches!(e.root_cause(), Error::UserDataDestructed)
}

#[test]
fn closure_borrows_a_local_counter_mutably() -> LuaResult<()> {
    let lua = Lua::new();
    let mut counter = 0u32;
    lua.scope(|scope| {
        let inc = scope.create_function_mut(|_, by: u32| {
            counter += by;
            Ok(counter)
        })?;
        lua.globals().set("inc", inc)?;
        let last: u32 = lua
            .load("local r; for i = 1, 100 do r = inc(1) end; return r")
            .eval()?;
        assert_eq!(last, 100);
        Ok(())
    })?;
    // The borrow ended with the scope.
    counter += 1;
    assert_eq!(counter, 101);
    Ok(())
}

#[test]
fn shared_borrow_of_local_data() -> LuaResult<()> {
    let lua = Lua::new();
    let words = ["alpha".to_string(), "beta".to_string()];
    let joined: String = lua.scope(|scope| {
        let get = scope.create_function(|_, i: usize| Ok(words.get(i - 1).cloned()))?;
        let count = scope.create_function(|_, ()| Ok(words.len()))?;
        lua.globals().set("get", get)?;
        lua.globals().set("count", count)?;
        lua.load("local t = {} for i = 1, count() do t[i] = get(i) end return table.concat(t, '+')")
            .eval()
    })?;
    assert_eq!(joined, "alpha+beta");
    // Readable during and after the scope.
    assert_eq!(words.len(), 2);
    Ok(())
}

#[test]
fn calling_after_the_scope_is_an_error() -> LuaResult<()> {
    let lua = Lua::new();
    let mut hits = 0;
    let f: Function = lua.scope(|scope| {
        let f = scope.create_function_mut(|_, ()| {
            hits += 1;
            Ok(hits)
        })?;
        lua.globals().set("f", f.clone())?;
        assert_eq!(f.call::<i32>(())?, 1);
        Ok(f)
    })?;
    assert_eq!(hits, 1);
    // From Rust: the function escaped the scope as its return value.
    let e = f.call::<()>(()).unwrap_err();
    assert!(is_destructed_callback(&e), "{:?}", e);
    assert!(e.to_string().contains("no longer valid"), "{}", e);
    // From Lua: it escaped through the globals.
    let (ok, msg): (bool, String) = lua
        .load("local ok, e = pcall(f) return ok, tostring(e)")
        .eval()?;
    assert!(!ok);
    assert!(
        msg.contains("callback called when it is no longer valid"),
        "{}",
        msg
    );
    let e = lua.load("f()").exec().unwrap_err();
    assert!(is_destructed_callback(&e), "{:?}", e);
    assert_eq!(hits, 1);
    Ok(())
}

#[test]
fn panic_in_a_scoped_callback_is_a_lua_error() -> LuaResult<()> {
    let lua = Lua::new();
    let mut seen = Vec::new();
    lua.scope(|scope| {
        let boom = scope.create_function_mut(|_, n: i32| {
            seen.push(n);
            if n == 2 {
                panic!("scoped boom {}", n);
            }
            Ok(n)
        })?;
        lua.globals().set("boom", boom)?;
        let (ok, msg): (bool, String) = lua
            .load("boom(1); local ok, e = pcall(boom, 2) return ok, tostring(e)")
            .eval()?;
        assert!(!ok);
        assert!(msg.contains("scoped boom 2"), "{}", msg);
        match lua.load("boom(2)").exec() {
            Err(e) => assert!(
                matches!(e.root_cause(), Error::CallbackPanic(m) if m.contains("scoped boom")),
                "{:?}",
                e
            ),
            Ok(()) => panic!("no error"),
        }
        // The state still works, and so does the callback.
        assert_eq!(lua.load("return boom(3)").eval::<i32>()?, 3);
        Ok(())
    })?;
    assert_eq!(seen, vec![1, 2, 2, 3]);
    Ok(())
}

#[test]
fn panic_in_the_scope_closure_still_invalidates() {
    let lua = Lua::new();
    let mut n = 0;
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = lua.scope(|scope| {
            let f = scope.create_function_mut(|_, ()| {
                n += 1;
                Ok(())
            })?;
            lua.globals().set("f", f)?;
            lua.load("f()").exec()?;
            panic!("leaving the scope by a panic");
            #[allow(unreachable_code)]
            Ok(())
        });
    }));
    assert!(r.is_err());
    assert_eq!(n, 1);
    let e = lua.load("f()").exec().unwrap_err();
    assert!(is_destructed_callback(&e), "{:?}", e);
    assert_eq!(n, 1);
}

#[test]
fn an_error_from_the_scope_closure_is_returned() {
    let lua = Lua::new();
    let r: LuaResult<()> = lua.scope(|scope| {
        lua.globals()
            .set("g", scope.create_function(|_, ()| Ok(1))?)?;
        lua.load("error('from the chunk')").exec()
    });
    assert!(r.unwrap_err().to_string().contains("from the chunk"));
    assert!(is_destructed_callback(&lua.load("g()").exec().unwrap_err()));
}

/// A userdata type borrowing a slice on the caller's stack.
struct View<'a> {
    data: &'a [i64],
    reads: &'a Cell<u32>,
}

impl UserData for View<'_> {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("first", |_, v| Ok(v.data.first().copied()));
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method("sum", |_, v, ()| Ok(v.data.iter().sum::<i64>()));
        m.add_meta_method(LuaMetaMethod::Index, |_, v, i: usize| {
            v.reads.set(v.reads.get() + 1);
            Ok(v.data.get(i.wrapping_sub(1)).copied())
        });
        m.add_meta_method(LuaMetaMethod::Len, |_, v, ()| Ok(v.data.len()));
        m.add_meta_method(LuaMetaMethod::ToString, |_, v, ()| {
            Ok(format!("View({})", v.data.len()))
        });
    }
}

#[test]
fn userdata_borrowing_a_stack_value() -> LuaResult<()> {
    let lua = Lua::new();
    let data = [3i64, 4, 5];
    let reads = Cell::new(0);
    let held: LuaAnyUserData = lua.scope(|scope| {
        let v = scope.create_nonstatic_userdata(View {
            data: &data,
            reads: &reads,
        })?;
        lua.globals().set("v", v.clone())?;
        let (n, sum, second, first, s): (usize, i64, i64, i64, String) = lua
            .load("return #v, v:sum(), v[2], v.first, tostring(v)")
            .eval()?;
        assert_eq!(
            (n, sum, second, first, s.as_str()),
            (3, 12, 4, 3, "View(3)")
        );
        // Scoped userdata are reached through their methods only.
        assert!(matches!(
            v.borrow::<i32>().unwrap_err(),
            Error::UserDataTypeMismatch
        ));
        Ok(v)
    })?;
    assert_eq!(reads.get(), 1);
    // The userdata escaped through the globals and as the result.
    for code in [
        "return v:sum()",
        "return v[1]",
        "return #v",
        "v.x = 1",
        "return v + 1",
    ] {
        let e = lua.load(code).exec().unwrap_err();
        assert!(is_destructed_userdata(&e), "{}: {:?}", code, e);
    }
    let (ok, msg): (bool, String) = lua
        .load("local ok, e = pcall(function() return v.first end) return ok, tostring(e)")
        .eval()?;
    assert!(!ok);
    assert!(msg.contains("userdata has been destructed"), "{}", msg);
    // Identity still works.
    assert!(lua
        .load("return v == v and type(v) == 'userdata'")
        .eval::<bool>()?);
    assert!(matches!(
        held.borrow::<i32>().unwrap_err(),
        Error::UserDataDestructed
    ));
    assert_eq!(reads.get(), 1);
    Ok(())
}

struct Account {
    balance: i64,
}

impl UserData for Account {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("balance", |_, a| Ok(a.balance));
        f.add_field_method_set("balance", |_, a, b: i64| {
            a.balance = b;
            Ok(())
        });
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("deposit", |_, a, n: i64| {
            a.balance += n;
            Ok(a.balance)
        });
        m.add_method("peek", |_, a, ()| Ok(a.balance));
    }
}

#[test]
fn userdata_ref_and_ref_mut() -> LuaResult<()> {
    let lua = Lua::new();
    let mut acct = Account { balance: 10 };
    lua.scope(|scope| {
        lua.globals()
            .set("acct", scope.create_userdata_ref_mut(&mut acct)?)?;
        lua.load("acct:deposit(5); acct.balance = acct.balance * 2")
            .exec()
    })?;
    assert_eq!(acct.balance, 30);

    let frozen = Account { balance: 7 };
    lua.scope(|scope| {
        lua.globals()
            .set("frozen", scope.create_userdata_ref(&frozen)?)?;
        assert_eq!(
            lua.load("return frozen:peek() + frozen.balance")
                .eval::<i64>()?,
            14
        );
        // Shared: `&mut` methods and setters are refused.
        for code in ["frozen:deposit(1)", "frozen.balance = 0"] {
            let e = lua.load(code).exec().unwrap_err();
            assert!(
                matches!(e.root_cause(), Error::UserDataBorrowMutError),
                "{}: {:?}",
                code,
                e
            );
        }
        // Rust can read it meanwhile.
        assert_eq!(frozen.balance, 7);
        Ok(())
    })?;
    assert_eq!(frozen.balance, 7);
    Ok(())
}

#[test]
fn methods_check_their_self() -> LuaResult<()> {
    let lua = Lua::new();
    let mut a = Account { balance: 1 };
    let mut b = Account { balance: 100 };
    lua.scope(|scope| {
        lua.globals()
            .set("a", scope.create_userdata_ref_mut(&mut a)?)?;
        lua.globals()
            .set("b", scope.create_userdata_ref_mut(&mut b)?)?;
        // Each userdata has its own methods: a's method with b as self is
        // refused rather than touching the wrong value.
        let e = lua.load("a.deposit(b, 1)").exec().unwrap_err();
        assert!(
            matches!(e.root_cause(), Error::BadArgument { pos: 1, .. }),
            "{:?}",
            e
        );
        let e = lua.load("a.deposit(42, 1)").exec().unwrap_err();
        assert!(
            matches!(e.root_cause(), Error::BadArgument { pos: 1, .. }),
            "{:?}",
            e
        );
        lua.load("a:deposit(1); b:deposit(2)").exec()
    })?;
    assert_eq!((a.balance, b.balance), (2, 102));
    Ok(())
}

/// Sets its flag when dropped.
struct Flag<'a>(&'a Cell<bool>);

impl Drop for Flag<'_> {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

impl UserData for Flag<'_> {}

#[test]
fn scoped_values_are_dropped_when_the_scope_ends() -> LuaResult<()> {
    let lua = Lua::new();
    let ud_dropped = Cell::new(false);
    let fn_dropped = Cell::new(false);
    lua.scope(|scope| {
        // No methods: nothing but the scope keeps the value.
        let ud = scope.create_nonstatic_userdata(Flag(&ud_dropped))?;
        let captured = Flag(&fn_dropped);
        let f = scope.create_function(move |_, ()| Ok(captured.0.get()))?;
        lua.globals().set("ud", ud)?;
        lua.globals().set("f", f)?;
        lua.gc_collect()?;
        assert!(!lua.load("return f()").eval::<bool>()?);
        assert!(!ud_dropped.get() && !fn_dropped.get());
        Ok(())
    })?;
    assert!(ud_dropped.get() && fn_dropped.get());
    // The Lua objects outlive the scope; collecting them is harmless.
    lua.load("ud, f = nil, nil").exec()?;
    lua.gc_collect()?;
    Ok(())
}

#[test]
fn mut_callback_recursion_is_an_error() -> LuaResult<()> {
    let lua = Lua::new();
    let mut depth = 0;
    lua.scope(|scope| {
        let rec = scope.create_function_mut(|lua, ()| {
            depth += 1;
            lua.load("rec()").exec()
        })?;
        lua.globals().set("rec", rec)?;
        let e = lua.load("rec()").exec().unwrap_err();
        assert!(
            matches!(e.root_cause(), Error::RecursiveMutCallback),
            "{:?}",
            e
        );
        Ok(())
    })?;
    assert_eq!(depth, 1);
    Ok(())
}

#[test]
fn many_scoped_functions_survive_collections() -> LuaResult<()> {
    let lua = Lua::new();
    let mut total = 0i64;
    lua.scope(|scope| {
        let make = scope.create_function(|_, ()| Ok(()))?;
        for i in 0..200 {
            let f = scope.create_function(move |_, x: i64| Ok(x + i))?;
            let r: i64 = f.call(1)?;
            total += r;
            if i % 50 == 0 {
                lua.gc_collect()?;
            }
        }
        make.call::<()>(())
    })?;
    assert_eq!(total, (0..200).map(|i| i + 1).sum::<i64>());
    lua.gc_collect()?;
    Ok(())
}

#[test]
fn scope_inside_a_callback_and_nested_scopes() -> LuaResult<()> {
    let lua = Lua::new();
    // A regular callback opening a scope of its own.
    let run = lua.create_function(|lua, code: String| {
        let mut calls = 0;
        lua.scope(|scope| {
            lua.globals().set(
                "tick",
                scope.create_function_mut(|_, ()| {
                    calls += 1;
                    Ok(())
                })?,
            )?;
            lua.load(code.as_str()).exec()
        })?;
        Ok(calls)
    })?;
    lua.globals().set("run", run)?;
    assert_eq!(lua.load("return run('tick() tick()')").eval::<i32>()?, 2);
    assert!(lua.load("tick()").exec().is_err());

    // Nested scopes: the inner one's values die first.
    let mut outer_n = 0;
    lua.scope(|outer| {
        lua.globals().set(
            "outer",
            outer.create_function_mut(|_, ()| {
                outer_n += 1;
                Ok(())
            })?,
        )?;
        let mut inner_n = 0;
        lua.scope(|inner| {
            lua.globals().set(
                "inner",
                inner.create_function_mut(|_, ()| {
                    inner_n += 1;
                    Ok(())
                })?,
            )?;
            lua.load("outer() inner()").exec()
        })?;
        assert_eq!(inner_n, 1);
        assert!(lua.load("inner()").exec().is_err());
        lua.load("outer()").exec()
    })?;
    assert_eq!(outer_n, 2);
    Ok(())
}

#[test]
fn a_scoped_callback_cannot_be_suspended_by_a_yield() -> LuaResult<()> {
    let lua = Lua::new();
    let mut after_yield = false;
    lua.scope(|scope| {
        let f = scope.create_function_mut(|lua, ()| {
            let r = lua.load("coroutine.yield(1)").exec();
            after_yield = true;
            r
        })?;
        lua.globals().set("f", f)?;
        let (ok, msg): (bool, String) = lua
            .load("local co = coroutine.create(function() f() end) local ok, e = coroutine.resume(co) return ok, tostring(e)")
            .eval()?;
        assert!(!ok);
        assert!(msg.contains("yield"), "{}", msg);
        Ok(())
    })?;
    // The callback ran to its end inside the scope.
    assert!(after_yield);
    Ok(())
}

#[test]
fn many_scoped_userdata() -> LuaResult<()> {
    let lua = Lua::new();
    let mut accounts: Vec<Account> = (0..3000).map(|i| Account { balance: i }).collect();
    let t0 = std::time::Instant::now();
    lua.scope(|scope| {
        let list = lua.create_table()?;
        for a in accounts.iter_mut() {
            list.push(scope.create_userdata_ref_mut(a)?)?;
        }
        lua.globals().set("list", list)?;
        lua.load("for i, a in ipairs(list) do a:deposit(1) end")
            .exec()
    })?;
    assert!(t0.elapsed() < std::time::Duration::from_secs(20));
    assert!(accounts
        .iter()
        .enumerate()
        .all(|(i, a)| a.balance == i as i64 + 1));
    lua.load("list = nil").exec()?;
    lua.gc_collect()?;
    Ok(())
}

/// A `'static` type for borrowing scoped userdata from Rust.
#[derive(Debug, PartialEq)]
struct Tally {
    n: i64,
}

impl UserData for Tally {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("n", |_, t| Ok(t.n));
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("add", |_, t, k: i64| {
            t.n += k;
            Ok(t.n)
        });
        // Calls back into Rust while the value is borrowed by the method.
        m.add_method("peek", |_, t, f: Function| {
            f.call::<()>(())?;
            Ok(t.n)
        });
    }
}

/// `AnyUserData::borrow`/`borrow_mut` reach the value of a scoped
/// userdata of a `'static` type (owned by the scope, `&T`, `&mut T`),
/// with the same borrow checks as its methods; another type is a
/// mismatch, a non-`'static` one cannot be borrowed; after the scope
/// the handle's borrows are `UserDataDestructed`.
#[test]
fn scoped_userdata_borrowed_from_rust() -> LuaResult<()> {
    let lua = Lua::new();
    let shared = Tally { n: 7 };
    let mut lent = Tally { n: 100 };
    let kept: Vec<LuaAnyUserData> = lua.scope(|scope| {
        let owned = scope.create_userdata(Tally { n: 1 })?;
        let by_ref = scope.create_userdata_ref(&shared)?;
        let by_mut = scope.create_userdata_ref_mut(&mut lent)?;
        lua.globals().set("owned", &owned)?;
        lua.globals().set("by_mut", &by_mut)?;
        lua.load("owned:add(4) by_mut:add(-1)").exec()?;
        // Rust sees what Lua did, and Lua what Rust does.
        assert_eq!(owned.borrow::<Tally>()?.n, 5);
        assert_eq!(by_ref.borrow::<Tally>()?.n, 7);
        assert_eq!(by_mut.borrow::<Tally>()?.n, 99);
        owned.borrow_mut::<Tally>()?.n = 50;
        by_mut.borrow_mut::<Tally>()?.n += 1;
        assert_eq!(lua.load("return owned.n + by_mut.n").eval::<i64>()?, 150);
        assert!(owned.is::<Tally>() && !owned.is::<String>());
        // A shared reference cannot be borrowed mutably.
        assert!(matches!(
            by_ref.borrow_mut::<Tally>().unwrap_err(),
            Error::UserDataBorrowMutError
        ));
        // Another type.
        assert!(matches!(
            owned.borrow::<String>().unwrap_err(),
            Error::UserDataTypeMismatch
        ));
        // While Rust holds a shared borrow, a `&mut self` method fails;
        // while a method runs, Rust cannot borrow mutably.
        {
            let b = owned.borrow::<Tally>()?;
            assert!(lua.load("owned:add(1)").exec().is_err());
            assert!(matches!(
                owned.borrow_mut::<Tally>().unwrap_err(),
                Error::UserDataBorrowMutError
            ));
            assert_eq!(b.n, 50);
        }
        let probe = owned.clone();
        let inside = scope.create_function(move |_, ()| {
            assert!(probe.borrow_mut::<Tally>().is_err());
            assert_eq!(probe.borrow::<Tally>().map(|t| t.n).ok(), Some(50));
            Ok(())
        })?;
        assert_eq!(owned.call_method::<i64>("peek", inside)?, 50);
        Ok(vec![owned, by_ref, by_mut])
    })?;
    // The borrows ended with the scope: the locals are usable again.
    assert_eq!((shared.n, lent.n), (7, 100));
    for ud in &kept {
        assert!(matches!(
            ud.borrow::<Tally>().unwrap_err(),
            Error::UserDataDestructed
        ));
        assert!(ud.borrow_mut::<Tally>().is_err());
        assert!(!ud.is::<Tally>());
    }
    Ok(())
}

/// A non-`'static` type's scoped userdata is reached by its methods
/// only: Rust cannot name its type for `borrow`.
#[test]
fn nonstatic_scoped_userdata_is_not_borrowed() -> LuaResult<()> {
    let lua = Lua::new();
    let data = [1i64, 2];
    let reads = Cell::new(0);
    lua.scope(|scope| {
        let v = scope.create_nonstatic_userdata(View {
            data: &data,
            reads: &reads,
        })?;
        assert!(matches!(
            v.borrow::<Tally>().unwrap_err(),
            Error::UserDataTypeMismatch
        ));
        assert_eq!(
            lua.load("return function(v) return v:sum() end")
                .eval::<Function>()?
                .call::<i64>(v)?,
            3
        );
        Ok(())
    })
}

/// `Scope::add_destructor`: run when the scope ends, after its functions
/// and userdata are invalid and their values dropped, last added first;
/// also when the scope's closure fails or panics; a destructor's panic
/// comes out after the others ran.
#[test]
fn scope_destructors_run_at_the_end() {
    use std::cell::RefCell;
    let lua = Lua::new();
    let log = RefCell::new(Vec::<String>::new());
    struct Noisy<'a>(&'a RefCell<Vec<String>>);
    impl Drop for Noisy<'_> {
        fn drop(&mut self) {
            self.0.borrow_mut().push("value dropped".into());
        }
    }
    impl UserData for Noisy<'_> {}
    let r: LuaResult<()> = lua.scope(|scope| {
        lua.globals()
            .set("f", scope.create_function(|_, ()| Ok(1))?)
            .unwrap();
        let _ = scope.create_nonstatic_userdata(Noisy(&log))?;
        scope.add_destructor(|| {
            // Everything made in the scope is invalid by now.
            let r = lua.load("return f()").exec();
            let state = if r.is_err() { "invalid" } else { "valid" };
            log.borrow_mut().push(format!("first added: f {}", state));
        });
        scope.add_destructor(|| log.borrow_mut().push("second added".into()));
        assert!(log.borrow().is_empty());
        Err(Error::runtime("closure failed"))
    });
    assert!(r.is_err());
    assert_eq!(
        *log.borrow(),
        ["value dropped", "second added", "first added: f invalid"]
    );
    // A panicking destructor: the others run, then the panic continues.
    log.borrow_mut().clear();
    let p = catch_unwind(AssertUnwindSafe(|| {
        lua.scope(|scope| {
            scope.add_destructor(|| log.borrow_mut().push("ran".into()));
            scope.add_destructor(|| panic!("destructor panic"));
            Ok(())
        })
    }));
    assert!(p.is_err());
    assert_eq!(*log.borrow(), ["ran"]);
    // A panic of the closure itself still runs them.
    log.borrow_mut().clear();
    let p = catch_unwind(AssertUnwindSafe(|| {
        lua.scope(|scope| -> LuaResult<()> {
            scope.add_destructor(|| log.borrow_mut().push("after panic".into()));
            panic!("closure panic")
        })
    }));
    assert!(p.is_err());
    assert_eq!(*log.borrow(), ["after panic"]);
}

/// A Rust borrow of a scoped userdata's value kept past the scope would
/// dangle once the scope drops the value: the scope's end aborts the
/// process instead (run in a child process).
#[test]
fn borrow_kept_past_the_scope_aborts() {
    if std::env::var_os("LT_SCOPE_ABORT_CHILD").is_some() {
        let lua = Lua::new();
        let mut guard = None;
        let _ = lua.scope(|scope| {
            let ud: &'static LuaAnyUserData =
                Box::leak(Box::new(scope.create_userdata(Tally { n: 1 })?));
            guard = Some(ud.borrow::<Tally>()?);
            Ok(())
        });
        // Not reached.
        println!("survived with {:?}", guard.map(|g| g.n));
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "borrow_kept_past_the_scope_aborts",
            "--nocapture",
        ])
        .env("LT_SCOPE_ABORT_CHILD", "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    let (o, e) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.signal(), Some(6), "{}\n{}", o, e);
    assert!(!o.contains("survived"), "{}", o);
    assert!(
        e.contains("a scoped userdata is borrowed at the end of its scope"),
        "{}",
        e
    );
}
