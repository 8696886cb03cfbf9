//! Recording FFI operations (ARCHITECTURE.md: FFI and the sandwich): `ns.name` on a C library
//! namespace (`ffi.C`, `ffi.load`) yields the C function as a constant
//! (the namespace is guarded), and calling it becomes `CALLC`, a direct
//! native call with arguments converted from numbers, strings or nil.
//! Each call is followed by `REENTRY`, which leaves the trace right after
//! the call (with its result) when the call re-entered Lua under the
//! `exit` policy.

use crate::record::{Abort, Recorder};
use lunatrace_ffi::cdata::{cdata_of, VIRTUAL_PTR};
use lunatrace_ffi::ctype::Kind;
use lunatrace_ffi::state::FfiState;
use lunatrace_ir::{CScalar, CSig, Const, Op, Ref, Ty};
use lunatrace_vm::{value::LuaType, Value, Vm};

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
        Kind::Enum(e) => st
            .types
            .int_info(e.underlying)
            .map(|(size, unsigned)| CScalar::Int {
                size,
                signed: !unsigned,
            }),
        Kind::Float => Some(CScalar::F32),
        Kind::Double => Some(CScalar::F64),
        Kind::Ptr {
            reference: false, ..
        } => Some(CScalar::Ptr),
        _ => None,
    }
}

/// A pointer type a virtual pointer cdata can carry as its type operand
/// (not a reference, no qualifiers or alignment on the pointer itself).
fn plain_ptr(st: &FfiState, ct: u32) -> bool {
    let c = st.types.get(ct);
    matches!(
        c.kind,
        Kind::Ptr {
            reference: false,
            ..
        }
    ) && c.qual == 0
        && c.align_attr.is_none()
}

/// An operand of integer cdata arithmetic: a slot or a number constant.
#[derive(Copy, Clone)]
enum IntOp {
    Slot(u32),
    Num(f64),
}

/// Size and unsignedness of integer (or enum) type `ct`.
fn int_kind(st: &FfiState, ct: u32) -> Option<(u8, bool)> {
    match st.types.kind(ct) {
        Kind::Int { .. } | Kind::Enum(_) => st.types.int_info(ct),
        _ => None,
    }
}

/// A number or integer cdata as the FFI's integer arithmetic sees it: the
/// value and whether it is `uint64_t`.
fn int_value(st: &FfiState, v: Value) -> Option<(i64, bool)> {
    if let Some(n) = v.as_num() {
        return Some((lunatrace_ffi::cdata::cvt_i64(n), false));
    }
    let (ct, p) = cdata_of(v)?;
    let (size, u) = int_kind(st, ct)?;
    // SAFETY: an integer cdata of that size.
    Some((
        unsafe { lunatrace_ffi::cdata::read_int(p, size, u) },
        u && size == 8,
    ))
}

/// `int_value`'s integer, a number converted as to `uint64_t` when the
/// operation is unsigned (`uctx`).
fn int_value_in(st: &FfiState, v: Value, uctx: bool) -> Option<i64> {
    match v.as_num() {
        Some(n) if uctx => Some(lunatrace_ffi::cdata::num_to_u64(n) as i64),
        _ => int_value(st, v).map(|p| p.0),
    }
}

/// A pointer or array cdata (arithmetic on it is pointer arithmetic).
fn ptr_like(st: &FfiState, v: Value) -> bool {
    cdata_of(v).is_some_and(|(ct, _)| match st.types.kind(ct) {
        Kind::Ptr {
            reference: false, ..
        }
        | Kind::Array { .. } => true,
        Kind::Ptr {
            reference: true,
            to,
        } => matches!(st.types.kind(*to), Kind::Array { .. }),
        _ => false,
    })
}

/// nil or a pointer cdata (compared by address).
fn ptr_or_nil(st: &FfiState, v: Value) -> bool {
    v.is_nil()
        || cdata_of(v).is_some_and(|(ct, _)| {
            matches!(
                st.types.kind(ct),
                Kind::Ptr {
                    reference: false,
                    ..
                }
            )
        })
}

/// Where an indexed cdata lives: the IR address of its object and its C
/// type (after looking through references).
struct CdBase {
    addr: Ref,
    ct: u32,
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
        if lunatrace_ffi::cdata::ctype_of_obj(fv).is_some() {
            // A ctype called: its constructor.
            if nargs < 0 || !(0..=1).contains(&nres) {
                return Err("NYI: ctype call with unusual arguments/results".into());
            }
            let ct = self.ffi_ctype_arg(vm, a)?;
            let r = self.ffi_cnew(vm, ct, a + 1, nargs as u32)?;
            if nres == 1 {
                self.set(a, r)?;
            }
            self.snap(pc + 1);
            self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
            return Ok(());
        }
        let (ct, p) = cdata_of(fv).ok_or("NYI: call of a ctype")?;
        // The callee: the constant from a namespace lookup, or a function
        // or function pointer cdata value (its type guarded, its address
        // loaded).
        let konst = self.kptr(fv.payload(), Ty::Cdata);
        let s = (self.cur_base() + a) as usize;
        let (fty, target) = if self.slots.get(s).copied().flatten() == Some(konst) {
            // SAFETY: a function cdata holds the function's address.
            let addr = unsafe { (p as *const usize).read() };
            (ct, self.t.konst(Const::Ptr(addr as u64, Ty::Ptr)))
        } else {
            let fty = match st.types.kind(ct) {
                Kind::Func(_) => ct,
                Kind::Ptr {
                    to,
                    reference: false,
                } if st.types.is_func(*to) => *to,
                _ => return Err("NYI: call of a non-function cdata".into()),
            };
            (fty, self.cdata_address(vm, st, a)?)
        };
        let Some(f) = st.types.func(fty) else {
            return Err("NYI: call of a non-function cdata".into());
        };
        let nfixed = f.params.len();
        let bad_count = if f.vararg {
            nargs < 0 || (nargs as usize) < nfixed
        } else {
            nargs < 0 || nargs as usize != nfixed
        };
        if bad_count || nres > 1 {
            return Err("NYI: C call with unusual arguments/results".into());
        }
        let params: Vec<u32> = f.params.iter().map(|p| p.1).collect();
        let ret_ct = f.ret;
        let is_rec = |t: u32| matches!(st.types.kind(t), Kind::Record(_));
        if is_rec(ret_ct) || params.iter().any(|&p| is_rec(p)) {
            if f.vararg || nres < 0 {
                return Err("NYI: variadic C call with structs by value".into());
            }
            return self.ffi_call_thunk(vm, st, pc, a, fty, target, nres);
        }
        let ret = if st.types.is_void(ret_ct) {
            None
        } else {
            match scalar_of(st, ret_ct) {
                Some(r @ (CScalar::Int { size: 1..=4, .. } | CScalar::F32 | CScalar::F64)) => {
                    Some(r)
                }
                // A 64-bit integer: raw, a virtual integer cdata.
                Some(CScalar::Int { size: 8, .. }) => Some(CScalar::Ptr),
                // A pointer: a virtual pointer cdata of the result type
                // (boxed only where an exit needs it).
                Some(CScalar::Ptr) if plain_ptr(st, ret_ct) => Some(CScalar::Ptr),
                _ => return Err("NYI: C call result type".into()),
            }
        };
        let mut args = Vec::new();
        let mut refs = Vec::new();
        for (i, &pt) in params.iter().enumerate() {
            let sc = scalar_of(st, pt).ok_or("NYI: C call argument type")?;
            let slot = a + 1 + i as u32;
            let v = self.val(vm, slot);
            let (sc, r) = match sc {
                CScalar::Ptr => (sc, self.ptr_arg(vm, st, slot, pt)?),
                _ if v.is_num() => (sc, self.num_slot(vm, slot)?),
                // A 64-bit integer parameter from integer cdata: raw.
                CScalar::Int { size: 8, .. } => {
                    let (x, _) = self
                        .i64_operand(vm, st, IntOp::Slot(slot))?
                        .ok_or("NYI: C integer argument from this value")?;
                    (CScalar::Ptr, x)
                }
                _ => return Err("NYI: C number argument from this value".into()),
            };
            args.push(sc);
            refs.push(r);
        }
        // Variadic arguments, promoted as the interpreter does: numbers
        // as double, integer cdata as 64-bit integers (wide enough for the
        // `int` of small ones), strings, nil and pointers as pointers.
        for i in nfixed..nargs as usize {
            let slot = a + 1 + i as u32;
            let v = self.val(vm, slot);
            let is_int = cdata_of(v).is_some_and(|(ct, _)| int_kind(st, ct).is_some());
            let (sc, r) = if v.is_num() {
                (CScalar::F64, self.num_slot(vm, slot)?)
            } else if is_int
                || self.virtual_cdata(slot).is_some_and(|(_, l)| {
                    l & VIRTUAL_PTR != 0 && int_kind(st, l & !VIRTUAL_PTR).is_some()
                })
            {
                let (x, _) = self
                    .i64_operand(vm, st, IntOp::Slot(slot))?
                    .ok_or("NYI: variadic C argument")?;
                (CScalar::Ptr, x)
            } else if v.is_str() {
                let r = self.slot(vm, slot)?;
                let k = self
                    .t
                    .konst(Const::Int(lunatrace_vm::object::STR_DATA_OFS as i32));
                (CScalar::Ptr, self.t.emit(Op::XREF, Ty::Ptr, r, k))
            } else if v.is_nil() || v.is_cdata() {
                let is_ptr = cdata_of(v).is_none_or(|(ct, _)| {
                    matches!(
                        st.types.kind(ct),
                        Kind::Ptr {
                            reference: false,
                            ..
                        } | Kind::Array { .. }
                    )
                });
                if !is_ptr {
                    return Err("NYI: variadic C argument of this C type".into());
                }
                (CScalar::Ptr, self.ptr_value(vm, st, slot)?)
            } else {
                return Err(format!("NYI: variadic C argument from a {}", v.type_name()));
            };
            args.push(sc);
            refs.push(r);
        }
        let mut chain = target;
        for r in refs {
            chain = self.t.emit(Op::CARG, Ty::Void, chain, r);
        }
        let idx = self.t.csigs.len() as i32;
        self.t.csigs.push(CSig {
            args,
            ret,
            nfixed,
            thunk: 0,
            sret: false,
        });
        let ty = match ret {
            None => Ty::Void,
            Some(CScalar::Ptr) => Ty::Ptr,
            Some(_) => Ty::Num,
        };
        let r = self.t.emit(Op::CALLC, ty, chain, Ref(idx));
        if nres != 0 {
            let int64 = int_kind(st, ret_ct).filter(|k| k.0 == 8);
            let v = match ret {
                None => self.kpri(Ty::Nil),
                Some(CScalar::Ptr) if int64.is_some() => {
                    use lunatrace_ffi::ctype::ids;
                    let ct = if int64.unwrap().1 {
                        ids::UINT64
                    } else {
                        ids::INT64
                    };
                    self.t
                        .emit(Op::CREF, Ty::CRef, r, Ref((ct | VIRTUAL_PTR) as i32))
                }
                Some(CScalar::Ptr) => {
                    self.t
                        .emit(Op::CREF, Ty::CRef, r, Ref((ret_ct | VIRTUAL_PTR) as i32))
                }
                Some(_) => r,
            };
            self.set(a, v)?;
        }
        self.ffi_sites.push(site);
        // Leave right after the call if it re-entered Lua (never running
        // it again: an exit at a MULTRES consumer after it carries the
        // count, and so do the consumer's own exits).
        let n = u32::from(ret.is_some());
        if nres < 0 {
            let (map, frames) = self.snap_state();
            self.multres = Some((n, pc + 1, map, frames));
        }
        self.snap_multres(pc + 1, n);
        self.t.emit(Op::REENTRY, Ty::Void, Ref::NONE, Ref::NONE);
        Ok(())
    }

    /// A C call with structs passed or returned by value (fixed
    /// arguments; at most one result wanted): through the thunk the
    /// interpreter made for the signature (the call ran interpreted
    /// before it was recorded). A struct argument is a struct cdata or
    /// reference of exactly the parameter's type, passed by address; a
    /// struct result is stored into a new cdata (`CNEW` before the call,
    /// a GC check after it).
    #[allow(clippy::too_many_arguments)]
    fn ffi_call_thunk(
        &mut self,
        vm: &Vm,
        st: &FfiState,
        pc: usize,
        a: u32,
        fty: u32,
        target: Ref,
        nres: i32,
    ) -> Result<(), Abort> {
        let f = st
            .types
            .func(fty)
            .ok_or("NYI: call of a non-function cdata")?;
        let (params, ret_ct) = (f.params.iter().map(|p| p.1).collect::<Vec<_>>(), f.ret);
        let sig = st
            .types
            .abi_sig(fty, &[])
            .map_err(|e| format!("NYI: C call signature: {}", e))?;
        let thunk = *st
            .thunks
            .get(&sig)
            .ok_or("NYI: C call with structs whose thunk is not made yet")?
            as usize as u64;
        let mut args = Vec::new();
        let mut refs = Vec::new();
        for (i, &pt) in params.iter().enumerate() {
            let slot = a + 1 + i as u32;
            let v = self.val(vm, slot);
            let (sc, r) = match st.types.kind(pt) {
                Kind::Record(_) => {
                    let want = st.types.resolve(pt);
                    let r = if let Some((addr, lit)) = self.virtual_cdata(slot) {
                        if lit & VIRTUAL_PTR != 0 || st.types.resolve(lit) != want {
                            return Err("NYI: struct argument from this cdata".into());
                        }
                        addr
                    } else {
                        let Some((ct, _)) = cdata_of(v) else {
                            return Err("NYI: struct argument from this value".into());
                        };
                        let ok = st.types.resolve(ct) == want
                            || matches!(st.types.kind(ct), Kind::Ptr { reference: true, to }
                                if st.types.resolve(*to) == want);
                        if !ok {
                            return Err("NYI: struct argument from this cdata".into());
                        }
                        self.cdata_address(vm, st, slot)?
                    };
                    (CScalar::Ptr, r)
                }
                _ => {
                    let sc = scalar_of(st, pt).ok_or("NYI: C call argument type")?;
                    match sc {
                        CScalar::Ptr => (sc, self.ptr_arg(vm, st, slot, pt)?),
                        CScalar::Int { size: 8, .. } if !v.is_num() => {
                            let (x, _) = self
                                .i64_operand(vm, st, IntOp::Slot(slot))?
                                .ok_or("NYI: C integer argument from this value")?;
                            (CScalar::Ptr, x)
                        }
                        _ if v.is_num() => (sc, self.num_slot(vm, slot)?),
                        _ => return Err("NYI: C number argument from this value".into()),
                    }
                }
            };
            args.push(sc);
            refs.push(r);
        }
        let mut ret = None;
        let mut obj = None;
        let mut sret = false;
        if let Kind::Record(_) = st.types.kind(ret_ct) {
            let size = st
                .types
                .size_of(ret_ct)
                .filter(|&z| z < (1 << 20))
                .ok_or("NYI: struct result of this size")?;
            let o = self
                .t
                .emit_lit(Op::CNEW, Ty::Cdata, ret_ct as i32, size.max(16) as i32);
            let p = self.t.emit(Op::CDPTR, Ty::Ptr, o, Ref::NONE);
            args.push(CScalar::Ptr);
            refs.push(p);
            obj = Some(o);
            sret = true;
        } else if !st.types.is_void(ret_ct) {
            ret = match scalar_of(st, ret_ct) {
                Some(r @ (CScalar::Int { size: 1..=4, .. } | CScalar::F32 | CScalar::F64)) => {
                    Some(r)
                }
                _ => return Err("NYI: C call result type".into()),
            };
        }
        let mut chain = target;
        for r in refs {
            chain = self.t.emit(Op::CARG, Ty::Void, chain, r);
        }
        let idx = self.t.csigs.len() as i32;
        let nfixed = args.len();
        self.t.csigs.push(CSig {
            args,
            ret,
            nfixed,
            thunk,
            sret,
        });
        let ty = if ret.is_some() { Ty::Num } else { Ty::Void };
        let r = self.t.emit(Op::CALLC, ty, chain, Ref(idx));
        if nres == 1 {
            let v = match (obj, ret) {
                (Some(o), _) => o,
                (None, Some(_)) => r,
                (None, None) => self.kpri(Ty::Nil),
            };
            self.set(a, v)?;
        }
        self.ffi_sites
            .push((self.cur_proto().as_ptr() as usize, pc));
        self.snap_multres(pc + 1, u32::from(nres == 1));
        self.t.emit(Op::REENTRY, Ty::Void, Ref::NONE, Ref::NONE);
        if obj.is_some() {
            self.snap(pc + 1);
            self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        }
        Ok(())
    }

    /// The pointer value of slot `s` (a virtual pointer, nil, or a pointer,
    /// function or array cdata).
    fn ptr_value(&mut self, vm: &Vm, st: &FfiState, s: u32) -> Result<Ref, Abort> {
        if let Some((addr, lit)) = self.virtual_cdata(s) {
            if lit & VIRTUAL_PTR == 0 {
                return Err("NYI: reference cdata as a pointer".into());
            }
            return Ok(addr);
        }
        let v = self.val(vm, s);
        if v.is_nil() {
            self.slot(vm, s)?;
            return Ok(self.kptr(0, Ty::Ptr));
        }
        if !v.is_cdata() {
            return Err("NYI: pointer from this value".into());
        }
        self.cdata_address(vm, st, s)
    }

    /// The address the value in slot `s` converts to for a C parameter
    /// or member of pointer type `pt`, as the interpreter converts it
    /// (`cdata::pointer_value`): nil is NULL, a string its bytes (for
    /// byte and `void` pointers), a full userdata its payload, a light
    /// userdata its pointer, a cdata pointer its value, an array, struct
    /// or reference the address of its object. Each is guarded by type
    /// (the slot's type guard, the cdata's C type) and computed inline.
    fn ptr_arg(&mut self, vm: &Vm, st: &FfiState, s: u32, pt: u32) -> Result<Ref, Abort> {
        use lunatrace_vm::object::{STR_DATA_OFS, UDATA_HEADER_SIZE};
        if let Some((addr, lit)) = self.virtual_cdata(s) {
            if lit & VIRTUAL_PTR != 0 {
                return Ok(addr);
            }
            // A virtual reference: the address of its (aggregate) object.
            return match st.types.kind(lit) {
                Kind::Record(_) | Kind::Array { .. } => Ok(addr),
                _ => Err("NYI: reference to a scalar as a pointer".into()),
            };
        }
        let v = self.val(vm, s);
        let offset = |rec: &mut Self, r: Ref, ofs: usize| {
            let k = rec.t.konst(Const::Int(ofs as i32));
            rec.t.emit(Op::XREF, Ty::Ptr, r, k)
        };
        if v.is_nil() {
            self.slot(vm, s)?;
            Ok(self.kptr(0, Ty::Ptr))
        } else if v.is_str() {
            let to = match st.types.kind(pt) {
                Kind::Ptr { to, .. } => *to,
                _ => return Err("NYI: string to this pointer type".into()),
            };
            if !(st.types.is_void(to) || st.types.size_of(to) == Some(1)) {
                return Err("NYI: string to a non-byte pointer".into());
            }
            let r = self.slot(vm, s)?;
            Ok(offset(self, r, STR_DATA_OFS))
        } else if v.as_udata_ptr().is_some() {
            let r = self.slot(vm, s)?;
            Ok(offset(self, r, UDATA_HEADER_SIZE))
        } else if v.lua_type() == LuaType::LightUserdata {
            self.slot(vm, s)
        } else if v.is_cdata() {
            self.cdata_address(vm, st, s)
        } else {
            Err(format!("NYI: C pointer from a {}", v.type_name()))
        }
    }

    /// `p + n`, `n + p`, `p - n` on a pointer or array cdata: a virtual
    /// pointer. Other arithmetic on cdata is not compiled.
    pub(crate) fn ffi_arith(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let (o, a, b, c) = (bc::op(ins), bc::a(ins), bc::b(ins), bc::c(ins));
        let vv = (opc::ADDVV..=opc::MODVV).contains(&o) || o == opc::POW;
        let ptr = ptr_like(st, self.val(vm, b)) || (vv && ptr_like(st, self.val(vm, c)));
        if !ptr {
            return self.ffi_int_arith(vm, st, ins);
        }
        let add = matches!(o, opc::ADDVV | opc::ADDVN | opc::ADDNV);
        let sub = matches!(o, opc::SUBVV | opc::SUBVN);
        if !(add || sub) {
            return Err("NYI: arithmetic on cdata".into());
        }
        // Which operand is the pointer (slot) and which the number.
        let (ps, nref) = match o {
            opc::ADDVN | opc::SUBVN => (b, self.knum(self.kval(c).num_unchecked())),
            opc::ADDNV => (b, self.knum(self.kval(c).num_unchecked())),
            _ if self.val(vm, b).is_cdata() || self.is_vptr(b) => (b, self.num_slot(vm, c)?),
            _ if add => (c, self.num_slot(vm, b)?),
            _ => return Err("NYI: arithmetic on cdata".into()),
        };
        let pv = self.val(vm, ps);
        let ct = match cdata_of(pv) {
            Some((ct, _)) => ct,
            None => return Err("NYI: arithmetic on a ctype".into()),
        };
        let elem = match st.types.kind(ct) {
            Kind::Ptr {
                to,
                reference: false,
            } => *to,
            Kind::Array { elem, .. } => *elem,
            _ => return Err("NYI: arithmetic on non-pointer cdata".into()),
        };
        let pt = st
            .types
            .find_ptr(elem, 0, false)
            .ok_or("NYI: pointer type not made yet")?;
        let size = st
            .types
            .size_of(elem)
            .ok_or("NYI: pointer to unknown size")?;
        let p = self.ptr_value(vm, st, ps)?;
        let n = if sub {
            self.t.emit(Op::NEG, Ty::Num, nref, Ref::NONE)
        } else {
            nref
        };
        let i = self.t.emit(Op::TOINT, Ty::Int, n, Ref::NONE);
        let off = self.t.emit(Op::ISCALE, Ty::Ptr, i, Ref(size as i32));
        let r = self.t.emit(Op::XREF, Ty::Ptr, p, off);
        let v = self
            .t
            .emit(Op::CREF, Ty::CRef, r, Ref((pt | VIRTUAL_PTR) as i32));
        self.set(a, v)
    }

    /// Arithmetic on integer cdata (and numbers): 64-bit integers with
    /// wrap-around, `uint64_t` if either side is, else `int64_t`; the
    /// result is a virtual integer cdata (`CREF` of `VIRTUAL_PTR` type).
    fn ffi_int_arith(&mut self, vm: &Vm, st: &FfiState, ins: u32) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let (o, a, b, c) = (bc::op(ins), bc::a(ins), bc::b(ins), bc::c(ins));
        let (x, y) = match o {
            opc::ADDVN..=opc::MODVN => (IntOp::Slot(b), IntOp::Num(self.kval(c).num_unchecked())),
            opc::ADDNV..=opc::MODNV => (IntOp::Num(self.kval(c).num_unchecked()), IntOp::Slot(b)),
            _ => (IntOp::Slot(b), IntOp::Slot(c)),
        };
        // (I64OP's operation for / % ^.)
        let (iop, k) = match o {
            opc::ADDVN | opc::ADDNV | opc::ADDVV => (Op::I64ADD, 0),
            opc::SUBVN | opc::SUBNV | opc::SUBVV => (Op::I64SUB, 0),
            opc::MULVN | opc::MULNV | opc::MULVV => (Op::I64MUL, 0),
            opc::DIVVN | opc::DIVNV | opc::DIVVV => (Op::I64OP, 0),
            opc::MODVN | opc::MODNV | opc::MODVV => (Op::I64OP, 1),
            _ => (Op::I64OP, 2),
        };
        let uctx = self.unsigned_op(vm, st, [&x, &y]);
        let (Some((x, ux)), Some((y, uy))) = (
            self.i64_operand_in(vm, st, x, uctx)?,
            self.i64_operand_in(vm, st, y, uctx)?,
        ) else {
            return self.ffi_arith_meta(vm, ins);
        };
        let u = ux || uy;
        let r = if iop == Op::I64OP {
            let xy = self.t.emit(Op::CARG, Ty::Void, x, y);
            self.t
                .emit(Op::I64OP, Ty::Ptr, xy, Ref(k + 3 * i32::from(u)))
        } else {
            self.t.emit(iop, Ty::Ptr, x, y)
        };
        self.set_int64(a, r, u)
    }

    /// Arithmetic on cdata with a metatype (`ffi.metatype`) defining the
    /// event as a Lua function: the first operand's metatype first, as the
    /// interpreter. The operands' C types are guarded (a metatype is fixed
    /// once set), the metamethod field of the metatype table is guarded, and
    /// the metamethod is inlined like a table's.
    pub(crate) fn ffi_arith_meta(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let o = bc::op(ins);
        let (a, b, c, d) = (bc::a(ins), bc::b(ins), bc::c(ins), bc::d(ins));
        let ev = bc::OP_MM[o as usize].ok_or("NYI: arithmetic without a metamethod")?;
        let ops: [(Value, Option<u32>); 2] = match o {
            opc::UNM => [(self.val(vm, d), Some(d)), (self.val(vm, d), Some(d))],
            opc::ADDVN..=opc::MODVN => [(self.val(vm, b), Some(b)), (self.kval(c), None)],
            opc::ADDNV..=opc::MODNV => [(self.kval(c), None), (self.val(vm, b), Some(b))],
            _ => [(self.val(vm, b), Some(b)), (self.val(vm, c), Some(c))],
        };
        let name = vm.mm_names[ev as usize];
        let mut found = None;
        let mut refs = [Ref::NONE; 2];
        for (i, &(v, reg)) in ops.iter().enumerate() {
            refs[i] = match reg {
                Some(r) if v.is_cdata() => self.cdata_typed(vm, r)?,
                Some(r) if v.is_num() => self.num_slot(vm, r)?,
                Some(_) => return Err(format!("NYI: cdata arithmetic with a {}", v.type_name())),
                None => self.knum(v.num_unchecked()),
            };
            if found.is_some() || (o == opc::UNM && i == 1) {
                continue;
            }
            let Some((ct, _)) = cdata_of(v) else { continue };
            let mut id = st.types.resolve(ct);
            if let Kind::Ptr { to, .. } = st.types.kind(id) {
                id = st.types.resolve(*to);
            }
            let Some(mt) = st.metatypes.get(&id).and_then(|m| m.as_table_ptr()) else {
                continue;
            };
            let f = lunatrace_vm::table::get_str(mt, name);
            if f.is_nil() {
                continue;
            }
            if !f.is_func() {
                return Err("NYI: metatype metamethod that is not a function".into());
            }
            let mtr = self.kptr(mt.as_ptr() as u64, Ty::Tab);
            let raw = self.const_field(mt, mtr, name);
            let fr = self.t.emit(Op::UNBOX, Ty::Func, raw, Ref::NONE);
            let kf = self.kptr(f.payload(), Ty::Func);
            self.t.emit(Op::EQ, Ty::Void, fr, kf);
            self.roots.push(f);
            found = Some(f);
        }
        let f = found.ok_or("NYI: arithmetic on cdata")?;
        let ret = self.cur_base() + a;
        self.push_mm_frame(f, &refs, Some(ret), 1)
    }

    /// The value in slot `s` (a cdata) with its C type guarded: a virtual
    /// cdata as it is, a cdata object after a `CDTYPE` guard.
    fn cdata_typed(&mut self, vm: &Vm, s: u32) -> Result<Ref, Abort> {
        if self.virtual_cdata(s).is_some() {
            return self.slot(vm, s);
        }
        self.cdata_payload(vm, s)?;
        self.slot(vm, s)
    }

    /// `return T(...)` of a ctype `T` in slot `a`: the new cdata in slot
    /// `a`. The GC debt is checked before the allocation (an exit re-runs
    /// the tail call in the interpreter).
    pub(crate) fn ffi_ctype_tailcall(&mut self, vm: &Vm, a: u32, nargs: u32) -> Result<(), Abort> {
        let ct = self.ffi_ctype_arg(vm, a)?;
        self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        let r = self.ffi_cnew(vm, ct, a + 1, nargs)?;
        self.set(a, r)
    }

    /// The C type a `ffi.new`/`ffi.cast` argument (or a called ctype) in
    /// slot `s` names: a ctype object (guarded by identity) or a string
    /// constant (guarded) naming a typedef or a basic type.
    pub(crate) fn ffi_ctype_arg(&mut self, vm: &Vm, s: u32) -> Result<u32, Abort> {
        use lunatrace_ffi::ctype::ids;
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let v = self.val(vm, s);
        if let Some(ct) = lunatrace_ffi::cdata::ctype_of_obj(v) {
            let r = self.slot(vm, s)?;
            let k = self.kptr(v.payload(), Ty::Cdata);
            self.t.emit(Op::EQ, Ty::Void, r, k);
            self.roots.push(v);
            return Ok(ct);
        }
        if !v.is_str() {
            return Err("NYI: C type from this value".into());
        }
        let name = String::from_utf8_lossy(lunatrace_vm::object::str_bytes(v)).into_owned();
        let ct = match name.trim() {
            "int" | "int32_t" | "signed int" => ids::INT32,
            "unsigned int" | "uint32_t" | "unsigned" => ids::UINT32,
            "int64_t" | "long long" | "long" => ids::INT64,
            "uint64_t" | "unsigned long long" | "unsigned long" | "size_t" => ids::UINT64,
            "int8_t" => ids::INT8,
            "uint8_t" => ids::UINT8,
            "int16_t" | "short" => ids::INT16,
            "uint16_t" | "unsigned short" => ids::UINT16,
            "double" => ids::DOUBLE,
            "float" => ids::FLOAT,
            "void *" | "void*" => ids::P_VOID,
            n => {
                // A typedef name, or one followed by `*` (a pointer type
                // the interpreter has made already).
                let (base, ptr) = match n.strip_suffix('*') {
                    Some(b) => (b.trim_end(), true),
                    None => (n, false),
                };
                let t = st
                    .types
                    .typedef(base)
                    .ok_or("NYI: C type string other than a typedef or basic type")?;
                if ptr {
                    st.types
                        .find_ptr(t, 0, false)
                        .ok_or("NYI: pointer type not made yet")?
                } else {
                    t
                }
            }
        };
        let r = self.slot(vm, s)?;
        let k = self.kptr(v.payload(), Ty::Str);
        self.t.emit(Op::EQ, Ty::Void, r, k);
        Ok(ct)
    }

    /// A new cdata of type `ct` (`ffi.new`, a ctype called) initialised
    /// from the `n` values at slots `first..`: nothing (zeroed), one number
    /// for a scalar, numbers for the leading scalar members of a struct.
    /// The caller checks the GC debt after it.
    pub(crate) fn ffi_cnew(&mut self, vm: &Vm, ct: u32, first: u32, n: u32) -> Result<Ref, Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        if st.types.is_vla(ct) || st.types.is_func(ct) {
            return Err("NYI: ffi.new of this type".into());
        }
        if let Some(mt) = st
            .metatypes
            .get(&st.types.resolve(ct))
            .and_then(|m| m.as_table_ptr())
        {
            // A constructor (`__new`) or finaliser (`__gc`): interpreted.
            let mut k = Value::NIL;
            while let Ok(Some((key, _))) = lunatrace_vm::table::next(mt, k) {
                if key.is_str()
                    && matches!(lunatrace_vm::object::str_bytes(key), b"__new" | b"__gc")
                {
                    return Err("NYI: ffi.new with a metatype __new or __gc".into());
                }
                k = key;
            }
        }
        let size = st
            .types
            .size_of(ct)
            .filter(|&z| z < (1 << 20))
            .ok_or("NYI: ffi.new of this size")?;
        // The stores: (offset, C scalar, value).
        let mut stores = Vec::new();
        let targets: Vec<(u64, u32)> = match st.types.kind(ct) {
            _ if n == 0 => Vec::new(),
            Kind::Record(r) => {
                let names: Vec<String> = r.fields.iter().filter_map(|f| f.name.clone()).collect();
                let limit = if r.is_union { 1 } else { names.len() };
                if n as usize > limit {
                    return Err("NYI: too many initializers".into());
                }
                let mut t = Vec::new();
                for name in &names[..n as usize] {
                    let fi = st.types.field(ct, name).ok_or("NYI: initializer")?;
                    if fi.bits.is_some() {
                        return Err("NYI: bitfield initializer".into());
                    }
                    t.push((fi.offset, fi.ty));
                }
                t
            }
            Kind::Int { .. } | Kind::Enum(_) | Kind::Float | Kind::Double if n == 1 => {
                vec![(0, ct)]
            }
            _ => return Err("NYI: ffi.new initializer of this type".into()),
        };
        for (i, (off, fty)) in targets.into_iter().enumerate() {
            let sc = match scalar_of(st, fty) {
                Some(s @ (CScalar::Int { size: 1..=4, .. } | CScalar::F32 | CScalar::F64)) => s,
                _ => return Err("NYI: initializer of this member type".into()),
            };
            let slot = first + i as u32;
            if !self.val(vm, slot).is_num() {
                return Err("NYI: ffi.new initializer that is not a number".into());
            }
            stores.push((off, sc, self.num_slot(vm, slot)?));
        }
        let o = self.t.emit_lit(Op::CNEW, Ty::Cdata, ct as i32, size as i32);
        let p = self.t.emit(Op::CDPTR, Ty::Ptr, o, Ref::NONE);
        for (off, sc, v) in stores {
            let k = self.t.konst(Const::Int(off as i32));
            let addr = self.t.emit(Op::XREF, Ty::Ptr, p, k);
            let args = self.t.emit(Op::CARG, Ty::Void, addr, v);
            self.t.emit(Op::XSTORE, Ty::Void, args, Ref(sc.code()));
        }
        Ok(o)
    }

    /// `ffi.cast(ct, x)`: a number or integer cdata to an integer type (a
    /// virtual integer, wrapped to the type's width), a pointer, array or
    /// nil to a pointer type (a virtual pointer).
    pub(crate) fn ffi_cast(&mut self, vm: &Vm, ct: u32, s: u32) -> Result<Ref, Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        if let Some((size, u)) = int_kind(st, ct) {
            let v = self.val(vm, s);
            let from_int = cdata_of(v).is_some_and(|(c, _)| int_kind(st, c).is_some())
                || self.virtual_cdata(s).is_some_and(|(_, l)| {
                    l & VIRTUAL_PTR != 0 && int_kind(st, l & !VIRTUAL_PTR).is_some()
                });
            if !(v.is_num() || from_int) {
                return Err("NYI: ffi.cast of this value to an integer".into());
            }
            let sc = CScalar::Int { size, signed: !u };
            let x = if v.is_num() {
                // (A number converts as stored to the target type, and
                // comes back extended.)
                let n = self.num_slot(vm, s)?;
                self.t.emit(Op::TOI64, Ty::Ptr, n, Ref(sc.toi64_operand()))
            } else {
                let (x, _) = self
                    .i64_operand(vm, st, IntOp::Slot(s))?
                    .ok_or("NYI: ffi.cast of this value")?;
                if size < 8 {
                    self.t.emit(Op::I64EXT, Ty::Ptr, x, Ref(sc.code()))
                } else {
                    x
                }
            };
            return Ok(self
                .t
                .emit(Op::CREF, Ty::CRef, x, Ref((ct | VIRTUAL_PTR) as i32)));
        }
        if plain_ptr(st, ct) {
            let v = self.val(vm, s);
            if !(v.is_nil() || ptr_like(st, v) || self.is_vptr(s)) {
                return Err("NYI: ffi.cast of this value to a pointer".into());
            }
            let p = self.ptr_value(vm, st, s)?;
            return Ok(self
                .t
                .emit(Op::CREF, Ty::CRef, p, Ref((ct | VIRTUAL_PTR) as i32)));
        }
        Err("NYI: ffi.cast to this type".into())
    }

    /// `-x` on integer cdata.
    pub(crate) fn ffi_unm(&mut self, vm: &Vm, a: u32, d: u32) -> Result<(), Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let Some((x, u)) = self.i64_operand(vm, st, IntOp::Slot(d))? else {
            return Err("NYI: negation of cdata".into());
        };
        let r = self.t.emit(Op::I64NEG, Ty::Ptr, x, Ref::NONE);
        self.set_int64(a, r, u)
    }

    /// Slot `a` = the virtual `int64_t` (or `uint64_t`) of value `r`.
    fn set_int64(&mut self, a: u32, r: Ref, unsigned: bool) -> Result<(), Abort> {
        use lunatrace_ffi::ctype::ids;
        let ct = if unsigned { ids::UINT64 } else { ids::INT64 };
        let v = self
            .t
            .emit(Op::CREF, Ty::CRef, r, Ref((ct | VIRTUAL_PTR) as i32));
        self.set(a, v)
    }

    /// An operand of integer cdata arithmetic as a 64-bit integer (ptr
    /// typed) and whether it is unsigned 64-bit: a number (truncated), a
    /// virtual integer, an integer or floating-point cdata (its type
    /// guarded; a 64-bit one is virtualised in its slot). `None`: another
    /// kind of value.
    fn i64_operand(
        &mut self,
        vm: &Vm,
        st: &FfiState,
        o: IntOp,
    ) -> Result<Option<(Ref, bool)>, Abort> {
        self.i64_operand_in(vm, st, o, false)
    }

    /// `i64_operand` in an operation that is unsigned (`uctx`: the other
    /// operand is a `uint64_t`), where a number converts as to `uint64_t`
    /// (`lunatrace_ffi::cdata::num_to_u64`).
    fn i64_operand_in(
        &mut self,
        vm: &Vm,
        st: &FfiState,
        o: IntOp,
        uctx: bool,
    ) -> Result<Option<(Ref, bool)>, Abort> {
        let uint64 = CScalar::Int {
            size: 8,
            signed: false,
        };
        let to = Ref(if uctx { uint64.toi64_operand() } else { 0 });
        let s = match o {
            IntOp::Num(n) => {
                let k = self.knum(n);
                return Ok(Some((self.t.emit(Op::TOI64, Ty::Ptr, k, to), false)));
            }
            IntOp::Slot(s) => s,
        };
        if let Some((v, lit)) = self.virtual_cdata(s) {
            if lit & VIRTUAL_PTR == 0 {
                return Ok(None);
            }
            return Ok(int_kind(st, lit & !VIRTUAL_PTR).map(|(size, u)| (v, u && size == 8)));
        }
        let v = self.val(vm, s);
        if v.is_num() {
            let n = self.num_slot(vm, s)?;
            return Ok(Some((self.t.emit(Op::TOI64, Ty::Ptr, n, to), false)));
        }
        let Some((ct, _)) = cdata_of(v) else {
            return Ok(None);
        };
        let sc = match (int_kind(st, ct), st.types.kind(ct)) {
            (Some((8, u)), _) => {
                let (ct, p) = self.cdata_payload(vm, s)?;
                let x = self.t.emit(Op::XLOAD, Ty::Ptr, p, Ref(CScalar::Ptr.code()));
                self.virtualize(s, ct, x);
                return Ok(Some((x, u)));
            }
            (Some((size, u)), _) => CScalar::Int { size, signed: !u },
            (None, Kind::Float) => CScalar::F32,
            (None, Kind::Double) => CScalar::F64,
            _ => return Ok(None),
        };
        let (_, p) = self.cdata_payload(vm, s)?;
        let n = self.t.emit(Op::XLOAD, Ty::Num, p, Ref(sc.code()));
        Ok(Some((self.t.emit(Op::TOI64, Ty::Ptr, n, to), false)))
    }

    /// Whether an operation on the values of `ops` is unsigned: one of
    /// them is a `uint64_t`.
    fn unsigned_op(&self, vm: &Vm, st: &FfiState, ops: [&IntOp; 2]) -> bool {
        ops.iter().any(|o| match o {
            IntOp::Slot(s) => int_value(st, self.val(vm, *s)).is_some_and(|p| p.1),
            IntOp::Num(_) => false,
        })
    }

    /// `ISLT ISGE ISLE ISGT` with a cdata operand: integer cdata and
    /// numbers compare as 64-bit integers (unsigned if either side is
    /// `uint64_t`).
    pub(crate) fn ffi_compare(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let (a, d) = (bc::a(ins), bc::d(ins));
        let uctx = self.unsigned_op(vm, st, [&IntOp::Slot(a), &IntOp::Slot(d)]);
        let (Some(p), Some(q)) = (
            int_value_in(st, self.val(vm, a), uctx),
            int_value_in(st, self.val(vm, d), uctx),
        ) else {
            return Err("NYI: comparison of cdata".into());
        };
        let (Some((x, ux)), Some((y, uy))) = (
            self.i64_operand_in(vm, st, IntOp::Slot(a), uctx)?,
            self.i64_operand_in(vm, st, IntOp::Slot(d), uctx)?,
        ) else {
            return Err("NYI: comparison of cdata".into());
        };
        let u = ux || uy;
        let (lt, le) = if u {
            ((p as u64) < (q as u64), (p as u64) <= (q as u64))
        } else {
            (p < q, p <= q)
        };
        // The guard for the outcome seen (LT/GE/LE/GT: signed).
        let g = match (bc::op(ins), u) {
            (opc::ISLT | opc::ISGE, false) => {
                if lt {
                    Op::LT
                } else {
                    Op::GE
                }
            }
            (_, false) => {
                if le {
                    Op::LE
                } else {
                    Op::GT
                }
            }
            (opc::ISLT | opc::ISGE, true) => {
                if lt {
                    Op::ULT
                } else {
                    Op::UGE
                }
            }
            (_, true) => {
                if le {
                    Op::ULE
                } else {
                    Op::UGT
                }
            }
        };
        self.t.emit(g, Ty::Void, x, y);
        Ok(())
    }

    /// `ISEQV ISNEV ISEQN ISNEN` with a cdata operand: integer cdata and
    /// numbers compare as 64-bit integers, pointers (or nil) by address.
    pub(crate) fn ffi_equal(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let (a, d) = (bc::a(ins), bc::d(ins));
        let kn = matches!(bc::op(ins), opc::ISEQN | opc::ISNEN);
        let va = self.val(vm, a);
        let vd = if kn { self.kval(d) } else { self.val(vm, d) };
        if let (Some((_, ua)), Some((_, ud))) = (int_value(st, va), int_value(st, vd)) {
            let uctx = ua || ud;
            let (p, q) = (
                int_value_in(st, va, uctx).unwrap_or(0),
                int_value_in(st, vd, uctx).unwrap_or(0),
            );
            let od = if kn {
                IntOp::Num(vd.num_unchecked())
            } else {
                IntOp::Slot(d)
            };
            let (Some((x, _)), Some((y, _))) = (
                self.i64_operand_in(vm, st, IntOp::Slot(a), uctx)?,
                self.i64_operand_in(vm, st, od, uctx)?,
            ) else {
                return Err("NYI: comparison of cdata".into());
            };
            self.t
                .emit(if p == q { Op::EQ } else { Op::NE }, Ty::Void, x, y);
            return Ok(());
        }
        if kn || !ptr_or_nil(st, va) || !ptr_or_nil(st, vd) {
            return Err("NYI: comparison of cdata".into());
        }
        let addr = |v: Value| match cdata_of(v) {
            // SAFETY: a pointer cdata holds an address.
            Some((_, q)) => unsafe { (q as *const usize).read() },
            None => 0,
        };
        let eq = addr(va) == addr(vd);
        let x = self.ptr_value(vm, st, a)?;
        let y = self.ptr_value(vm, st, d)?;
        self.t
            .emit(if eq { Op::EQ } else { Op::NE }, Ty::Void, x, y);
        Ok(())
    }

    /// `ffi.cast`-free `tonumber(x)` of integer cdata in slot `s`.
    pub(crate) fn ffi_tonumber(&mut self, vm: &Vm, s: u32) -> Result<Ref, Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let v = self.val(vm, s);
        let is_int = cdata_of(v).is_some_and(|(ct, _)| int_kind(st, ct).is_some());
        if !is_int {
            return Err("NYI: tonumber of cdata".into());
        }
        let (x, u) = self
            .i64_operand(vm, st, IntOp::Slot(s))?
            .ok_or("NYI: tonumber of cdata")?;
        Ok(self.t.emit(Op::I64NUM, Ty::Num, x, Ref(u as i32)))
    }

    /// `KCDATA a d`: a 64-bit integer constant as a virtual integer.
    pub(crate) fn ffi_kcdata(&mut self, vm: &Vm, a: u32, d: u32) -> Result<(), Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let k = self.kval(d);
        let (Some((8, _)), Some((ct, p))) = (
            cdata_of(k).and_then(|(ct, _)| int_kind(st, ct)),
            cdata_of(k),
        ) else {
            return Err("NYI: bytecode KCDATA".into());
        };
        // SAFETY: a 64-bit integer cdata holds 8 bytes.
        let bits = unsafe { (p as *const u64).read_unaligned() };
        let r = self.kptr(bits, Ty::Ptr);
        let v = self
            .t
            .emit(Op::CREF, Ty::CRef, r, Ref((ct | VIRTUAL_PTR) as i32));
        self.set(a, v)
    }

    /// Slot `s` holds a virtual pointer.
    fn is_vptr(&self, s: u32) -> bool {
        self.virtual_cdata(s)
            .is_some_and(|(_, lit)| lit & VIRTUAL_PTR != 0)
    }

    /// The virtual cdata (`CREF`: value, type operand) slot `s` holds.
    fn virtual_cdata(&self, s: u32) -> Option<(Ref, u32)> {
        let r = self.slots.get((self.cur_base() + s) as usize).copied()??;
        let i = self.t.ins_of(r).filter(|i| i.op == Op::CREF)?;
        Some((Ref(i.a), i.b as u32))
    }

    /// The cdata object in slot `s` loaded with its C type guarded: the
    /// type and the payload address.
    pub(crate) fn cdata_payload(&mut self, vm: &Vm, s: u32) -> Result<(u32, Ref), Abort> {
        let v = self.val(vm, s);
        let (ct, _) = cdata_of(v).ok_or("NYI: ctype object in a trace")?;
        let o = self.slot(vm, s)?;
        if self.t.ty(o) != Ty::Cdata {
            return Err("NYI: this cdata value in a trace".into());
        }
        let tr = self.t.emit(Op::CDTYPE, Ty::Int, o, Ref::NONE);
        let k = self.t.konst(Const::Int(ct as i32));
        self.t.emit(Op::EQ, Ty::Void, tr, k);
        Ok((ct, self.t.emit(Op::CDPTR, Ty::Ptr, o, Ref::NONE)))
    }

    /// `p == nil` / `p ~= nil` on a pointer cdata (NULL equals nil).
    pub(crate) fn ffi_nil_compare(&mut self, vm: &Vm, a: u32) -> Result<(), Abort> {
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let v = self.val(vm, a);
        if let Some((ct, _)) = cdata_of(v) {
            if !matches!(
                st.types.kind(ct),
                Kind::Ptr {
                    reference: false,
                    ..
                }
            ) {
                return Err("NYI: comparison of cdata".into());
            }
        }
        let p = self.ptr_value(vm, st, a)?;
        let is_null = match cdata_of(v) {
            // SAFETY: a pointer cdata holds an address.
            Some((_, q)) => (unsafe { (q as *const usize).read() }) == 0,
            None => return Err("NYI: comparison of a ctype".into()),
        };
        let z = self.kptr(0, Ty::Ptr);
        self.t
            .emit(if is_null { Op::EQ } else { Op::NE }, Ty::Void, p, z);
        Ok(())
    }

    /// `obj.key` on a struct (or pointer to one) without that member: the
    /// key looked up in the metatype's `__index` table (methods). The
    /// ctype is guarded already (so is the metatype, fixed once set); the
    /// `__index` field is guarded, the lookup recorded as a table load.
    fn metatype_index(&mut self, st: &FfiState, rec: u32, key: Value, a: u32) -> Result<(), Abort> {
        let mt = st
            .metatypes
            .get(&st.types.resolve(rec))
            .and_then(|m| m.as_table_ptr())
            .ok_or("NYI: missing cdata member")?;
        let idx = lunatrace_vm::table::get_str(mt, self.index_key);
        let Some(itp) = idx.as_table_ptr() else {
            return Err("NYI: metatype __index that is not a table".into());
        };
        let mtr = self.kptr(mt.as_ptr() as u64, Ty::Tab);
        let raw = self.const_field(mt, mtr, self.index_key);
        let ir = self.t.emit(Op::UNBOX, Ty::Tab, raw, Ref::NONE);
        let it = self.kptr(itp.as_ptr() as u64, Ty::Tab);
        self.t.emit(Op::EQ, Ty::Void, ir, it);
        let r = self.index_chain(itp, it, key, None)?;
        if r != Ref::NONE {
            self.set(a, r)?;
        }
        Ok(())
    }

    /// The address a cdata in slot `s` passes as a pointer argument: a
    /// pointer's (or function pointer's) value, an array's payload.
    fn cdata_address(&mut self, vm: &Vm, st: &FfiState, s: u32) -> Result<Ref, Abort> {
        let (ct, payload) = self.cdata_payload(vm, s)?;
        Ok(match st.types.kind(ct) {
            Kind::Ptr {
                reference: false, ..
            } => {
                let p = self
                    .t
                    .emit(Op::XLOAD, Ty::Ptr, payload, Ref(CScalar::Ptr.code()));
                self.virtualize_ptr(st, s, ct, p);
                p
            }
            Kind::Func(_) => self
                .t
                .emit(Op::XLOAD, Ty::Ptr, payload, Ref(CScalar::Ptr.code())),
            Kind::Array { .. } | Kind::Record(_) => payload,
            Kind::Ptr {
                reference: true,
                to,
            } => {
                // A reference: the address of its referent.
                let to = *to;
                if !matches!(st.types.kind(to), Kind::Record(_) | Kind::Array { .. }) {
                    return Err("NYI: reference to a scalar as a pointer".into());
                }
                self.t
                    .emit(Op::XLOAD, Ty::Ptr, payload, Ref(CScalar::Ptr.code()))
            }
            _ => return Err("NYI: pointer argument from this cdata".into()),
        })
    }

    /// The object a cdata slot denotes: a virtual reference (`CREF`) or a
    /// cdata object loaded from the slot, its type guarded; pointers and
    /// references are loaded through.
    fn cd_base(&mut self, vm: &Vm, st: &FfiState, s: u32) -> Result<CdBase, Abort> {
        if let Some((addr, lit)) = self.virtual_cdata(s) {
            // A virtual reference (`T &`: the address of a `T`) or pointer
            // (the pointer's value, typed by its pointer type).
            return Ok(CdBase {
                addr,
                ct: lit & !VIRTUAL_PTR,
            });
        }
        let (ct, payload) = self.cdata_payload(vm, s)?;
        Ok(match st.types.kind(ct) {
            Kind::Ptr { to, reference } => {
                let p = self
                    .t
                    .emit(Op::XLOAD, Ty::Ptr, payload, Ref(CScalar::Ptr.code()));
                if !*reference {
                    self.virtualize_ptr(st, s, ct, p);
                }
                if *reference {
                    CdBase { addr: p, ct: *to }
                } else {
                    CdBase { addr: p, ct }
                }
            }
            _ => CdBase { addr: payload, ct },
        })
    }

    /// Slot `s` (not written by the trace) held pointer cdata of type `ct`
    /// whose value `p` was just loaded: later reads in the trace use the
    /// value as a virtual pointer (no reload, no type guard), so a loop
    /// that ends with a pointer in that slot carries it as an address
    /// (`opt_loop`). Snapshots keep the boxed original (the slot is not
    /// written).
    fn virtualize_ptr(&mut self, st: &FfiState, s: u32, ct: u32, p: Ref) {
        if plain_ptr(st, ct) {
            self.virtualize(s, ct, p);
        }
    }

    /// Slot `s` (not written by the trace) holds cdata of type `ct` (a
    /// plain pointer or 64-bit integer) of value `p`: read it as a virtual
    /// one from now on (see `virtualize_ptr`).
    fn virtualize(&mut self, s: u32, ct: u32, p: Ref) {
        let i = (self.cur_base() + s) as usize;
        if !self.written.get(i).copied().unwrap_or(true) {
            let v = self
                .t
                .emit(Op::CREF, Ty::CRef, p, Ref((ct | VIRTUAL_PTR) as i32));
            self.slots[i] = Some(v);
        }
    }

    /// The value a load of a `double` member at `addr` of a cdata made in
    /// the trace (`XREF(CDPTR(CNEW), k)`) reads: the value its last store
    /// there wrote, if nothing in between may have changed it (a store to
    /// an overlapping member of that object, a store through another
    /// address than a member of a cdata made in the trace, a C call).
    /// Lets `sink` leave such cdata to the exits.
    fn forward_xload(&self, addr: Ref, sc: CScalar) -> Option<Ref> {
        if sc != CScalar::F64 {
            return None;
        }
        // (object, offset) of a member address of a cdata made here.
        let member = |r: Ref| -> Option<(i32, i32)> {
            let x = self.t.ins_of(r).filter(|i| i.op == Op::XREF)?;
            let d = self.t.ins_of(Ref(x.a)).filter(|i| i.op == Op::CDPTR)?;
            self.t.ins_of(Ref(d.a)).filter(|i| i.op == Op::CNEW)?;
            match self.t.get_const(Ref(x.b))? {
                Const::Int(k) => Some((d.a, k)),
                _ => None,
            }
        };
        let (obj, off) = member(addr)?;
        let width = |code: i32| match CScalar::from_code(code) {
            CScalar::Int { size, .. } => size as i32,
            CScalar::F32 => 4,
            _ => 8,
        };
        for j in (obj as usize + 1..self.t.ins.len()).rev() {
            let ins = self.t.ins[j];
            match ins.op {
                Op::XSTORE => {
                    let c = self.t.ins_of(Ref(ins.a))?;
                    if Ref(c.a) == addr && ins.b == sc.code() {
                        return Some(Ref(c.b));
                    }
                    let (o2, off2) = member(Ref(c.a))?;
                    if o2 == obj && off2 < off + 8 && off < off2 + width(ins.b) {
                        return None;
                    }
                }
                Op::CALLC | Op::LOOP => return None,
                _ => {}
            }
        }
        None
    }

    /// `TGET*`/`TSET*` on a cdata (`val` is the stored value for `TSET*`):
    /// array and pointer elements, struct members, loaded or stored as C
    /// scalars inline; aggregates become virtual references.
    pub(crate) fn ffi_index(&mut self, vm: &Vm, ins: u32, val: Option<Ref>) -> Result<(), Abort> {
        use lunatrace_vm::bytecode::{self as bc, opc};
        let st = ffi_state(vm).ok_or("NYI: cdata without the FFI")?;
        let (a, b, c) = (bc::a(ins), bc::b(ins), bc::c(ins));
        let base = self.cd_base(vm, st, b)?;
        let (addr, ty) = match bc::op(ins) {
            opc::TGETS | opc::TSETS => {
                let key = self.kval(c);
                let name = std::str::from_utf8(lunatrace_vm::object::str_bytes(key))
                    .map_err(|_| "NYI: member name")?;
                let rec = match st.types.kind(base.ct) {
                    Kind::Ptr { to, .. } => *to,
                    _ => base.ct,
                };
                let (addr, rec) = if rec != base.ct {
                    // A pointer to a struct: the member of the pointee.
                    (base.addr, rec)
                } else {
                    (base.addr, base.ct)
                };
                let Some(fi) = st.types.field(rec, name) else {
                    if val.is_some() {
                        return Err("NYI: cdata store through a metatype".into());
                    }
                    return self.metatype_index(st, rec, key, a);
                };
                if fi.bits.is_some() {
                    return Err("NYI: bitfield access".into());
                }
                if st.types.is_const(rec) && val.is_some() {
                    return Err("NYI: store to a member of a const struct".into());
                }
                let off = self.t.konst(Const::Int(fi.offset as i32));
                (self.t.emit(Op::XREF, Ty::Ptr, addr, off), fi.ty)
            }
            op => {
                let elem = match st.types.kind(base.ct) {
                    Kind::Ptr { to, .. } => *to,
                    Kind::Array { elem, .. } => *elem,
                    _ => return Err("NYI: indexing this cdata with a number".into()),
                };
                let size = st
                    .types
                    .size_of(elem)
                    .ok_or("NYI: element of unknown size")?;
                let off = if op == opc::TGETB || op == opc::TSETB {
                    self.t.konst(Const::Int((c as u64 * size) as i32))
                } else {
                    let kv = self.val(vm, c);
                    if !kv.is_num() {
                        return Err("NYI: cdata index of this type".into());
                    }
                    let k = self.num_slot(vm, c)?;
                    let i = self.t.emit(Op::TOINT, Ty::Int, k, Ref::NONE);
                    self.t.emit(Op::ISCALE, Ty::Ptr, i, Ref(size as i32))
                };
                (self.t.emit(Op::XREF, Ty::Ptr, base.addr, off), elem)
            }
        };
        if let Kind::Ptr {
            reference: false, ..
        } = st.types.kind(ty)
        {
            // Pointer-valued: loaded as a virtual pointer cdata.
            if !plain_ptr(st, ty) {
                return Err("NYI: qualified pointer member".into());
            }
            let code = Ref(CScalar::Ptr.code());
            return match val {
                None => {
                    let p = self.t.emit(Op::XLOAD, Ty::Ptr, addr, code);
                    let r = self
                        .t
                        .emit(Op::CREF, Ty::CRef, p, Ref((ty | VIRTUAL_PTR) as i32));
                    self.set(a, r)
                }
                Some(_) => {
                    let p = self.ptr_arg(vm, st, a, ty)?;
                    let args = self.t.emit(Op::CARG, Ty::Void, addr, p);
                    self.t.emit(Op::XSTORE, Ty::Void, args, code);
                    Ok(())
                }
            };
        }
        let sc = match st.types.kind(ty) {
            Kind::Record(_) | Kind::Array { .. } => None,
            Kind::Ptr { .. } => return Err("NYI: reference-valued cdata member".into()),
            _ => match scalar_of(st, ty) {
                Some(s @ (CScalar::Int { size: 1..=4, .. } | CScalar::F32 | CScalar::F64)) => {
                    Some(s)
                }
                _ => return Err("NYI: cdata member of this type".into()),
            },
        };
        match (val, sc) {
            (None, Some(sc)) => {
                if let Some(v) = self.forward_xload(addr, sc) {
                    return self.set(a, v);
                }
                let r = self.t.emit(Op::XLOAD, Ty::Num, addr, Ref(sc.code()));
                self.set(a, r)
            }
            (None, None) => {
                let r = self.t.emit(Op::CREF, Ty::CRef, addr, Ref(ty as i32));
                self.set(a, r)
            }
            (Some(v), Some(sc)) => {
                if st.types.is_const(ty) || self.t.ty(v) != Ty::Num {
                    return Err("NYI: cdata store of this value".into());
                }
                let args = self.t.emit(Op::CARG, Ty::Void, addr, v);
                self.t.emit(Op::XSTORE, Ty::Void, args, Ref(sc.code()));
                Ok(())
            }
            (Some(_), None) => Err("NYI: aggregate cdata store".into()),
        }
    }
}
