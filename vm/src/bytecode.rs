//! The bytecode: one declarative table of every instruction (ARCHITECTURE.md: `vm` modules)
//! that generates the `Op` enum, the names, the operand modes, the
//! metamethod each may call and the disassembler.
//!
//! Encoding (LuaJIT style), 32 bits: `op` in bits 0..8, `A` in 8..16, `C` in
//! 16..24, `B` in 24..32; `D` is bits 16..32 (overlapping B and C).
//!
//! Conventions shared by the compiler and the interpreter:
//! - Comparisons and IST/ISF/ISTC/ISFC are always followed by a JMP: when the
//!   condition holds, the JMP is taken; otherwise it is skipped.
//! - Jump targets: `pc + 1 + (D - 0x8000)`, where pc is the jump's own index.
//! - `str`, `num` and `tab` operands index `Proto::k`; `func` indexes
//!   `Proto::protos`; `uv` indexes the closure's upvalues; `pri` is
//!   0 = nil, 1 = false, 2 = true; `lits` is a signed 16-bit literal.
//! - Calls: the function is in slot A and its arguments follow (A+1...).
//!   B is the number of results wanted + 1 (0 = all: sets MULTRES), C is the
//!   number of arguments + 1. CALLM/CALLMT pass C (resp. D) fixed arguments
//!   followed by the MULTRES values left by the previous instruction (the top
//!   of the stack is A+1+fixed+MULTRES). VARG with B = 0 and multi-value calls
//!   set MULTRES.
//! - Every prototype starts with FUNCF (fixed arguments) or FUNCV (vararg)
//!   whose A is the frame size.

/// Operand kinds, used by the printer and the recorder.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    None,
    /// Register written.
    Dst,
    /// Register read.
    Var,
    /// Base register of a range.
    Base,
    /// Register base, read-only meaning (e.g. upvalue close level).
    RBase,
    Str,
    Num,
    /// A cdata constant in `Proto::k`.
    Cdata,
    Pri,
    Lit,
    Lits,
    Jump,
    Func,
    Tab,
    Uv,
}

/// The metamethod column of `bcdef!`: `-` for none.
macro_rules! bc_mm {
    (-) => {
        None
    };
    ($m:ident) => {
        Some(crate::state::MM::$m)
    };
}

macro_rules! bcdef {
    ($( $name:ident : $a:ident $b:ident $cd:ident , $mm:tt , $doc:literal ;)*) => {
        /// Bytecode operations.
        #[allow(clippy::upper_case_acronyms)]
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Op { $( #[doc = $doc] $name, )* }

        /// Operation names, indexed by opcode.
        pub const OP_NAMES: &[&str] = &[ $( stringify!($name), )* ];

        /// Operand modes (A, B, C-or-D), indexed by opcode.
        pub const OP_MODES: &[(Mode, Mode, Mode)] = &[ $( (Mode::$a, Mode::$b, Mode::$cd), )* ];

        /// One-line meanings, indexed by opcode.
        pub const OP_DOCS: &[&str] = &[ $( $doc, )* ];

        /// The metamethod an instruction may call (Lua 5.1 rules; `LEN`'s
        /// only for non-tables), indexed by opcode.
        pub const OP_MM: &[Option<crate::state::MM>] = &[ $( bc_mm!($mm), )* ];

        const ALL_OPS: &[Op] = &[ $( Op::$name, )* ];

        /// Opcode numbers as `u8` constants, for `match` in the interpreter.
        #[allow(non_upper_case_globals, clippy::upper_case_acronyms)]
        pub mod opc {
            use super::Op;
            $( pub const $name: u8 = Op::$name as u8; )*
        }
    };
}

bcdef! {
    // Comparisons (followed by JMP; the JMP is taken when the condition holds).
    ISLT:  Var None Var,     Lt,       "if A < D then jump";
    ISGE:  Var None Var,     Lt,       "if not (A < D) then jump";
    ISLE:  Var None Var,     Le,       "if A <= D then jump";
    ISGT:  Var None Var,     Le,       "if not (A <= D) then jump";
    ISEQV: Var None Var,     Eq,       "if A == D then jump";
    ISNEV: Var None Var,     Eq,       "if A ~= D then jump";
    ISEQS: Var None Str,     -,        "if A == k[D] (string) then jump";
    ISNES: Var None Str,     -,        "if A ~= k[D] (string) then jump";
    ISEQN: Var None Num,     -,        "if A == k[D] (number) then jump";
    ISNEN: Var None Num,     -,        "if A ~= k[D] (number) then jump";
    ISEQP: Var None Pri,     -,        "if A == primitive D then jump";
    ISNEP: Var None Pri,     -,        "if A ~= primitive D then jump";
    // Unary tests and copies (followed by JMP).
    ISTC:  Dst None Var,     -,        "if D is truthy then A = D and jump";
    ISFC:  Dst None Var,     -,        "if D is falsy then A = D and jump";
    IST:   None None Var,    -,        "if D is truthy then jump";
    ISF:   None None Var,    -,        "if D is falsy then jump";
    // Unary operations.
    MOV:   Dst None Var,     -,        "A = D";
    NOT:   Dst None Var,     -,        "A = not D";
    UNM:   Dst None Var,     Unm,      "A = -D";
    LEN:   Dst None Var,     Len,      "A = #D";
    // Binary arithmetic: VN = register op number constant, NV = reversed.
    ADDVN: Dst Var Num,      Add,      "A = B + k[C]";
    SUBVN: Dst Var Num,      Sub,      "A = B - k[C]";
    MULVN: Dst Var Num,      Mul,      "A = B * k[C]";
    DIVVN: Dst Var Num,      Div,      "A = B / k[C]";
    MODVN: Dst Var Num,      Mod,      "A = B % k[C]";
    ADDNV: Dst Var Num,      Add,      "A = k[C] + B";
    SUBNV: Dst Var Num,      Sub,      "A = k[C] - B";
    MULNV: Dst Var Num,      Mul,      "A = k[C] * B";
    DIVNV: Dst Var Num,      Div,      "A = k[C] / B";
    MODNV: Dst Var Num,      Mod,      "A = k[C] % B";
    ADDVV: Dst Var Var,      Add,      "A = B + C";
    SUBVV: Dst Var Var,      Sub,      "A = B - C";
    MULVV: Dst Var Var,      Mul,      "A = B * C";
    DIVVV: Dst Var Var,      Div,      "A = B / C";
    MODVV: Dst Var Var,      Mod,      "A = B % C";
    POW:   Dst Var Var,      Pow,      "A = B ^ C";
    CAT:   Dst RBase RBase,  Concat,   "A = B .. B+1 .. ... .. C";
    // Constants.
    KSTR:  Dst None Str,     -,        "A = k[D] (string)";
    KSHORT: Dst None Lits,    -,        "A = D (signed 16-bit)";
    KNUM:  Dst None Num,     -,        "A = k[D] (number)";
    KPRI:  Dst None Pri,     -,        "A = primitive D";
    KNIL:  Base None Base,   -,        "A, A+1, ..., D = nil";
    // Upvalues and closures.
    UGET:  Dst None Uv,      -,        "A = upvalue D";
    USETV: Uv None Var,      -,        "upvalue A = D";
    USETS: Uv None Str,      -,        "upvalue A = k[D] (string)";
    USETN: Uv None Num,      -,        "upvalue A = k[D] (number)";
    USETP: Uv None Pri,      -,        "upvalue A = primitive D";
    UCLO:  RBase None Jump,  -,        "close upvalues of slots >= A, then jump";
    FNEW:  Dst None Func,    -,        "A = closure of protos[D]";
    // Tables.
    TNEW:  Dst None Lit,     -,        "A = {} with array size D & 0x7ff, hash size 2^(D >> 11)";
    TDUP:  Dst None Tab,     -,        "A = copy of template table k[D]";
    GGET:  Dst None Str,     Index,    "A = env[k[D]]";
    GSET:  Var None Str,     NewIndex, "env[k[D]] = A";
    TGETV: Dst Var Var,      Index,    "A = B[C]";
    TGETS: Dst Var Str,      Index,    "A = B[k[C]] (string key)";
    TGETB: Dst Var Lit,      Index,    "A = B[C] (integer key 0..255)";
    TSETV: Var Var Var,      NewIndex, "B[C] = A";
    TSETS: Var Var Str,      NewIndex, "B[k[C]] = A (string key)";
    TSETB: Var Var Lit,      NewIndex, "B[C] = A (integer key 0..255)";
    TSETM: Base None Num,    -,        "(A-1)[k[D] + i] = A+i for the MULTRES values";
    // Calls and varargs.
    CALLM: Base Lit Lit,     Call,     "call A with C fixed args + MULTRES, B-1 results";
    CALL:  Base Lit Lit,     Call,     "call A with C-1 args, B-1 results";
    CALLMT: Base None Lit,    Call,     "tail call A with D fixed args + MULTRES";
    CALLT: Base None Lit,    Call,     "tail call A with D-1 args";
    ITERC: Base Lit Lit,     -,        "A, A+1, A+2 = A-3, A-2, A-1; call A with 2 args, B-1 results";
    VARG:  Base Lit Lit,     -,        "A, ... = varargs (B-1 of them; B = 0: all, sets MULTRES)";
    // Returns.
    RETM:  Base None Lit,    -,        "return A, ..., A+D-1 and the MULTRES values";
    RET:   RBase None Lit,   -,        "return A, ..., A+D-2";
    RET0:  RBase None Lit,   -,        "return (no values)";
    RET1:  RBase None Lit,   -,        "return A";
    // Loops and branches.
    FORI:  Base None Jump,   -,        "numeric for init: check A..A+2, A+3 = A, or jump past the loop";
    JFORI: Base None Jump,   -,        "FORI that enters a compiled trace";
    FORL:  Base None Jump,   -,        "numeric for step: A += A+2; if in range A+3 = A and jump back (hot counter)";
    IFORL: Base None Jump,   -,        "FORL without hot counting (blacklisted)";
    JFORL: Base None Lit,    -,        "FORL that enters trace D";
    ITERL: Base None Jump,   -,        "generic for: if A ~= nil then A-1 = A and jump back (hot counter)";
    IITERL: Base None Jump,   -,        "ITERL without hot counting";
    JITERL: Base None Lit,    -,        "ITERL that enters trace D";
    LOOP:  RBase None Jump,  -,        "while/repeat loop header (hot counter); D jumps to the loop exit";
    ILOOP: RBase None Jump,  -,        "LOOP without hot counting";
    JLOOP: RBase None Lit,   -,        "LOOP that enters trace D";
    JMP:   RBase None Jump,  -,        "jump; A is the first free slot";
    // Function headers.
    FUNCF: RBase None None,  -,        "fixed-argument function entry (hot counter); A = frame size";
    IFUNCF: RBase None None,  -,        "FUNCF without hot counting";
    JFUNCF: RBase None Lit,   -,        "FUNCF that enters trace D";
    FUNCV: RBase None None,  -,        "vararg function entry; A = frame size";
    IFUNCV: RBase None None,  -,        "FUNCV without hot counting";
    JFUNCV: RBase None Lit,   -,        "FUNCV that enters trace D";
    KCDATA: Dst None Cdata,   -,        "A = k[D] (cdata constant, e.g. 42LL)";
    JRET:  RBase None Lit,   -,        "return (RET0/RET1/RET/RETM, A kept) that enters trace D (down-recursion)";
}

impl Op {
    #[inline(always)]
    pub fn from_u8(b: u8) -> Option<Op> {
        ALL_OPS.get(b as usize).copied()
    }
    /// The opcode numbered `b`, which must be below `NUM_OPS`.
    ///
    /// # Safety
    /// `b < NUM_OPS`; the interpreter's code arrays hold only such opcodes.
    #[inline(always)]
    pub unsafe fn from_u8_unchecked(b: u8) -> Op {
        debug_assert!((b as usize) < NUM_OPS);
        // SAFETY: `Op` is `repr(u8)` with the values 0..NUM_OPS, and the
        // caller guarantees `b` is one of them.
        unsafe { std::mem::transmute::<u8, Op>(b) }
    }
    pub fn name(self) -> &'static str {
        OP_NAMES[self as usize]
    }
    /// The metamethod this instruction may call.
    pub fn mm(self) -> Option<crate::state::MM> {
        OP_MM[self as usize]
    }
    pub fn modes(self) -> (Mode, Mode, Mode) {
        OP_MODES[self as usize]
    }
    /// True when the C/D field is a 16-bit D operand (B is unused).
    pub fn has_d(self) -> bool {
        self.modes().1 == Mode::None
    }
}

/// Number of opcodes.
pub const NUM_OPS: usize = OP_NAMES.len();

/// Bias of jump offsets in D.
pub const JUMP_BIAS: i32 = 0x8000;

#[inline(always)]
pub fn op(i: u32) -> u8 {
    i as u8
}
#[inline(always)]
pub fn a(i: u32) -> u32 {
    (i >> 8) & 0xff
}
#[inline(always)]
pub fn b(i: u32) -> u32 {
    i >> 24
}
#[inline(always)]
pub fn c(i: u32) -> u32 {
    (i >> 16) & 0xff
}
#[inline(always)]
pub fn d(i: u32) -> u32 {
    i >> 16
}
/// Whether `op` is a conditional test, always followed by a JMP taken when
/// the test holds (the comparisons, IST/ISF and the copying ISTC/ISFC).
pub fn is_cond(op: u8) -> bool {
    matches!(
        op,
        opc::ISLT
            | opc::ISGE
            | opc::ISLE
            | opc::ISGT
            | opc::ISEQV
            | opc::ISNEV
            | opc::ISEQS
            | opc::ISNES
            | opc::ISEQN
            | opc::ISNEN
            | opc::ISEQP
            | opc::ISNEP
            | opc::ISTC
            | opc::ISFC
            | opc::IST
            | opc::ISF
    )
}

/// Signed jump offset of D.
#[inline(always)]
pub fn jump(i: u32) -> i32 {
    d(i) as i32 - JUMP_BIAS
}

/// Encode an A-B-C instruction.
pub fn abc(o: Op, a: u32, b: u32, c: u32) -> u32 {
    debug_assert!(a < 256 && b < 256 && c < 256);
    (o as u32) | (a << 8) | (c << 16) | (b << 24)
}
/// Encode an A-D instruction.
pub fn ad(o: Op, a: u32, d: u32) -> u32 {
    debug_assert!(a < 256 && d < 65536);
    (o as u32) | (a << 8) | (d << 16)
}
/// Encode a jump (or any A-D op with a jump operand) from `pc` to `target`.
pub fn ajump(o: Op, a: u32, pc: usize, target: usize) -> u32 {
    let off = target as i64 - (pc as i64 + 1) + JUMP_BIAS as i64;
    debug_assert!((0..65536).contains(&off));
    ad(o, a, off as u32)
}

/// Replace the opcode of an instruction.
pub fn set_op(i: u32, o: Op) -> u32 {
    (i & !0xff) | o as u32
}

/// Disassemble one instruction (LuaJIT `-bl` style), resolving constants
/// through `kname` (given a k index, returns a printable constant).
pub fn disasm(pc: usize, ins: u32, kname: &dyn Fn(usize) -> String) -> String {
    let Some(o) = Op::from_u8(op(ins)) else {
        return format!("{:04} ??? {:#010x}", pc, ins);
    };
    let (ma, mb, mcd) = o.modes();
    let mut s = format!("{:04} {:<6}", pc, o.name());
    if ma != Mode::None {
        s.push_str(&format!(" {:>3}", a(ins)));
    }
    if mb != Mode::None {
        s.push_str(&format!(" {:>3}", b(ins)));
    }
    let cd = if mb == Mode::None { d(ins) } else { c(ins) };
    match mcd {
        Mode::None => {}
        Mode::Jump => s.push_str(&format!(" => {:04}", pc as i64 + 1 + jump(ins) as i64)),
        Mode::Lits => s.push_str(&format!(" {:>3}", cd as u16 as i16)),
        Mode::Str | Mode::Num | Mode::Tab => {
            s.push_str(&format!(" {:>3}  ; {}", cd, kname(cd as usize)))
        }
        Mode::Pri => s.push_str(&format!(
            " {:>3}  ; {}",
            cd,
            ["nil", "false", "true"].get(cd as usize).unwrap_or(&"?")
        )),
        _ => s.push_str(&format!(" {:>3}", cd)),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn table_is_consistent() {
        assert_eq!(OP_NAMES.len(), OP_MODES.len());
        for (i, &o) in ALL_OPS.iter().enumerate() {
            assert_eq!(o as usize, i);
            assert_eq!(Op::from_u8(i as u8), Some(o));
        }
        let i = abc(Op::ADDVV, 1, 2, 3);
        assert_eq!((op(i), a(i), b(i), c(i)), (Op::ADDVV as u8, 1, 2, 3));
        let j = ajump(Op::JMP, 0, 10, 5);
        assert_eq!(10 + 1 + jump(j) as i64, 5);
    }

    #[test]
    fn metamethod_column() {
        use crate::state::MM;
        for (o, mm) in [
            (Op::ADDVN, MM::Add),
            (Op::SUBNV, MM::Sub),
            (Op::MODVV, MM::Mod),
            (Op::POW, MM::Pow),
            (Op::ISGE, MM::Lt),
            (Op::ISGT, MM::Le),
            (Op::TGETS, MM::Index),
            (Op::TSETV, MM::NewIndex),
            (Op::CAT, MM::Concat),
        ] {
            assert_eq!(o.mm(), Some(mm), "{}", o.name());
        }
        for o in [Op::ISEQS, Op::MOV, Op::TSETM, Op::FORL, Op::KSTR] {
            assert_eq!(o.mm(), None, "{}", o.name());
        }
        // Every binary arithmetic instruction has one.
        for b in Op::ADDVN as u8..=Op::POW as u8 {
            assert!(Op::from_u8(b).unwrap().mm().is_some());
        }
    }
}
