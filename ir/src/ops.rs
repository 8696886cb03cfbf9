//! The IR op table: one line per instruction with its operand kinds, flags
//! and meaning; the macro generates `Op`, `OP_NAMES`, `OP_ARGS`, `OP_FLAGS`
//! and `OP_DOCS`.
//!
//! Operand kinds: `ref` (an IR reference), `lit` (a literal number stored in
//! the operand), `none`. Flags: `G` guard (may exit the trace, owns a
//! snapshot), `L` load (reads memory a store may change), `S` store or other
//! side effect (never removed, blocks load CSE), `P` pure (CSE-able),
//! `C` commutative.

/// Value types of IR results (and of type guards). The boxed-value tags
/// follow `lunatrace_vm::value::tag`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// No value (stores, guards, markers).
    Void,
    Nil,
    False,
    True,
    /// Unboxed f64.
    Num,
    /// Unboxed i32.
    Int,
    /// Raw pointers (object payloads, array bases).
    Str,
    Tab,
    Func,
    Udata,
    /// A coroutine (`Thread` object pointer).
    Thread,
    /// A light userdata: the raw pointer.
    LightUd,
    /// A cdata object pointer.
    Cdata,
    /// A reference cdata (`T &`) kept virtual: the address it refers to
    /// (`CREF`); allocated only when an exit needs it boxed.
    CRef,
    Ptr,
    /// A boxed 64-bit `Value` of unknown type.
    Val,
}

/// `SLOAD` flags (its b operand) of a side trace's slot that its parent's
/// exit wrote with type `ty` (bit 0, the type in bits 8..): the `UNBOX`
/// of that type needs no check.
pub fn sload_typed(ty: Ty) -> i32 {
    1 | ((ty as i32) << 8)
}

/// Whether `SLOAD` flags `b` say the slot holds a `ty` (`sload_typed`).
pub fn sload_is_typed(b: i32, ty: Ty) -> bool {
    b & 1 != 0 && b >> 8 == ty as i32
}

impl Ty {
    /// Short name for the printer.
    pub fn name(self) -> &'static str {
        match self {
            Ty::Void => "   ",
            Ty::Nil => "nil",
            Ty::False => "fal",
            Ty::True => "tru",
            Ty::Num => "num",
            Ty::Int => "int",
            Ty::Str => "str",
            Ty::Tab => "tab",
            Ty::Func => "fun",
            Ty::Udata => "udt",
            Ty::Thread => "thr",
            Ty::LightUd => "lud",
            Ty::Cdata => "cdt",
            Ty::CRef => "crf",
            Ty::Ptr => "ptr",
            Ty::Val => "val",
        }
    }

    /// Every type, `Void` first.
    pub const ALL: [Ty; 16] = [
        Ty::Void,
        Ty::Nil,
        Ty::False,
        Ty::True,
        Ty::Num,
        Ty::Int,
        Ty::Str,
        Ty::Tab,
        Ty::Func,
        Ty::Udata,
        Ty::Thread,
        Ty::LightUd,
        Ty::Cdata,
        Ty::CRef,
        Ty::Ptr,
        Ty::Val,
    ];

    /// The type a (non-blank) printed name stands for.
    pub fn from_name(s: &str) -> Option<Ty> {
        Ty::ALL[1..].iter().copied().find(|t| t.name() == s)
    }

    /// Types that carry no payload (only the tag matters).
    pub fn is_pri(self) -> bool {
        matches!(self, Ty::Nil | Ty::False | Ty::True)
    }
}

/// Operand kinds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Arg {
    None,
    Ref,
    Lit,
}

/// Op flags (see the module doc).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    pub const GUARD: u8 = 1;
    pub const LOAD: u8 = 2;
    pub const STORE: u8 = 4;
    pub const PURE: u8 = 8;
    pub const COMM: u8 = 16;
    pub fn guard(self) -> bool {
        self.0 & Self::GUARD != 0
    }
    pub fn load(self) -> bool {
        self.0 & Self::LOAD != 0
    }
    pub fn store(self) -> bool {
        self.0 & Self::STORE != 0
    }
    pub fn pure(self) -> bool {
        self.0 & Self::PURE != 0
    }
    pub fn comm(self) -> bool {
        self.0 & Self::COMM != 0
    }
}

macro_rules! flags {
    () => { 0 };
    ($f:ident $($rest:ident)*) => { flag_bit!($f) | flags!($($rest)*) };
}
macro_rules! flag_bit {
    (G) => {
        Flags::GUARD
    };
    (L) => {
        Flags::LOAD
    };
    (S) => {
        Flags::STORE
    };
    (P) => {
        Flags::PURE
    };
    (C) => {
        Flags::COMM
    };
    (N) => {
        0
    };
}
macro_rules! arg_kind {
    (ref) => {
        Arg::Ref
    };
    (lit) => {
        Arg::Lit
    };
    (none) => {
        Arg::None
    };
}

macro_rules! irdef {
    ($( $name:ident : $a:ident $b:ident [$($f:ident)*] $doc:literal ;)*) => {
        /// IR operations.
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op { $( #[doc = $doc] $name, )* }

        /// Names, indexed by op.
        pub const OP_NAMES: &[&str] = &[ $( stringify!($name), )* ];
        /// Operand kinds (a, b), indexed by op.
        pub const OP_ARGS: &[(Arg, Arg)] = &[ $( (arg_kind!($a), arg_kind!($b)), )* ];
        /// Flags, indexed by op.
        pub const OP_FLAGS: &[Flags] = &[ $( Flags(flags!($($f)*)), )* ];
        /// One-line meanings, indexed by op.
        pub const OP_DOCS: &[&str] = &[ $( $doc, )* ];
        /// Every op, in table order (`OP_ALL[op as usize] == op`).
        pub const OP_ALL: &[Op] = &[ $( Op::$name, )* ];
    };
}

irdef! {
    // Markers.
    NOP:    none none [N]   "no operation (deleted instruction)";
    LOOP:   none none [S]   "start of the loop body: what follows repeats";
    LREF:   lit  none [N]   "value of loop-carried slot a at the top of the loop body";
    // Stack slots and boxing.
    SLOAD:  lit  lit  [L]   "boxed value of slot a of the base frame (b: flags, sload_typed)";
    UNBOX:  ref  none [G P] "guard that boxed a has the result type, and unbox it";
    BOX:    ref  none [P]   "box a (of its type) into a value";
    // Numbers.
    ADD:    ref  ref  [P C] "a + b";
    SUB:    ref  ref  [P]   "a - b";
    MUL:    ref  ref  [P C] "a * b";
    DIV:    ref  ref  [P]   "a / b";
    MOD:    ref  ref  [P]   "a - floor(a / b) * b";
    POW:    ref  ref  [P]   "a ^ b";
    NEG:    ref  none [P]   "-a";
    FPMATH: ref  lit  [P]   "math function b (see FpMath) of a";
    MIN:    ref  ref  [P]   "math.min(a, b): a < b ? a : b";
    MAX:    ref  ref  [P]   "math.max(a, b): a > b ? a : b";
    TOINT:  ref  none [G P] "a as int32, guard that it is exact";
    TONUM:  ref  none [P]   "int a as a number";
    // Guards on comparisons (numbers; EQ/NE also compare boxed values and
    // pointers bit for bit).
    LT:     ref  ref  [G P] "guard a < b";
    GE:     ref  ref  [G P] "guard not (a < b)";
    LE:     ref  ref  [G P] "guard a <= b";
    GT:     ref  ref  [G P] "guard not (a <= b)";
    EQ:     ref  ref  [G P C] "guard a == b";
    NE:     ref  ref  [G P C] "guard a ~= b";
    ABC:    ref  ref  [G P] "guard 1 <= a <= b (ints, one unsigned compare)";
    ABCZ:   ref  ref  [G P] "guard 0 <= a <= b (ints, one unsigned compare)";
    IADD:   ref  ref  [P C] "int a + b (wrapping)";
    IMUL:   ref  ref  [P C] "int a * b (wrapping)";
    ADDOV:  ref  ref  [G P C] "int a + b, guard that it does not overflow";
    SUBOV:  ref  ref  [G P] "int a - b, guard that it does not overflow";
    MULOV:  ref  ref  [G P C] "int a * b, guard that it does not overflow";
    TOBIT:  ref  none [P]   "number a as int32, modulo 2^32 (bit.tobit)";
    BNOT:   ref  none [P]   "int ~a";
    BAND:   ref  ref  [P C] "int a & b";
    BOR:    ref  ref  [P C] "int a | b";
    BXOR:   ref  ref  [P C] "int a ^ b";
    BSHL:   ref  ref  [P]   "int a << (b & 31)";
    BSHR:   ref  ref  [P]   "int a >> (b & 31), logical";
    BSAR:   ref  ref  [P]   "int a >> (b & 31), arithmetic";
    BROL:   ref  ref  [P]   "int a rotated left by (b & 31)";
    BROR:   ref  ref  [P]   "int a rotated right by (b & 31)";
    // Objects.
    TMETA:  ref  none [L]   "metatable pointer of table a (0 if none)";
    NOMM:   ref  lit  [G L] "guard that table a has no metatable, or one without metamethod b (an MM index: __index, __newindex), whichever metatable";
    TSETMETA: ref ref [S]   "set the metatable of table a to table pointer b (0: none)";
    TALEN:  ref  none [L]   "array part length of table a (int)";
    TARR:   ref  none [L]   "array part base pointer of table a";
    AREF:   ref  ref  [P]   "address of the slot of key b (int, 0..=alen; 0 is the slot before key 1's) at base a (a TARR)";
    ALOAD:  ref  none [L]   "boxed value at array slot address a (an AREF)";
    ASTORE: ref  ref  [S]   "store boxed b at array slot address a (an AREF)";
    HREFK:  ref  ref  [G L] "address of the value of hash entry CARG(key, index) b of table a; guard the key is there";
    HLOAD:  ref  none [L]   "boxed value at hash entry value address a (an HREFK)";
    HSTORE: ref  ref  [S]   "store boxed b at hash entry value address a (an HREFK)";
    HGETS:  ref  ref  [L]   "boxed t[k] without metamethods: table a, string constant b";
    HGET:   ref  ref  [L]   "boxed t[k] without metamethods: table a, boxed key b";
    NEXTK:  ref  ref  [L]   "next(t, k)'s key: table a, boxed key b; boxed result, nil at the end, NaN when b is not a key";
    HSET:   ref  ref  [G S] "t[k] = v for an existing key: table a, CARG(k, v) b; exits if absent";
    TSETNEW: ref ref  [G S] "raw t[k] = v (may add the key): table a, CARG(k, v) b; exits on a nil/NaN key";
    CARG:   ref  ref  [P]   "argument pair for HSET and calls (pure data: equal pairs are shared)";
    UVLOAD: ref  none [L]   "boxed value of upvalue object a";
    UVCLOSED: ref none [G L] "guard upvalue object a is closed";
    UVPTR:  ref  none [L]   "value pointer of upvalue object a (a stack slot while open)";
    FPROTO: ref  none [P]   "prototype pointer of Lua closure a";
    FENV:   ref  none [L]   "environment table pointer of closure a";
    FUVAL:  ref  lit  [P]   "upvalue object b of Lua closure a";
    UVSTORE: ref ref  [S]   "store boxed b into upvalue object a";
    STRLEN: ref  none [P]   "length of string a (int)";
    STRLT:  ref  ref  [P]   "1 if string a sorts before string b (bytewise), else 0 (int)";
    TLEN:   ref  none [L]   "border (#) of table a (int; Lua 5.1 ignores __len on tables)";
    TAPPEND: ref  ref  [G S] "append boxed b to table a's array part; exits, storing nothing, when the table cannot grow";
    TNEW:   lit  none [S]   "new table (TNEW operand a)";
    TDUP:   ref  none [S]   "copy of template table a";
    GCSTEP: none none [G S] "exit (to the next instruction) when a collection is due";
    POLL:   lit  none [G]   "count the VM's hook countdown (Vm::hook_left) down by a, the instructions recorded; exit, leaving it 1 for the interpreter's count hook, when it would reach zero";
    // Traces.
    RETF:   lit  none [S]   "return to a lower frame: the base moves down by a slots (the frames below are checked at entry)";
    RETG:   ref  ref  [G S] "guarded return of the current (top) frame to the Lua frame below it: a = CARG(closure constant its caller runs, its call link: the frame's Frame::link, fixing the caller's prototype, pc, the result slot and count), b: pointer constant packing pc << 32 | delta << 16 | flags (jitrt::RETG_*) | results wanted + 1 (0: all); with no open upvalue; pops it, the base moves down by delta";
    FSTORE: ref  none [S]   "store boxed a into the function slot of the base frame (slot -1): a tail call there";
    EXIT:   none none [G]   "unconditional exit (snapshot)";
    STKCHK: lit  lit  [G L] "guard that a Lua frames can be pushed, the innermost b slots above the current base (stack room, frame limit)";
    RECLINK: none none [G S] "unconditional end: write back the snapshot, push its inlined frames as real frames and continue in the trace linked to it at the innermost frame's base (recursion)";
    CALLC:  ref  lit  [S]   "call a C function: a = target or CARG(...(CARG(target, arg1)...), argN), b = its signature in Trace::csigs";
    REENTRY: none none [G]  "exit when the last C call re-entered Lua (sandwich=exit)";
    CDTYPE: ref  none [P]   "C type id (int) of cdata object a";
    CDPTR:  ref  none [P]   "payload address of cdata object a";
    ISCALE: ref  lit  [P]   "int a * b as a pointer-sized byte offset";
    XREF:   ref  ref  [P]   "address a + byte offset b (int or pointer-sized)";
    XLOAD:  ref  lit  [L]   "C scalar of kind b (CScalar::code) at address a, as a number (pointers: ptr)";
    XSTORE: ref  lit  [S]   "store number CARG(address, value) a as C scalar of kind b";
    CREF:   ref  lit  [P]   "reference cdata to address a of C type b (virtual until boxed at an exit); with VIRTUAL_PTR (1 << 30) in b, a pointer or integer cdata of type b whose value is a";
    // 64-bit integers (int64_t/uint64_t cdata values): ptr-typed values;
    // LT GE LE GT compare ptr-typed operands as signed 64-bit integers.
    I64ADD: ref  ref  [P C] "64-bit integer a + b (wrapping)";
    I64SUB: ref  ref  [P]   "64-bit integer a - b (wrapping)";
    I64MUL: ref  ref  [P C] "64-bit integer a * b (wrapping)";
    I64NEG: ref  none [P]   "64-bit integer -a (wrapping)";
    I64OP:  ref  lit  [P]   "64-bit integer x / y, x % y or x ^ y of CARG(x, y) a: b = 0, 1, 2, plus 3 for unsigned (FFI rules: jitrt::jit_i64_arith)";
    TOI64:  ref  lit  [P]   "number a as a 64-bit integer, as LuaJIT on x86-64 converts it (b = 0: int64_t, out of range and NaN give INT64_MIN; else as stored to the C integer CScalar::of_toi64(b), extended back)";
    I64NUM: ref  lit  [P]   "64-bit integer a as a number (b = 1: unsigned)";
    I64EXT: ref  lit  [P]   "64-bit integer a narrowed to C integer b (CScalar::code) and extended back";
    CNEW:   lit  lit  [S]   "new cdata object of C type a with b zeroed payload bytes";
    ULT:    ref  ref  [G P] "guard a < b (unsigned 64-bit)";
    UGE:    ref  ref  [G P] "guard not (a < b) (unsigned 64-bit)";
    ULE:    ref  ref  [G P] "guard a <= b (unsigned 64-bit)";
    UGT:    ref  ref  [G P] "guard not (a <= b) (unsigned 64-bit)";
    // Strings and conversions (helpers in vm/src/jitrt.rs; values passed
    // as CARG(...(CARG(v1, v2)...), vN) chains of boxed values).
    SBYTE:  ref  ref  [P]   "byte (int) at 1-based int index b of string a (bounds guarded before)";
    SSUB:   ref  ref  []    "string.sub(a, i, j): string a, CARG(i, j) b (numbers); removed when unused (interning is no effect)";
    SUBLEN: ref  ref  [P]   "#string.sub(a, i, j) without making the string: string a, CARG(i, j) b (numbers); int";
    GMATCH: ref  lit  [S]   "next result of gmatch iterator a (a function): its capture (boxed string) or nil at the end, as recorded (b: 1 a match, 0 the end); false, changing nothing, when it differs";
    SREP:   ref  ref  [G S] "string.rep(a, n): string a, count b (number); exits when the result would be huge";
    SCASE:  ref  lit  [S]   "string.lower (b = 0) or string.upper (b = 1) of string a";
    SMATCH: ref  ref  [S]   "string.match: CARG(s, pattern) a, CARG(init number, want int) b; boxed first result as recorded (want 1: a string, 0: nil), false when it differs (see jitrt::jit_smatch)";
    SGSUB:  ref  ref  [G S] "string.gsub(s, pattern, repl) with string repl: CARG(s, pattern) a, repl b; exits, changing nothing, on an error";
    SFIND:  ref  ref  [P]   "string.find: CARG(s, pattern) a, CARG(init number, plain int) b; packed result (see jitrt::jit_sfind)";
    SFINDS: ref  none [P]   "start of SFIND result a as a number (0: no match, -1: not compiled)";
    SFINDE: ref  none [P]   "end of SFIND result a as a number";
    CAT:    ref  lit  [G S] "concatenation of b boxed strings/numbers (chain a), interned; exits when the result would pass the heap's limit";
    SCHAR:  ref  lit  [G S] "string.char of b boxed numbers (chain a); exits on a bad byte";
    SFMT:   ref  lit  [G S] "string.format of b boxed values (chain a, format first); exits when unsupported";
    TCONCAT: ref lit  [G S] "table.concat of b boxed values (chain a: table, separator); exits on a bad element";
    TOSTR:  ref  none [G S] "tostring of number a; exits when numbers have __tostring";
    TONUMS: ref  none [P]   "tonumber of string a (base 10): boxed number or nil";
    TYMETA: lit  none [L]   "type metatable pointer of value tag a (0 if none)";
    UMETA:  ref  none [L]   "metatable pointer of userdata a (0 if none)";
    // Coroutines.
    CONEW:  ref  none [S]   "new suspended coroutine running function a (coroutine.create)";
    COSTATUS: ref none [L]  "coroutine.status of thread a as an int: 0 suspended, 1 running, 2 normal, 3 dead";
    // Closures.
    FNEW:   ref  ref  [S]   "new closure of prototype a (pointer constant) in closure b, or CARG(closure, SREF of the frame) when it captures locals";
    SREF:   lit  none [P]   "address of slot a of the base frame (open upvalues point there)";
    NVARG:  none none [L]   "number of varargs of the base frame (int; they sit in its slots -n..-1)";
    VLOAD:  ref  lit  [L]   "boxed vararg a (int, 1-based, bounds guarded before) of the base frame, which has b varargs (its slot a - b - 1)";
    SSTORE: lit  ref  [S]   "store boxed b into slot a of the base frame (before its upvalues close)";
    UCLOSE: lit  none [S]   "close the open upvalues at or above slot a of the base frame (SSTOREd first)";
}

impl Op {
    /// The op a printed name stands for.
    pub fn from_name(s: &str) -> Option<Op> {
        OP_NAMES.iter().position(|n| *n == s).map(|i| OP_ALL[i])
    }
    pub fn name(self) -> &'static str {
        OP_NAMES[self as usize]
    }
    pub fn flags(self) -> Flags {
        OP_FLAGS[self as usize]
    }
    pub fn args(self) -> (Arg, Arg) {
        OP_ARGS[self as usize]
    }
}

/// Math functions of `FPMATH`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FpMath {
    Floor,
    Ceil,
    Sqrt,
    Abs,
    Sin,
    Cos,
    Tan,
    Exp,
    Log,
    Log10,
    Atan,
    Asin,
    Acos,
}

impl FpMath {
    pub const ALL: [FpMath; 13] = [
        FpMath::Floor,
        FpMath::Ceil,
        FpMath::Sqrt,
        FpMath::Abs,
        FpMath::Sin,
        FpMath::Cos,
        FpMath::Tan,
        FpMath::Exp,
        FpMath::Log,
        FpMath::Log10,
        FpMath::Atan,
        FpMath::Asin,
        FpMath::Acos,
    ];
    pub fn from_u32(v: u32) -> Option<FpMath> {
        Self::ALL.get(v as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            FpMath::Floor => "floor",
            FpMath::Ceil => "ceil",
            FpMath::Sqrt => "sqrt",
            FpMath::Abs => "abs",
            FpMath::Sin => "sin",
            FpMath::Cos => "cos",
            FpMath::Tan => "tan",
            FpMath::Exp => "exp",
            FpMath::Log => "log",
            FpMath::Log10 => "log10",
            FpMath::Atan => "atan",
            FpMath::Asin => "asin",
            FpMath::Acos => "acos",
        }
    }
    /// Evaluate (for constant folding and the reference semantics).
    pub fn eval(self, x: f64) -> f64 {
        match self {
            FpMath::Floor => x.floor(),
            FpMath::Ceil => x.ceil(),
            FpMath::Sqrt => x.sqrt(),
            FpMath::Abs => x.abs(),
            FpMath::Sin => x.sin(),
            FpMath::Cos => x.cos(),
            FpMath::Tan => x.tan(),
            FpMath::Exp => x.exp(),
            FpMath::Log => x.ln(),
            FpMath::Log10 => x.log10(),
            FpMath::Atan => x.atan(),
            FpMath::Asin => x.asin(),
            FpMath::Acos => x.acos(),
        }
    }
}
