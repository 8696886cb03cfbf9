//! The IR buffer of one trace: constants, instructions and snapshots.
//!
//! References: `Ref(i)` with `i >= 0` is instruction `i`; negative values
//! are constants (`-1 - index`). Instructions only refer to earlier ones
//! (and PHIs to the end of the loop), so the array is in SSA order.

use crate::ops::{Arg, Op, Ty};

/// A reference to a constant or an instruction.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ref(pub i32);

impl Ref {
    /// "No operand".
    pub const NONE: Ref = Ref(i32::MIN);
    pub fn is_const(self) -> bool {
        self.0 < 0 && self != Ref::NONE
    }
    pub fn is_ins(self) -> bool {
        self.0 >= 0
    }
    pub fn idx(self) -> usize {
        self.0 as usize
    }
    fn const_idx(self) -> usize {
        (-1 - self.0) as usize
    }
}

/// An interned constant.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Const {
    Num(f64),
    Int(i32),
    /// An object pointer (string, table, function, upvalue...) of a type.
    Ptr(u64, Ty),
    /// A boxed value (bits).
    Val(u64),
}

impl Const {
    pub fn ty(&self) -> Ty {
        match self {
            Const::Num(_) => Ty::Num,
            Const::Int(_) => Ty::Int,
            Const::Ptr(_, t) => *t,
            Const::Val(_) => Ty::Val,
        }
    }
    fn same(&self, o: &Const) -> bool {
        match (self, o) {
            (Const::Num(a), Const::Num(b)) => a.to_bits() == b.to_bits(),
            _ => self == o,
        }
    }
}

/// One instruction: op, result type, operands (refs or literals).
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Ins {
    pub op: Op,
    pub ty: Ty,
    pub a: i32,
    pub b: i32,
    /// Snapshot index for guards (u32::MAX if none).
    pub snap: u32,
}

impl Ins {
    /// Indices of the instructions its operands refer to.
    pub fn ins_operands(&self) -> impl Iterator<Item = usize> {
        let (ka, kb) = self.op.args();
        let a = (ka == crate::ops::Arg::Ref && self.a >= 0).then_some(self.a as usize);
        let b = (kb == crate::ops::Arg::Ref && self.b >= 0).then_some(self.b as usize);
        a.into_iter().chain(b)
    }
    pub fn ra(&self) -> Ref {
        Ref(self.a)
    }
    pub fn rb(&self) -> Ref {
        Ref(self.b)
    }
}

/// What a snapshot slot holds.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct SnapEntry {
    /// Stack slot relative to the trace's base frame.
    pub slot: u32,
    /// The value (boxed on write-back according to the ref's type).
    pub r: Ref,
}

/// A Lua frame inlined into the trace, to rebuild on exit.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct SnapFrame {
    /// Slot (relative to the trace's base frame) of the frame's register 0.
    pub base: u32,
    /// The closure (boxed value bits).
    pub func: u64,
    /// Where the caller continues when this frame returns.
    pub ret_pc: u32,
    /// Results the caller wants.
    pub nres: i32,
    /// Slot (relative to the trace's base frame) the results go to: the
    /// function slot `base - 1` for calls, the instruction's register A
    /// for metamethod frames (`__index`, arithmetic).
    pub ret: u32,
    /// Slots from the function slot to the base (1, or 1 + the number of
    /// arguments for vararg functions).
    pub fdelta: u32,
    /// Extra arguments of a vararg function (below its base).
    pub nvarargs: u32,
    /// A comparison metamethod's frame: the caller's JMP after the
    /// comparison is taken when the result's truthiness equals this.
    pub cmp: Option<bool>,
    /// Called by `pcall`: rebuilt as the interpreter's `Pcall` frame.
    pub pcall: bool,
    /// Called by `xpcall` (with `pcall` set): rebuilt as the interpreter's
    /// `Xpcall` frame, whose handler sits in the result slot `ret`.
    pub xpcall: bool,
    /// The closure is known by its prototype only (`func` is the one
    /// observed): a side trace reads it from the function slot.
    pub poly: bool,
    /// The frame's call link (the VM's `Frame::link`: the address of the
    /// instruction the caller continues at) for a plain call frame of a
    /// call instruction, else 0.
    pub link: u64,
}

/// The interpreter state at a guard: the slots that differ from the stack,
/// the inlined frames, and where to resume (in the innermost frame).
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Bytecode index to resume at.
    pub pc: u32,
    /// Modified slots (sorted by slot).
    pub map: Vec<SnapEntry>,
    /// Instruction index the snapshot was taken before.
    pub at: u32,
    /// Inlined frames above the base frame, outermost first.
    pub frames: Vec<SnapFrame>,
    /// Frames below the trace's entry frame returned from so far (RETF):
    /// the exit pops that many frames.
    pub retdepth: u32,
    /// Slots the base is below the entry base (the map's slots are
    /// relative to the moved base).
    pub shift: u32,
    /// At an instruction that reads MULTRES (CALLM, CALLMT, RETM, TSETM):
    /// the count of values the exit leaves for it (the interpreter's
    /// MULTRES is set from it).
    pub multres: Option<u32>,
}

/// One trace's IR.
/// A C scalar as a compiled FFI call passes or returns it. Arguments come
/// from numbers (`Int`, `F32`, `F64`) or strings/nil (`Ptr`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CScalar {
    Int { size: u8, signed: bool },
    F32,
    F64,
    Ptr,
}

impl CScalar {
    /// The scalar as an IR literal (`XLOAD`/`XSTORE` operand b).
    pub fn code(self) -> i32 {
        match self {
            CScalar::Int { size, signed } => (size.trailing_zeros() as i32) << 1 | signed as i32,
            CScalar::F32 => 8,
            CScalar::F64 => 9,
            CScalar::Ptr => 10,
        }
    }
    /// `TOI64`'s b operand converting a number as stored to this C
    /// integer type (b = 0 converts to `int64_t`).
    pub fn toi64_operand(self) -> i32 {
        self.code() + 1
    }
    /// The C integer type a `TOI64` with b operand `b` converts to (None:
    /// `int64_t`, b = 0).
    pub fn of_toi64(b: i32) -> Option<CScalar> {
        (b > 0).then(|| CScalar::from_code(b - 1))
    }
    /// Inverse of `code`.
    pub fn from_code(c: i32) -> CScalar {
        match c {
            8 => CScalar::F32,
            9 => CScalar::F64,
            10 => CScalar::Ptr,
            _ => CScalar::Int {
                size: 1 << (c >> 1),
                signed: c & 1 == 1,
            },
        }
    }
}

/// The signature of a compiled C call; results convert to numbers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CSig {
    pub args: Vec<CScalar>,
    pub ret: Option<CScalar>,
    /// The number of declared parameters: the arguments after them are
    /// variadic (already promoted); `args.len()` for a fixed call.
    pub nfixed: usize,
    /// Nonzero: call through the FFI thunk at this address (signatures
    /// with structs by value; `lunatrace_ffi::abi`'s thunk protocol): a
    /// struct argument is passed as the address of its bytes (`Ptr`).
    pub thunk: u64,
    /// With a thunk: the last argument is the address the struct result
    /// is stored at (`ret` is then `None`).
    pub sret: bool,
}

/// How the VM boxes values, as far as the passes need it (the IR crate
/// does not depend on the VM): nil's bits and string references.
#[derive(Default, Debug, Clone, Copy)]
pub struct ValueEnc {
    /// Bits of a boxed nil.
    pub nil: u64,
    /// High bits of a boxed string (its pointer is the low bits).
    pub str_tag: u64,
    /// The pointer bits of a boxed object.
    pub payload_mask: u64,
}

impl ValueEnc {
    /// The boxed bits of the string at `p`.
    pub fn box_str(&self, p: u64) -> u64 {
        self.str_tag | (p & self.payload_mask)
    }
    /// Whether boxed bits `k` are a string.
    pub fn is_str(&self, k: u64) -> bool {
        self.payload_mask != 0 && k & !self.payload_mask == self.str_tag
    }
}

/// A table carried around a peeled loop as its fields (`opt_loop` with
/// `fwd`): slot `slot` holds a table made in each iteration (`pre` in
/// the pre-roll, `end` in the copy) that nothing but the loop reads. The
/// copy reads it through `lref`, whose field loads are the carried
/// `fields` (key bits, the `LREF` of a virtual carried slot, see
/// `VCarry`); an exit that holds `lref` makes a table of `size` (TNEW
/// operand) with those fields and metatable `meta` (`Ref::NONE`: none).
#[derive(Clone, Debug)]
pub struct VirtTab {
    pub slot: u32,
    pub lref: Ref,
    pub pre: Ref,
    pub end: Ref,
    pub size: i32,
    pub fields: Vec<(u64, Ref)>,
    pub meta: Ref,
}

/// A value carried around a peeled loop that is no stack slot (a field
/// of a `VirtTab`): `LREF slot` reads it at the top of the copy; it is
/// `pre` after the pre-roll and `end` after each copy.
#[derive(Clone, Copy, Debug)]
pub struct VCarry {
    pub slot: u32,
    pub ty: Ty,
    pub pre: Ref,
    pub end: Ref,
}

/// Virtual carried slots are numbered from here (never stack slots).
pub const VSLOT_BASE: u32 = 1 << 20;

#[derive(Default, Debug, Clone)]
pub struct Trace {
    pub consts: Vec<Const>,
    pub ins: Vec<Ins>,
    pub snaps: Vec<Snapshot>,
    /// Index of the LOOP instruction, once the loop is closed.
    pub loop_at: Option<usize>,
    /// The loop was peeled by `opt_loop`: instructions before `loop_at` run
    /// once, the copy after it repeats and ends with a second LOOP.
    pub peeled: bool,
    /// A peeled loop root whose region may not have a mid-entry
    /// (`region_loop::mid_entry`; flag `midentry` off).
    pub no_mid: bool,
    /// A peeled loop root whose region may not copy it
    /// (`region_loop::start_copies`; flag `rootcopy` off).
    pub no_copy: bool,
    /// A `for` loop root: the iterations its loop had left when the
    /// recording started (`region_loop::start_copies` copies short loops).
    pub trips: Option<u32>,
    /// Numbers (refs) a `TOINT` guard proved to be int32 values, with
    /// that guard: integer expressions of them need no guard of their own
    /// (`fold::int_bound`). (An undo that drops the guard drops the
    /// entry: `Trace::truncate`.)
    pub int_checked: std::collections::HashMap<i32, i32>,
    /// While copying the loop body: CSE may reuse instructions from before
    /// the LOOP marker (invariants).
    pub cse_across_loop: bool,
    /// The loop body's stores (instruction indices): a load before the
    /// loop is reused in the copy only if none of them may alias it.
    pub loop_stores: Vec<usize>,
    /// Guards of the pre-roll (instruction indices) the loop body does
    /// not repeat (CSE mapped their copies onto them): the body relies on
    /// them having held.
    pub hoisted: Vec<usize>,
    /// Bounds checks of the pre-roll that checks of the loop body were
    /// dropped for (`abc`): the body relies on them having held for the
    /// slot values the pre-roll started with.
    pub abc_relied: Vec<usize>,
    /// Signatures of the C calls (`CALLC`).
    pub csigs: Vec<CSig>,
    /// Key-signature bits (`lunatrace_vm::table::key_sig`) of the trace's
    /// constant strings, by address: `HGETS` of a constant key tests its
    /// bit before searching.
    pub str_sigs: Vec<(u64, u64)>,
    /// Optimisations enabled (fold, cse).
    pub fold: bool,
    pub cse: bool,
    /// Store-to-load forwarding for tables made in the trace (`fwd`);
    /// needs `enc`.
    pub fwd: bool,
    pub enc: ValueEnc,
    /// The state at the current instruction, made a snapshot only when a
    /// guard needs it.
    pending: Option<Snapshot>,
    /// The last snapshot is a GCSTEP's, STKCHK's or POLL's, whose exit must reach
    /// the interpreter (never a side trace): the next guard gets its own.
    own_snap: bool,
    /// Current frames returned from below the entry frame, and the base
    /// shift (see `Snapshot`), copied into new snapshots.
    pub retdepth: u32,
    pub shift: u32,
    /// Trace number, returned with the exit taken (`id << 16 | exit`).
    pub id: u32,
    /// Address of one word per snapshot, or 0: an exit whose snapshot is
    /// in the entry frame (no inlined or returned-from frames) loads its
    /// word after writing back, and when it is not 0 continues at that
    /// code address (another trace's `Compiled::link`) with the same base.
    pub link_cells: usize,
    /// Allocations left to the exits that need them (`sink`), ascending.
    pub sunk: Vec<usize>,
    /// Tables carried around the loop as their fields, and the carried
    /// values that are no stack slots (see `VirtTab`).
    pub vtabs: Vec<VirtTab>,
    /// The hash entries of the template tables `TDUP` copies (template
    /// address, then boxed key and value bits): what a copy holds before
    /// the trace stores to it (`fwd`). Templates never change.
    pub templates: Vec<(u64, Vec<(u64, u64)>)>,
    pub vcarry: Vec<VCarry>,
    /// Int values some instructions had while recording (array lengths,
    /// `for` limits), for passes that choose by them (`abc`: hoist a
    /// bounds check only when the loop's limit was in bounds).
    pub seen: Vec<(Ref, i32)>,
}

impl Trace {
    pub fn new(fold: bool, cse: bool) -> Trace {
        Trace {
            fold,
            cse,
            ..Trace::default()
        }
    }

    /// Intern a constant.
    pub fn konst(&mut self, c: Const) -> Ref {
        if let Some(i) = self.consts.iter().position(|k| k.same(&c)) {
            return Ref(-1 - i as i32);
        }
        self.consts.push(c);
        Ref(-(self.consts.len() as i32))
    }
    pub fn knum(&mut self, n: f64) -> Ref {
        self.konst(Const::Num(n))
    }
    pub fn kint(&mut self, n: i32) -> Ref {
        self.konst(Const::Int(n))
    }

    /// Note that instruction `r` had the int value `v` while recording.
    pub fn note_seen(&mut self, r: Ref, v: i32) {
        if r.is_ins() && self.seen_value(r).is_none() {
            self.seen.push((r, v));
        }
    }

    /// The value `r` had while recording: its own for an int constant,
    /// the noted one for an instruction.
    pub fn seen_value(&self, r: Ref) -> Option<i32> {
        match self.get_const(r) {
            Some(Const::Int(k)) => Some(k),
            Some(_) => None,
            None => self.seen.iter().find(|s| s.0 == r).map(|s| s.1),
        }
    }

    /// Insert an instruction at index `at` (before the one there), moving
    /// every later instruction up by one and renumbering every reference
    /// to them: operands, snapshots, the loop marker, the passes' lists.
    /// Guards inserted this way share an existing snapshot (`snap`).
    pub fn insert(&mut self, at: usize, ins: Ins) -> Ref {
        let up = |r: Ref| -> Ref {
            if r.is_ins() && r.idx() >= at {
                Ref(r.0 + 1)
            } else {
                r
            }
        };
        let up_idx = |i: usize| if i >= at { i + 1 } else { i };
        for x in self.ins.iter_mut() {
            let (ka, kb) = x.op.args();
            if ka == Arg::Ref {
                x.a = up(Ref(x.a)).0;
            }
            if kb == Arg::Ref {
                x.b = up(Ref(x.b)).0;
            }
        }
        for s in self.snaps.iter_mut() {
            for e in s.map.iter_mut() {
                e.r = up(e.r);
            }
            s.at = up_idx(s.at as usize) as u32;
        }
        if let Some(p) = self.pending.as_mut() {
            for e in p.map.iter_mut() {
                e.r = up(e.r);
            }
        }
        self.loop_at = self.loop_at.map(up_idx);
        for i in self
            .loop_stores
            .iter_mut()
            .chain(self.sunk.iter_mut())
            .chain(self.hoisted.iter_mut())
            .chain(self.abc_relied.iter_mut())
        {
            *i = up_idx(*i);
        }
        for v in self.vtabs.iter_mut() {
            v.lref = up(v.lref);
            v.pre = up(v.pre);
            v.end = up(v.end);
            v.meta = up(v.meta);
            for f in v.fields.iter_mut() {
                f.1 = up(f.1);
            }
        }
        for c in self.vcarry.iter_mut() {
            c.pre = up(c.pre);
            c.end = up(c.end);
        }
        for s in self.seen.iter_mut() {
            s.0 = up(s.0);
        }
        self.ins.insert(at, ins);
        Ref(at as i32)
    }

    /// Whether instruction `r` is an allocation sunk into the exits.
    pub fn is_sunk(&self, r: Ref) -> bool {
        r.is_ins() && self.sunk.binary_search(&r.idx()).is_ok()
    }

    /// The constant behind a reference.
    pub fn get_const(&self, r: Ref) -> Option<Const> {
        if r.is_const() {
            self.consts.get(r.const_idx()).copied()
        } else {
            None
        }
    }

    /// Result type of a reference.
    pub fn ty(&self, r: Ref) -> Ty {
        if r.is_const() {
            self.consts[r.const_idx()].ty()
        } else {
            self.ins[r.idx()].ty
        }
    }

    /// Instruction behind a reference.
    pub fn ins_of(&self, r: Ref) -> Option<&Ins> {
        if r.is_ins() {
            self.ins.get(r.idx())
        } else {
            None
        }
    }

    /// Append an instruction without optimisation.
    pub fn push(&mut self, op: Op, ty: Ty, a: i32, b: i32) -> Ref {
        self.ins.push(Ins {
            op,
            ty,
            a,
            b,
            snap: u32::MAX,
        });
        Ref(self.ins.len() as i32 - 1)
    }

    /// Emit `op` with operands: constant folding, then CSE, then append.
    /// Guards get the current (last) snapshot.
    pub fn emit(&mut self, op: Op, ty: Ty, a: Ref, b: Ref) -> Ref {
        if self.fold {
            if let Some(r) = crate::fold::fold(self, op, ty, a, b) {
                return r;
            }
        }
        if self.fwd {
            if let Some(r) = crate::fwd::fwd(self, op, ty, a, b) {
                return r;
            }
        }
        let (ka, kb) = op.args();
        let (mut a, mut b) = (a.0, b.0);
        if op.flags().comm() && ka == Arg::Ref && kb == Arg::Ref && a > b {
            std::mem::swap(&mut a, &mut b);
        }
        if self.cse {
            if let Some(r) = self.cse_lookup(op, ty, a, b) {
                return r;
            }
        }
        let snap = if op.flags().guard() {
            // An exit that must reach the interpreter shares its snapshot
            // with no other guard (side traces link by snapshot).
            let own = matches!(op, Op::GCSTEP | Op::STKCHK | Op::POLL);
            if own || self.own_snap {
                // (A copy of the last one when nothing is pending, as if
                // reused.)
                let copy = match self.pending.take() {
                    Some(mut p) => {
                        p.at = self.ins.len() as u32;
                        Some(p)
                    }
                    None => self.snaps.last().cloned(),
                };
                self.snaps.extend(copy);
            }
            self.own_snap = own;
            self.commit_pending()
        } else {
            u32::MAX
        };
        let r = self.push(op, ty, a, b);
        self.ins[r.idx()].snap = snap;
        if op == Op::TOINT && self.ty(Ref(a)) == Ty::Num {
            self.int_checked.entry(a).or_insert(r.0);
        }
        r
    }

    /// Emit with literal operands.
    pub fn emit_lit(&mut self, op: Op, ty: Ty, a: i32, b: i32) -> Ref {
        self.emit(op, ty, Ref(a), Ref(b))
    }

    /// Drop the instructions from `n` on (an undo), with what they proved
    /// and were seen to hold.
    pub fn truncate(&mut self, n: usize) {
        self.ins.truncate(n);
        self.seen.retain(|e| e.0.idx() < n);
        self.int_checked.retain(|_, g| (*g as usize) < n);
    }

    /// How many readers each instruction has: operands of live (non-NOP)
    /// instructions, snapshot entries, and the values carried around the
    /// loop out of no slot (`vcarry`, `vtabs`).
    pub fn readers(&self) -> Vec<u32> {
        let n = self.ins.len();
        let mut count = vec![0u32; n];
        let mut add = |r: Ref| {
            if r.is_ins() && r.idx() < n {
                count[r.idx()] += 1;
            }
        };
        for x in self.ins.iter().filter(|x| x.op != Op::NOP) {
            for o in x.ins_operands() {
                add(Ref(o as i32));
            }
        }
        for e in self.snaps.iter().flat_map(|s| s.map.iter()) {
            add(e.r);
        }
        for c in &self.vcarry {
            add(c.pre);
            add(c.end);
        }
        for v in &self.vtabs {
            for r in [v.lref, v.pre, v.end, v.meta] {
                add(r);
            }
            for f in &v.fields {
                add(f.1);
            }
        }
        count
    }

    /// Find an earlier identical pure instruction (or load with no store
    /// or call in between).
    fn cse_lookup(&self, op: Op, ty: Ty, a: i32, b: i32) -> Option<Ref> {
        let f = op.flags();
        if !(f.pure() || f.load()) || op == Op::SLOAD {
            return None;
        }
        // Never reuse across the LOOP marker (values before it are the
        // previous iteration's).
        let lo = if self.cse_across_loop {
            0
        } else {
            self.loop_at.map_or(0, |l| l + 1)
        };
        for i in (lo..self.ins.len()).rev() {
            let x = &self.ins[i];
            if f.load()
                && x.op.flags().store()
                && x.op != Op::LOOP
                && crate::alias::may_alias_load(self, x, op, a, Some(b))
            {
                // Store-to-load forwarding: a load of the cell just
                // stored reads the stored (boxed) value.
                let fwd = matches!(
                    (x.op, op),
                    (Op::UVSTORE, Op::UVLOAD) | (Op::ASTORE, Op::ALOAD) | (Op::HSTORE, Op::HLOAD)
                );
                return (fwd && x.a == a && ty == Ty::Val && self.ty(Ref(x.b)) == Ty::Val)
                    .then_some(Ref(x.b));
            }
            if f.load()
                && x.op == Op::LOOP
                && self
                    .loop_stores
                    .iter()
                    .any(|&s| crate::alias::may_alias_load(self, &self.ins[s], op, a, Some(b)))
            {
                // A load before the loop saw an earlier iteration's memory.
                return None;
            }
            if x.op == op && x.ty == ty && x.a == a && x.b == b {
                return Some(Ref(i as i32));
            }
        }
        None
    }

    /// Record the state to resume in at `pc` with `map` (modified slots);
    /// it becomes a snapshot when the next guard is emitted.
    pub fn snapshot(&mut self, pc: u32, mut map: Vec<SnapEntry>, frames: Vec<SnapFrame>) {
        map.sort_by_key(|e| e.slot);
        self.pending = Some(Snapshot {
            pc,
            map,
            at: 0,
            frames,
            retdepth: self.retdepth,
            shift: self.shift,
            multres: None,
        });
    }

    /// The pending snapshot resumes at a MULTRES consumer with `n` values.
    pub fn snapshot_multres(&mut self, n: u32) {
        if let Some(p) = self.pending.as_mut() {
            p.multres = Some(n);
        }
    }

    /// Turn the pending state into a snapshot (reusing the last one when it
    /// is identical, unless that one is a GCSTEP's, STKCHK's or POLL's: their
    /// exits reach the interpreter, never a link or a side trace) and
    /// return its index.
    pub fn commit_snapshot(&mut self) -> u32 {
        if std::mem::take(&mut self.own_snap) {
            // (A copy of the last one when nothing is pending.)
            let copy = match self.pending.take() {
                Some(p) => Some(p),
                None => self.snaps.last().cloned(),
            };
            if let Some(mut p) = copy {
                p.at = self.ins.len() as u32;
                self.snaps.push(p);
            }
            return self.snaps.len().saturating_sub(1) as u32;
        }
        self.commit_pending()
    }

    /// `commit_snapshot` for a guard `emit` has given a snapshot of its own
    /// when needed.
    fn commit_pending(&mut self) -> u32 {
        if let Some(mut p) = self.pending.take() {
            p.at = self.ins.len() as u32;
            let same = self.snaps.last().is_some_and(|l| {
                l.pc == p.pc
                    && l.map == p.map
                    && l.frames == p.frames
                    && l.retdepth == p.retdepth
                    && l.shift == p.shift
                    && l.multres == p.multres
            });
            if !same {
                self.snaps.push(p);
            }
        }
        self.snaps.len().saturating_sub(1) as u32
    }
}
