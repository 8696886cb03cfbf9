//! Rust data to Lua and back through serde (feature `serde`, on by
//! default): a configuration struct is handed to a Lua script that edits
//! it, then read back into the struct.
//!
//! Run with `cargo run --example serde`.

use lunatrace::{Lua, LuaSerdeExt, Result};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug)]
enum Level {
    Quiet,
    Verbose(u8),
}

#[derive(Serialize, Deserialize, Debug)]
struct Config {
    name: String,
    workers: u32,
    hosts: Vec<String>,
    level: Level,
    timeout: Option<f64>,
}

fn main() -> Result<()> {
    let lua = Lua::new();
    let cfg = Config {
        name: "service".into(),
        workers: 4,
        hosts: vec!["a.example".into()],
        level: Level::Quiet,
        timeout: None,
    };
    lua.globals().set("config", lua.to_value(&cfg)?)?;
    lua.load(
        r#"
        config.workers = config.workers * 2
        table.insert(config.hosts, "b.example")
        config.level = { Verbose = 2 }
        config.timeout = 1.5
    "#,
    )
    .exec()?;
    let cfg: Config = lua.from_value(lua.globals().get("config")?)?;
    println!("{:#?}", cfg);
    Ok(())
}
