//! `Lua::scope`: lending a Lua script data that lives on the Rust stack —
//! a callback that appends to a local `Vec`, and a game world exposed as
//! userdata by `&mut` — for the length of one call. Afterwards the
//! script's copies of those values are dead: using them is an error.
//!
//! Run with `cargo run --example scope`.

use lunatrace::{Lua, Result, UserData, UserDataFields, UserDataMethods};

struct World {
    tick: u64,
    entities: Vec<(String, i32)>,
}

impl UserData for World {
    fn add_fields<F: UserDataFields<Self>>(f: &mut F) {
        f.add_field_method_get("tick", |_, w| Ok(w.tick));
    }
    fn add_methods<M: UserDataMethods<Self>>(m: &mut M) {
        m.add_method_mut("spawn", |_, w, (name, hp): (String, i32)| {
            w.entities.push((name, hp));
            Ok(w.entities.len())
        });
        m.add_method_mut("damage", |_, w, (i, n): (usize, i32)| {
            let e = w
                .entities
                .get_mut(i.wrapping_sub(1))
                .ok_or_else(|| lunatrace::Error::runtime(format!("no entity {}", i)))?;
            e.1 -= n;
            Ok(e.1)
        });
    }
}

fn main() -> Result<()> {
    let lua = Lua::new();
    let mut world = World {
        tick: 7,
        entities: Vec::new(),
    };
    let mut log: Vec<String> = Vec::new();

    let script = r#"
        local id = world:spawn("orc", 30)
        world:spawn("elf", 20)
        log(("tick %d: orc has %d hp left"):format(world.tick, world:damage(id, 12)))
        -- Kept for later: these copies die with the scope.
        saved_world, saved_log = world, log
    "#;
    lua.scope(|scope| {
        let g = lua.globals();
        g.set("world", scope.create_userdata_ref_mut(&mut world)?)?;
        g.set(
            "log",
            scope.create_function_mut(|_, line: String| {
                log.push(line);
                Ok(())
            })?,
        )?;
        lua.load(script).set_name("script").exec()
    })?;

    // The borrows ended with the scope: Rust has its data back.
    println!("entities: {:?}", world.entities);
    println!("log: {:?}", log);

    // The script's saved copies are no longer valid.
    for code in ["saved_log('late')", "saved_world:spawn('troll', 1)"] {
        let e = lua.load(code).exec().unwrap_err();
        println!("{} -> {}", code, e.to_string().lines().next().unwrap_or(""));
    }
    Ok(())
}
