//! Recording of generic `for` loops over `pairs` and `ipairs`: ITERC with
//! the `next` or `ipairs` iterator as IR (other native iterators end the
//! trace for stitching; Lua iterator functions are inlined calls), and
//! ITERL (loop back while the first variable is not nil).

use crate::record::{ty_of, Abort, Recorder};
use lunatrace_ir::{Const, Op, Ref, Ty};
use lunatrace_vm::bytecode as bc;
use lunatrace_vm::object::ffid;
use lunatrace_vm::value::{Value, NIL_BITS};
use lunatrace_vm::Vm;

impl Recorder {
    /// ITERC at `a`: `a, a+1, a+2 = a-3, a-2, a-1`, then the iterator
    /// call with two arguments and `nres` results.
    pub(crate) fn record_iterc(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nres: i32,
    ) -> Result<(), Abort> {
        let fv = self.val(vm, a - 3);
        let native = fv.as_func_ptr().and_then(|fp| {
            // SAFETY: live function object.
            let f = unsafe { &*fp.as_ptr() };
            f.native.is_some().then_some((fp, f.hdr.flags))
        });
        let Some((fp, id)) = native.filter(|&(_, id)| id == ffid::NEXT || id == ffid::IPAIRS_AUX)
        else {
            if crate::record_meta::lua_proto(fv).is_some() {
                // A Lua iterator function: the copies, then its call
                // inlined (the slots copied to are set here, so nothing
                // reads the interpreter's not yet copied values).
                for k in 0..3 {
                    let r = self.slot(vm, a - 3 + k)?;
                    self.set(a + k, r)?;
                }
                // The iterator of the root trace's own loop is known by
                // its prototype: a new loop run brings a new closure.
                self.iter_poly =
                    self.side.is_none() && self.frames.is_empty() && pc + 1 == self.pc0;
                let r = self.inline_call(vm, pc, a, 2, nres, fv);
                self.iter_poly = false;
                return r;
            }
            if let Some((fp, id)) = native.filter(|&(_, id)| id == ffid::WRAP_AUX) {
                // A `wrap` function: the interpreter switches to it.
                if self.switches(pc, id) {
                    return self.end_for_switch(pc, fp);
                }
                if self.stitching {
                    return Err("NYI: coroutine switch in a short trace".into());
                }
            }
            if let Some(want) = native
                .filter(|&(_, id)| id == ffid::GMATCH_AUX && nres >= 1)
                .and_then(|(fp, _)| lunatrace_vm::lib_string::gmatch_peek(fp))
            {
                return self.record_gmatch(vm, a, nres, want);
            }
            if let Some((fp, _)) = native.filter(|&(fp, _)| self.stitchable(pc, nres, fp)) {
                // Another native iterator (`gmatch`'s, a C module's...):
                // the trace ends before the ITERC, which the driver runs.
                return self.end_for_stitch(vm, pc, a - 3, fp);
            }
            return Err("NYI: generic for with this iterator".into());
        };
        let Some(tp) = self.val(vm, a - 2).as_table_ptr() else {
            return Err("NYI: iteration over a non-table".into());
        };
        self.guard_func(vm, a - 3, fp)?;
        let t = self.slot(vm, a - 2)?;
        let nil = self.t.konst(Const::Val(NIL_BITS));
        let (k, v) = if id == ffid::IPAIRS_AUX {
            // Raw t[i + 1]; the iteration ends at the first nil.
            let iv = self.val(vm, a - 1);
            if !iv.is_num() {
                return Err("NYI: ipairs with a non-number control".into());
            }
            let i = self.slot(vm, a - 1)?;
            let one = self.knum(1.0);
            let k = self.t.emit(Op::ADD, Ty::Num, i, one);
            let key = Value::num(iv.num_unchecked() + 1.0);
            let raw = self.table_load(tp, t, key, Some(k))?;
            let val = lunatrace_vm::table::get(tp, key);
            if val.is_nil() {
                self.t.emit(Op::EQ, Ty::Void, raw, nil);
                (None, None)
            } else {
                let v = self.t.emit(Op::UNBOX, ty_of(val)?, raw, Ref::NONE);
                (Some(k), Some(v))
            }
        } else {
            let kv = self.val(vm, a - 1);
            let kr = self.slot(vm, a - 1)?;
            match self.next_pair(tp, t, kv, kr)? {
                Some((k, v)) => (Some(k), Some(v)),
                None => (None, None),
            }
        };
        let nilv = self.kpri(Ty::Nil);
        for i in 0..nres.max(0) as u32 {
            let r = match i {
                0 => k.unwrap_or(nilv),
                1 => v.unwrap_or(nilv),
                _ => nilv,
            };
            self.set(a + i, r)?;
        }
        Ok(())
    }

    /// ITERC of a `string.gmatch` iterator whose next step gives a match
    /// with at most one string capture (`want`) or the end: the step as a
    /// helper call (`GMATCH`) that gives false, changing nothing, when the
    /// outcome differs, or the function is not a gmatch iterator: the
    /// trace then exits to the ITERC, which the interpreter makes.
    fn record_gmatch(&mut self, vm: &Vm, a: u32, nres: i32, want: bool) -> Result<(), Abort> {
        let f = self.slot(vm, a - 3)?;
        if self.t.ty(f) != Ty::Func {
            return Err("NYI: gmatch iterator of an unknown type".into());
        }
        self.gc_before();
        let r = self.t.emit(Op::GMATCH, Ty::Val, f, Ref(want as i32));
        let kfalse = self.t.konst(Const::Val(lunatrace_vm::value::FALSE_BITS));
        self.t.emit(Op::NE, Ty::Void, r, kfalse);
        let nilv = self.kpri(Ty::Nil);
        let first = match want {
            true => self.t.emit(Op::UNBOX, Ty::Str, r, Ref::NONE),
            false => nilv,
        };
        for i in 0..nres as u32 {
            self.set(a + i, if i == 0 { first } else { nilv })?;
        }
        Ok(())
    }

    /// `next(t, k)` of table `tp` (IR ref `t`) and key `kv` (IR ref `kr`):
    /// the following key and its value as refs, or None at the end. The helper returns the following key (nil at the end; NaN,
    /// never a key, when k is not in t: the interpreter then raises the
    /// error); the end or not is guarded as observed.
    pub(crate) fn next_pair(
        &mut self,
        tp: std::ptr::NonNull<lunatrace_vm::object::Table>,
        t: Ref,
        kv: Value,
        kr: Ref,
    ) -> Result<Option<(Ref, Ref)>, Abort> {
        let nil = self.t.konst(Const::Val(NIL_BITS));
        let kb = self.t.emit(Op::BOX, Ty::Val, kr, Ref::NONE);
        let nk = self.t.emit(Op::NEXTK, Ty::Val, t, kb);
        match lunatrace_vm::table::next(tp, kv) {
            Err(_) => Err("NYI: next with an invalid key".into()),
            Ok(None) => {
                self.t.emit(Op::EQ, Ty::Void, nk, nil);
                Ok(None)
            }
            Ok(Some((k2, v2))) => {
                let ty = ty_of(k2)?;
                let k = self.t.emit(Op::UNBOX, ty, nk, Ref::NONE);
                if ty == Ty::Num {
                    // Not NaN (the helper's "invalid key").
                    self.t.emit(Op::EQ, Ty::Void, k, k);
                }
                let raw = self.t.emit(Op::HGET, Ty::Val, t, nk);
                let v = self.t.emit(Op::UNBOX, ty_of(v2)?, raw, Ref::NONE);
                Ok(Some((k, v)))
            }
        }
    }

    /// ITERL at `pc` (`ins`): if slot A is not nil, `A-1 = A` and jump
    /// back to the loop body.
    pub(crate) fn record_iterl(&mut self, vm: &Vm, pc: usize, ins: u32) -> Result<(), Abort> {
        let a = bc::a(ins);
        let v = self.val(vm, a);
        let own = pc == self.pc0 && self.side.is_none() && self.frames.is_empty();
        if !own {
            let x = self.slot(vm, a)?;
            if !v.is_nil() {
                self.set(a - 1, x)?;
            }
            return Ok(());
        }
        // The trace's own loop instruction: resuming at it would re-enter
        // the trace. The end of the iteration resumes after it; a new
        // type of the variable resumes in the body with `A-1 = A` done.
        if v.is_nil() {
            return Err(crate::record::LEAVING_LOOP.into());
        }
        // (The first instruction of the trace: nothing is loaded yet.)
        let s = (self.cur_base() + a) as usize;
        let l = self.t.emit_lit(Op::SLOAD, Ty::Val, s as i32, 0);
        self.snap(pc + 1);
        let nil = self.t.konst(Const::Val(NIL_BITS));
        self.t.emit(Op::NE, Ty::Void, l, nil);
        self.set(a - 1, l)?;
        let body = (pc as i64 + 1 + bc::jump(ins) as i64) as usize;
        self.snap(body);
        let x = self.t.emit(Op::UNBOX, ty_of(v)?, l, Ref::NONE);
        self.slots[s] = Some(x);
        self.set(a - 1, x)
    }
}
