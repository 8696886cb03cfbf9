//! Recording more fast functions and string operations: `string.byte len
//! sub char format`, `CAT`, method lookups on strings (`s:sub(...)`),
//! `tostring` and `tonumber`, `select`, `rawget rawset rawequal`,
//! `assert`, `unpack` and `table.insert` (append form).
//!
//! String results come from runtime helpers that intern (`vm/jitrt.rs`);
//! after such an allocation the trace checks the GC debt (`GCSTEP`) and
//! exits when a collection is due. A `CALL` with fixed results exits to the
//! next instruction (the result in its slot); other call forms (all
//! results, tail calls) check before the allocation and re-run the call.

use crate::record::{no_meta, truthy, ty_of, Abort, Recorder};
use lunatrace_ir::{Const, Op, Ref, Ty};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::object::{ffid, str_bytes, Func};
use lunatrace_vm::value::tag;
use lunatrace_vm::{Value, Vm};
use std::ptr::NonNull;

/// Most values passed to one helper (CAT operands, `string.char` bytes,
/// `string.format` arguments).
const MAX_SPILL: u32 = 32;

/// Most results of `unpack` compiled.
const MAX_UNPACK: usize = 8;

impl Recorder {
    /// Whether a GC check after an allocation may exit to the next
    /// instruction: only a `CALL` with fixed results (or another
    /// instruction whose result is in its slot, like CAT).
    fn gc_after_ok(&self) -> bool {
        let ins = lunatrace_vm::jitrt::code_at(self.cur_proto(), self.cur_pc);
        match bc::op(ins) {
            opc::CALL => bc::b(ins) != 0,
            opc::CAT => true,
            _ => false,
        }
    }

    /// Before an allocating helper: check the GC debt here when the check
    /// cannot follow the allocation (the exit re-runs the instruction).
    pub(crate) fn gc_before(&mut self) {
        if !self.gc_after_ok() {
            self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        }
    }

    /// After an allocating helper (and after setting the result slots):
    /// exit to the next instruction when a collection is due.
    fn gc_after(&mut self) {
        if self.gc_after_ok() {
            self.snap(self.cur_pc + 1);
            self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
        }
    }

    /// Chain boxed values as `CARG(...(CARG(v1, v2)...), vN)`.
    fn chain(&mut self, vals: &[Ref]) -> Ref {
        let mut r = self.t.emit(Op::BOX, Ty::Val, vals[0], Ref::NONE);
        for &v in &vals[1..] {
            let b = self.t.emit(Op::BOX, Ty::Val, v, Ref::NONE);
            r = self.t.emit(Op::CARG, Ty::Void, r, b);
        }
        r
    }

    /// A string argument in slot `s` (no number coercion).
    fn str_arg(&mut self, vm: &Vm, s: u32, what: &str) -> Result<Ref, Abort> {
        if !self.val(vm, s).is_str() {
            return Err(format!("NYI: {} of a non-string", what));
        }
        self.slot(vm, s)
    }

    /// A number argument in slot `s`, or the constant `def` when absent
    /// (`i >= nargs`) or nil.
    fn num_arg(&mut self, vm: &Vm, s: u32, present: bool, def: f64) -> Result<Ref, Abort> {
        if !present || self.val(vm, s).is_nil() {
            if present {
                self.slot(vm, s)?;
            }
            return Ok(self.knum(def));
        }
        if !self.val(vm, s).is_num() {
            return Err("NYI: non-number argument".into());
        }
        self.slot(vm, s)
    }

    /// Set results `a..a+nres` from `vals` (nil beyond them).
    fn set_results(&mut self, a: u32, nres: u32, vals: &[Ref]) -> Result<(), Abort> {
        let nil = self.kpri(Ty::Nil);
        let need = (self.cur_base() + a + nres) as usize + 1;
        self.ensure_slots(need);
        for i in 0..nres {
            let r = vals.get(i as usize).copied().unwrap_or(nil);
            self.set(a + i, r)?;
        }
        Ok(())
    }

    /// Fast functions with any number of results (`select`, `unpack`,
    /// `assert`): their result values, or None for other functions.
    fn fast_values(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        fp: NonNull<Func>,
        id: u8,
    ) -> Result<Option<Vec<Ref>>, Abort> {
        if nargs < 0 {
            return Ok(None);
        }
        let n = nargs as u32;
        let vals = match id {
            ffid::SELECT if n >= 1 => {
                let v1 = self.val(vm, a + 1);
                self.guard_func(vm, a, fp)?;
                let x = self.slot(vm, a + 1)?;
                let k = n - 1;
                if v1.is_str() && lunatrace_vm::object::str_bytes(v1).first() == Some(&b'#') {
                    let kr = self.kptr(v1.payload(), Ty::Str);
                    self.t.emit(Op::EQ, Ty::Void, x, kr);
                    vec![self.knum(k as f64)]
                } else if let Some(i) = v1.as_num() {
                    if i != i.trunc() || i == 0.0 || i < -(k as f64) || i > 1e9 {
                        return Err("NYI: select with this index".into());
                    }
                    let kr = self.knum(i);
                    self.t.emit(Op::EQ, Ty::Void, x, kr);
                    let start = if i < 0.0 {
                        (k as i64 + i as i64 + 1) as u32
                    } else {
                        (i as u32).min(k + 1)
                    };
                    let mut vals = Vec::new();
                    for j in start..=k {
                        vals.push(self.slot(vm, a + 1 + j)?);
                    }
                    vals
                } else {
                    return Err("NYI: select with this index".into());
                }
            }
            ffid::NEXT if n >= 1 => {
                // `next(t [, k])`, raw: the following key and value, or
                // one nil at the end (as observed, guarded).
                let Some(tp) = self.val(vm, a + 1).as_table_ptr() else {
                    return Err("NYI: next of a non-table".into());
                };
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let (kv, kr) = if n >= 2 {
                    (self.val(vm, a + 2), self.slot(vm, a + 2)?)
                } else {
                    (Value::NIL, self.kpri(Ty::Nil))
                };
                match self.next_pair(tp, t, kv, kr)? {
                    Some((k, v)) => vec![k, v],
                    None => vec![self.kpri(Ty::Nil)],
                }
            }
            ffid::STR_FIND if (2..=4).contains(&n) => {
                // Positions only (no captures): found or not as observed,
                // guarded on the helper's packed result.
                let (sv, pv) = (self.val(vm, a + 1), self.val(vm, a + 2));
                let s = self.str_arg(vm, a + 1, "string.find")?;
                let p = self.str_arg(vm, a + 2, "string.find")?;
                // (Slots past the arguments hold anything: read only those
                // passed.)
                let iv = if n >= 3 {
                    self.val(vm, a + 3)
                } else {
                    Value::NIL
                };
                if !(iv.is_nil() || iv.is_num()) {
                    return Err("NYI: string.find with this start".into());
                }
                let init = self.num_arg(vm, a + 3, n >= 3, 1.0)?;
                let plain = n >= 4 && self.val(vm, a + 4).truthy();
                if n >= 4 {
                    self.slot(vm, a + 4)?;
                }
                let init_v = if iv.is_num() { iv.num_unchecked() } else { 1.0 };
                use lunatrace_vm::lib_string::{find_positions, Found};
                let seen = match find_positions(
                    str_bytes(sv),
                    str_bytes(pv),
                    lunatrace_vm::state::num_to_int(init_v),
                    plain,
                ) {
                    Found::At(..) => true,
                    Found::None => false,
                    Found::Other => return Err("NYI: string.find with captures".into()),
                };
                self.guard_func(vm, a, fp)?;
                let sp = self.t.emit(Op::CARG, Ty::Void, s, p);
                let kp = self.t.kint(plain as i32);
                let ip = self.t.emit(Op::CARG, Ty::Void, init, kp);
                let r = self.t.emit(Op::SFIND, Ty::Ptr, sp, ip);
                let start = self.t.emit(Op::SFINDS, Ty::Num, r, Ref::NONE);
                match seen {
                    true => {
                        let one = self.knum(1.0);
                        self.cmp_guard(Op::GE, start, one, true);
                        let end = self.t.emit(Op::SFINDE, Ty::Num, r, Ref::NONE);
                        vec![start, end]
                    }
                    false => {
                        let zero = self.knum(0.0);
                        self.t.emit(Op::EQ, Ty::Void, start, zero);
                        vec![self.kpri(Ty::Nil)]
                    }
                }
            }
            ffid::STR_BYTE if n == 3 => {
                // `s:byte(i, j)` with 1 <= i <= j <= #s (j - i < 8): the
                // count is fixed by a guard on j - i, each byte loaded.
                let sv = self.val(vm, a + 1);
                let s = self.str_arg(vm, a + 1, "string.byte")?;
                let len = lunatrace_vm::object::str_bytes(sv).len() as f64;
                let int = |v: Value| v.as_num().filter(|x| *x == x.trunc() && x.abs() < 1e9);
                let (Some(i), Some(j)) = (int(self.val(vm, a + 2)), int(self.val(vm, a + 3)))
                else {
                    return Err("NYI: string.byte with these indices".into());
                };
                if !(1.0 <= i && i <= j && j <= len && j - i < 8.0) {
                    return Err("NYI: string.byte with these indices".into());
                }
                self.guard_func(vm, a, fp)?;
                let l = self.t.emit(Op::STRLEN, Ty::Int, s, Ref::NONE);
                let (x, y) = (self.slot(vm, a + 2)?, self.slot(vm, a + 3)?);
                let ii = self.t.emit(Op::TOINT, Ty::Int, x, Ref::NONE);
                let jj = self.t.emit(Op::TOINT, Ty::Int, y, Ref::NONE);
                self.t.emit(Op::ABC, Ty::Void, ii, l);
                self.t.emit(Op::ABC, Ty::Void, jj, l);
                let d = self.t.emit(Op::SUB, Ty::Num, y, x);
                let kd = self.knum(j - i);
                self.t.emit(Op::EQ, Ty::Void, d, kd);
                let mut vals = Vec::new();
                for k in 0..=(j - i) as i32 {
                    let idx = if k == 0 {
                        ii
                    } else {
                        let kk = self.t.kint(k);
                        self.t.emit(Op::IADD, Ty::Int, ii, kk)
                    };
                    let b = self.t.emit(Op::SBYTE, Ty::Int, s, idx);
                    vals.push(self.t.emit(Op::TONUM, Ty::Num, b, Ref::NONE));
                }
                vals
            }
            ffid::PAIRS | ffid::IPAIRS if n >= 1 => {
                // (iterator, t, nil or 0); the iterator is the closure's
                // upvalue (fixed: guarded through the callee's identity).
                if !self.val(vm, a + 1).is_table() {
                    return Err("NYI: pairs/ipairs of a non-table".into());
                }
                // SAFETY: live native closure; shared access only.
                let it = unsafe { (*fp.as_ptr()).cupvals.first().copied() };
                let Some(itp) = it.and_then(|v| v.as_func_ptr()) else {
                    return Err("NYI: pairs/ipairs without its iterator".into());
                };
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let f = self.kptr(itp.as_ptr() as u64, Ty::Func);
                let ctl = if id == ffid::PAIRS {
                    self.kpri(Ty::Nil)
                } else {
                    self.knum(0.0)
                };
                vec![f, t, ctl]
            }
            ffid::UNPACK if n == 1 => {
                let tv = self.val(vm, a + 1);
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: unpack of a non-table".into());
                };
                let len = lunatrace_vm::table::length(tp);
                if len > MAX_UNPACK {
                    return Err("NYI: unpack of a long table".into());
                }
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let l = self.t.emit(Op::TLEN, Ty::Int, t, Ref::NONE);
                let kl = self.t.kint(len as i32);
                self.t.emit(Op::EQ, Ty::Void, l, kl);
                let mut vals = Vec::with_capacity(len);
                for i in 1..=len {
                    let key = Value::num(i as f64);
                    let v = lunatrace_vm::table::get(tp, key);
                    let raw = self.table_load(tp, t, key, None)?;
                    let ty = ty_of(v)?;
                    vals.push(self.t.emit(Op::UNBOX, ty, raw, Ref::NONE));
                }
                vals
            }
            ffid::UNPACK if (2..=3).contains(&n) => {
                // `unpack(t, i [, j])`: the count j - i + 1 guarded, the
                // elements read at keys i, i + 1, ...
                let tv = self.val(vm, a + 1);
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: unpack of a non-table".into());
                };
                let (iv, jv) = (self.val(vm, a + 2), self.val(vm, a + 3));
                let int = |v: Value| v.as_num().filter(|x| *x == x.trunc() && x.abs() < 1e9);
                let i0 = if iv.is_nil() { Some(1.0) } else { int(iv) };
                let j0 = if n < 3 || jv.is_nil() {
                    Some(lunatrace_vm::table::length(tp) as f64)
                } else {
                    int(jv)
                };
                let (Some(i0), Some(j0)) = (i0, j0) else {
                    return Err("NYI: unpack with these bounds".into());
                };
                let count = j0 - i0 + 1.0;
                if !(1.0..=MAX_UNPACK as f64).contains(&count) {
                    return Err("NYI: unpack of this many values".into());
                }
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let i = self.num_arg(vm, a + 2, true, 1.0)?;
                let j = if n == 3 && !jv.is_nil() {
                    self.num_slot(vm, a + 3)?
                } else {
                    if n == 3 {
                        self.slot(vm, a + 3)?;
                    }
                    let l = self.t.emit(Op::TLEN, Ty::Int, t, Ref::NONE);
                    self.t.emit(Op::TONUM, Ty::Num, l, Ref::NONE)
                };
                let d = self.t.emit(Op::SUB, Ty::Num, j, i);
                let k = self.knum(count - 1.0);
                self.t.emit(Op::EQ, Ty::Void, d, k);
                let mut vals = Vec::with_capacity(count as usize);
                for m in 0..count as u32 {
                    let key = Value::num(i0 + m as f64);
                    let km = self.knum(m as f64);
                    let kr = self.t.emit(Op::ADD, Ty::Num, i, km);
                    let v = lunatrace_vm::table::get(tp, key);
                    let raw = self.table_load(tp, t, key, Some(kr))?;
                    let ty = ty_of(v)?;
                    vals.push(self.t.emit(Op::UNBOX, ty, raw, Ref::NONE));
                }
                vals
            }
            ffid::ASSERT if n >= 1 => {
                self.guard_func(vm, a, fp)?;
                let mut vals = Vec::with_capacity(n as usize);
                for i in 0..n {
                    vals.push(self.slot(vm, a + 1 + i)?);
                }
                if !truthy(self.t.ty(vals[0])) {
                    return Err("NYI: failing assert".into());
                }
                vals
            }
            _ => return Ok(None),
        };
        Ok(Some(vals))
    }

    /// ISLT/ISGE/ISLE/ISGT on two strings: bytewise order through a
    /// helper (`a <= b` is `not (b < a)`), the outcome guarded.
    pub(crate) fn record_str_compare(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        let (a, d) = (bc::a(ins), bc::d(ins));
        let (x, y) = (self.slot(vm, a)?, self.slot(vm, d)?);
        let (sa, sd) = (str_bytes(self.val(vm, a)), str_bytes(self.val(vm, d)));
        // The strict comparison behind the instruction: a < d (ISLT,
        // ISGE) or d < a (ISLE, ISGT).
        let (p, q, lt) = if matches!(bc::op(ins), opc::ISLT | opc::ISGE) {
            (x, y, sa < sd)
        } else {
            (y, x, sd < sa)
        };
        let r = self.t.emit(Op::STRLT, Ty::Int, p, q);
        let k = self.t.kint(lt as i32);
        self.t.emit(Op::EQ, Ty::Void, r, k);
        Ok(())
    }

    /// `(select(k, ...))` with an index that is not a constant, over all
    /// the varargs of the trace's base frame (`for k = 1, select('#',
    /// ...) do ... select(k, ...)`): the k-th is loaded from its stack
    /// slot (`VLOAD`) after a bounds guard, instead of guarding `k` to
    /// the value seen. None for other forms (the index guarded then).
    fn select_varying(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        fp: NonNull<Func>,
    ) -> Result<Option<Ref>, Abort> {
        let Some(i) = self.val(vm, a + 1).as_num() else {
            return Ok(None);
        };
        let n = (nargs.max(1) - 1) as u32;
        if !self.frames.is_empty() || self.t.shift != 0 || !self.down.is_empty() {
            return Ok(None);
        }
        let th = vm.th();
        let fr = &th.frames[self.fi];
        let (nvar, base) = (fr.nvarargs, fr.base as usize);
        if n == 0 || n != nvar || i != i.trunc() || i < 1.0 || i > n as f64 {
            return Ok(None);
        }
        let x = self.slot(vm, a + 1)?;
        if self.t.get_const(x).is_some() {
            return Ok(None);
        }
        // The values passed are the varargs, in order (VARG's loads).
        for j in 0..n {
            let r = self.slot(vm, a + 2 + j)?;
            let from_varg = self.t.ins_of(r).is_some_and(|u| {
                u.op == Op::UNBOX
                    && self
                        .t
                        .ins_of(u.ra())
                        .is_some_and(|l| l.op == Op::SLOAD && l.a == j as i32 - nvar as i32)
            });
            if !from_varg {
                return Ok(None);
            }
        }
        self.guard_func(vm, a, fp)?;
        let ki = if self.t.ty(x) == Ty::Int {
            x
        } else {
            self.t.emit(Op::TOINT, Ty::Int, x, Ref::NONE)
        };
        let kn = self.t.kint(nvar as i32);
        self.t.emit(Op::ABC, Ty::Void, ki, kn);
        let v = th.stack[base - nvar as usize + i as usize - 1];
        let l = self.t.emit(Op::VLOAD, Ty::Val, ki, Ref(nvar as i32));
        Ok(Some(self.t.emit(Op::UNBOX, ty_of(v)?, l, Ref::NONE)))
    }

    /// A call of a fast function wanting all its results: Some(number of
    /// results, set from slot `a` on), or None when not one of ours.
    pub(crate) fn fast_call_multi(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        fp: NonNull<Func>,
        id: u8,
    ) -> Result<Option<u32>, Abort> {
        let Some(vals) = self.fast_values(vm, a, nargs, fp, id)? else {
            return Ok(None);
        };
        let n = vals.len() as u32;
        self.set_results(a, n, &vals)?;
        Ok(Some(n))
    }

    /// The fast functions of this file with `nres` (>= 0) results wanted;
    /// Ok(false) when `id` is none of them (or the form is not compiled).
    pub(crate) fn fast_call_more(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        nres: i32,
        fp: NonNull<Func>,
        id: u8,
    ) -> Result<bool, Abort> {
        if nargs < 0 || nres < 0 {
            return Ok(false);
        }
        if id == ffid::SELECT && nres <= 1 {
            if let Some(r) = self.select_varying(vm, a, nargs, fp)? {
                if nres == 1 {
                    self.set(a, r)?;
                }
                return Ok(true);
            }
        }
        if let Some(vals) = self.fast_values(vm, a, nargs, fp, id)? {
            self.set_results(a, nres as u32, &vals)?;
            return Ok(true);
        }
        if nres > 1 {
            return Ok(false);
        }
        let n = nargs as u32;
        let r = match id {
            ffid::STR_LEN if n >= 1 => {
                let s = self.str_arg(vm, a + 1, "string.len")?;
                self.guard_func(vm, a, fp)?;
                let l = self.t.emit(Op::STRLEN, Ty::Int, s, Ref::NONE);
                self.t.emit(Op::TONUM, Ty::Num, l, Ref::NONE)
            }
            ffid::STR_BYTE if (1..=2).contains(&n) => {
                let sv = self.val(vm, a + 1);
                let s = self.str_arg(vm, a + 1, "string.byte")?;
                let iv = if n == 2 {
                    self.val(vm, a + 2)
                } else {
                    Value::num(1.0)
                };
                let Some(i) = iv.as_num().filter(|i| *i == i.trunc() && i.abs() < 1e9) else {
                    return Err("NYI: string.byte with this index".into());
                };
                let len = lunatrace_vm::object::str_bytes(sv).len() as f64;
                let pos = if i < 0.0 { len + i + 1.0 } else { i };
                if pos < 1.0 || pos > len {
                    return Err("NYI: string.byte out of range".into());
                }
                self.guard_func(vm, a, fp)?;
                let l = self.t.emit(Op::STRLEN, Ty::Int, s, Ref::NONE);
                self.t.note_seen(l, len as i32);
                let idx = if n == 1 {
                    self.t.kint(1)
                } else {
                    let x = self.slot(vm, a + 2)?;
                    let ii = self.t.emit(Op::TOINT, Ty::Int, x, Ref::NONE);
                    if i < 0.0 {
                        let z = self.knum(0.0);
                        self.cmp_guard(Op::LT, x, z, true);
                        let one = self.t.kint(1);
                        let e = self.t.emit(Op::IADD, Ty::Int, l, ii);
                        self.t.emit(Op::IADD, Ty::Int, e, one)
                    } else {
                        ii
                    }
                };
                self.t.emit(Op::ABC, Ty::Void, idx, l);
                let b = self.t.emit(Op::SBYTE, Ty::Int, s, idx);
                self.t.emit(Op::TONUM, Ty::Num, b, Ref::NONE)
            }
            ffid::STR_SUB if (1..=3).contains(&n) => {
                let s = self.str_arg(vm, a + 1, "string.sub")?;
                let i = self.num_arg(vm, a + 2, n >= 2, 1.0)?;
                let j = self.num_arg(vm, a + 3, n >= 3, -1.0)?;
                self.guard_func(vm, a, fp)?;
                // The GC check before the call (string.sub is pure: the
                // exit runs it again), so that no snapshot holds the
                // substring: `#s:sub(i, j)` then makes none (SUBLEN).
                self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
                let ij = self.t.emit(Op::CARG, Ty::Void, i, j);
                let r = self.t.emit(Op::SSUB, Ty::Str, s, ij);
                if nres == 1 {
                    self.set(a, r)?;
                }
                return Ok(true);
            }
            ffid::STR_LOWER | ffid::STR_UPPER if n >= 1 => {
                let s = self.str_arg(vm, a + 1, "string.lower/upper")?;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let up = i32::from(id == ffid::STR_UPPER);
                let r = self.t.emit(Op::SCASE, Ty::Str, s, Ref(up));
                return self.alloc_result(a, nres, r);
            }
            ffid::STR_MATCH
                if (2..=3).contains(&n)
                    && self.val(vm, a + 1).is_str()
                    && self.val(vm, a + 2).is_str()
                    && (n == 2 || self.val(vm, a + 3).is_nil() || self.val(vm, a + 3).is_num()) =>
            {
                // One result, as observed: a string (the whole match or
                // the only capture) or no match (nil); the helper gives
                // false, changing nothing, for another outcome (so a
                // call for all results has one, `fast_call_mr`).
                let (sv, pv) = (self.val(vm, a + 1), self.val(vm, a + 2));
                let init_v = self
                    .val(vm, a + 3)
                    .as_num()
                    .filter(|_| n == 3)
                    .unwrap_or(1.0);
                let seen = match lunatrace_vm::lib_string::match_first(
                    str_bytes(sv),
                    str_bytes(pv),
                    init_v,
                ) {
                    Some(m) => m.is_some(),
                    None => return Ok(false),
                };
                let s = self.slot(vm, a + 1)?;
                let p = self.slot(vm, a + 2)?;
                let init = self.num_arg(vm, a + 3, n >= 3, 1.0)?;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let sp = self.t.emit(Op::CARG, Ty::Void, s, p);
                let kw = self.t.kint(seen as i32);
                let iw = self.t.emit(Op::CARG, Ty::Void, init, kw);
                let r = self.t.emit(Op::SMATCH, Ty::Val, sp, iw);
                let kfalse = self.t.konst(Const::Val(lunatrace_vm::value::FALSE_BITS));
                self.t.emit(Op::NE, Ty::Void, r, kfalse);
                let first = match seen {
                    true => self.t.emit(Op::UNBOX, Ty::Str, r, Ref::NONE),
                    false => self.kpri(Ty::Nil),
                };
                return self.alloc_result(a, nres, first);
            }
            ffid::STR_GSUB
                if n == 3
                    && self.val(vm, a + 1).is_str()
                    && self.val(vm, a + 2).is_str()
                    && self.val(vm, a + 3).is_str() =>
            {
                // A string replacement runs no Lua code: one helper call
                // (the count, a second result, is not compiled).
                let s = self.slot(vm, a + 1)?;
                let p = self.slot(vm, a + 2)?;
                let repl = self.slot(vm, a + 3)?;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let sp = self.t.emit(Op::CARG, Ty::Void, s, p);
                let r = self.t.emit(Op::SGSUB, Ty::Str, sp, repl);
                return self.alloc_result(a, nres, r);
            }
            ffid::STR_REP if n == 2 && self.val(vm, a + 2).is_num() => {
                let s = self.str_arg(vm, a + 1, "string.rep")?;
                let k = self.num_slot(vm, a + 2)?;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let r = self.t.emit(Op::SREP, Ty::Str, s, k);
                return self.alloc_result(a, nres, r);
            }
            ffid::STR_CHAR if (1..=MAX_SPILL).contains(&n) => {
                let mut xs = Vec::with_capacity(n as usize);
                for i in 0..n {
                    let v = self.val(vm, a + 1 + i);
                    let ok = v
                        .as_num()
                        .is_some_and(|x| (0..=255).contains(&lunatrace_vm::state::num_to_int(x)));
                    if !ok {
                        return Err("NYI: string.char of a non-byte".into());
                    }
                    xs.push(self.slot(vm, a + 1 + i)?);
                }
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let ch = self.chain(&xs);
                let r = self.t.emit_lit(Op::SCHAR, Ty::Str, ch.0, n as i32);
                return self.alloc_result(a, nres, r);
            }
            ffid::STR_FORMAT if (1..=MAX_SPILL).contains(&n) => {
                let fv = self.val(vm, a + 1);
                if !fv.is_str() {
                    return Err("NYI: string.format with a non-string format".into());
                }
                if !lunatrace_vm::strfmt::jit_supported(lunatrace_vm::object::str_bytes(fv)) {
                    return Err("NYI: string.format with this format".into());
                }
                let mut xs = Vec::with_capacity(n as usize);
                for i in 0..n {
                    let v = self.val(vm, a + 1 + i);
                    if !(v.is_str() || v.is_num()) {
                        return Err("NYI: string.format of this value".into());
                    }
                    xs.push(self.slot(vm, a + 1 + i)?);
                }
                // The format is usually constant: guard it.
                let kf = self.kptr(fv.payload(), Ty::Str);
                self.t.emit(Op::EQ, Ty::Void, xs[0], kf);
                xs[0] = kf;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let ch = self.chain(&xs);
                let r = self.t.emit_lit(Op::SFMT, Ty::Str, ch.0, n as i32);
                return self.alloc_result(a, nres, r);
            }
            ffid::TOSTRING if n >= 1 => {
                let v = self.val(vm, a + 1);
                if v.is_str() {
                    self.guard_func(vm, a, fp)?;
                    self.slot(vm, a + 1)?
                } else if v.is_num() {
                    let x = self.slot(vm, a + 1)?;
                    self.guard_func(vm, a, fp)?;
                    self.gc_before();
                    let r = self.t.emit(Op::TOSTR, Ty::Str, x, Ref::NONE);
                    return self.alloc_result(a, nres, r);
                } else if v.is_nil() || v.is_bool() {
                    // The type is guarded: a constant string (when
                    // interned; kept alive as a root of the trace).
                    self.slot(vm, a + 1)?;
                    self.guard_func(vm, a, fp)?;
                    let name: &[u8] = match (v.is_nil(), v.truthy()) {
                        (true, _) => b"nil",
                        (false, true) => b"true",
                        (false, false) => b"false",
                    };
                    let Some(st) = vm.heap.find_interned(name) else {
                        return Err("NYI: tostring result not interned".into());
                    };
                    self.roots.push(Value::from_str(st));
                    self.kptr(st.as_ptr() as u64, Ty::Str)
                } else {
                    return Err(format!("NYI: tostring of a {}", v.type_name()));
                }
            }
            ffid::FFI_NEW if n >= 1 => {
                let ct = self.ffi_ctype_arg(vm, a + 1)?;
                self.guard_func(vm, a, fp)?;
                let r = self.ffi_cnew(vm, ct, a + 2, n - 1)?;
                return self.alloc_result(a, nres, r);
            }
            ffid::FFI_CAST if n == 2 => {
                let ct = self.ffi_ctype_arg(vm, a + 1)?;
                self.guard_func(vm, a, fp)?;
                self.ffi_cast(vm, ct, a + 2)?
            }
            ffid::TONUMBER if n == 1 => {
                let v = self.val(vm, a + 1);
                self.guard_func(vm, a, fp)?;
                if v.is_num() {
                    self.slot(vm, a + 1)?
                } else if v.is_str() {
                    let s = self.slot(vm, a + 1)?;
                    let raw = self.t.emit(Op::TONUMS, Ty::Val, s, Ref::NONE);
                    let ty = if lunatrace_vm::number::str_to_num(lunatrace_vm::object::str_bytes(v))
                        .is_some()
                    {
                        Ty::Num
                    } else {
                        Ty::Nil
                    };
                    self.t.emit(Op::UNBOX, ty, raw, Ref::NONE)
                } else if v.is_cdata() {
                    self.ffi_tonumber(vm, a + 1)?
                } else {
                    self.slot(vm, a + 1)?;
                    self.kpri(Ty::Nil)
                }
            }
            ffid::RAWGET if n == 2 => {
                let tv = self.val(vm, a + 1);
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: rawget of a non-table".into());
                };
                let key = self.val(vm, a + 2);
                if !(key.is_num() || key.is_str()) {
                    return Err("NYI: rawget with this key".into());
                }
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let k = self.slot(vm, a + 2)?;
                let v = lunatrace_vm::table::get(tp, key);
                let raw = self.table_load(tp, t, key, Some(k))?;
                let ty = ty_of(v)?;
                self.t.emit(Op::UNBOX, ty, raw, Ref::NONE)
            }
            ffid::RAWSET if n == 3 => {
                let tv = self.val(vm, a + 1);
                if !tv.is_table() {
                    return Err("NYI: rawset of a non-table".into());
                }
                let key = self.val(vm, a + 2);
                if key.is_nil() || key.as_num().is_some_and(f64::is_nan) || key.is_cdata() {
                    return Err("NYI: rawset with this key".into());
                }
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let k = self.slot(vm, a + 2)?;
                let v = self.slot(vm, a + 3)?;
                self.gc_before();
                let kb = self.t.emit(Op::BOX, Ty::Val, k, Ref::NONE);
                let vb = self.t.emit(Op::BOX, Ty::Val, v, Ref::NONE);
                let args = self.t.emit(Op::CARG, Ty::Void, kb, vb);
                self.t.emit(Op::TSETNEW, Ty::Void, t, args);
                return self.alloc_result(a, nres, t);
            }
            ffid::RAWEQUAL if n == 2 => {
                let (va, vb) = (self.val(vm, a + 1), self.val(vm, a + 2));
                self.guard_func(vm, a, fp)?;
                let x = self.slot(vm, a + 1)?;
                let y = self.slot(vm, a + 2)?;
                let (tx, ty) = (self.t.ty(x), self.t.ty(y));
                if matches!(tx, Ty::Cdata | Ty::CRef) || matches!(ty, Ty::Cdata | Ty::CRef) {
                    return Err("NYI: rawequal of cdata".into());
                }
                let eq = va.raw_eq(vb);
                if tx != ty || tx.is_pri() {
                    // Types are guarded by the loads: the outcome is fixed.
                } else {
                    self.cmp_guard(Op::EQ, x, y, eq);
                }
                self.kpri(if eq { Ty::True } else { Ty::False })
            }
            ffid::TABLE_CONCAT if (1..=2).contains(&n) => {
                if !self.val(vm, a + 1).is_table() {
                    return Err("NYI: table.concat of a non-table".into());
                }
                let mut xs = vec![self.slot(vm, a + 1)?];
                if n == 2 {
                    xs.push(self.str_arg(vm, a + 2, "table.concat separator")?);
                }
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let ch = self.chain(&xs);
                let r = self.t.emit_lit(Op::TCONCAT, Ty::Str, ch.0, n as i32);
                return self.alloc_result(a, nres, r);
            }
            ffid::TABLE_REMOVE if n == 1 => {
                // `table.remove(t)`: pop t[#t] when the border lies in the
                // array part (raw, as the library does).
                let tv = self.val(vm, a + 1);
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: table.remove of a non-table".into());
                };
                // SAFETY: live table.
                let alen = unsafe { (*tp.as_ptr()).alen } as usize;
                let len = lunatrace_vm::table::length(tp);
                if len == 0 || len > alen {
                    return Err("NYI: table.remove of this table".into());
                }
                let last = lunatrace_vm::table::get(tp, Value::num(len as f64));
                let ty = ty_of(last)?;
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let l = self.t.emit(Op::TLEN, Ty::Int, t, Ref::NONE);
                let al = self.t.emit(Op::TALEN, Ty::Int, t, Ref::NONE);
                self.t.emit(Op::ABC, Ty::Void, l, al);
                let arr = self.t.emit(Op::TARR, Ty::Ptr, t, Ref::NONE);
                let at = self.t.emit(Op::AREF, Ty::Ptr, arr, l);
                let raw = self.t.emit(Op::ALOAD, Ty::Val, at, Ref::NONE);
                let r = self.t.emit(Op::UNBOX, ty, raw, Ref::NONE);
                let nil = self
                    .t
                    .konst(lunatrace_ir::Const::Val(lunatrace_vm::value::NIL_BITS));
                self.t.emit(Op::ASTORE, Ty::Void, at, nil);
                if nres >= 1 {
                    self.set(a, r)?;
                    for i in 1..nres as u32 {
                        let nil = self.kpri(Ty::Nil);
                        self.set(a + i, nil)?;
                    }
                }
                return Ok(true);
            }
            ffid::CREATE if n >= 1 && self.val(vm, a + 1).is_func() => {
                // (Extra arguments are ignored, as by `create`.)
                let f = self.slot(vm, a + 1)?;
                self.guard_func(vm, a, fp)?;
                self.gc_before();
                let r = self.t.emit(Op::CONEW, Ty::Thread, f, Ref::NONE);
                return self.alloc_result(a, nres, r);
            }
            ffid::STATUS if n >= 1 => {
                let Some(co) = self.val(vm, a + 1).as_thread_ptr() else {
                    return Err("NYI: coroutine.status of a non-thread".into());
                };
                let c = self.slot(vm, a + 1)?;
                self.guard_func(vm, a, fp)?;
                // The status seen is guarded: the result is its name.
                let code = lunatrace_vm::lib_coroutine::status_code(vm, co);
                let st = self.t.emit(Op::COSTATUS, Ty::Int, c, Ref::NONE);
                let k = self.t.konst(lunatrace_ir::trace::Const::Int(code as i32));
                self.t.emit(Op::EQ, Ty::Void, st, k);
                let name = lunatrace_vm::lib_coroutine::STATUS_NAMES[code as usize];
                let Some(sp) = vm.heap.find_interned(name.as_bytes()) else {
                    return Err("NYI: status name not interned".into());
                };
                // The name string stays interned at this address.
                self.roots.push(Value::from_str(sp));
                self.kptr(sp.as_ptr() as u64, Ty::Str)
            }
            ffid::TABLE_INSERT if n == 2 => {
                let tv = self.val(vm, a + 1);
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: table.insert into a non-table".into());
                };
                // SAFETY: live table.
                let alen = unsafe { (*tp.as_ptr()).alen } as usize;
                if lunatrace_vm::table::length(tp) != alen {
                    return Err("NYI: table.insert into a table with holes".into());
                }
                self.guard_func(vm, a, fp)?;
                let t = self.slot(vm, a + 1)?;
                let v = self.slot(vm, a + 2)?;
                let l = self.t.emit(Op::TLEN, Ty::Int, t, Ref::NONE);
                let al = self.t.emit(Op::TALEN, Ty::Int, t, Ref::NONE);
                self.t.emit(Op::EQ, Ty::Void, l, al);
                self.gc_before();
                let vb = self.t.emit(Op::BOX, Ty::Val, v, Ref::NONE);
                self.t.emit(Op::TAPPEND, Ty::Void, t, vb);
                if nres == 1 {
                    // table.insert returns nothing.
                    let nil = self.kpri(Ty::Nil);
                    self.set(a, nil)?;
                }
                self.gc_after();
                return Ok(true);
            }
            _ => return Ok(false),
        };
        if nres == 1 {
            self.set(a, r)?;
        }
        Ok(true)
    }

    /// The result of an allocating fast function: set it, then check the
    /// GC debt.
    fn alloc_result(&mut self, a: u32, nres: i32, r: Ref) -> Result<bool, Abort> {
        if nres == 1 {
            self.set(a, r)?;
        }
        self.gc_after();
        Ok(true)
    }

    /// `CAT a b c`: `a = b .. ... .. c` for strings and numbers.
    pub(crate) fn record_cat(&mut self, vm: &Vm, a: u32, b: u32, c: u32) -> Result<(), Abort> {
        if c < b || c - b + 1 > MAX_SPILL {
            return Err("NYI: long concatenation".into());
        }
        let mut xs = Vec::with_capacity((c - b + 1) as usize);
        for s in b..=c {
            let v = self.val(vm, s);
            if !(v.is_str() || v.is_num()) {
                return Err(format!("NYI: concatenation of a {}", v.type_name()));
            }
            xs.push(self.slot(vm, s)?);
        }
        let ch = self.chain(&xs);
        let r = self.t.emit_lit(Op::CAT, Ty::Str, ch.0, xs.len() as i32);
        self.set(a, r)?;
        self.gc_after();
        Ok(())
    }

    /// TGETV/TGETS/TGETB of userdata `up` (slot B) whose metatable's
    /// `__index` is a table, as for file handles (`f:read`, `f:write`):
    /// the metatable (guarded) and its `__index` table (guarded), then
    /// that table's key lookup.
    pub(crate) fn record_udata_index(
        &mut self,
        vm: &Vm,
        ins: u32,
        up: NonNull<lunatrace_vm::object::Udata>,
    ) -> Result<(), Abort> {
        let (a, b, c) = (bc::a(ins), bc::b(ins), bc::c(ins));
        // SAFETY: live userdata.
        let meta = unsafe { (*up.as_ptr()).meta };
        let Some(mt) = NonNull::new(meta) else {
            return Err("NYI: indexing userdata without metatable".into());
        };
        let idx = lunatrace_vm::table::get_str(mt, self.index_key);
        let Some(itp) = idx.as_table_ptr() else {
            return Err("NYI: userdata __index not a table".into());
        };
        let u = self.slot(vm, b)?;
        let m = self.t.emit(Op::UMETA, Ty::Ptr, u, Ref::NONE);
        let km = self.kptr(meta as u64, Ty::Ptr);
        self.t.emit(Op::EQ, Ty::Void, m, km);
        self.index_via(vm, ins, a, c, meta, itp)
    }

    /// The rest of indexing a value through metatable `meta` (a guarded
    /// constant) whose `__index` is table `itp`: `__index` guarded, then
    /// the lookup in it of the instruction's key (a string or number).
    fn index_via(
        &mut self,
        vm: &Vm,
        ins: u32,
        a: u32,
        c: u32,
        meta: *mut lunatrace_vm::object::Table,
        itp: NonNull<lunatrace_vm::object::Table>,
    ) -> Result<(), Abort> {
        let mtr = self.kptr(meta as u64, Ty::Tab);
        let mt = NonNull::new(meta).ok_or("NYI: indexing without a metatable")?;
        let raw = self.const_field(mt, mtr, self.index_key);
        let it = self.t.emit(Op::UNBOX, Ty::Tab, raw, Ref::NONE);
        let kt = self.kptr(itp.as_ptr() as u64, Ty::Tab);
        self.t.emit(Op::EQ, Ty::Void, it, kt);
        let (key, kref) = match bc::op(ins) {
            opc::TGETV => (self.val(vm, c), Some(self.slot(vm, c)?)),
            opc::TGETS => (self.kval(c), None),
            _ => (Value::num(c as f64), None),
        };
        if !(key.is_str() || key.is_num()) {
            return Err("NYI: indexing with this key through __index".into());
        }
        if !no_meta(Value::from_table(itp)) {
            return Err("NYI: __index table with a metatable".into());
        }
        let r = self.index_chain(itp, kt, key, kref)?;
        self.set(a, r)?;
        Ok(())
    }

    /// `TGETS/TGETV/TGETB` on a string (`s:sub(...)`, `s.len`): the string
    /// metatable's `__index` table, indexed raw (both guarded).
    pub(crate) fn record_str_index(&mut self, vm: &Vm, ins: u32) -> Result<(), Abort> {
        let (a, b, c) = (bc::a(ins), bc::b(ins), bc::c(ins));
        let meta = vm.type_meta[tag::STR as usize];
        if meta.is_null() {
            return Err("NYI: indexing a string without metatable".into());
        }
        // SAFETY: live metatable.
        let mt = unsafe { NonNull::new_unchecked(meta) };
        let ikey = self.index_key;
        let idx = lunatrace_vm::table::get_str(mt, ikey);
        let Some(itp) = idx.as_table_ptr() else {
            return Err("NYI: string __index not a table".into());
        };
        self.slot(vm, b)?;
        let m = self.t.emit_lit(Op::TYMETA, Ty::Ptr, tag::STR as i32, 0);
        let km = self.kptr(meta as u64, Ty::Ptr);
        self.t.emit(Op::EQ, Ty::Void, m, km);
        self.index_via(vm, ins, a, c, meta, itp)
    }
}
