//! The fast functions: natives the interpreter or the JIT recognise by an
//! id in their object header (`GcHeader::flags`), in one table: id,
//! library, name, meaning. The `ffid` constants are generated from it,
//! numbered in table order, and each library tags its functions with
//! `tag(vm, library, table)` when it opens. Adding a fast function: one
//! row here, then its handler in the recorder (`record_fast.rs`, keyed by
//! the id) and, when the trace calls Rust, a row in `helpers.rs`.

use crate::state::Vm;
use crate::value::Value;

macro_rules! fastfuncs {
    ($( $id:ident = $lib:literal $name:literal, $doc:literal; )*) => {
        /// Fast-function ids (0: none), in the order of the table.
        #[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
        #[repr(u8)]
        enum Id { NONE, $( $id, )* }

        /// Fast-function ids as `u8` constants (see `fastfunc.rs`).
        pub mod ffid {
            pub const NONE: u8 = 0;
            $( #[doc = $doc] pub const $id: u8 = super::Id::$id as u8; )*
            /// One-argument math functions, `MATH_FIRST + i` in the order of
            /// the JIT's `FpMath` (floor .. acos: the table keeps them in
            /// that order).
            pub const MATH_FIRST: u8 = MATH_FLOOR;
            /// `bit.*`, `BIT_FIRST + i` in the table's order (tobit ..
            /// ror).
            pub const BIT_FIRST: u8 = BIT_TOBIT;
        }

        /// (id, library, name, meaning) of every fast function.
        pub const TABLE: &[(u8, &str, &str, &str)] = &[
            $( (ffid::$id, $lib, $name, $doc), )*
        ];
    };
}

fastfuncs! {
    // Base library ("_G"; "" = tagged where it is made).
    PCALL = "_G" "pcall", "protected call (the interpreter's own frame kind)";
    XPCALL = "_G" "xpcall", "protected call with a handler";
    TOSTRING = "_G" "tostring", "tostring (numbers, strings, nil, booleans compiled)";
    TYPE = "_G" "type", "type name (constant once the type is guarded)";
    SETMETATABLE = "_G" "setmetatable", "set a table's metatable";
    GETMETATABLE = "_G" "getmetatable", "metatable (with __metatable)";
    TONUMBER = "_G" "tonumber", "tonumber (numbers; strings in base 10)";
    SELECT = "_G" "select", "select('#', ...) and select(n, ...)";
    RAWGET = "_G" "rawget", "raw table read";
    RAWSET = "_G" "rawset", "raw table write";
    RAWEQUAL = "_G" "rawequal", "raw equality";
    ASSERT = "_G" "assert", "assert (passing)";
    UNPACK = "_G" "unpack", "unpack of a short table";
    NEXT = "_G" "next", "next (what pairs returns)";
    PAIRS = "_G" "pairs", "pairs: next, t, nil";
    IPAIRS = "_G" "ipairs", "ipairs: its iterator, t, 0";
    IPAIRS_AUX = "" "ipairs_aux", "the ipairs iterator";
    // Coroutines.
    YIELD = "coroutine" "yield", "yield (must stay on top of a tail-calling frame)";
    RESUME = "coroutine" "resume", "resume (a coroutine switch: made in the interpreter loop, never by the JIT driver; a long trace ends before it)";
    WRAP_AUX = "" "wrap", "a coroutine.wrap function (a coroutine switch, as resume)";
    CREATE = "coroutine" "create", "create (a helper call that allocates, CONEW)";
    RUNNING = "coroutine" "running", "running";
    STATUS = "coroutine" "status", "status (guarded, a constant string)";
    ISYIELDABLE = "coroutine" "isyieldable", "isyieldable (never stitched: the driver's call would be a C-call boundary)";
    // Math: one-argument functions in FpMath order, then min and max.
    MATH_FLOOR = "math" "floor", "math.floor";
    MATH_CEIL = "math" "ceil", "math.ceil";
    MATH_SQRT = "math" "sqrt", "math.sqrt";
    MATH_ABS = "math" "abs", "math.abs";
    MATH_SIN = "math" "sin", "math.sin";
    MATH_COS = "math" "cos", "math.cos";
    MATH_TAN = "math" "tan", "math.tan";
    MATH_EXP = "math" "exp", "math.exp";
    MATH_LOG = "math" "log", "math.log";
    MATH_LOG10 = "math" "log10", "math.log10";
    MATH_ATAN = "math" "atan", "math.atan";
    MATH_ASIN = "math" "asin", "math.asin";
    MATH_ACOS = "math" "acos", "math.acos";
    MATH_MIN = "math" "min", "math.min";
    MATH_MAX = "math" "max", "math.max";
    // bit.*, in BIT_FIRST order.
    BIT_TOBIT = "bit" "tobit", "bit.tobit";
    BIT_BNOT = "bit" "bnot", "bit.bnot";
    BIT_BAND = "bit" "band", "bit.band";
    BIT_BOR = "bit" "bor", "bit.bor";
    BIT_BXOR = "bit" "bxor", "bit.bxor";
    BIT_LSHIFT = "bit" "lshift", "bit.lshift";
    BIT_RSHIFT = "bit" "rshift", "bit.rshift";
    BIT_ARSHIFT = "bit" "arshift", "bit.arshift";
    BIT_ROL = "bit" "rol", "bit.rol";
    BIT_ROR = "bit" "ror", "bit.ror";
    // Strings.
    STR_BYTE = "string" "byte", "string.byte";
    STR_CHAR = "string" "char", "string.char";
    STR_LEN = "string" "len", "string.len";
    STR_SUB = "string" "sub", "string.sub";
    STR_FORMAT = "string" "format", "string.format";
    STR_REP = "string" "rep", "string.rep";
    STR_FIND = "string" "find", "string.find";
    STR_MATCH = "string" "match", "string.match (first result a string or no match: SMATCH)";
    STR_GSUB = "string" "gsub", "string.gsub with a string replacement (SGSUB)";
    STR_LOWER = "string" "lower", "string.lower";
    STR_UPPER = "string" "upper", "string.upper";
    GMATCH_AUX = "" "gmatch_aux", "a string.gmatch iterator (GMATCH: one capture or the whole match)";
    // Tables.
    TABLE_INSERT = "table" "insert", "table.insert (append form)";
    TABLE_CONCAT = "table" "concat", "table.concat";
    TABLE_REMOVE = "table" "remove", "table.remove (pop form)";
    // The FFI (tagged by the `ffi` module when it opens).
    FFI_NEW = "" "ffi.new", "ffi.new of a scalar or struct with number initialisers";
    FFI_CAST = "" "ffi.cast", "ffi.cast of a number or integer cdata to an integer type, of a pointer to a pointer type";
    // Debug.
    DEBUG_GETMETATABLE = "debug" "getmetatable", "debug.getmetatable (no __metatable)";
}

/// Tag the fast functions of `library` (its table `t`, or the globals for
/// `"_G"`) when it opens.
pub fn tag(vm: &mut Vm, library: &str, t: Value) {
    for &(id, lib, name, _) in TABLE {
        if lib != library {
            continue;
        }
        if let Some(f) = vm.get_field(t, name).as_func_ptr() {
            // SAFETY: a live native function object just registered.
            unsafe { (*f.as_ptr()).hdr.flags = id };
        }
    }
}

/// Tag native function `f` (made at run time, not registered in a
/// library table) as fast function `id`.
pub fn tag_value(f: Value, id: u8) {
    if let Some(f) = f.as_func_ptr() {
        // SAFETY: a live function object; only its fast-function id (a
        // plain byte of its header) changes.
        unsafe { (*f.as_ptr()).hdr.flags = id };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_ranges_contiguous() {
        let mut seen = std::collections::HashSet::new();
        for &(id, lib, name, _) in TABLE {
            assert!(id != ffid::NONE && seen.insert(id), "{}.{}", lib, name);
        }
        let math: Vec<&str> = TABLE
            .iter()
            .filter(|r| (ffid::MATH_FIRST..ffid::MATH_FIRST + 13).contains(&r.0))
            .map(|r| r.2)
            .collect();
        assert_eq!(
            math,
            [
                "floor", "ceil", "sqrt", "abs", "sin", "cos", "tan", "exp", "log", "log10", "atan",
                "asin", "acos"
            ]
        );
        let bit: Vec<&str> = TABLE
            .iter()
            .filter(|r| (ffid::BIT_FIRST..ffid::BIT_FIRST + 10).contains(&r.0))
            .map(|r| r.2)
            .collect();
        assert_eq!(
            bit,
            ["tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror"]
        );
    }

    #[test]
    fn every_row_is_tagged_when_its_library_opens() {
        let mut vm = Vm::new();
        crate::open_libs(&mut vm);
        let g = Value::from_table(vm.globals);
        for &(id, lib, name, _) in TABLE.iter().filter(|r| !r.1.is_empty()) {
            let t = if lib == "_G" { g } else { vm.get_field(g, lib) };
            let f = vm.get_field(t, name).as_func_ptr();
            let f = f.unwrap_or_else(|| panic!("{}.{} missing", lib, name));
            // SAFETY: a live function object.
            assert_eq!(unsafe { (*f.as_ptr()).hdr.flags }, id, "{}.{}", lib, name);
        }
    }
}
