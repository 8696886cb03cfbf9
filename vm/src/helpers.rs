//! The runtime helpers compiled traces call, in one table: name, the Rust
//! function (`jitrt`), its signature, its effect (what it may touch,
//! checked against the IR ops that call it) and what it does. The code
//! generator builds each call's signature from this table (never retyped
//! at a call site), and the table itself is checked against the Rust
//! functions when this crate compiles: each row coerces its function to a
//! function pointer of exactly the row's types, so a row and its function
//! cannot disagree.
//!
//! Adding a helper: write the `extern "C"` function in `jitrt.rs`, add a
//! row here (the effect `Pure`, `Reads` or `Writes`), call it from the
//! backend with `Helper::Name`.

use crate::jitrt::*;
use crate::object::{Cdata, Func, Proto, Str, Table, Thread};
use crate::state::Vm;

/// How the code generator passes a helper argument or result.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum HTy {
    /// 32-bit integer (`u32`, `i32`).
    I32,
    /// 64-bit integer, boxed value bits or pointer.
    I64,
    /// Double.
    F64,
}

/// What a helper may touch, for the optimiser: an IR instruction whose
/// lowering calls a helper must be flagged (in the IR op table) at least
/// as strongly, since alias analysis, CSE and DCE trust the op's flags
/// (the backend checks this at every call).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Depends only on its arguments (immutable objects: strings,
    /// prototypes, a closure's upvalue objects): any op.
    Pure,
    /// Reads mutable VM memory (tables, metatables, frames, GC counters):
    /// the op must be a load or a store (`L`/`S`), never `P`.
    Reads,
    /// Writes VM memory or allocates: the op must be a store (`S`).
    Writes,
    /// Makes a string (interns it), touching nothing a trace reads: the
    /// op may be one DCE removes when its result is unused, never `P`
    /// (CSE would be correct, but the call is not free).
    Interns,
}

/// Rust types helpers take and return, with their `HTy`.
pub trait HelperTy {
    const TY: HTy;
}
impl HelperTy for u32 {
    const TY: HTy = HTy::I32;
}
impl HelperTy for i32 {
    const TY: HTy = HTy::I32;
}
impl HelperTy for u64 {
    const TY: HTy = HTy::I64;
}
impl HelperTy for i64 {
    const TY: HTy = HTy::I64;
}
impl HelperTy for f64 {
    const TY: HTy = HTy::F64;
}
impl<T> HelperTy for *mut T {
    const TY: HTy = HTy::I64;
}
impl<T> HelperTy for *const T {
    const TY: HTy = HTy::I64;
}

macro_rules! helpers {
    ($( $id:ident = $f:ident ( $($a:ty),* ) $(-> $r:ty)? , $eff:ident, $doc:literal; )*) => {
        /// A runtime helper (see the table in `helpers.rs`).
        #[derive(Copy, Clone, Debug, PartialEq, Eq)]
        pub enum Helper { $( $id, )* }

        impl Helper {
            /// Every helper, in table order.
            pub const ALL: &'static [Helper] = &[ $( Helper::$id, )* ];

            /// The Rust function's address.
            pub fn addr(self) -> usize {
                match self {
                    $( Helper::$id => {
                        // The row's types, exactly (a mismatch does not
                        // compile).
                        let f: unsafe extern "C" fn($($a),*) $(-> $r)? = $f;
                        f as usize
                    } )*
                }
            }

            /// Argument kinds.
            pub fn params(self) -> &'static [HTy] {
                match self {
                    $( Helper::$id => {
                        const P: &[HTy] = &[ $( <$a as HelperTy>::TY ),* ];
                        P
                    } )*
                }
            }

            /// Result kind (None: no result).
            pub fn ret(self) -> Option<HTy> {
                match self {
                    $( Helper::$id => helpers!(@ret $($r)?), )*
                }
            }

            /// The function's name.
            pub fn name(self) -> &'static str {
                match self { $( Helper::$id => stringify!($f), )* }
            }

            /// What it may touch (see `Effect`).
            pub fn effect(self) -> Effect {
                match self { $( Helper::$id => Effect::$eff, )* }
            }

            /// What it does.
            pub fn doc(self) -> &'static str {
                match self { $( Helper::$id => $doc, )* }
            }
        }
    };
    (@ret) => { None };
    (@ret $r:ty) => { Some(<$r as HelperTy>::TY) };
}

helpers! {
    // Tables.
    HGetS = jit_hgets(*mut Table, *mut Str) -> u64, Reads, "raw t[k], string key: boxed value";
    HGet = jit_hget(*mut Table, u64) -> u64, Reads, "raw t[k], boxed key: boxed value";
    HSetExisting = jit_hset_existing(*mut Table, u64, u64) -> u32, Writes, "t[k] = v for an existing non-nil key; 0 (nothing stored) otherwise";
    TSetNew = jit_tset_new(*mut Vm, *mut Table, u64, u64) -> u32, Writes, "raw t[k] = v, may add the key; 0 (nothing stored) on a nil/NaN key or when the table cannot grow";
    TSetSunk = jit_tset_sunk(*mut Vm, *mut Table, u64, u64), Writes, "a sunk table's store at an exit: raw t[k] = v, growing past the heap's limit if it must";
    NextKey = jit_next_key(*mut Table, u64) -> u64, Reads, "next(t, k)'s key: nil at the end, NaN when k is not a key";
    TLen = jit_tlen(*mut Table) -> i32, Reads, "#t (border) of a table";
    TAppend = jit_tappend(*mut Vm, *mut Table, u64) -> u32, Writes, "append to the array part; 0 (nothing stored) when the table cannot grow";
    TNew = jit_tnew(*mut Vm, u32) -> *mut Table, Writes, "new table (TNEW operand)";
    CNew = jit_cnew(*mut Vm, u32, u32) -> *mut Cdata, Writes, "new cdata of a C type with zeroed payload bytes (CNEW)";
    CoNew = jit_conew(*mut Vm, *mut Func) -> *mut Thread, Writes, "new suspended coroutine running a function (coroutine.create)";
    CoStatus = jit_costatus(*mut Vm, *mut Thread) -> u32, Reads, "coroutine.status as an index of lib_coroutine::STATUS_NAMES";
    TDup = jit_tdup(*mut Vm, *mut Table) -> *mut Table, Writes, "copy of a template table";
    TConcat = jit_tconcat(*mut Vm, *const u64, u32) -> *mut Str, Writes, "table.concat of boxed (table, separator); null to exit";
    TypeMeta = jit_type_meta(*mut Vm, u32) -> *mut Table, Reads, "metatable of a value tag (null if none)";
    MetaHas = jit_meta_has(*mut Vm, *mut Table, u32) -> u32, Reads, "1 if a metatable has metamethod mm (MM index)";
    // Numbers.
    Pow = jit_pow(f64, f64) -> f64, Pure, "a ^ b";
    I64Arith = jit_i64_arith(i64, i64, u32) -> i64, Pure, "64-bit integer / % ^ of the FFI (I64OP)";
    FpMath = jit_fpmath(f64, u32) -> f64, Pure, "math function (FpMath index) of x";
    // Strings.
    StrLt = jit_str_lt(*mut Str, *mut Str) -> u32, Pure, "1 if a sorts before b (bytewise)";
    SSub = jit_ssub(*mut Vm, *mut Str, f64, f64) -> *mut Str, Interns, "string.sub(s, i, j)";
    SubLen = jit_sublen(*mut Str, f64, f64) -> i32, Pure, "#string.sub(s, i, j)";
    GMatch = jit_gmatch(*mut Vm, *mut Func, u32) -> u64, Writes, "a gmatch iterator's next capture (boxed string), or nil at the end, recorded as a match (1) or the end (0); false, changing nothing, otherwise";
    SRep = jit_srep(*mut Vm, *mut Str, f64) -> *mut Str, Writes, "string.rep(s, n); null when the result would be huge";
    SMatch = jit_smatch(*mut Vm, *mut Str, *mut Str, f64) -> u64, Writes, "string.match(s, p, init) recorded as a match giving one string: that string; false, changing nothing, otherwise";
    SNoMatch = jit_snomatch(*mut Str, *mut Str, f64) -> u64, Pure, "string.match(s, p, init) recorded as no match: nil; false otherwise";
    SGsub = jit_sgsub(*mut Vm, *mut Str, *mut Str, *mut Str) -> *mut Str, Writes, "string.gsub(s, p, repl) with a string replacement; null (to exit, changing nothing) on an error";
    SFind = jit_sfind(*mut Str, *mut Str, f64, u32) -> i64, Pure, "string.find(s, p, init, plain): packed start/end";
    SCase = jit_scase(*mut Vm, *mut Str, u32) -> *mut Str, Writes, "string.lower (0) / string.upper (1), interned";
    Cat = jit_cat(*mut Vm, *const u64, u32) -> *mut Str, Writes, "concatenation of boxed strings/numbers, interned; null when past the heap's limit";
    SChar = jit_schar(*mut Vm, *const u64, u32) -> *mut Str, Writes, "string.char of boxed numbers; null on a bad byte";
    SFmt = jit_sfmt(*mut Vm, *const u64, u32) -> *mut Str, Writes, "string.format of boxed values; null when unsupported";
    ToStrNum = jit_tostr_num(*mut Vm, f64) -> *mut Str, Writes, "tostring of a number; null when numbers have __tostring";
    ToNumStr = jit_tonum_str(*mut Str) -> u64, Pure, "tonumber of a string (base 10): boxed number or nil";
    // Closures and upvalues.
    FNew = jit_fnew(*mut Vm, *mut Func, *mut Proto, *mut u64) -> *mut Func, Writes, "new closure of a prototype in a parent closure, locals captured at a frame";
    UClose = jit_uclose(*mut Vm, *mut u64), Writes, "close the open upvalues at or above a slot address";
    // Collection.
    GcDue = jit_gc_due(*mut Vm) -> u32, Reads, "1 if a collection is due";
    // Frames.
    BaseNVarargs = jit_base_nvarargs(*mut Vm) -> u32, Reads, "number of varargs of the base frame";
    SyncFrames = jit_sync_frames(*mut Vm, *mut u64), Writes, "pop the frames above the one at a base (returned from by RETF)";
    PushFrame = jit_push_frame(*mut Vm, *mut u64, u64, u64), Writes, "push a Lua frame relative to a base (packed: base | ret << 32, nres as i16 | slots from the function to the base << 16 (u8) | varargs << 24 (u8) | caller pc << 32)";
    RetPop = jit_ret_pop(*mut Vm, *mut u64, u64, u64) -> u32, Writes, "pop the top frame (registers at a base) returning to a known caller (closure bits; packed pc << 32 | delta << 16 | nres + 1); 0 if it is not that frame";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_helper_has_a_distinct_function_and_a_signature() {
        let mut seen = std::collections::HashSet::new();
        for &h in Helper::ALL {
            assert!(seen.insert(h.addr()), "{} listed twice", h.name());
            assert!(h.name().starts_with("jit_"), "{}", h.name());
            assert!(!h.doc().is_empty());
            assert!(h.params().len() <= 4, "{}", h.name());
        }
        assert_eq!(Helper::TSetNew.params(), &[HTy::I64; 4]);
        assert_eq!(Helper::FpMath.params(), &[HTy::F64, HTy::I32]);
        assert_eq!(Helper::UClose.ret(), None);
        assert_eq!(Helper::TLen.ret(), Some(HTy::I32));
    }
}
