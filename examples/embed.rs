//! Embedding Lunatrace in a Rust program with the safe `lunatrace::Lua`
//! API: run code, exchange globals, call Lua functions with typed values,
//! register Rust functions and a userdata type with methods, handle errors.
//!
//! Run with `cargo run --example embed`.

use lunatrace::{Lua, Methods, UserData};

/// A Rust type exposed to Lua.
#[derive(Clone, Debug)]
struct Account {
    owner: String,
    balance: f64,
}

impl UserData for Account {
    const NAME: &'static str = "Account";
    fn methods(m: &mut Methods<Self>) {
        m.add("deposit", |a: &mut Account, amount: f64| {
            if amount <= 0.0 {
                return Err("deposit must be positive".to_string());
            }
            a.balance += amount;
            Ok(a.balance)
        });
        m.add("balance", |a: &mut Account, ()| Ok(a.balance));
        m.add("owner", |a: &mut Account, ()| Ok(a.owner.clone()));
    }
}

fn main() -> Result<(), lunatrace::Error> {
    let mut lua = Lua::new();

    // Globals both ways.
    lua.set_global("greeting", "hello");
    lua.set_global("primes", vec![2, 3, 5, 7, 11]);
    lua.exec("message = greeting .. ' from Lua, ' .. #primes .. ' primes'")?;
    let message: String = lua.get_global("message")?;
    println!("{}", message);

    // Calling Lua functions with typed arguments and results.
    lua.exec("function divmod(a, b) return math.floor(a / b), a % b end")?;
    let (q, r): (i64, i64) = lua.call("divmod", (17, 5))?;
    println!("divmod(17, 5) = {} {}", q, r);
    let s: String = lua.call("string.format", ("%5.2f|%s", 12.3456, "x"))?;
    println!("string.format -> {}", s);

    // A Rust function called from Lua.
    lua.register("hypot", |(a, b): (f64, f64)| Ok((a * a + b * b).sqrt()));
    let h: f64 = lua.eval("hypot(3, 4)")?;
    println!("hypot(3, 4) = {}", h);

    // A userdata type with methods.
    lua.set_object(
        "acct",
        Account {
            owner: "ada".into(),
            balance: 10.0,
        },
    );
    lua.exec("acct:deposit(32)")?;
    let (owner, balance): (String, f64) = lua.eval("acct:owner(), acct:balance()")?;
    println!("{} has {}", owner, balance);
    println!("from Rust: {:?}", lua.get_object::<Account>("acct"));

    // Errors carry the message and the Lua traceback.
    if let Err(e) = lua.exec("acct:deposit(-1)") {
        println!("error: {}", e.message);
        println!("traceback has {} lines", e.traceback.lines().count());
    }
    Ok(())
}
