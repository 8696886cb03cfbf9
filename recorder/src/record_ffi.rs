//! Recording FFI operations (DESIGN §6, §8): `ns.name` on a C library
//! namespace (`ffi.C`, `ffi.load`) yields the C function as a constant
//! (the namespace is guarded), and calling it becomes `CALLC`, a direct
//! native call with arguments converted from numbers, strings or nil.
//! Each call is followed by `REENTRY`, which leaves the trace right after
//! the call (with its result) when the call re-entered Lua under the
//! `exit` policy.

use crate::record::{Abort, Recorder};
use lunatrace_ffi::cdata::cdata_of;
use lunatrace_ffi::ctype::Kind;
use lunatrace_ffi::state::FfiState;
use lunatrace_ir::{CScalar, CSig, Const, Op, Ref, Ty};
use lunatrace_vm::{Value, Vm};

fn ffi_state(vm: &Vm) -> Option<&FfiState> {
    vm.ffi.as_ref().and_then(|f| f.downcast_ref::<FfiState>())
}

/// How a C value of type `ct` passes through a compiled call.
fn scalar_of(st: &FfiState, ct: u32) -> Option<CScalar> {
    match st.types.kind(ct) {
        Kind::Int { size, unsigned } => Some(CScalar::Int {
            size: *size,
            signed: !unsigned,
        }),
        Kind::Enum(_) => Some(CScalar::Int {
            size: 4,
            signed: true,
        }),
        Kind::Float => Some(CScalar::F32),
        Kind::Double => Some(CScalar::F64),
        Kind::Ptr {
            reference: false, ..
        } => Some(CScalar::Ptr),
        _ => None,
    }
}

impl Recorder {
    /// `TGETS a, b, "name"` where slot `b` holds a C library namespace:
    /// records the (already resolved) C function as a constant. Returns
    /// false if `b` is not a namespace.
    pub(crate) fn ffi_clib_get(
        &mut self,
        vm: &Vm,
        a: u32,
        b: u32,
        key: Value,
    ) -> Result<bool, Abort> {
        let ov = self.val(vm, b);
        let (Some(u), Some(st)) = (ov.as_udata_ptr(), ffi_state(vm)) else {
            return Ok(false);
        };
        // SAFETY: a live userdata.
        let (meta, env) = unsafe { ((*u.as_ptr()).meta, (*u.as_ptr()).env) };
        if st.clib_meta.as_table_ptr().map(|m| m.as_ptr()) != Some(meta) {
            return Ok(false);
        }
        let Some(env) = std::ptr::NonNull::new(env) else {
            return Err("NYI: C namespace without cache".into());
        };
        let f = lunatrace_vm::table::get(env, key);
        if !f.is_cdata() {
            return Err("NYI: C symbol not resolved yet or not a function".into());
        }
        let o = self.slot(vm, b)?;
        let k = self.kptr(u.as_ptr() as u64, Ty::Udata);
        self.t.emit(Op::EQ, Ty::Void, o, k);
        let fr = self.kptr(f.payload(), Ty::Cdata);
        self.set(a, fr)?;
        self.roots.push(ov);
        self.roots.push(f);
        Ok(true)
    }

    /// `CALL` of the C function `fv` in slot `a`.
    pub(crate) fn ffi_call(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fv: Value,
    ) -> Result<(), Abort> {
        let site = (self.cur_proto().as_ptr() as usize, pc);
        if self.ffi_banned.contains(&site) {
            return Err("NYI: C call that re-entered the VM".into());
        }
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        // The callee must be the constant from a namespace lookup.
        let want = self.kptr(fv.payload(), Ty::Cdata);
        let s = (self.cur_base() + a) as usize;
        if self.slots.get(s).copied().flatten() != Some(want) {
            return Err("NYI: call of a C function value".into());
        }
        let (ct, p) = cdata_of(fv).ok_or("NYI: call of a cdata")?;
        let Some(f) = st.types.func(ct) else {
            return Err("NYI: call of a non-function cdata".into());
        };
        if f.vararg || nargs < 0 || nargs as usize != f.params.len() || !(0..=1).contains(&nres) {
            return Err("NYI: C call with varargs or unusual arguments/results".into());
        }
        let params: Vec<u32> = f.params.iter().map(|p| p.1).collect();
        let ret_ct = f.ret;
        let ret = if st.types.is_void(ret_ct) {
            None
        } else {
            match scalar_of(st, ret_ct) {
                Some(r @ (CScalar::Int { size: 1..=4, .. } | CScalar::F32 | CScalar::F64)) => {
                    Some(r)
                }
                _ => return Err("NYI: C call result type".into()),
            }
        };
        let mut args = Vec::new();
        let mut refs = Vec::new();
        for (i, &pt) in params.iter().enumerate() {
            let sc = scalar_of(st, pt).ok_or("NYI: C call argument type")?;
            let slot = a + 1 + i as u32;
            let v = self.val(vm, slot);
            let r = match sc {
                CScalar::Ptr if v.is_str() => self.slot(vm, slot)?,
                CScalar::Ptr if v.is_nil() => {
                    self.slot(vm, slot)?;
                    self.kptr(0, Ty::Ptr)
                }
                CScalar::Ptr => return Err("NYI: C pointer argument from this value".into()),
                _ if v.is_num() => self.num_slot(vm, slot)?,
                _ => return Err("NYI: C number argument from this value".into()),
            };
            args.push(sc);
            refs.push(r);
        }
        // SAFETY: a function cdata holds the function's address.
        let addr = unsafe { (p as *const usize).read() };
        let mut chain = self.t.konst(Const::Ptr(addr as u64, Ty::Ptr));
        for r in refs {
            chain = self.t.emit(Op::CARG, Ty::Void, chain, r);
        }
        let idx = self.t.csigs.len() as i32;
        self.t.csigs.push(CSig { args, ret });
        let ty = if ret.is_some() { Ty::Num } else { Ty::Void };
        let r = self.t.emit(Op::CALLC, ty, chain, Ref(idx));
        if nres == 1 {
            let v = if ret.is_some() { r } else { self.kpri(Ty::Nil) };
            self.set(a, v)?;
        }
        self.ffi_sites.push(site);
        // Leave right after the call if it re-entered Lua.
        self.snap(pc + 1);
        self.t.emit(Op::REENTRY, Ty::Void, Ref::NONE, Ref::NONE);
        Ok(())
    }
}
