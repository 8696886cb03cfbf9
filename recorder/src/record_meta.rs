//! Recording metamethods, varargs and closures (ARCHITECTURE.md: The JIT).
//!
//! A Lua metamethod is never run by a helper: it becomes an inlined Lua
//! frame, like a call (`inline_call`). The metatable of the operand that
//! supplies it and the metamethod itself are guarded by identity, so a
//! changed metatable (or metamethod) exits before the call. Frames run for
//! arithmetic and `__index` deliver their one result to register A of the
//! instruction (`RFrame::ret`), as the interpreter's metamethod frames do;
//! `__newindex` frames sit above the caller's registers and deliver
//! nothing. Exits inside such a frame rebuild it with the same return slot.
//!
//! Calls of vararg functions push a frame whose base lies above the
//! arguments (the extra ones stay below it, read by `VARG`).

use crate::record::{ty_of, Abort, RFrame, Recorder};
use lunatrace_ir::{Op, Ref, Ty};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::object::{Proto, Table};
use lunatrace_vm::state::MM;
use lunatrace_vm::{Value, Vm};
use std::ptr::NonNull;

/// The prototype of a Lua (not native) function value.
pub(crate) fn lua_proto(v: Value) -> Option<NonNull<Proto>> {
    let f = v.as_func_ptr()?;
    // SAFETY: live function object.
    unsafe {
        if (*f.as_ptr()).native.is_some() {
            return None;
        }
        NonNull::new((*f.as_ptr()).proto)
    }
}

/// Whether `fv` is a Lua vararg function.
pub(crate) fn is_vararg(fv: Value) -> bool {
    // SAFETY: live prototype.
    lua_proto(fv).is_some_and(|p| unsafe { (*p.as_ptr()).is_vararg })
}

/// Metatable of a table value (null if none).
fn meta_of(tp: NonNull<Table>) -> *mut Table {
    // SAFETY: live table.
    unsafe { (*tp.as_ptr()).meta }
}

impl Recorder {
    /// Guard that the boxed metamethod `raw` (loaded from a metatable) is
    /// still the function `f`.
    fn guard_mm_func(&mut self, raw: Ref, f: Value) -> Ref {
        let r = self.t.emit(Op::UNBOX, Ty::Func, raw, Ref::NONE);
        let kf = self.kptr(f.payload(), Ty::Func);
        self.t.emit(Op::EQ, Ty::Void, r, kf);
        self.roots.push(f);
        kf
    }

    /// Guard table `t`'s metatable (observed `meta`) and load its field
    /// `name`: returns the observed value after guarding its type (and, for
    /// a Lua function, its identity). None: no metatable.
    fn guard_meta_field(&mut self, t: Ref, meta: *mut Table, name: Value) -> Option<Value> {
        let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
        let km = self.kptr(meta as u64, Ty::Ptr);
        self.t.emit(Op::EQ, Ty::Void, m, km);
        let mt = NonNull::new(meta)?;
        self.roots.push(Value::from_table(mt));
        let v = lunatrace_vm::table::get_str(mt, name);
        let mtr = self.kptr(meta as u64, Ty::Tab);
        let raw = self.const_field(mt, mtr, name);
        if lua_proto(v).is_some() {
            self.guard_mm_func(raw, v);
        } else if let Ok(ty) = ty_of(v) {
            self.t.emit(Op::UNBOX, ty, raw, Ref::NONE);
        }
        Some(v)
    }

    /// Enter Lua metamethod `f` with `args` in a frame above the current
    /// frame's registers (where the interpreter puts it). Results: `nres`
    /// of them to trace slot `ret` (None: the frame's function slot).
    pub(crate) fn push_mm_frame(
        &mut self,
        f: Value,
        args: &[Ref],
        ret: Option<u32>,
        nres: i32,
    ) -> Result<(), Abort> {
        let proto = lua_proto(f).ok_or("NYI: native metamethod")?;
        if self.frames.len() >= crate::record::MAX_DEPTH {
            return Err("NYI: call depth".into());
        }
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        if pr.is_vararg {
            return Err("NYI: vararg metamethod".into());
        }
        let rec = self.frames.iter().filter(|f| f.proto == proto).count()
            + usize::from(self.proto == proto);
        if rec >= 2 {
            return Err("NYI: recursive metamethod".into());
        }
        let cb = self.cur_base();
        // SAFETY: live prototype.
        let fs = unsafe { (*self.cur_proto().as_ptr()).framesize } as u32;
        let fslot = cb + fs;
        let base = fslot + 1;
        let need = (base + (pr.framesize as u32).max(args.len() as u32) + 1) as usize;
        self.ensure_slots(need);
        self.forget_slots(fslot as usize, need);
        let kf = self.kptr(f.payload(), Ty::Func);
        self.gset(fslot, kf)?;
        for (i, &r) in args.iter().enumerate() {
            self.gset(base + i as u32, r)?;
        }
        let nil = self.kpri(Ty::Nil);
        for i in args.len() as u32..pr.numparams as u32 {
            self.gset(base + i, nil)?;
        }
        self.frames.push(RFrame {
            base,
            proto,
            func: f,
            call_pc: self.cur_pc,
            call_a: fs,
            nres,
            ret,
            fdelta: 1,
            nvarargs: 0,
            cmp: None,
            pcall: false,
            xpcall: false,
            poly: false,
        });
        self.check_level()
    }

    /// `ISLT`..`ISGT` on two tables: the 5.1 handler lookup (`__lt`, or
    /// `__le` falling back to `not __lt` with the operands swapped; both
    /// operands must have the same one), guarded, and the Lua metamethod
    /// entered in a comparison frame: its result decides the branch when
    /// it returns (`inline_return`), as in the interpreter.
    pub(crate) fn compare_meta(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        let o = bc::op(ins);
        let (ra, rd) = (bc::a(ins), bc::d(ins));
        let (va, vd) = (self.val(vm, ra), self.val(vm, rd));
        let (Some(ta), Some(td)) = (va.as_table_ptr(), vd.as_table_ptr()) else {
            return Err("NYI: comparison of non-numbers".into());
        };
        let (x, y) = (self.slot(vm, ra)?, self.slot(vm, rd)?);
        let le = matches!(o, opc::ISLE | opc::ISGT);
        // The handler of event `ev` for (p, q), guarded for both.
        let handler = |s: &mut Self, ev: MM, p: (Ref, NonNull<Table>), q: (Ref, NonNull<Table>)| {
            let name = vm.mm_names[ev as usize];
            let m1 = s
                .guard_meta_field(p.0, meta_of(p.1), name)
                .unwrap_or(Value::NIL);
            if m1.is_nil() {
                return None;
            }
            let m2 = s
                .guard_meta_field(q.0, meta_of(q.1), name)
                .unwrap_or(Value::NIL);
            Some((m1, m1.raw_eq(m2)))
        };
        let (f, args, jump_if) =
            match handler(self, if le { MM::Le } else { MM::Lt }, (x, ta), (y, td)) {
                Some((f, true)) => (f, [x, y], matches!(o, opc::ISLT | opc::ISLE)),
                None if le => match handler(self, MM::Lt, (y, td), (x, ta)) {
                    Some((f, true)) => (f, [y, x], o == opc::ISGT),
                    _ => return Err("NYI: comparison error".into()),
                },
                _ => return Err("NYI: comparison error".into()),
            };
        self.push_cmp_frame(f, &args, jump_if)
    }

    /// Enter comparison metamethod `f` in a frame whose return takes the
    /// comparison's jump when the result's truthiness is `jump_if`.
    fn push_cmp_frame(&mut self, f: Value, args: &[Ref], jump_if: bool) -> Result<(), Abort> {
        if lua_proto(f).is_none() {
            return Err("NYI: non-Lua comparison metamethod".into());
        }
        self.push_mm_frame(f, args, None, 1)?;
        self.frames.last_mut().unwrap().cmp = Some(jump_if);
        Ok(())
    }

    /// `ISEQV`/`ISNEV` on two different tables, at least one with a
    /// metatable: the `__eq` handlers of both (guarded) decide: the same
    /// Lua function is entered in a comparison frame, anything else makes
    /// the tables unequal.
    pub(crate) fn equal_meta(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        let (ra, rd) = (bc::a(ins), bc::d(ins));
        let (va, vd) = (self.val(vm, ra), self.val(vm, rd));
        let (Some(ta), Some(td)) = (va.as_table_ptr(), vd.as_table_ptr()) else {
            return Err("NYI: equality with metamethods".into());
        };
        let (x, y) = (self.slot(vm, ra)?, self.slot(vm, rd)?);
        // Different tables (the interpreter compares raw first).
        self.t.emit(Op::NE, Ty::Void, x, y);
        let name = vm.mm_names[MM::Eq as usize];
        // (No metatable: guarded as such, no handler.)
        let field = |s: &mut Self, r: Ref, t: NonNull<Table>| {
            s.guard_meta_field(r, meta_of(t), name)
                .unwrap_or(Value::NIL)
        };
        let m1 = field(self, x, ta);
        if m1.is_nil() {
            return Ok(());
        }
        let m2 = field(self, y, td);
        if !m1.raw_eq(m2) {
            return Ok(());
        }
        self.push_cmp_frame(m1, &[x, y], bc::op(ins) == opc::ISEQV)
    }

    /// Arithmetic (`ADD*`..`POW`, `UNM`) with a table operand: the 5.1
    /// lookup (first operand's metamethod, then the second's), guarded,
    /// and the Lua metamethod entered with the result going to A.
    pub(crate) fn arith_meta(&mut self, vm: &Vm, _pc: usize, ins: u32) -> Result<(), Abort> {
        let o = bc::op(ins);
        let (a, b, c, d) = (bc::a(ins), bc::b(ins), bc::c(ins), bc::d(ins));
        let ev = bc::OP_MM[o as usize].ok_or("NYI: arithmetic without a metamethod")?;
        // Operands in the order the metamethod receives them: (value,
        // register or None for a constant).
        let (x, y): ((Value, Option<u32>), (Value, Option<u32>)) = match o {
            opc::UNM => ((self.val(vm, d), Some(d)), (self.val(vm, d), Some(d))),
            opc::ADDVN..=opc::MODVN => ((self.val(vm, b), Some(b)), (self.kval(c), None)),
            opc::ADDNV..=opc::MODNV => ((self.kval(c), None), (self.val(vm, b), Some(b))),
            _ => ((self.val(vm, b), Some(b)), (self.val(vm, c), Some(c))),
        };
        if x.0.is_str() || y.0.is_str() {
            return Err("NYI: arithmetic on string".into());
        }
        let mut refs = [Ref::NONE; 2];
        for (i, (v, reg)) in [x, y].into_iter().enumerate() {
            refs[i] = match reg {
                Some(r) => self.slot(vm, r)?,
                None => self.knum(v.num_unchecked()),
            };
        }
        let name = vm.mm_names[ev as usize];
        let mut found = None;
        let ops = if o == opc::UNM { 1 } else { 2 };
        for (i, (v, _)) in [x, y].into_iter().enumerate().take(ops) {
            if v.is_num() {
                if vm.get_metatable(v).is_some() {
                    return Err("NYI: number metatable".into());
                }
                continue;
            }
            let Some(tp) = v.as_table_ptr() else {
                return Err(format!("NYI: arithmetic on {}", v.type_name()));
            };
            let meta = meta_of(tp);
            let mm = self.guard_meta_field(refs[i], meta, name);
            match mm {
                Some(f) if lua_proto(f).is_some() => {
                    found = Some(f);
                    break;
                }
                Some(f) if !f.is_nil() => return Err("NYI: non-Lua arithmetic metamethod".into()),
                _ => {}
            }
        }
        let Some(f) = found else {
            return Err("NYI: arithmetic error".into());
        };
        let cb = self.cur_base();
        self.push_mm_frame(f, &refs, Some(cb + a), 1)
    }

    /// `t[key]` whose `__index` is the function `f` (its boxed value `ir`
    /// loaded from the metatable): guard it and enter it; its result goes
    /// to register A. Returns `Ref::NONE` (nothing to set).
    pub(crate) fn index_meta_call(
        &mut self,
        t: Ref,
        key: Value,
        kref: Option<Ref>,
        f: Value,
        ir: Ref,
    ) -> Result<Ref, Abort> {
        if lua_proto(f).is_none() {
            return Err("NYI: __index native function".into());
        }
        let kf = self.kptr(f.payload(), Ty::Func);
        self.t.emit(Op::EQ, Ty::Void, ir, kf);
        self.roots.push(f);
        let kr = match kref {
            Some(r) => r,
            None if key.is_str() => self.kptr(key.payload(), Ty::Str),
            None if key.is_num() => self.knum(key.num_unchecked()),
            None => return Err("NYI: __index key".into()),
        };
        let ins = lunatrace_vm::jitrt::code_at(self.cur_proto(), self.cur_pc);
        if !matches!(
            bc::op(ins),
            opc::TGETV | opc::TGETS | opc::TGETB | opc::GGET
        ) {
            return Err("NYI: __index function here".into());
        }
        let ret = self.cur_base() + bc::a(ins);
        self.push_mm_frame(f, &[t, kr], Some(ret), 1)?;
        Ok(Ref::NONE)
    }

    /// `t[key] = val` where `t[key]` is nil and the metatable's
    /// `__newindex` is a Lua function: guard that and enter it. False when
    /// the store does not call a Lua `__newindex`.
    pub(crate) fn newindex_meta_call(
        &mut self,
        tp: NonNull<Table>,
        t: Ref,
        key: Value,
        kref: Option<Ref>,
        val: Ref,
    ) -> Result<bool, Abort> {
        let meta = meta_of(tp);
        let Some(mt) = NonNull::new(meta) else {
            return Ok(false);
        };
        if !lunatrace_vm::table::get(tp, key).is_nil() {
            return Ok(false);
        }
        let name = self.newindex_key;
        if lua_proto(lunatrace_vm::table::get_str(mt, name)).is_none() {
            return Ok(false);
        }
        let raw = self.table_load(tp, t, key, kref)?;
        self.t.emit(Op::UNBOX, Ty::Nil, raw, Ref::NONE);
        let f = self.guard_meta_field(t, meta, name).unwrap();
        let kr = match kref {
            Some(r) => r,
            None if key.is_str() => self.kptr(key.payload(), Ty::Str),
            None => self.knum(key.num_unchecked()),
        };
        self.push_mm_frame(f, &[t, kr, val], None, 0)?;
        Ok(true)
    }

    /// `CALL`/`CALLM` of a table with a Lua `__call`: guarded, the
    /// arguments shift up by one (the table first) and the call is inlined.
    pub(crate) fn call_meta(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fv: Value,
    ) -> Result<(), Abort> {
        let Some(tp) = fv.as_table_ptr() else {
            return Err("NYI: call of a non-function".into());
        };
        if nargs < 0 {
            return Err("NYI: call with multiple arguments".into());
        }
        let name = vm.mm_names[MM::Call as usize];
        let t = self.slot(vm, a)?;
        let mut args = vec![t];
        for i in 0..nargs as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        if (self.cur_base() + a + 1 + nargs as u32) as usize >= self.slots.len() {
            return Err("NYI: __call beyond the frame".into());
        }
        let f = match self.guard_meta_field(t, meta_of(tp), name) {
            Some(f) if lua_proto(f).is_some() => f,
            _ => return Err("NYI: __call of this value".into()),
        };
        let kf = self.kptr(f.payload(), Ty::Func);
        self.set(a, kf)?;
        for (i, &r) in args.iter().enumerate() {
            self.set(a + 1 + i as u32, r)?;
        }
        self.inline_call(vm, pc, a, nargs + 1, nres, f)
    }

    /// Inline a call of vararg Lua function `fv` in slot `a` with `nargs`
    /// arguments: its base lies above them; the fixed parameters are
    /// copied there, the extra arguments stay below it.
    pub(crate) fn inline_call_vararg(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fv: Value,
    ) -> Result<(), Abort> {
        let proto = lua_proto(fv).ok_or("NYI: vararg native")?;
        self.check_call_unroll(proto)?;
        self.guard_func(vm, a, fv.as_func_ptr().unwrap())?;
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        let mut args = Vec::with_capacity(nargs as usize);
        for i in 0..nargs as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        let np = pr.numparams as u32;
        let n = nargs as u32;
        let base = self.cur_base() + a + 1 + n;
        let need = (base + pr.framesize as u32 + 1) as usize;
        self.clear_frame_slots(base as usize, need);
        let nil = self.kpri(Ty::Nil);
        for i in 0..np {
            let r = args.get(i as usize).copied().unwrap_or(nil);
            self.gset(base + i, r)?;
        }
        self.frames.push(RFrame::call(
            base,
            proto,
            fv,
            pc,
            a,
            nres,
            1 + n,
            n.saturating_sub(np),
            false,
        ));
        self.check_level()
    }

    /// A tail call of vararg Lua function `fv` from an inlined frame: the
    /// callee moves to that frame's function slot, its base above its
    /// arguments.
    pub(crate) fn inline_tailcall_vararg(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        fv: Value,
    ) -> Result<(), Abort> {
        if nargs < 0 {
            return Err("NYI: call with multiple arguments".into());
        }
        let cur = *self.frames.last().unwrap();
        let proto = lua_proto(fv).ok_or("NYI: vararg native")?;
        self.close_upvals_at(vm, cur.base)?;
        self.check_call_unroll(proto)?;
        let f = self.guard_func(vm, a, fv.as_func_ptr().unwrap())?;
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        let mut args = Vec::with_capacity(nargs as usize);
        for i in 0..nargs as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        let (np, n) = (pr.numparams as u32, nargs as u32);
        let fslot = cur.base - cur.fdelta;
        let base = fslot + 1 + n;
        let need = (base + pr.framesize as u32 + 1) as usize;
        self.ensure_slots(need);
        self.forget_slots(fslot as usize + 1, self.slots.len());
        self.gset(fslot, f)?;
        for (i, &r) in args.iter().enumerate() {
            self.gset(fslot + 1 + i as u32, r)?;
        }
        let nil = self.kpri(Ty::Nil);
        for i in 0..np {
            let r = args.get(i as usize).copied().unwrap_or(nil);
            self.gset(base + i, r)?;
        }
        let top = self.frames.last_mut().unwrap();
        top.proto = proto;
        top.func = fv;
        top.base = base;
        top.fdelta = 1 + n;
        top.nvarargs = n.saturating_sub(np);
        self.check_level()
    }

    /// `TSETM`: the MULTRES values stored raw into the constructor's
    /// table at constant keys (then a GC step, as TNEW).
    pub(crate) fn record_tsetm(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        d: u32,
        nmr: u32,
    ) -> Result<(), Abort> {
        if a == 0 || !self.val(vm, a - 1).is_table() {
            return Err("NYI: TSETM".into());
        }
        let t = self.slot(vm, a - 1)?;
        let start = self.kval(d).num_unchecked();
        for i in 0..nmr {
            let v = self.slot(vm, a + i)?;
            let boxed = self.t.emit(Op::BOX, Ty::Val, v, Ref::NONE);
            let k = self.t.konst(lunatrace_ir::Const::Val(
                Value::num(start + i as f64).bits(),
            ));
            let args = self.t.emit(Op::CARG, Ty::Void, k, boxed);
            self.t.emit(Op::TSETNEW, Ty::Void, t, args);
        }
        self.snap(pc + 1);
        self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        Ok(())
    }

    /// `FNEW`: the closure is made by a helper, then a GC step. Upvalues
    /// over locals of the current frame become open upvalues pointing at
    /// its stack slots (`SREF`): the trace keeps those slots in registers
    /// and maps the closure's inlined accesses to them (`upval`); exits
    /// write them back, and closing them (`close_upvals_at`) stores them
    /// first.
    pub(crate) fn record_fnew(&mut self, vm: &Vm, pc: usize, a: u32, d: u32) -> Result<(), Abort> {
        use lunatrace_vm::object::UvDesc;
        // SAFETY: live prototype; operand from our compiler.
        let child = unsafe { (&(*self.cur_proto().as_ptr()).protos)[d as usize] };
        // SAFETY: live prototype.
        let desc = unsafe { &(*child.as_ptr()).uvdesc };
        let parent = self.cur_func();
        self.roots.push(parent);
        let kp = self.kptr(child.as_ptr() as u64, Ty::Ptr);
        // The parent closure: its upvalues and environment pass on (the
        // runtime one when known by its prototype only).
        let kf = if self.cur_poly() {
            self.frame_fref(vm)?
        } else {
            self.kptr(parent.payload(), Ty::Func)
        };
        let from = if desc.iter().any(|u| matches!(u, UvDesc::Local(_))) {
            let fb = self
                .t
                .emit_lit(Op::SREF, Ty::Ptr, self.cur_base() as i32, 0);
            self.t.emit(Op::CARG, Ty::Void, kf, fb)
        } else {
            kf
        };
        let r = self.t.emit(Op::FNEW, Ty::Func, kp, from);
        self.set(a, r)?;
        self.snap(pc + 1);
        self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        Ok(())
    }

    /// `VARG` in an inlined vararg frame: the extra arguments (a fixed
    /// number, known from the call) copied to A.., or all of them as
    /// MULTRES.
    pub(crate) fn record_varg(&mut self, vm: &Vm, pc: usize, a: u32, b: u32) -> Result<(), Abort> {
        let Some(f) = self.frames.last().copied() else {
            return self.record_base_varg(vm, pc, a, b);
        };
        let nvar = f.nvarargs;
        let src = f.base - nvar;
        let state = self.snap_state();
        let want = if b == 0 { nvar } else { b - 1 };
        let base = Self::base(vm, self.fi);
        let need = (f.base + a + want + 1) as usize;
        self.ensure_slots(need);
        let nil = self.kpri(Ty::Nil);
        let mut vals = Vec::with_capacity(want as usize);
        for i in 0..want {
            let r = if i < nvar {
                let v = vm.th().stack[base + (src + i) as usize];
                self.gslot(v, src + i)?
            } else {
                nil
            };
            vals.push(r);
        }
        self.varg_results(a, b, nvar, pc, state, vals)
    }

    /// VARG in the trace's base frame: its varargs sit below its base
    /// (slots -n..-1), their number guarded (`NVARG`, loop-invariant) and
    /// each read once (nothing writes them while the frame lives).
    fn record_base_varg(&mut self, vm: &Vm, pc: usize, a: u32, b: u32) -> Result<(), Abort> {
        if self.t.shift != 0 || !self.down.is_empty() {
            return Err("NYI: VARG after returning below the trace's frame".into());
        }
        let th = vm.th();
        let fr = &th.frames[self.fi];
        let (nvar, base) = (fr.nvarargs, fr.base as usize);
        let state = self.snap_state();
        let n = self.t.emit(Op::NVARG, Ty::Int, Ref::NONE, Ref::NONE);
        let k = self.t.kint(nvar as i32);
        self.t.emit(Op::EQ, Ty::Void, n, k);
        let want = if b == 0 { nvar } else { b - 1 };
        self.ensure_slots((a + want + 1) as usize);
        let nil = self.kpri(Ty::Nil);
        let mut vals = Vec::with_capacity(want as usize);
        for i in 0..want {
            let r = if i < nvar {
                let v = vm.th().stack[base - nvar as usize + i as usize];
                let ty = crate::record::ty_of(v)?;
                let slot = i as i32 - nvar as i32;
                let l = self.t.emit_lit(Op::SLOAD, Ty::Val, slot, 0);
                self.t.emit(Op::UNBOX, ty, l, Ref::NONE)
            } else {
                nil
            };
            vals.push(r);
        }
        self.varg_results(a, b, nvar, pc, state, vals)
    }

    /// VARG's values into registers A.. (and MULTRES for `B = 0`).
    fn varg_results(
        &mut self,
        a: u32,
        b: u32,
        nvar: u32,
        pc: usize,
        state: (
            Vec<lunatrace_ir::trace::SnapEntry>,
            Vec<lunatrace_ir::trace::SnapFrame>,
        ),
        vals: Vec<Ref>,
    ) -> Result<(), Abort> {
        for (i, r) in vals.into_iter().enumerate() {
            self.set(a + i as u32, r)?;
        }
        if b == 0 {
            self.multres = Some((nvar, pc, state.0, state.1));
        }
        Ok(())
    }
}
