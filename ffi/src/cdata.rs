//! Cdata objects and conversions between Lua values and C values by
//! LuaJIT's rules: small integers, floats and enums become numbers, 64-bit
//! integers and pointers become cdata, aggregates are returned as
//! references into their parent; numbers, booleans, strings, nil, tables
//! (initialisers), functions (callbacks) and userdata convert to C.

use crate::ctype::{ids, ArrayLen, CTypeId, FieldInfo, Kind};
use crate::state::{st, FfiState};
use lunatrace_vm::object::{str_bytes, Cdata, Udata};
use lunatrace_vm::value::LuaType;
use lunatrace_vm::{LuaResult, Value, Vm};
use std::ptr::NonNull;

/// The `ctype` field of a ctype object (`ffi.typeof`): its payload is the
/// id of the type it stands for.
pub const CTYPE_OBJ: u32 = u32::MAX;

/// A new zeroed cdata of type `ct` with `size` payload bytes.
pub fn new_cdata(vm: &mut Vm, ct: CTypeId, size: usize) -> (Value, *mut u8) {
    let c = vm.heap.new_cdata(ct, size);
    (Value::from_cdata(c), Cdata::payload(c))
}

/// A ctype object for `ct`.
pub fn ctype_obj(vm: &mut Vm, ct: CTypeId) -> Value {
    let (v, p) = new_cdata(vm, CTYPE_OBJ, 4);
    // SAFETY: 4 fresh payload bytes.
    unsafe { (p as *mut u32).write(ct) };
    v
}

/// The type and payload address of a cdata value (not a ctype object).
pub fn cdata_of(v: Value) -> Option<(CTypeId, *mut u8)> {
    let c: NonNull<Cdata> = v.as_cdata_ptr()?;
    let ct = Cdata::ctype(c);
    (ct != CTYPE_OBJ).then(|| (ct, Cdata::payload(c)))
}

/// The type a ctype object stands for.
pub fn ctype_of_obj(v: Value) -> Option<CTypeId> {
    let c: NonNull<Cdata> = v.as_cdata_ptr()?;
    // SAFETY: a ctype object's payload is its type id.
    (Cdata::ctype(c) == CTYPE_OBJ).then(|| unsafe { (Cdata::payload(c) as *const u32).read() })
}

/// For a reference cdata (`T &`): the referenced type and address.
/// Otherwise the cdata's own type and payload.
pub fn deref(s: &FfiState, ct: CTypeId, p: *mut u8) -> (CTypeId, *mut u8) {
    match s.types.kind(ct) {
        Kind::Ptr {
            to,
            reference: true,
        } => {
            // SAFETY: a reference cdata's payload holds the address.
            (*to, unsafe { (p as *const *mut u8).read() })
        }
        _ => (ct, p),
    }
}

/// An integer C value at `p` of `size` bytes, sign- or zero-extended.
///
/// # Safety
/// `p` points to `size` readable bytes.
pub unsafe fn read_int(p: *const u8, size: u8, unsigned: bool) -> i64 {
    match (size, unsigned) {
        (1, false) => (p as *const i8).read_unaligned() as i64,
        (1, true) => p.read() as i64,
        (2, false) => (p as *const i16).read_unaligned() as i64,
        (2, true) => (p as *const u16).read_unaligned() as i64,
        (4, false) => (p as *const i32).read_unaligned() as i64,
        (4, true) => (p as *const u32).read_unaligned() as i64,
        _ => (p as *const i64).read_unaligned(),
    }
}

/// Store the low `size` bytes of `v`.
///
/// # Safety
/// `p` points to `size` writable bytes.
pub unsafe fn write_int(p: *mut u8, size: u8, v: i64) {
    match size {
        1 => p.write(v as u8),
        2 => (p as *mut u16).write_unaligned(v as u16),
        4 => (p as *mut u32).write_unaligned(v as u32),
        _ => (p as *mut i64).write_unaligned(v),
    }
}

/// A double truncated to `i32` as x86-64's `cvttsd2si` does: out of
/// range and NaN give `i32::MIN` (LuaJIT's results on x86-64, which every
/// target here reproduces).
pub fn cvt_i32(n: f64) -> i32 {
    if n > -2_147_483_649.0 && n < 2_147_483_648.0 {
        n as i32
    } else {
        i32::MIN
    }
}

/// A double truncated to `i64` as x86-64's `cvttsd2si` does: out of
/// range and NaN give `i64::MIN`.
pub fn cvt_i64(n: f64) -> i64 {
    if (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// A double as a `uint64_t` as LuaJIT converts it: truncated to `i64`,
/// or, where that is negative, `n - 2^64` truncated (so `2^63..2^64`
/// convert exactly, and negative and out-of-range values give `2^63`).
pub fn num_to_u64(n: f64) -> u64 {
    match cvt_i64(n) {
        i if i < 0 => cvt_i64(n - 18_446_744_073_709_551_616.0) as u64,
        i => i as u64,
    }
}

/// A double converted to a C integer of `size` bytes as LuaJIT on x86-64
/// converts it (`write_int` keeps the low bytes): 64-bit types by
/// `cvt_i64`/`num_to_u64`, `uint32_t` by `cvt_i64`, the others by
/// `cvt_i32` (so `3e9` stored in an `int32_t` is `INT32_MIN`, in a
/// `uint8_t` 0).
pub fn num_to_int(n: f64, size: u8, unsigned: bool) -> i64 {
    match (size, unsigned) {
        (8, true) => num_to_u64(n) as i64,
        (8, false) | (4, true) => cvt_i64(n),
        _ => cvt_i32(n) as i64,
    }
}

/// The C value at `p` of type `ct` as a Lua value.
pub fn to_lua(vm: &mut Vm, ct: CTypeId, p: *mut u8) -> Value {
    let s = st(vm);
    match s.types.kind(ct).clone() {
        Kind::Bool => Value::bool(
            // SAFETY: a bool object.
            unsafe { p.read() } != 0,
        ),
        Kind::Int { size, unsigned } => {
            // SAFETY: an integer object of that size.
            let i = unsafe { read_int(p, size, unsigned) };
            if size < 8 {
                Value::num(i as f64)
            } else {
                box_int64(vm, i, unsigned)
            }
        }
        Kind::Enum(e) => {
            let (size, unsigned) = s.types.int_info(e.underlying).unwrap_or((4, false));
            // SAFETY: an enum object.
            Value::num(unsafe { read_int(p, size, unsigned) } as f64)
        }
        // SAFETY: float and double objects.
        Kind::Float => Value::num(unsafe { (p as *const f32).read_unaligned() } as f64),
        Kind::Double => Value::num(unsafe { (p as *const f64).read_unaligned() }),
        Kind::Complex { size } => {
            // A complex value is copied (not referenced), as LuaJIT.
            let u = s.types.unqualified(ct);
            let (v, q) = new_cdata(vm, u, size as usize);
            // SAFETY: `size` bytes each.
            unsafe { std::ptr::copy_nonoverlapping(p, q, size as usize) };
            v
        }
        Kind::Ptr {
            reference: false, ..
        } => {
            let u = s.types.unqualified(ct);
            let (v, q) = new_cdata(vm, u, 8);
            // SAFETY: 8 bytes each.
            unsafe { (q as *mut u64).write((p as *const u64).read_unaligned()) };
            v
        }
        Kind::Ptr {
            to,
            reference: true,
        } => {
            // SAFETY: a reference holds an address.
            let a = unsafe { (p as *const *mut u8).read() };
            to_lua(vm, to, a)
        }
        _ => make_ref(vm, ct, p),
    }
}

/// A reference cdata (`T &`) to the object of type `ct` at `p`.
pub fn make_ref(vm: &mut Vm, ct: CTypeId, p: *mut u8) -> Value {
    let r = st(vm).ref_to(ct);
    let (v, q) = new_cdata(vm, r, 8);
    // SAFETY: 8 payload bytes.
    unsafe { (q as *mut *mut u8).write(p) };
    v
}

/// Flag of a trace's virtual cdata type operand (`CREF`): set, the low bits
/// are a pointer type and the value is the pointer; clear, they are `T` and
/// the value is the address a `T &` refers to.
pub const VIRTUAL_PTR: u32 = 1 << 30;

/// Box a virtual cdata of a trace (`CREF` operand `lit`, value `addr`).
pub fn box_virtual(vm: &mut Vm, lit: u32, addr: usize) -> Value {
    if lit & VIRTUAL_PTR != 0 {
        let (v, p) = new_cdata(vm, lit & !VIRTUAL_PTR, 8);
        // SAFETY: 8 payload bytes.
        unsafe { (p as *mut usize).write(addr) };
        v
    } else {
        make_ref(vm, lit, addr as *mut u8)
    }
}

/// A boxed `int64_t`/`uint64_t`.
pub fn box_int64(vm: &mut Vm, i: i64, unsigned: bool) -> Value {
    let ct = if unsigned { ids::UINT64 } else { ids::INT64 };
    let (v, p) = new_cdata(vm, ct, 8);
    // SAFETY: 8 payload bytes.
    unsafe { (p as *mut i64).write(i) };
    v
}

/// The name of a value's type in conversion errors: the Lua type, or the
/// C type of a cdata.
pub fn value_type_name(vm: &mut Vm, v: Value) -> String {
    if ctype_of_obj(v).is_some() {
        return "ctype".into();
    }
    match cdata_of(v) {
        Some((ct, _)) => st(vm).types.type_name(ct),
        None => v.type_name().into(),
    }
}

/// The parts of a complex object of type `ct` at `p` (None: not complex).
pub fn read_complex(s: &FfiState, ct: CTypeId, p: *mut u8) -> Option<(f64, f64)> {
    let Kind::Complex { size } = s.types.kind(ct) else {
        return None;
    };
    // SAFETY: a complex object: two floats or two doubles.
    Some(unsafe {
        if *size == 8 {
            let q = p as *const f32;
            (q.read_unaligned() as f64, q.add(1).read_unaligned() as f64)
        } else {
            let q = p as *const f64;
            (q.read_unaligned(), q.add(1).read_unaligned())
        }
    })
}

/// Store `re + im·i` into the complex object of type `ct` at `p`.
pub fn write_complex(s: &FfiState, ct: CTypeId, p: *mut u8, re: f64, im: f64) {
    let Kind::Complex { size } = s.types.kind(ct) else {
        return;
    };
    // SAFETY: a complex object: two floats or two doubles.
    unsafe {
        if *size == 8 {
            let q = p as *mut f32;
            q.write_unaligned(re as f32);
            q.add(1).write_unaligned(im as f32);
        } else {
            let q = p as *mut f64;
            q.write_unaligned(re);
            q.add(1).write_unaligned(im);
        }
    }
}

/// The parts of a complex cdata value (through a reference too).
pub fn complex_of(vm: &mut Vm, v: Value) -> Option<(f64, f64)> {
    let (ct, p) = cdata_of(v)?;
    let s = st(vm);
    let (ct, p) = deref(s, ct, p);
    read_complex(s, ct, p)
}

/// `tostring` of a complex number, as LuaJIT writes it: `1+2i`, `1-0i`,
/// `nan+infI` (a capital I after a word).
pub fn complex_text(re: f64, im: f64) -> String {
    let mut t = lunatrace_vm::number::fmt_num(re);
    if !im.is_sign_negative() || im.is_nan() {
        t.push('+');
    }
    t.push_str(&lunatrace_vm::number::fmt_num(im));
    t.push(if t.ends_with(|c: char| c.is_ascii_alphabetic()) {
        'I'
    } else {
        'i'
    });
    t
}

pub(crate) fn conv_error(vm: &mut Vm, v: Value, ct: CTypeId) -> lunatrace_vm::LuaError {
    // (A boolean is named as the C type it converts through, as LuaJIT.)
    let from = if v.lua_type() == LuaType::Boolean {
        "bool".into()
    } else {
        value_type_name(vm, v)
    };
    let to = st(vm).types.type_name(ct);
    vm.rt_error(&format!("cannot convert '{}' to '{}'", from, to))
}

/// The numeric value of a number or a numeric cdata (integers as i64).
pub enum Num {
    Int(i64, bool),
    Float(f64),
}

/// `v` as a number if it is one or a numeric (or enum/bool) cdata.
pub fn numeric(vm: &mut Vm, v: Value) -> Option<Num> {
    if let Some(n) = v.as_num() {
        return Some(Num::Float(n));
    }
    let (ct, p) = cdata_of(v)?;
    let s = st(vm);
    let (ct, p) = deref(s, ct, p);
    match s.types.kind(ct) {
        // SAFETY: objects of the matching types.
        Kind::Float => Some(Num::Float(
            unsafe { (p as *const f32).read_unaligned() } as f64
        )),
        Kind::Double => Some(Num::Float(unsafe { (p as *const f64).read_unaligned() })),
        _ => {
            let (size, unsigned) = s.types.int_info(ct)?;
            // SAFETY: an integer object of that size.
            Some(Num::Int(
                unsafe { read_int(p, size, unsigned) },
                unsigned && size == 8,
            ))
        }
    }
}

/// A number or numeric cdata as a double (None for anything else).
fn scalar_of(vm: &mut Vm, v: Value) -> Option<f64> {
    Some(match numeric(vm, v)? {
        Num::Int(i, true) => i as u64 as f64,
        Num::Int(i, false) => i as f64,
        Num::Float(f) => f,
    })
}

/// Convert `v` to the C type `ct` and store it at `p`. `init` allows
/// tables as aggregate initialisers (`ffi.new`, struct fields).
pub fn from_lua(vm: &mut Vm, ct: CTypeId, p: *mut u8, v: Value, init: bool) -> LuaResult<()> {
    let s = st(vm);
    let kind = s.types.kind(ct).clone();
    match kind {
        Kind::Bool => {
            let b = match v.as_num() {
                Some(n) => n != 0.0,
                None if v.lua_type() == LuaType::Boolean => v.truthy(),
                None => match numeric(vm, v) {
                    Some(Num::Int(i, _)) => i != 0,
                    Some(Num::Float(f)) => f != 0.0,
                    None => return Err(conv_error(vm, v, ct)),
                },
            };
            // SAFETY: a bool object.
            unsafe { p.write(b as u8) };
        }
        Kind::Int { size, unsigned } => {
            let i = match numeric(vm, v) {
                Some(Num::Int(i, _)) => i,
                Some(Num::Float(f)) => num_to_int(f, size, unsigned),
                None if v.lua_type() == LuaType::Boolean => v.truthy() as i64,
                // A complex number converts by its real part.
                None => match complex_of(vm, v) {
                    Some((re, _)) => num_to_int(re, size, unsigned),
                    None => return Err(conv_error(vm, v, ct)),
                },
            };
            // SAFETY: an integer object of that size.
            unsafe { write_int(p, size, i) };
        }
        Kind::Enum(e) => {
            let i = if let Some(sv) = v.as_str_ptr() {
                let name = String::from_utf8_lossy(lunatrace_vm::object::Str::bytes(sv));
                match e.consts.iter().find(|(n, _)| *n == name) {
                    Some(&(_, val)) => val,
                    None => return Err(conv_error(vm, v, ct)),
                }
            } else {
                match numeric(vm, v) {
                    Some(Num::Int(i, _)) => i,
                    Some(Num::Float(f)) => {
                        let (size, unsigned) =
                            st(vm).types.int_info(e.underlying).unwrap_or((4, false));
                        num_to_int(f, size, unsigned)
                    }
                    None => return Err(conv_error(vm, v, ct)),
                }
            };
            // SAFETY: an enum object (4 bytes).
            unsafe { write_int(p, 4, i) };
        }
        Kind::Float | Kind::Double => {
            let f = match numeric(vm, v) {
                Some(Num::Int(i, u)) => {
                    if u {
                        i as u64 as f64
                    } else {
                        i as f64
                    }
                }
                Some(Num::Float(f)) => f,
                None => match complex_of(vm, v) {
                    Some((re, _)) => re,
                    None => return Err(conv_error(vm, v, ct)),
                },
            };
            // SAFETY: float/double objects.
            unsafe {
                if matches!(kind, Kind::Float) {
                    (p as *mut f32).write_unaligned(f as f32)
                } else {
                    (p as *mut f64).write_unaligned(f)
                }
            }
        }
        Kind::Complex { .. } => {
            let (re, im) = if let Some(parts) = complex_of(vm, v) {
                parts
            } else if let Some(t) = v.as_table_ptr().filter(|_| init) {
                // `{re, im}`; a single element is both parts (LuaJIT's
                // array rule).
                let get = |i| lunatrace_vm::table::get_int(t, i);
                let (a, b) = (get(1), get(2));
                if !get(3).is_nil() {
                    let n = st(vm).types.type_name(ct);
                    return Err(vm.rt_error(&format!("too many initializers for '{}'", n)));
                }
                let b = if b.is_nil() { a } else { b };
                let num = |vm: &mut Vm, x: Value| -> LuaResult<f64> {
                    if x.is_nil() {
                        return Ok(0.0);
                    }
                    let part = st(vm).types.element(ct).unwrap_or(ids::DOUBLE);
                    scalar_of(vm, x).ok_or_else(|| conv_error(vm, x, part))
                };
                (num(vm, a)?, num(vm, b)?)
            } else {
                match scalar_of(vm, v) {
                    Some(re) => (re, 0.0),
                    None => return Err(conv_error(vm, v, ct)),
                }
            };
            write_complex(st(vm), ct, p, re, im);
        }
        Kind::Ptr {
            to,
            reference: false,
        } => {
            let a = pointer_value(vm, v, ct, to)?;
            // SAFETY: a pointer object.
            unsafe { (p as *mut usize).write_unaligned(a) };
        }
        Kind::Ptr {
            to,
            reference: true,
        } => {
            // SAFETY: a reference holds an address.
            let a = unsafe { (p as *const *mut u8).read() };
            return from_lua(vm, to, a, v, init);
        }
        Kind::Array { elem, len } => {
            let esize = st(vm).types.size_of(elem).unwrap_or(0) as usize;
            let n = match len {
                ArrayLen::Fixed(n) => n as usize,
                _ => usize::MAX,
            };
            if let Some(sv) = v.as_str_ptr() {
                // A string initialises a char array (with its NUL if room).
                let b = lunatrace_vm::object::Str::bytes(sv);
                if esize != 1 {
                    return Err(conv_error(vm, v, ct));
                }
                let m = b.len().min(n);
                // SAFETY: the array has `n` bytes; `m <= n`.
                unsafe {
                    std::ptr::copy_nonoverlapping(b.as_ptr(), p, m);
                    if m < n && n != usize::MAX {
                        p.add(m).write(0);
                    }
                }
                return Ok(());
            }
            if let Some(t) = v.as_table_ptr().filter(|_| init) {
                return init_array(vm, elem, esize, n, p, t);
            }
            if let Some((vct, vp)) = cdata_of(v) {
                let s = st(vm);
                let (vct, vp) = deref(s, vct, vp);
                if s.types.resolve(vct) == s.types.resolve(ct) {
                    let size = s.types.size_of(ct).unwrap_or(0) as usize;
                    // SAFETY: both objects have `size` bytes.
                    unsafe { std::ptr::copy(vp, p, size) };
                    return Ok(());
                }
            }
            return Err(conv_error(vm, v, ct));
        }
        Kind::Record(r) => {
            if let Some(t) = v.as_table_ptr().filter(|_| init) {
                return init_record(vm, ct, &r, p, t);
            }
            if let Some((vct, vp)) = cdata_of(v) {
                let s = st(vm);
                let (vct, vp) = deref(s, vct, vp);
                if s.types.resolve(vct) == s.types.resolve(ct) {
                    // SAFETY: both objects have the record's size.
                    unsafe { std::ptr::copy(vp, p, r.size as usize) };
                    return Ok(());
                }
            }
            return Err(conv_error(vm, v, ct));
        }
        _ => return Err(conv_error(vm, v, ct)),
    }
    Ok(())
}

/// The address a Lua value converts to for pointer type `ct` (to `to`).
pub fn pointer_value(vm: &mut Vm, v: Value, ct: CTypeId, to: CTypeId) -> LuaResult<usize> {
    if v.is_nil() {
        return Ok(0);
    }
    if let Some(sv) = v.as_str_ptr() {
        // Strings convert to `const char *` (and other byte pointers).
        let s = st(vm);
        let ok = s.types.is_void(to) || s.types.size_of(to) == Some(1);
        if ok {
            return Ok(str_bytes(Value::from_str(sv)).as_ptr() as usize);
        }
        return Err(conv_error(vm, v, ct));
    }
    if let Some(u) = v.as_udata_ptr() {
        return Ok(Udata::payload(u) as usize);
    }
    if v.lua_type() == LuaType::LightUserdata {
        return Ok(v.payload() as usize);
    }
    if let Some((vct, vp)) = cdata_of(v) {
        {
            let s = st(vm);
            let (vct, vp) = deref(s, vct, vp);
            match s.types.kind(vct) {
                // SAFETY: a pointer object holds an address.
                Kind::Ptr { .. } => return Ok(unsafe { (vp as *const usize).read_unaligned() }),
                Kind::Array { .. } | Kind::Record(_) => return Ok(vp as usize),
                // SAFETY: function cdata hold the function's address.
                Kind::Func(_) => return Ok(unsafe { (vp as *const usize).read() }),
                Kind::Int { size: 8, .. } => {
                    // SAFETY: 8-byte integer.
                    return Ok(unsafe { (vp as *const usize).read_unaligned() });
                }
                _ => {}
            }
        }
    }
    if v.lua_type() == LuaType::Function && st(vm).types.is_func(to) {
        return crate::call::make_callback(vm, v, to).map(|p| p as usize);
    }
    Err(conv_error(vm, v, ct))
}

fn init_array(
    vm: &mut Vm,
    elem: CTypeId,
    esize: usize,
    n: usize,
    p: *mut u8,
    t: NonNull<lunatrace_vm::object::Table>,
) -> LuaResult<()> {
    // `{a, b, c}` fills from index 1; a table with [0] starts at 0. A
    // single element initialises every element, as in LuaJIT.
    let zero = lunatrace_vm::table::get_int(t, 0);
    let start = if zero.is_nil() { 1 } else { 0 };
    let mut vals = Vec::new();
    loop {
        let v = lunatrace_vm::table::get_int(t, (vals.len() + start) as i64);
        if v.is_nil() {
            break;
        }
        if vals.len() == n {
            let name = st(vm)
                .types
                .type_name(st(vm).types.array_of(elem, ArrayLen::Fixed(n as u64)));
            return Err(vm.rt_error(&format!("too many initializers for '{}'", name)));
        }
        vals.push(v);
    }
    let fill = if vals.len() == 1 && n != usize::MAX {
        n
    } else {
        vals.len()
    };
    for i in 0..fill {
        let v = vals[i.min(vals.len() - 1)];
        // SAFETY: element `i` of the array.
        from_lua(vm, elem, unsafe { p.add(i * esize) }, v, true)?;
    }
    Ok(())
}

fn init_record(
    vm: &mut Vm,
    ct: CTypeId,
    r: &crate::ctype::Record,
    p: *mut u8,
    t: NonNull<lunatrace_vm::object::Table>,
) -> LuaResult<()> {
    let first = lunatrace_vm::table::get_int(t, 1);
    let mut pos = 1;
    for f in &r.fields {
        let Some(name) = &f.name else { continue };
        let v = if first.is_nil() {
            let k = vm.intern(name.as_bytes());
            lunatrace_vm::table::get(t, k)
        } else {
            let v = lunatrace_vm::table::get_int(t, pos);
            pos += 1;
            v
        };
        if v.is_nil() {
            if r.is_union && !first.is_nil() {
                break;
            }
            continue;
        }
        store_field(vm, ct, name, p, v)?;
        if r.is_union && !first.is_nil() {
            break;
        }
    }
    Ok(())
}

/// Store `v` into member `name` of the record of type `ct` at `p`.
pub fn store_field(vm: &mut Vm, ct: CTypeId, name: &str, p: *mut u8, v: Value) -> LuaResult<()> {
    let fi = st(vm).types.field(ct, name).expect("member exists");
    store_field_at(vm, fi, p, v)
}

/// Store `v` into the member `fi` of the record at `p`.
pub fn store_field_at(vm: &mut Vm, fi: FieldInfo, p: *mut u8, v: Value) -> LuaResult<()> {
    // SAFETY: the member lies inside the record.
    let fp = unsafe { p.add(fi.offset as usize) };
    match fi.bits {
        Some(b) => {
            let (size, _) = st(vm).types.int_info(fi.ty).unwrap_or((4, false));
            let x = match numeric(vm, v) {
                Some(Num::Int(i, _)) => i,
                Some(Num::Float(f)) => f as i64,
                None if v.lua_type() == LuaType::Boolean => v.truthy() as i64,
                None => return Err(conv_error(vm, v, fi.ty)),
            };
            // SAFETY: the bitfield container has `size` bytes.
            unsafe {
                let old = read_int(fp, size, true) as u64;
                let mask = if b.width >= 64 {
                    u64::MAX
                } else {
                    (1u64 << b.width) - 1
                } << b.pos;
                let new = (old & !mask) | (((x as u64) << b.pos) & mask);
                write_int(fp, size, new as i64);
            }
            Ok(())
        }
        None => from_lua(vm, fi.ty, fp, v, true),
    }
}

/// Load member `name` (known to exist) of the record of type `ct` at `p`.
pub fn load_field(vm: &mut Vm, ct: CTypeId, name: &str, p: *mut u8) -> Value {
    let fi = st(vm).types.field(ct, name).expect("member exists");
    // SAFETY: the member lies inside the record.
    let fp = unsafe { p.add(fi.offset as usize) };
    match fi.bits {
        Some(b) => {
            let s = st(vm);
            let (size, unsigned) = s.types.int_info(fi.ty).unwrap_or((4, false));
            let is_bool = matches!(s.types.kind(fi.ty), Kind::Bool);
            // SAFETY: the container has `size` bytes.
            let raw = unsafe { read_int(fp, size, true) } as u64;
            let w = b.width.min(64);
            let x = (raw >> b.pos) & if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
            if is_bool {
                return Value::bool(x != 0);
            }
            let x = if !unsigned && w < 64 && (x >> (w - 1)) & 1 == 1 {
                (x | !((1u64 << w) - 1)) as i64
            } else {
                x as i64
            };
            Value::num(x as f64)
        }
        None => to_lua(vm, fi.ty, fp),
    }
}
