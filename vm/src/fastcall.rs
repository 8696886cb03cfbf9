//! Fast functions the interpreter runs inline: `math.*` and `bit.*`
//! called with numbers only, `type`, `select('#', ...)`, `setmetatable`
//! of a table, and
//! `string.byte` (one byte), `len`, `sub`, `char` (up to 8 codes),
//! `upper` and `lower` (up to 64 bytes). A
//! CALL of such a function (found by its fast-function id, `fastfunc.rs`)
//! computes the result here, with no native frame, argument checks or
//! result moves; any other argument (a string, a 64-bit cdata, none, a
//! protected metatable) falls back to the library's native, which gives
//! the error or the conversion. The results are those of the natives in
//! `lib_math.rs`, `lib_bit.rs`, `lib_base.rs` and `lib_string.rs`
//! (checked against them by
//! `tests/lua/fastcall_inline.lua`, which calls both ways).

use crate::fastfunc::ffid;
use crate::lib_bit::to_bit;
use crate::lib_math::{max_step, min_step};
use crate::lib_string::posrelat;
use crate::object::str_bytes;
use crate::state::{num_to_int, Vm, MM};
use crate::table;
use crate::value::Value;

/// How the interpreter's CALL treats a native with fast-function id
/// `id`: `INLINE` (`call` may compute it), `OWN` (pcall, xpcall and the
/// coroutine switches, which the interpreter makes itself) or `PLAIN`.
const fn id_class(id: u8) -> u8 {
    if id >= ffid::MATH_FIRST && id <= ffid::BIT_ROR {
        return INLINE;
    }
    match id {
        ffid::TYPE
        | ffid::SELECT
        | ffid::SETMETATABLE
        | ffid::STR_BYTE
        | ffid::STR_LEN
        | ffid::STR_SUB
        | ffid::STR_CHAR
        | ffid::STR_UPPER
        | ffid::STR_LOWER => INLINE,
        ffid::PCALL | ffid::XPCALL | ffid::RESUME | ffid::WRAP_AUX | ffid::YIELD => OWN,
        _ => PLAIN,
    }
}
const PLAIN: u8 = 0;
const INLINE: u8 = 1;
const OWN: u8 = 2;

/// `id_class` of every id (one load in the CALL path).
static ID_CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = id_class(i as u8);
        i += 1;
    }
    t
};

/// Whether fast-function id `id` may run inline (then `call` decides on
/// the arguments).
#[inline(always)]
pub fn is_inline(id: u8) -> bool {
    ID_CLASS[id as usize] == INLINE
}

/// Whether a native with fast-function id `id` is called as any native
/// (a frame and the function): not inline, not one the interpreter
/// makes itself (pcall, xpcall, coroutine switches).
#[inline(always)]
pub fn is_plain(id: u8) -> bool {
    ID_CLASS[id as usize] == PLAIN
}

/// The result of fast function `id` (`is_inline`) on `args`, or `None`
/// when the native must run (an argument not a number, too few, or a
/// form handled only there).
#[inline(always)]
pub fn call(vm: &mut Vm, id: u8, args: &[Value]) -> Option<Value> {
    match id {
        ffid::TYPE => return args.first().map(|v| vm.type_names[v.lua_type() as usize]),
        // (Only the count: `select(n, ...)` may return several values.)
        ffid::SELECT => {
            let a = *args.first()?;
            // (As LuaJIT: any string starting with '#'.)
            return (a.is_str() && str_bytes(a).first() == Some(&b'#'))
                .then(|| Value::num(args.len() as f64 - 1.0));
        }
        ffid::SETMETATABLE => return setmetatable(vm, args),
        ffid::STR_BYTE
        | ffid::STR_LEN
        | ffid::STR_SUB
        | ffid::STR_CHAR
        | ffid::STR_UPPER
        | ffid::STR_LOWER => return string(vm, id, args),
        _ => {}
    }
    let x = args.first()?;
    // (One and two operands, the usual, without the loop.)
    let nums = match args {
        [a] => a.is_num(),
        [a, b] => a.is_num() && b.is_num(),
        _ => args.iter().all(|v| v.is_num()),
    };
    if !nums {
        return None;
    }
    let x = x.num_unchecked();
    let r = match id {
        ffid::MATH_FLOOR => x.floor(),
        ffid::MATH_CEIL => x.ceil(),
        ffid::MATH_SQRT => x.sqrt(),
        ffid::MATH_ABS => x.abs(),
        ffid::MATH_SIN => x.sin(),
        ffid::MATH_COS => x.cos(),
        ffid::MATH_TAN => x.tan(),
        ffid::MATH_EXP => x.exp(),
        // (With a base: the native's rules.)
        ffid::MATH_LOG if args.len() == 1 => x.ln(),
        ffid::MATH_LOG10 => x.log10(),
        ffid::MATH_ATAN => x.atan(),
        ffid::MATH_ASIN => x.asin(),
        ffid::MATH_ACOS => x.acos(),
        // The natives' fold (NaN, signed zeros).
        ffid::MATH_MIN => args[1..]
            .iter()
            .fold(x, |m, v| min_step(m, v.num_unchecked())),
        ffid::MATH_MAX => args[1..]
            .iter()
            .fold(x, |m, v| max_step(m, v.num_unchecked())),
        _ => return bit(id, args).map(|b| Value::num(b as f64)),
    };
    Some(Value::num(r))
}

/// `setmetatable(t, m)` of a table and a table or nil, when `t`'s
/// metatable (if any) is not protected: `t`.
fn setmetatable(vm: &mut Vm, args: &[Value]) -> Option<Value> {
    let t = args.first()?.as_table_ptr()?;
    let m = *args.get(1)?;
    if !m.is_nil() && !m.is_table() {
        return None;
    }
    if let Some(old) = table::meta(t) {
        if !vm.mt_get(old, MM::Metatable).is_nil() {
            return None;
        }
    }
    table::set_meta(t, m.as_table_ptr());
    Some(args[0])
}

/// A string function's one result (`sub`, `char`, `upper`, `lower` may
/// intern a new string: the caller checks for a collection after).
fn string(vm: &mut Vm, id: u8, args: &[Value]) -> Option<Value> {
    // An integer argument as the natives read it (numbers only; absent:
    // the default).
    let int = |i: usize, def: i64| match args.get(i) {
        None => Some(def),
        Some(v) if v.is_nil() => Some(def),
        Some(v) => v.is_num().then(|| num_to_int(v.num_unchecked())),
    };
    if id == ffid::STR_CHAR {
        let mut buf = [0u8; 8];
        if args.len() > buf.len() {
            return None;
        }
        for (b, v) in buf.iter_mut().zip(args) {
            let c = v.is_num().then(|| num_to_int(v.num_unchecked()))?;
            *b = u8::try_from(c).ok()?;
        }
        return Some(vm.intern(&buf[..args.len()]));
    }
    let s = *args.first()?;
    if !s.is_str() {
        return None;
    }
    let b = str_bytes(s);
    let l = b.len() as i64;
    let rel = |p: i64| posrelat(p, b.len());
    match id {
        ffid::STR_LEN => Some(Value::num(l as f64)),
        ffid::STR_BYTE => {
            // One byte (`s:byte(i)`); a range or none: the native.
            if args.len() > 2 {
                return None;
            }
            let i = rel(int(1, 1)?);
            (1..=l)
                .contains(&i)
                .then(|| Value::num(b[i as usize - 1] as f64))
        }
        ffid::STR_UPPER | ffid::STR_LOWER => {
            // (Short strings, on the stack: most results are interned
            // already.)
            let mut buf = [0u8; 64];
            let o = buf.get_mut(..b.len())?;
            o.copy_from_slice(b);
            // (Whole words: the bytes past the string are zeros.)
            let words = b.len().next_multiple_of(8);
            crate::lib_string::ascii_case(&mut buf[..words], id == ffid::STR_UPPER);
            let o = &buf[..b.len()];
            Some(vm.intern(o))
        }
        _ => {
            let i = rel(int(1, 1)?).max(1);
            let j = rel(int(2, -1)?).min(l);
            Some(if i > j {
                vm.intern(b"")
            } else if i == 1 && j == l {
                // The whole string: itself.
                s
            } else {
                vm.intern(&b[i as usize - 1..j as usize])
            })
        }
    }
}

/// `bit.*` on number arguments (at least one).
#[inline(always)]
fn bit(id: u8, args: &[Value]) -> Option<i32> {
    let b = |i: usize| to_bit(args[i].num_unchecked());
    let x = b(0);
    let shift = || Some((to_bit(args.get(1)?.num_unchecked()) & 31) as u32);
    if args.len() == 2 {
        // (The usual two operands, without the fold's loop.)
        let y = b(1);
        match id {
            ffid::BIT_BAND => return Some(x & y),
            ffid::BIT_BOR => return Some(x | y),
            ffid::BIT_BXOR => return Some(x ^ y),
            _ => {}
        }
    }
    Some(match id {
        ffid::BIT_TOBIT => x,
        ffid::BIT_BNOT => !x,
        ffid::BIT_BAND => (1..args.len()).fold(x, |r, i| r & b(i)),
        ffid::BIT_BOR => (1..args.len()).fold(x, |r, i| r | b(i)),
        ffid::BIT_BXOR => (1..args.len()).fold(x, |r, i| r ^ b(i)),
        ffid::BIT_LSHIFT => ((x as u32) << shift()?) as i32,
        ffid::BIT_RSHIFT => ((x as u32) >> shift()?) as i32,
        ffid::BIT_ARSHIFT => x >> shift()?,
        ffid::BIT_ROL => (x as u32).rotate_left(shift()?) as i32,
        ffid::BIT_ROR => (x as u32).rotate_right(shift()?) as i32,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The number a call gave, or `None` (the native must run).
    fn num(id: u8, args: &[f64]) -> Option<f64> {
        let mut vm = Vm::new();
        let args: Vec<Value> = args.iter().map(|&x| Value::num(x)).collect();
        call(&mut vm, id, &args).map(|v| v.num_unchecked())
    }

    #[test]
    fn numbers_only_else_the_native() {
        assert_eq!(num(ffid::BIT_BAND, &[7.0, 12.0]), Some(4.0));
        assert_eq!(num(ffid::BIT_BAND, &[]), None);
        assert_eq!(num(ffid::BIT_LSHIFT, &[1.0]), None);
        let mut vm = Vm::new();
        assert!(call(&mut vm, ffid::BIT_BAND, &[Value::num(1.0), Value::NIL]).is_none());
        assert_eq!(num(ffid::MATH_LOG, &[8.0, 2.0]), None);
        assert_eq!(num(ffid::BIT_RSHIFT, &[-1.0, 33.0]), Some(2147483647.0));
        assert_eq!(num(ffid::MATH_MIN, &[3.0, -1.0, 2.0]), Some(-1.0));
        assert!(is_inline(ffid::BIT_ROR) && is_inline(ffid::MATH_FLOOR));
        assert!(is_inline(ffid::STR_BYTE) && !is_inline(ffid::STR_FIND) && !is_inline(ffid::PCALL));
    }
}
