//! Lowering of trace IR to Cranelift IR (see the crate doc).

#[path = "lower_arith.rs"]
mod arith;
#[path = "lower_fast.rs"]
mod fast;
#[path = "lower_ffi.rs"]
mod ffi;
pub(crate) use ffi::abi_sig;
#[path = "lower_meta.rs"]
mod meta;
#[path = "lower_table.rs"]
mod table;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, Function, InstBuilder, MemFlagsData, Signature, UserFuncName,
    Value as CVal,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use lunatrace_ir::ops::{FpMath, Op, Ty};
use lunatrace_ir::trace::{Const, Ref, Trace};
use lunatrace_ir::Ins;
use lunatrace_vm::helpers::{Effect, HTy, Helper};
use lunatrace_vm::interp_call::MAX_FRAMES;
use lunatrace_vm::object::{
    FRAME_FUNC_OFS, FRAME_KIND_LUA, FRAME_LINK_OFS, FRAME_NVARARGS_OFS, FRAME_PC_OFS,
    FRAME_RET_OFS, FRAME_SIZE, STR_LEN_OFS, TABLE_ACAP_OFS, TABLE_ALEN_OFS, TABLE_ARR_OFS,
    TABLE_HASH_OFS, TABLE_META_OFS, THREAD_FRAMES_CAP_OFS, THREAD_FRAMES_LEN_OFS,
    THREAD_FRAMES_PTR_OFS, THREAD_STACK_END_OFS, THREAD_STACK_PTR_OFS, THREAD_UPVAL_HI_OFS,
    UPVAL_V_OFS,
};
use lunatrace_vm::state::{MIN_STACK, VM_CUR_OFS, VM_JIT_MAX_SLOTS_OFS};
use lunatrace_vm::table::{
    HASH_ELEN_OFS, HASH_EPTR_OFS, HASH_SIG_OFS, NODE_KEY_OFS, NODE_SIZE, NODE_VAL_OFS,
};
use lunatrace_vm::value::{
    tag, FALSE_BITS, NIL_BITS, NUM_LIMIT, PAYLOAD_MASK, TAG_BASE, TAG_SHIFT, TRUE_BITS,
};
use std::collections::HashMap;

fn clty(t: Ty) -> Option<types::Type> {
    match t {
        Ty::Void => None,
        Ty::Num => Some(types::F64),
        Ty::Int => Some(types::I32),
        _ => Some(types::I64),
    }
}

/// Tag bits of an object type's boxed values.
fn tag_of(t: Ty) -> Option<u64> {
    Some(match t {
        Ty::Str => tag::STR,
        Ty::Tab => tag::TABLE,
        Ty::Func => tag::FUNC,
        Ty::Udata => tag::UDATA,
        Ty::Thread => tag::THREAD,
        Ty::LightUd => tag::LIGHTUD,
        Ty::Cdata => tag::CDATA,
        _ => return None,
    })
}

fn pri_bits(t: Ty) -> Option<u64> {
    match t {
        Ty::Nil => Some(NIL_BITS),
        Ty::False => Some(FALSE_BITS),
        Ty::True => Some(TRUE_BITS),
        _ => None,
    }
}

struct Lower<'a, 'b> {
    b: FunctionBuilder<'b>,
    t: &'a Trace,
    vals: Vec<Option<CVal>>,
    /// Hash parts read by `HREFK` since the last loop label or helper
    /// call: (table ref, node count, largest index it was checked to
    /// exceed, node array). Later constant-key lookups in the same table
    /// reuse them (nothing in between can resize the table; Cranelift
    /// keeps such loads apart).
    hparts: Vec<(i32, CVal, i64, CVal)>,
    /// The instruction being lowered.
    cur: usize,
    /// Offset of a 64-bit word's upper half (the target's byte order).
    hi_half: i32,
    /// Per instruction: a load of a boxed value whose only reader is an
    /// `UNBOX` to a number (`num_reads`).
    num_only: Vec<bool>,
    /// Such loads not made: their address and offset, for the `UNBOX`.
    deferred: HashMap<usize, (CVal, i32)>,
    base: CVal,
    /// The VM (second argument), for helpers that allocate.
    ctx: CVal,
    exits: HashMap<u32, Block>,
    ptr: types::Type,
    /// Slots written by the loop body: kept in variables (registers)
    /// across iterations instead of memory; exits store them back.
    carried: Vec<(u32, Variable)>,
    /// Peeled loops: typed variables of the carried slots.
    typed: Vec<(u32, Variable)>,
    /// Peeled loops: the block the loop body starts at.
    body: Option<Block>,
    /// Slots the base has moved down by returns to lower frames (RETF).
    shift: i32,
    /// A helper call that did not match the helper table (see `call`).
    bad: Option<String>,
    /// The instruction being lowered (its flags must allow the effects of
    /// the helpers its lowering calls).
    op: Op,
    /// The `%al` stub of each variadic C signature (`Trace::csigs`).
    stubs: Vec<Option<cranelift_codegen::ir::FuncRef>>,
    /// The running thread, once loaded (see `thread`).
    th: Option<CVal>,
    /// Region compilation (`lower_region`): per snapshot of the trace
    /// being lowered, the trace (index in the region) its exit continues
    /// in within this function (instead of tail-calling through its cell).
    jumps: Vec<Option<usize>>,
    /// The region being lowered, if any.
    region: Option<RegionCtx<'a>>,
    /// The last write-back (`write_back`): per slot of the exit's frame,
    /// the value stored, its IR type and its unboxed value.
    wb: Vec<(u32, CVal, Ty, Option<CVal>)>,
    /// A side trace lowered at its parent's exit: the values the exit
    /// stored, by slot (`wb`), which its stack loads take while nothing
    /// may have written the stack since (`fwd_on`).
    fwd: Vec<(u32, CVal, Ty, Option<CVal>)>,
    fwd_on: bool,
    /// Stack loads answered from `fwd`: instruction index -> type and
    /// unboxed value (their UNBOX needs no guard).
    fwd_refs: HashMap<usize, (Ty, Option<CVal>)>,
    /// Numbers made from ints here (`fcvt_from_sint`): their int, which a
    /// `TOINT` of them takes without a check.
    int_of: HashMap<CVal, CVal>,
    /// In a region: values loaded once at its entry, and the end of the
    /// frame stack kept in a variable (see `Fixed`).
    fixed: Option<Fixed>,
    /// In an exit block that makes sunk allocations: values the
    /// allocations' stores read after the helper calls, saved in a stack
    /// slot before the first call (`write_back`). Without this they live
    /// across calls, which on x86-64 keep no float register: the
    /// register allocator would keep them in memory in the loop itself.
    exit_vals: Vec<(Ref, cranelift_codegen::ir::StackSlot, i32, types::Type)>,
    /// The target is x86-64: a guarded int conversion (`TOINT`) uses
    /// `cvttpd2dq` (out of range and NaN give 0x80000000, which the
    /// guard's compare back rejects) instead of the saturating sequence.
    x86: bool,
    /// Cranelift lowers `sadd_overflow` & co. for the target (all but
    /// riscv64): guarded int arithmetic tests the overflow flag.
    ovf_ops: bool,
    /// In a region: the index of the trace being lowered.
    cur_k: usize,
    /// A region root with a mid-entry: per instruction of its pre-roll
    /// the body takes, the variable holding its value (defined where it
    /// is computed and again in the mid-entry), which every later use
    /// reads.
    inv_vars: Vec<Option<Variable>>,
    /// The region root's copies made so far (`StartCopy`), lowered after
    /// the region's blocks.
    start_copies: Vec<StartCopy>,
    /// Lowering the mid-entry: its guards fall back to this block (the
    /// root's start) instead of exiting.
    mid_fallback: Option<Block>,
    /// In a region whose root is a peeled loop: its loop body's top and
    /// carried variables (`region_loop`), once lowered.
    root_loop: Option<RootLoop>,
}

/// A region root's peeled loop, as a side trace continuing in its body
/// needs it: the body's top block and, per carried slot, the variable
/// holding its value and the value's IR type.
#[derive(Clone)]
struct RootLoop {
    body: Block,
    vars: Vec<(u32, Variable, Ty)>,
    /// The mid-entry (`region_loop::mid_entry`): the invariants computed
    /// again from the stack, then the body.
    mid: Option<Block>,
}

/// What a region's code loads once at its entry (`lower_region`): the
/// running thread, its frame buffer, and the limits STKCHK compares
/// with; the end of the frame stack (`ptr + len * FRAME_SIZE`) lives in
/// a variable that RETG and RECLINK move, stored back as the frame count
/// (`sync_top`) wherever the code leaves or calls a helper.
#[derive(Clone, Copy)]
struct Fixed {
    th: CVal,
    fp: CVal,
    top: Variable,
    /// A stack slot holding `fp + min(cap, MAX_FRAMES - 9) * FRAME_SIZE`
    /// (STKCHK's frame room and limit at once) and `stack_end -
    /// (jit_max_slots + MIN_STACK) * 8` (its stack room): loaded where
    /// used (Cranelift would compute them again there).
    lims: cranelift_codegen::ir::StackSlot,
}

/// A region being lowered (`lower_region`).
#[derive(Clone)]
struct RegionCtx<'a> {
    traces: Vec<&'a Trace>,
    jumps: Vec<Vec<Option<usize>>>,
    /// Per trace: its block (traces entered from several places, the
    /// first one, or continued in by RECLINK) or lowered at the one exit
    /// continuing in it (None).
    blocks: Vec<Option<Block>>,
    /// Per trace: its exits continuing in the root may jump to the
    /// root's loop body (`region_loop::body_reentry`).
    reenter: Vec<bool>,
    /// Per trace: they may jump to the root's mid-entry
    /// (`region_loop::mid_reentry`), when `reenter` does not hold.
    mid: Vec<bool>,
    /// The root's mid-entry instructions (empty: none is made).
    mid_ins: Vec<usize>,
    /// Per trace: its exits continuing at the root's start jump to a copy
    /// of the root made for it (`region_loop::start_copies`).
    copies: Vec<bool>,
}

/// A copy of a region's root lowered for the exits of trace `k` that
/// continue at the root's start (`region_loop::start_copies`): its block
/// takes the base, then per value the exit wrote (`sig`: slot, IR type,
/// boxed value's and typed value's types) the boxed value and the typed
/// one, which the copy's loads of those slots take unchecked.
#[derive(Clone)]
struct StartCopy {
    k: usize,
    blk: Block,
    sig: Vec<(u32, Ty, types::Type, Option<types::Type>)>,
}

impl<'a, 'b> Lower<'a, 'b> {
    /// A lowering of trace `t` (the first of a region) into the function
    /// `b` builds, nothing lowered yet.
    fn new(
        b: FunctionBuilder<'b>,
        t: &'a Trace,
        ptr: types::Type,
        stubs: Vec<Option<cranelift_codegen::ir::FuncRef>>,
        target: Target,
    ) -> Self {
        let x86 = target.x86;
        Lower {
            hi_half: if target.big_endian { 0 } else { 4 },
            num_only: num_reads(t),
            deferred: HashMap::new(),
            b,
            t,
            vals: Vec::new(),
            hparts: Vec::new(),
            cur: 0,
            base: CVal::from_u32(0),
            ctx: CVal::from_u32(0),
            exits: HashMap::new(),
            ptr,
            carried: Vec::new(),
            typed: Vec::new(),
            body: None,
            shift: 0,
            bad: None,
            op: Op::NOP,
            stubs,
            th: None,
            jumps: Vec::new(),
            region: None,
            wb: Vec::new(),
            fwd: Vec::new(),
            fwd_on: false,
            fwd_refs: HashMap::new(),
            int_of: HashMap::new(),
            fixed: None,
            exit_vals: Vec::new(),
            x86,
            ovf_ops: target.overflow_ops,
            cur_k: 0,
            inv_vars: Vec::new(),
            start_copies: Vec::new(),
            mid_fallback: None,
            root_loop: None,
        }
    }
}

impl Lower<'_, '_> {
    fn flags() -> MemFlagsData {
        MemFlagsData::trusted()
    }

    /// The Cranelift value of a reference (constants materialised here).
    fn v(&mut self, r: Ref) -> Result<CVal, String> {
        if let Some(c) = self.t.get_const(r) {
            return Ok(match c {
                Const::Num(n) => self.b.ins().f64const(n),
                Const::Int(i) => self.b.ins().iconst(types::I32, i as i64),
                Const::Ptr(p, _) => self.b.ins().iconst(types::I64, p as i64),
                Const::Val(v) => self.b.ins().iconst(types::I64, v as i64),
            });
        }
        if let Some(&(_, ss, off, ty)) = self.exit_vals.iter().find(|e| e.0 == r) {
            let ptr = self.ptr;
            return Ok(self.b.ins().stack_load(ptr, ty, ss, off));
        }
        if let Some(Some(var)) = self.inv_vars.get(r.idx()) {
            return Ok(self.b.use_var(*var));
        }
        self.vals
            .get(r.idx())
            .copied()
            .flatten()
            .ok_or_else(|| format!("undefined ref {}", r.0))
    }

    /// The values the making of sunk allocations `sunk` (in an exit whose
    /// snapshot was taken before instruction `at`) reads: the values of
    /// their stores and the fields of tables carried as fields (values
    /// the code computed; constants are made where used).
    fn materialize_inputs(&self, sunk: &[Ref], at: usize) -> Vec<Ref> {
        let mut out: Vec<Ref> = Vec::new();
        let mut add = |r: Ref| {
            if r.is_ins()
                && !out.contains(&r)
                && self.vals.get(r.idx()).copied().flatten().is_some()
            {
                out.push(r);
            }
        };
        for &r in sunk {
            let ins = self.t.ins[r.idx()];
            match ins.op {
                Op::LREF => {
                    if let Some(v) = self.t.vtabs.iter().find(|v| v.lref == r) {
                        for f in &v.fields {
                            add(f.1);
                        }
                    }
                }
                Op::TNEW | Op::TDUP => {
                    for j in r.idx() + 1..at.min(self.t.ins.len()) {
                        let s = self.t.ins[j];
                        if !self.t.is_sunk(Ref(j as i32)) {
                            continue;
                        }
                        match s.op {
                            Op::TSETNEW | Op::HSET if s.a == r.0 => {
                                if let Some(c) = self.t.ins_of(Ref(s.b)) {
                                    add(c.rb());
                                }
                            }
                            Op::HSTORE if self.t.ins[s.a as usize].a == r.0 => add(Ref(s.b)),
                            Op::TSETMETA if s.a == r.0 => add(Ref(s.b)),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Box a reference into a 64-bit value.
    fn boxed(&mut self, r: Ref) -> Result<CVal, String> {
        let ty = self.t.ty(r);
        if let Some(bits) = pri_bits(ty) {
            return Ok(self.b.ins().iconst(types::I64, bits as i64));
        }
        let v = self.v(r)?;
        self.box_as(ty, v)
    }

    /// The operand of `v` when `v` is a bitcast from type `ty` (a value
    /// unboxed by a bitcast boxes back to it).
    fn bitcast_of(&self, v: CVal, ty: types::Type) -> Option<CVal> {
        let dfg = &self.b.func.dfg;
        let inst = dfg.value_def(v).inst()?;
        if dfg.insts[inst].opcode() != cranelift_codegen::ir::Opcode::Bitcast {
            return None;
        }
        let a = dfg.inst_args(inst)[0];
        (dfg.value_type(a) == ty).then_some(a)
    }

    /// Load the boxed value at `p + off` for instruction `i`, or only note
    /// where it is when its one reader unboxes a number (`num_only`).
    fn boxed_load(&mut self, i: usize, p: CVal, off: i32) -> Option<CVal> {
        if self.num_only.get(i).copied().unwrap_or(false) {
            self.deferred.insert(i, (p, off));
            return None;
        }
        Some(self.b.ins().load(types::I64, Self::flags(), p, off))
    }

    /// The value to store for boxed `v`: a number boxed by a bitcast is
    /// stored from its float register as it is (the same bits).
    fn store_form(&self, v: CVal) -> CVal {
        self.bitcast_of(v, types::F64).unwrap_or(v)
    }

    /// Box `v`, an unboxed value of IR type `ty`.
    fn box_as(&mut self, ty: Ty, v: CVal) -> Result<CVal, String> {
        Ok(match ty {
            Ty::Num if self.bitcast_of(v, types::I64).is_some() => {
                self.bitcast_of(v, types::I64).unwrap()
            }
            Ty::Num => self.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
            Ty::Int => {
                let f = self.b.ins().fcvt_from_sint(types::F64, v);
                self.b.ins().bitcast(types::I64, MemFlagsData::new(), f)
            }
            Ty::Val => v,
            t => {
                let tg = tag_of(t).ok_or_else(|| format!("cannot box {:?}", t))?;
                self.b
                    .ins()
                    .bor_imm_u(v, (TAG_BASE | (tg << TAG_SHIFT)) as i64)
            }
        })
    }

    /// Unbox `v`, known to be a boxed value of IR type `ty`.
    fn unbox_unchecked(&mut self, ty: Ty, v: CVal) -> Result<CVal, String> {
        Ok(match ty {
            Ty::Num => self.b.ins().bitcast(types::F64, MemFlagsData::new(), v),
            Ty::Val => v,
            t if tag_of(t).is_some() => self.b.ins().band_imm_u(v, PAYLOAD_MASK as i64),
            t => return Err(format!("cannot unbox {:?}", t)),
        })
    }

    /// Exit block of snapshot `s` (created on first use, filled at the end).
    fn exit_block(&mut self, s: u32) -> Block {
        if let Some(fb) = self.mid_fallback {
            return fb;
        }
        if let Some(&b) = self.exits.get(&s) {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.exits.insert(s, b);
        b
    }

    /// Continue when `ok` is true, else leave through snapshot `snap`.
    fn guard(&mut self, ok: CVal, snap: u32) {
        let exit = self.exit_block(snap);
        let cont = self.b.create_block();
        self.b.ins().brif(ok, cont, &[], exit, &[]);
        self.b.switch_to_block(cont);
    }

    /// Exit through snapshot `snap` when `fail` is set.
    pub(crate) fn guard_not(&mut self, fail: CVal, snap: u32) {
        let exit = self.exit_block(snap);
        let cont = self.b.create_block();
        self.b.ins().brif(fail, exit, &[], cont, &[]);
        self.b.switch_to_block(cont);
    }

    /// Store the snapshot's values into their stack slots, and the
    /// loop-carried slots it does not mention from their variables.
    fn write_back(&mut self, s: u32) -> Result<(), String> {
        self.wb.clear();
        let snap = &self.t.snaps[s as usize];
        let map = snap.map.clone();
        let snap_at = snap.at as usize;
        let down = snap.shift as i32 * 8;
        for (slot, var) in self.carried.clone() {
            if !map.iter().any(|e| e.slot == slot) {
                let v = self.b.use_var(var);
                self.b
                    .ins()
                    .store(Self::flags(), v, self.base, (slot as i32) * 8);
            }
        }
        // Sunk allocations made here, once each, after everything else
        // is stored (their helper calls clobber registers), with the
        // values their stores read saved in a stack slot first.
        let mut sunk: Vec<Ref> = Vec::new();
        for e in &map {
            if self.t.is_sunk(e.r) && !sunk.contains(&e.r) {
                sunk.push(e.r);
            }
        }
        if !sunk.is_empty() {
            let inputs = self.materialize_inputs(&sunk, snap_at);
            if !inputs.is_empty() {
                use cranelift_codegen::ir::{StackSlotData, StackSlotKind};
                let ss = self.b.create_sized_stack_slot(StackSlotData::new(
                    StackSlotKind::ExplicitSlot,
                    inputs.len() as u32 * 8,
                    3,
                ));
                let mut saved = Vec::new();
                for (k, &r) in inputs.iter().enumerate() {
                    let v = self.v(r)?;
                    let ty = self.b.func.dfg.value_type(v);
                    let ptr = self.ptr;
                    self.b.ins().stack_store(ptr, v, ss, k as i32 * 8);
                    saved.push((r, ss, k as i32 * 8, ty));
                }
                self.exit_vals = saved;
            }
        }
        let mut made: Vec<(Ref, CVal)> = Vec::new();
        // (Stores without calls first.)
        let map: Vec<_> = map
            .iter()
            .filter(|e| !self.t.is_sunk(e.r))
            .chain(map.iter().filter(|e| self.t.is_sunk(e.r)))
            .copied()
            .collect();
        for e in &map {
            if self.t.is_sunk(e.r) {
                let v = match made.iter().find(|m| m.0 == e.r) {
                    Some(m) => m.1,
                    None => {
                        let p = self.materialize(e.r, snap_at)?;
                        made.push((e.r, p));
                        p
                    }
                };
                let ty = self.t.ty(e.r);
                let bv = self.box_as(ty, v)?;
                let sv = self.store_form(bv);
                self.b
                    .ins()
                    .store(Self::flags(), sv, self.base, (e.slot as i32) * 8 - down);
                self.wb.push((e.slot, bv, ty, Some(v)));
                continue;
            }
            // A virtual reference cdata leaves as its raw address; the VM
            // boxes it unless a side trace made from this exit takes it.
            let ty = self.t.ty(e.r);
            let typed = match ty {
                Ty::CRef | Ty::Val => None,
                t if pri_bits(t).is_some() => None,
                _ => Some(self.v(e.r)?),
            };
            let v = if self.t.ty(e.r) == Ty::CRef {
                if self.t.ins_of(e.r).map(|i| i.op) != Some(Op::CREF) {
                    return Err("NYI: reference cdata not from CREF".into());
                }
                self.v(e.r)?
            } else {
                self.boxed(e.r)?
            };
            let sv = self.store_form(v);
            self.b
                .ins()
                .store(Self::flags(), sv, self.base, (e.slot as i32) * 8 - down);
            if ty != Ty::CRef {
                self.wb.push((e.slot, v, ty, typed));
            }
        }
        self.exit_vals.clear();
        if self.region.is_some() && down == 0 && self.shift == 0 {
            self.entry_values(snap_at);
        }
        Ok(())
    }

    /// In a region, after an exit's write-back (`wb`): the slots it
    /// leaves as they were at the trace's entry, whose values the trace
    /// loaded (`SLOAD`, and the type its `UNBOX` checked), so a side
    /// trace lowered at the exit takes them from registers, unchecked,
    /// instead of reloading and checking the stack. Only when nothing
    /// before the snapshot (`snap_at`) may have written the stack: a slot
    /// missing from the snapshot and not loop-carried then holds what
    /// the load read. Loads before `snap_at` dominate the exit.
    fn entry_values(&mut self, snap_at: usize) {
        let t = self.t;
        let pre = &t.ins[..snap_at.min(t.ins.len())];
        let writes_stack = pre.iter().any(|i| {
            matches!(
                i.op,
                Op::SSTORE
                    | Op::UCLOSE
                    | Op::UVSTORE
                    | Op::FSTORE
                    | Op::RETF
                    | Op::RETG
                    | Op::RECLINK
                    | Op::CALLC
            )
        });
        if writes_stack {
            return;
        }
        // In the loop body of a root with a mid-entry, the pre-roll's
        // values do not dominate the exit (the mid-entry reaches the body
        // without them): those the mid-entry computes again, through
        // their variables, and no others.
        let via_vars = t.loop_at.is_some_and(|l| snap_at > l) && !self.inv_vars.is_empty();
        let val = |l: &mut Self, j: usize| match via_vars {
            true => l.inv_vars.get(j).copied().flatten().map(|v| l.b.use_var(v)),
            false => l.vals.get(j).copied().flatten(),
        };
        for (j, ins) in pre.iter().enumerate() {
            let slot = ins.a;
            if ins.op != Op::SLOAD || ins.ty != Ty::Val || slot < 0 {
                continue;
            }
            let slot = slot as u32;
            if self.wb.iter().any(|w| w.0 == slot) || self.carried_var(slot).is_some() {
                continue;
            }
            let Some(v) = val(self, j) else {
                continue;
            };
            let uses = |op: Op| pre.iter().position(|x| x.op == op && x.a == j as i32);
            if uses(Op::CREF).is_some() {
                continue;
            }
            let (ty, typed) = match uses(Op::UNBOX) {
                Some(u) => match val(self, u) {
                    Some(x) if pri_bits(pre[u].ty).is_none() => (pre[u].ty, Some(x)),
                    _ if pri_bits(pre[u].ty).is_some() => (pre[u].ty, None),
                    _ => (Ty::Val, None),
                },
                None => (Ty::Val, None),
            };
            self.wb.push((slot, v, ty, typed));
        }
    }

    /// Make sunk allocation `r` in an exit block whose snapshot was taken
    /// before instruction `at`: the closure, or the table with the sunk
    /// stores made to it before `at`, in order.
    fn materialize(&mut self, r: Ref, at: usize) -> Result<CVal, String> {
        let ins = self.t.ins[r.idx()];
        self.op = ins.op;
        if ins.op == Op::FNEW {
            return self.lower_fnew(&ins);
        }
        let ctx = self.ctx;
        if ins.op == Op::CNEW {
            return self.materialize_cdata(r, at);
        }
        if ins.op == Op::LREF {
            // A table carried around the loop as its fields.
            self.op = Op::TNEW;
            let v = self
                .t
                .vtabs
                .iter()
                .find(|v| v.lref == r)
                .cloned()
                .ok_or("sunk LREF without its table")?;
            let d = self.b.ins().iconst(types::I32, v.size as i64);
            let tv = self.call(Helper::TNew, &[ctx, d]).unwrap();
            for (k, f) in v.fields {
                let k = self.b.ins().iconst(types::I64, k as i64);
                let fv = self.boxed(f)?;
                self.call(Helper::TSetSunk, &[ctx, tv, k, fv]);
            }
            if v.meta != Ref::NONE {
                let m = self.v(v.meta)?;
                self.b
                    .ins()
                    .store(Lower::flags(), m, tv, TABLE_META_OFS as i32);
            }
            return Ok(tv);
        }
        let tv = match ins.op {
            Op::TNEW => {
                let d = self.b.ins().iconst(types::I32, ins.a as i64);
                self.call(Helper::TNew, &[ctx, d]).unwrap()
            }
            Op::TDUP => {
                let tpl = self.v(Ref(ins.a))?;
                self.call(Helper::TDup, &[ctx, tpl]).unwrap()
            }
            op => return Err(format!("cannot materialize {:?}", op)),
        };
        for j in r.idx() + 1..at.min(self.t.ins.len()) {
            let s = self.t.ins[j];
            if !self.t.is_sunk(Ref(j as i32)) {
                continue;
            }
            // The constant key and the boxed value of a sunk store.
            let carg = match s.op {
                Op::TSETNEW | Op::HSET if s.a == r.0 => Ref(s.b),
                Op::HSTORE => {
                    let href = self.t.ins[s.a as usize];
                    if href.a != r.0 {
                        continue;
                    }
                    let c = self.t.ins_of(Ref(href.b)).ok_or("HREFK without CARG")?;
                    let k = self.v(c.ra())?;
                    let v = self.v(Ref(s.b))?;
                    self.call(Helper::TSetSunk, &[ctx, tv, k, v]);
                    continue;
                }
                Op::TSETMETA if s.a == r.0 => {
                    let m = self.v(Ref(s.b))?;
                    self.b
                        .ins()
                        .store(Lower::flags(), m, tv, TABLE_META_OFS as i32);
                    continue;
                }
                _ => continue,
            };
            let c = *self.t.ins_of(carg).ok_or("store without CARG")?;
            let (k, v) = (self.v(c.ra())?, self.v(c.rb())?);
            self.call(Helper::TSetSunk, &[ctx, tv, k, v]);
        }
        Ok(tv)
    }

    /// For a boxed key `k` of table `t`: whether it is an integral number
    /// `0 <= k <= alen` (non-numbers are NaNs and fail the integral
    /// test), and the address of its array slot (valid only then).
    fn num_array_slot(&mut self, t: CVal, k: CVal) -> (CVal, CVal) {
        let f = self.b.ins().bitcast(types::F64, MemFlagsData::new(), k);
        let i = self.b.ins().fcvt_to_sint_sat(types::I64, f);
        let back = self.b.ins().fcvt_from_sint(types::F64, i);
        let integral = self.b.ins().fcmp(FloatCC::Equal, f, back);
        let alen = self.load(types::I32, t, TABLE_ALEN_OFS);
        let alen = self.b.ins().uextend(types::I64, alen);
        let inrange = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, i, alen);
        let ok = self.b.ins().band(integral, inrange);
        let addr = self.slot_addr(t, i);
        (ok, addr)
    }

    /// Address of the slot of key `i` (i64, `0 <= i <= alen`) of table
    /// `t`: `arr[i - 1]`, key 0's slot included (`Table::arr`).
    fn slot_addr(&mut self, t: CVal, i: CVal) -> CVal {
        let arr = self.load(types::I64, t, TABLE_ARR_OFS);
        let i1 = self.b.ins().iadd_imm_s(i, -1);
        let off = self.b.ins().ishl_imm_u(i1, 3);
        self.b.ins().iadd(arr, off)
    }

    fn carried_var(&self, slot: u32) -> Option<Variable> {
        self.carried.iter().find(|c| c.0 == slot).map(|c| c.1)
    }

    /// Call runtime helper `h` with `args`; its signature comes from the
    /// helper table (`lunatrace_vm::helpers`). An argument whose type
    /// differs from the table's is an error of this backend, reported by
    /// `lower` (never a call with a wrong signature).
    fn call(&mut self, h: Helper, args: &[CVal]) -> Option<CVal> {
        let clty = |t: HTy| match t {
            HTy::I32 => types::I32,
            HTy::I64 => types::I64,
            HTy::F64 => types::F64,
        };
        let params = h.params();
        let mut sig = Signature::new(CallConv::SystemV);
        for &p in params {
            sig.params.push(AbiParam::new(clty(p)));
        }
        if let Some(r) = h.ret() {
            sig.returns.push(AbiParam::new(clty(r)));
        }
        let ok = params.len() == args.len()
            && params
                .iter()
                .zip(args)
                .all(|(&p, &a)| self.b.func.dfg.value_type(a) == clty(p));
        if !ok && self.bad.is_none() {
            self.bad = Some(format!("helper {} called with wrong arguments", h.name()));
        }
        // The optimiser trusted the op's flags: they must cover what the
        // helper may do.
        let f = self.op.flags();
        let covered = match h.effect() {
            Effect::Pure => true,
            Effect::Reads => f.load() || f.store(),
            Effect::Writes => f.store(),
            Effect::Interns => !f.pure(),
        };
        if !covered && self.bad.is_none() {
            self.bad = Some(format!(
                "helper {} ({:?}) called for {}, whose flags do not cover it",
                h.name(),
                h.effect(),
                self.op.name()
            ));
        }
        self.sync_top();
        if matches!(h.effect(), Effect::Writes) {
            // (The helper may resize tables.)
            self.hparts.clear();
        }
        let sr = self.b.import_signature(sig);
        let fp = self.b.ins().iconst(self.ptr, h.addr() as i64);
        let call = self.b.ins().call_indirect(sr, fp, args);
        let r = self.b.inst_results(call).first().copied();
        if let (Some(f), Effect::Writes) = (self.fixed, h.effect()) {
            // (It may have popped frames: SyncFrames.)
            let len = self.load(types::I64, f.th, THREAD_FRAMES_LEN_OFS);
            let off = self
                .b
                .ins()
                .ishl_imm_u(len, (FRAME_SIZE as i64).trailing_zeros() as i64);
            let top = self.b.ins().iadd(f.fp, off);
            self.b.def_var(f.top, top);
        }
        r
    }

    /// Call helper `h` on operands `a` and `b`.
    fn call2(&mut self, h: Helper, a: Ref, b: Ref) -> Result<Option<CVal>, String> {
        let (x, y) = (self.v(a)?, self.v(b)?);
        Ok(self.call(h, &[x, y]))
    }

    /// Load a field that does not change while traces run (the running
    /// thread, its stacks' bounds, `jit_max_slots`: only the interpreter
    /// and the driver change them): Cranelift may merge such loads and
    /// move them out of loops. (Not in a trace that calls C, which may
    /// run Lua code meanwhile.)
    fn load_fixed(&mut self, ty: types::Type, p: CVal, off: usize) -> CVal {
        if !self.t.csigs.is_empty() {
            return self.load(ty, p, off);
        }
        let f = Self::flags().with_readonly().with_can_move();
        self.b.ins().load(ty, f, p, off as i32)
    }

    fn load(&mut self, ty: types::Type, p: CVal, off: usize) -> CVal {
        self.b.ins().load(ty, Self::flags(), p, off as i32)
    }

    /// In a region: store the frame count the code keeps as the frame
    /// stack's end (before it leaves or calls a helper).
    fn sync_top(&mut self) {
        if let Some(f) = self.fixed {
            let top = self.b.use_var(f.top);
            let d = self.b.ins().isub(top, f.fp);
            let len = self
                .b
                .ins()
                .ushr_imm_u(d, (FRAME_SIZE as i64).trailing_zeros() as i64);
            self.b
                .ins()
                .store(Lower::flags(), len, f.th, THREAD_FRAMES_LEN_OFS as i32);
        }
    }

    /// The end of the frame stack (past the top frame) and, outside a
    /// region, the frame count it was computed from.
    fn frames_end(&mut self) -> (CVal, Option<CVal>) {
        if let Some(f) = self.fixed {
            return (self.b.use_var(f.top), None);
        }
        let ptr = self.ptr;
        let th = self.thread();
        let len = self.load(types::I64, th, THREAD_FRAMES_LEN_OFS);
        let fp = self.load_fixed(ptr, th, THREAD_FRAMES_PTR_OFS);
        let off = self
            .b
            .ins()
            .ishl_imm_u(len, (FRAME_SIZE as i64).trailing_zeros() as i64);
        (self.b.ins().iadd(fp, off), Some(len))
    }

    /// Move the frame stack's end by `n` frames (`frames_end` gave `end`
    /// and `len`).
    fn move_frames_end(&mut self, end: CVal, len: Option<CVal>, n: i64) {
        match (self.fixed, len) {
            (Some(f), _) => {
                let e = self.b.ins().iadd_imm_s(end, n * FRAME_SIZE as i64);
                self.b.def_var(f.top, e);
            }
            (None, Some(len)) => {
                let th = self.thread();
                let nl = self.b.ins().iadd_imm_s(len, n);
                self.b
                    .ins()
                    .store(Lower::flags(), nl, th, THREAD_FRAMES_LEN_OFS as i32);
            }
            (None, None) => {}
        }
    }

    /// The running thread (`Vm::cur`, which a trace does not change),
    /// loaded once on the trace's main path (every use is on it, after
    /// the first one).
    fn thread(&mut self) -> CVal {
        if let Some(f) = self.fixed {
            return f.th;
        }
        if let Some(th) = self.th {
            return th;
        }
        let (ctx, ptr) = (self.ctx, self.ptr);
        let th = self.load_fixed(ptr, ctx, VM_CUR_OFS);
        self.th = Some(th);
        th
    }

    /// The stack index (I32) of the slot `p` points at in thread `th`.
    fn stack_index(&mut self, th: CVal, p: CVal) -> CVal {
        let ptr = self.ptr;
        let sp = self.load_fixed(ptr, th, THREAD_STACK_PTR_OFS);
        let d = self.b.ins().isub(p, sp);
        let d = self.b.ins().ushr_imm_u(d, 3);
        self.b.ins().ireduce(types::I32, d)
    }

    /// An I32 constant with the bits of `x`.
    fn i32c(&mut self, x: u32) -> CVal {
        self.b.ins().iconst(types::I32, x as i32 as i64)
    }

    /// Store I32 `v` at `p + off`.
    fn st32(&mut self, v: CVal, p: CVal, off: i64) {
        self.b.ins().store(Self::flags(), v, p, off as i32);
    }
}

/// The runtime helper of an op lowered to a two-operand call.
fn binary_helper(op: Op) -> Helper {
    match op {
        Op::POW => Helper::Pow,
        Op::STRLT => Helper::StrLt,
        _ => Helper::NextKey,
    }
}

/// The signature of trace code, `fn(base, ctx) -> exit` in the `tail`
/// convention (an exit continues in a linked trace with a tail call).
pub fn trace_signature(ptr: types::Type) -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
    sig
}

/// Per instruction of `t`: a load of a boxed value (`ALOAD`, `HLOAD`,
/// `SLOAD`) read by nothing but one `UNBOX` to a number (no other
/// operand, no snapshot, no sunk or carried table field).
fn num_reads(t: &Trace) -> Vec<bool> {
    let readers = t.readers();
    let mut num_unbox = vec![false; t.ins.len()];
    for x in &t.ins {
        if x.op == Op::UNBOX && x.ty == Ty::Num && Ref(x.a).is_ins() {
            num_unbox[Ref(x.a).idx()] = true;
        }
    }
    (0..t.ins.len())
        .map(|i| {
            matches!(t.ins[i].op, Op::ALOAD | Op::HLOAD | Op::SLOAD)
                && t.ins[i].ty == Ty::Val
                && readers[i] == 1
                && num_unbox[i]
        })
        .collect()
}

/// What the lowering needs to know of the target beyond its pointer
/// width.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// x86-64 (the `%al` stubs of variadic calls, its conversions).
    pub x86: bool,
    /// Most significant byte first (s390x).
    pub big_endian: bool,
    /// Cranelift has `sadd_overflow`, `ssub_overflow` and `smul_overflow`
    /// for 32-bit ints on the target (not riscv64).
    pub overflow_ops: bool,
}

impl Target {
    pub fn of(isa: &dyn cranelift_codegen::isa::TargetIsa) -> Target {
        Target {
            x86: isa.name() == "x64",
            big_endian: isa.endianness() == cranelift_codegen::ir::Endianness::Big,
            overflow_ops: isa.name() != "riscv64",
        }
    }
}

/// Build the function for `t` into `func`.
pub fn lower(
    t: &Trace,
    func: &mut Function,
    frontend: TargetFrontendConfig,
    target: Target,
) -> Result<(), String> {
    lower_with_stubs(t, func, frontend, Vec::new(), target)
}

/// `lower`, with the `%al` stubs of its variadic C calls (by index in
/// `Trace::csigs`, declared in `func`; see `ffi_thunk`), for an x86-64
/// target when `x86`.
pub fn lower_with_stubs(
    t: &Trace,
    func: &mut Function,
    frontend: TargetFrontendConfig,
    stubs: Vec<Option<cranelift_codegen::ir::FuncRef>>,
    target: Target,
) -> Result<(), String> {
    let ptr = frontend.pointer_type();
    func.signature = trace_signature(ptr);
    func.name = UserFuncName::default();
    let mut fbc = FunctionBuilderContext::new();
    let b = FunctionBuilder::new(func, &mut fbc);
    let mut l = Lower::new(b, t, ptr, stubs, target);
    l.vals = vec![None; t.ins.len()];
    let header = l.prologue();
    l.lower_body(&t.ins, header)?;
    if let Some(e) = l.bad.take() {
        return Err(e);
    }
    l.b.seal_all_blocks();
    l.b.finalize(frontend);
    Ok(())
}

/// Build one function for a region of traces (`traces[0]` first, the
/// function's entry): each trace's code starts at a block taking its
/// base, and an exit `s` of trace `i` with `jumps[i][s] = Some(k)`
/// continues in trace `k` by a jump there (after its write-back, at its
/// base) instead of tail-calling the trace its link cell holds; the
/// driver asks for that only where the cell holds trace `k`, so the code
/// does what the traces would do one by one, without the calls. Traces
/// with a loop or C calls are not lowered so.
pub fn lower_region(
    traces: &[&Trace],
    jumps: &[Vec<Option<usize>>],
    func: &mut Function,
    frontend: TargetFrontendConfig,
    target: Target,
) -> Result<(), String> {
    let ptr = frontend.pointer_type();
    func.signature = trace_signature(ptr);
    func.name = UserFuncName::default();
    let mut fbc = FunctionBuilderContext::new();
    let b = FunctionBuilder::new(func, &mut fbc);
    let first = *traces.first().ok_or("empty region")?;
    if traces.iter().any(|t| !t.csigs.is_empty()) {
        return Err("region with C calls".into());
    }
    let mut l = Lower::new(b, first, ptr, Vec::new(), target);
    let entry = l.b.create_block();
    l.b.append_block_params_for_function_params(entry);
    l.b.switch_to_block(entry);
    let base = l.b.block_params(entry)[0];
    l.ctx = l.b.block_params(entry)[1];
    // A trace continued in from one exit only (not RECLINK's, which moves
    // the base) is lowered at that exit, taking the values it stored;
    // the others start at a block taking their base.
    let inline = lunatrace_ir::region_loop::inlined(traces, jumps);
    let blocks: Vec<Option<Block>> = (0..traces.len())
        .map(|k| {
            (!inline[k]).then(|| {
                let blk = l.b.create_block();
                l.b.append_block_param(blk, ptr);
                blk
            })
        })
        .collect();
    let reenter = lunatrace_ir::region_loop::body_reentry(traces, jumps, &inline);
    let mid = lunatrace_ir::region_loop::mid_reentry(traces, jumps, &inline);
    let uses_mid = mid.iter().zip(&reenter).any(|(&m, &r)| m && !r);
    let mid_ins = match uses_mid {
        true => lunatrace_ir::region_loop::mid_entry(first).unwrap_or_default(),
        false => Vec::new(),
    };
    let copies = lunatrace_ir::region_loop::start_copies(traces, jumps, &reenter, &mid, &inline);
    if std::env::var_os("LT_DBG_REGION").is_some() {
        eprintln!(
            "region reenter {:?} inline {:?} mid {:?} copies {:?}",
            reenter, inline, mid, copies
        );
    }
    l.region = Some(RegionCtx {
        traces: traces.to_vec(),
        jumps: jumps.to_vec(),
        blocks: blocks.clone(),
        reenter,
        mid,
        mid_ins,
        copies,
    });
    {
        let ctx = l.ctx;
        let th = l.load(ptr, ctx, VM_CUR_OFS);
        let fp = l.load(ptr, th, THREAD_FRAMES_PTR_OFS);
        let len = l.load(types::I64, th, THREAD_FRAMES_LEN_OFS);
        let sz = (FRAME_SIZE as i64).trailing_zeros() as i64;
        let off = l.b.ins().ishl_imm_u(len, sz);
        let top0 = l.b.ins().iadd(fp, off);
        let top = l.b.declare_var(ptr);
        l.b.def_var(top, top0);
        let cap = l.load(types::I64, th, THREAD_FRAMES_CAP_OFS);
        let lim = MAX_FRAMES.saturating_sub(9) as i64;
        let lim = l.b.ins().iconst(types::I64, lim);
        let capped = l.b.ins().umin(cap, lim);
        let off = l.b.ins().ishl_imm_u(capped, sz);
        let frames_lim = l.b.ins().iadd(fp, off);
        let slots = l.load(types::I64, ctx, VM_JIT_MAX_SLOTS_OFS);
        let room = l.b.ins().iadd_imm_s(slots, MIN_STACK as i64);
        let room = l.b.ins().ishl_imm_u(room, 3);
        let end = l.load(ptr, th, THREAD_STACK_END_OFS);
        let stack_lim = l.b.ins().isub(end, room);
        let lims =
            l.b.create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                16,
                3,
            ));
        l.b.ins().stack_store(ptr, frames_lim, lims, 0);
        l.b.ins().stack_store(ptr, stack_lim, lims, 8);
        l.fixed = Some(Fixed { th, fp, top, lims });
    }
    l.b.ins().jump(blocks[0].unwrap(), &[BlockArg::Value(base)]);
    for (k, blk) in blocks.iter().enumerate() {
        if let Some(blk) = *blk {
            l.b.switch_to_block(blk);
            let b = l.b.block_params(blk)[0];
            l.lower_trace_at(k, b, Vec::new())?;
        }
    }
    // The root's copies, each taking the values of the exits that jump
    // to it (more may be asked for meanwhile, at most one per trace).
    let mut done = 0;
    while let Some(c) = l.start_copies.get(done).cloned() {
        done += 1;
        l.b.switch_to_block(c.blk);
        let params = l.b.block_params(c.blk).to_vec();
        let mut p = params[1..].iter().copied();
        let mut fwd = Vec::new();
        for &(slot, ty, _, typed) in &c.sig {
            let boxed = p.next().ok_or("copy: missing value")?;
            let tv = match typed {
                Some(_) => Some(p.next().ok_or("copy: missing value")?),
                None => None,
            };
            fwd.push((slot, boxed, ty, tv));
        }
        l.lower_trace_at(0, params[0], fwd)?;
    }
    if let Some(e) = l.bad.take() {
        return Err(e);
    }
    l.b.seal_all_blocks();
    l.b.finalize(frontend);
    Ok(())
}

impl<'a> Lower<'a, '_> {
    /// Lower trace `k` of the region here (the current block), at base
    /// `b`, taking the values an exit just stored (`fwd`), then its exit
    /// stubs; the lowering state of the trace being lowered is kept
    /// meanwhile.
    fn lower_trace_at(
        &mut self,
        k: usize,
        b: CVal,
        fwd: Vec<(u32, CVal, Ty, Option<CVal>)>,
    ) -> Result<(), String> {
        let rg = self.region.clone().ok_or("no region")?;
        let t = rg.traces[k];
        let saved = (
            self.t,
            std::mem::take(&mut self.vals),
            std::mem::take(&mut self.exits),
            self.shift,
            self.th.take(),
            std::mem::take(&mut self.jumps),
            self.base,
            std::mem::take(&mut self.fwd),
            self.fwd_on,
            std::mem::take(&mut self.fwd_refs),
        );
        let saved_loop = (
            std::mem::take(&mut self.carried),
            std::mem::take(&mut self.typed),
            self.body.take(),
        );
        let saved_k = std::mem::replace(&mut self.cur_k, k);
        let saved_inv = std::mem::take(&mut self.inv_vars);
        if k == 0 && !rg.mid_ins.is_empty() {
            self.inv_vars = vec![None; t.ins.len()];
            for &i in &rg.mid_ins {
                if let Some(ty) = clty(t.ins[i].ty) {
                    self.inv_vars[i] = Some(self.b.declare_var(ty));
                }
            }
        }
        self.t = t;
        self.vals = vec![None; t.ins.len()];
        self.num_only = num_reads(t);
        self.deferred.clear();
        self.shift = 0;
        self.jumps = (0..t.snaps.len())
            .map(|s| rg.jumps.get(k).and_then(|j| j.get(s).copied().flatten()))
            .collect();
        self.base = b;
        self.fwd_on = !fwd.is_empty();
        self.fwd = fwd;
        // (A loop trace, as its `prologue` does: an unpeeled loop's
        // carried slots start from memory, and its back edge jumps to a
        // header block.)
        if let (Some(li), false) = (t.loop_at, t.peeled) {
            let snap = t.ins[li].snap;
            for e in t.snaps[snap as usize].map.clone() {
                let var = self.b.declare_var(types::I64);
                let v = self
                    .b
                    .ins()
                    .load(types::I64, Lower::flags(), b, (e.slot as i32) * 8);
                self.b.def_var(var, v);
                self.carried.push((e.slot, var));
            }
        }
        self.count_entry();
        let header = if t.loop_at.is_some() {
            let h = self.b.create_block();
            self.b.ins().jump(h, &[]);
            self.b.switch_to_block(h);
            h
        } else {
            self.b.current_block().ok_or("no block")?
        };
        self.lower_body(&t.ins, header)?;
        (
            self.t,
            self.vals,
            self.exits,
            self.shift,
            self.th,
            self.jumps,
            self.base,
            self.fwd,
            self.fwd_on,
            self.fwd_refs,
        ) = saved;
        (self.carried, self.typed, self.body) = saved_loop;
        self.cur_k = saved_k;
        self.inv_vars = saved_inv;
        Ok(())
    }

    /// Continue in trace `k` of the region at base `nb` (an exit's or
    /// RECLINK's): a jump to its block, or its code lowered here, taking
    /// the values the exit stored (`wb`) when `fwd`.
    fn continue_in(&mut self, k: usize, nb: CVal, fwd: bool) -> Result<(), String> {
        let rg = self.region.as_ref().ok_or("no region")?;
        match rg.blocks[k] {
            Some(blk) => {
                self.b.ins().jump(blk, &[BlockArg::Value(nb)]);
                Ok(())
            }
            None => {
                let wb = if fwd {
                    std::mem::take(&mut self.wb)
                } else {
                    Vec::new()
                };
                self.lower_trace_at(k, nb, wb)
            }
        }
    }
}

impl Lower<'_, '_> {
    /// Whether the trace being lowered may continue in the region root's
    /// loop body where it continues in the root (`region_loop`).
    fn may_reenter(&self) -> bool {
        self.root_loop.is_some()
            && self
                .region
                .as_ref()
                .is_some_and(|r| r.reenter.get(self.cur_k).copied().unwrap_or(false))
    }

    /// Continue in the region root's loop body instead of its start, at
    /// base `nb` (the root's), after the write-back of an exit that
    /// continues in the root: each carried slot's value from that
    /// write-back (`wb`), the one before this trace (`fwd`) or the stack,
    /// of the type the body holds it as; where the type is not known, a
    /// check that falls back to the root's start.
    fn reenter_body(&mut self, nb: CVal, s: u32) -> Result<(), String> {
        let rl = self.root_loop.clone().ok_or("no root loop")?;
        let target = rl.body;
        let t = self.t;
        if t.snaps[s as usize]
            .map
            .iter()
            .any(|e| t.ty(e.r) == Ty::CRef)
        {
            return self.continue_in(0, nb, true);
        }
        // Each carried slot's source (its value in the write-back, the
        // one before this trace, or the stack); a type held otherwise than
        // the body holds it, with no check to make, goes to the start.
        let mut srcs = Vec::new();
        for &(slot, var, vty) in &rl.vars {
            let src = self
                .wb
                .iter()
                .chain(&self.fwd)
                .find(|w| w.0 == slot)
                .map(|w| (w.1, w.2, w.3));
            let ty = src.map_or(Ty::Val, |s| s.1);
            let known = ty == vty && (pri_bits(ty).is_some() || src.is_some_and(|s| s.2.is_some()));
            let widened = ty == Ty::Int && vty == Ty::Num;
            // (`try_unbox` has a check for these.)
            let checkable = matches!(vty, Ty::Num | Ty::Int)
                || pri_bits(vty).is_some()
                || tag_of(vty).is_some();
            let checked = matches!(ty, Ty::Val | Ty::Num) && checkable;
            if !(known || widened || checked) {
                return self.continue_in(0, nb, true);
            }
            srcs.push((slot, var, vty, src));
        }
        let mut checks: Vec<CVal> = Vec::new();
        let mut defs: Vec<(Variable, CVal)> = Vec::new();
        for (slot, var, vty, src) in srcs {
            let (boxed, ty, typed) = match src {
                Some(s) => s,
                None => {
                    let v = self
                        .b
                        .ins()
                        .load(types::I64, Lower::flags(), nb, slot as i32 * 8);
                    (v, Ty::Val, None)
                }
            };
            let v = match (ty == vty, typed) {
                _ if ty == vty && pri_bits(ty).is_some() => self.b.ins().iconst(types::I64, 0),
                (true, Some(v)) => v,
                (false, Some(i)) if ty == Ty::Int && vty == Ty::Num => {
                    self.b.ins().fcvt_from_sint(types::F64, i)
                }
                _ => {
                    let (ok, v) = self.try_unbox(vty, boxed).ok_or("reentry: no check")?;
                    checks.push(ok);
                    v
                }
            };
            defs.push((var, v));
        }
        let start = self.b.create_block();
        self.enter_body(&checks, &defs, start, target);
        if checks.is_empty() {
            // (`start` is unused: never placed in the function.)
            return Ok(());
        }
        self.b.switch_to_block(start);
        self.continue_in(0, nb, false)
    }

    /// Where the carried values' `checks` all hold, define their
    /// variables (`defs`) and jump to `to` (the loop body); else go to
    /// `fail` (the root's start, lowered by the caller).
    fn enter_body(&mut self, checks: &[CVal], defs: &[(Variable, CVal)], fail: Block, to: Block) {
        if let Some(&c0) = checks.first() {
            let mut ok = c0;
            for &c in &checks[1..] {
                ok = self.b.ins().band(ok, c);
            }
            let go = self.b.create_block();
            self.b.ins().brif(ok, go, &[], fail, &[]);
            self.b.switch_to_block(go);
        }
        for &(var, v) in defs {
            self.b.def_var(var, v);
        }
        self.b.ins().jump(to, &[]);
    }

    /// Whether the trace being lowered continues at the region root's
    /// start in a copy of the root made for it (`StartCopy`).
    fn copies_root(&self) -> bool {
        self.region
            .as_ref()
            .is_some_and(|r| r.copies.get(self.cur_k).copied().unwrap_or(false))
    }

    /// Continue at the region root's start, at base `nb`, in the copy of
    /// the root made for the trace being lowered, passing the values the
    /// exit just wrote (`wb`); made on first use. (An exit whose values
    /// differ in type from the copy's goes to the root itself.)
    fn jump_to_copy(&mut self, nb: CVal) -> Result<(), String> {
        let wb = self.wb.clone();
        let ty_of = |l: &Self, v: CVal| l.b.func.dfg.value_type(v);
        let sig: Vec<_> = wb
            .iter()
            .map(|w| (w.0, w.2, ty_of(self, w.1), w.3.map(|v| ty_of(self, v))))
            .collect();
        let k = self.cur_k;
        let blk = match self.start_copies.iter().find(|c| c.k == k) {
            Some(c) if c.sig == sig => c.blk,
            Some(_) => return self.continue_in(0, nb, true),
            None => {
                let blk = self.b.create_block();
                self.b.append_block_param(blk, self.ptr);
                for &(_, _, bt, tt) in &sig {
                    self.b.append_block_param(blk, bt);
                    if let Some(tt) = tt {
                        self.b.append_block_param(blk, tt);
                    }
                }
                self.start_copies.push(StartCopy { k, blk, sig });
                blk
            }
        };
        let mut args = vec![BlockArg::Value(nb)];
        for w in &wb {
            args.push(BlockArg::Value(w.1));
            if let Some(v) = w.3 {
                args.push(BlockArg::Value(v));
            }
        }
        self.b.ins().jump(blk, &args);
        Ok(())
    }

    /// The region root's mid-entry, when the trace being lowered may
    /// continue in the loop body through it (`region_loop::mid_reentry`).
    fn mid_entry_block(&self) -> Option<Block> {
        let on = self
            .region
            .as_ref()
            .is_some_and(|r| r.mid.get(self.cur_k).copied().unwrap_or(false));
        self.root_loop.as_ref().and_then(|r| r.mid).filter(|_| on)
    }

    /// At the root's first LOOP (its pre-roll's end, which has jumped to
    /// `body`): make the mid-entry block, if the region uses one — the
    /// pre-roll instructions the body takes lowered again (their values
    /// redefining their variables; their guards falling back to the
    /// root's start), then a jump to the body.
    fn mid_entry(
        &mut self,
        body: Block,
        header: Block,
        vars: &[(u32, Variable, Ty)],
    ) -> Result<Option<Block>, String> {
        let ins = match self.region.as_ref() {
            Some(r) if !r.mid_ins.is_empty() && self.shift == 0 => r.mid_ins.clone(),
            _ => return Ok(None),
        };
        let (mid, fb) = (self.b.create_block(), self.b.create_block());
        self.b.set_cold_block(fb);
        self.b.switch_to_block(mid);
        let hparts = std::mem::take(&mut self.hparts);
        self.mid_fallback = Some(fb);
        let t = self.t;
        for i in ins {
            let x = t.ins[i];
            match self.lower_ins(i, &x, header)? {
                Step::End => return Err("mid-entry: the code ended".into()),
                Step::Val(v) => {
                    if let (Some(v), Some(Some(var))) = (v, self.inv_vars.get(i)) {
                        self.b.def_var(*var, v);
                    }
                }
            }
        }
        self.mid_fallback = None;
        self.hparts = hparts;
        // The carried values, from the stack (after the invariants: the
        // helpers those may call would clobber them), type-checked.
        let mut checks: Vec<CVal> = Vec::new();
        let mut defs = Vec::new();
        let base = self.base;
        for &(slot, var, vty) in vars {
            let boxed = self
                .b
                .ins()
                .load(types::I64, Lower::flags(), base, slot as i32 * 8);
            let (ok, v) = self.try_unbox(vty, boxed).ok_or("mid-entry: no check")?;
            checks.push(ok);
            defs.push((var, v));
        }
        self.enter_body(&checks, &defs, fb, body);
        self.b.switch_to_block(fb);
        let base = self.base;
        self.continue_in(0, base, false)?;
        Ok(Some(mid))
    }

    /// A check that boxed value `v` has IR type `ty` (UNBOX's; for a
    /// loop body's carried int: a number with an int32 value, not -0) and
    /// the value unboxed; None for types with no boxed form.
    fn try_unbox(&mut self, ty: Ty, v: CVal) -> Option<(CVal, CVal)> {
        Some(match ty {
            Ty::Num => {
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedLessThan, v, NUM_LIMIT as i64);
                (ok, self.b.ins().bitcast(types::F64, MemFlagsData::new(), v))
            }
            Ty::Int => {
                let f = self.b.ins().bitcast(types::F64, MemFlagsData::new(), v);
                let i = self.b.ins().fcvt_to_sint_sat(types::I32, f);
                let back = self.b.ins().fcvt_from_sint(types::F64, i);
                let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), back);
                (self.b.ins().icmp(IntCC::Equal, bits, v), i)
            }
            t if pri_bits(t).is_some() => {
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::Equal, v, pri_bits(t).unwrap() as i64);
                (ok, self.b.ins().iconst(types::I64, 0))
            }
            t => {
                let tg = tag_of(t)?;
                let hi = self.b.ins().ushr_imm_u(v, TAG_SHIFT as i64);
                let want = (TAG_BASE | (tg << TAG_SHIFT)) >> TAG_SHIFT;
                let ok = self.b.ins().icmp_imm_u(IntCC::Equal, hi, want as i64);
                (ok, self.b.ins().band_imm_u(v, PAYLOAD_MASK as i64))
            }
        })
    }
}

/// What makes two exits' write-backs the same: the (slot, ref) entries,
/// the base shift, and whether the exit may be linked.
type StubKey = (Vec<(u32, i32)>, u32, bool, u32);

/// What lowering one instruction gives.
enum Step {
    /// Its value (if it has one).
    Val(Option<CVal>),
    /// The trace's code ended here.
    End,
}

impl Lower<'_, '_> {
    /// The entry block (base and VM pointer from the parameters; an
    /// unpeeled loop's carried slots loaded into variables), then the
    /// header block the trace's code starts in (an unpeeled loop jumps
    /// back to it), which is returned.
    fn prologue(&mut self) -> Block {
        let entry = self.b.create_block();
        self.b.append_block_params_for_function_params(entry);
        self.b.switch_to_block(entry);
        self.base = self.b.block_params(entry)[0];
        self.ctx = self.b.block_params(entry)[1];
        // Loop-carried slots start from memory (unpeeled loops).
        if let (Some(li), false) = (self.t.loop_at, self.t.peeled) {
            let snap = self.t.ins[li].snap;
            for e in self.t.snaps[snap as usize].map.clone() {
                let var = self.b.declare_var(types::I64);
                let base = self.base;
                let v = self
                    .b
                    .ins()
                    .load(types::I64, Lower::flags(), base, (e.slot as i32) * 8);
                self.b.def_var(var, v);
                self.carried.push((e.slot, var));
            }
        }
        self.count_entry();
        let header = self.b.create_block();
        self.b.ins().jump(header, &[]);
        self.b.switch_to_block(header);
        header
    }

    /// Development aid (`jitrt::trace_counting`): count an entry of the
    /// trace's code (one non-atomic increment, the VM's thread being the
    /// only one running traces).
    fn count_entry(&mut self) {
        self.count_in(&lunatrace_vm::jitrt::TRACE_ENTRIES);
    }

    /// Development aid, as `count_entry`: count a pass through the loop's
    /// back edge.
    fn count_iteration(&mut self) {
        self.count_in(&lunatrace_vm::jitrt::TRACE_ITERS);
    }

    /// Increment this trace's counter in `table` (when counting; traces
    /// numbered past the table are not counted, and the report leaves
    /// them out).
    fn count_in(&mut self, table: &'static [std::sync::atomic::AtomicU64]) {
        let id = self.t.id as usize;
        if lunatrace_vm::jitrt::trace_counting() && (1..=table.len()).contains(&id) {
            let i = id - 1;
            let p = self.b.ins().iconst(self.ptr, table[i].as_ptr() as i64);
            let n = self.load(types::I64, p, 0);
            let n = self.b.ins().iadd_imm_s(n, 1);
            self.b.ins().store(Lower::flags(), n, p, 0);
        }
    }

    /// The exit blocks the guards branch to, filled now that every
    /// guard is known.
    /// Lower a trace's instructions (after its prologue; `header`: the
    /// loop's header block) up to its end, then its exit stubs.
    fn lower_body(&mut self, ins: &[Ins], header: Block) -> Result<(), String> {
        self.hparts.clear();
        for (i, x) in ins.iter().enumerate() {
            if x.op == Op::LOOP || x.op == Op::CALLC {
                // (A new iteration may follow a resize; C code may resize.)
                self.hparts.clear();
            }
            match self.lower_ins(i, x, header)? {
                Step::End => break,
                Step::Val(r) => {
                    if let (Some(v), Some(_)) = (r, clty(x.ty)) {
                        self.vals[i] = Some(v);
                        if let Some(Some(var)) = self.inv_vars.get(i) {
                            self.b.def_var(*var, v);
                        }
                    }
                }
            }
        }
        self.exit_stubs()
    }

    fn exit_stubs(&mut self) -> Result<(), String> {
        let (t, ptr) = (self.t, self.ptr);
        // Exit blocks: write back, then continue in the trace linked to the
        // exit, if any, else return the exit number. Exits whose write-back is
        // the same (same slots from the same values, same base shift) share
        // one stub that takes the exit number as a block parameter; a
        // linkable exit's stub ends reading the exit's link cell and
        // tail-calling the linked trace or returning.
        let mut exits: Vec<(u32, Block)> = self.exits.iter().map(|(&s, &b)| (s, b)).collect();
        exits.sort_by_key(|e| e.0);
        let tail_sig = self.b.import_signature(trace_signature(ptr));
        let linkable = |s: u32| {
            let snap = &t.snaps[s as usize];
            // (An exit after guarded returns (RETG) continues at the
            // shifted base; one inside inlined frames at the same base:
            // the side trace inherits them.)
            t.link_cells != 0 && snap.retdepth == 0
        };
        let key_of = |s: u32| -> StubKey {
            let snap = &t.snaps[s as usize];
            // (A sunk table is made with the stores before the snapshot:
            // its position matters then.)
            let at = if snap
                .map
                .iter()
                .any(|e| t.is_sunk(e.r) && t.ty(e.r) == Ty::Tab)
            {
                snap.at
            } else {
                0
            };
            (
                snap.map.iter().map(|e| (e.slot, e.r.0)).collect::<Vec<_>>(),
                snap.shift,
                linkable(s),
                at,
            )
        };
        let mut shared: HashMap<StubKey, usize> = HashMap::new();
        for &(s, _) in &exits {
            *shared.entry(key_of(s)).or_default() += 1;
        }
        let jump_of = |l: &Self, s: u32| l.jumps.get(s as usize).copied().flatten();
        let mut stubs: HashMap<StubKey, Block> = HashMap::new();
        for (s, blk) in exits {
            let key = key_of(s);
            let n = ((t.id as i64) << 16) | s as i64;
            self.b.switch_to_block(blk);
            // An exit with a write-back of its own is its stub (its
            // number a constant); others jump to the shared one. (An exit
            // continuing in a trace of this function is its own stub.)
            let to = jump_of(self, s);
            let single = shared[&key] == 1 || to.is_some();
            let np = if single {
                None
            } else {
                let nv = self.b.ins().iconst(types::I32, n);
                if let Some(&stub) = stubs.get(&key) {
                    self.b.ins().jump(stub, &[BlockArg::Value(nv)]);
                    continue;
                }
                let stub = self.b.create_block();
                self.b.set_cold_block(stub);
                let np = self.b.append_block_param(stub, types::I32);
                self.b.ins().jump(stub, &[BlockArg::Value(nv)]);
                stubs.insert(key.clone(), stub);
                self.b.switch_to_block(stub);
                Some(np)
            };
            self.write_back(s)?;
            let num = |l: &mut Self| match np {
                Some(v) => v,
                None => l.b.ins().iconst(types::I32, n),
            };
            if !key.2 {
                self.sync_top();
                let nv = num(self);
                self.b.ins().return_(&[nv]);
                continue;
            }
            // Each stub reads its exit's link cell and tail-calls the
            // trace linked there itself: one indirect jump per stub, so
            // the branch predictor learns each exit's target.
            let base = self.base;
            let nb = self.b.ins().iadd_imm_s(base, -(key.1 as i64) * 8);
            if let Some(k) = to {
                let root_level = k == 0 && key.1 == 0 && self.shift == 0;
                let mid = self.mid_entry_block().filter(|_| root_level);
                if root_level && self.may_reenter() {
                    self.reenter_body(nb, s)?;
                } else if let Some(mid) = mid {
                    // (The mid-entry takes the carried values from the
                    // stack.)
                    self.b.ins().jump(mid, &[]);
                } else if root_level && self.copies_root() {
                    self.jump_to_copy(nb)?;
                } else {
                    self.continue_in(k, nb, true)?;
                }
                continue;
            }
            self.sync_top();
            // The link cells are consecutive words indexed by snapshot
            // number (the low 16 bits of the exit number).
            let cell = match np {
                Some(np) => {
                    let sn = self.b.ins().band_imm_u(np, 0xffff);
                    let sn = self.b.ins().uextend(ptr, sn);
                    let off = self.b.ins().ishl_imm_u(sn, 3);
                    self.b.ins().iadd_imm_s(off, t.link_cells as i64)
                }
                None => self.b.ins().iconst(ptr, t.link_cells as i64 + s as i64 * 8),
            };
            let to = self.b.ins().load(ptr, Lower::flags(), cell, 0);
            let (go, ret) = (self.b.create_block(), self.b.create_block());
            self.b.set_cold_block(go);
            self.b.set_cold_block(ret);
            self.b.ins().brif(to, go, &[], ret, &[]);
            self.b.switch_to_block(go);
            let ctx = self.ctx;
            self.b.ins().return_call_indirect(tail_sig, to, &[nb, ctx]);
            self.b.switch_to_block(ret);
            let nv = num(self);
            self.b.ins().return_(&[nv]);
        }
        Ok(())
    }

    /// The current frame's base (the entry base moved down by RETF).
    fn cur_base(&mut self) -> CVal {
        let base = self.base;
        self.b.ins().iadd_imm_s(base, -(self.shift as i64) * 8)
    }

    /// RETG (guarded return of the top frame, `a` = CARG(the caller's
    /// closure, the frame's call link), see `jitrt::jit_ret_pop` for what
    /// the frames must look like): the top frame's `link` fixes the
    /// caller's prototype and pc, that it called the frame with a plain
    /// call instruction (results to the function slot, the count wanted)
    /// and so the distance between the frames; then the caller's closure
    /// is compared (with `RETG_PLAIN`, in the slot below its base, at a
    /// fixed distance below the trace's base; else through its frame,
    /// the returning frame's base checked to follow its function slot),
    /// open upvalues only with `RETG_UPVALS`, and the frame popped (frame
    /// count - 1). Each check is a guard of its own.
    fn lower_retg(&mut self, a: Ref, packed: u64, snap: u32) -> Result<(), String> {
        use lunatrace_vm::jitrt::{RETG_NO_UPVALS, RETG_PLAIN, RETG_UPVALS};
        let args = *self
            .t
            .ins_of(a)
            .filter(|i| i.op == Op::CARG)
            .ok_or("RETG without its closure and link")?;
        let link = match self.t.get_const(args.rb()) {
            Some(Const::Ptr(p, _)) => p,
            _ => return Err("RETG without its link constant".into()),
        };
        let f = self.boxed(args.ra())?;
        let cb = self.cur_base();
        let (ptr, s) = (self.ptr, FRAME_SIZE as i64);
        let delta = (packed >> 16) as u16 as i64;
        let th = self.thread();
        let (end, len) = self.frames_end();
        // (The returning frame at end - s, its caller at end - 2s.)
        let (fo, co) = (-s as i32, -2 * s as i32);
        let l = self
            .b
            .ins()
            .load(types::I64, Lower::flags(), end, fo + FRAME_LINK_OFS as i32);
        let kl = self.b.ins().iconst(types::I64, link as i64);
        let c = self.b.ins().icmp(IntCC::Equal, l, kl);
        self.guard(c, snap);
        if packed & RETG_PLAIN != 0 {
            let fv = self
                .b
                .ins()
                .load(types::I64, Lower::flags(), cb, -(delta as i32 + 1) * 8);
            let c = self.b.ins().icmp(IntCC::Equal, fv, f);
            self.guard(c, snap);
        } else {
            // A vararg function's frame: called with no arguments (its
            // base right above its function slot, as recorded).
            let w = self
                .b
                .ins()
                .load(types::I64, Lower::flags(), end, fo + FRAME_FUNC_OFS as i32);
            let func = self.b.ins().band_imm_u(w, 0xffff_ffff);
            let func1 = self.b.ins().iadd_imm_s(func, 1);
            let base = self.b.ins().ushr_imm_u(w, 32);
            let c = self.b.ins().icmp(IntCC::Equal, base, func1);
            self.guard(c, snap);
            let cfunc =
                self.b
                    .ins()
                    .load(types::I32, Lower::flags(), end, co + FRAME_FUNC_OFS as i32);
            let ci = self.b.ins().uextend(types::I64, cfunc);
            let cofs = self.b.ins().ishl_imm_u(ci, 3);
            let sp = self.load_fixed(ptr, th, THREAD_STACK_PTR_OFS);
            let slot = self.b.ins().iadd(sp, cofs);
            let fv = self.load(types::I64, slot, 0);
            let c = self.b.ins().icmp(IntCC::Equal, fv, f);
            self.guard(c, snap);
        }
        if packed & RETG_UPVALS != 0 {
            // No upvalue open at the returning frame's base (or with
            // `RETG_NO_UPVALS` its caller's) or above.
            let bi = self.stack_index(th, cb);
            let bi = self.b.ins().uextend(types::I64, bi);
            let floor = if packed & RETG_NO_UPVALS != 0 {
                self.b.ins().iadd_imm_s(bi, -delta)
            } else {
                bi
            };
            let hi = self.load(types::I64, th, THREAD_UPVAL_HI_OFS);
            let c = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, hi, floor);
            self.guard(c, snap);
        }
        self.move_frames_end(end, len, -1);
        self.shift += delta as i32;
        Ok(())
    }

    /// RECLINK of snapshot `s`: write back, pop the frames returned from
    /// (RETF), push the snapshot's inlined frames as real frames, then
    /// tail-call the trace in the exit's link cell at the innermost
    /// frame's base, or return the exit number (the driver goes on from
    /// the pushed frames).
    fn lower_reclink(&mut self, s: u32) -> Result<(), String> {
        let t = self.t;
        let snap = &t.snaps[s as usize];
        self.write_back(s)?;
        let (ctx, cb) = (self.ctx, self.cur_base());
        if snap.retdepth > 0 {
            self.call(Helper::SyncFrames, &[ctx, cb]);
        }
        for f in &snap.frames {
            if f.cmp.is_some() || f.pcall {
                return Err("RECLINK of a special frame".into());
            }
        }
        let nf = snap.frames.len();
        let caller = snap.frames.last().map_or(0, |f| f.base);
        if nf > 0 {
            // Store the frames (as the interpreter's calls would: the
            // caller's resume pc, Lua call frames with their call links)
            // and bump the frame count. Each frame is four 8-byte stores:
            // `func|base` and `ret|pc` (the current base's index, in both
            // halves or the low one, plus a constant),
            // `nvarargs|nresults|kind` and `link` (constants). After a
            // call's STKCHK the buffer has room; a loop link (no STKCHK)
            // checks, pushing with the helper when it has none.
            let checked = t.ins.iter().any(|i| i.op == Op::STKCHK);
            let (fast, join) = (self.b.create_block(), self.b.create_block());
            if checked {
                self.b.ins().jump(fast, &[]);
            } else {
                let th = self.thread();
                let len = self.load(types::I64, th, THREAD_FRAMES_LEN_OFS);
                let cap = self.load_fixed(types::I64, th, THREAD_FRAMES_CAP_OFS);
                let need = self.b.ins().iadd_imm_s(len, nf as i64);
                let room = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, need, cap);
                let slow = self.b.create_block();
                self.b.set_cold_block(slow);
                self.sync_top();
                self.b.ins().brif(room, fast, &[], slow, &[]);
                self.b.switch_to_block(slow);
                let mut at = 0u32;
                for f in &snap.frames {
                    let fb = self.b.ins().iadd_imm_s(cb, at as i64 * 8);
                    let a = (f.base - at) as u64 | (((f.ret - at) as u64) << 32);
                    if f.fdelta > 255 || f.nvarargs > 255 || f.nres > i16::MAX as i32 {
                        return Err("RECLINK of a frame with many arguments".into());
                    }
                    let bb = f.nres as i16 as u16 as u64
                        | ((f.fdelta as u64) << 16)
                        | ((f.nvarargs as u64) << 24)
                        | ((f.ret_pc as u64) << 32);
                    let a = self.b.ins().iconst(types::I64, a as i64);
                    let bb = self.b.ins().iconst(types::I64, bb as i64);
                    self.call(Helper::PushFrame, &[ctx, fb, a, bb]);
                    at = f.base;
                }
                self.b.ins().jump(join, &[]);
            }
            self.b.switch_to_block(fast);
            let (end, len) = self.frames_end();
            let s = FRAME_SIZE as i64;
            // (A trace runs in a Lua frame, the top one: its base is the
            // current base's index.)
            let cur = self.b.ins().uload32(
                Lower::flags(),
                end,
                (-s + lunatrace_vm::object::FRAME_BASE_OFS as i64) as i32,
            );
            let hi = self.b.ins().ishl_imm_u(cur, 32);
            let both = self.b.ins().iadd(cur, hi);
            let pc0 = self.i32c(snap.frames[0].ret_pc);
            self.st32(pc0, end, -s + FRAME_PC_OFS as i64);
            for (k, f) in snap.frames.iter().enumerate() {
                let o = k as i64 * s;
                let st = |l: &mut Self, v: CVal, field: usize| {
                    l.b.ins()
                        .store(Lower::flags(), v, end, (o + field as i64) as i32);
                };
                // (A vararg function's slot is below its arguments.)
                let func = f.base as i64 - f.fdelta as i64;
                let w0 = self
                    .b
                    .ins()
                    .iadd_imm_s(both, func | ((f.base as i64) << 32));
                st(self, w0, FRAME_FUNC_OFS);
                let pc = snap.frames.get(k + 1).map_or(0, |n| n.ret_pc);
                let w1 = self
                    .b
                    .ins()
                    .iadd_imm_s(cur, f.ret as i64 | ((pc as i64) << 32));
                st(self, w1, FRAME_RET_OFS);
                // (The varargs, the count, kind `Lua` and its unused byte.)
                let w2 = f.nvarargs as u64
                    | ((f.nres as i16 as u16 as u64) << 32)
                    | ((FRAME_KIND_LUA as u64) << 48);
                let w2 = self.b.ins().iconst(types::I64, w2 as i64);
                st(self, w2, FRAME_NVARARGS_OFS);
                let w3 = self.b.ins().iconst(types::I64, f.link as i64);
                st(self, w3, FRAME_LINK_OFS);
            }
            self.move_frames_end(end, len, nf as i64);
            self.b.ins().jump(join, &[]);
            self.b.switch_to_block(join);
            if !checked {
                if let Some(f) = self.fixed {
                    // (The helper may have pushed them: the count from
                    // memory.)
                    let len = self.load(types::I64, f.th, THREAD_FRAMES_LEN_OFS);
                    let off = self
                        .b
                        .ins()
                        .ishl_imm_u(len, (FRAME_SIZE as i64).trailing_zeros() as i64);
                    let top = self.b.ins().iadd(f.fp, off);
                    self.b.def_var(f.top, top);
                }
            }
        }
        let nb = self.b.ins().iadd_imm_s(cb, caller as i64 * 8);
        if let Some(k) = self.jumps.get(s as usize).copied().flatten() {
            // (The base moved: the write-back's slots are not the
            // callee's.)
            self.wb.clear();
            self.continue_in(k, nb, false)?;
            return Ok(());
        }
        self.sync_top();
        let n = self
            .b
            .ins()
            .iconst(types::I32, ((t.id as i64) << 16) | s as i64);
        if t.link_cells == 0 {
            self.b.ins().return_(&[n]);
            return Ok(());
        }
        let ptr = self.ptr;
        let cell = self.b.ins().iconst(ptr, t.link_cells as i64 + s as i64 * 8);
        let to = self.b.ins().load(ptr, Lower::flags(), cell, 0);
        let (go, ret) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(to, go, &[], ret, &[]);
        self.b.switch_to_block(go);
        let tail_sig = self.b.import_signature(trace_signature(ptr));
        self.b.ins().return_call_indirect(tail_sig, to, &[nb, ctx]);
        self.b.switch_to_block(ret);
        self.b.ins().return_(&[n]);
        Ok(())
    }

    /// Lower instruction `i`: its value, or `Step::End` after the
    /// instruction that ends the trace's code (the loop's back edge).
    fn lower_ins(&mut self, i: usize, ins: &Ins, header: Block) -> Result<Step, String> {
        self.op = ins.op;
        self.cur = i;
        if ins.op.flags().store() {
            // (It may write the stack: later loads read memory.)
            self.fwd_on = false;
        }
        let a = Ref(ins.a);
        let bb = Ref(ins.b);
        // A sunk allocation, or a store or key check of a sunk table: the
        // exits that need the object make it (`write_back`).
        let r: Option<CVal> = match ins.op {
            _ if self.t.is_sunk(Ref(i as i32)) => None,
            Op::ADD
            | Op::ADDOV
            | Op::SUBOV
            | Op::MULOV
            | Op::BAND
            | Op::BNOT
            | Op::BOR
            | Op::BROL
            | Op::BROR
            | Op::BSAR
            | Op::BSHL
            | Op::BSHR
            | Op::BXOR
            | Op::DIV
            | Op::EQ
            | Op::FPMATH
            | Op::GE
            | Op::GT
            | Op::IADD
            | Op::IMUL
            | Op::LE
            | Op::LT
            | Op::MAX
            | Op::MIN
            | Op::MOD
            | Op::MUL
            | Op::NE
            | Op::NEG
            | Op::SUB
            | Op::TOBIT
            | Op::TOINT
            | Op::TONUM => self.lower_arith(ins)?,
            Op::ABC
            | Op::ABCZ
            | Op::ALOAD
            | Op::AREF
            | Op::ASTORE
            | Op::HGET
            | Op::HGETS
            | Op::HLOAD
            | Op::HREFK
            | Op::HSET
            | Op::HSTORE
            | Op::NOMM
            | Op::TALEN
            | Op::TAPPEND
            | Op::TARR
            | Op::TDUP
            | Op::TLEN
            | Op::TMETA
            | Op::UMETA
            | Op::TNEW
            | Op::TSETMETA
            | Op::TSETNEW => self.lower_table(ins)?,
            Op::NOP | Op::CARG => None,
            Op::CALLC => self.lower_callc(ins)?,
            Op::SBYTE
            | Op::SSUB
            | Op::SUBLEN
            | Op::GMATCH
            | Op::SREP
            | Op::SCASE
            | Op::SFIND
            | Op::SMATCH
            | Op::SGSUB
            | Op::SFINDS
            | Op::SFINDE
            | Op::CAT
            | Op::SCHAR
            | Op::SFMT
            | Op::TCONCAT
            | Op::TOSTR
            | Op::TONUMS
            | Op::CONEW
            | Op::COSTATUS
            | Op::TYMETA => self.lower_fast(ins)?,
            Op::CDTYPE | Op::CDPTR | Op::ISCALE | Op::XREF | Op::XLOAD | Op::CREF => {
                Some(self.lower_cdata(ins)?)
            }
            Op::CNEW => {
                let ctx = self.ctx;
                let ct = self.b.ins().iconst(types::I32, ins.a as i64);
                let size = self.b.ins().iconst(types::I32, ins.b as i64);
                self.call(Helper::CNew, &[ctx, ct, size])
            }
            Op::I64OP => {
                let c = self.t.ins[ins.a as usize];
                let (x, y) = (self.v(Ref(c.a))?, self.v(Ref(c.b))?);
                let k = self.b.ins().iconst(types::I32, ins.b as i64);
                self.call(Helper::I64Arith, &[x, y, k])
            }
            Op::I64ADD
            | Op::I64SUB
            | Op::I64MUL
            | Op::I64NEG
            | Op::TOI64
            | Op::I64NUM
            | Op::I64EXT => Some(self.lower_i64(ins)?),
            Op::ULT | Op::UGE | Op::ULE | Op::UGT => {
                self.lower_ucmp(ins)?;
                None
            }
            Op::XSTORE => {
                self.lower_xstore(ins)?;
                None
            }
            Op::REENTRY => {
                self.lower_reentry(ins);
                None
            }
            Op::FNEW => Some(self.lower_fnew(ins)?),
            Op::SREF => Some(self.slot_ref(ins.a)),
            Op::SSTORE => {
                self.lower_sstore(ins)?;
                None
            }
            Op::UCLOSE => {
                self.lower_uclose(ins)?;
                None
            }
            Op::SLOAD => match self.carried_var(ins.a as u32) {
                Some(var) => Some(self.b.use_var(var)),
                None if self.fwd_on && self.shift == 0 => {
                    match self.fwd.iter().find(|f| f.0 == ins.a as u32).copied() {
                        Some((_, v, ty, typed)) => {
                            self.fwd_refs.insert(i, (ty, typed));
                            Some(v)
                        }
                        None => {
                            let base = self.base;
                            self.boxed_load(i, base, ins.a * 8)
                        }
                    }
                }
                None => {
                    let base = self.base;
                    let off = (ins.a - self.shift) * 8;
                    self.boxed_load(i, base, off)
                }
            },
            Op::FSTORE => {
                let v = self.boxed(a)?;
                let base = self.base;
                let off = (-1 - self.shift) * 8;
                self.b.ins().store(Lower::flags(), v, base, off);
                None
            }
            Op::RETG => {
                if !self.carried.is_empty() || self.t.loop_at.is_some() {
                    return Err("RETG in a looping trace".into());
                }
                let packed = match self.t.get_const(bb) {
                    Some(Const::Ptr(p, _)) => p,
                    _ => return Err("RETG without its packed constant".into()),
                };
                self.lower_retg(a, packed, ins.snap)?;
                None
            }
            Op::RETF => {
                if !self.carried.is_empty() || self.t.loop_at.is_some() {
                    return Err("RETF in a looping trace".into());
                }
                self.shift += ins.a;
                None
            }
            Op::UNBOX
                if ins.ty == Ty::Num
                    && self
                        .fwd_refs
                        .get(&a.idx())
                        .is_some_and(|f| f.0 == Ty::Int && f.1.is_some()) =>
            {
                // The exit stored an int (as a number): the number, and
                // its int for a TOINT of it.
                let i = self.fwd_refs[&a.idx()].1.ok_or("fwd int")?;
                let f = self.b.ins().fcvt_from_sint(types::F64, i);
                self.int_of.insert(f, i);
                Some(f)
            }
            Op::UNBOX if self.fwd_refs.get(&a.idx()).is_some_and(|f| f.0 == ins.ty) => {
                // The exit before this side trace stored a value of this
                // type: no check.
                match self.fwd_refs[&a.idx()].1 {
                    Some(v) => Some(v),
                    None if pri_bits(ins.ty).is_some() => Some(self.b.ins().iconst(types::I64, 0)),
                    None => {
                        let v = self.v(a)?;
                        Some(self.unbox_unchecked(ins.ty, v)?)
                    }
                }
            }
            Op::UNBOX if ins.ty == Ty::Num && self.deferred.contains_key(&a.idx()) => {
                // A number read from memory: its type checked on the word's
                // upper half (NUM_LIMIT's lower half is zero), its value
                // loaded straight into a float register.
                let (p, off) = self.deferred[&a.idx()];
                let src = self.t.ins[a.idx()];
                // (No check of a slot its parent's exit wrote as a number.)
                if !(src.op == Op::SLOAD && lunatrace_ir::sload_is_typed(src.b, Ty::Num)) {
                    let hi = self
                        .b
                        .ins()
                        .load(types::I32, Self::flags(), p, off + self.hi_half);
                    let limit = (NUM_LIMIT >> 32) as i64;
                    let ok = self.b.ins().icmp_imm_u(IntCC::UnsignedLessThan, hi, limit);
                    self.guard(ok, ins.snap);
                }
                Some(self.b.ins().load(types::F64, Self::flags(), p, off))
            }
            Op::UNBOX
                if ins.ty != Ty::Int
                    && !a.is_const()
                    && self.t.ins[a.idx()].op == Op::SLOAD
                    && lunatrace_ir::sload_is_typed(self.t.ins[a.idx()].b, ins.ty) =>
            {
                // A side trace's slot its parent's exit wrote with this
                // type (`sload_typed`): no check.
                if pri_bits(ins.ty).is_some() {
                    Some(self.b.ins().iconst(types::I64, 0))
                } else {
                    let v = self.v(a)?;
                    Some(self.unbox_unchecked(ins.ty, v)?)
                }
            }
            Op::UNBOX => {
                let v = self.v(a)?;
                // (An int is not a boxed kind: `try_unbox`'s int check is
                // for carried numbers only.)
                let (ok, u) = (ins.ty != Ty::Int)
                    .then(|| self.try_unbox(ins.ty, v))
                    .flatten()
                    .ok_or("NYI: unbox type")?;
                self.guard(ok, ins.snap);
                Some(u)
            }
            Op::BOX => Some(self.boxed(a)?),
            Op::POW | Op::STRLT | Op::NEXTK => self.call2(binary_helper(ins.op), a, bb)?,
            Op::VLOAD => {
                // base + 8 * (k - n - 1 - shift), k an int guarded in 1..=n.
                let k = self.v(a)?;
                let k = self.b.ins().sextend(types::I64, k);
                let off = self.b.ins().ishl_imm_u(k, 3);
                let base = self.base;
                let p = self.b.ins().iadd(base, off);
                let disp = (-(ins.b + 1) - self.shift) * 8;
                Some(self.b.ins().load(types::I64, Lower::flags(), p, disp))
            }
            Op::NVARG => {
                let ctx = self.ctx;
                self.call(Helper::BaseNVarargs, &[ctx])
            }
            Op::UVCLOSED => {
                let u = self.v(a)?;
                let idx = self.load(types::I64, u, lunatrace_vm::object::UPVAL_IDX_OFS);
                let ok = self.b.ins().icmp_imm_s(IntCC::Equal, idx, -1);
                self.guard(ok, ins.snap);
                None
            }
            Op::UVPTR => {
                let u = self.v(a)?;
                Some(self.load(types::I64, u, UPVAL_V_OFS))
            }
            Op::FPROTO => {
                let f = self.v(a)?;
                Some(self.load(types::I64, f, lunatrace_vm::object::FUNC_PROTO_OFS))
            }
            Op::FENV => {
                let f = self.v(a)?;
                Some(self.load(types::I64, f, lunatrace_vm::object::FUNC_ENV_OFS))
            }
            Op::FUVAL => {
                // (The closure's upvalue array, then entry b: no call,
                // which would clobber registers in a loop.)
                let f = self.v(a)?;
                let arr = self.load(types::I64, f, lunatrace_vm::object::FUNC_UPVALS_OFS);
                Some(self.load(types::I64, arr, ins.b as usize * 8))
            }
            Op::UVLOAD => {
                let u = self.v(a)?;
                let p = self.load(types::I64, u, UPVAL_V_OFS);
                Some(self.load(types::I64, p, 0))
            }
            Op::UVSTORE => {
                let (u, v) = (self.v(a)?, self.v(bb)?);
                let p = self.load(types::I64, u, UPVAL_V_OFS);
                let v = self.store_form(v);
                self.b.ins().store(Lower::flags(), v, p, 0);
                None
            }
            Op::STRLEN => {
                let s = self.v(a)?;
                let n = self.load(types::I64, s, STR_LEN_OFS);
                Some(self.b.ins().ireduce(types::I32, n))
            }
            Op::GCSTEP => {
                // Below the threshold: nothing due (inline); else the
                // helper decides (a stopped or deferred collector).
                let ctx = self.ctx;
                let used = self.load(types::I64, ctx, lunatrace_vm::state::VM_HEAP_ALLOCATED_OFS);
                let thr = self.load(types::I64, ctx, lunatrace_vm::state::VM_HEAP_THRESHOLD_OFS);
                let below = self.b.ins().icmp(IntCC::UnsignedLessThan, used, thr);
                let (slow, cont) = (self.b.create_block(), self.b.create_block());
                self.b.set_cold_block(slow);
                self.b.ins().brif(below, cont, &[], slow, &[]);
                self.b.switch_to_block(slow);
                let due = self.call(Helper::GcDue, &[ctx]).unwrap();
                let ok = self.b.ins().icmp_imm_u(IntCC::Equal, due, 0);
                let exit = self.exit_block(ins.snap);
                self.b.ins().brif(ok, cont, &[], exit, &[]);
                self.b.switch_to_block(cont);
                None
            }
            Op::POLL => {
                // `hook_left > a`: count it down and go on; else leave it
                // 1 (the interpreter's count hook runs at its next
                // instruction) and exit. One load, compare, select and
                // store: no call.
                let ctx = self.ctx;
                let ofs = lunatrace_vm::state::VM_HOOK_LEFT_OFS;
                let left = self.load(types::I32, ctx, ofs);
                let k = ins.a as i64;
                let ok = self.b.ins().icmp_imm_u(IntCC::UnsignedGreaterThan, left, k);
                let dec = self.b.ins().iadd_imm_s(left, -k);
                let one = self.b.ins().iconst(types::I32, 1);
                let next = self.b.ins().select(ok, dec, one);
                self.b.ins().store(Self::flags(), next, ctx, ofs as i32);
                self.guard(ok, ins.snap);
                None
            }
            Op::LREF => {
                let var = self
                    .typed
                    .iter()
                    .find(|v| v.0 == ins.a as u32)
                    .map(|v| v.1)
                    .ok_or("LREF of an uncarried slot")?;
                Some(self.b.use_var(var))
            }
            Op::LOOP if self.t.peeled => {
                self.count_iteration();
                // Carried values (typed) flow to the loop body's top.
                let map = self.t.snaps[ins.snap as usize].map.clone();
                let first = self.body.is_none();
                let mut vals = Vec::new();
                // (A sunk table carried as its fields has no pointer: the
                // copy reads the fields, carried as values of no slot.)
                let fields = self.t.vcarry.iter().map(|c| lunatrace_ir::SnapEntry {
                    slot: c.slot,
                    r: if first { c.pre } else { c.end },
                });
                for e in map.iter().copied().chain(fields) {
                    if self.t.is_sunk(e.r) && self.t.ty(e.r) == Ty::Tab {
                        continue;
                    }
                    let ty = self.t.ty(e.r);
                    let v = if pri_bits(ty).is_some() {
                        self.b.ins().iconst(types::I64, 0)
                    } else {
                        self.v(e.r)?
                    };
                    vals.push((e.slot, ty, v));
                }
                let mut rvars = Vec::new();
                for (slot, ty, v) in vals {
                    let var = match self.typed.iter().find(|x| x.0 == slot) {
                        Some(x) => x.1,
                        None => {
                            let var = self.b.declare_var(clty(ty).unwrap_or(types::I64));
                            self.typed.push((slot, var));
                            var
                        }
                    };
                    rvars.push((slot, var, ty));
                    self.b.def_var(var, v);
                }
                if first {
                    let body = self.b.create_block();
                    self.body = Some(body);
                    self.b.ins().jump(body, &[]);
                    if self.region.is_some() && self.cur_k == 0 && self.t.vcarry.is_empty() {
                        let mid = self.mid_entry(body, header, &rvars)?;
                        self.root_loop = Some(RootLoop {
                            body,
                            vars: rvars,
                            mid,
                        });
                    }
                    self.b.switch_to_block(body);
                } else {
                    let body = self.body.unwrap();
                    self.b.ins().jump(body, &[]);
                    return Ok(Step::End);
                }
                None
            }
            Op::LOOP => {
                self.count_iteration();
                // The next iteration's slot values stay in variables.
                let map = self.t.snaps[ins.snap as usize].map.clone();
                let mut vals = Vec::new();
                for e in &map {
                    vals.push((e.slot, self.boxed(e.r)?));
                }
                for (slot, v) in vals {
                    let var = self.carried_var(slot).ok_or("uncarried slot")?;
                    self.b.def_var(var, v);
                }
                self.b.ins().jump(header, &[]);
                // Anything after LOOP would be unreachable.
                return Ok(Step::End);
            }
            Op::STKCHK if self.fixed.is_some() => {
                // (As below, against the limits computed at the region's
                // entry.)
                let f = self.fixed.unwrap();
                let cb = self.cur_base();
                let top = self.b.use_var(f.top);
                let need = self
                    .b
                    .ins()
                    .iadd_imm_s(top, ins.a as i64 * FRAME_SIZE as i64);
                let frames_lim = self.b.ins().stack_load(self.ptr, self.ptr, f.lims, 0);
                let ok = self
                    .b
                    .ins()
                    .icmp(IntCC::UnsignedLessThanOrEqual, need, frames_lim);
                self.guard(ok, ins.snap);
                let hi = self.b.ins().iadd_imm_s(cb, ins.b as i64 * 8);
                let stack_lim = self.b.ins().stack_load(self.ptr, self.ptr, f.lims, 8);
                let ok = self
                    .b
                    .ins()
                    .icmp(IntCC::UnsignedLessThanOrEqual, hi, stack_lim);
                self.guard(ok, ins.snap);
                None
            }
            Op::STKCHK => {
                // The frame limit without the error slack, room in the
                // frame stack for the frames RECLINK pushes (it does not
                // check) and room in the value stack (`jit_stack_check`'s
                // conditions, stricter): failing, the exit leaves the call
                // to the interpreter, which grows the stacks or raises
                // "stack overflow".
                let (ctx, cb, ptr) = (self.ctx, self.cur_base(), self.ptr);
                let th = self.thread();
                let len = self.load(types::I64, th, THREAD_FRAMES_LEN_OFS);
                let lim = MAX_FRAMES.saturating_sub(ins.a as usize + 9);
                let ok = self
                    .b
                    .ins()
                    .icmp_imm_u(IntCC::UnsignedLessThanOrEqual, len, lim as i64);
                self.guard(ok, ins.snap);
                let cap = self.load_fixed(types::I64, th, THREAD_FRAMES_CAP_OFS);
                let need = self.b.ins().iadd_imm_s(len, ins.a as i64);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, need, cap);
                self.guard(ok, ins.snap);
                let slots = self.load_fixed(types::I64, ctx, VM_JIT_MAX_SLOTS_OFS);
                let need = self
                    .b
                    .ins()
                    .iadd_imm_s(slots, ins.b as i64 + MIN_STACK as i64);
                let need = self.b.ins().ishl_imm_u(need, 3);
                let hi = self.b.ins().iadd(cb, need);
                let end = self.load_fixed(ptr, th, THREAD_STACK_END_OFS);
                let ok = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, hi, end);
                self.guard(ok, ins.snap);
                None
            }
            Op::RECLINK => {
                self.lower_reclink(ins.snap)?;
                self.th = None;
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
                None
            }
            Op::EXIT => {
                let e = self.exit_block(ins.snap);
                self.b.ins().jump(e, &[]);
                self.th = None;
                let dead = self.b.create_block();
                self.b.switch_to_block(dead);
                None
            }
        };
        Ok(Step::Val(r))
    }
}

#[cfg(test)]
mod tests {
    use super::{lower, num_reads, Target};
    use cranelift_codegen::ir::Function;
    use cranelift_codegen::settings;

    /// Slot 1 is read only as a number; slot 2 also goes to an exit
    /// boxed (its snapshot names the load itself).
    const TWO_SLOTS: &str = "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 1
0001 >num UNBOX 0000
0002 val SLOAD #2 #0
.... SNAP [ 3=0002 ] pc 2
0003 >num UNBOX 0002
0004 num ADD 0001 0003
.... SNAP [ 1=0004 ] pc 3
0005 > EXIT
";

    /// Guarded int arithmetic on two slots: a sum, a difference, a
    /// product by 2 and one by 3.
    const INT_OPS: &str = "
0000 val SLOAD #1 #0
.... SNAP [ ] pc 1
0001 >num UNBOX 0000
0002 >int TOINT 0001
0003 val SLOAD #2 #0
0004 >num UNBOX 0003
0005 >int TOINT 0004
0006 >int ADDOV 0002 0005
0007 >int SUBOV 0006 0002
0008 >int MULOV 0007 [+2i]
0009 >int MULOV [+3i] 0008
0010 num TONUM 0009
.... SNAP [ 1=0010 ] pc 2
0011 > EXIT
";

    fn clif(target: Target) -> String {
        clif_of(TWO_SLOTS, target)
    }

    fn clif_of(ir: &str, target: Target) -> String {
        let t = lunatrace_ir::parse::parse(ir, false, false).unwrap();
        let mut f = Function::new();
        // (The host's frontend: the lowering only builds the function.)
        let isa = cranelift_native::builder()
            .unwrap()
            .finish(settings::Flags::new(settings::builder()))
            .unwrap();
        lower(&t, &mut f, isa.frontend_config(), target).unwrap();
        f.display().to_string()
    }

    #[test]
    fn a_load_read_only_as_a_number_is_deferred_to_its_unbox() {
        let t = lunatrace_ir::parse::parse(TWO_SLOTS, false, false).unwrap();
        let only = num_reads(&t);
        assert!(only[0], "slot 1's load has one reader, a number UNBOX");
        assert!(!only[2], "slot 2's load is also in a snapshot");
        assert!(!only[1] && !only[4], "not loads");
    }

    #[test]
    fn a_number_is_checked_on_its_upper_half_and_loaded_as_a_float() {
        let le = clif(Target {
            x86: true,
            big_endian: false,
            overflow_ops: true,
        });
        // Slot 1 (offset 8): the upper half at +12, the float at +8, no
        // boxed load; slot 2 (offset 16) is loaded boxed for its exit.
        assert!(le.contains("load.i32 notrap aligned v0+12"), "{}", le);
        assert!(le.contains("load.f64 notrap aligned v0+8"), "{}", le);
        assert!(!le.contains("load.i64 notrap aligned v0+8"), "{}", le);
        assert!(le.contains("load.i64 notrap aligned v0+16"), "{}", le);
        let be = clif(Target {
            x86: false,
            big_endian: true,
            overflow_ops: true,
        });
        assert!(be.contains("load.i32 notrap aligned v0+8"), "{}", be);
        assert!(be.contains("load.f64 notrap aligned v0+8"), "{}", be);
    }

    #[test]
    fn guarded_int_arithmetic_tests_the_overflow_flag_where_it_can() {
        let target = |overflow_ops| Target {
            x86: true,
            big_endian: false,
            overflow_ops,
        };
        let f = clif_of(INT_OPS, target(true));
        let count = |f: &str, s: &str| f.matches(s).count();
        // The product by 2 is a sum with itself.
        assert_eq!(count(&f, "sadd_overflow"), 2, "{}", f);
        assert_eq!(count(&f, "ssub_overflow"), 1, "{}", f);
        assert_eq!(count(&f, "smul_overflow"), 1, "{}", f);
        assert_eq!(count(&f, "bxor"), 0, "{}", f);
        // riscv64: the sign tests (two per sum, difference and doubling),
        // the product in 64 bits.
        let f = clif_of(INT_OPS, target(false));
        assert_eq!(count(&f, "_overflow"), 0, "{}", f);
        assert_eq!(count(&f, "bxor"), 6, "{}", f);
        assert!(f.contains("imul") && f.contains("ireduce.i32"), "{}", f);
    }
}
