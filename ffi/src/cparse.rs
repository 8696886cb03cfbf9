//! The C declaration parser behind `ffi.cdef` and the type strings of
//! `ffi.new/typeof/cast/sizeof`: a tokenizer, declaration specifiers,
//! declarators, struct/union/enum bodies with layout, attributes, `#pragma
//! pack`, and 32-bit C constant expressions. Errors use LuaJIT's wording.

use crate::ctype::{
    ids, ArrayLen, BitPos, CType, CTypeId, CTypes, CallConv, EnumType, Field, FuncType, Kind,
    Record, Symbol, Q_CONST, Q_VOLATILE,
};
use std::rc::Rc;

/// A `$` substitution for [`parse_type`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TypeParam {
    /// A ctype (in type position).
    Type(CTypeId),
    /// A number (array size or constant expression).
    Int(i64),
}

/// Parses `ffi.cdef` declarations into `types`.
pub fn cdef(types: &mut CTypes, src: &str) -> Result<(), String> {
    let mut p = Parser::new(types, src, &[], false);
    p.decl_multi()
}

/// Parses an abstract type (`int[?]`, `struct foo *`, `int(*)(int)`).
/// `$` takes the next of `params`. Use [`CTypes::is_vla`] to learn whether
/// the result needs a length.
pub fn parse_type(types: &mut CTypes, src: &str, params: &[TypeParam]) -> Result<CTypeId, String> {
    let mut p = Parser::new(types, src, params, true);
    let spec = p.decl_spec(false, false)?;
    let mut d = Decl::default();
    p.declarator(&mut d, NameMode::Forbidden)?;
    let ty = p.finish_type(spec.ty, &spec.attrs, &d)?;
    if !p.at_eof() {
        return Err(p.err_expected("<eof>"));
    }
    Ok(ty)
}

const MAX_DEPTH: u32 = 200;
const SIZE_ERR: &str = "size of C type is unknown or too large";

#[derive(Clone, Debug, PartialEq)]
enum Tk {
    Ident,
    Num(u32, bool),
    Str(String),
    Punct,
    Bad(String),
    Eof,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tk,
    text: String,
    line: u32,
}

fn lex(src: &str) -> Vec<Token> {
    let b = src.as_bytes();
    let mut i = 0;
    let mut line = 1u32;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                if b[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            i = (i + 2).min(b.len());
            continue;
        }
        if c == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let kind;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            kind = Tk::Ident;
        } else if c.is_ascii_digit() {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            kind = match parse_number(&src[start..i]) {
                Some((v, u)) => Tk::Num(v, u),
                None => Tk::Bad("malformed number".into()),
            };
        } else if c == b'"' || c == b'\'' {
            i += 1;
            let mut s = Vec::new();
            let mut ok = false;
            while i < b.len() && b[i] != b'\n' {
                if b[i] == c {
                    ok = true;
                    i += 1;
                    break;
                }
                if b[i] == b'\\' && i + 1 < b.len() {
                    i += 1;
                    let e = b[i];
                    i += 1;
                    match e {
                        b'n' => s.push(b'\n'),
                        b't' => s.push(b'\t'),
                        b'r' => s.push(b'\r'),
                        b'a' => s.push(7),
                        b'b' => s.push(8),
                        b'f' => s.push(12),
                        b'v' => s.push(11),
                        b'0'..=b'7' => {
                            let mut v = (e - b'0') as u32;
                            let mut k = 0;
                            while k < 2 && i < b.len() && (b'0'..=b'7').contains(&b[i]) {
                                v = v * 8 + (b[i] - b'0') as u32;
                                i += 1;
                                k += 1;
                            }
                            s.push(v as u8);
                        }
                        b'x' => {
                            let mut v = 0u32;
                            while i < b.len() && b[i].is_ascii_hexdigit() {
                                v = v.wrapping_mul(16) + (b[i] as char).to_digit(16).unwrap_or(0);
                                i += 1;
                            }
                            s.push(v as u8);
                        }
                        e => s.push(e),
                    }
                } else {
                    s.push(b[i]);
                    i += 1;
                }
            }
            let text = String::from_utf8_lossy(&s).into_owned();
            kind = if !ok {
                Tk::Bad("unfinished string".into())
            } else if c == b'\'' {
                let v = s.first().map(|&x| x as i8 as i32 as u32).unwrap_or(0);
                Tk::Num(v, false)
            } else {
                Tk::Str(text)
            };
        } else {
            let rest = &b[i..];
            let ops: [&[u8]; 10] = [
                b"...", b"<<", b">>", b"<=", b">=", b"==", b"!=", b"&&", b"||", b"->",
            ];
            let n = ops
                .iter()
                .find(|o| rest.starts_with(o))
                .map(|o| o.len())
                .unwrap_or_else(|| {
                    // One UTF-8 character.
                    let mut n = 1;
                    while i + n < b.len() && (b[i + n] & 0xC0) == 0x80 {
                        n += 1;
                    }
                    n
                });
            i += n;
            kind = Tk::Punct;
        }
        out.push(Token {
            kind,
            text: src[start..i].to_string(),
            line,
        });
    }
    out.push(Token {
        kind: Tk::Eof,
        text: "<eof>".into(),
        line,
    });
    out
}

fn parse_number(s: &str) -> Option<(u32, bool)> {
    let lower = s.to_ascii_lowercase();
    let mut body = lower.as_str();
    let mut unsigned = false;
    while let Some(r) = body.strip_suffix('u').or_else(|| body.strip_suffix('l')) {
        if body.ends_with('u') {
            unsigned = true;
        }
        body = r;
    }
    let v = if let Some(h) = body.strip_prefix("0x") {
        u64::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        u64::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse::<u64>().ok()?
    };
    if v > u32::MAX as u64 {
        return None;
    }
    Some((v as u32, unsigned || v > i32::MAX as u64))
}

/// A 32-bit constant expression value.
#[derive(Copy, Clone, Debug)]
struct CVal {
    v: u32,
    unsigned: bool,
}

impl CVal {
    fn int(v: i64) -> CVal {
        CVal {
            v: v as u32,
            unsigned: false,
        }
    }
    fn as_i64(self) -> i64 {
        if self.unsigned {
            self.v as i64
        } else {
            self.v as i32 as i64
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Attrs {
    align: Option<u32>,
    packed: bool,
    conv: Option<CallConv>,
    mode: Option<String>,
    asm: Option<String>,
}

impl Attrs {
    fn merge(&mut self, o: &Attrs) {
        if o.align.is_some() {
            self.align = o.align;
        }
        self.packed |= o.packed;
        if o.conv.is_some() {
            self.conv = o.conv;
        }
        if o.mode.is_some() {
            self.mode.clone_from(&o.mode);
        }
        if o.asm.is_some() {
            self.asm.clone_from(&o.asm);
        }
    }
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Storage {
    None,
    Typedef,
    Extern,
    Static,
}

struct Spec {
    ty: CTypeId,
    storage: Storage,
    attrs: Attrs,
    tagdef: bool,
}

type Params = Vec<(Option<String>, CTypeId)>;

#[derive(Clone, Debug)]
enum Op {
    Ptr(u8, bool),
    Arr(ArrayLen),
    Func(Params, bool, Option<CallConv>),
}

#[derive(Default)]
struct Decl {
    name: Option<String>,
    ops: Vec<Op>,
    attrs: Attrs,
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum NameMode {
    Required,
    Optional,
    Forbidden,
}

struct PendingField {
    name: Option<String>,
    ty: CTypeId,
    width: Option<u32>,
    attrs: Attrs,
}

struct Parser<'a, 'p> {
    cts: &'a mut CTypes,
    toks: Vec<Token>,
    pos: usize,
    params: &'p [TypeParam],
    pidx: usize,
    depth: u32,
    pack: Vec<u32>,
    typeof_mode: bool,
}

const TYPE_KW: &[&str] = &[
    "void",
    "char",
    "short",
    "int",
    "long",
    "float",
    "double",
    "signed",
    "__signed",
    "__signed__",
    "unsigned",
    "struct",
    "union",
    "enum",
    "complex",
    "_Complex",
    "__complex",
    "__complex__",
];
const QUAL_KW: &[&str] = &[
    "const",
    "__const",
    "__const__",
    "volatile",
    "__volatile",
    "__volatile__",
    "restrict",
    "__restrict",
    "__restrict__",
    "inline",
    "__inline",
    "__inline__",
    "__extension__",
    "typedef",
    "extern",
    "static",
    "auto",
    "register",
];
const ATTR_KW: &[&str] = &[
    "__attribute__",
    "__attribute",
    "__declspec",
    "__cdecl",
    "__stdcall",
    "__fastcall",
    "__thiscall",
    "__ptr32",
    "__ptr64",
];

fn is_keyword(s: &str) -> bool {
    TYPE_KW.contains(&s)
        || QUAL_KW.contains(&s)
        || ATTR_KW.contains(&s)
        || matches!(
            s,
            "sizeof" | "__alignof__" | "__alignof" | "__asm__" | "__asm" | "asm"
        )
}

impl<'a, 'p> Parser<'a, 'p> {
    fn new(
        cts: &'a mut CTypes,
        src: &str,
        params: &'p [TypeParam],
        typeof_mode: bool,
    ) -> Parser<'a, 'p> {
        Parser {
            cts,
            toks: lex(src),
            pos: 0,
            params,
            pidx: 0,
            depth: 0,
            pack: vec![16],
            typeof_mode,
        }
    }

    // ---- tokens ---------------------------------------------------------

    fn tok(&self) -> &Token {
        &self.toks[self.pos]
    }
    fn peek(&self) -> &Token {
        &self.toks[(self.pos + 1).min(self.toks.len() - 1)]
    }
    fn at_eof(&self) -> bool {
        self.tok().kind == Tk::Eof
    }
    fn next(&mut self) -> Result<(), String> {
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        if let Tk::Bad(m) = &self.tok().kind {
            return Err(format!("{m} near '{}'", self.tok().text));
        }
        Ok(())
    }
    fn is(&self, p: &str) -> bool {
        let t = self.tok();
        t.kind == Tk::Punct && t.text == p
    }
    fn is_ident(&self, s: &str) -> bool {
        let t = self.tok();
        t.kind == Tk::Ident && t.text == s
    }
    fn ident(&self) -> Option<&str> {
        let t = self.tok();
        (t.kind == Tk::Ident).then_some(t.text.as_str())
    }
    fn err_near(&self, msg: &str) -> String {
        format!("{msg} near '{}'", self.tok().text)
    }
    fn err_expected(&self, what: &str) -> String {
        self.err_near(&format!("'{what}' expected"))
    }
    fn expect(&mut self, p: &str) -> Result<(), String> {
        if self.is(p) {
            self.next()
        } else {
            Err(self.err_expected(p))
        }
    }
    fn enter(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("chunk has too many syntax levels".into());
        }
        Ok(())
    }
    fn leave(&mut self) {
        self.depth -= 1;
    }
    fn type_param(&mut self) -> Result<TypeParam, String> {
        let p = self
            .params
            .get(self.pidx)
            .copied()
            .ok_or_else(|| "wrong number of type parameters".to_string())?;
        self.pidx += 1;
        Ok(p)
    }

    /// Does the current token start a type name?
    fn starts_type(&self, t: &Token) -> bool {
        match &t.kind {
            Tk::Ident => {
                let s = t.text.as_str();
                TYPE_KW.contains(&s)
                    || (QUAL_KW.contains(&s) && !matches!(s, "typedef" | "extern" | "static"))
                    || self.cts.typedef(s).is_some()
            }
            Tk::Punct if t.text == "$" => {
                matches!(self.params.get(self.pidx), Some(TypeParam::Type(_)))
            }
            _ => false,
        }
    }

    // ---- top level --------------------------------------------------------

    fn decl_multi(&mut self) -> Result<(), String> {
        if let Tk::Bad(m) = &self.tok().kind {
            return Err(format!("{m} near '{}'", self.tok().text));
        }
        while !self.at_eof() {
            if self.is("#") {
                self.hash_line()?;
                continue;
            }
            if self.is(";") {
                self.next()?;
                continue;
            }
            let spec = self.decl_spec(true, false)?;
            if self.is(";") && spec.tagdef {
                self.next()?;
                continue;
            }
            loop {
                let mut d = Decl::default();
                self.declarator(&mut d, NameMode::Required)?;
                self.post_attrs(&mut d.attrs)?;
                let mut attrs = spec.attrs.clone();
                attrs.merge(&d.attrs);
                let ty = self.finish_type(spec.ty, &attrs, &d)?;
                let name = d.name.clone().unwrap_or_default();
                let is_func = self.cts.is_func(ty);
                match spec.storage {
                    Storage::Typedef => {
                        let ty = match attrs.align {
                            Some(a) => self.cts.with_align(ty, a),
                            None => ty,
                        };
                        if self.cts.symbol(&name).is_none() {
                            self.cts.set_symbol(&name, Symbol::Typedef(ty));
                        }
                        self.cts.reserve();
                    }
                    Storage::Static => {
                        let ok = self.cts.is_const(ty)
                            && matches!(
                                self.cts.int_info(ty),
                                Some((1..=4, _)) if !matches!(self.cts.kind(ty), Kind::Bool)
                            );
                        if !ok {
                            return Err("invalid C type".into());
                        }
                        self.expect("=")?;
                        let v = self.expr()?;
                        let (size, unsigned) = self.cts.int_info(ty).unwrap_or((4, false));
                        let bits = size as u32 * 8;
                        let raw = if bits == 32 {
                            v.v as u64
                        } else {
                            v.v as u64 & ((1u64 << bits) - 1)
                        };
                        let value = if unsigned {
                            raw as i64
                        } else {
                            ((raw << (64 - bits)) as i64) >> (64 - bits)
                        };
                        let uty = self.cts.unqualified(ty);
                        self.cts.set_symbol(&name, Symbol::Const { ty: uty, value });
                        self.cts.reserve();
                    }
                    _ => {
                        if self.cts.symbol(&name).is_none() {
                            let asm = attrs.asm.clone();
                            let sym = if is_func {
                                Symbol::Func { ty, asm }
                            } else {
                                self.cts.reserve();
                                Symbol::Var { ty, asm }
                            };
                            self.cts.set_symbol(&name, sym);
                        }
                    }
                }
                if is_func && self.is("{") {
                    self.skip_body()?;
                    break;
                }
                if self.is(",") {
                    self.next()?;
                    continue;
                }
                if !self.at_eof() {
                    self.expect(";")?;
                }
                break;
            }
        }
        Ok(())
    }

    fn skip_body(&mut self) -> Result<(), String> {
        let mut level = 0u32;
        loop {
            if self.at_eof() {
                return Err(self.err_expected("}"));
            }
            if self.is("{") {
                level += 1;
            } else if self.is("}") {
                level -= 1;
                if level == 0 {
                    self.next()?;
                    return Ok(());
                }
            }
            self.next()?;
        }
    }

    fn hash_line(&mut self) -> Result<(), String> {
        let line = self.tok().line;
        self.next()?;
        match self.tok().kind {
            Tk::Ident if self.tok().text == "pragma" => {
                self.next()?;
                if self.is_ident("pack") && self.tok().line == line {
                    self.next()?;
                    self.expect("(")?;
                    if let Tk::Num(n, _) = self.tok().kind {
                        *self.pack.last_mut().unwrap() = pow2_floor(n);
                        self.next()?;
                    } else if self.is_ident("push") {
                        self.next()?;
                        let cur = *self.pack.last().unwrap();
                        if self.pack.len() < 8 {
                            self.pack.push(cur);
                        }
                        if self.is(",") {
                            self.next()?;
                            if let Tk::Num(n, _) = self.tok().kind {
                                *self.pack.last_mut().unwrap() = pow2_floor(n);
                                self.next()?;
                            }
                        }
                    } else if self.is_ident("pop") {
                        self.next()?;
                        if self.pack.len() > 1 {
                            self.pack.pop();
                        }
                    } else if self.is(")") {
                        *self.pack.last_mut().unwrap() = 16;
                    }
                    self.expect(")")?;
                    return Ok(());
                }
                self.skip_line(line)
            }
            Tk::Ident if self.tok().text == "line" => self.skip_line(line),
            Tk::Num(..) => self.skip_line(line),
            _ => Err(self.err_near("unexpected symbol")),
        }
    }

    fn skip_line(&mut self, line: u32) -> Result<(), String> {
        while !self.at_eof() && self.tok().line == line {
            self.next()?;
        }
        Ok(())
    }

    // ---- declaration specifiers --------------------------------------------

    fn decl_spec(&mut self, top: bool, param: bool) -> Result<Spec, String> {
        let mut qual = 0u8;
        let mut base: Option<CTypeId> = None;
        let mut bkw: Option<&'static str> = None;
        let mut nlong = 0;
        let mut short = false;
        let mut signed: Option<bool> = None;
        let mut complex = false;
        let mut storage = Storage::None;
        let mut attrs = Attrs::default();
        let mut tagdef = false;
        loop {
            let have_base = base.is_some() || bkw.is_some();
            let mods = nlong > 0 || short || signed.is_some() || complex;
            if self.is("$") {
                if have_base || mods {
                    break;
                }
                match self.type_param()? {
                    TypeParam::Type(t) => base = Some(t),
                    TypeParam::Int(_) => return Err("invalid C type".into()),
                }
                self.next()?;
                continue;
            }
            let Some(s) = self.ident() else { break };
            let s = s.to_string();
            match s.as_str() {
                "const" | "__const" | "__const__" => qual |= Q_CONST,
                "volatile" | "__volatile" | "__volatile__" => qual |= Q_VOLATILE,
                "restrict" | "__restrict" | "__restrict__" | "inline" | "__inline"
                | "__inline__" | "__extension__" | "__ptr32" | "__ptr64" => {}
                "typedef" | "extern" | "static" if top => {
                    storage = match s.as_str() {
                        "typedef" => Storage::Typedef,
                        "extern" => Storage::Extern,
                        _ => Storage::Static,
                    }
                }
                "register" if param => {}
                "typedef" | "extern" | "static" | "auto" | "register" => {
                    return Err(self.err_near("bad storage class"))
                }
                "__attribute__" | "__attribute" | "__declspec" | "__cdecl" | "__stdcall"
                | "__fastcall" | "__thiscall" => {
                    self.attribute(&mut attrs)?;
                    continue;
                }
                "signed" | "__signed" | "__signed__" => signed = Some(true),
                "unsigned" => signed = Some(false),
                "short" => short = true,
                "long" => nlong += 1,
                "complex" | "_Complex" | "__complex" | "__complex__" => complex = true,
                "void" | "char" | "int" | "float" | "double" => {
                    if have_base {
                        break;
                    }
                    bkw = Some(match s.as_str() {
                        "void" => "void",
                        "char" => "char",
                        "int" => "int",
                        "float" => "float",
                        _ => "double",
                    });
                }
                "struct" | "union" | "enum" => {
                    if have_base {
                        break;
                    }
                    let (id, def) = if s == "enum" {
                        self.enum_decl()?
                    } else {
                        self.record_decl(s == "union", &mut attrs)?
                    };
                    base = Some(id);
                    tagdef = true;
                    let _ = def;
                    continue;
                }
                _ => {
                    if have_base || mods {
                        break;
                    }
                    match self.cts.typedef(&s) {
                        Some(t) => base = Some(t),
                        None => break,
                    }
                }
            }
            self.next()?;
        }
        let mods = nlong > 0 || short || signed.is_some() || complex;
        let ty = match (base, bkw) {
            (Some(t), _) => t,
            (None, None) if !mods => {
                return Err(self.err_near("declaration specifier expected"));
            }
            (None, Some("void")) => ids::VOID,
            // LuaJIT's odd pairs: `complex int` is a complex float, other
            // integer words with `complex` a complex double.
            (None, Some("int")) if complex && nlong == 0 && !short => ids::COMPLEX_FLOAT,
            (None, Some(_)) if complex && bkw != Some("float") => ids::COMPLEX,
            (None, Some("char")) => {
                if signed == Some(false) {
                    ids::UINT8
                } else {
                    ids::INT8
                }
            }
            (None, Some("float")) if complex => ids::COMPLEX_FLOAT,
            (None, Some("double")) | (None, None) if complex => ids::COMPLEX,
            (None, Some("float")) => ids::FLOAT,
            (None, Some("double")) => {
                if nlong > 0 {
                    ids::LONG_DOUBLE
                } else {
                    ids::DOUBLE
                }
            }
            _ => {
                let u = signed == Some(false);
                match (short, nlong > 0, u) {
                    (true, _, false) => ids::INT16,
                    (true, _, true) => ids::UINT16,
                    (_, true, false) => ids::INT64,
                    (_, true, true) => ids::UINT64,
                    (_, _, false) => ids::INT32,
                    _ => ids::UINT32,
                }
            }
        };
        let ty = self.cts.qualify(ty, qual);
        Ok(Spec {
            ty,
            storage,
            attrs,
            tagdef,
        })
    }

    /// Parses one attribute construct at the current token into `a`.
    fn attribute(&mut self, a: &mut Attrs) -> Result<(), String> {
        let kw = self.ident().unwrap_or("").to_string();
        self.next()?;
        match kw.as_str() {
            "__cdecl" => a.conv = Some(CallConv::Cdecl),
            "__stdcall" => a.conv = Some(CallConv::Stdcall),
            "__fastcall" => a.conv = Some(CallConv::Fastcall),
            "__thiscall" => a.conv = Some(CallConv::Thiscall),
            "__declspec" => {
                self.expect("(")?;
                if self.is_ident("align") {
                    self.next()?;
                    self.expect("(")?;
                    a.align = Some(self.align_value()?);
                    self.expect(")")?;
                } else if self.ident().is_some() {
                    self.next()?;
                    if self.is("(") {
                        self.skip_parens()?;
                    }
                }
                self.expect(")")?;
            }
            _ => {
                self.expect("(")?;
                self.expect("(")?;
                while !self.is(")") {
                    if self.is(",") {
                        self.next()?;
                        continue;
                    }
                    let Some(n) = self.ident() else {
                        return Err(self.err_expected(")"));
                    };
                    let n = n
                        .trim_start_matches("__")
                        .trim_end_matches("__")
                        .to_string();
                    self.next()?;
                    match n.as_str() {
                        "aligned" => {
                            if self.is("(") {
                                self.next()?;
                                a.align = Some(self.align_value()?);
                                self.expect(")")?;
                            } else {
                                a.align = Some(16);
                            }
                        }
                        "packed" => a.packed = true,
                        "mode" => {
                            self.expect("(")?;
                            let m = self.ident().unwrap_or("").to_string();
                            self.next()?;
                            a.mode = Some(m.trim_matches('_').to_string());
                            self.expect(")")?;
                        }
                        "vector_size" => return Err("NYI: vector types".into()),
                        "cdecl" => a.conv = Some(CallConv::Cdecl),
                        "stdcall" => a.conv = Some(CallConv::Stdcall),
                        "fastcall" => a.conv = Some(CallConv::Fastcall),
                        "thiscall" => a.conv = Some(CallConv::Thiscall),
                        _ => {
                            if self.is("(") {
                                self.skip_parens()?;
                            }
                        }
                    }
                }
                self.expect(")")?;
                self.expect(")")?;
            }
        }
        Ok(())
    }

    fn align_value(&mut self) -> Result<u32, String> {
        let v = self.expr()?.as_i64();
        if v <= 0 || v > 1 << 16 || (v & (v - 1)) != 0 {
            return Err("invalid value".into());
        }
        Ok(v as u32)
    }

    fn skip_parens(&mut self) -> Result<(), String> {
        let mut level = 0u32;
        loop {
            if self.at_eof() {
                return Err(self.err_expected(")"));
            }
            if self.is("(") {
                level += 1;
            } else if self.is(")") {
                level -= 1;
                if level == 0 {
                    return self.next();
                }
            }
            self.next()?;
        }
    }

    /// Attributes and `__asm__("name")` after a declarator.
    fn post_attrs(&mut self, a: &mut Attrs) -> Result<(), String> {
        loop {
            match self.ident() {
                Some("__asm__" | "__asm" | "asm") => {
                    self.next()?;
                    self.expect("(")?;
                    let mut s = String::new();
                    while let Tk::Str(x) = &self.tok().kind {
                        s.push_str(x);
                        self.next()?;
                    }
                    self.expect(")")?;
                    a.asm = Some(s);
                    self.cts.reserve();
                }
                Some(x) if ATTR_KW.contains(&x) => {
                    if x.starts_with("__ptr") {
                        self.next()?;
                    } else {
                        self.attribute(a)?;
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    // ---- struct / union / enum ---------------------------------------------

    fn tag_name(&mut self, attrs: &mut Attrs) -> Result<Option<String>, String> {
        while matches!(self.ident(), Some(x) if ATTR_KW.contains(&x)) {
            self.attribute(attrs)?;
        }
        let tag = match self.ident() {
            Some(s) if !is_keyword(s) => Some(s.to_string()),
            _ => None,
        };
        if tag.is_some() {
            self.next()?;
        }
        while matches!(self.ident(), Some(x) if ATTR_KW.contains(&x)) {
            self.attribute(attrs)?;
        }
        Ok(tag)
    }

    fn lookup_tag(&mut self, tag: Option<String>, want: &str) -> Result<CTypeId, String> {
        let Some(t) = tag else {
            return Err(self.err_expected("<identifier>"));
        };
        match self.cts.tag(&t) {
            Some(id) => {
                if tag_kind(self.cts, id) != want {
                    return Err(format!("attempt to redefine '{t}'"));
                }
                Ok(id)
            }
            None if self.typeof_mode => Err(format!("undeclared or implicit tag '{t}'")),
            None => Ok(self.new_nominal(Some(&t), want)),
        }
    }

    fn new_nominal(&mut self, tag: Option<&str>, want: &str) -> CTypeId {
        let kind = if want == "enum" {
            Kind::Enum(Rc::new(EnumType {
                tag: tag.map(str::to_string),
                complete: false,
                underlying: ids::UINT32,
                consts: Vec::new(),
            }))
        } else {
            Kind::Record(Rc::new(Record {
                tag: tag.map(str::to_string),
                is_union: want == "union",
                complete: false,
                fields: Vec::new(),
                size: 0,
                align: 1,
                vls: false,
            }))
        };
        let id = self.cts.intern(CType {
            kind,
            qual: 0,
            align_attr: None,
        });
        if let Some(t) = tag {
            self.cts.set_tag(t, id);
        }
        id
    }

    /// A type to define at a `{`: an incomplete existing tag or a new one.
    fn define_tag(&mut self, tag: Option<String>, want: &str) -> Result<CTypeId, String> {
        match tag {
            Some(t) => match self.cts.tag(&t) {
                Some(id) => {
                    let complete = match self.cts.kind(id) {
                        Kind::Record(r) => r.complete,
                        Kind::Enum(e) => e.complete,
                        _ => true,
                    };
                    if tag_kind(self.cts, id) != want || complete {
                        return Err(format!("attempt to redefine '{t}'"));
                    }
                    Ok(id)
                }
                None => Ok(self.new_nominal(Some(&t), want)),
            },
            None => Ok(self.new_nominal(None, want)),
        }
    }

    fn replace(&mut self, id: CTypeId, ct: CType) {
        self.cts.replace_entry(id, ct);
    }

    fn record_decl(
        &mut self,
        is_union: bool,
        outer: &mut Attrs,
    ) -> Result<(CTypeId, bool), String> {
        let want = if is_union { "union" } else { "struct" };
        self.next()?;
        let mut attrs = Attrs::default();
        let tag = self.tag_name(&mut attrs)?;
        if !self.is("{") {
            outer.merge(&attrs);
            return Ok((self.lookup_tag(tag, want)?, false));
        }
        self.enter()?;
        let id = self.define_tag(tag, want)?;
        self.next()?;
        let mut fields: Vec<PendingField> = Vec::new();
        while !self.is("}") {
            if self.is("#") {
                self.hash_line()?;
                continue;
            }
            let spec = self.decl_spec(false, false)?;
            if self.is(";") {
                if self.cts.is_record(spec.ty) {
                    fields.push(PendingField {
                        name: None,
                        ty: spec.ty,
                        width: None,
                        attrs: spec.attrs.clone(),
                    });
                    self.cts.reserve();
                }
                self.next()?;
                continue;
            }
            let mut last_vla;
            loop {
                let mut d = Decl::default();
                let mode = if self.is(":") {
                    NameMode::Optional
                } else {
                    NameMode::Required
                };
                self.declarator(&mut d, mode)?;
                self.post_attrs(&mut d.attrs)?;
                let mut fa = spec.attrs.clone();
                fa.merge(&d.attrs);
                let ty = self.finish_type(spec.ty, &fa, &d)?;
                let mut width = None;
                if self.is(":") {
                    let colon = self.tok().text.clone();
                    self.next()?;
                    let w = self.expr()?.as_i64();
                    let bits = match self.cts.kind(ty) {
                        Kind::Int { size, .. } if *size <= 4 => *size as i64 * 8,
                        Kind::Bool => 8,
                        Kind::Enum(_) => 32,
                        _ => -1,
                    };
                    if w < 0 || w > bits || (w == 0 && d.name.is_some()) {
                        return Err(format!("invalid value near '{colon}'"));
                    }
                    width = Some(w as u32);
                    self.post_attrs(&mut fa)?;
                }
                last_vla = matches!(
                    self.cts.kind(ty),
                    Kind::Array {
                        len: ArrayLen::Vla,
                        ..
                    }
                );
                fields.push(PendingField {
                    name: d.name,
                    ty,
                    width,
                    attrs: fa,
                });
                self.cts.reserve();
                if self.is(",") && !last_vla {
                    self.next()?;
                    continue;
                }
                break;
            }
            self.expect(";")?;
            if last_vla && !self.is("}") {
                self.decl_spec(false, false)?;
                return Err(self.err_expected("}"));
            }
        }
        self.next()?;
        self.post_attrs(&mut attrs)?;
        self.layout(id, is_union, fields, &attrs)?;
        self.leave();
        Ok((id, true))
    }

    fn layout(
        &mut self,
        id: CTypeId,
        is_union: bool,
        pending: Vec<PendingField>,
        sattrs: &Attrs,
    ) -> Result<(), String> {
        let pack = *self.pack.last().unwrap() as u64;
        let mut bofs: u64 = 0;
        let mut bmax: u64 = 0;
        let mut maxalign = sattrs.align.unwrap_or(1) as u64;
        let mut fields = Vec::new();
        let mut vls = false;
        for f in pending {
            let mut sz = self.cts.size_of(f.ty);
            if sz.is_none() {
                match self.cts.kind(f.ty) {
                    Kind::Array { len, .. } if *len != ArrayLen::Fixed(0) && !is_union => {
                        vls |= *len == ArrayLen::Vla;
                        sz = Some(0);
                    }
                    _ => return Err(SIZE_ERR.into()),
                }
            }
            let sz = sz.unwrap_or(0);
            let mut align = self.cts.align_of(f.ty) as u64;
            let packed = f.attrs.packed || sattrs.packed;
            if packed {
                align = f.attrs.align.unwrap_or(1) as u64;
            } else if let Some(a) = f.attrs.align {
                align = align.max(a as u64);
            }
            align = align.min(pack);
            maxalign = maxalign.max(align);
            let amask = align * 8 - 1;
            let csz = sz * 8;
            let (offset, bits, bsz);
            match f.width {
                None => {
                    bofs = (bofs + amask) & !amask;
                    offset = bofs / 8;
                    bits = None;
                    bsz = csz;
                }
                Some(w) => {
                    let w = w as u64;
                    if w == 0 || f.attrs.align.is_some() || (!packed && (bofs & amask) + w > csz) {
                        bofs = (bofs + amask) & !amask;
                    }
                    if w == csz && bofs & amask == 0 {
                        offset = bofs / 8;
                        bits = None;
                    } else {
                        offset = (bofs & !(csz - 1)) / 8;
                        bits = Some(BitPos {
                            pos: (bofs & (csz - 1)) as u32,
                            width: w as u32,
                        });
                    }
                    bsz = w;
                }
            }
            if is_union {
                bmax = bmax.max(bsz);
            } else {
                bofs += bsz;
            }
            if f.width != Some(0) {
                fields.push(Field {
                    name: f.name,
                    ty: f.ty,
                    offset,
                    bits,
                });
            }
        }
        let total = if is_union { bmax } else { bofs };
        let am = maxalign * 8 - 1;
        let size = ((total + am) & !am) / 8;
        if size >= 0x8000_0000 {
            return Err(SIZE_ERR.into());
        }
        let mut ct = self.cts.get(id).clone();
        if let Kind::Record(r) = &mut ct.kind {
            let r = Rc::make_mut(r);
            r.fields = fields;
            r.size = size;
            r.align = maxalign as u32;
            r.complete = true;
            r.vls = vls;
        }
        self.replace(id, ct);
        Ok(())
    }

    fn enum_decl(&mut self) -> Result<(CTypeId, bool), String> {
        self.next()?;
        let mut attrs = Attrs::default();
        let tag = self.tag_name(&mut attrs)?;
        if !self.is("{") {
            return Ok((self.lookup_tag(tag, "enum")?, false));
        }
        let id = self.define_tag(tag, "enum")?;
        self.next()?;
        let mut v = CVal::int(0);
        let mut consts = Vec::new();
        let mut underlying = ids::UINT32;
        while !self.is("}") {
            let name = match self.ident() {
                Some(s) if !is_keyword(s) => s.to_string(),
                _ => return Err(self.err_expected("<identifier>")),
            };
            self.next()?;
            if self.is("=") {
                self.next()?;
                v = self.expr()?;
            }
            let value = v.as_i64();
            if value < 0 {
                underlying = ids::INT32;
            }
            let cty = if v.unsigned && value > i32::MAX as i64 {
                ids::UINT32
            } else {
                ids::INT32
            };
            self.cts.set_symbol(&name, Symbol::Const { ty: cty, value });
            self.cts.reserve();
            consts.push((name, value));
            v = CVal {
                v: v.v.wrapping_add(1),
                unsigned: v.unsigned,
            };
            if !self.is(",") {
                break;
            }
            self.next()?;
        }
        self.expect("}")?;
        self.post_attrs(&mut attrs)?;
        let mut ct = self.cts.get(id).clone();
        if let Kind::Enum(e) = &mut ct.kind {
            let e = Rc::make_mut(e);
            e.consts = consts;
            e.complete = true;
            e.underlying = underlying;
        }
        self.replace(id, ct);
        Ok((id, true))
    }

    // ---- declarators ---------------------------------------------------------

    fn declarator(&mut self, d: &mut Decl, mode: NameMode) -> Result<(), String> {
        self.enter()?;
        let mut ptrs = Vec::new();
        loop {
            if self.is("*") || self.is("&") || self.is("&&") || self.is("^") {
                let reference = self.is("&") || self.is("&&");
                self.next()?;
                let mut q = 0u8;
                loop {
                    match self.ident() {
                        Some("const" | "__const" | "__const__") => q |= Q_CONST,
                        Some("volatile" | "__volatile" | "__volatile__") => q |= Q_VOLATILE,
                        Some(
                            "restrict" | "__restrict" | "__restrict__" | "__ptr32" | "__ptr64",
                        ) => {}
                        Some(x) if ATTR_KW.contains(&x) => {
                            self.attribute(&mut d.attrs)?;
                            continue;
                        }
                        _ => break,
                    }
                    self.next()?;
                }
                ptrs.push(Op::Ptr(q, reference));
            } else if matches!(self.ident(), Some(x) if ATTR_KW.contains(&x)) {
                self.attribute(&mut d.attrs)?;
            } else {
                break;
            }
        }
        let mut inner: Option<Vec<Op>> = None;
        if self.is("(") && self.nested_declarator() {
            self.next()?;
            let mut sub = Decl::default();
            self.declarator(&mut sub, mode)?;
            self.expect(")")?;
            d.name = sub.name;
            d.attrs.merge(&sub.attrs);
            inner = Some(sub.ops);
        } else if mode != NameMode::Forbidden && self.is("$") {
            self.type_param()?;
            return Err("invalid C type".into());
        } else if mode != NameMode::Forbidden {
            match self.ident() {
                Some(s) if !is_keyword(s) => {
                    d.name = Some(s.to_string());
                    self.next()?;
                }
                _ => {
                    if mode == NameMode::Required {
                        return Err(self.err_expected("<identifier>"));
                    }
                }
            }
        }
        let mut suf = Vec::new();
        loop {
            if self.is("[") {
                self.next()?;
                let len = if self.is("?") {
                    self.next()?;
                    ArrayLen::Vla
                } else if self.is("]") {
                    ArrayLen::Unsized
                } else {
                    let v = self.expr()?;
                    if v.as_i64() < 0 {
                        return Err(SIZE_ERR.into());
                    }
                    ArrayLen::Fixed(v.as_i64() as u64)
                };
                self.expect("]")?;
                suf.push(Op::Arr(len));
            } else if self.is("(") {
                self.next()?;
                let (params, vararg) = self.params()?;
                suf.push(Op::Func(params, vararg, d.attrs.conv.take()));
            } else {
                break;
            }
        }
        d.ops.extend(ptrs);
        d.ops.extend(suf.into_iter().rev());
        if let Some(i) = inner {
            d.ops.extend(i);
        }
        self.leave();
        Ok(())
    }

    /// At `(`: is it a parenthesized declarator (not a parameter list)?
    fn nested_declarator(&self) -> bool {
        let t = self.peek();
        match &t.kind {
            Tk::Punct => matches!(t.text.as_str(), "*" | "&" | "&&" | "^" | "(" | "["),
            Tk::Ident => ATTR_KW.contains(&t.text.as_str()) || !self.starts_type(t),
            Tk::Eof => true,
            _ => false,
        }
    }

    fn params(&mut self) -> Result<(Params, bool), String> {
        self.enter()?;
        let mut ps = Vec::new();
        let mut vararg = false;
        if !self.is(")") {
            loop {
                if self.is("...") {
                    self.next()?;
                    vararg = true;
                    break;
                }
                let spec = self.decl_spec(false, true)?;
                let mut d = Decl::default();
                self.declarator(&mut d, NameMode::Optional)?;
                self.post_attrs(&mut d.attrs)?;
                let mut ty = self.finish_type(spec.ty, &spec.attrs, &d)?;
                if matches!(self.cts.get(ty).kind, Kind::Void) {
                    break;
                }
                match self.cts.kind(ty).clone() {
                    Kind::Array { elem, .. } => ty = self.cts.ptr_to(elem, 0, false),
                    Kind::Func(_) => ty = self.cts.ptr_to(ty, 0, false),
                    _ => {}
                }
                self.cts.reserve();
                ps.push((d.name, ty));
                if !self.is(",") {
                    break;
                }
                self.next()?;
            }
        }
        self.expect(")")?;
        self.leave();
        Ok((ps, vararg))
    }

    /// Applies `mode` attributes and the declarator's operations to `base`.
    fn finish_type(&mut self, base: CTypeId, attrs: &Attrs, d: &Decl) -> Result<CTypeId, String> {
        let mut ty = base;
        if let Some(m) = attrs.mode.as_deref().or(d.attrs.mode.as_deref()) {
            ty = self.apply_mode(ty, m)?;
        }
        for op in &d.ops {
            ty = self.apply_op(ty, op)?;
        }
        Ok(ty)
    }

    fn apply_mode(&mut self, ty: CTypeId, m: &str) -> Result<CTypeId, String> {
        let q = self.cts.qual_of(ty);
        let unsigned = self.cts.int_info(ty).map(|x| x.1).unwrap_or(false);
        let size = match m {
            "QI" | "byte" => 1,
            "HI" => 2,
            "SI" => 4,
            "DI" | "word" | "pointer" => 8,
            "SF" => return Ok(self.cts.qualify(ids::FLOAT, q)),
            "DF" => return Ok(self.cts.qualify(ids::DOUBLE, q)),
            _ => return Ok(ty),
        };
        if !self.cts.is_integer(ty) {
            return Ok(ty);
        }
        let id = self.cts.intern(CType {
            kind: Kind::Int { size, unsigned },
            qual: 0,
            align_attr: None,
        });
        Ok(self.cts.qualify(id, q))
    }

    fn apply_op(&mut self, base: CTypeId, op: &Op) -> Result<CTypeId, String> {
        match op {
            Op::Ptr(q, reference) => {
                if self.cts.is_reference(base) {
                    if *reference {
                        return Ok(base);
                    }
                    return Err("invalid C type".into());
                }
                Ok(self.cts.ptr_to(base, *q, *reference))
            }
            Op::Arr(len) => {
                if self.cts.is_reference(base) {
                    return Err("invalid C type".into());
                }
                let esz = self.cts.size_of(base).ok_or(SIZE_ERR)?;
                if let ArrayLen::Fixed(n) = len {
                    match esz.checked_mul(*n) {
                        Some(t) if t < 0x8000_0000 => {}
                        _ => return Err(SIZE_ERR.into()),
                    }
                }
                Ok(self.cts.array_of(base, *len))
            }
            Op::Func(params, vararg, conv) => {
                if self.cts.is_func(base) || self.cts.is_array(base) {
                    return Err("invalid C type".into());
                }
                Ok(self.cts.intern(CType {
                    kind: Kind::Func(Rc::new(FuncType {
                        ret: base,
                        params: params.clone(),
                        vararg: *vararg,
                        conv: conv.unwrap_or_default(),
                    })),
                    qual: 0,
                    align_attr: None,
                }))
            }
        }
    }

    // ---- constant expressions -----------------------------------------------

    fn expr(&mut self) -> Result<CVal, String> {
        self.enter()?;
        let c = self.binary(1)?;
        let r = if self.is("?") {
            self.next()?;
            let a = self.expr()?;
            self.expect(":")?;
            let b = self.expr()?;
            let u = a.unsigned || b.unsigned;
            let mut r = if c.v != 0 { a } else { b };
            r.unsigned = u;
            r
        } else {
            c
        };
        self.leave();
        Ok(r)
    }

    fn binop_prec(&self) -> Option<u8> {
        let t = self.tok();
        if t.kind != Tk::Punct {
            return None;
        }
        Some(match t.text.as_str() {
            "||" => 1,
            "&&" => 2,
            "|" => 3,
            "^" => 4,
            "&" => 5,
            "==" | "!=" => 6,
            "<" | ">" | "<=" | ">=" => 7,
            "<<" | ">>" => 8,
            "+" | "-" => 9,
            "*" | "/" | "%" => 10,
            _ => return None,
        })
    }

    fn binary(&mut self, min: u8) -> Result<CVal, String> {
        let mut l = self.unary()?;
        while let Some(p) = self.binop_prec() {
            if p < min {
                break;
            }
            let op = self.tok().text.clone();
            self.next()?;
            self.enter()?;
            let r = self.binary(p + 1)?;
            self.leave();
            l = arith(&op, l, r)?;
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<CVal, String> {
        self.enter()?;
        let r = self.unary_inner();
        self.leave();
        r
    }

    fn unary_inner(&mut self) -> Result<CVal, String> {
        let t = self.tok().clone();
        let v = match &t.kind {
            Tk::Num(v, u) => {
                self.next()?;
                CVal {
                    v: *v,
                    unsigned: *u,
                }
            }
            Tk::Punct => match t.text.as_str() {
                "-" | "+" | "~" | "!" => {
                    self.next()?;
                    let a = self.unary()?;
                    match t.text.as_str() {
                        "-" => CVal {
                            v: a.v.wrapping_neg(),
                            ..a
                        },
                        "+" => a,
                        "~" => CVal { v: !a.v, ..a },
                        _ => CVal::int((a.v == 0) as i64),
                    }
                }
                "(" => {
                    self.next()?;
                    if self.starts_type(&self.tok().clone()) {
                        let ty = self.type_name()?;
                        self.expect(")")?;
                        let a = self.unary()?;
                        cast_val(self.cts, ty, a)
                    } else {
                        let a = self.expr()?;
                        self.expect(")")?;
                        a
                    }
                }
                "$" => {
                    self.next()?;
                    match self.type_param()? {
                        TypeParam::Int(n) => CVal {
                            v: n as u32,
                            unsigned: n > i32::MAX as i64,
                        },
                        TypeParam::Type(_) => return Err("invalid value".into()),
                    }
                }
                _ => return Err(self.err_near("unexpected symbol")),
            },
            Tk::Ident => match t.text.as_str() {
                "sizeof" | "__alignof__" | "__alignof" => {
                    let is_size = t.text == "sizeof";
                    self.next()?;
                    let ty = if self.is("(") && self.starts_type(&self.peek().clone()) {
                        self.next()?;
                        let ty = self.type_name()?;
                        self.expect(")")?;
                        ty
                    } else {
                        self.unary()?;
                        ids::INT32
                    };
                    let v = if is_size {
                        self.cts.size_of(ty).ok_or(SIZE_ERR)?
                    } else {
                        self.cts.align_of(ty) as u64
                    };
                    CVal {
                        v: v as u32,
                        unsigned: true,
                    }
                }
                s => match self.cts.symbol(s) {
                    Some(Symbol::Const { ty, value }) => {
                        let unsigned = self.cts.int_info(*ty).map(|x| x.1).unwrap_or(false);
                        let v = CVal {
                            v: *value as u32,
                            unsigned,
                        };
                        self.next()?;
                        v
                    }
                    _ => return Err(self.err_near("unexpected symbol")),
                },
            },
            _ => return Err(self.err_near("unexpected symbol")),
        };
        if self.is(".") || self.is("->") {
            self.next()?;
            if self.ident().is_none() {
                return Err(self.err_expected("<identifier>"));
            }
            return Err("invalid value".into());
        }
        Ok(v)
    }

    /// A type name inside an expression (`sizeof(...)`, casts).
    fn type_name(&mut self) -> Result<CTypeId, String> {
        let spec = self.decl_spec(false, false)?;
        let mut d = Decl::default();
        self.declarator(&mut d, NameMode::Forbidden)?;
        self.finish_type(spec.ty, &spec.attrs, &d)
    }
}

fn tag_kind(cts: &CTypes, id: CTypeId) -> &'static str {
    match cts.kind(id) {
        Kind::Record(r) if r.is_union => "union",
        Kind::Record(_) => "struct",
        Kind::Enum(_) => "enum",
        _ => "",
    }
}

fn pow2_floor(n: u32) -> u32 {
    if n == 0 {
        16
    } else {
        (1u32 << (31 - n.leading_zeros())).min(16)
    }
}

fn cast_val(cts: &CTypes, ty: CTypeId, a: CVal) -> CVal {
    match cts.int_info(ty) {
        Some((size, unsigned)) if size < 4 => {
            let bits = size as u32 * 8;
            let m = a.v & ((1u32 << bits) - 1);
            let v = if unsigned {
                m
            } else {
                (((m << (32 - bits)) as i32) >> (32 - bits)) as u32
            };
            CVal { v, unsigned: false }
        }
        Some((_, unsigned)) => CVal { v: a.v, unsigned },
        None => a,
    }
}

fn arith(op: &str, l: CVal, r: CVal) -> Result<CVal, String> {
    let u = l.unsigned || r.unsigned;
    let (a, b) = (l.v, r.v);
    let (sa, sb) = (a as i32, b as i32);
    let bool_ = |x: bool| CVal::int(x as i64);
    let v = match op {
        "||" => return Ok(bool_(a != 0 || b != 0)),
        "&&" => return Ok(bool_(a != 0 && b != 0)),
        "==" => return Ok(bool_(a == b)),
        "!=" => return Ok(bool_(a != b)),
        "<" => return Ok(bool_(if u { a < b } else { sa < sb })),
        ">" => return Ok(bool_(if u { a > b } else { sa > sb })),
        "<=" => return Ok(bool_(if u { a <= b } else { sa <= sb })),
        ">=" => return Ok(bool_(if u { a >= b } else { sa >= sb })),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "<<" => a.wrapping_shl(b),
        ">>" => {
            if l.unsigned {
                a.wrapping_shr(b)
            } else {
                sa.wrapping_shr(b) as u32
            }
        }
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" => {
            if b == 0 {
                return Err("invalid value".into());
            }
            match (op, u) {
                ("/", true) => a / b,
                ("/", false) => sa.wrapping_div(sb) as u32,
                (_, true) => a % b,
                _ => sa.wrapping_rem(sb) as u32,
            }
        }
        _ => return Err("invalid value".into()),
    };
    let unsigned = if matches!(op, "<<" | ">>") {
        l.unsigned
    } else {
        u
    };
    Ok(CVal { v, unsigned })
}
