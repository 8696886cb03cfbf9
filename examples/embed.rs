//! Embedding Lunatrace in a Rust program with the safe `lunatrace::Lua`
//! API: run code, exchange values through handles, call Lua functions with
//! typed values, register Rust functions and a userdata type, handle
//! errors.
//!
//! Run with `cargo run --example embed`.

use lunatrace::{Error, Function, Lua, Result, Table, UserData, UserDataFields, UserDataMethods};

/// A Rust type exposed to Lua.
#[derive(Clone, Debug)]
struct Account {
    owner: String,
    balance: f64,
}

impl UserData for Account {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("owner", |_, a| Ok(a.owner.clone()));
        f.add_field_method_get("balance", |_, a| Ok(a.balance));
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("deposit", |_, a, amount: f64| {
            if amount <= 0.0 {
                return Err(Error::runtime("deposit must be positive"));
            }
            a.balance += amount;
            Ok(a.balance)
        });
    }
}

fn main() -> Result<()> {
    let lua = Lua::new();
    let globals = lua.globals();

    // Globals both ways.
    globals.set("greeting", "hello")?;
    globals.set("primes", vec![2, 3, 5, 7, 11])?;
    lua.load("message = greeting .. ' from Lua, ' .. #primes .. ' primes'")
        .exec()?;
    let message: String = globals.get("message")?;
    println!("{}", message);

    // Calling Lua functions with typed arguments and results.
    lua.load("function divmod(a, b) return math.floor(a / b), a % b end")
        .exec()?;
    let divmod: Function = globals.get("divmod")?;
    let (q, r): (i64, i64) = divmod.call((17, 5))?;
    println!("divmod(17, 5) = {} {}", q, r);

    // A Rust function called from Lua.
    let hypot = lua.create_function(|_, (a, b): (f64, f64)| Ok((a * a + b * b).sqrt()))?;
    globals.set("hypot", hypot)?;
    println!("hypot(3, 4) = {}", lua.load("hypot(3, 4)").eval::<f64>()?);

    // Tables are handles to the live Lua table.
    let config: Table = lua.load("{ name = 'demo', sizes = {1, 2, 3} }").eval()?;
    let sizes: Vec<u32> = config.get("sizes")?;
    println!("{} {:?}", config.get::<_, String>("name")?, sizes);

    // A userdata type with fields and methods.
    let acct = lua.create_userdata(Account {
        owner: "ada".into(),
        balance: 10.0,
    })?;
    globals.set("acct", acct.clone())?;
    lua.load("acct:deposit(32)").exec()?;
    let (owner, balance): (String, f64) = lua.load("acct.owner, acct.balance").eval()?;
    println!("{} has {}", owner, balance);
    println!("from Rust: {:?}", *acct.borrow::<Account>()?);

    // Errors carry the message and the Lua traceback.
    if let Err(e) = lua.load("acct:deposit(-1)").exec() {
        println!("error: {}", e.root_cause());
        println!("full report has {} lines", e.to_string().lines().count());
    }
    Ok(())
}
