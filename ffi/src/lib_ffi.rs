//! The `ffi` Lua module (`require "ffi"`) and the cdata metatable that
//! gives cdata their behaviour (indexing, calls, operators, `tostring`).

use crate::arith;
use crate::call::call_c;
use crate::cdata::*;
use crate::clib::CLib;
use crate::cparse::{self, TypeParam};
use crate::ctype::{ids, ArrayLen, CTypeId, FieldInfo, Kind};
use crate::state::{st, CodeMaker, FfiState};
use lunatrace_vm::object::{str_bytes, Str, Table, Udata};
use lunatrace_vm::state::MM;
use lunatrace_vm::value::{tag, LuaType};
use lunatrace_vm::{LuaResult, Value, Vm};
use std::collections::HashMap;
use std::ptr::NonNull;

/// Install the FFI into `vm`: its state, the cdata metatable, and `ffi`
/// in `package.preload`. `code` generates call thunks (None: calls error).
pub fn install(vm: &mut Vm, code: Option<Box<dyn CodeMaker>>) {
    vm.cdata_arith_mm = Some(crate::arith::arith_mm_only);
    assert_eq!(ids::INT64, lunatrace_vm::object::CT_INT64);
    assert_eq!(ids::UINT64, lunatrace_vm::object::CT_UINT64);
    let vmp = vm as *mut Vm;
    vm.ffi = Some(Box::new(FfiState {
        types: crate::ctype::CTypes::new(),
        libs: vec![CLib::default_ns()],
        metatypes: HashMap::default(),
        callbacks: Vec::new(),
        code,
        thunks: HashMap::new(),
        clib_meta: Value::NIL,
        key_new: Value::NIL,
        fn_names: HashMap::default(),
        vm: vmp,
        ref_cache: Vec::new(),
        calls: HashMap::default(),
        parse_cache: HashMap::new(),
    }));
    vm.cdata_tonumber = Some(cdata_tonumber);
    vm.cdata_index = Some(crate::fast_index::index);
    vm.cdata_newindex = Some(crate::fast_index::newindex);
    vm.cdata_arith = Some(crate::arith::fast_arith);
    vm.cdata_compare = Some(crate::arith::fast_compare);
    vm.sbufs.ffi = Some(crate::sbuf::hooks());
    // The metatable of every cdata.
    let mt = vm.new_table(0, 24);
    let mtv = Value::from_table(mt);
    let fns: &[(&str, lunatrace_vm::object::NativeFn)] = &[
        ("__index", cd_index),
        ("__newindex", cd_newindex),
        ("__call", cd_call),
        ("__add", cd_add),
        ("__sub", cd_sub),
        ("__mul", cd_mul),
        ("__div", cd_div),
        ("__mod", cd_mod),
        ("__pow", cd_pow),
        ("__unm", cd_unm),
        ("__eq", cd_eq),
        ("__lt", cd_lt),
        ("__le", cd_le),
        ("__concat", cd_concat),
        ("__len", cd_len),
        ("__tostring", cd_tostring),
    ];
    for &(name, f) in fns {
        let fv = vm.new_native(f, "cdata metamethod");
        vm.set_field(mtv, name, fv);
    }
    let s = vm.intern(b"ffi");
    vm.set_field(mtv, "__metatable", s);
    vm.type_meta[tag::CDATA as usize] = mt.as_ptr();
    // Library namespaces.
    let cm = vm.new_table_value(0, 4);
    let f = vm.new_native(clib_index, "clib index");
    vm.set_field(cm, "__index", f);
    let f = vm.new_native(clib_newindex, "clib newindex");
    vm.set_field(cm, "__newindex", f);
    let f = vm.new_native(clib_tostring, "clib tostring");
    vm.set_field(cm, "__tostring", f);
    lunatrace_vm::builtin_id::note(vm, "cdata", mtv);
    lunatrace_vm::builtin_id::note(vm, "clib", cm);
    vm.roots.push(cm);
    st(vm).clib_meta = cm;
    let key_new = vm.intern(b"__new");
    vm.roots.push(key_new);
    st(vm).key_new = key_new;
    // `require "ffi"`.
    let loader = vm.new_native(open_module, "ffi loader");
    let pkg = vm.get_global("package");
    if pkg.is_table() {
        let pre = vm.get_field(pkg, "preload");
        if pre.is_table() {
            vm.set_field(pre, "ffi", loader);
        }
    }
}

fn open_module(vm: &mut Vm) -> LuaResult<usize> {
    let m = vm.new_table_value(0, 24);
    let fns: &[(&str, lunatrace_vm::object::NativeFn)] = &[
        ("cdef", ffi_cdef),
        ("new", ffi_new),
        ("cast", ffi_cast),
        ("typeof", ffi_typeof),
        ("sizeof", ffi_sizeof),
        ("alignof", ffi_alignof),
        ("offsetof", ffi_offsetof),
        ("istype", ffi_istype),
        ("string", ffi_string),
        ("copy", ffi_copy),
        ("fill", ffi_fill),
        ("gc", ffi_gc),
        ("metatype", ffi_metatype),
        ("abi", ffi_abi),
        ("errno", ffi_errno),
        ("load", ffi_load),
        ("typeinfo", ffi_typeinfo),
    ];
    for &(name, f) in fns {
        let fv = vm.new_native(f, name);
        vm.set_field(m, name, fv);
        // The functions traces record (`vm::fastfunc`).
        use lunatrace_vm::fastfunc::{ffid, tag_value};
        match name {
            "new" => tag_value(fv, ffid::FFI_NEW),
            "cast" => tag_value(fv, ffid::FFI_CAST),
            _ => {}
        }
    }
    let c = new_clib(vm, 0);
    vm.set_field(m, "C", c);
    let os = vm.intern(b"Linux");
    vm.set_field(m, "os", os);
    let arch = vm.intern(
        std::env::consts::ARCH
            .replace("x86_64", "x64")
            .replace("aarch64", "arm64")
            .as_bytes(),
    );
    vm.set_field(m, "arch", arch);
    lunatrace_vm::builtin_id::note(vm, "ffi", m);
    vm.push(m);
    Ok(1)
}

// ---------------------------------------------------------------------------
// Argument helpers

fn str_arg(vm: &mut Vm, i: usize) -> LuaResult<String> {
    let b = vm.check_bytes(i)?;
    Ok(String::from_utf8_lossy(b).into_owned())
}

/// A C type argument: a type string (with `$` parameters from the
/// following arguments), a ctype object, or a cdata (its type).
fn ct_arg(vm: &mut Vm, i: usize, params_from: Option<usize>) -> LuaResult<CTypeId> {
    let v = vm.arg(i);
    if let Some(s) = v.as_str_ptr() {
        let bytes = Str::bytes(s);
        let cacheable = !bytes.contains(&b'$');
        if cacheable {
            if let Some(&ct) = st(vm).parse_cache.get(bytes) {
                return Ok(ct);
            }
        }
        let src = String::from_utf8_lossy(bytes).into_owned();
        let mut params = Vec::new();
        if let Some(first) = params_from {
            for j in first..=vm.nargs() {
                let p = vm.arg(j);
                if let Some(ct) = ctype_of_obj(p) {
                    params.push(TypeParam::Type(ct));
                } else if let Some((ct, _)) = cdata_of(p) {
                    params.push(TypeParam::Type(ct));
                } else if let Some(n) = p.as_num() {
                    params.push(TypeParam::Int(n as i64));
                } else {
                    break;
                }
            }
        }
        let ct =
            cparse::parse_type(&mut st(vm).types, &src, &params).map_err(|e| vm.rt_error(&e))?;
        if cacheable {
            let cache = &mut st(vm).parse_cache;
            if cache.len() >= crate::state::PARSE_CACHE_MAX {
                cache.clear();
            }
            cache.insert(Str::bytes(s).into(), ct);
        }
        return Ok(ct);
    }
    if let Some(ct) = ctype_of_obj(v) {
        return Ok(ct);
    }
    if let Some((ct, _)) = cdata_of(v) {
        return Ok(ct);
    }
    let got = if i > vm.nargs() {
        "no value"
    } else {
        v.type_name()
    };
    Err(vm.arg_error(i, &format!("C type expected, got {}", got)))
}

/// A cdata holding a scalar (number, complex, pointer, enum): as a single
/// array initialiser it fills every element, as a number does.
fn scalar_cdata(vm: &mut Vm, v: Value) -> bool {
    let Some((ct, p)) = cdata_of(v) else {
        return false;
    };
    let s = st(vm);
    let (ct, _) = deref(s, ct, p);
    !matches!(
        s.types.kind(ct),
        Kind::Array { .. } | Kind::Record(_) | Kind::Func(_)
    )
}

/// "`what` '`type name`'" as an error (the name is made only when needed).
fn type_error(vm: &mut Vm, what: &str, ct: CTypeId) -> lunatrace_vm::LuaError {
    let n = st(vm).types.type_name(ct);
    vm.rt_error(&format!("{}'{}'", what, n))
}

/// Create a cdata of type `ct` initialised from `init` (LuaJIT's `ffi.new`
/// rules); `n` is the element count of a VLA/VLS.
pub fn cnew(vm: &mut Vm, ct: CTypeId, n: Option<u64>, init: &[Value]) -> LuaResult<Value> {
    let s = st(vm);
    if s.types.is_func(ct) {
        return Err(type_error(vm, "cannot create cdata of type ", ct));
    }
    let size = if s.types.is_vla(ct) {
        match n {
            Some(n) => s.types.size_of_vla(ct, n),
            None => return Err(vm.rt_error("size of C type is unknown or too large")),
        }
    } else {
        s.types.size_of(ct)
    };
    let Some(size) = size.filter(|&z| z < (1 << 31)) else {
        return Err(vm.rt_error("size of C type is unknown or too large"));
    };
    let (v, p) = new_cdata(vm, ct, size as usize);
    let kind = st(vm).types.kind(ct).clone();
    match (&kind, init.len()) {
        (_, 0) => {}
        (Kind::Array { elem, len }, k)
            if k > 1
                || !(init[0].is_table() || init[0].is_str() || init[0].is_cdata())
                || scalar_cdata(vm, init[0]) =>
        {
            // Scalars fill the array; a single one is repeated.
            let esize = st(vm).types.size_of(*elem).unwrap_or(0) as usize;
            let count = match len {
                ArrayLen::Fixed(c) => *c as usize,
                _ => n.unwrap_or(0) as usize,
            };
            if k > count {
                return Err(type_error(vm, "too many initializers for ", ct));
            }
            for i in 0..count {
                let x = init[i.min(k - 1)];
                if i >= k && k > 1 {
                    break;
                }
                // SAFETY: element `i` of the new array.
                from_lua(vm, *elem, unsafe { p.add(i * esize) }, x, true)?;
            }
        }
        (Kind::Record(r), k) if k > 1 || !(init[0].is_table() || init[0].is_cdata()) => {
            // The named members in order (anonymous ones are skipped).
            let named = || r.fields.iter().filter(|f| f.name.is_some());
            let limit = if r.is_union { 1 } else { named().count() };
            if k > limit {
                return Err(type_error(vm, "too many initializers for ", ct));
            }
            for (f, &x) in named().zip(init) {
                let fi = FieldInfo {
                    ty: f.ty,
                    offset: f.offset,
                    bits: f.bits,
                };
                store_field_at(vm, fi, p, x)?;
            }
        }
        (Kind::Complex { .. }, 2) => {
            // `ffi.new("complex", re, im)`.
            let part = |vm: &mut Vm, x: Value| match numeric(vm, x) {
                Some(Num::Int(i, true)) => Some(i as u64 as f64),
                Some(Num::Int(i, false)) => Some(i as f64),
                Some(Num::Float(f)) => Some(f),
                None => None,
            };
            let (Some(re), Some(im)) = (part(vm, init[0]), part(vm, init[1])) else {
                let bad = if part(vm, init[0]).is_none() {
                    init[0]
                } else {
                    init[1]
                };
                let part_ct = st(vm).types.element(ct).unwrap_or(ids::DOUBLE);
                return Err(crate::cdata::conv_error(vm, bad, part_ct));
            };
            crate::cdata::write_complex(st(vm), ct, p, re, im);
        }
        (_, 1) => from_lua(vm, ct, p, init[0], true)?,
        _ => return Err(type_error(vm, "too many initializers for ", ct)),
    }
    if let Some(mt) = st(vm).metatypes.get(&st(vm).types.resolve(ct)).copied() {
        let gc = vm.get_field(mt, "__gc");
        if !gc.is_nil() {
            vm.heap.set_cdata_fin(v.as_cdata_ptr().unwrap(), gc);
        }
    }
    Ok(v)
}

// ---------------------------------------------------------------------------
// Module functions

fn ffi_cdef(vm: &mut Vm) -> LuaResult<usize> {
    let src = str_arg(vm, 1)?;
    cparse::cdef(&mut st(vm).types, &src).map_err(|e| vm.rt_error(&e))?;
    Ok(0)
}

fn ffi_new(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let mut first = 2;
    let mut n = None;
    if st(vm).types.is_vla(ct) {
        if vm.nargs() < 2 {
            return Err(vm.arg_error(2, "value expected"));
        }
        let c = len_arg(vm, 2).map(|n| n as i64);
        let c = match (c, numeric(vm, vm.arg(2))) {
            (_, Some(Num::Float(f))) if f < 0.0 => -1,
            (_, Some(Num::Int(i, false))) if i < 0 => -1,
            (Ok(c), _) => c,
            (Err(e), _) => return Err(e),
        };
        if c < 0 {
            return Err(vm.arg_error(1, "size of C type is unknown or too large"));
        }
        n = Some(c as u64);
        first = 3;
    }
    let init: Vec<Value> = (first..=vm.nargs()).map(|i| vm.arg(i)).collect();
    let v = cnew(vm, ct, n, &init)?;
    vm.push(v);
    Ok(1)
}

fn ffi_cast(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let v = vm.check_any(2)?;
    let s = st(vm);
    let size = s.types.size_of(ct).unwrap_or(0) as usize;
    let kind = s.types.kind(ct).clone();
    if matches!(
        kind,
        Kind::Array { .. } | Kind::Record(_) | Kind::Func(_) | Kind::Void | Kind::Complex { .. }
    ) {
        return Err(vm.arg_error(1, "invalid C type"));
    }
    let (r, p) = new_cdata(vm, ct, size.max(8));
    match kind {
        Kind::Ptr {
            reference: false, ..
        } => {
            // Numbers and integers cast to addresses; pointers re-type.
            let a = match numeric(vm, v) {
                Some(Num::Int(i, _)) => i as usize,
                Some(Num::Float(f)) => f as i64 as usize,
                None => {
                    let to = st(vm).types.element(ct).unwrap_or(ids::VOID);
                    pointer_value_any(vm, v, ct, to)?
                }
            };
            // SAFETY: 8 payload bytes.
            unsafe { (p as *mut usize).write(a) };
        }
        Kind::Int { size, .. }
            if v.is_cdata()
                && numeric(vm, v).is_none()
                && crate::cdata::complex_of(vm, v).is_none() =>
        {
            let to = ids::VOID;
            let a = pointer_value_any(vm, v, ct, to)?;
            // SAFETY: an integer object.
            unsafe { write_int(p, size, a as i64) };
        }
        _ => from_lua(vm, ct, p, v, false)?,
    }
    vm.push(r);
    Ok(1)
}

/// Like `pointer_value` but any pointer type converts (casts).
fn pointer_value_any(vm: &mut Vm, v: Value, ct: CTypeId, to: CTypeId) -> LuaResult<usize> {
    if v.is_str() {
        return Ok(str_bytes(v).as_ptr() as usize);
    }
    pointer_value(vm, v, ct, to)
}

fn ffi_typeof(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, Some(2))?;
    let v = ctype_obj(vm, ct);
    vm.push(v);
    Ok(1)
}

fn ffi_sizeof(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let s = st(vm);
    let size = if s.types.is_vla(ct) {
        let v = vm.arg(1);
        if let (Some(c), true) = (v.as_cdata_ptr(), ctype_of_obj(v).is_none()) {
            // SAFETY: a live cdata object.
            Some(unsafe { (*c.as_ptr()).len } as u64)
        } else if vm.arg(2).is_num() {
            let n = vm.arg(2).num_unchecked() as u64;
            st(vm).types.size_of_vla(ct, n)
        } else {
            None
        }
    } else {
        s.types.size_of(ct)
    };
    vm.push(size.map_or(Value::NIL, |z| Value::num(z as f64)));
    Ok(1)
}

fn ffi_alignof(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let a = st(vm).types.align_of(ct);
    vm.push(Value::num(a as f64));
    Ok(1)
}

fn ffi_offsetof(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let f = str_arg(vm, 2)?;
    match st(vm).types.field(ct, &f) {
        Some(fi) => {
            vm.push(Value::num(fi.offset as f64));
            if let Some(b) = fi.bits {
                vm.push(Value::num(b.pos as f64));
                vm.push(Value::num(b.width as f64));
                return Ok(3);
            }
            Ok(1)
        }
        None => Ok(0),
    }
}

/// `ffi.typeinfo(id)` (LuaJIT 2.1): the table entry of type id `id` as
/// LuaJIT encodes it — `info` (kind in the top 4 bits, then flags, log2
/// of the alignment at bit 16, the element type id below), `size` when
/// known. Nothing for id 0 or past the table. Only scalars, pointers,
/// arrays and complex types have LuaJIT's encoding here; other entries
/// (records, enums, functions, qualified aggregates, explicit alignment,
/// LuaJIT's placeholder ids) raise an NYI error rather than a made-up
/// value.
fn ffi_typeinfo(vm: &mut Vm) -> LuaResult<usize> {
    const CT_NUM: u32 = 0;
    const CT_PTR: u32 = 2;
    const CT_ARRAY: u32 = 3;
    const CT_VOID: u32 = 4;
    const F_BOOL: u32 = 0x0800_0000;
    const F_FP: u32 = 0x0400_0000;
    const F_COMPLEX: u32 = 0x0400_0000;
    const F_CONST: u32 = 0x0200_0000;
    const F_VOLATILE: u32 = 0x0100_0000;
    const F_UNSIGNED: u32 = 0x0080_0000;
    const F_REF: u32 = 0x0080_0000;
    const F_LONG: u32 = 0x0040_0000;
    const F_VLA: u32 = 0x0010_0000;
    if vm.nargs() == 0 {
        return Err(vm.arg_error(1, "value expected"));
    }
    let a = vm.arg(1);
    let n = match a.as_num() {
        Some(n) => n,
        None if a.is_cdata() => cdata_tonumber(vm, a).unwrap_or(f64::NAN),
        None => {
            let msg = format!("cannot convert '{}' to 'int'", a.lua_type().name());
            return Err(vm.arg_error(1, &msg));
        }
    };
    // (As a C type id: negative numbers are huge.)
    let id = n as i64 as u32;
    let s = st(vm);
    if id == 0 || id as usize >= s.types.len() || id == ids::LONG_DOUBLE {
        if id == ids::LONG_DOUBLE {
            return Err(vm.rt_error("NYI: ffi.typeinfo of this type id"));
        }
        return Ok(0);
    }
    let ct = s.types.get(id).clone();
    let align = s.types.align_of(id).trailing_zeros() << 16;
    let kind_bits = |k: u32| k << 28;
    let info = match &ct.kind {
        _ if ct.align_attr.is_some() => None,
        Kind::Void => Some(kind_bits(CT_VOID) | align),
        Kind::Bool => Some(kind_bits(CT_NUM) | F_BOOL | F_UNSIGNED | align),
        Kind::Int { size, unsigned } => Some(
            kind_bits(CT_NUM)
                | if *unsigned { F_UNSIGNED } else { 0 }
                | if *size == 8 { F_LONG } else { 0 }
                | align,
        ),
        Kind::Float | Kind::Double => Some(kind_bits(CT_NUM) | F_FP | align),
        Kind::Complex { size } => {
            let elem = if *size == 8 { ids::FLOAT } else { ids::DOUBLE };
            Some(kind_bits(CT_ARRAY) | F_COMPLEX | align | elem)
        }
        Kind::Ptr { to, reference } => {
            // (A reference is a const pointer.)
            Some(kind_bits(CT_PTR) | if *reference { F_REF | F_CONST } else { 0 } | align | to)
        }
        Kind::Array { elem, .. } => {
            Some(kind_bits(CT_ARRAY) | if s.types.is_vla(id) { F_VLA } else { 0 } | align | elem)
        }
        _ => None,
    };
    let Some(mut info) = info else {
        return Err(vm.rt_error("NYI: ffi.typeinfo of this type id"));
    };
    if ct.qual & crate::ctype::Q_CONST != 0 {
        info |= F_CONST;
    }
    if ct.qual & crate::ctype::Q_VOLATILE != 0 {
        info |= F_VOLATILE;
    }
    let size = if s.types.is_vla(id) {
        None
    } else {
        s.types.size_of(id)
    };
    let t = vm.new_table_value(0, 2);
    vm.set_field(t, "info", Value::num(info as i32 as f64));
    if let Some(z) = size {
        vm.set_field(t, "size", Value::num(z as f64));
    }
    vm.push(t);
    Ok(1)
}

fn ffi_istype(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let v = vm.check_any(2)?;
    let r = match cdata_of(v) {
        None => false,
        Some((vt, _)) => {
            let s = st(vm);
            let (a, b) = (s.types.resolve(ct), s.types.resolve(vt));
            a == b || s.types.unqualified(a) == s.types.unqualified(b)
        }
    };
    vm.push(Value::bool(r));
    Ok(1)
}

/// The address a cdata or other value denotes for `ffi.string/copy/fill`.
/// NULL is refused with an error (C would crash).
fn address_arg(vm: &mut Vm, i: usize) -> LuaResult<usize> {
    let v = vm.arg(i);
    let a = pointer_value_any(vm, v, ids::P_CCHAR, ids::CCHAR).map_err(|e| arg_msg(vm, i, e))?;
    if a == 0 {
        return Err(vm.arg_error(i, "cannot convert 'NULL' to 'const char *'"));
    }
    Ok(a)
}

/// A length argument: a number or a numeric cdata.
fn len_arg(vm: &mut Vm, i: usize) -> LuaResult<usize> {
    let v = vm.arg(i);
    match numeric(vm, v) {
        Some(Num::Int(n, _)) => Ok(n.max(0) as usize),
        Some(Num::Float(f)) => Ok(f.max(0.0) as usize),
        None => Err(vm.type_error(i, "number")),
    }
}

/// Re-raise a conversion error as "bad argument #i to 'fn' (msg)".
fn arg_msg(vm: &mut Vm, i: usize, e: lunatrace_vm::LuaError) -> lunatrace_vm::LuaError {
    let msg = vm.tostring_basic(e.value);
    let msg = match msg.split_once(": ") {
        Some((pos, m)) if pos.contains(':') => m.to_string(),
        _ => msg,
    };
    vm.arg_error(i, &msg)
}

fn ffi_string(vm: &mut Vm) -> LuaResult<usize> {
    let a = address_arg(vm, 1)?;
    if a == 0 {
        return Err(
            vm.rt_error("bad argument #1 to 'string' (cannot convert 'NULL' to 'const char *')")
        );
    }
    let s = if vm.arg(2).is_nil() {
        // SAFETY: the program passes a NUL-terminated string, as in C.
        unsafe { std::ffi::CStr::from_ptr(a as *const std::ffi::c_char) }.to_bytes()
    } else {
        let n = len_arg(vm, 2)?;
        // SAFETY: the program vouches for `n` readable bytes, as in C.
        unsafe { std::slice::from_raw_parts(a as *const u8, n) }
    };
    let s = vm.intern(s);
    vm.push(s);
    Ok(1)
}

fn ffi_copy(vm: &mut Vm) -> LuaResult<usize> {
    let dst = address_arg(vm, 1)?;
    let src = vm.arg(2);
    let n = if vm.arg(3).is_nil() {
        if !src.is_str() {
            return Err(vm.arg_error(3, "number expected, got no value"));
        }
        str_bytes(src).len() + 1
    } else {
        len_arg(vm, 3)?
    };
    let sa = address_arg(vm, 2)?;
    // SAFETY: the program vouches for `n` bytes at both addresses, as in C;
    // a string source has its NUL terminator in our layout.
    unsafe { std::ptr::copy(sa as *const u8, dst as *mut u8, n) };
    Ok(0)
}

fn ffi_fill(vm: &mut Vm) -> LuaResult<usize> {
    let dst = address_arg(vm, 1)?;
    let n = len_arg(vm, 2)?;
    let c = vm.opt_int(3, 0)? as u8;
    // SAFETY: the program vouches for `n` writable bytes, as in C.
    unsafe { std::ptr::write_bytes(dst as *mut u8, c, n) };
    Ok(0)
}

fn ffi_gc(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.check_any(1)?;
    let Some(c) = v.as_cdata_ptr() else {
        return Err(vm.type_error(1, "cdata"));
    };
    let f = vm.arg(2);
    vm.heap.set_cdata_fin(c, f);
    vm.push(v);
    Ok(1)
}

fn ffi_metatype(vm: &mut Vm) -> LuaResult<usize> {
    let ct = ct_arg(vm, 1, None)?;
    let mt = vm.check_table(2)?;
    let s = st(vm);
    let id = s.types.resolve(ct);
    if !s.types.is_record(id) {
        return Err(vm.arg_error(1, "invalid C type"));
    }
    if s.metatypes.contains_key(&id) {
        return Err(vm.rt_error("cannot change a protected metatable"));
    }
    let mv = Value::from_table(mt);
    s.metatypes.insert(id, mv);
    vm.roots.push(mv);
    let v = ctype_obj(vm, id);
    vm.push(v);
    Ok(1)
}

/// `ffi.abi(param)`: the target's ABI properties, LuaJIT 2.1's names
/// (`gc64`: 64-bit GC references, as every 64-bit Lunatrace build has).
fn ffi_abi(vm: &mut Vm) -> LuaResult<usize> {
    let p = str_arg(vm, 1)?;
    let bits64 = cfg!(target_pointer_width = "64");
    let r = match p.as_str() {
        "64bit" | "gc64" => bits64,
        "32bit" => !bits64,
        "le" => cfg!(target_endian = "little"),
        "be" => cfg!(target_endian = "big"),
        "fpu" | "hardfp" => true,
        "eabi" => cfg!(target_arch = "arm"),
        "win" => cfg!(windows),
        _ => false,
    };
    vm.push(Value::bool(r));
    Ok(1)
}

thread_local! {
    static ERRNO: std::cell::Cell<i32> = const { std::cell::Cell::new(0) };
}

/// Remember `errno` after a C call (`ffi.errno()` reads it).
pub fn save_errno(_vm: &mut Vm) {
    // SAFETY: reading errno of this thread.
    let e = unsafe { *libc::__errno_location() };
    ERRNO.with(|c| c.set(e));
}

fn ffi_errno(vm: &mut Vm) -> LuaResult<usize> {
    let old = ERRNO.with(|c| c.get());
    if !vm.arg(1).is_nil() {
        let n = vm.check_int(1)? as i32;
        ERRNO.with(|c| c.set(n));
        // SAFETY: writing errno of this thread.
        unsafe { *libc::__errno_location() = n };
    }
    vm.push(Value::num(old as f64));
    Ok(1)
}

/// `tonumber(cdata)`: numeric cdata give their value, a ctype object its
/// type id (as LuaJIT), others nil.
pub fn cdata_tonumber(vm: &mut Vm, v: Value) -> Option<f64> {
    if let Some(id) = ctype_of_obj(v) {
        return Some(id as f64);
    }
    // A complex number gives its real part (as LuaJIT).
    if let Some((re, _)) = crate::cdata::complex_of(vm, v) {
        return Some(re);
    }
    match numeric(vm, v)? {
        Num::Int(i, true) => Some(i as u64 as f64),
        Num::Int(i, false) => Some(i as f64),
        Num::Float(f) => Some(f),
    }
}

// ---------------------------------------------------------------------------
// Library namespaces

fn new_clib(vm: &mut Vm, idx: usize) -> Value {
    let cache = vm.new_table(0, 8);
    let u = vm.heap.new_udata(4, cache.as_ptr());
    // SAFETY: 4 fresh payload bytes.
    unsafe { (Udata::payload(u) as *mut u32).write(idx as u32) };
    let v = Value::from_udata(u);
    let mt = st(vm).clib_meta.as_table_ptr();
    vm.set_metatable(v, mt);
    v
}

fn ffi_load(vm: &mut Vm) -> LuaResult<usize> {
    let name = str_arg(vm, 1)?;
    let global = vm.arg(2).truthy();
    let lib = CLib::open(&name, global).map_err(|e| vm.rt_error(&e))?;
    let s = st(vm);
    s.libs.push(lib);
    let idx = s.libs.len() - 1;
    let v = new_clib(vm, idx);
    vm.push(v);
    Ok(1)
}

fn clib_of(vm: &mut Vm) -> LuaResult<(usize, NonNull<Table>)> {
    let v = vm.arg(1);
    let Some(u) = v.as_udata_ptr() else {
        return Err(vm.type_error(1, "userdata"));
    };
    // SAFETY: a namespace userdata (4-byte index payload, cache as env).
    let (idx, env) = unsafe {
        (
            (Udata::payload(u) as *const u32).read() as usize,
            (*u.as_ptr()).env,
        )
    };
    Ok((idx, NonNull::new(env).expect("clib cache")))
}

/// Resolve symbol `name` of library `idx`: its type and address.
fn clib_symbol(vm: &mut Vm, idx: usize, name: &str) -> LuaResult<(crate::ctype::Symbol, usize)> {
    let s = st(vm);
    let Some(sym) = s.types.symbol(name).cloned() else {
        return Err(vm.rt_error(&format!("missing declaration for symbol '{}'", name)));
    };
    let real = match &sym {
        crate::ctype::Symbol::Func { asm, .. } | crate::ctype::Symbol::Var { asm, .. } => {
            asm.clone().unwrap_or_else(|| name.to_string())
        }
        _ => return Ok((sym, 0)),
    };
    match s.libs[idx].symbol(&real) {
        Some(a) => Ok((sym, a as usize)),
        None => Err(vm.rt_error(&format!("undefined symbol: {}", name))),
    }
}

fn clib_index(vm: &mut Vm) -> LuaResult<usize> {
    let (idx, cache) = clib_of(vm)?;
    let k = vm.arg(2);
    let hit = lunatrace_vm::table::get(cache, k);
    if !hit.is_nil() {
        vm.push(hit);
        return Ok(1);
    }
    let name = String::from_utf8_lossy(vm.check_bytes(2)?).into_owned();
    let (sym, addr) = clib_symbol(vm, idx, &name)?;
    let v = match sym {
        crate::ctype::Symbol::Func { ty, .. } => {
            st(vm)
                .fn_names
                .insert(st(vm).types.resolve(ty), name.clone());
            let (v, p) = new_cdata(vm, ty, 8);
            // SAFETY: 8 payload bytes: the function's address.
            unsafe { (p as *mut usize).write(addr) };
            vm.raw_set(cache, k, v)?;
            v
        }
        crate::ctype::Symbol::Var { ty, .. } => to_lua(vm, ty, addr as *mut u8),
        crate::ctype::Symbol::Const { value, .. } => Value::num(value as f64),
        crate::ctype::Symbol::Typedef(_) => {
            return Err(vm.rt_error(&format!("missing declaration for symbol '{}'", name)))
        }
    };
    vm.push(v);
    Ok(1)
}

fn clib_newindex(vm: &mut Vm) -> LuaResult<usize> {
    let (idx, _) = clib_of(vm)?;
    let name = String::from_utf8_lossy(vm.check_bytes(2)?).into_owned();
    let v = vm.arg(3);
    match clib_symbol(vm, idx, &name)? {
        (crate::ctype::Symbol::Var { ty, .. }, addr) => {
            from_lua(vm, ty, addr as *mut u8, v, false)?
        }
        _ => return Err(vm.rt_error("attempt to write to constant location")),
    }
    Ok(0)
}

fn clib_tostring(vm: &mut Vm) -> LuaResult<usize> {
    let v = vm.arg(1);
    let s = vm.intern(format!("library: {:#x}", v.payload()).as_bytes());
    vm.push(s);
    Ok(1)
}

// ---------------------------------------------------------------------------
// The cdata metatable

/// The metatype table of a cdata's struct type (through pointers and
/// references), if `ffi.metatype` set one.
pub fn metatype_of(vm: &mut Vm, v: Value) -> Option<NonNull<Table>> {
    let ct = ctype_of_obj(v).or_else(|| cdata_of(v).map(|c| c.0))?;
    let s = st(vm);
    if s.metatypes.is_empty() {
        return None;
    }
    let mut id = s.types.resolve(ct);
    if let Kind::Ptr { to, .. } = s.types.kind(id) {
        id = s.types.resolve(*to);
    }
    s.metatypes.get(&id).and_then(|m| m.as_table_ptr())
}

/// `__index`/`__newindex` of the metatype, for keys that are not members.
fn meta_index(vm: &mut Vm, obj: Value, k: Value, set: Option<Value>) -> LuaResult<Option<Value>> {
    let Some(mt) = metatype_of(vm, obj) else {
        return Ok(None);
    };
    let ev = if set.is_some() {
        MM::NewIndex
    } else {
        MM::Index
    };
    let h = vm.mt_get(mt, ev);
    if h.is_nil() {
        return Ok(None);
    }
    if h.lua_type() == LuaType::Function {
        let mut args = vec![obj, k];
        args.extend(set);
        return vm.call1(h, &args).map(Some);
    }
    match set {
        Some(v) => {
            vm.set_index(h, k, v)?;
            Ok(Some(Value::NIL))
        }
        // A miss in an `__index` table is a missing member, as in LuaJIT.
        None => vm.index(h, k).map(|v| (!v.is_nil()).then_some(v)),
    }
}

/// Where `obj[k]` lives: the element/member type and address.
fn locate(
    vm: &mut Vm,
    obj: Value,
    k: Value,
) -> LuaResult<Option<(CTypeId, *mut u8, Option<String>)>> {
    let Some((ct, p)) = cdata_of(obj) else {
        return Ok(None);
    };
    let s = st(vm);
    let (ct, p) = deref(s, ct, p);
    let kind = s.types.kind(ct).clone();
    let index = match numeric(vm, k) {
        Some(Num::Int(i, _)) => Some(i),
        Some(Num::Float(f)) => Some(crate::cdata::cvt_i64(f)),
        None => None,
    };
    match kind {
        Kind::Ptr { to, .. } | Kind::Array { elem: to, .. } => {
            let base = if matches!(kind, Kind::Ptr { .. }) {
                // SAFETY: a pointer object holds an address.
                unsafe { (p as *const usize).read_unaligned() }
            } else {
                p as usize
            };
            if let Some(i) = index {
                let esize = st(vm).types.size_of(to).unwrap_or(0) as i64;
                let a = (base as i64).wrapping_add(i.wrapping_mul(esize));
                return Ok(Some((to, a as *mut u8, None)));
            }
            if let Some(name) = k.as_str_ptr() {
                let name = String::from_utf8_lossy(Str::bytes(name)).into_owned();
                if st(vm).types.field(to, &name).is_some() {
                    return Ok(Some((to, base as *mut u8, Some(name))));
                }
            }
            Ok(None)
        }
        Kind::Record(_) => {
            if let Some(name) = k.as_str_ptr() {
                let name = String::from_utf8_lossy(Str::bytes(name)).into_owned();
                if st(vm).types.field(ct, &name).is_some() {
                    return Ok(Some((ct, p, Some(name))));
                }
            }
            Ok(None)
        }
        Kind::Complex { size } => {
            // `.re`/`.im` (or [0]/[1]): the parts, read-only (as LuaJIT).
            let im = match (index, k.as_str_ptr().map(Str::bytes)) {
                (Some(0), _) | (_, Some(b"re")) => false,
                (Some(1), _) | (_, Some(b"im")) => true,
                _ => return Ok(None),
            };
            let part = if size == 8 { ids::FLOAT } else { ids::DOUBLE };
            let part = st(vm).types.qualify(part, crate::ctype::Q_CONST);
            let off = if im { size as usize / 2 } else { 0 };
            // SAFETY: within the complex object.
            Ok(Some((part, unsafe { p.add(off) }, None)))
        }
        _ => Ok(None),
    }
}

fn index_error(vm: &mut Vm, obj: Value, k: Value) -> lunatrace_vm::LuaError {
    let ct = match (ctype_of_obj(obj), cdata_of(obj)) {
        (Some(ct), _) => ct,
        (None, Some((ct, p))) => deref(st(vm), ct, p).0,
        _ => return vm.rt_error("cdata expected"),
    };
    let tn = st(vm).types.type_name(ct);
    let s = st(vm);
    let rec = match s.types.kind(ct) {
        Kind::Ptr { to, .. } if s.types.is_record(*to) => Some(*to),
        Kind::Record(_) => Some(ct),
        _ => None,
    };
    if let (Some(name), Some(r)) = (k.as_str_ptr(), rec) {
        let rn = st(vm).types.type_name(r);
        let name = String::from_utf8_lossy(Str::bytes(name)).into_owned();
        return vm.rt_error(&format!("'{}' has no member named '{}'", rn, name));
    }
    if let Some(name) = k.as_str_ptr() {
        let name = String::from_utf8_lossy(Str::bytes(name)).into_owned();
        return vm.rt_error(&format!("'{}' has no member named '{}'", tn, name));
    }
    let kt = value_type_name(vm, k);
    vm.rt_error(&format!("'{}' cannot be indexed with '{}'", tn, kt))
}

/// The callback behind a function pointer cdata, if it is one.
fn callback_of(vm: &mut Vm, v: Value) -> Option<usize> {
    let (ct, p) = cdata_of(v)?;
    let s = st(vm);
    match s.types.kind(ct) {
        Kind::Ptr { to, .. } if s.types.is_func(*to) => {
            // SAFETY: a pointer object holds an address.
            let a = unsafe { (p as *const usize).read_unaligned() } as *const u8;
            s.callbacks.iter().position(|c| c.code == a)
        }
        _ => None,
    }
}

/// `cb:free()`: the callback may no longer be called.
fn cb_free(vm: &mut Vm) -> LuaResult<usize> {
    let Some(i) = callback_of(vm, vm.arg(1)) else {
        return Err(vm.rt_error("bad callback"));
    };
    let cb = &mut st(vm).callbacks[i];
    cb.freed = true;
    let f = std::mem::replace(&mut cb.func, Value::NIL);
    if let Some(pos) = vm.roots.iter().position(|r| r.bits() == f.bits()) {
        vm.roots.swap_remove(pos);
    }
    Ok(0)
}

/// `cb:set(f)`: the callback now calls `f`.
fn cb_set(vm: &mut Vm) -> LuaResult<usize> {
    let Some(i) = callback_of(vm, vm.arg(1)) else {
        return Err(vm.rt_error("bad callback"));
    };
    let f = vm.check_func(2)?;
    if st(vm).callbacks[i].freed {
        return Err(vm.rt_error("bad callback"));
    }
    vm.roots.push(f);
    st(vm).callbacks[i].func = f;
    Ok(0)
}

fn cd_index(vm: &mut Vm) -> LuaResult<usize> {
    let (obj, k) = (vm.arg(1), vm.arg(2));
    if let Some(name) = k.as_str_ptr() {
        let m: Option<(lunatrace_vm::object::NativeFn, &'static str)> = match Str::bytes(name) {
            b"free" => Some((cb_free, "free")),
            b"set" => Some((cb_set, "set")),
            _ => None,
        };
        if let (Some((m, mname)), Some(_)) = (m, callback_of(vm, obj)) {
            let f = vm.new_native(m, mname);
            vm.push(f);
            return Ok(1);
        }
    }
    let v = match locate(vm, obj, k)? {
        Some((ct, p, Some(name))) => load_field(vm, ct, &name, p),
        Some((ct, p, None)) => to_lua(vm, ct, p),
        None => match meta_index(vm, obj, k, None)? {
            Some(v) => v,
            None => return Err(index_error(vm, obj, k)),
        },
    };
    vm.push(v);
    Ok(1)
}

fn cd_newindex(vm: &mut Vm) -> LuaResult<usize> {
    let (obj, k, v) = (vm.arg(1), vm.arg(2), vm.arg(3));
    match locate(vm, obj, k)? {
        Some((ct, p, name)) => {
            let fty = match &name {
                Some(n) => st(vm).types.field(ct, n).map(|f| f.ty).unwrap_or(ct),
                None => ct,
            };
            // A member of a const struct is const too.
            let container_const = name.is_some() && st(vm).types.is_const(ct);
            if container_const || st(vm).types.is_const(fty) {
                return Err(vm.rt_error("attempt to write to constant location"));
            }
            match name {
                Some(n) => store_field(vm, ct, &n, p, v)?,
                None => from_lua(vm, ct, p, v, true)?,
            }
        }
        None => {
            if meta_index(vm, obj, k, Some(v))?.is_none() {
                return Err(index_error(vm, obj, k));
            }
        }
    }
    Ok(0)
}

fn cd_call(vm: &mut Vm) -> LuaResult<usize> {
    let obj = vm.arg(1);
    // (Up to 8 arguments without allocating: a constructor in a loop.)
    let mut buf = [Value::NIL; 8];
    let heap_args: Vec<Value>;
    let nargs = vm.nargs().saturating_sub(1);
    let args: &[Value] = if nargs <= buf.len() {
        for (i, slot) in buf.iter_mut().enumerate().take(nargs) {
            *slot = vm.arg(i + 2);
        }
        &buf[..nargs]
    } else {
        heap_args = (2..=vm.nargs()).map(|i| vm.arg(i)).collect();
        &heap_args
    };
    if let Some(ct) = ctype_of_obj(obj) {
        // A ctype called is a constructor (a metatype `__new` wins).
        if let Some(mt) = metatype_of(vm, obj) {
            let h = lunatrace_vm::table::get(mt, st(vm).key_new);
            if !h.is_nil() {
                let mut a = vec![obj];
                a.extend(args);
                let r = vm.call1(h, &a)?;
                vm.push(r);
                return Ok(1);
            }
        }
        let (n, init) = if st(vm).types.is_vla(ct) {
            let n = args.first().and_then(|v| v.as_num()).unwrap_or(0.0) as u64;
            (Some(n), &args[1.min(args.len())..])
        } else {
            (None, args)
        };
        let v = cnew(vm, ct, n, init)?;
        vm.push(v);
        return Ok(1);
    }
    if let Some((ct, p)) = cdata_of(obj) {
        let s = st(vm);
        let (ct, p) = deref(s, ct, p);
        let target = match s.types.kind(ct) {
            // SAFETY: function cdata hold the function's address.
            Kind::Func(_) => Some((ct, unsafe { (p as *const usize).read() })),
            Kind::Ptr { to, .. } if s.types.is_func(*to) => {
                // SAFETY: a pointer object holds an address.
                Some((*to, unsafe { (p as *const usize).read_unaligned() }))
            }
            _ => None,
        };
        if let Some((ft, addr)) = target {
            if addr == 0 {
                return Err(vm.rt_error("attempt to call a NULL function pointer"));
            }
            return call_c(vm, ft, addr as *const u8, args);
        }
        if let Some(mt) = metatype_of(vm, obj) {
            let h = vm.mt_get(mt, MM::Call);
            if !h.is_nil() {
                let mut a = vec![obj];
                a.extend(args);
                let r = vm.call_values(h, &a)?;
                let n = r.len();
                for x in r {
                    vm.push(x);
                }
                return Ok(n);
            }
        }
        let tn = st(vm).types.type_name(ct);
        return Err(vm.rt_error(&format!("'{}' is not callable", tn)));
    }
    Err(vm.rt_error("cdata expected"))
}

macro_rules! arith_mm {
    ($($name:ident => $ev:ident),*) => {$(
        fn $name(vm: &mut Vm) -> LuaResult<usize> {
            let (a, b) = (vm.arg(1), vm.arg(2));
            let r = arith::arith(vm, MM::$ev, a, b)?;
            vm.push(r);
            Ok(1)
        }
    )*};
}
arith_mm!(cd_add => Add, cd_sub => Sub, cd_mul => Mul, cd_div => Div, cd_mod => Mod,
          cd_pow => Pow, cd_unm => Unm, cd_concat => Concat);

macro_rules! cmp_mm {
    ($($name:ident => $ev:ident),*) => {$(
        fn $name(vm: &mut Vm) -> LuaResult<usize> {
            let (a, b) = (vm.arg(1), vm.arg(2));
            let r = arith::compare(vm, MM::$ev, a, b)?;
            vm.push(Value::bool(r));
            Ok(1)
        }
    )*};
}
cmp_mm!(cd_eq => Eq, cd_lt => Lt, cd_le => Le);

fn cd_len(vm: &mut Vm) -> LuaResult<usize> {
    let obj = vm.arg(1);
    if let Some(mt) = metatype_of(vm, obj) {
        let h = vm.mt_get(mt, MM::Len);
        if !h.is_nil() {
            let r = vm.call1(h, &[obj])?;
            vm.push(r);
            return Ok(1);
        }
    }
    let tn = value_type_name(vm, obj);
    Err(vm.rt_error(&format!("attempt to get length of '{}'", tn)))
}

fn cd_tostring(vm: &mut Vm) -> LuaResult<usize> {
    let obj = vm.arg(1);
    if let Some(mt) = metatype_of(vm, obj) {
        let h = vm.mt_get(mt, MM::ToString);
        if !h.is_nil() {
            let r = vm.call1(h, &[obj])?;
            vm.push(r);
            return Ok(1);
        }
    }
    let text = cdata_text(vm, obj);
    let s = vm.intern(text.as_bytes());
    vm.push(s);
    Ok(1)
}

/// `tostring` of a cdata without a metatype `__tostring`.
pub fn cdata_text(vm: &mut Vm, obj: Value) -> String {
    if let Some(ct) = ctype_of_obj(obj) {
        return format!("ctype<{}>", st(vm).types.type_name(ct));
    }
    let Some((ct, p)) = cdata_of(obj) else {
        return String::new();
    };
    let s = st(vm);
    if let Some((re, im)) = crate::cdata::read_complex(s, ct, p) {
        return crate::cdata::complex_text(re, im);
    }
    if let Kind::Int { size: 8, unsigned } = s.types.kind(ct) {
        // SAFETY: an 8-byte integer.
        let i = unsafe { (p as *const i64).read() };
        return if *unsigned {
            format!("{}ULL", i as u64)
        } else {
            format!("{}LL", i)
        };
    }
    if let Kind::Enum(_) = s.types.kind(ct) {
        // SAFETY: an enum object (4 bytes).
        let i = unsafe { (p as *const i32).read() };
        return format!("cdata<{}>: {}", s.types.type_name(ct), i);
    }
    let addr = match s.types.kind(ct) {
        // SAFETY: pointers, references and function cdata hold addresses.
        Kind::Ptr { .. } | Kind::Func(_) => unsafe { (p as *const usize).read_unaligned() },
        _ => p as usize,
    };
    let tn = s.types.type_name(ct);
    if addr == 0 {
        format!("cdata<{}>: NULL", tn)
    } else {
        format!("cdata<{}>: {:#x}", tn, addr)
    }
}
