//! The interpreter's shortcuts for indexing cdata (`Vm::cdata_index`,
//! `Vm::cdata_newindex`, installed with the FFI): `p.field`, `p[i]`,
//! `a[i] = n`, `s.x = n` on a pointer, array or struct, done directly
//! instead of through the cdata metatable's `__index`/`__newindex`
//! natives (metamethod lookup, native frame, member name copied). Only
//! the cases that cannot fail or run Lua are taken: anything else (a
//! missing member, a bit field, a const target, a metatype's handler, a
//! conversion that may fail, an int64 index) answers "not here" and the
//! metamethod runs as before, with its errors and handlers.

use crate::cdata::{cdata_of, deref, from_lua, to_lua};
use crate::ctype::{CTypeId, Kind};
use crate::state::st;
use lunatrace_vm::object::Str;
use lunatrace_vm::{Value, Vm};

/// Where `obj[k]` lives when it is a plain element or member: (its type,
/// its address, whether it is read-only: a const type or a member of a
/// const struct).
fn place(vm: &mut Vm, obj: Value, k: Value) -> Option<(CTypeId, *mut u8, bool)> {
    let (ct, p) = cdata_of(obj)?;
    let s = st(vm);
    let (ct, p) = deref(s, ct, p);
    let (rec, base) = match s.types.kind(ct) {
        &Kind::Ptr { to, .. } | &Kind::Array { elem: to, .. } => {
            let base = if matches!(s.types.kind(ct), Kind::Ptr { .. }) {
                // SAFETY: a pointer object holds an address.
                unsafe { (p as *const usize).read_unaligned() }
            } else {
                p as usize
            };
            if let Some(f) = k.as_num() {
                // (The element's address as the metamethod computes it.)
                let esize = s.types.size_of(to)? as i64;
                let a = (base as i64).wrapping_add(crate::cdata::cvt_i64(f).wrapping_mul(esize));
                return Some((to, a as *mut u8, s.types.is_const(to)));
            }
            (to, base as *mut u8)
        }
        Kind::Record(_) => (ct, p),
        _ => return None,
    };
    let name = k.as_str_ptr()?;
    let fi = s.types.field_bytes(rec, Str::bytes(name))?;
    if fi.bits.is_some() {
        return None;
    }
    let ro = s.types.is_const(rec) || s.types.is_const(fi.ty);
    // SAFETY: the member lies inside the record.
    Some((fi.ty, unsafe { base.add(fi.offset as usize) }, ro))
}

/// `obj[k]` for a cdata `obj`, or None (the `__index` metamethod decides).
pub fn index(vm: &mut Vm, obj: Value, k: Value) -> Option<Value> {
    let (ty, addr, _) = place(vm, obj, k)?;
    Some(to_lua(vm, ty, addr))
}

/// `obj[k] = v` of a number into a numeric element or member: whether it
/// was stored (else the `__newindex` metamethod runs).
pub fn newindex(vm: &mut Vm, obj: Value, k: Value, v: Value) -> bool {
    if !v.is_num() {
        return false;
    }
    let Some((ty, addr, ro)) = place(vm, obj, k) else {
        return false;
    };
    if ro
        || !matches!(
            st(vm).types.kind(ty),
            Kind::Int { .. } | Kind::Float | Kind::Double
        )
    {
        return false;
    }
    // (A number converts to these types without an error.)
    from_lua(vm, ty, addr, v, false).is_ok()
}
