//! Rust functions called from Lua: typed arguments, several results,
//! variadic arguments, callbacks that call back into Lua and build
//! tables, mutable state, and errors (Rust's `?`, Lua's `pcall`).
//!
//! Run with `cargo run --example callbacks`.

use lunatrace::{ExternalResult, Function, Lua, Result, Table, Variadic};

fn main() -> Result<()> {
    let lua = Lua::new();
    let g = lua.globals();

    // Several results, variadic arguments.
    g.set(
        "minmax",
        lua.create_function(|_, xs: Variadic<f64>| {
            let min = xs.iter().cloned().fold(f64::INFINITY, f64::min);
            let max = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            Ok((min, max))
        })?,
    )?;

    // A callback that calls a Lua function it is given and builds a table.
    g.set(
        "map",
        lua.create_function(|lua, (f, t): (Function, Table)| {
            let out = lua.create_table()?;
            for v in t.sequence_values::<lunatrace::Value>() {
                out.push(f.call::<lunatrace::Value>(v?)?)?;
            }
            Ok(out)
        })?,
    )?;

    // Mutable state captured by the closure.
    let mut calls = 0;
    g.set(
        "tick",
        lua.create_function_mut(move |_, ()| {
            calls += 1;
            Ok(calls)
        })?,
    )?;

    // Errors: any std error converts with `into_lua_err`, `?` works.
    g.set(
        "parse",
        lua.create_function(|_, s: String| s.trim().parse::<i64>().into_lua_err())?,
    )?;

    lua.load(
        r#"
        print("minmax", minmax(3, -1, 7.5, 2))
        print("map", table.concat(map(function(x) return x * x end, {1, 2, 3}), " "))
        tick(); tick(); print("ticks", tick())
        print("parse", parse(" 42 "))
        print("pcall", pcall(parse, "forty-two"))
    "#,
    )
    .exec()?;

    // Errors that escape to Rust keep their cause.
    match lua.load("parse('x')").exec() {
        Err(e) => println!("Rust sees: {}", e.root_cause()),
        Ok(()) => unreachable!(),
    }
    Ok(())
}
