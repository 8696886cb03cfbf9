//! Embedding API, feature `serde`: Rust values to Lua and back through
//! serde (structs, enums, maps, sequences, options), and the errors of
//! values that do not fit.
#![cfg(feature = "serde")]

use lunatrace::{Error, Lua, LuaSerdeExt, Table, Value};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
enum Shape {
    Dot,
    Circle(f64),
    Rect { w: f64, h: f64 },
    Pair(i32, i32),
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct Scene {
    name: String,
    shapes: Vec<Shape>,
    tags: BTreeMap<String, u32>,
    parent: Option<Box<Scene>>,
    visible: bool,
    bytes: Vec<u8>,
}

fn scene() -> Scene {
    Scene {
        name: "demo".into(),
        shapes: vec![
            Shape::Dot,
            Shape::Circle(1.5),
            Shape::Rect { w: 2.0, h: 3.0 },
            Shape::Pair(-1, 7),
        ],
        tags: [("a".to_string(), 1), ("b".to_string(), 2)]
            .into_iter()
            .collect(),
        parent: Some(Box::new(Scene {
            name: "root".into(),
            shapes: vec![],
            tags: BTreeMap::new(),
            parent: None,
            visible: false,
            bytes: vec![],
        })),
        visible: true,
        bytes: vec![0, 255, 10],
    }
}

#[test]
fn round_trip_and_lua_view() {
    let lua = Lua::new();
    let s = scene();
    let v = lua.to_value(&s).unwrap();
    lua.globals().set("scene", v.clone()).unwrap();
    let view: String = lua
        .load(
            "local s = scene return table.concat({s.name, s.shapes[1], s.shapes[2].Circle, \
             s.shapes[3].Rect.w * s.shapes[3].Rect.h, s.shapes[4].Pair[2], s.tags.b, \
             s.parent.name, tostring(s.parent.parent), tostring(s.visible)}, ',')",
        )
        .eval()
        .unwrap();
    assert_eq!(view, "demo,Dot,1.5,6,7,2,root,nil,true");
    let back: Scene = lua.from_value(v).unwrap();
    assert_eq!(back, s);
    // Changed by Lua, read back.
    lua.load("scene.name = 'edited'; scene.shapes[5] = {Circle = 9}; scene.tags.c = 3")
        .exec()
        .unwrap();
    let edited: Scene = lua.from_value(lua.globals().get("scene").unwrap()).unwrap();
    assert_eq!(edited.name, "edited");
    assert_eq!(edited.shapes[4], Shape::Circle(9.0));
    assert_eq!(edited.tags["c"], 3);
}

#[test]
fn dynamic_values_and_errors() {
    let lua = Lua::new();
    // Untyped: sequences and maps.
    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Any {
        Num(i64),
        Float(f64),
        Str(String),
        List(Vec<Any>),
        Map(BTreeMap<String, Any>),
    }
    let t: Table = lua.load("{1, 2.5, 'x', {k = {3}}}").eval().unwrap();
    let any: Any = lua.from_value(Value::Table(t)).unwrap();
    let mut inner = BTreeMap::new();
    inner.insert("k".to_string(), Any::List(vec![Any::Num(3)]));
    assert_eq!(
        any,
        Any::List(vec![
            Any::Num(1),
            Any::Float(2.5),
            Any::Str("x".into()),
            Any::Map(inner)
        ])
    );
    // Wrong shapes are errors, not panics.
    let v: Value = lua.load("{name = 5}").eval().unwrap();
    assert!(matches!(
        lua.from_value::<Scene>(v),
        Err(Error::DeserializeError(_))
    ));
    let f: Value = lua.load("print").eval().unwrap();
    assert!(lua.from_value::<i32>(f).is_err());
    let e = lua.to_value(&u64::MAX).unwrap_err();
    assert!(matches!(e, Error::SerializeError(_)), "{:?}", e);
    let big: Value = lua.load("2^60 + 0.5").eval().unwrap();
    assert!(lua.from_value::<i32>(big).is_err());
}
