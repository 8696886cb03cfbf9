//! A sandbox for untrusted Lua: only the base, string, table and math
//! libraries, each script in its own environment table that reads
//! through to a whitelist, a memory limit and a wall-clock deadline.
//!
//! Run with `cargo run --example sandbox`.

use lunatrace::{Error, Lua, Result, StdLib, Table};
use std::time::{Duration, Instant};

/// An environment: reads fall back to a few safe globals.
fn environment(lua: &Lua) -> Result<Table> {
    let allowed = lua.create_table()?;
    for name in [
        "print", "pairs", "ipairs", "tostring", "tonumber", "string", "table", "math",
    ] {
        allowed.set(name, lua.globals().get::<_, lunatrace::Value>(name)?)?;
    }
    let meta = lua.create_table()?;
    meta.set("__index", allowed)?;
    let env = lua.create_table()?;
    env.set_metatable(Some(meta))?;
    Ok(env)
}

fn run(lua: &Lua, name: &str, code: &str) {
    let deadline = Instant::now() + Duration::from_millis(100);
    lua.set_interrupt(move |_| {
        if Instant::now() > deadline {
            return Err(Error::runtime("time limit exceeded"));
        }
        Ok(())
    });
    let r =
        environment(lua).and_then(|env| lua.load(code).set_name(name).set_environment(env).exec());
    match r {
        Ok(()) => println!("{}: ok", name),
        Err(e) => println!(
            "{}: {}",
            name,
            e.root_cause().to_string().lines().next().unwrap_or("")
        ),
    }
}

fn main() {
    let lua = Lua::new_with(StdLib::BASE | StdLib::STRING | StdLib::TABLE | StdLib::MATH);
    lua.set_memory_limit(Some(16 << 20));
    run(&lua, "fine", "print(('%d squares'):format(#{1, 4, 9}))");
    run(&lua, "files", "io.open('/etc/passwd')");
    run(&lua, "escape", "require('os').exit(1)");
    run(&lua, "spin", "while true do end");
    run(&lua, "hog", "local s = ('x'):rep(64 * 1024 * 1024)");
    run(&lua, "globals", "secret = 1");
    assert!(lua
        .globals()
        .get::<_, Option<i64>>("secret")
        .unwrap()
        .is_none());
    println!("the shared globals were not touched");
}
