//! A Rust type used from Lua as userdata: a constructor function, fields
//! with getters and setters, methods that read or change the value, and
//! metamethods (`+`, `==`, `tostring`, `#`).
//!
//! Run with `cargo run --example userdata`.

use lunatrace::{AnyUserData, Lua, MetaMethod, Result, UserData, UserDataFields, UserDataMethods};

#[derive(Clone, Debug, PartialEq)]
struct Inventory {
    owner: String,
    items: Vec<(String, u32)>,
}

impl UserData for Inventory {
    fn add_fields<F: UserDataFields<Self>>(fields: &mut F) {
        fields.add_field_method_get("owner", |_, inv| Ok(inv.owner.clone()));
        fields.add_field_method_set("owner", |_, inv, name: String| {
            inv.owner = name;
            Ok(())
        });
    }

    fn add_methods<M: UserDataMethods<Self>>(methods: &mut M) {
        methods.add_method_mut("add", |_, inv, (item, n): (String, u32)| {
            match inv.items.iter_mut().find(|(i, _)| *i == item) {
                Some((_, count)) => *count += n,
                None => inv.items.push((item, n)),
            }
            Ok(())
        });
        methods.add_method("count", |_, inv, item: String| {
            Ok(inv
                .items
                .iter()
                .find(|(i, _)| *i == item)
                .map_or(0, |(_, n)| *n))
        });
        methods.add_meta_method(MetaMethod::Len, |_, inv, ()| Ok(inv.items.len()));
        methods.add_meta_method(MetaMethod::ToString, |_, inv, ()| {
            Ok(format!(
                "{}'s inventory ({} kinds)",
                inv.owner,
                inv.items.len()
            ))
        });
        methods.add_meta_method(MetaMethod::Add, |lua, a, b: AnyUserData| {
            let b = b.borrow::<Inventory>()?;
            let mut merged = a.clone();
            merged.owner = format!("{}+{}", a.owner, b.owner);
            for (item, n) in &b.items {
                match merged.items.iter_mut().find(|(i, _)| i == item) {
                    Some((_, c)) => *c += n,
                    None => merged.items.push((item.clone(), *n)),
                }
            }
            lua.create_userdata(merged)
        });
    }
}

fn main() -> Result<()> {
    let lua = Lua::new();
    let new = lua.create_function(|lua, owner: String| {
        lua.create_userdata(Inventory {
            owner,
            items: Vec::new(),
        })
    })?;
    lua.globals().set("Inventory", new)?;
    let merged: AnyUserData = lua
        .load(
            r#"
            local a, b = Inventory("ann"), Inventory("bob")
            a:add("apple", 3); a:add("pear", 1); b:add("apple", 2)
            print(tostring(a), #a, a:count("apple"))
            b.owner = "bea"
            return a + b
        "#,
        )
        .eval()?;
    let inv = merged.borrow::<Inventory>()?;
    println!("from Rust: {} has {:?}", inv.owner, inv.items);
    Ok(())
}
