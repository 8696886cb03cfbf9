//! The C type table: every C type the ffi knows, interned by structure
//! (pointers, arrays, qualified types, scalars) or nominal (structs, unions,
//! enums, function types), with x86_64 SysV (LP64) layout, LuaJIT-style type
//! names, named symbols from `ffi.cdef`, and the ABI view of function types.
//!
//! Type ids mirror LuaJIT's numbering closely: the first user-defined type
//! gets id 97, and fields, parameters, enum constants and named declarations
//! each consume an id (as placeholder entries), so anonymous structs print as
//! `struct NN` with the same NN as LuaJIT in common cases.

use crate::abi::{AbiSig, AbiType, Scalar};
use std::collections::HashMap;
use std::rc::Rc;

/// Index of a type in [`CTypes`].
pub type CTypeId = u32;

/// `const` qualifier bit of [`Qual`].
pub const Q_CONST: u8 = 1;
/// `volatile` qualifier bit of [`Qual`].
pub const Q_VOLATILE: u8 = 2;
/// Qualifier bits (`Q_CONST | Q_VOLATILE`).
pub type Qual = u8;

/// Length of an array type.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArrayLen {
    /// `[N]`.
    Fixed(u64),
    /// `[?]`: the length is given when the cdata is created.
    Vla,
    /// `[]`: unknown length (size unknown; zero-sized as a struct's last field).
    Unsized,
}

/// Calling convention attribute of a function type (no effect on x86_64).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum CallConv {
    #[default]
    Default,
    Cdecl,
    Stdcall,
    Fastcall,
    Thiscall,
}

/// A bitfield's position inside its container (the field's declared type,
/// located at `FieldInfo::offset`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct BitPos {
    /// Bit position counted from the container's least significant bit.
    pub pos: u32,
    /// Width in bits.
    pub width: u32,
}

/// A struct/union member.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// `None` for anonymous struct/union members and unnamed bitfields.
    pub name: Option<String>,
    pub ty: CTypeId,
    /// Byte offset (of the bitfield container for bitfields).
    pub offset: u64,
    pub bits: Option<BitPos>,
}

/// A struct or union.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub tag: Option<String>,
    pub is_union: bool,
    pub complete: bool,
    pub fields: Vec<Field>,
    /// Size in bytes (for a VLS: without the trailing `[?]` elements).
    pub size: u64,
    pub align: u32,
    /// The last field is a `[?]` array: a variable-length struct.
    pub vls: bool,
}

/// An enum.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumType {
    pub tag: Option<String>,
    pub complete: bool,
    /// The underlying integer type (`int` or `unsigned int`).
    pub underlying: CTypeId,
    pub consts: Vec<(String, i64)>,
}

/// A function type.
#[derive(Clone, Debug, PartialEq)]
pub struct FuncType {
    pub ret: CTypeId,
    pub params: Vec<(Option<String>, CTypeId)>,
    pub vararg: bool,
    pub conv: CallConv,
}

/// The kind of a type.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A placeholder id (field, parameter, constant or named declaration in
    /// LuaJIT's table); never a type.
    Reserved,
    Void,
    Bool,
    /// Integer of 1, 2, 4 or 8 bytes.
    Int {
        size: u8,
        unsigned: bool,
    },
    Float,
    Double,
    LongDouble,
    /// `complex float` (size 8) or `complex` / `complex double` (size 16).
    Complex {
        size: u8,
    },
    /// Pointer (`reference: false`) or C++ reference.
    Ptr {
        to: CTypeId,
        reference: bool,
    },
    Array {
        elem: CTypeId,
        len: ArrayLen,
    },
    Record(Rc<Record>),
    Enum(Rc<EnumType>),
    Func(Rc<FuncType>),
    /// A qualified struct/union/enum/function type (the qualifiers are in
    /// the entry's `qual`).
    Qualified(CTypeId),
}

/// One entry of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct CType {
    pub kind: Kind,
    pub qual: Qual,
    /// Alignment from `__attribute__((aligned(n)))` on a scalar/pointer type.
    pub align_attr: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Key {
    Void,
    Bool,
    Int(u8, bool),
    Float,
    Double,
    LongDouble,
    Complex(u8),
    Ptr(CTypeId, bool),
    Array(CTypeId, ArrayLen),
    Qualified(CTypeId),
}

/// A named declaration from `ffi.cdef`.
#[derive(Clone, Debug, PartialEq)]
pub enum Symbol {
    Typedef(CTypeId),
    /// A function: its function type and the `__asm__("name")` redirect.
    Func {
        ty: CTypeId,
        asm: Option<String>,
    },
    /// An `extern` variable.
    Var {
        ty: CTypeId,
        asm: Option<String>,
    },
    /// An enum constant or `static const` integer.
    Const {
        ty: CTypeId,
        value: i64,
    },
}

/// Member lookup result of [`CTypes::field`].
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FieldInfo {
    pub ty: CTypeId,
    pub offset: u64,
    pub bits: Option<BitPos>,
}

/// Ids of the predefined types.
pub mod ids {
    use super::CTypeId;
    pub const VOID: CTypeId = 1;
    pub const CVOID: CTypeId = 2;
    pub const BOOL: CTypeId = 3;
    pub const CCHAR: CTypeId = 4;
    pub const CHAR: CTypeId = 5;
    pub const INT8: CTypeId = 5;
    pub const UINT8: CTypeId = 6;
    pub const INT16: CTypeId = 7;
    pub const UINT16: CTypeId = 8;
    pub const INT32: CTypeId = 9;
    pub const UINT32: CTypeId = 10;
    pub const INT64: CTypeId = 11;
    pub const UINT64: CTypeId = 12;
    pub const FLOAT: CTypeId = 13;
    pub const DOUBLE: CTypeId = 14;
    pub const COMPLEX_FLOAT: CTypeId = 15;
    pub const COMPLEX: CTypeId = 16;
    pub const P_VOID: CTypeId = 17;
    pub const P_CVOID: CTypeId = 18;
    pub const P_CCHAR: CTypeId = 19;
    pub const P_UINT8: CTypeId = 20;
    pub const LONG_DOUBLE: CTypeId = 21;
    /// First id of user types (as in LuaJIT 2.1).
    pub const FIRST_USER: CTypeId = 97;
}

/// The C type table.
#[derive(Clone, Debug)]
pub struct CTypes {
    types: Vec<CType>,
    interned: HashMap<(Key, Qual, Option<u32>), CTypeId>,
    tags: HashMap<String, CTypeId>,
    names: HashMap<String, Symbol>,
}

impl Default for CTypes {
    fn default() -> Self {
        Self::new()
    }
}

fn plain(kind: Kind) -> CType {
    CType {
        kind,
        qual: 0,
        align_attr: None,
    }
}

impl CTypes {
    /// A table with the predefined types and built-in typedef names.
    pub fn new() -> CTypes {
        let mut t = CTypes {
            types: Vec::new(),
            interned: HashMap::new(),
            tags: HashMap::new(),
            names: HashMap::new(),
        };
        t.types.push(plain(Kind::Reserved));
        let int = |size, unsigned| Kind::Int { size, unsigned };
        let pre = [
            (Kind::Void, 0),
            (Kind::Void, Q_CONST),
            (Kind::Bool, 0),
            (int(1, false), Q_CONST),
            (int(1, false), 0),
            (int(1, true), 0),
            (int(2, false), 0),
            (int(2, true), 0),
            (int(4, false), 0),
            (int(4, true), 0),
            (int(8, false), 0),
            (int(8, true), 0),
            (Kind::Float, 0),
            (Kind::Double, 0),
            (Kind::Complex { size: 8 }, 0),
            (Kind::Complex { size: 16 }, 0),
        ];
        for (k, q) in pre {
            t.intern(CType {
                kind: k,
                qual: q,
                align_attr: None,
            });
        }
        for to in [ids::VOID, ids::CVOID, ids::CCHAR, ids::UINT8] {
            t.ptr_to(to, 0, false);
        }
        t.intern(plain(Kind::LongDouble));
        while t.types.len() < ids::FIRST_USER as usize {
            t.types.push(plain(Kind::Reserved));
        }
        let tds: [(&str, CTypeId); 19] = [
            ("int8_t", ids::INT8),
            ("uint8_t", ids::UINT8),
            ("int16_t", ids::INT16),
            ("uint16_t", ids::UINT16),
            ("int32_t", ids::INT32),
            ("uint32_t", ids::UINT32),
            ("int64_t", ids::INT64),
            ("uint64_t", ids::UINT64),
            ("intptr_t", ids::INT64),
            ("uintptr_t", ids::UINT64),
            ("ptrdiff_t", ids::INT64),
            ("ssize_t", ids::INT64),
            ("size_t", ids::UINT64),
            ("wchar_t", ids::INT32),
            ("va_list", ids::P_VOID),
            ("__builtin_va_list", ids::P_VOID),
            ("__gnuc_va_list", ids::P_VOID),
            ("bool", ids::BOOL),
            ("_Bool", ids::BOOL),
        ];
        for (n, id) in tds {
            t.names.insert(n.to_string(), Symbol::Typedef(id));
        }
        t
    }

    /// The entry for `id` (panics on an invalid id).
    pub fn get(&self, id: CTypeId) -> &CType {
        &self.types[id as usize]
    }

    /// Number of entries (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Always false (the table has predefined entries).
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    fn key(ct: &CType) -> Option<(Key, Qual, Option<u32>)> {
        let k = match &ct.kind {
            Kind::Void => Key::Void,
            Kind::Bool => Key::Bool,
            Kind::Int { size, unsigned } => Key::Int(*size, *unsigned),
            Kind::Float => Key::Float,
            Kind::Double => Key::Double,
            Kind::LongDouble => Key::LongDouble,
            Kind::Complex { size } => Key::Complex(*size),
            Kind::Ptr { to, reference } => Key::Ptr(*to, *reference),
            Kind::Array { elem, len } => Key::Array(*elem, *len),
            Kind::Qualified(b) => Key::Qualified(*b),
            _ => return None,
        };
        Some((k, ct.qual, ct.align_attr))
    }

    /// Interns a structural type (returns the existing id for an identical
    /// one) or appends a nominal one.
    pub fn intern(&mut self, ct: CType) -> CTypeId {
        let key = Self::key(&ct);
        if let Some(k) = &key {
            if let Some(&id) = self.interned.get(k) {
                return id;
            }
        }
        let id = self.types.len() as CTypeId;
        self.types.push(ct);
        if let Some(k) = key {
            self.interned.insert(k, id);
        }
        id
    }

    /// Replaces a nominal entry (completing a struct, union or enum).
    pub fn replace_entry(&mut self, id: CTypeId, ct: CType) {
        self.types[id as usize] = ct;
    }

    /// Appends a placeholder id (mirrors LuaJIT's id consumption).
    pub fn reserve(&mut self) {
        self.types.push(plain(Kind::Reserved));
    }

    /// Pointer (or reference) to `to`, with qualifiers on the pointer itself.
    pub fn ptr_to(&mut self, to: CTypeId, qual: Qual, reference: bool) -> CTypeId {
        self.intern(CType {
            kind: Kind::Ptr { to, reference },
            qual,
            align_attr: None,
        })
    }

    /// The pointer (or reference) type to `to` if it exists already
    /// (no interning: usable through a shared borrow).
    pub fn find_ptr(&self, to: CTypeId, qual: Qual, reference: bool) -> Option<CTypeId> {
        self.interned
            .get(&(Key::Ptr(to, reference), qual, None))
            .copied()
    }

    /// Array of `elem`. The caller checks sizes.
    pub fn array_of(&mut self, elem: CTypeId, len: ArrayLen) -> CTypeId {
        self.intern(plain(Kind::Array { elem, len }))
    }

    /// Adds qualifiers to a type (for arrays: to the element type).
    pub fn qualify(&mut self, id: CTypeId, qual: Qual) -> CTypeId {
        if qual == 0 {
            return id;
        }
        let ct = self.get(id).clone();
        if ct.qual & qual == qual {
            return id;
        }
        match ct.kind {
            Kind::Array { elem, len } => {
                let e = self.qualify(elem, qual);
                self.intern(CType {
                    kind: Kind::Array { elem: e, len },
                    ..ct
                })
            }
            Kind::Record(_) | Kind::Enum(_) | Kind::Func(_) => self.intern(CType {
                kind: Kind::Qualified(id),
                qual,
                align_attr: None,
            }),
            _ => self.intern(CType {
                qual: ct.qual | qual,
                ..ct
            }),
        }
    }

    /// Sets an explicit alignment on a scalar/pointer/array type.
    pub fn with_align(&mut self, id: CTypeId, align: u32) -> CTypeId {
        let ct = self.get(id).clone();
        if Self::key(&ct).is_none() {
            return id;
        }
        self.intern(CType {
            align_attr: Some(align),
            ..ct
        })
    }

    /// The type without qualifiers or alignment attributes (arrays keep
    /// their element type).
    pub fn unqualified(&mut self, id: CTypeId) -> CTypeId {
        let ct = self.get(id).clone();
        match ct.kind {
            Kind::Qualified(b) => b,
            Kind::Array { .. } | Kind::Record(_) | Kind::Enum(_) | Kind::Func(_) => id,
            _ if ct.qual == 0 && ct.align_attr.is_none() => id,
            k => self.intern(plain(k)),
        }
    }

    /// Follows `Qualified` wrappers to the underlying entry's id.
    pub fn resolve(&self, mut id: CTypeId) -> CTypeId {
        while let Kind::Qualified(b) = self.get(id).kind {
            id = b;
        }
        id
    }

    /// The kind of `id`, looking through qualified wrappers.
    pub fn kind(&self, id: CTypeId) -> &Kind {
        &self.get(self.resolve(id)).kind
    }

    /// Qualifiers of `id` (of the element for arrays is not included).
    pub fn qual_of(&self, id: CTypeId) -> Qual {
        self.get(id).qual
    }

    // ---- names ---------------------------------------------------------

    /// Looks up a struct/union/enum tag.
    pub fn tag(&self, name: &str) -> Option<CTypeId> {
        self.tags.get(name).copied()
    }

    /// Registers a tag.
    pub fn set_tag(&mut self, name: &str, id: CTypeId) {
        self.tags.insert(name.to_string(), id);
    }

    /// A named declaration (typedef, function, variable or constant).
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.names.get(name)
    }

    /// The type named by typedef `name`.
    pub fn typedef(&self, name: &str) -> Option<CTypeId> {
        match self.names.get(name) {
            Some(Symbol::Typedef(id)) => Some(*id),
            _ => None,
        }
    }

    /// Adds or replaces a named declaration.
    pub fn set_symbol(&mut self, name: &str, sym: Symbol) {
        self.names.insert(name.to_string(), sym);
    }

    // ---- classification -------------------------------------------------

    pub fn is_integer(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Int { .. } | Kind::Bool | Kind::Enum(_))
    }
    pub fn is_float(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Float | Kind::Double | Kind::LongDouble)
    }
    pub fn is_pointer(&self, id: CTypeId) -> bool {
        matches!(
            self.kind(id),
            Kind::Ptr {
                reference: false,
                ..
            }
        )
    }
    pub fn is_reference(&self, id: CTypeId) -> bool {
        matches!(
            self.kind(id),
            Kind::Ptr {
                reference: true,
                ..
            }
        )
    }
    pub fn is_array(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Array { .. })
    }
    pub fn is_record(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Record(_))
    }
    pub fn is_func(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Func(_))
    }
    pub fn is_void(&self, id: CTypeId) -> bool {
        matches!(self.kind(id), Kind::Void)
    }
    pub fn is_const(&self, id: CTypeId) -> bool {
        self.get(id).qual & Q_CONST != 0
    }

    /// `(size in bytes, unsigned)` of an integer, bool or enum type.
    pub fn int_info(&self, id: CTypeId) -> Option<(u8, bool)> {
        match self.kind(id) {
            Kind::Int { size, unsigned } => Some((*size, *unsigned)),
            Kind::Bool => Some((1, true)),
            Kind::Enum(e) => self.int_info(e.underlying),
            _ => None,
        }
    }

    /// Element type of a pointer, reference or array.
    pub fn element(&self, id: CTypeId) -> Option<CTypeId> {
        match self.kind(id) {
            Kind::Ptr { to, .. } => Some(*to),
            Kind::Array { elem, .. } => Some(*elem),
            _ => None,
        }
    }

    /// The struct/union of `id`, if it is one.
    pub fn record(&self, id: CTypeId) -> Option<&Record> {
        match self.kind(id) {
            Kind::Record(r) => Some(r),
            _ => None,
        }
    }

    /// The function type of `id`, if it is one.
    pub fn func(&self, id: CTypeId) -> Option<&FuncType> {
        match self.kind(id) {
            Kind::Func(f) => Some(f),
            _ => None,
        }
    }

    /// True if creating a value of this type needs a length: a `[?]` array
    /// or a variable-length struct.
    pub fn is_vla(&self, id: CTypeId) -> bool {
        match self.kind(id) {
            Kind::Array {
                len: ArrayLen::Vla, ..
            } => true,
            Kind::Record(r) => r.vls,
            _ => false,
        }
    }

    // ---- layout --------------------------------------------------------

    /// Size in bytes; `None` for void, functions, incomplete types, `[?]`,
    /// `[]` and variable-length structs.
    pub fn size_of(&self, id: CTypeId) -> Option<u64> {
        let ct = self.get(id);
        match &ct.kind {
            Kind::Reserved | Kind::Void | Kind::Func(_) => None,
            Kind::Bool => Some(1),
            Kind::Int { size, .. } => Some(*size as u64),
            Kind::Float => Some(4),
            Kind::Double => Some(8),
            Kind::LongDouble => Some(16),
            Kind::Complex { size } => Some(*size as u64),
            Kind::Ptr { .. } => Some(8),
            Kind::Array { elem, len } => match len {
                ArrayLen::Fixed(n) => self.size_of(*elem).map(|s| s * n),
                _ => None,
            },
            Kind::Record(r) => (r.complete && !r.vls).then_some(r.size),
            Kind::Enum(e) => e.complete.then_some(4),
            Kind::Qualified(b) => self.size_of(*b),
        }
    }

    /// Size of a `[?]` array or variable-length struct with `n` elements
    /// (`size_of` for other types).
    pub fn size_of_vla(&self, id: CTypeId, n: u64) -> Option<u64> {
        match self.kind(id) {
            Kind::Array {
                elem,
                len: ArrayLen::Vla,
            } => self.size_of(*elem)?.checked_mul(n),
            Kind::Record(r) if r.vls => {
                let last = r.fields.last()?;
                let e = self.element(last.ty)?;
                r.size.checked_add(self.size_of(e)?.checked_mul(n)?)
            }
            _ => self.size_of(id),
        }
    }

    /// Alignment in bytes.
    pub fn align_of(&self, id: CTypeId) -> u32 {
        let ct = self.get(id);
        let natural = match &ct.kind {
            Kind::Reserved | Kind::Void | Kind::Func(_) => 1,
            Kind::Bool => 1,
            Kind::Int { size, .. } => *size as u32,
            Kind::Float => 4,
            Kind::Double => 8,
            Kind::LongDouble => 16,
            Kind::Complex { size } => *size as u32 / 2,
            Kind::Ptr { .. } => 8,
            Kind::Array { elem, .. } => self.align_of(*elem),
            Kind::Record(r) => r.align,
            Kind::Enum(_) => 4,
            Kind::Qualified(b) => self.align_of(*b),
        };
        match ct.align_attr {
            Some(a) if a > natural => a,
            _ => natural,
        }
    }

    /// Looks up a member by name, searching anonymous struct/union members.
    pub fn field(&self, id: CTypeId, name: &str) -> Option<FieldInfo> {
        self.field_bytes(id, name.as_bytes())
    }

    /// `field` for a name as bytes (a Lua string's, without converting).
    pub fn field_bytes(&self, id: CTypeId, name: &[u8]) -> Option<FieldInfo> {
        let r = self.record(id)?;
        for f in &r.fields {
            match &f.name {
                Some(n) if n.as_bytes() == name => {
                    return Some(FieldInfo {
                        ty: f.ty,
                        offset: f.offset,
                        bits: f.bits,
                    })
                }
                None if f.bits.is_none() => {
                    if let Some(mut fi) = self.field_bytes(f.ty, name) {
                        fi.offset += f.offset;
                        return Some(fi);
                    }
                }
                _ => {}
            }
        }
        None
    }

    // ---- names of types --------------------------------------------------

    /// The type's name as LuaJIT prints it inside `ctype<...>`.
    pub fn type_name(&self, id: CTypeId) -> String {
        let mut inner = String::new();
        let mut id = id;
        loop {
            let ct = self.get(id);
            match &ct.kind {
                Kind::Ptr { to, reference } => {
                    let mut s = String::from(if *reference { "&" } else { "*" });
                    let q = qual_str(ct.qual);
                    if !q.is_empty() {
                        s.push_str(q.trim_end());
                        if !inner.is_empty() {
                            s.push(' ');
                        }
                    }
                    inner = s + &inner;
                    id = *to;
                }
                Kind::Array { elem, len } => {
                    if inner.starts_with('*') || inner.starts_with('&') {
                        inner = format!("({inner})");
                    }
                    match len {
                        ArrayLen::Fixed(n) => inner.push_str(&format!("[{n}]")),
                        ArrayLen::Vla => inner.push_str("[?]"),
                        ArrayLen::Unsized => inner.push_str("[]"),
                    }
                    id = *elem;
                }
                Kind::Func(f) => {
                    if inner.starts_with('*') || inner.starts_with('&') {
                        inner = format!("({inner})");
                    }
                    inner.push_str("()");
                    id = f.ret;
                }
                _ => {
                    let base = self.base_name(id);
                    return if inner.is_empty() {
                        base
                    } else {
                        format!("{base} {inner}")
                    };
                }
            }
        }
    }

    fn base_name(&self, id: CTypeId) -> String {
        let ct = self.get(id);
        let q = qual_str(ct.qual);
        let b = match &ct.kind {
            Kind::Void => "void".to_string(),
            Kind::Bool => "bool".to_string(),
            Kind::Int { size, unsigned } => match (size, unsigned) {
                (1, false) => "char",
                (1, true) => "unsigned char",
                (2, false) => "short",
                (2, true) => "unsigned short",
                (4, false) => "int",
                (4, true) => "unsigned int",
                (8, false) => "int64_t",
                _ => "uint64_t",
            }
            .to_string(),
            Kind::Float => "float".to_string(),
            Kind::Double => "double".to_string(),
            Kind::LongDouble => "long double".to_string(),
            Kind::Complex { size: 8 } => "complex float".to_string(),
            Kind::Complex { .. } => "complex".to_string(),
            Kind::Record(r) => {
                let kw = if r.is_union { "union" } else { "struct" };
                match &r.tag {
                    Some(t) => format!("{kw} {t}"),
                    None => format!("{kw} {id}"),
                }
            }
            Kind::Enum(e) => match &e.tag {
                Some(t) => format!("enum {t}"),
                None => format!("enum {id}"),
            },
            Kind::Qualified(b) => return format!("{q}{}", self.type_name(*b)),
            _ => "?".to_string(),
        };
        format!("{q}{b}")
    }

    // ---- ABI ---------------------------------------------------------------

    fn scalar_of(&self, id: CTypeId) -> Result<Option<Scalar>, String> {
        Ok(Some(match self.kind(id) {
            Kind::Bool => Scalar::U8,
            Kind::Int { size, unsigned } => match (size, unsigned) {
                (1, false) => Scalar::I8,
                (1, true) => Scalar::U8,
                (2, false) => Scalar::I16,
                (2, true) => Scalar::U16,
                (4, false) => Scalar::I32,
                (4, true) => Scalar::U32,
                (8, false) => Scalar::I64,
                _ => Scalar::U64,
            },
            Kind::Enum(e) => return self.scalar_of(e.underlying),
            Kind::Float => Scalar::F32,
            Kind::Double => Scalar::F64,
            Kind::Ptr { .. } | Kind::Func(_) => Scalar::Ptr,
            Kind::LongDouble => return Err("NYI: long double arguments".into()),
            _ => return Ok(None),
        }))
    }

    fn leaves(&self, id: CTypeId, base: u64, out: &mut Vec<(u32, Scalar)>) -> Result<(), String> {
        match self.kind(id) {
            Kind::Record(r) => {
                for f in &r.fields {
                    self.leaves(f.ty, base + f.offset, out)?;
                }
            }
            Kind::Array {
                elem,
                len: ArrayLen::Fixed(n),
            } => {
                let es = self.size_of(*elem).unwrap_or(0);
                for i in 0..*n {
                    self.leaves(*elem, base + i * es, out)?;
                }
            }
            Kind::Array { .. } => {}
            Kind::Complex { size } => {
                let (s, h) = if *size == 8 {
                    (Scalar::F32, 4)
                } else {
                    (Scalar::F64, 8)
                };
                out.push((base as u32, s));
                out.push((base as u32 + h, s));
            }
            _ => {
                if let Some(s) = self.scalar_of(id)? {
                    let e = (base as u32, s);
                    if !out.contains(&e) {
                        out.push(e);
                    }
                }
            }
        }
        Ok(())
    }

    fn abi_type(&self, id: CTypeId) -> Result<AbiType, String> {
        match self.kind(id) {
            Kind::Array { .. } => Ok(AbiType::Scalar(Scalar::Ptr)),
            Kind::Record(_) | Kind::Complex { .. } => {
                let size = self
                    .size_of(id)
                    .ok_or_else(|| "size of C type is unknown or too large".to_string())?;
                let mut fields = Vec::new();
                self.leaves(id, 0, &mut fields)?;
                Ok(AbiType::Struct {
                    size: size as u32,
                    align: self.align_of(id),
                    fields,
                })
            }
            _ => match self.scalar_of(id)? {
                Some(s) => Ok(AbiType::Scalar(s)),
                None => Err("invalid C type".into()),
            },
        }
    }

    /// The ABI signature of function type `func` (or a pointer to one) for
    /// a call passing `extra` as the variadic argument types (promoted here:
    /// `float` to `double`, integers narrower than `int` to `int`).
    pub fn abi_sig(&self, func: CTypeId, extra: &[CTypeId]) -> Result<AbiSig, String> {
        let fid = match self.kind(func) {
            Kind::Ptr { to, .. } => *to,
            _ => func,
        };
        let f = self
            .func(fid)
            .ok_or_else(|| "not a function type".to_string())?;
        let ret = if self.is_void(f.ret) {
            None
        } else {
            Some(self.abi_type(f.ret)?)
        };
        let mut args = Vec::new();
        for (_, p) in &f.params {
            args.push(self.abi_type(*p)?);
        }
        let nfixed = args.len();
        if !extra.is_empty() && !f.vararg {
            return Err("wrong number of arguments".into());
        }
        for &e in extra {
            let t = match self.abi_type(e)? {
                AbiType::Scalar(Scalar::F32) => AbiType::Scalar(Scalar::F64),
                AbiType::Scalar(s) if !s.is_float() && s != Scalar::Ptr && s.size() < 4 => {
                    AbiType::Scalar(Scalar::I32)
                }
                t => t,
            };
            args.push(t);
        }
        Ok(AbiSig { args, ret, nfixed })
    }
}

fn qual_str(q: Qual) -> &'static str {
    match q & (Q_CONST | Q_VOLATILE) {
        Q_CONST => "const ",
        Q_VOLATILE => "volatile ",
        0 => "",
        _ => "const volatile ",
    }
}
