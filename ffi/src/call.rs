//! Calls between Lua and C: C functions called from the interpreter
//! through per-signature thunks, and Lua functions turned into C function
//! pointers (callbacks). A Lua error raised inside C (by the C API or a
//! callback) unwinds through the C frames as `error::Throw` and is caught
//! here, at the call.

use crate::abi::{AbiSig, AbiType};
use crate::cdata::{cdata_of, deref, from_lua, new_cdata, read_int, to_lua};
use crate::ctype::{ids, CTypeId, Kind};
use crate::state::{st, Callback};
use lunatrace_vm::error::Throw;
use lunatrace_vm::value::LuaType;
use lunatrace_vm::{LuaError, LuaResult, Value, Vm};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The C type a variadic argument is passed as.
fn vararg_type(vm: &mut Vm, v: Value) -> LuaResult<CTypeId> {
    if v.is_num() {
        return Ok(ids::DOUBLE);
    }
    if v.is_str() {
        return Ok(ids::P_CCHAR);
    }
    if v.is_nil() {
        return Ok(ids::P_VOID);
    }
    if v.lua_type() == LuaType::Boolean {
        return Ok(ids::INT32);
    }
    if let Some((ct, p)) = cdata_of(v) {
        let s = st(vm);
        let (ct, _) = deref(s, ct, p);
        return Ok(match s.types.kind(ct).clone() {
            Kind::Float => ids::DOUBLE,
            Kind::Int { size, .. } if size < 4 => ids::INT32,
            Kind::Array { elem, .. } => s.types.ptr_to(elem, 0, false),
            Kind::Record(_) => ct,
            _ => s.types.unqualified(ct),
        });
    }
    Err(vm.rt_error(&format!("cannot convert '{}' to 'void *'", v.type_name())))
}

/// What a call of a function type needs, prepared once per fixed-arity
/// type (`FfiState::calls`) or per call for variadic ones.
pub struct CallInfo {
    /// Parameter types (declared, then the variadic arguments').
    pub types: Vec<CTypeId>,
    pub ret: CTypeId,
    pub sig: AbiSig,
    pub thunk: crate::abi::ThunkFn,
}

/// The call plan of function type `ft` for `args`.
fn call_info(vm: &mut Vm, ft: CTypeId, args: &[Value]) -> LuaResult<std::rc::Rc<CallInfo>> {
    if let Some(ci) = st(vm).calls.get(&ft) {
        if ci.types.len() == args.len() {
            return Ok(ci.clone());
        }
    }
    let f = st(vm).types.func(ft).expect("function type").clone();
    if args.len() < f.params.len() || (!f.vararg && args.len() > f.params.len()) {
        return Err(vm.rt_error("wrong number of arguments for function call"));
    }
    let mut extra = Vec::new();
    for &v in &args[f.params.len()..] {
        extra.push(vararg_type(vm, v)?);
    }
    let sig = st(vm)
        .types
        .abi_sig(ft, &extra)
        .map_err(|e| vm.rt_error(&e))?;
    let thunk = thunk_for(vm, &sig)?;
    let ci = std::rc::Rc::new(CallInfo {
        types: f.params.iter().map(|p| p.1).chain(extra).collect(),
        ret: f.ret,
        sig,
        thunk,
    });
    if !f.vararg {
        st(vm).calls.insert(ft, ci.clone());
    }
    Ok(ci)
}

/// Call the C function at `addr` of function type `ft` with `args`; the
/// results (0 or 1) are pushed as Lua values.
pub fn call_c(vm: &mut Vm, ft: CTypeId, addr: *const u8, args: &[Value]) -> LuaResult<usize> {
    let ci = call_info(vm, ft, args)?;
    // Arguments: scalars in their slots, aggregates in buffers.
    let mut slots = [0u64; 16];
    let mut many = Vec::new();
    let slots: &mut [u64] = if args.len() <= 16 {
        &mut slots[..args.len()]
    } else {
        many.resize(args.len(), 0);
        &mut many
    };
    let mut bufs: Vec<Vec<u64>> = Vec::new();
    for (i, (&v, &ct)) in args.iter().zip(&ci.types).enumerate() {
        match &ci.sig.args[i] {
            AbiType::Scalar(_) => {
                let mut tmp = [0u8; 16];
                from_lua(vm, ct, tmp.as_mut_ptr(), v, false)
                    .map_err(|e| arg_error(vm, i, e, ft))?;
                slots[i] = widen(vm, ct, &tmp);
            }
            AbiType::Struct { size, .. } => {
                let mut b = vec![0u64; (*size as usize).div_ceil(8).max(1)];
                from_lua(vm, ct, b.as_mut_ptr() as *mut u8, v, true)
                    .map_err(|e| arg_error(vm, i, e, ft))?;
                slots[i] = b.as_ptr() as u64;
                bufs.push(b);
            }
        }
    }
    let rsize = match &ci.sig.ret {
        Some(AbiType::Struct { size, .. }) => *size as usize,
        _ => 8,
    };
    let mut small = [0u64; 2];
    let mut big = Vec::new();
    let ret: &mut [u64] = if rsize <= 16 {
        &mut small
    } else {
        big.resize(rsize.div_ceil(8), 0);
        &mut big
    };
    vm.ffi_depth += 1;
    let thunk = ci.thunk;
    // SAFETY: the thunk matches the declared signature of `addr`; argument
    // slots and buffers outlive the call. Whether the declaration is right
    // is the program's responsibility, as in C.
    let r = catch_unwind(AssertUnwindSafe(|| unsafe {
        thunk(addr, slots.as_ptr(), ret.as_mut_ptr() as *mut u8)
    }));
    vm.ffi_depth -= 1;
    crate::lib_ffi::save_errno(vm);
    drop(bufs);
    if let Err(p) = r {
        return match p.downcast::<Throw>() {
            Ok(t) => Err(t.0),
            Err(p) => resume_unwind(p),
        };
    }
    if st(vm).types.is_void(ci.ret) {
        return Ok(0);
    }
    let v = result_value(vm, ci.ret, ret.as_mut_ptr() as *mut u8);
    vm.push(v);
    Ok(1)
}

/// A C result at `p` (a temporary buffer) as a Lua value: aggregates are
/// copied into a new cdata.
fn result_value(vm: &mut Vm, rt: CTypeId, p: *mut u8) -> Value {
    let s = st(vm);
    if matches!(s.types.kind(rt), Kind::Record(_)) {
        let size = s.types.size_of(rt).unwrap_or(0) as usize;
        let (v, q) = new_cdata(vm, rt, size);
        // SAFETY: `size` bytes in both.
        unsafe { std::ptr::copy_nonoverlapping(p, q, size) };
        return v;
    }
    to_lua(vm, rt, p)
}

fn arg_error(vm: &mut Vm, i: usize, e: LuaError, ft: CTypeId) -> LuaError {
    let fname = st(vm)
        .fn_names
        .get(&ft)
        .cloned()
        .unwrap_or_else(|| "?".into());
    let msg = vm.tostring_basic(e.value);
    let msg = match msg.split_once(": ") {
        Some((pos, m)) if pos.contains(':') => m.to_string(),
        _ => msg,
    };
    vm.rt_error(&format!("bad argument #{} to '{}' ({})", i + 1, fname, msg))
}

/// An argument slot per the thunk protocol: integers extended to 64 bits.
fn widen(vm: &mut Vm, ct: CTypeId, tmp: &[u8; 16]) -> u64 {
    let s = st(vm);
    if let Some((size, unsigned)) = s.types.int_info(ct) {
        // SAFETY: `tmp` holds the converted integer.
        return unsafe { read_int(tmp.as_ptr(), size, unsigned) } as u64;
    }
    u64::from_le_bytes(tmp[..8].try_into().unwrap())
}

fn thunk_for(vm: &mut Vm, sig: &AbiSig) -> LuaResult<crate::abi::ThunkFn> {
    let s = st(vm);
    if let Some(&t) = s.thunks.get(sig) {
        return Ok(t);
    }
    let Some(code) = s.code.as_mut() else {
        return Err(vm.rt_error("NYI: FFI calls in an interpreter-only build"));
    };
    let t = code.thunk(sig).map_err(|e| vm.rt_error(&e))?;
    st(vm).thunks.insert(sig.clone(), t);
    Ok(t)
}

/// What a callback's `ctx` points to.
struct CbCtx {
    vm: *mut Vm,
    idx: usize,
}

/// A C function pointer for Lua function `f` with function type `ft`.
pub fn make_callback(vm: &mut Vm, f: Value, ft: CTypeId) -> LuaResult<*const u8> {
    let sig = st(vm).types.abi_sig(ft, &[]).map_err(|e| vm.rt_error(&e))?;
    let idx = st(vm).callbacks.len();
    let ctx = Box::into_raw(Box::new(CbCtx {
        vm: vm as *mut Vm,
        idx,
    })) as usize;
    let s = st(vm);
    let Some(code) = s.code.as_mut() else {
        return Err(vm.rt_error("NYI: FFI callbacks in an interpreter-only build"));
    };
    let p = code
        .callback(&sig, dispatch, ctx)
        .map_err(|e| vm.rt_error(&e))?;
    vm.roots.push(f);
    st(vm).callbacks.push(Callback {
        func: f,
        ftype: ft,
        code: p,
        freed: false,
    });
    Ok(p)
}

/// Raise `e` through the C frames to the FFI call (or the C API boundary).
fn throw(e: LuaError) -> ! {
    resume_unwind(Box::new(Throw(e)))
}

/// Entry of every callback: converts the C arguments, runs the Lua
/// function (through the re-entrancy guard) and stores the result.
unsafe extern "C-unwind" fn dispatch(ctx: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: `ctx` is the CbCtx made for this callback; the VM outlives
    // its callbacks' use (C calling a callback after `lua_close` is UB in
    // LuaJIT too).
    let (vm, idx) = unsafe {
        let c = &*(ctx as *const CbCtx);
        (&mut *c.vm, c.idx)
    };
    let entry = match lunatrace_vm::jitrt::guard_vm_entry(vm) {
        Ok(e) => e,
        Err(msg) => {
            let m = vm.intern(msg.as_bytes());
            if vm.sandwich == lunatrace_vm::jitrt::Sandwich::Error {
                throw(LuaError::runtime(m));
            }
            if let Some(h) = vm.panic_hook {
                h(vm, m);
            }
            eprintln!("PANIC: unprotected error in call to Lua API ({})", msg);
            std::process::exit(1);
        }
    };
    let (func, ft, freed) = {
        let c = &st(vm).callbacks[idx];
        (c.func, c.ftype, c.freed)
    };
    if freed {
        let e = vm.rt_error("bad callback");
        throw(e);
    }
    let f = st(vm).types.func(ft).expect("function type").clone();
    let mut vals = Vec::with_capacity(f.params.len());
    for (i, &(_, pt)) in f.params.iter().enumerate() {
        // SAFETY: the callback stored one slot per parameter.
        let slot = unsafe { args.add(i) } as *mut u8;
        let v = if st(vm).types.is_record(pt) {
            // SAFETY: an aggregate slot holds a pointer to its bytes.
            result_value(vm, pt, unsafe { *(slot as *const *mut u8) })
        } else {
            to_lua(vm, pt, slot)
        };
        vals.push(v);
    }
    let r = vm.call_values(func, &vals);
    lunatrace_vm::jitrt::end_vm_entry(vm, entry);
    let r = match r {
        Ok(r) => r,
        Err(e) => throw(e),
    };
    if !st(vm).types.is_void(f.ret) {
        let v = r.first().copied().unwrap_or(Value::NIL);
        if let Err(e) = from_lua(vm, f.ret, ret, v, false) {
            throw(e);
        }
    }
}
