//! LuaJIT's numbers for its built-in functions, which `tostring` shows
//! (`function: builtin#29` for `print`): one table of (library, name,
//! number), read off the reference `luajit` by printing every library
//! function. Lunatrace's natives are matched to rows by the Rust function
//! that implements them: each library notes its table when it opens
//! (`note`; `Vm::register_lib` does it for the libraries it registers),
//! and natives made at run time (`ipairs`' iterator, `gmatch`'s, a
//! `coroutine.wrap` function) are noted once by their function
//! (`note_fn`, library "aux"). A native in no row (a C function, one of
//! our own extras) shows as `function: 0x...`, as a C function does in
//! LuaJIT. Rows name the library as `package.loaded` does ("_G" for the
//! base library); "file" is the methods of io files, "buffer" those of
//! string buffers, "cdata"/"clib" the FFI's metatables.
//!
//! The map is per process (Rust function addresses are): noting is
//! idempotent. Two rows implemented by the same Rust function share the
//! number noted last.

use crate::object::NativeFn;
use crate::state::Vm;
use crate::value::Value;
use std::collections::HashMap;
use std::sync::RwLock;

/// (library, name, LuaJIT's builtin number).
pub const TABLE: &[(&str, &str, u16)] = &[
    ("_G", "assert", 2),
    ("_G", "type", 3),
    ("_G", "next", 4),
    ("_G", "pairs", 5),
    ("aux", "ipairs_aux", 6),
    ("_G", "ipairs", 7),
    ("_G", "getmetatable", 8),
    ("_G", "setmetatable", 9),
    ("_G", "getfenv", 10),
    ("_G", "setfenv", 11),
    ("_G", "rawget", 12),
    ("_G", "rawset", 13),
    ("_G", "rawequal", 14),
    ("_G", "unpack", 15),
    ("_G", "select", 16),
    ("_G", "tonumber", 17),
    ("_G", "tostring", 18),
    ("_G", "error", 19),
    ("_G", "pcall", 20),
    ("_G", "xpcall", 21),
    ("_G", "loadfile", 22),
    ("_G", "load", 23),
    ("_G", "loadstring", 24),
    ("_G", "dofile", 25),
    ("_G", "gcinfo", 26),
    ("_G", "collectgarbage", 27),
    ("_G", "newproxy", 28),
    ("_G", "print", 29),
    ("coroutine", "status", 30),
    ("coroutine", "running", 31),
    ("coroutine", "isyieldable", 32),
    ("coroutine", "create", 33),
    ("coroutine", "yield", 34),
    ("coroutine", "resume", 35),
    ("aux", "wrap_aux", 36),
    ("coroutine", "wrap", 37),
    ("math", "abs", 38),
    ("math", "floor", 39),
    ("math", "ceil", 40),
    ("math", "sqrt", 41),
    ("math", "log10", 42),
    ("math", "exp", 43),
    ("math", "sin", 44),
    ("math", "cos", 45),
    ("math", "tan", 46),
    ("math", "asin", 47),
    ("math", "acos", 48),
    ("math", "atan", 49),
    ("math", "sinh", 50),
    ("math", "cosh", 51),
    ("math", "tanh", 52),
    ("math", "frexp", 53),
    ("math", "modf", 54),
    ("math", "log", 55),
    ("math", "atan2", 56),
    ("math", "pow", 57),
    ("math", "fmod", 58),
    ("math", "ldexp", 59),
    ("math", "min", 60),
    ("math", "max", 61),
    ("math", "random", 62),
    ("math", "randomseed", 63),
    ("bit", "tobit", 64),
    ("bit", "bnot", 65),
    ("bit", "bswap", 66),
    ("bit", "lshift", 67),
    ("bit", "rshift", 68),
    ("bit", "arshift", 69),
    ("bit", "rol", 70),
    ("bit", "ror", 71),
    ("bit", "band", 72),
    ("bit", "bor", 73),
    ("bit", "bxor", 74),
    ("bit", "tohex", 75),
    ("string", "byte", 76),
    ("string", "char", 77),
    ("string", "sub", 78),
    ("string", "rep", 79),
    ("string", "reverse", 80),
    ("string", "lower", 81),
    ("string", "upper", 82),
    ("string", "dump", 83),
    ("string", "find", 84),
    ("string", "match", 85),
    ("aux", "gmatch_aux", 86),
    ("string", "gmatch", 87),
    ("string", "gsub", 88),
    ("string", "format", 89),
    ("table", "maxn", 90),
    ("table", "insert", 91),
    ("table", "concat", 92),
    ("table", "sort", 93),
    ("table.new", "new", 94),
    ("table.clear", "clear", 95),
    ("file", "close", 96),
    ("file", "read", 97),
    ("file", "write", 98),
    ("file", "flush", 99),
    ("file", "seek", 100),
    ("file", "setvbuf", 101),
    ("file", "lines", 102),
    ("file", "__gc", 103),
    ("file", "__tostring", 104),
    ("io", "open", 105),
    ("io", "popen", 106),
    ("io", "tmpfile", 107),
    ("io", "close", 108),
    ("io", "read", 109),
    ("io", "write", 110),
    ("io", "flush", 111),
    ("io", "input", 112),
    ("io", "output", 113),
    ("io", "lines", 114),
    ("io", "type", 115),
    ("os", "execute", 116),
    ("os", "remove", 117),
    ("os", "rename", 118),
    ("os", "tmpname", 119),
    ("os", "getenv", 120),
    ("os", "exit", 121),
    ("os", "clock", 122),
    ("os", "date", 123),
    ("os", "time", 124),
    ("os", "difftime", 125),
    ("os", "setlocale", 126),
    ("debug", "getregistry", 127),
    ("debug", "getmetatable", 128),
    ("debug", "setmetatable", 129),
    ("debug", "getfenv", 130),
    ("debug", "setfenv", 131),
    ("debug", "getinfo", 132),
    ("debug", "getlocal", 133),
    ("debug", "setlocal", 134),
    ("debug", "getupvalue", 135),
    ("debug", "setupvalue", 136),
    ("debug", "upvalueid", 137),
    ("debug", "upvaluejoin", 138),
    ("debug", "sethook", 139),
    ("debug", "gethook", 140),
    ("debug", "debug", 141),
    ("debug", "traceback", 142),
    ("jit", "on", 143),
    ("jit", "off", 144),
    ("jit", "flush", 145),
    ("jit", "status", 146),
    ("jit", "security", 147),
    ("jit", "attach", 148),
    ("jit.util", "funcinfo", 149),
    ("jit.util", "funcbc", 150),
    ("jit.util", "funck", 151),
    ("jit.util", "funcuvname", 152),
    ("jit.util", "traceinfo", 153),
    ("jit.util", "traceir", 154),
    ("jit.util", "tracek", 155),
    ("jit.util", "tracesnap", 156),
    ("jit.util", "tracemc", 157),
    ("jit.util", "traceexitstub", 158),
    ("jit.util", "ircalladdr", 159),
    ("jit.opt", "start", 160),
    ("jit.profile", "start", 161),
    ("jit.profile", "stop", 162),
    ("jit.profile", "dumpstack", 163),
    ("cdata", "__index", 164),
    ("cdata", "__newindex", 165),
    ("cdata", "__eq", 166),
    ("cdata", "__len", 167),
    ("cdata", "__lt", 168),
    ("cdata", "__le", 169),
    ("cdata", "__concat", 170),
    ("cdata", "__call", 171),
    ("cdata", "__add", 172),
    ("cdata", "__sub", 173),
    ("cdata", "__mul", 174),
    ("cdata", "__div", 175),
    ("cdata", "__mod", 176),
    ("cdata", "__pow", 177),
    ("cdata", "__unm", 178),
    ("cdata", "__tostring", 179),
    ("cdata", "__pairs", 180),
    ("cdata", "__ipairs", 181),
    ("clib", "__index", 182),
    ("clib", "__newindex", 183),
    ("clib", "__gc", 184),
    ("ffi", "cdef", 187),
    ("ffi", "new", 188),
    ("ffi", "cast", 189),
    ("ffi", "typeof", 190),
    ("ffi", "typeinfo", 191),
    ("ffi", "istype", 192),
    ("ffi", "sizeof", 193),
    ("ffi", "alignof", 194),
    ("ffi", "offsetof", 195),
    ("ffi", "errno", 196),
    ("ffi", "string", 197),
    ("ffi", "copy", 198),
    ("ffi", "fill", 199),
    ("ffi", "abi", 200),
    ("ffi", "metatype", 201),
    ("ffi", "gc", 202),
    ("ffi", "load", 203),
    ("buffer", "free", 204),
    ("buffer", "reset", 205),
    ("buffer", "skip", 206),
    ("buffer", "set", 207),
    ("buffer", "put", 208),
    ("buffer", "putf", 209),
    ("buffer", "get", 210),
    ("buffer", "putcdata", 211),
    ("buffer", "reserve", 212),
    ("buffer", "commit", 213),
    ("buffer", "ref", 214),
    ("buffer", "encode", 215),
    ("buffer", "decode", 216),
    ("buffer", "__gc", 217),
    ("buffer", "__tostring", 218),
    ("buffer", "tostring", 218),
    ("buffer", "__len", 219),
    ("string.buffer", "new", 220),
    ("string.buffer", "encode", 221),
    ("string.buffer", "decode", 222),
];

/// Native function address -> builtin number.
static IDS: RwLock<Option<HashMap<usize, u16>>> = RwLock::new(None);

fn insert(f: NativeFn, id: u16) {
    let mut m = IDS.write().unwrap_or_else(|e| e.into_inner());
    m.get_or_insert_with(HashMap::new).insert(f as usize, id);
}

/// The builtin number of `library.name`, if LuaJIT has one.
pub fn number_of(library: &str, name: &str) -> Option<u16> {
    TABLE
        .iter()
        .find(|r| r.0 == library && r.1 == name)
        .map(|r| r.2)
}

/// Note the natives of library table `t` (any table holding them under
/// their names) as `library`'s rows.
pub fn note(vm: &mut Vm, library: &str, t: Value) {
    if !t.is_table() {
        return;
    }
    for &(lib, name, id) in TABLE {
        if lib != library {
            continue;
        }
        if let Some(f) = vm.get_field(t, name).as_func_ptr() {
            // SAFETY: a live function object; only its native pointer is read.
            if let Some(nf) = unsafe { (*f.as_ptr()).native } {
                insert(nf, id);
            }
        }
    }
}

/// Note native `f` as row `library.name`.
pub fn note_fn(library: &str, name: &str, f: NativeFn) {
    if let Some(id) = number_of(library, name) {
        insert(f, id);
    }
}

/// The builtin number of native function `f`, if it is one of the rows.
pub fn of(f: NativeFn) -> Option<u16> {
    let m = IDS.read().unwrap_or_else(|e| e.into_inner());
    m.as_ref().and_then(|m| m.get(&(f as usize)).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_distinct_and_the_base_library_is_noted() {
        // (A number may have two names: a buffer's `tostring` is its
        // `__tostring`.)
        let mut seen = std::collections::HashSet::new();
        for &(lib, name, _) in TABLE {
            assert!(seen.insert((lib, name)), "{}.{}", lib, name);
        }
        let mut vm = Vm::new();
        crate::open_libs(&mut vm);
        let p = vm.get_global("print");
        assert_eq!(vm.tostring_basic(p), "function: builtin#29");
        let t = vm.get_global("table");
        let ins = vm.get_field(t, "insert");
        assert_eq!(vm.tostring_basic(ins), "function: builtin#91");
    }
}
