//! What the VM's string buffer library (`lunatrace_vm::lib_buffer`)
//! needs from the FFI, installed into `Vm::sbufs.ffi` by `lib_ffi::install`:
//! `uint8_t *` results of `buf:reserve()`/`buf:ref()`, the bytes behind a
//! cdata for `buf:putcdata()`/`buf:set(cdata, len)`, and the serializer's
//! `int64_t`/`uint64_t`/`complex` cdata (tags 0x10, 0x11, 0x12, payloads
//! little-endian).

use crate::cdata::{cdata_of, deref, new_cdata, value_type_name};
use crate::ctype::{ids, Kind};
use crate::state::st;
use lunatrace_vm::lib_buffer::{tag, FfiHooks};
use lunatrace_vm::{Value, Vm};

/// The hooks, for `Vm::sbufs.ffi`.
pub fn hooks() -> FfiHooks {
    FfiHooks {
        new_u8ptr,
        read,
        encode,
        decode,
    }
}

/// A `uint8_t *` cdata holding `addr`.
fn new_u8ptr(vm: &mut Vm, addr: usize) -> Value {
    let (v, p) = new_cdata(vm, ids::P_UINT8, 8);
    // SAFETY: 8 fresh payload bytes.
    unsafe { (p as *mut usize).write(addr) };
    v
}

/// Append `len` bytes at the address cdata `v` converts to as a
/// `const void *` (pointers, arrays, structs, functions; references to
/// them), as LuaJIT's `putcdata` takes it.
fn read(vm: &mut Vm, v: Value, len: usize, out: &mut Vec<u8>) -> Result<(), String> {
    let addr = {
        let s = st(vm);
        let (ct, p) = cdata_of(v).map(|(ct, p)| deref(s, ct, p)).unzip();
        match (ct.map(|ct| s.types.kind(ct)), p) {
            // SAFETY: a pointer or function object holds an address.
            (Some(Kind::Ptr { .. } | Kind::Func(_)), Some(p)) => unsafe {
                (p as *const usize).read_unaligned()
            },
            (Some(Kind::Array { .. } | Kind::Record(_)), Some(p)) => p as usize,
            _ => {
                let from = value_type_name(vm, v);
                let to = st(vm).types.type_name(ids::P_CVOID);
                return Err(format!("cannot convert '{}' to '{}'", from, to));
            }
        }
    };
    if len > 0 {
        // SAFETY: the program vouches for `len` readable bytes at the
        // address it passed (as with LuaJIT's `putcdata`).
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(addr as *const u8, len) });
    }
    Ok(())
}

/// Serialize an 8-byte integer or a `complex` (double) cdata.
fn encode(vm: &mut Vm, v: Value, out: &mut Vec<u8>) -> bool {
    let Some((ct, p)) = cdata_of(v) else {
        return false;
    };
    let (t, n) = match st(vm).types.kind(ct) {
        Kind::Int {
            size: 8,
            unsigned: false,
        } => (tag::INT64, 8),
        Kind::Int { size: 8, .. } => (tag::UINT64, 8),
        Kind::Complex { size: 16 } => (tag::COMPLEX, 16),
        _ => return false,
    };
    out.push(t);
    // SAFETY: the cdata's payload holds an object of `n` bytes.
    out.extend_from_slice(unsafe { std::slice::from_raw_parts(p, n) });
    true
}

/// The cdata of serialized tag `t` from its payload bytes `b` (8 or 16).
fn decode(vm: &mut Vm, t: u32, b: &[u8]) -> Value {
    let ct = match t as u8 {
        tag::INT64 => ids::INT64,
        tag::UINT64 => ids::UINT64,
        _ => ids::COMPLEX,
    };
    let (v, p) = new_cdata(vm, ct, b.len());
    // SAFETY: `b.len()` fresh payload bytes.
    unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), p, b.len()) };
    v
}
