//! `Value`: one NaN-boxed 64-bit word (ARCHITECTURE.md: Invariants).
//!
//! Numbers are IEEE doubles stored as their bits. Every other type is a
//! quiet NaN with the sign bit set, a 4-bit tag in bits 47..51 and a 47-bit
//! payload (a pointer for heap objects). NaN numbers are canonicalised to
//! `0x7ff8...` or `0xfff8...` (the sign is kept so `tostring` can print
//! `-nan` as LuaJIT does), so no number collides with a tag: every word below
//! `NUM_LIMIT` is a number.

use crate::object::{Cdata, Func, GcHeader, Proto, Str, Table, Thread, Udata};
use std::ptr::NonNull;

/// Tag values (bits 47..51 of a non-number).
pub mod tag {
    pub const NIL: u64 = 1;
    pub const FALSE: u64 = 2;
    pub const TRUE: u64 = 3;
    pub const LIGHTUD: u64 = 4;
    pub const STR: u64 = 5;
    pub const THREAD: u64 = 6;
    pub const PROTO: u64 = 7;
    pub const FUNC: u64 = 8;
    pub const CDATA: u64 = 9;
    pub const TABLE: u64 = 10;
    pub const UDATA: u64 = 11;
    /// Not a value: the key of a hash entry whose value is nil, once the
    /// collector has seen the entry and the key was a heap object (which
    /// may then be freed and its address reused). It keeps the object's
    /// address, for `next`, and equals no live key. Found only in table
    /// entries with a nil value, which nothing reads as values.
    pub const DEADKEY: u64 = 12;
}

pub const TAG_SHIFT: u32 = 47;
pub const TAG_BASE: u64 = 0xFFF8_0000_0000_0000;
/// Every word strictly below this is a number.
pub const NUM_LIMIT: u64 = TAG_BASE | (1 << TAG_SHIFT);
pub const PAYLOAD_MASK: u64 = (1 << TAG_SHIFT) - 1;
pub const NIL_BITS: u64 = TAG_BASE | (tag::NIL << TAG_SHIFT);
pub const FALSE_BITS: u64 = TAG_BASE | (tag::FALSE << TAG_SHIFT);
pub const TRUE_BITS: u64 = TAG_BASE | (tag::TRUE << TAG_SHIFT);
const POS_NAN: u64 = 0x7FF8_0000_0000_0000;
const SIGN: u64 = 0x8000_0000_0000_0000;

/// Lua type of a value, in the order of `lua.h`'s `LUA_T*` constants.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LuaType {
    Nil,
    Boolean,
    LightUserdata,
    Number,
    String,
    Table,
    Function,
    Userdata,
    Thread,
    Proto,
    Cdata,
}

impl LuaType {
    /// The type with discriminant `i` (Cdata past the last).
    pub fn from_index(i: u8) -> LuaType {
        const ALL: [LuaType; 11] = [
            LuaType::Nil,
            LuaType::Boolean,
            LuaType::LightUserdata,
            LuaType::Number,
            LuaType::String,
            LuaType::Table,
            LuaType::Function,
            LuaType::Userdata,
            LuaType::Thread,
            LuaType::Proto,
            LuaType::Cdata,
        ];
        ALL[(i as usize).min(ALL.len() - 1)]
    }

    /// The name `type()` returns.
    pub fn name(self) -> &'static str {
        match self {
            LuaType::Nil => "nil",
            LuaType::Boolean => "boolean",
            LuaType::LightUserdata | LuaType::Userdata => "userdata",
            LuaType::Number => "number",
            LuaType::String => "string",
            LuaType::Table => "table",
            LuaType::Function => "function",
            LuaType::Thread => "thread",
            LuaType::Proto => "proto",
            LuaType::Cdata => "cdata",
        }
    }
}

#[derive(Copy, Clone)]
#[repr(transparent)]
pub struct Value(u64);

impl Default for Value {
    fn default() -> Self {
        Value::NIL
    }
}

impl Value {
    pub const NIL: Value = Value(NIL_BITS);
    pub const FALSE: Value = Value(FALSE_BITS);
    pub const TRUE: Value = Value(TRUE_BITS);

    #[inline(always)]
    pub const fn from_bits(b: u64) -> Value {
        Value(b)
    }
    #[inline(always)]
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// A number value; NaNs are canonicalised (sign kept).
    #[inline(always)]
    pub fn num(n: f64) -> Value {
        if n.is_nan() {
            Value((n.to_bits() & SIGN) | POS_NAN)
        } else {
            Value(n.to_bits())
        }
    }
    /// A number value from `+ - * / %` or negation of numbers that are
    /// values: such results are either non-NaN, the hardware's default NaN
    /// (`0x7ff8...`/`0xfff8...` on every target) or a NaN operand passed
    /// through, so they never look like a tagged value and skip the check.
    #[inline(always)]
    pub fn num_arith(n: f64) -> Value {
        let v = Value(n.to_bits());
        debug_assert!(v.0 < NUM_LIMIT);
        v
    }
    #[inline(always)]
    pub fn bool(b: bool) -> Value {
        if b {
            Value::TRUE
        } else {
            Value::FALSE
        }
    }
    #[inline(always)]
    pub fn light_ud(p: usize) -> Value {
        Value::tagged(tag::LIGHTUD, p as u64 & PAYLOAD_MASK)
    }
    /// The dead key of heap object `v` (see `tag::DEADKEY`).
    #[inline(always)]
    pub fn dead_key(v: Value) -> Value {
        Value::tagged(tag::DEADKEY, v.0 & PAYLOAD_MASK)
    }
    #[inline(always)]
    pub fn tagged(t: u64, payload: u64) -> Value {
        debug_assert!(payload <= PAYLOAD_MASK);
        Value(TAG_BASE | (t << TAG_SHIFT) | payload)
    }
    #[inline(always)]
    #[allow(clippy::should_implement_trait)]
    pub fn from_str(p: NonNull<Str>) -> Value {
        Value::tagged(tag::STR, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_table(p: NonNull<Table>) -> Value {
        Value::tagged(tag::TABLE, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_func(p: NonNull<Func>) -> Value {
        Value::tagged(tag::FUNC, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_thread(p: NonNull<Thread>) -> Value {
        Value::tagged(tag::THREAD, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_udata(p: NonNull<Udata>) -> Value {
        Value::tagged(tag::UDATA, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_cdata(p: NonNull<Cdata>) -> Value {
        Value::tagged(tag::CDATA, p.as_ptr() as u64)
    }
    #[inline(always)]
    pub fn from_proto(p: NonNull<Proto>) -> Value {
        Value::tagged(tag::PROTO, p.as_ptr() as u64)
    }

    #[inline(always)]
    pub fn is_num(self) -> bool {
        self.0 < NUM_LIMIT
    }
    #[inline(always)]
    pub fn is_nil(self) -> bool {
        self.0 == NIL_BITS
    }
    /// Lua truthiness: everything but nil and false.
    #[inline(always)]
    pub fn truthy(self) -> bool {
        self.0 != NIL_BITS && self.0 != FALSE_BITS
    }
    #[inline(always)]
    pub fn tag(self) -> u64 {
        if self.0 < NUM_LIMIT {
            0
        } else {
            (self.0 >> TAG_SHIFT) & 0xF
        }
    }
    #[inline(always)]
    fn has_tag(self, t: u64) -> bool {
        // (As in `ptr`: a subtraction and a compare with a small constant.)
        self.0.wrapping_sub(TAG_BASE | (t << TAG_SHIFT)) < (1 << TAG_SHIFT)
    }
    #[inline(always)]
    pub fn is_str(self) -> bool {
        self.has_tag(tag::STR)
    }
    #[inline(always)]
    pub fn is_table(self) -> bool {
        self.has_tag(tag::TABLE)
    }
    #[inline(always)]
    pub fn is_func(self) -> bool {
        self.has_tag(tag::FUNC)
    }
    #[inline(always)]
    pub fn is_bool(self) -> bool {
        self.0 == TRUE_BITS || self.0 == FALSE_BITS
    }
    /// True for values that point to a collectable heap object.
    #[inline(always)]
    pub fn is_gc(self) -> bool {
        self.0 >= NUM_LIMIT && self.tag() >= tag::STR
    }

    #[inline(always)]
    pub fn as_num(self) -> Option<f64> {
        if self.is_num() {
            Some(f64::from_bits(self.0))
        } else {
            None
        }
    }
    /// The number; the caller has checked `is_num`.
    #[inline(always)]
    pub fn num_unchecked(self) -> f64 {
        f64::from_bits(self.0)
    }
    #[inline(always)]
    pub fn payload(self) -> u64 {
        self.0 & PAYLOAD_MASK
    }
    #[inline(always)]
    fn ptr<T>(self, t: u64) -> Option<NonNull<T>> {
        // (One subtraction both tests the tag and leaves the payload: the
        // difference is below 2^47 exactly when the tag is `t`. Cheaper
        // on x86-64 than masking with two 64-bit constants.)
        let p = self.0.wrapping_sub(TAG_BASE | (t << TAG_SHIFT));
        if p < (1 << TAG_SHIFT) {
            debug_assert!(p != 0, "object value with a null pointer");
            // SAFETY: values with an object tag are made from live objects'
            // non-null pointers (`from_table` & co.; the JIT boxes the
            // same pointers). (Saves the null test on every type check;
            // told to the optimiser, so that `Some` is tested as the tag
            // compare itself, not as a selected pointer against null.)
            unsafe {
                std::hint::assert_unchecked(p != 0);
                Some(NonNull::new_unchecked(p as *mut T))
            }
        } else {
            None
        }
    }
    #[inline(always)]
    pub fn as_str_ptr(self) -> Option<NonNull<Str>> {
        self.ptr(tag::STR)
    }
    #[inline(always)]
    pub fn as_table_ptr(self) -> Option<NonNull<Table>> {
        self.ptr(tag::TABLE)
    }
    #[inline(always)]
    pub fn as_func_ptr(self) -> Option<NonNull<Func>> {
        self.ptr(tag::FUNC)
    }
    #[inline(always)]
    pub fn as_thread_ptr(self) -> Option<NonNull<Thread>> {
        self.ptr(tag::THREAD)
    }
    #[inline(always)]
    pub fn as_udata_ptr(self) -> Option<NonNull<Udata>> {
        self.ptr(tag::UDATA)
    }
    #[inline(always)]
    pub fn as_cdata_ptr(self) -> Option<NonNull<Cdata>> {
        self.ptr(tag::CDATA)
    }
    #[inline(always)]
    pub fn is_cdata(self) -> bool {
        self.has_tag(tag::CDATA)
    }
    #[inline(always)]
    pub fn as_proto_ptr(self) -> Option<NonNull<Proto>> {
        self.ptr(tag::PROTO)
    }
    #[inline(always)]
    pub fn as_light_ud(self) -> Option<usize> {
        if self.has_tag(tag::LIGHTUD) {
            Some(self.payload() as usize)
        } else {
            None
        }
    }
    /// Header of the heap object this value points to, if any.
    #[inline(always)]
    pub fn gc_header(self) -> Option<NonNull<GcHeader>> {
        if self.is_gc() {
            NonNull::new(self.payload() as *mut GcHeader)
        } else {
            None
        }
    }

    pub fn lua_type(self) -> LuaType {
        match self.tag() {
            0 => LuaType::Number,
            tag::NIL => LuaType::Nil,
            tag::FALSE | tag::TRUE => LuaType::Boolean,
            tag::LIGHTUD => LuaType::LightUserdata,
            tag::STR => LuaType::String,
            tag::THREAD => LuaType::Thread,
            tag::PROTO => LuaType::Proto,
            tag::FUNC => LuaType::Function,
            tag::CDATA => LuaType::Cdata,
            tag::TABLE => LuaType::Table,
            _ => LuaType::Userdata,
        }
    }
    pub fn type_name(self) -> &'static str {
        self.lua_type().name()
    }

    /// `rawequal`: numbers by value, everything else by identity.
    #[inline(always)]
    pub fn raw_eq(self, o: Value) -> bool {
        if self.is_num() && o.is_num() {
            self.num_unchecked() == o.num_unchecked()
        } else {
            self.0 == o.0
        }
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.lua_type() {
            LuaType::Number => write!(f, "{}", self.num_unchecked()),
            LuaType::Nil => write!(f, "nil"),
            LuaType::Boolean => write!(f, "{}", self.0 == TRUE_BITS),
            LuaType::String => {
                let s = crate::object::str_bytes(*self);
                write!(f, "{:?}", String::from_utf8_lossy(s))
            }
            t => write!(f, "{}: {:#x}", t.name(), self.payload()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn numbers_and_tags_do_not_collide() {
        for n in [
            0.0,
            -0.0,
            1.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
        ] {
            let v = Value::num(n);
            assert!(v.is_num());
            assert_eq!(v.as_num().unwrap().to_bits(), n.to_bits());
        }
        let nan = Value::num(f64::from_bits(0xFFFF_FFFF_FFFF_FFFF));
        assert!(nan.is_num());
        assert!(nan.num_unchecked().is_nan());
        assert!(nan.num_unchecked().is_sign_negative());
        assert!(!Value::NIL.is_num() && !Value::NIL.truthy());
        assert!(!Value::FALSE.truthy() && Value::TRUE.truthy());
        assert!(Value::num(0.0).truthy());
        assert_eq!(Value::NIL.lua_type(), LuaType::Nil);
        assert_eq!(Value::TRUE.lua_type(), LuaType::Boolean);
        assert!(!Value::TRUE.is_gc());
    }
}
