//! serde support (feature `serde`): `LuaSerdeExt::to_value` serializes any
//! `Serialize` value into Lua values (structs and maps become tables,
//! sequences and tuples sequence tables, `None` and `()` nil, unit enum
//! variants their name, other variants `{Variant = value}`), and
//! `from_value` deserializes a `Value` into any `Deserialize` type (a
//! table reads as a sequence when it is one: keys exactly 1..n).

use super::error::{Error, Result};
use super::state::Lua;
use super::table::Table;
use super::value::Value;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use std::fmt::Display;

/// serde conversions on `Lua`.
///
/// ```
/// use lunatrace::{Lua, LuaSerdeExt};
/// use serde::{Deserialize, Serialize};
/// #[derive(Serialize, Deserialize, Debug, PartialEq)]
/// struct Point { x: i32, y: i32, tags: Vec<String> }
/// let lua = Lua::new();
/// let p = Point { x: 1, y: 2, tags: vec!["a".into()] };
/// lua.globals().set("p", lua.to_value(&p).unwrap()).unwrap();
/// lua.load("p.x = p.x + 10; p.tags[2] = 'b'").exec().unwrap();
/// let back: Point = lua.from_value(lua.globals().get("p").unwrap()).unwrap();
/// assert_eq!(back, Point { x: 11, y: 2, tags: vec!["a".into(), "b".into()] });
/// ```
#[allow(clippy::wrong_self_convention)] // mlua's names
pub trait LuaSerdeExt {
    /// Serialize `t` into a Lua value.
    fn to_value<T: Serialize + ?Sized>(&self, t: &T) -> Result<Value>;
    /// Deserialize a Lua value.
    fn from_value<T: de::DeserializeOwned>(&self, v: Value) -> Result<T>;
}

impl LuaSerdeExt for Lua {
    fn to_value<T: Serialize + ?Sized>(&self, t: &T) -> Result<Value> {
        t.serialize(Serializer { lua: self })
    }
    fn from_value<T: de::DeserializeOwned>(&self, v: Value) -> Result<T> {
        T::deserialize(Deserializer { value: v })
    }
}

impl ser::Error for Error {
    fn custom<T: Display>(msg: T) -> Error {
        Error::SerializeError(msg.to_string())
    }
}

impl de::Error for Error {
    fn custom<T: Display>(msg: T) -> Error {
        Error::DeserializeError(msg.to_string())
    }
}

struct Serializer<'a> {
    lua: &'a Lua,
}

/// A table being filled (sequence or map).
struct TableSer<'a> {
    lua: &'a Lua,
    table: Table,
    /// Next sequence index.
    next: i64,
    /// The pending map key.
    key: Option<Value>,
    /// `{variant = table}` wrapping, for enum variants.
    variant: Option<&'static str>,
}

impl<'a> TableSer<'a> {
    fn new(lua: &'a Lua, variant: Option<&'static str>) -> Result<TableSer<'a>> {
        Ok(TableSer {
            lua,
            table: lua.create_table()?,
            next: 1,
            key: None,
            variant,
        })
    }
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.table.raw_set(self.next, v)?;
        self.next += 1;
        Ok(())
    }
    fn field<T: Serialize + ?Sized>(&mut self, k: &str, v: &T) -> Result<()> {
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.table.raw_set(k, v)
    }
    fn finish(self) -> Result<Value> {
        match self.variant {
            Some(name) => {
                let outer = self.lua.create_table()?;
                outer.raw_set(name, self.table)?;
                Ok(Value::Table(outer))
            }
            None => Ok(Value::Table(self.table)),
        }
    }
}

macro_rules! ser_num {
    ($($f:ident: $t:ty),*) => {$(
        fn $f(self, v: $t) -> Result<Value> {
            self.lua.pack(v).map_err(|e| Error::SerializeError(e.to_string()))
        }
    )*};
}

impl<'a> ser::Serializer for Serializer<'a> {
    type Ok = Value;
    type Error = Error;
    type SerializeSeq = TableSer<'a>;
    type SerializeTuple = TableSer<'a>;
    type SerializeTupleStruct = TableSer<'a>;
    type SerializeTupleVariant = TableSer<'a>;
    type SerializeMap = TableSer<'a>;
    type SerializeStruct = TableSer<'a>;
    type SerializeStructVariant = TableSer<'a>;

    ser_num!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
        serialize_f32: f32, serialize_f64: f64);

    fn serialize_bool(self, v: bool) -> Result<Value> {
        Ok(Value::Boolean(v))
    }
    fn serialize_char(self, v: char) -> Result<Value> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Value> {
        self.lua.create_string(v).map(Value::String)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value> {
        self.lua.create_string(v).map(Value::String)
    }
    fn serialize_none(self) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<Value> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Value> {
        Ok(Value::Nil)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Value> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<Value> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Result<Value> {
        let lua = self.lua;
        let t = lua.create_table()?;
        t.raw_set(variant, v.serialize(self)?)?;
        Ok(Value::Table(t))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, None)
    }
    fn serialize_tuple(self, _: usize) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, None)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, None)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, Some(variant))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, None)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, None)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<TableSer<'a>> {
        TableSer::new(self.lua, Some(variant))
    }
}

/// The sequence-like serializers (elements appended as the array part):
/// one body, four serde traits.
macro_rules! seq_serializer {
    ($($tr:ident :: $method:ident),*) => {$(
        impl ser::$tr for TableSer<'_> {
            type Ok = Value;
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
                self.push(v)
            }
            fn end(self) -> Result<Value> {
                self.finish()
            }
        }
    )*};
}
seq_serializer!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);
impl ser::SerializeMap for TableSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> Result<()> {
        self.key = Some(k.serialize(Serializer { lua: self.lua })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<()> {
        let k = self
            .key
            .take()
            .ok_or_else(|| Error::SerializeError("map value without a key".into()))?;
        let v = v.serialize(Serializer { lua: self.lua })?;
        self.table.raw_set(k, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}
impl ser::SerializeStruct for TableSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, k: &'static str, v: &T) -> Result<()> {
        self.field(k, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}
impl ser::SerializeStructVariant for TableSer<'_> {
    type Ok = Value;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, k: &'static str, v: &T) -> Result<()> {
        self.field(k, v)
    }
    fn end(self) -> Result<Value> {
        self.finish()
    }
}

struct Deserializer {
    value: Value,
}

/// The table's values when its keys are exactly 1..n (n >= 1).
fn as_sequence(t: &Table) -> Result<Option<Vec<Value>>> {
    let n = t.raw_len();
    let mut count = 0usize;
    for p in t.pairs::<Value, Value>() {
        p?;
        count += 1;
    }
    if n == 0 || count != n {
        return Ok(None);
    }
    Ok(Some(t.sequence_values::<Value>().collect::<Result<_>>()?))
}

fn pairs_of(t: &Table) -> Result<Vec<(Value, Value)>> {
    t.pairs::<Value, Value>().collect()
}

impl<'de> de::Deserializer<'de> for Deserializer {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.value {
            Value::Nil => v.visit_unit(),
            Value::Boolean(b) => v.visit_bool(b),
            Value::Number(n) => {
                if n.fract() == 0.0 && (-9.223372036854776e18..9.223372036854776e18).contains(&n) {
                    v.visit_i64(n as i64)
                } else if n.fract() == 0.0 && (0.0..1.8446744073709552e19).contains(&n) {
                    v.visit_u64(n as u64)
                } else {
                    v.visit_f64(n)
                }
            }
            Value::String(s) => match s.to_str() {
                Ok(st) => v.visit_str(st),
                Err(_) => v.visit_bytes(s.as_bytes()),
            },
            Value::Table(t) => match as_sequence(&t)? {
                Some(items) => v.visit_seq(de::value::SeqDeserializer::new(
                    items.into_iter().map(|value| Deserializer { value }),
                )),
                None => v.visit_map(de::value::MapDeserializer::new(
                    pairs_of(&t)?
                        .into_iter()
                        .map(|(k, val)| (Deserializer { value: k }, Deserializer { value: val })),
                )),
            },
            other => Err(Error::DeserializeError(format!(
                "cannot deserialize a Lua {}",
                other.type_name()
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match self.value {
            Value::Nil => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => {
                let items: Vec<Value> = t.sequence_values::<Value>().collect::<Result<_>>()?;
                v.visit_seq(de::value::SeqDeserializer::new(
                    items.into_iter().map(|value| Deserializer { value }),
                ))
            }
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: usize,
        v: V,
    ) -> Result<V::Value> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value> {
        match &self.value {
            Value::Table(t) => v.visit_map(de::value::MapDeserializer::new(
                pairs_of(t)?
                    .into_iter()
                    .map(|(k, val)| (Deserializer { value: k }, Deserializer { value: val })),
            )),
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        self.deserialize_map(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value> {
        match self.value {
            Value::String(s) => {
                let name = s.to_str()?.to_string();
                v.visit_enum(name.into_deserializer())
            }
            Value::Table(t) => {
                let mut pairs = pairs_of(&t)?;
                if pairs.len() != 1 {
                    return Err(Error::DeserializeError(
                        "an enum variant table must have exactly one key".into(),
                    ));
                }
                let (k, value) = pairs.pop().expect("one pair");
                let name: String = match k {
                    Value::String(s) => s.to_str()?.to_string(),
                    _ => {
                        return Err(Error::DeserializeError(
                            "variant name must be a string".into(),
                        ))
                    }
                };
                v.visit_enum(EnumAccess { name, value })
            }
            other => Err(Error::DeserializeError(format!(
                "expected an enum, got a Lua {}",
                other.type_name()
            ))),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct identifier ignored_any
    }
}

impl<'de> IntoDeserializer<'de, Error> for Deserializer {
    type Deserializer = Deserializer;
    fn into_deserializer(self) -> Deserializer {
        self
    }
}

struct EnumAccess {
    name: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = Error;
    type Variant = Deserializer;
    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Deserializer)> {
        let name: de::value::StringDeserializer<Error> = self.name.into_deserializer();
        Ok((seed.deserialize(name)?, Deserializer { value: self.value }))
    }
}

impl<'de> de::VariantAccess<'de> for Deserializer {
    type Error = Error;
    fn unit_variant(self) -> Result<()> {
        Ok(())
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value> {
        de::Deserializer::deserialize_seq(self, v)
    }
    fn struct_variant<V: Visitor<'de>>(self, _: &'static [&'static str], v: V) -> Result<V::Value> {
        de::Deserializer::deserialize_map(self, v)
    }
}
