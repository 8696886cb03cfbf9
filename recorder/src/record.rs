//! Recording: one bytecode instruction at a time, observed just before the
//! interpreter runs it, becomes IR specialised to the types (and branch
//! directions) seen, each assumption protected by a guard whose snapshot
//! resumes the interpreter at that instruction.
//!
//! First-light scope: one frame (no calls or returns), numbers as doubles,
//! table array/hash access without metamethods, globals, upvalues, numeric
//! `for` loops and conditionals. Anything else aborts with "NYI: ...".

use crate::snap::{consumes_multres, MultresState};
use lunatrace_ir::ops::{FpMath, Op, Ty};
use lunatrace_ir::trace::{Const, Ref, SnapEntry, SnapFrame, Trace};
use lunatrace_vm::bytecode::{self as bc, opc};
use lunatrace_vm::object::{Proto, Table, POLY_CLOSURES};
use lunatrace_vm::state::MM;
use lunatrace_vm::value::{tag, Value, NIL_BITS};
use lunatrace_vm::Vm;
use std::ptr::NonNull;

/// Record Lua tail calls from the trace's base frame: after an exit that
/// replaced the frame's function the interpreter re-reads its frame
/// (`enter_trace!`), also when a side trace starts recording there.
const INTERP_RELOADS_FRAME: bool = true;

/// Why a recording stops early.
pub type Abort = String;

/// A recording in progress.
pub struct Recorder {
    pub t: Trace,
    pub proto: NonNull<Proto>,
    /// The loop instruction the trace starts (and loops back) at.
    pub pc0: usize,
    /// Frame index of the trace's base frame.
    pub fi: usize,
    /// The closure being recorded (traces check it on entry).
    pub func: Value,
    /// IR value currently held by each slot.
    pub(crate) slots: Vec<Option<Ref>>,
    /// Objects the trace's constants reference beyond its closure (FFI
    /// namespaces and functions); rooted when the trace is installed.
    pub roots: Vec<Value>,
    /// C call sites (prototype address, pc) in this recording.
    pub ffi_sites: Vec<(usize, usize)>,
    /// C call sites that re-entered the VM (`sandwich=exit`): never compiled.
    pub ffi_banned: std::collections::HashSet<(usize, usize)>,
    /// Loops (prototype address, pc of their loop instruction) whose last
    /// root recording aborted because it left the loop (a low trip
    /// count): a root trace meeting one unrolls it as straight code
    /// instead of aborting at it (LuaJIT's `innerloopleft`).
    pub left_loops: std::sync::Arc<std::collections::HashSet<(usize, usize)>>,
    /// Inner loops a root trace entered: (prototype, pc, IR length then),
    /// to bound the body unrolled per pass (`inner_loop_in_root`).
    inner_entries: Vec<(usize, usize, usize)>,
    pub(crate) written: Vec<bool>,
    /// Instructions recorded so far.
    pub nrec: usize,
    /// The first instruction has been recorded.
    pub started: bool,
    /// A side trace: (parent trace id, exit number). Side traces start at
    /// the exit's pc (`pc0`) and end at a trace entry they link to.
    pub side: Option<(u32, u32)>,
    /// A side trace that starts at its parent's loop instruction (an exit
    /// back to the loop's start, before the iteration changed anything)
    /// and closes a loop of its own there, as a root trace does
    /// (LuaJIT's "extra loop"): the other path of a loop whose root was
    /// recorded on a path it no longer takes runs in a loop again.
    pub side_loop: bool,
    /// Guards in the first iteration of the trace's own `for` or `while`
    /// loop exit to the loop's start, with nothing written back, until the
    /// first instruction with an effect (a store, call or allocation;
    /// `snap0_scanned` instructions checked): the interpreter runs the
    /// iteration again, and a side trace of such an exit starts at the
    /// loop, where it can close a loop of its own (`side_loop`). None
    /// before the first instruction (false from the start with the flag
    /// `sideloop` off), false once an effect was emitted.
    pub(crate) snap0: Option<bool>,
    pub(crate) snap0_scanned: usize,
    /// A side trace: the slots its parent's exit left holding integers
    /// (int-typed snapshot values, written back as numbers; sorted). Their
    /// first load is guarded to be an int32 (`TOINT`), so integer
    /// arithmetic on them narrows as in the parent (LuaJIT's side traces
    /// inherit the parent's IR types).
    pub(crate) int_slots: Vec<u32>,
    /// A side trace: the slots its parent's exit leaves with a known type
    /// (sorted; `exits::parent_types`): loaded without a type check
    /// (`sload_typed`) while they hold what the exit left — emptied when
    /// the trace stores a stack slot or moves its base.
    pub(crate) parent_types: Vec<(u32, Ty)>,
    /// The interned "__index" string.
    pub index_key: Value,
    /// The interned "__newindex" string.
    pub newindex_key: Value,
    /// The interned "__metatable" string.
    pub metatable_key: Value,
    /// The instruction being recorded.
    pub(crate) cur_pc: usize,
    /// Inlined Lua frames above the base frame (innermost last).
    pub frames: Vec<RFrame>,
    /// The prototype the recording started in (`proto` changes when the
    /// trace returns to a lower frame).
    pub start_proto: NonNull<Proto>,
    pub start_func: Value,
    /// The trace tail-calls from its entry frame (which must then have no
    /// open upvalues).
    pub tail_base: bool,
    /// Starts at a MULTRES consumer with this many values (a continuation
    /// after a stitched call that returned all its results).
    pub entry_multres: Option<u32>,
    /// Integer narrowing of `for` counters (`-O+narrow`).
    pub narrow: bool,
    /// Values of the last multi-result call or return (MULTRES), with the
    /// state at the instruction that produced them: exits of the consuming
    /// instruction resume there (re-running a return or a fast function),
    /// so that the interpreter computes MULTRES itself.
    pub(crate) multres: Option<MultresState>,
    /// State at the start of the instruction being recorded (for
    /// `multres`), kept only for instructions that may produce MULTRES.
    pub(crate) ins_state: Option<(usize, Vec<SnapEntry>, Vec<SnapFrame>)>,
    /// A snapshot was asked for at a MULTRES consumer with no producer
    /// state to resume at: the recording must not complete.
    pub(crate) bad_multres_exit: bool,
    /// The next inlined callee is the iterator of the root trace's own
    /// generic `for`: known by its prototype (each run of the loop
    /// typically gets a new closure: `for x in iter(t)`).
    pub(crate) iter_poly: bool,
    /// The trace ends at the native call at this pc (stitching): the
    /// driver calls the native after the trace's last exit and continues
    /// in the trace recorded after it.
    pub stitch: Option<usize>,
    /// The native that call calls (for `-jv`).
    pub stitch_fn: Value,
    /// Stitching allowed (`-Ostitch`).
    pub stitching: bool,
    /// Fewest instructions recorded before the trace may end at a
    /// coroutine switch (`-Ominswitch`, see `switches`).
    pub minswitch: usize,
    /// Fewest IR instructions before the trace may end at a stitched
    /// native call (`-Ominstitch`, as LuaJIT's).
    pub minstitch: usize,
    /// A count hook is (or was) set: the trace polls its countdown before
    /// its loop's back edge and before it ends (`poll`).
    pub poll: bool,
    /// The trace ends at a coroutine switch (`stitch` is its pc): the
    /// interpreter makes the call (`end_for_switch`).
    pub switch_end: bool,
    /// Frames below the entry frame the trace returned to, in order: what
    /// the frame chain must look like for the trace to run.
    pub down: Vec<DownFrame>,
    /// A root trace starting at a function's entry (FUNCF): it ends in a
    /// recursive call of its function (up-recursion), a tail call of it
    /// (tail-recursion, a loop) or a call of another function-entry trace.
    pub funcf: bool,
    /// The loop will be peeled (`-Oloop`): it can carry virtual cdata in
    /// registers; otherwise they are boxed at the loop's end.
    pub peel: bool,
    /// The trace ends at the entry of the function the last CALL called,
    /// pushing the inlined frames (RECLINK) and continuing in this trace
    /// (`SELF_LINK`: itself).
    pub rec_link: Option<u32>,
    /// The trace ends at a compiled loop of an inlined frame (`link_loop`):
    /// RECLINK after a stack check, not an exit to the interpreter.
    pub loop_link: bool,
    /// Recursive calls a function-entry trace inlines before it links to
    /// itself (`recunroll`).
    pub recunroll: u32,
    /// Frames of one prototype other recursive calls may inline
    /// (`callunroll`).
    pub callunroll: u32,
    /// Iterations of inner loops a side trace may still unroll
    /// (`loopunroll`); past it the recording aborts, and the inner loop,
    /// hot on its own, gets a root trace that side traces link to.
    pub loopunroll: i32,
    /// The number of MULTRES values the instruction being recorded (a
    /// consumer) takes, its producer recorded in this trace.
    pub consumed: Option<u32>,
    /// Returns from the trace's base frame pop real frames (RETG), guarded
    /// by the caller's closure and pc (`-O+downrec`).
    pub downrec_on: bool,
    /// A root trace starting at a return (down-recursion): it returns
    /// into frames of its function and links to itself at the same return
    /// in the caller's frame.
    pub downrec: bool,
    /// The prototypes of the callers the trace's guarded returns (RETG)
    /// returned to, in order.
    pub pops: Vec<NonNull<Proto>>,
}

pub use lunatrace_vm::jitrt::{RETG_NO_UPVALS, RETG_PLAIN, RETG_UPVALS};

/// Whether prototype `p` makes closures (has child prototypes): only
/// then may its frames have open upvalues.
pub(crate) fn makes_closures(p: NonNull<Proto>) -> bool {
    // SAFETY: live prototype.
    unsafe { !(*p.as_ptr()).protos.is_empty() }
}

/// Abort message of a recording that returns into another frame of a
/// function it already returned into, away from its start: a
/// down-recursion trace starts at that return instead.
pub const DOWNREC_RESTART: &str = "down-recursion, restarting";

/// Abort message of a recursive call inlined more than `callunroll`
/// times (LuaJIT's).
pub const CALL_UNROLL: &str = "call unroll limit reached";

/// Whether instruction `pc` of `p` is a return (not a compiled one).
pub(crate) fn is_return(p: NonNull<Proto>, pc: usize) -> bool {
    matches!(
        bc::op(jitrt_code(p, pc)),
        opc::RET | opc::RET0 | opc::RET1 | opc::RETM
    )
}

/// A return from the trace's base frame the trace cannot make (a
/// function-entry trace's, to a native or a protected call, past the
/// return limits): the recording ends before it, the interpreter making
/// the return (LuaJIT's "return" link), instead of aborting.
pub const RETURN_STOP: &str = "return to the interpreter";

/// `Recorder::rec_link` of a trace that continues in itself.
pub const SELF_LINK: u32 = u32::MAX - 1;

/// The recorder's state before an instruction (`Recorder::save`), to end a
/// side trace there when the instruction cannot be recorded.
pub struct Saved {
    slots: Vec<Option<Ref>>,
    written: Vec<bool>,
    frames: Vec<RFrame>,
    multres: Option<MultresState>,
    down: Vec<DownFrame>,
    proto: NonNull<Proto>,
    func: Value,
    tail_base: bool,
    nins: usize,
    nsnaps: usize,
    retdepth: u32,
    shift: u32,
    nffi: usize,
    npops: usize,
}

/// A frame below a trace's entry frame that the trace returns to: the
/// frame returned from (`k` levels below the entry frame, `k` = index in
/// `Recorder::down`) and its caller must look like this.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct DownFrame {
    /// Results the caller wants (the returning frame's `nresults`).
    pub nres: i32,
    /// Returning frame's base minus the caller's base.
    pub delta: u32,
    /// Result slot (the returning frame's `ret`) relative to the caller's base.
    pub call_a: u32,
    /// The caller's closure (value bits) and saved pc.
    pub func: u64,
    pub pc: u32,
    /// The returning frame's kind (a call, or a comparison metamethod).
    pub kind: lunatrace_vm::object::FrameKind,
}

/// Where an upvalue lives for the trace.
enum Uv {
    /// An open upvalue of a frame in the trace: that trace slot.
    Slot(u32),
    /// Any other upvalue: its object.
    Obj(*mut lunatrace_vm::object::Upval),
    /// A closed upvalue of a closure known by its prototype: the IR
    /// value of its object, and the observed one.
    Dyn(Ref, *mut lunatrace_vm::object::Upval),
}

/// A Lua frame inlined while recording.
#[derive(Copy, Clone, Debug)]
pub struct RFrame {
    /// Slot of its register 0, relative to the trace's base frame.
    pub base: u32,
    pub proto: NonNull<Proto>,
    pub func: Value,
    /// The CALL in the caller (its A operand is where results go).
    pub call_pc: usize,
    pub call_a: u32,
    pub nres: i32,
    /// Trace slot the results go to when not the function slot
    /// (metamethod frames: register A of the instruction).
    pub ret: Option<u32>,
    /// Slots from the function slot to the base (1 + arguments for vararg
    /// functions).
    pub fdelta: u32,
    /// Extra arguments of a vararg function.
    pub nvarargs: u32,
    /// A comparison metamethod's frame: on return the caller's JMP is
    /// taken when the result's truthiness equals this.
    pub cmp: Option<bool>,
    /// Called by `pcall` (the interpreter's `Pcall` frame kind): its
    /// results go to `ret` (pcall's slot) after `true`; errors unwind to it.
    pub pcall: bool,
    /// Called by `xpcall` (`pcall` is set too): the handler is in `ret`.
    pub xpcall: bool,
    /// The closure is guarded by its prototype only (`func` is the one
    /// observed): its upvalues and environment are read from the closure
    /// in its function slot (`frame_fref`).
    pub poly: bool,
}

impl RFrame {
    /// The frame of a plain Lua call (results to the function slot, no
    /// protection, no comparison): `fdelta` slots from the function slot
    /// to the base, `nvarargs` extra arguments below it.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn call(
        base: u32,
        proto: NonNull<Proto>,
        func: Value,
        call_pc: usize,
        call_a: u32,
        nres: i32,
        fdelta: u32,
        nvarargs: u32,
        poly: bool,
    ) -> RFrame {
        RFrame {
            base,
            proto,
            func,
            call_pc,
            call_a,
            nres,
            ret: None,
            fdelta,
            nvarargs,
            cmp: None,
            pcall: false,
            xpcall: false,
            poly,
        }
    }
}

/// Most frames a trace inlines above its base frame (busted's mediator
/// calls nest ten deep; LuaJIT bounds a trace's slots, not its depth).
pub const MAX_DEPTH: usize = 20;

/// Abort message of a root trace that left its loop (backed off, never
/// blacklisted: see `Jit::abort_recording`).
pub const LEAVING_LOOP: &str = "leaving loop in root trace";

/// Abort message of a function-entry trace meeting its base case (the
/// entry records again after the usual penalty: a function whose calls
/// all stop within `recunroll` levels is blacklisted after some ten).
pub const LEAVING_FUNCF: &str = "NYI: leaving a function-entry trace";

/// A fast function's call wanted for all its results is recorded as giving
/// one (`fast_call_mr`, `return fast(...)`) unless `fast_values` knows
/// them; an error ("NYI", so the call is stitched) for those that give
/// more: `string.gsub` (the string and the count).
fn one_result(id: u8) -> Result<(), Abort> {
    if id == lunatrace_vm::object::ffid::STR_GSUB {
        return Err("NYI: string.gsub for all its results".into());
    }
    Ok(())
}

/// Whether `v` is a string arithmetic converts to a number.
fn arith_string(v: Value) -> bool {
    v.is_str() && lunatrace_vm::number::str_to_num(lunatrace_vm::object::str_bytes(v)).is_some()
}

/// Whether `v` is an arithmetic operand without a metamethod: a number,
/// or a string that converts to one.
fn arith_operand(v: Value) -> bool {
    v.is_num() || arith_string(v)
}

/// The observed type of a value, as an IR type.
pub(crate) fn ty_of(v: Value) -> Result<Ty, Abort> {
    if v.is_num() {
        return Ok(Ty::Num);
    }
    Ok(match v.tag() {
        tag::NIL => Ty::Nil,
        tag::FALSE => Ty::False,
        tag::TRUE => Ty::True,
        tag::STR => Ty::Str,
        tag::TABLE => Ty::Tab,
        tag::FUNC => Ty::Func,
        tag::UDATA => Ty::Udata,
        tag::THREAD => Ty::Thread,
        tag::LIGHTUD => Ty::LightUd,
        tag::CDATA => Ty::Cdata,
        _ => return Err(format!("NYI: value of type {}", v.type_name())),
    })
}

/// Cdata values (objects or virtual references): their comparisons go
/// through the FFI's rules (`1LL == 1`, `NULL == nil`), not recorded.
fn is_cdata_ty(ty: Ty) -> bool {
    matches!(ty, Ty::Cdata | Ty::CRef)
}

/// Natives (by fast-function id) the driver never calls for a trace
/// (stitching): those that yield or catch errors (`coroutine.yield`,
/// `pcall`, `xpcall`: their own paths), switch coroutines (`resume`, a
/// `wrap` function: the interpreter switches, `end_for_switch`), or ask
/// whether the caller may yield (`coroutine.isyieldable`: the driver's
/// call is a C-call boundary).
pub(crate) fn never_stitched(f: NonNull<lunatrace_vm::object::Func>) -> bool {
    use lunatrace_vm::object::ffid;
    // SAFETY: live function object.
    let (id, native) = unsafe { ((*f.as_ptr()).hdr.flags, (*f.as_ptr()).native) };
    matches!(
        id,
        ffid::YIELD
            | ffid::PCALL
            | ffid::XPCALL
            | ffid::RESUME
            | ffid::WRAP_AUX
            | ffid::ISYIELDABLE
    )
    // (The `jit` library's functions work on the JIT, which is out of
    // the VM while the driver makes a stitched call.)
    || native.is_some_and(crate::lib_jit::is_jit_native)
}

pub(crate) fn truthy(ty: Ty) -> bool {
    !matches!(ty, Ty::Nil | Ty::False)
}

impl Recorder {
    pub fn new(
        proto: NonNull<Proto>,
        pc0: usize,
        fi: usize,
        func: Value,
        fold: bool,
        cse: bool,
    ) -> Recorder {
        // SAFETY: live prototype.
        let fs = unsafe { (*proto.as_ptr()).framesize } as usize;
        Recorder {
            t: Trace::new(fold, cse),
            proto,
            pc0,
            fi,
            func,
            slots: vec![None; fs + 1],
            roots: Vec::new(),
            ffi_sites: Vec::new(),
            ffi_banned: Default::default(),
            left_loops: Default::default(),
            inner_entries: Vec::new(),
            written: vec![false; fs + 1],
            nrec: 0,
            started: false,
            side: None,
            int_slots: Vec::new(),
            parent_types: Vec::new(),
            index_key: Value::NIL,
            cur_pc: 0,
            newindex_key: Value::NIL,
            metatable_key: Value::NIL,
            frames: Vec::new(),
            start_proto: proto,
            start_func: func,
            tail_base: false,
            entry_multres: None,
            narrow: false,
            multres: None,
            bad_multres_exit: false,
            iter_poly: false,
            stitch: None,
            stitch_fn: Value::NIL,
            stitching: false,
            minswitch: 12,
            minstitch: 0,
            poll: false,
            switch_end: false,
            ins_state: None,
            down: Vec::new(),
            funcf: false,
            side_loop: false,
            snap0: None,
            snap0_scanned: 0,
            peel: true,
            rec_link: None,
            loop_link: false,
            recunroll: 2,
            callunroll: 3,
            loopunroll: 15,
            consumed: None,
            downrec_on: true,
            downrec: false,
            pops: Vec::new(),
        }
    }

    /// The slot/frame state, to undo a partly recorded instruction.
    pub fn save(&self) -> Saved {
        Saved {
            slots: self.slots.clone(),
            written: self.written.clone(),
            frames: self.frames.clone(),
            multres: self.multres.clone(),
            down: self.down.clone(),
            proto: self.proto,
            func: self.func,
            tail_base: self.tail_base,
            nins: self.t.ins.len(),
            nsnaps: self.t.snaps.len(),
            retdepth: self.t.retdepth,
            shift: self.t.shift,
            nffi: self.ffi_sites.len(),
            npops: self.pops.len(),
        }
    }

    /// Undo to a state from `save`: the recorder's state and the IR and
    /// snapshots emitted since (a half-recorded instruction must leave no
    /// code behind: its guards would exit into frames the rest of the trace
    /// does not have, and it may touch slots beyond the trace's count).
    pub fn restore(&mut self, s: Saved) {
        self.slots = s.slots;
        self.written = s.written;
        self.frames = s.frames;
        self.multres = s.multres;
        self.down = s.down;
        self.proto = s.proto;
        self.func = s.func;
        self.tail_base = s.tail_base;
        self.t.truncate(s.nins);
        self.t.snaps.truncate(s.nsnaps);
        self.t.retdepth = s.retdepth;
        self.t.shift = s.shift;
        self.ffi_sites.truncate(s.nffi);
        self.pops.truncate(s.npops);
    }

    /// The objects this recording refers to and `keep_alive` roots when
    /// the trace is installed: marked by collections during the recording
    /// (the interpreter runs on meanwhile, and a closure made or a value
    /// seen in one iteration may be garbage in the next).
    pub fn gc_roots(&self, out: &mut Vec<Value>) {
        out.push(self.start_func);
        out.push(self.func);
        out.extend(self.down.iter().map(|d| Value::from_bits(d.func)));
        out.extend(self.frames.iter().map(|f| f.func));
        out.extend(self.roots.iter().copied());
    }

    /// Slots the trace touches (its stack need above the base frame).
    pub fn nslots(&self) -> usize {
        self.slots.len()
    }

    /// Base slot (relative to the trace's base frame) of the current frame.
    pub(crate) fn cur_base(&self) -> u32 {
        self.frames.last().map_or(0, |f| f.base)
    }

    /// Prototype of the current (innermost) frame.
    pub fn cur_proto(&self) -> NonNull<Proto> {
        self.frames.last().map_or(self.proto, |f| f.proto)
    }

    /// Closure of the current frame.
    pub(crate) fn cur_func(&self) -> Value {
        self.frames.last().map_or(self.func, |f| f.func)
    }

    /// Number of frames of the trace (base frame included).
    pub fn depth(&self) -> usize {
        1 + self.frames.len()
    }

    pub(crate) fn base(vm: &Vm, fi: usize) -> usize {
        vm.th().frames[fi].base as usize
    }

    /// Observed value of slot `s`.
    pub(crate) fn val(&self, vm: &Vm, s: u32) -> Value {
        let th = vm.th();
        th.stack[Self::base(vm, self.fi) + (self.cur_base() + s) as usize]
    }

    /// The IR value of slot `s` of the current frame.
    pub(crate) fn slot(&mut self, vm: &Vm, s: u32) -> Result<Ref, Abort> {
        let v = self.val(vm, s);
        self.gslot(v, self.cur_base() + s)
    }

    /// The IR value of trace slot `s` (loaded and type-guarded on first
    /// use; `v` is its observed value).
    pub(crate) fn gslot(&mut self, v: Value, s: u32) -> Result<Ref, Abort> {
        let s = s as usize;
        if s >= self.slots.len() {
            return Err("NYI: slot beyond frame".into());
        }
        if let Some(r) = self.slots[s] {
            // Narrowed `for` counters are ints in the trace and numbers
            // to every instruction that reads them (TOINT of the
            // conversion folds back to the int).
            if self.t.ty(r) == Ty::Int {
                return Ok(self.t.emit(Op::TONUM, Ty::Num, r, Ref::NONE));
            }
            return Ok(r);
        }
        let ty = ty_of(v)?;
        let known = self
            .parent_types
            .binary_search_by_key(&(s as u32), |e| e.0)
            .is_ok_and(|i| self.parent_types[i].1 == ty);
        let flags = if known {
            lunatrace_ir::sload_typed(ty)
        } else {
            0
        };
        let l = self.t.emit_lit(Op::SLOAD, Ty::Val, s as i32, flags);
        let r = self.t.emit(Op::UNBOX, ty, l, Ref::NONE);
        let int = self.narrow
            && v.as_num().is_some_and(|n| n == (n as i32) as f64)
            && self.int_slots.binary_search(&(s as u32)).is_ok();
        if int {
            // (The guard marks `r` as an int32 value: integer arithmetic
            // on it narrows, `fold::int_bound`.)
            self.t.emit(Op::TOINT, Ty::Int, r, Ref::NONE);
        }
        self.slots[s] = Some(r);
        Ok(r)
    }

    pub(crate) fn set(&mut self, s: u32, r: Ref) -> Result<(), Abort> {
        self.gset(self.cur_base() + s, r)
    }

    /// Set trace slot `s`.
    pub(crate) fn gset(&mut self, s: u32, r: Ref) -> Result<(), Abort> {
        let s = s as usize;
        if s >= self.slots.len() {
            return Err("NYI: slot beyond frame".into());
        }
        self.slots[s] = Some(r);
        self.written[s] = true;
        Ok(())
    }

    pub(crate) fn kpri(&mut self, ty: Ty) -> Ref {
        self.t.konst(Const::Ptr(0, ty))
    }

    /// A pointer constant of IR type `ty`. Strings, tables and functions
    /// become roots of the trace: the code compares identities with them,
    /// so none may die and be replaced by another object at its address.
    pub(crate) fn kptr(&mut self, p: u64, ty: Ty) -> Ref {
        let n = self.t.consts.len();
        let r = self.t.konst(Const::Ptr(p, ty));
        // (Once per constant: interned constants are found again.)
        if let (true, Some(nn)) = (self.t.consts.len() > n, NonNull::new(p as *mut u8)) {
            match ty {
                Ty::Str => {
                    let v = Value::from_str(nn.cast());
                    self.t.str_sigs.push((p, lunatrace_vm::table::key_sig(v)));
                    self.roots.push(v)
                }
                Ty::Tab => self.roots.push(Value::from_table(nn.cast())),
                Ty::Func => self.roots.push(Value::from_func(nn.cast())),
                _ => {}
            }
        }
        r
    }

    pub(crate) fn knum(&mut self, n: f64) -> Ref {
        self.t.knum(n)
    }

    /// Constant `k[i]` of the prototype.
    pub(crate) fn kval(&self, i: u32) -> Value {
        // SAFETY: live prototype; operand indices come from our compiler.
        unsafe { (&(*self.cur_proto().as_ptr()).k)[i as usize] }
    }

    /// A number operand as IR (slot must hold a number).
    pub(crate) fn num_slot(&mut self, vm: &Vm, s: u32) -> Result<Ref, Abort> {
        let v = self.val(vm, s);
        if !v.is_num() {
            return Err(format!("NYI: arithmetic on {}", v.type_name()));
        }
        self.slot(vm, s)
    }

    /// An arithmetic operand as IR: a number, or a string that converts
    /// to one (Lua 5.1's coercion, for arithmetic only — not `for`
    /// limits or FFI stores), the conversion guarded, so the trace exits
    /// where the string stops converting.
    fn arith_slot(&mut self, vm: &Vm, s: u32) -> Result<Ref, Abort> {
        if arith_string(self.val(vm, s)) {
            let r = self.slot(vm, s)?;
            let raw = self.t.emit(Op::TONUMS, Ty::Val, r, Ref::NONE);
            return Ok(self.t.emit(Op::UNBOX, Ty::Num, raw, Ref::NONE));
        }
        self.num_slot(vm, s)
    }

    /// Guard for a comparison whose observed outcome is `holds`.
    pub(crate) fn cmp_guard(&mut self, op: Op, a: Ref, b: Ref, holds: bool) {
        let g = if holds {
            op
        } else {
            match op {
                Op::LT => Op::GE,
                Op::GE => Op::LT,
                Op::LE => Op::GT,
                Op::GT => Op::LE,
                Op::EQ => Op::NE,
                _ => Op::EQ,
            }
        };
        self.t.emit(g, Ty::Void, a, b);
    }

    /// Record the instruction at `pc` (about to run in frame `fi`).
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // NaN compares false
    pub fn record(
        &mut self,
        vm: &Vm,
        pc: usize,
        ins: u32,
        orig_of: &dyn Fn(u32) -> u32,
    ) -> Result<(), Abort> {
        let ins = if bc::op(ins) == opc::JRET {
            orig_of(bc::d(ins))
        } else {
            ins
        };
        self.nrec += 1;
        self.cur_pc = pc;
        self.multres_exit_ok(pc)?;
        if self.restarts_loop(pc, orig_of) {
            self.t.snapshot(self.pc0 as u32, Vec::new(), Vec::new());
        } else {
            self.snap(pc);
        }
        let a = bc::a(ins);
        let d = bc::d(ins);
        let b = bc::b(ins);
        let c = bc::c(ins);
        let mr = self.multres.take();
        let op = bc::op(ins);
        let mut nmr = 0;
        self.ins_state = None;
        self.consumed = None;
        if let (true, Some((n, ppc, map, frames))) = (consumes_multres(ins), mr) {
            // Consumers of MULTRES: exits go back to its producer (`snap`
            // did so), and so do those of the MULTRES they produce in turn.
            nmr = n;
            self.consumed = Some(n);
            self.ins_state = Some((ppc, map, frames));
        } else if matches!(
            op,
            opc::CALL | opc::CALLT | opc::RET0 | opc::RET1 | opc::RET
        ) {
            let (map, frames) = self.snap_state();
            self.ins_state = Some((pc, map, frames));
        }
        match op {
            opc::MOV => {
                let r = self.slot(vm, d)?;
                self.set(a, r)?;
            }
            opc::KSHORT => {
                let r = self.knum(d as u16 as i16 as f64);
                self.set(a, r)?;
            }
            opc::KNUM => {
                let r = self.knum(self.kval(d).num_unchecked());
                self.set(a, r)?;
            }
            opc::KSTR => {
                let r = self.kptr(self.kval(d).payload(), Ty::Str);
                self.set(a, r)?;
            }
            opc::KCDATA => self.ffi_kcdata(vm, a, d)?,
            opc::KPRI => {
                let ty = [Ty::Nil, Ty::False, Ty::True][d as usize];
                let r = self.kpri(ty);
                self.set(a, r)?;
            }
            opc::KNIL => {
                let r = self.kpri(Ty::Nil);
                for s in a..=d {
                    self.set(s, r)?;
                }
            }
            opc::NOT => {
                let x = self.slot(vm, d)?;
                let ty = if truthy(self.t.ty(x)) {
                    Ty::False
                } else {
                    Ty::True
                };
                let r = self.kpri(ty);
                self.set(a, r)?;
            }
            opc::UNM => {
                if self.val(vm, d).is_cdata() {
                    let ok = ffi_state_has_int(vm, self.val(vm, d));
                    return if ok {
                        self.ffi_unm(vm, a, d)
                    } else {
                        self.ffi_arith_meta(vm, ins)
                    };
                }
                if !arith_operand(self.val(vm, d)) {
                    return self.arith_meta(vm, pc, ins);
                }
                let x = self.arith_slot(vm, d)?;
                let r = self.t.emit(Op::NEG, Ty::Num, x, Ref::NONE);
                self.set(a, r)?;
            }
            opc::ADDVN..=opc::MODVN
            | opc::ADDNV..=opc::MODNV
            | opc::ADDVV..=opc::MODVV
            | opc::POW => {
                let o = bc::op(ins);
                let vv = (opc::ADDVV..=opc::MODVV).contains(&o) || o == opc::POW;
                if self.val(vm, b).is_cdata() || (vv && self.val(vm, c).is_cdata()) {
                    return self.ffi_arith(vm, ins);
                }
                if !arith_operand(self.val(vm, b)) || (vv && !arith_operand(self.val(vm, c))) {
                    return self.arith_meta(vm, pc, ins);
                }
                let x = self.arith_slot(vm, b)?;
                let y = if (opc::ADDVV..=opc::MODVV).contains(&o) || o == opc::POW {
                    self.arith_slot(vm, c)?
                } else {
                    self.knum(self.kval(c).num_unchecked())
                };
                let (x, y) = if (opc::ADDNV..=opc::MODNV).contains(&o) {
                    (y, x)
                } else {
                    (x, y)
                };
                let iop = match o {
                    opc::ADDVN | opc::ADDNV | opc::ADDVV => Op::ADD,
                    opc::SUBVN | opc::SUBNV | opc::SUBVV => Op::SUB,
                    opc::MULVN | opc::MULNV | opc::MULVV => Op::MUL,
                    opc::DIVVN | opc::DIVNV | opc::DIVVV => Op::DIV,
                    opc::MODVN | opc::MODNV | opc::MODVV => Op::MOD,
                    _ => Op::POW,
                };
                let r = self.t.emit(iop, Ty::Num, x, y);
                self.set(a, r)?;
            }
            opc::ISLT | opc::ISGE | opc::ISLE | opc::ISGT => {
                let (va, vd) = (self.val(vm, a), self.val(vm, d));
                if va.is_str() && vd.is_str() {
                    return self.record_str_compare(vm, ins);
                }
                if va.is_table() && vd.is_table() {
                    return self.compare_meta(vm, ins);
                }
                if va.is_cdata() || vd.is_cdata() {
                    return self.ffi_compare(vm, ins);
                }
                if !(va.is_num() && vd.is_num()) {
                    return Err("NYI: comparison of non-numbers".into());
                }
                let x = self.slot(vm, a)?;
                let y = self.slot(vm, d)?;
                let (p, q) = (va.num_unchecked(), vd.num_unchecked());
                let (op, holds) = match bc::op(ins) {
                    opc::ISLT => (Op::LT, p < q),
                    opc::ISGE => (Op::GE, !(p < q)),
                    opc::ISLE => (Op::LE, p <= q),
                    _ => (Op::GT, !(p <= q)),
                };
                self.cmp_guard(op, x, y, holds);
            }
            opc::ISEQV | opc::ISNEV => {
                let (va, vd) = (self.val(vm, a), self.val(vm, d));
                if va.is_cdata() || vd.is_cdata() {
                    return self.ffi_equal(vm, ins);
                }
                let x = self.slot(vm, a)?;
                let y = self.slot(vm, d)?;
                let (tx, ty) = (self.t.ty(x), self.t.ty(y));
                if is_cdata_ty(tx) || is_cdata_ty(ty) {
                    return Err("NYI: comparison of cdata".into());
                }
                if tx != ty {
                    // Different types (guarded by the loads): never equal.
                } else if tx == Ty::Num {
                    let eq = va.num_unchecked() == vd.num_unchecked();
                    self.cmp_guard(Op::EQ, x, y, eq);
                } else if tx.is_pri() {
                    // Same primitive type: equal.
                } else if matches!(tx, Ty::Str | Ty::Func | Ty::Thread) {
                    // (Threads have no `__eq`: equal when the same.)
                    let eq = va.bits() == vd.bits();
                    self.cmp_guard(Op::EQ, x, y, eq);
                } else if tx == Ty::Tab && va.bits() == vd.bits() {
                    // The same table: equal without consulting __eq.
                    self.t.emit(Op::EQ, Ty::Void, x, y);
                } else if tx == Ty::Tab && no_meta(va) && no_meta(vd) {
                    // Different tables without metatables: unequal.
                    self.t.emit(Op::NE, Ty::Void, x, y);
                    let z = self.kptr(0, Ty::Ptr);
                    for r in [x, y] {
                        let m = self.t.emit(Op::TMETA, Ty::Ptr, r, Ref::NONE);
                        self.t.emit(Op::EQ, Ty::Void, m, z);
                    }
                } else if tx == Ty::Tab {
                    return self.equal_meta(vm, ins);
                } else {
                    return Err("NYI: equality with metamethods".into());
                }
            }
            opc::ISEQS | opc::ISNES => {
                let va = self.val(vm, a);
                let x = self.slot(vm, a)?;
                if is_cdata_ty(self.t.ty(x)) {
                    return Err("NYI: comparison of cdata".into());
                }
                if self.t.ty(x) == Ty::Str {
                    let k = self.kval(d);
                    let kr = self.kptr(k.payload(), Ty::Str);
                    self.cmp_guard(Op::EQ, x, kr, va.bits() == k.bits());
                }
            }
            opc::ISEQN | opc::ISNEN => {
                let va = self.val(vm, a);
                if va.is_cdata() {
                    return self.ffi_equal(vm, ins);
                }
                let x = self.slot(vm, a)?;
                if is_cdata_ty(self.t.ty(x)) {
                    return Err("NYI: comparison of cdata".into());
                }
                if self.t.ty(x) == Ty::Num {
                    let k = self.kval(d).num_unchecked();
                    let kr = self.knum(k);
                    self.cmp_guard(Op::EQ, x, kr, va.num_unchecked() == k);
                }
            }
            opc::ISEQP | opc::ISNEP => {
                // The slot's type is guarded: the outcome is fixed.
                if self.val(vm, a).is_cdata() && d == 0 {
                    return self.ffi_nil_compare(vm, a);
                }
                let x = self.slot(vm, a)?;
                if is_cdata_ty(self.t.ty(x)) {
                    return Err("NYI: comparison of cdata".into());
                }
            }
            opc::IST | opc::ISF => {
                self.slot(vm, d)?;
            }
            opc::ISTC | opc::ISFC => {
                let x = self.slot(vm, d)?;
                let t = truthy(self.t.ty(x));
                if t == (bc::op(ins) == opc::ISTC) {
                    self.set(a, x)?;
                }
            }
            opc::JMP => {}
            opc::LOOP | opc::ILOOP | opc::JLOOP => {
                if (pc != self.pc0 || !self.frames.is_empty()) && self.side.is_none() {
                    self.inner_loop_in_root(pc, bc::op(ins) != opc::JLOOP)?;
                }
                // (A `while`/`repeat` body is entered: LOOP runs after the
                // condition.) The trace's own loop is no inner loop.
                if pc != self.pc0
                    || (self.side.is_some() && !(self.side_loop && self.frames.is_empty()))
                {
                    self.unroll_inner_loop()?;
                }
            }
            opc::FORI | opc::JFORI => {
                let (i, l, s) = (
                    self.num_slot(vm, a)?,
                    self.num_slot(vm, a + 1)?,
                    self.num_slot(vm, a + 2)?,
                );
                let sv = self.val(vm, a + 2).num_unchecked();
                let (iv, lv) = (
                    self.val(vm, a).num_unchecked(),
                    self.val(vm, a + 1).num_unchecked(),
                );
                self.step_dir_guard(s, sv);
                let go = if sv >= 0.0 { iv <= lv } else { iv >= lv };
                let op = if sv >= 0.0 { Op::LE } else { Op::GE };
                self.cmp_guard(op, i, l, go);
                if go {
                    self.set(a + 3, i)?;
                }
            }
            opc::FORL | opc::IFORL | opc::JFORL => {
                let compiled = bc::op(ins) == opc::JFORL;
                let ins = if compiled { orig_of(d) } else { ins };
                let a = bc::a(ins);
                let (kl, ks) = self.const_for_args(pc, ins);
                let i = self.num_slot(vm, a)?;
                let l = match kl {
                    Some(k) => self.knum(k),
                    None => self.num_slot(vm, a + 1)?,
                };
                let s = match ks {
                    Some(k) => self.knum(k),
                    None => self.num_slot(vm, a + 2)?,
                };
                let sv = self.val(vm, a + 2).num_unchecked();
                let iv = self.val(vm, a).num_unchecked();
                let nv = iv + sv;
                let lv = self.val(vm, a + 1).num_unchecked();
                self.step_dir_guard(s, sv);
                let go = if sv >= 0.0 { nv <= lv } else { nv >= lv };
                let mut own = pc == self.pc0 && self.own_loop() && self.frames.is_empty();
                if own && !go && self.side_loop {
                    // A side loop that leaves its loop goes on as a plain
                    // side trace (a root would abort).
                    self.side_loop = false;
                    own = false;
                }
                if own && self.t.trips.is_none() && sv != 0.0 {
                    // (The iterations left when the recording started:
                    // `region_loop::start_copies` copies short loops.)
                    self.t.trips = Some(((lv - iv) / sv).clamp(0.0, u32::MAX as f64) as u32);
                }
                // (Leaving an inner loop is straight code.)
                if !own && self.side.is_none() && (go || compiled) {
                    self.inner_loop_in_root(pc, !compiled)?;
                }
                let (n, l) = match self.narrow_forl(own, (i, l, s), (iv, lv, sv)) {
                    Some(nl) => nl,
                    None => (self.t.emit(Op::ADD, Ty::Num, i, s), l),
                };
                if own {
                    // The trace's own loop: leaving it resumes after the
                    // FORL (re-running it would re-enter the trace).
                    if !go {
                        return Err(LEAVING_LOOP.into());
                    }
                    self.snap(pc + 1);
                } else if go {
                    self.unroll_inner_loop()?;
                }
                let op = if sv >= 0.0 { Op::LE } else { Op::GE };
                self.cmp_guard(op, n, l, go);
                if go {
                    self.set(a, n)?;
                    self.set(a + 3, n)?;
                }
            }
            opc::GGET => {
                let env = self.cur_env(vm)?;
                let key = self.kval(d);
                let t = self.kptr(env as u64, Ty::Tab);
                // SAFETY: live table.
                let envp = unsafe { NonNull::new_unchecked(env) };
                let v = lunatrace_vm::table::get_str(envp, key);
                let r = if v.is_nil() {
                    // Absent: the environment's metatable decides (strict
                    // mode's `__index`), as for any table (NONE: an
                    // `__index` function's frame was entered).
                    self.index_chain(envp, t, key, None)?
                } else {
                    let ty = ty_of(v)?;
                    let raw = match lunatrace_vm::table::hash_part(envp).slot_of(key) {
                        Some(i) => {
                            let addr = self.hrefk(t, key, i);
                            self.t.emit(Op::HLOAD, Ty::Val, addr, Ref::NONE)
                        }
                        None => {
                            let k = self.kptr(key.payload(), Ty::Str);
                            self.t.emit(Op::HGETS, Ty::Val, t, k)
                        }
                    };
                    self.t.emit(Op::UNBOX, ty, raw, Ref::NONE)
                };
                if r != Ref::NONE {
                    self.set(a, r)?;
                }
            }
            opc::GSET => {
                let env = self.cur_env(vm)?;
                // SAFETY: live table.
                let envp = unsafe { NonNull::new_unchecked(env) };
                let t = self.kptr(env as u64, Ty::Tab);
                let key = self.kval(d);
                let val = self.slot(vm, a)?;
                self.table_store(envp, t, key, None, val)?;
            }
            opc::TGETV | opc::TGETS | opc::TGETB => {
                let tv = self.val(vm, b);
                if bc::op(ins) == opc::TGETS && self.ffi_clib_get(vm, a, b, self.kval(c))? {
                    return Ok(());
                }
                if tv.is_cdata() {
                    return self.ffi_index(vm, ins, None);
                }
                if tv.is_str() {
                    return self.record_str_index(vm, ins);
                }
                if let Some(up) = tv.as_udata_ptr() {
                    return self.record_udata_index(vm, ins, up);
                }
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: indexing a non-table".into());
                };
                let t = self.slot(vm, b)?;
                let (key, kref) = self.index_key(vm, ins)?;
                let r = self.index_chain(tp, t, key, kref)?;
                if r != Ref::NONE {
                    // (NONE: an `__index` function's frame was entered.)
                    self.set(a, r)?;
                }
            }
            opc::TNEW | opc::TDUP => {
                let r = if bc::op(ins) == opc::TNEW {
                    self.t.emit_lit(Op::TNEW, Ty::Tab, d as i32, 0)
                } else {
                    let tpl = self.kval(d);
                    self.describe_template(tpl);
                    let k = self.kptr(tpl.payload(), Ty::Tab);
                    self.t.emit(Op::TDUP, Ty::Tab, k, Ref::NONE)
                };
                self.set(a, r)?;
                // A due collection runs in the interpreter, after this.
                self.snap(pc + 1);
                self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
            }
            opc::TSETV | opc::TSETS | opc::TSETB => {
                let tv = self.val(vm, b);
                if tv.is_cdata() {
                    let v = self.slot(vm, a)?;
                    return self.ffi_index(vm, ins, Some(v));
                }
                let Some(tp) = tv.as_table_ptr() else {
                    return Err("NYI: indexing a non-table".into());
                };
                let t = self.slot(vm, b)?;
                let (key, kref) = self.index_key(vm, ins)?;
                let val = self.slot(vm, a)?;
                self.table_store(tp, t, key, kref, val)?;
            }
            opc::LEN => {
                let v = self.val(vm, d);
                let x = self.slot(vm, d)?;
                let r = if v.is_str() {
                    self.t.emit(Op::STRLEN, Ty::Int, x, Ref::NONE)
                } else if v.as_table_ptr().is_some() {
                    // (Lua 5.1: `#` of a table ignores its metatable.)
                    self.t.emit(Op::TLEN, Ty::Int, x, Ref::NONE)
                } else {
                    return Err("NYI: length of this value".into());
                };
                let n = self.t.emit(Op::TONUM, Ty::Num, r, Ref::NONE);
                self.set(a, n)?;
            }
            opc::UGET => {
                if let Some(k) = self.immutable_upval(vm, d) {
                    self.set(a, k)?;
                    return Ok(());
                }
                let (uv, u) = match self.upval(vm, d)? {
                    Uv::Slot(s) => {
                        // An open upvalue of a frame in the trace: the slot.
                        let v = vm.th().stack[Self::base(vm, self.fi) + s as usize];
                        let r = self.gslot(v, s)?;
                        self.set(a, r)?;
                        return Ok(());
                    }
                    Uv::Obj(uv) => (uv, self.kptr(uv as u64, Ty::Ptr)),
                    Uv::Dyn(u, uv) => (uv, u),
                };
                // SAFETY: live upvalue.
                let v = unsafe { *(*uv).v };
                let ty = ty_of(v)?;
                let raw = self.t.emit(Op::UVLOAD, Ty::Val, u, Ref::NONE);
                let r = self.t.emit(Op::UNBOX, ty, raw, Ref::NONE);
                self.set(a, r)?;
            }
            opc::USETV | opc::USETS | opc::USETN | opc::USETP => {
                let target = self.upval(vm, a)?;
                let v = match bc::op(ins) {
                    opc::USETV => self.slot(vm, d)?,
                    opc::USETS => self.kptr(self.kval(d).payload(), Ty::Str),
                    opc::USETN => self.knum(self.kval(d).num_unchecked()),
                    _ => self.kpri([Ty::Nil, Ty::False, Ty::True][d as usize]),
                };
                let u = match target {
                    Uv::Slot(s) => {
                        self.gset(s, v)?;
                        return Ok(());
                    }
                    Uv::Obj(uv) => self.kptr(uv as u64, Ty::Ptr),
                    Uv::Dyn(u, _) => u,
                };
                let boxed = self.t.emit(Op::BOX, Ty::Val, v, Ref::NONE);
                self.t.emit(Op::UVSTORE, Ty::Void, u, boxed);
            }
            opc::FUNCF | opc::IFUNCF | opc::JFUNCF => {}
            opc::CALLT | opc::CALLMT => {
                let fv = self.val(vm, a);
                let nargs = if op == opc::CALLT {
                    d as i32 - 1
                } else {
                    (d + nmr) as i32
                };
                let lua = fv
                    .as_func_ptr()
                    // SAFETY: live function object.
                    .is_some_and(|f| unsafe { (*f.as_ptr()).native.is_none() });
                if lunatrace_ffi::cdata::ctype_of_obj(fv).is_some() && nargs >= 0 {
                    // `return T(...)`: the constructor, then the return.
                    self.ffi_ctype_tailcall(vm, a, nargs as u32)?;
                    return self.inline_return(vm, a, 1);
                }
                if !lua {
                    // `return fast(...)`: the call, then the return of all
                    // its results (`return unpack(t)`, `return s:find(p)`).
                    let Some(fp) = fv.as_func_ptr() else {
                        return Err("NYI: tail call of a non-function".into());
                    };
                    // SAFETY: live function object.
                    let id = unsafe { (*fp.as_ptr()).hdr.flags };
                    let saved = self.save();
                    let r = match self.fast_call_multi(vm, a, nargs, fp, id) {
                        Ok(Some(n)) => self.inline_return(vm, a, n),
                        Ok(None) => one_result(id)
                            .and_then(|_| self.fast_call(vm, a, nargs, 1, fp, id))
                            .and_then(|_| self.inline_return(vm, a, 1)),
                        Err(e) => Err(e),
                    };
                    return match r {
                        Err(e)
                            if e.starts_with("NYI")
                                && op == opc::CALLT
                                && self.tail_stitchable(pc, fp) =>
                        {
                            // Not compiled: the trace ends before the call;
                            // the driver makes it and returns its results.
                            self.restore(saved);
                            self.end_for_stitch(vm, pc, a, fp)
                        }
                        r => r,
                    };
                }
                self.inline_tailcall(vm, a, nargs, fv)?;
            }
            opc::RET0 | opc::RET1 | opc::RET => {
                let n = match bc::op(ins) {
                    opc::RET0 => 0,
                    opc::RET1 => 1,
                    _ => d - 1,
                };
                self.inline_return(vm, a, n)?;
            }
            opc::CALL => self.record_call(vm, pc, a, c as i32 - 1, b as i32 - 1)?,
            opc::CALLM => self.record_call(vm, pc, a, (c + nmr) as i32, b as i32 - 1)?,
            opc::RETM => self.inline_return(vm, a, d + nmr)?,
            opc::CAT => self.record_cat(vm, a, b, c)?,
            // (After guarded returns the base frame is another: its
            // varargs and slot addresses are not the entry frame's.)
            opc::VARG | opc::FNEW if !self.pops.is_empty() => {
                return Err("NYI: VARG or FNEW after a return below the trace".into());
            }
            opc::VARG => self.record_varg(vm, pc, a, b)?,
            opc::TSETM => self.record_tsetm(vm, pc, a, d, nmr)?,
            opc::FNEW => self.record_fnew(vm, pc, a, d)?,
            opc::UCLO => self.close_upvals_at(vm, self.cur_base() + a)?,
            opc::ITERC => self.record_iterc(vm, pc, a, b as i32 - 1)?,
            opc::ITERL | opc::IITERL | opc::JITERL => {
                if (pc != self.pc0 || !self.frames.is_empty())
                    && self.side.is_none()
                    && (!self.val(vm, a).is_nil() || bc::op(ins) == opc::JITERL)
                {
                    self.inner_loop_in_root(pc, bc::op(ins) != opc::JITERL)?;
                }
                if bc::op(ins) == opc::JITERL {
                    return Err("NYI: compiled loop inside a trace".into());
                }
                let own = pc == self.pc0 && self.side.is_none() && self.frames.is_empty();
                if !own && !self.val(vm, a).is_nil() {
                    self.unroll_inner_loop()?;
                }
                self.record_iterl(vm, pc, ins)?;
            }
            opc::FUNCV | opc::IFUNCV | opc::JFUNCV => {}
            o => {
                let name = bc::OP_NAMES.get(o as usize).copied().unwrap_or("?");
                return Err(format!("NYI: bytecode {}", name));
            }
        }
        if self.bad_multres_exit {
            return Err("NYI: exit at a multiple-results consumer".into());
        }
        Ok(())
    }

    /// `fast_call` where all results may be wanted (`nres` -1): fast
    /// functions give one, which becomes MULTRES.
    fn fast_call_mr(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        nres: i32,
        fp: NonNull<lunatrace_vm::object::Func>,
        id: u8,
    ) -> Result<(), Abort> {
        if nres >= 0 {
            return self.fast_call(vm, a, nargs, nres, fp, id);
        }
        one_result(id)?;
        let n = match self.fast_call_multi(vm, a, nargs, fp, id)? {
            Some(n) => n,
            None => {
                self.fast_call(vm, a, nargs, 1, fp, id)?;
                1
            }
        };
        let (pc, map, frames) = self.ins_state.take().ok_or("NYI: multres state")?;
        self.multres = Some((n, pc, map, frames));
        Ok(())
    }

    /// A call of native `fp` (ffid `id`) in slot `a` as a fast function:
    /// one-argument math, min/max, type, setmetatable; the callee is
    /// guarded and the result (if wanted) set in slot `a`.
    fn fast_call(
        &mut self,
        vm: &Vm,
        a: u32,
        nargs: i32,
        nres: i32,
        fp: NonNull<lunatrace_vm::object::Func>,
        id: u8,
    ) -> Result<(), Abort> {
        use lunatrace_vm::object::ffid;
        if (ffid::MATH_FIRST..ffid::MATH_FIRST + 13).contains(&id)
            && nargs == 1
            && (0..=1).contains(&nres)
        {
            self.guard_func(vm, a, fp)?;
            let x = self.num_slot(vm, a + 1)?;
            let r = self
                .t
                .emit(Op::FPMATH, Ty::Num, x, Ref((id - ffid::MATH_FIRST) as i32));
            if nres == 1 {
                self.set(a, r)?;
            }
        } else if (id == ffid::MATH_MIN || id == ffid::MATH_MAX)
            && nargs == 2
            && (0..=1).contains(&nres)
        {
            self.guard_func(vm, a, fp)?;
            let x = self.num_slot(vm, a + 1)?;
            let y = self.num_slot(vm, a + 2)?;
            let op = if id == ffid::MATH_MIN {
                Op::MIN
            } else {
                Op::MAX
            };
            let r = self.t.emit(op, Ty::Num, x, y);
            if nres == 1 {
                self.set(a, r)?;
            }
        } else if (ffid::BIT_FIRST..ffid::BIT_FIRST + 10).contains(&id)
            && nargs >= 1
            && (0..=1).contains(&nres)
        {
            let k = id - ffid::BIT_FIRST;
            let want = match k {
                0 | 1 => 1,
                2..=4 => nargs,
                _ => 2,
            };
            if nargs < want || (k >= 5 && nargs != 2) || (k <= 1 && nargs != 1) {
                return Err("NYI: bit function arguments".into());
            }
            self.guard_func(vm, a, fp)?;
            let mut xs = Vec::with_capacity(nargs as usize);
            for i in 0..nargs as u32 {
                let x = self.num_slot(vm, a + 1 + i)?;
                let v = self.val(vm, a + 1 + i).num_unchecked();
                xs.push(self.tobit(x, v));
            }
            let mut r = xs[0];
            match k {
                0 => {}
                1 => r = self.t.emit(Op::BNOT, Ty::Int, r, Ref::NONE),
                2..=4 => {
                    let op = [Op::BAND, Op::BOR, Op::BXOR][k as usize - 2];
                    for &y in &xs[1..] {
                        r = self.t.emit(op, Ty::Int, r, y);
                    }
                }
                _ => {
                    let op = [Op::BSHL, Op::BSHR, Op::BSAR, Op::BROL, Op::BROR][k as usize - 5];
                    r = self.t.emit(op, Ty::Int, r, xs[1]);
                }
            }
            if nres == 1 {
                let n = self.t.emit(Op::TONUM, Ty::Num, r, Ref::NONE);
                self.set(a, n)?;
            }
        } else if id == ffid::TYPE && nargs >= 1 && (0..=1).contains(&nres) {
            self.guard_func(vm, a, fp)?;
            // The argument's type is guarded: the result is constant.
            let v = self.val(vm, a + 1);
            self.slot(vm, a + 1)?;
            let name = v.type_name();
            let Some(s) = vm.heap.find_interned(name.as_bytes()) else {
                return Err("NYI: type name not interned".into());
            };
            if nres == 1 {
                let r = self.kptr(s.as_ptr() as u64, Ty::Str);
                self.set(a, r)?;
                // The name string stays interned at this address.
                self.roots.push(Value::from_str(s));
            }
        } else if (id == ffid::GETMETATABLE || id == ffid::DEBUG_GETMETATABLE)
            && nargs == 1
            && (0..=1).contains(&nres)
        {
            let protected = id == ffid::GETMETATABLE;
            let tv = self.val(vm, a + 1);
            if !(tv.is_table() || tv.is_num() || tv.is_str() || tv.is_nil() || tv.is_bool()) {
                return Err("NYI: getmetatable of this value".into());
            }
            self.guard_func(vm, a, fp)?;
            let t = self.slot(vm, a + 1)?;
            let (meta, m) = match tv.as_table_ptr() {
                // SAFETY: live table.
                Some(tp) => (unsafe { (*tp.as_ptr()).meta }, {
                    self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE)
                }),
                // The per-type metatable (the string one, or none).
                None => (
                    vm.type_meta[tv.tag() as usize],
                    self.t.emit_lit(Op::TYMETA, Ty::Ptr, tv.tag() as i32, 0),
                ),
            };
            let km = self.kptr(meta as u64, Ty::Ptr);
            self.t.emit(Op::EQ, Ty::Void, m, km);
            let r = if meta.is_null() {
                self.kpri(Ty::Nil)
            } else {
                // SAFETY: live metatable.
                let mt = unsafe { NonNull::new_unchecked(meta) };
                let mtr = self.kptr(meta as u64, Ty::Tab);
                if protected {
                    if !lunatrace_vm::table::get_str(mt, self.metatable_key).is_nil() {
                        return Err("NYI: protected metatable".into());
                    }
                    let kk = self.kptr(self.metatable_key.payload(), Ty::Str);
                    let raw = self.t.emit(Op::HGETS, Ty::Val, mtr, kk);
                    self.t.emit(Op::UNBOX, Ty::Nil, raw, Ref::NONE);
                }
                mtr
            };
            if nres == 1 {
                self.set(a, r)?;
            }
        } else if id == ffid::SETMETATABLE && nargs == 2 && (0..=1).contains(&nres) {
            // For a table and a table or nil argument: a table without a
            // metatable, or with one (guarded to be the one seen) that has
            // no `__metatable` protection (guarded absent: it may be set
            // later).
            let tv = self.val(vm, a + 1);
            let mv = self.val(vm, a + 2);
            let Some(tp) = tv.as_table_ptr() else {
                return Err("NYI: setmetatable on this value".into());
            };
            if !(mv.is_nil() || mv.is_table()) {
                return Err("NYI: setmetatable on this value".into());
            }
            // SAFETY: live table.
            let old = unsafe { (*tp.as_ptr()).meta };
            let mkey = self.metatable_key;
            if let Some(om) = NonNull::new(old) {
                if !lunatrace_vm::table::get_str(om, mkey).is_nil() {
                    return Err("NYI: setmetatable on a protected metatable".into());
                }
            }
            self.guard_func(vm, a, fp)?;
            let t = self.slot(vm, a + 1)?;
            let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
            let km = self.kptr(old as u64, Ty::Ptr);
            self.t.emit(Op::EQ, Ty::Void, m, km);
            if !old.is_null() {
                let omr = self.kptr(old as u64, Ty::Tab);
                let kk = self.kptr(mkey.payload(), Ty::Str);
                let raw = self.t.emit(Op::HGETS, Ty::Val, omr, kk);
                self.t.emit(Op::UNBOX, Ty::Nil, raw, Ref::NONE);
            }
            let z = self.kptr(0, Ty::Ptr);
            let mr = if mv.is_nil() {
                self.slot(vm, a + 2)?;
                z
            } else {
                self.slot(vm, a + 2)?
            };
            self.t.emit(Op::TSETMETA, Ty::Void, t, mr);
            if nres == 1 {
                self.set(a, t)?;
            }
        } else if self.fast_call_more(vm, a, nargs, nres, fp, id)? {
            // Recorded by record_fast.rs.
        } else {
            // SAFETY: live function object.
            let name = unsafe { (*fp.as_ptr()).name };
            return Err(format!("NYI: call of native '{}'", name));
        }
        Ok(())
    }

    /// Inline a call of Lua function `fv` (in slot `a`, `nargs` arguments,
    /// `nres` results wanted): guard the callee, push a recorder frame; the
    /// interpreter then runs the callee's instructions, recorded as usual.
    pub(crate) fn inline_call(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fv: Value,
    ) -> Result<(), Abort> {
        if nargs < 0 {
            return Err("NYI: call with multiple arguments".into());
        }
        if self.frames.len() >= crate::record::MAX_DEPTH {
            return Err("NYI: call depth".into());
        }
        if crate::record_meta::is_vararg(fv) {
            return self.inline_call_vararg(vm, pc, a, nargs, nres, fv);
        }
        if let Some(to) = self.entry_link(fv) {
            return self.call_linked(vm, pc, a, nargs, nres, fv, to);
        }
        let (proto, _, poly) = self.guard_callee(vm, a, fv, true)?;
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        // Arguments must be loaded (typed) before the frame changes.
        for i in 0..nargs.min(pr.numparams as i32) as u32 {
            self.slot(vm, a + 1 + i)?;
        }
        let base = self.cur_base() + a + 1;
        let need = (base + pr.framesize as u32 + 1) as usize;
        // Registers of the new frame hold nothing known yet.
        self.clear_frame_slots(base as usize + nargs as usize, need);
        let nil = self.kpri(Ty::Nil);
        for i in nargs as u32..pr.numparams as u32 {
            self.gset(base + i, nil)?;
        }
        self.frames
            .push(RFrame::call(base, proto, fv, pc, a, nres, 1, 0, poly));
        self.check_level()
    }

    /// Whether a call of `fv` ends the trace at its entry, linked (see
    /// `rec_link`): a function-entry trace calling its own function
    /// `recunroll` levels deep (up-recursion), or a side or
    /// function-entry trace calling a function that has a function-entry
    /// trace. The frames pushed then must be plain Lua frames.
    fn entry_link(&self, fv: Value) -> Option<u32> {
        let fp = fv.as_func_ptr()?;
        // SAFETY: live Lua function.
        let proto = unsafe { NonNull::new_unchecked((*fp.as_ptr()).proto) };
        let plain = self
            .frames
            .iter()
            .all(|f| f.fdelta == 1 && f.cmp.is_none() && !f.pcall);
        if !plain || !(self.side.is_some() || self.funcf || self.downrec) {
            return None;
        }
        if self.funcf && self.side.is_none() && fv.bits() == self.start_func.bits() {
            let depth = self
                .frames
                .iter()
                .filter(|f| f.func.bits() == fv.bits())
                .count();
            return (depth as u32 >= self.recunroll && self.down.is_empty()).then_some(SELF_LINK);
        }
        let ins = jitrt_code(proto, 0);
        (bc::op(ins) == opc::JFUNCF).then(|| bc::d(ins))
    }

    /// A call that ends the trace at the callee's entry (`entry_link`):
    /// the callee is guarded, the stack and frame limits are checked (an
    /// exit to the CALL lets the interpreter grow the stack or raise
    /// "stack overflow"), and its frame is inlined; the recording ends at
    /// its first instruction.
    #[allow(clippy::too_many_arguments)]
    fn call_linked(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fv: Value,
        to: u32,
    ) -> Result<(), Abort> {
        let fp = fv.as_func_ptr().unwrap();
        // SAFETY: live Lua function.
        let proto = unsafe { NonNull::new_unchecked((*fp.as_ptr()).proto) };
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        for i in 0..nargs.min(pr.numparams as i32) as u32 {
            self.slot(vm, a + 1 + i)?;
        }
        self.guard_func(vm, a, fp)?;
        let base = self.cur_base() + a + 1;
        let nframes = self.frames.len() as i32 + 1;
        let chk = self.t.emit_lit(Op::STKCHK, Ty::Void, nframes, base as i32);
        // The check has an exit of its own (never grown into a side
        // trace, see `install`), a copy of the callee guard's.
        if let Some(i) = self
            .t
            .ins_of(chk)
            .copied()
            .filter(|_| chk.idx() + 1 == self.t.ins.len())
        {
            let mut s = self.t.snaps[i.snap as usize].clone();
            s.at = chk.0 as u32;
            self.t.snaps.push(s);
            self.t.ins[chk.idx()].snap = self.t.snaps.len() as u32 - 1;
        }
        let need = (base + pr.framesize as u32 + 1) as usize;
        self.clear_frame_slots(base as usize + nargs as usize, need);
        let nil = self.kpri(Ty::Nil);
        for i in nargs as u32..pr.numparams as u32 {
            self.gset(base + i, nil)?;
        }
        self.frames
            .push(RFrame::call(base, proto, fv, pc, a, nres, 1, 0, false));
        self.rec_link = Some(to);
        Ok(())
    }

    /// After returning below the entry frame, an exit whose innermost
    /// frame sits at the entry frame's level must look like the entry
    /// frame (same base and closure): the interpreter tells frame changes
    /// by the number of frames alone.
    pub(crate) fn check_level(&self) -> Result<(), Abort> {
        if self.down.is_empty() || self.frames.len() != self.down.len() {
            return Ok(());
        }
        let f = self.frames.last().unwrap();
        if f.base != self.t.shift || f.poly || f.func.bits() != self.start_func.bits() {
            return Err("NYI: call at the entry level after a return".into());
        }
        Ok(())
    }

    /// Guard that slot `a` (of the current frame) holds function `fp`.
    pub(crate) fn guard_func(
        &mut self,
        vm: &Vm,
        a: u32,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> Result<Ref, Abort> {
        let f = self.slot(vm, a)?;
        let k = self.kptr(fp.as_ptr() as u64, Ty::Func);
        self.t.emit(Op::EQ, Ty::Void, f, k);
        // The trace keeps the function alive: a freed closure's address,
        // reused by another, must not pass the identity guard.
        let fv = Value::from_func(fp);
        if !self.roots.iter().any(|r| r.bits() == fv.bits()) {
            self.roots.push(fv);
        }
        Ok(f)
    }

    /// The key of a `TGET*`/`TSET*` instruction: its value, and its IR
    /// value when it comes from a register (`V` forms).
    fn index_key(&mut self, vm: &Vm, ins: u32) -> Result<(Value, Option<Ref>), Abort> {
        let c = bc::c(ins);
        Ok(match bc::op(ins) {
            opc::TGETV | opc::TSETV => (self.val(vm, c), Some(self.slot(vm, c)?)),
            opc::TGETS | opc::TSETS => (self.kval(c), None),
            _ => (Value::num(c as f64), None),
        })
    }

    /// Grow the slot state to `need` slots.
    pub(crate) fn ensure_slots(&mut self, need: usize) {
        if self.slots.len() < need {
            self.slots.resize(need, None);
            self.written.resize(need, false);
        }
    }

    /// Forget what slots `from..to` held (a new frame's registers).
    pub(crate) fn forget_slots(&mut self, from: usize, to: usize) {
        for s in from..to {
            self.slots[s] = None;
            self.written[s] = false;
        }
    }

    /// Make room for a frame's registers up to `need` and forget what the
    /// slots from `from` on held (a new inlined frame).
    pub(crate) fn clear_frame_slots(&mut self, from: usize, need: usize) {
        self.ensure_slots(need);
        self.forget_slots(from, need);
    }

    /// `CALL`/`CALLM` of the value in slot `a`: a C function (FFI), a
    /// callable table (`__call`), a Lua function (inlined) or a fast
    /// function.
    fn record_call(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
    ) -> Result<(), Abort> {
        let fv = self.val(vm, a);
        if fv.is_cdata() {
            return self.ffi_call(vm, pc, a, nargs, nres, fv);
        }
        let Some(fp) = fv.as_func_ptr() else {
            return self.call_meta(vm, pc, a, nargs, nres, fv);
        };
        // SAFETY: live function object.
        let (native, id) = unsafe { ((*fp.as_ptr()).native.is_some(), (*fp.as_ptr()).hdr.flags) };
        if !native {
            return self.inline_call(vm, pc, a, nargs, nres, fv);
        }
        if id == lunatrace_vm::object::ffid::PCALL && nargs >= 1 {
            if self.protects_native(vm, pc, a) {
                // `pcall(native, ...)`: the driver makes the whole call.
                // The native is guarded: a Lua function protected here
                // at another time is inlined by a side trace (the driver
                // would run it interpreted).
                let np = self.val(vm, a + 1).as_func_ptr().ok_or("NYI: pcall")?;
                self.guard_func(vm, a + 1, np)?;
                return self.end_for_stitch(vm, pc, a, fp);
            }
            return self.inline_pcall(vm, pc, a, nargs, nres, fp);
        }
        if id == lunatrace_vm::object::ffid::XPCALL && nargs >= 2 {
            return self.inline_xpcall(vm, pc, a, nargs, nres, fp);
        }
        if self.switches(pc, id) {
            return self.end_for_switch(pc, fp);
        }
        use lunatrace_vm::object::ffid;
        if self.stitching && matches!(id, ffid::YIELD | ffid::RESUME | ffid::WRAP_AUX) {
            return Err("NYI: coroutine switch in a short trace".into());
        }
        if !self.stitchable(pc, nres, fp) {
            return self.fast_call_mr(vm, a, nargs, nres, fp, id);
        }
        let saved = self.save();
        match self.fast_call_mr(vm, a, nargs, nres, fp, id) {
            Err(e) if e.starts_with("NYI") => {
                // Not compiled: the trace ends before the call instead.
                self.restore(saved);
                self.end_for_stitch(vm, pc, a, fp)
            }
            r => r,
        }
    }

    /// End the trace before the call at `pc` of native `fp` (in slot
    /// `f`), its callee guarded: the driver makes the call (`stitch`).
    pub(crate) fn end_for_stitch(
        &mut self,
        vm: &Vm,
        pc: usize,
        f: u32,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> Result<(), Abort> {
        if self.t.ins.len() < self.minstitch {
            return Err("trace too short".into());
        }
        self.guard_func(vm, f, fp)?;
        self.stitch = Some(pc);
        self.stitch_fn = Value::from_func(fp);
        Ok(())
    }

    /// End the trace before the coroutine switch at `pc` (a call of
    /// native `fp`: `coroutine.resume`, `coroutine.yield`, a `wrap`
    /// function): its last exit leaves to the interpreter at the call,
    /// which switches threads in its own loop (`lib_coroutine::switch_in`,
    /// `yield_in`); the other side's loop and this one's next iteration
    /// enter their traces again. Nothing is guarded: the interpreter makes
    /// whatever call it finds.
    pub(crate) fn end_for_switch(
        &mut self,
        pc: usize,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> Result<(), Abort> {
        self.stitch = Some(pc);
        self.stitch_fn = Value::from_func(fp);
        self.switch_end = true;
        Ok(())
    }

    /// Whether the call of the native with fast-function id `id` at `pc`
    /// is a coroutine switch a trace ends at (`end_for_switch`): a plain
    /// `CALL` or an `ITERC` (no exit resumes at a MULTRES consumer), with
    /// stitching on, after `minswitch` instructions or more (entering
    /// and leaving a trace costs the driver about as much as interpreting
    /// 10 to 15 instructions: a shorter trace between two switches runs
    /// slower than the interpreter; measured on the coroutines kernel,
    /// 8, 10 and 12 ran 5% fewer instructions than 20, lower ones more).
    pub(crate) fn switches(&self, pc: usize, id: u8) -> bool {
        use lunatrace_vm::object::ffid;
        self.stitching
            && self.nrec >= self.minswitch
            && matches!(id, ffid::YIELD | ffid::RESUME | ffid::WRAP_AUX)
            && matches!(
                bc::op(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)),
                opc::CALL | opc::ITERC
            )
    }

    /// Whether a trace may end at the call of native `fp` at `pc` for the
    /// driver to make (`stitch`): a plain `CALL` (fixed arguments; all
    /// results or a fixed number) or an `ITERC` wanting a fixed number, of
    /// a native not `never_stitched` (a C function, which may yield, is
    /// left to the interpreter when the exit finds the trace in a
    /// coroutine), with stitching on.
    pub(crate) fn stitchable(
        &self,
        pc: usize,
        nres: i32,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> bool {
        let op = bc::op(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc));
        // (All results of a CALL: the continuation starts at their
        // consumer, entered with as many values as it was recorded with.)
        // (A CALLM's extra arguments are the values a producer recorded
        // in this trace left: the exit stores them and says how many.)
        let callm = op == opc::CALLM && nres >= 0 && self.consumed.is_some();
        self.stitching
            && (nres >= 0 || op == opc::CALL)
            && (matches!(op, opc::CALL | opc::ITERC) || callm)
            && !never_stitched(fp)
    }

    /// Whether a trace may end at the tail call (`return native(...)`) of
    /// native `fp` at `pc` for the driver to make and return from
    /// (`stitch`): as `stitchable`, in an inlined frame of a plain call
    /// wanting a fixed number of results (the trace recorded after it
    /// goes on in the caller).
    pub(crate) fn tail_stitchable(
        &self,
        pc: usize,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> bool {
        self.stitching
            && bc::op(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)) == opc::CALLT
            && !never_stitched(fp)
            && self.frames.last().is_some_and(|f| {
                f.nres >= 0 && f.ret.is_none() && f.cmp.is_none() && !f.pcall && !f.xpcall
            })
    }

    /// Whether the `pcall` at `pc` (function in slot `a`) protects a native
    /// that may be stitched (one that does not yield or switch
    /// coroutines): the trace ends before the `pcall` and the driver makes
    /// it (in a coroutine, the interpreter: the native may be a C
    /// function that yields).
    fn protects_native(&self, vm: &Vm, pc: usize, a: u32) -> bool {
        let f = self.val(vm, a + 1);
        let Some(np) = f.as_func_ptr() else {
            return false;
        };
        // SAFETY: live function object.
        let native = unsafe { (*np.as_ptr()).native.is_some() };
        self.stitching
            && native
            && bc::op(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)) == opc::CALL
            && !never_stitched(np)
    }

    /// `pcall(f, ...)` of a fixed-argument Lua function: `pcall` guarded,
    /// `f` inlined in a protected frame (as the interpreter's `Pcall`
    /// frame: function at `a + 1`, results to `a` after `true`). Inside a
    /// trace nothing raises: an error is always met by the interpreter
    /// after an exit, with the protected frame rebuilt.
    fn inline_pcall(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> Result<(), Abort> {
        let f = self.val(vm, a + 1);
        if crate::record_meta::lua_proto(f).is_none() || crate::record_meta::is_vararg(f) {
            return Err("NYI: call of native 'pcall'".into());
        }
        self.guard_func(vm, a, fp)?;
        let dst = self.cur_base() + a;
        self.inline_call(vm, pc, a + 1, nargs - 1, nres, f)?;
        let fr = self.frames.last_mut().ok_or("NYI: pcall frame")?;
        fr.pcall = true;
        fr.ret = Some(dst);
        Ok(())
    }

    /// `xpcall(f, h, ...)` of a fixed-argument Lua function `f` with a
    /// function handler: the slots are moved as the interpreter's
    /// `Xpcall` frame has them (`[h f args..]` from `a`), then `f` is
    /// inlined in a protected frame (results to `a` after `true`). An
    /// error is met by the interpreter after an exit, which rebuilds the
    /// frame with the handler in its result slot. (Guards of this
    /// instruction resume at the CALL with the slots as they were: its
    /// snapshot was taken before the moves.)
    fn inline_xpcall(
        &mut self,
        vm: &Vm,
        pc: usize,
        a: u32,
        nargs: i32,
        nres: i32,
        fp: NonNull<lunatrace_vm::object::Func>,
    ) -> Result<(), Abort> {
        let f = self.val(vm, a + 1);
        let h = self.val(vm, a + 2);
        if crate::record_meta::lua_proto(f).is_none()
            || crate::record_meta::is_vararg(f)
            || !h.is_func()
        {
            return Err("NYI: call of native 'xpcall'".into());
        }
        self.guard_func(vm, a, fp)?;
        let rf = self.slot(vm, a + 1)?;
        let rh = self.slot(vm, a + 2)?;
        let mut args = Vec::with_capacity(nargs as usize - 2);
        for i in 0..nargs as u32 - 2 {
            args.push(self.slot(vm, a + 3 + i)?);
        }
        let dst = self.cur_base() + a;
        self.set(a, rh)?;
        self.set(a + 1, rf)?;
        for (i, &r) in args.iter().enumerate() {
            self.set(a + 2 + i as u32, r)?;
        }
        self.inline_call(vm, pc, a + 1, nargs - 2, nres, f)?;
        let fr = self.frames.last_mut().ok_or("NYI: xpcall frame")?;
        fr.pcall = true;
        fr.xpcall = true;
        fr.ret = Some(dst);
        Ok(())
    }

    /// Checks shared by inlined calls: the callee (Lua function `fv` in
    /// slot `a`) must be fixed-argument and not recursive beyond one
    /// level; its identity is guarded, or with `allow_poly`, when its
    /// prototype has made many closures or it was made in this trace,
    /// its prototype (LuaJIT's rule: a chain of side traces, one per
    /// closure, never pays). Returns its prototype, slot ref and whether
    /// it is known by prototype only.
    fn guard_callee(
        &mut self,
        vm: &Vm,
        a: u32,
        fv: Value,
        allow_poly: bool,
    ) -> Result<(NonNull<Proto>, Ref, bool), Abort> {
        let fp = fv.as_func_ptr().unwrap();
        // SAFETY: live Lua function.
        let proto = unsafe { NonNull::new_unchecked((*fp.as_ptr()).proto) };
        // SAFETY: live prototype.
        if unsafe { (*proto.as_ptr()).is_vararg } {
            return Err("NYI: vararg function".into());
        }
        // (A function-entry trace unrolls its own recursion up to
        // `recunroll` levels, then links to itself.)
        let own = self.funcf && self.side.is_none() && fv.bits() == self.start_func.bits();
        if !own {
            self.check_call_unroll(proto)?;
        }
        if allow_poly {
            let f = self.slot(vm, a)?;
            let made_here = self.t.ins_of(f).is_some_and(|i| i.op == Op::FNEW);
            // SAFETY: live prototype.
            let many = unsafe { (*proto.as_ptr()).nclosures } >= POLY_CLOSURES;
            if made_here || many || std::mem::take(&mut self.iter_poly) {
                if !made_here {
                    // (An FNEW's prototype is its constant operand.)
                    let p = self.t.emit(Op::FPROTO, Ty::Ptr, f, Ref::NONE);
                    let k = self.kptr(proto.as_ptr() as u64, Ty::Ptr);
                    self.t.emit(Op::EQ, Ty::Void, p, k);
                }
                // The observed closure keeps the prototype alive (its
                // address must not be reused by another).
                if !self.roots.iter().any(|r| r.bits() == fv.bits()) {
                    self.roots.push(fv);
                }
                return Ok((proto, f, true));
            }
        }
        let f = self.guard_func(vm, a, fp)?;
        Ok((proto, f, false))
    }

    /// A recursive call inlined once more: as LuaJIT, at most
    /// `callunroll` inlined frames of the callee's prototype may be
    /// there already (the trace's base frame not counted).
    pub(crate) fn check_call_unroll(&self, proto: NonNull<Proto>) -> Result<(), Abort> {
        let n = self.frames.iter().filter(|f| f.proto == proto).count();
        if n as u32 > self.callunroll {
            return Err(CALL_UNROLL.into());
        }
        Ok(())
    }

    /// The current frame's closure is known by its prototype only.
    pub(crate) fn cur_poly(&self) -> bool {
        self.frames.last().is_some_and(|f| f.poly)
    }

    /// The IR value of the current frame's closure, for a frame known by
    /// its prototype only (loaded from its function slot if need be).
    pub(crate) fn frame_fref(&mut self, vm: &Vm) -> Result<Ref, Abort> {
        let f = self.frames.last().ok_or("NYI: closure of the base frame")?;
        let fslot = f.base - f.fdelta;
        let v = vm.th().stack[Self::base(vm, self.fi) + fslot as usize];
        self.gslot(v, fslot)
    }

    /// The environment table of the current function: a constant, guarded
    /// for a closure known by its prototype only.
    fn cur_env(&mut self, vm: &Vm) -> Result<*mut Table, Abort> {
        // SAFETY: the recorded closure is live (rooted by the JIT).
        let env = unsafe { (*self.cur_func().as_func_ptr().unwrap().as_ptr()).env };
        if self.cur_poly() {
            let f = self.frame_fref(vm)?;
            let e = self.t.emit(Op::FENV, Ty::Ptr, f, Ref::NONE);
            let k = self.kptr(env as u64, Ty::Ptr);
            self.t.emit(Op::EQ, Ty::Void, e, k);
        }
        Ok(env)
    }

    /// Inline a tail call from an inlined frame: the callee takes that
    /// frame's place (its base, its caller and results wanted).
    fn inline_tailcall(&mut self, vm: &Vm, a: u32, nargs: i32, fv: Value) -> Result<(), Abort> {
        let Some(cur) = self.frames.last().copied() else {
            return self.tailcall_base(vm, a, nargs, fv);
        };
        if crate::record_meta::is_vararg(fv) {
            return self.inline_tailcall_vararg(vm, a, nargs, fv);
        }
        let (proto, f, poly) = self.guard_callee(vm, a, fv, true)?;
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        let mut args = Vec::new();
        for i in 0..nargs.min(pr.numparams as i32) as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        self.close_upvals_at(vm, cur.base)?;
        // From a vararg frame the callee moves down to its function slot.
        let base = cur.base + 1 - cur.fdelta;
        let need = (base + pr.framesize as u32 + 1) as usize;
        self.ensure_slots(need);
        self.forget_slots(base as usize, self.slots.len());
        self.gset(base - 1, f)?;
        for (i, r) in args.iter().enumerate() {
            self.gset(base + i as u32, *r)?;
        }
        let nil = self.kpri(Ty::Nil);
        for i in args.len() as u32..pr.numparams as u32 {
            self.gset(base + i, nil)?;
        }
        let top = self.frames.last_mut().unwrap();
        top.proto = proto;
        top.func = fv;
        top.poly = poly;
        top.base = base;
        top.fdelta = 1;
        top.nvarargs = 0;
        self.check_level()
    }

    /// A tail call from the base frame (of a side trace, before any return
    /// below it): the callee replaces the frame's closure (stored into its
    /// function slot at once) and registers. The frame must have no open
    /// upvalues (checked on entry: `tail_base`).
    fn tailcall_base(&mut self, vm: &Vm, a: u32, nargs: i32, fv: Value) -> Result<(), Abort> {
        if self.side.is_none() && self.funcf && fv.bits() == self.start_func.bits() {
            return self.tail_recursion(vm, a, nargs);
        }
        if self.side.is_none() {
            return Err(self.leaving().into());
        }
        if !INTERP_RELOADS_FRAME {
            return Err("NYI: tail call from the trace's base frame".into());
        }
        // SAFETY: live prototype.
        if !self.down.is_empty() || unsafe { (*self.proto.as_ptr()).is_vararg } {
            return Err("NYI: tail call from the trace's base frame".into());
        }
        let popped = !self.pops.is_empty();
        if popped {
            // A frame a guarded return (RETG) returned into: that return
            // also checks it has no open upvalues.
            let i = (0..self.t.ins.len())
                .rev()
                .find(|&i| self.t.ins[i].op == Op::RETG)
                .ok_or("NYI: tail call after a return")?;
            let kb = Ref(self.t.ins[i].b);
            let Some(Const::Ptr(p, _)) = self.t.get_const(kb) else {
                return Err("NYI: tail call after a return".into());
            };
            let check = if makes_closures(self.proto) {
                RETG_UPVALS
            } else {
                0
            };
            self.t.ins[i].b = self.kptr(p | RETG_NO_UPVALS | check, Ty::Ptr).0;
        }
        let base = Self::base(vm, self.fi);
        if let Some(&u) = vm.th().open_upvals.last() {
            // SAFETY: live upvalue.
            if unsafe { (*u.as_ptr()).idx } >= base {
                return Err("NYI: tail call with open upvalues".into());
            }
        }
        let (proto, f, _) = self.guard_callee(vm, a, fv, false)?;
        // SAFETY: live prototype.
        let pr = unsafe { &*proto.as_ptr() };
        let mut args = Vec::new();
        for i in 0..nargs.min(pr.numparams as i32) as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        let need = pr.framesize as usize + 1;
        self.ensure_slots(need);
        self.forget_slots(0, self.slots.len());
        self.parent_types.clear();
        self.t.emit(Op::FSTORE, Ty::Void, f, Ref::NONE);
        for (i, r) in args.iter().enumerate() {
            self.gset(i as u32, *r)?;
        }
        let nil = self.kpri(Ty::Nil);
        for i in args.len() as u32..pr.numparams as u32 {
            self.gset(i, nil)?;
        }
        self.proto = proto;
        self.func = fv;
        // (The entry frame's upvalues are checked on entry.)
        self.tail_base |= !popped;
        Ok(())
    }

    /// Why a root trace cannot go on after leaving its start (its loop, or
    /// its function).
    fn leaving(&self) -> &'static str {
        if self.funcf {
            LEAVING_FUNCF
        } else {
            LEAVING_LOOP
        }
    }

    /// Tell the IR what template table `tpl` holds in its hash part (once
    /// per template), so that loads from its copies are forwarded.
    fn describe_template(&mut self, tpl: Value) {
        let Some(tp) = tpl.as_table_ptr() else {
            return;
        };
        let p = tpl.payload();
        if self.t.templates.iter().any(|e| e.0 == p) {
            return;
        }
        let entries = lunatrace_vm::table::hash_part(tp)
            .entries()
            .iter()
            .filter(|e| !e.1.is_nil())
            .map(|&(k, v)| (k.bits(), v.bits()))
            .collect();
        self.t.templates.push((p, entries));
    }

    /// A root trace enters (goes round again) the inner loop whose loop
    /// instruction is at `pc` (`plain`: not compiled). As LuaJIT, it
    /// aborts ("inner loop in root trace": the inner loop gets its own
    /// trace, which the outer one's side traces link to) unless the
    /// loop's own recordings keep leaving it (a low trip count, as a
    /// `while true do ... return ... end` scanner): then it is unrolled
    /// as a side trace would, while a pass of its body stays short
    /// (24 IR instructions).
    fn inner_loop_in_root(&mut self, pc: usize, plain: bool) -> Result<(), Abort> {
        let key = (self.cur_proto().as_ptr() as usize, pc);
        if !plain || !self.left_loops.contains(&key) {
            return Err("inner loop in root trace".into());
        }
        let n = self.t.ins.len();
        if let Some(e) = self.inner_entries.iter_mut().find(|e| (e.0, e.1) == key) {
            if n - e.2 > 24 {
                return Err("loop unroll limit reached".into());
            }
            e.2 = n;
        } else {
            self.inner_entries.push((key.0, key.1, n));
        }
        Ok(())
    }

    /// A side trace goes round an inner loop once more (LuaJIT's
    /// `loopunroll`): past the limit the recording aborts ("loop unroll
    /// limit reached"), and the loop gets its own trace when hot.
    fn unroll_inner_loop(&mut self) -> Result<(), Abort> {
        self.loopunroll -= 1;
        if self.loopunroll < 0 {
            return Err("loop unroll limit reached".into());
        }
        Ok(())
    }

    /// A tail call of the trace's own function from its base frame (a
    /// function-entry trace): the arguments become the frame's parameters
    /// and the trace loops back to the function's entry (tail-recursion).
    fn tail_recursion(&mut self, vm: &Vm, a: u32, nargs: i32) -> Result<(), Abort> {
        // SAFETY: live prototype.
        let pr = unsafe { &*self.proto.as_ptr() };
        let base = Self::base(vm, self.fi);
        if let Some(&u) = vm.th().open_upvals.last() {
            // SAFETY: live upvalue.
            if unsafe { (*u.as_ptr()).idx } >= base {
                return Err("NYI: tail call with open upvalues".into());
            }
        }
        let mut args = Vec::new();
        for i in 0..nargs.min(pr.numparams as i32) as u32 {
            args.push(self.slot(vm, a + 1 + i)?);
        }
        self.forget_slots(0, self.slots.len());
        for (i, r) in args.iter().enumerate() {
            self.gset(i as u32, *r)?;
        }
        let nil = self.kpri(Ty::Nil);
        for i in args.len() as u32..pr.numparams as u32 {
            self.gset(i, nil)?;
        }
        Ok(())
    }

    /// Record a return of `n` values from register `a` of the base frame:
    /// a side trace continues in the caller (a Lua frame that called with a
    /// fixed number of results), whose base is below this one. The chain
    /// of frames returned to is checked when the trace is entered (it does
    /// not change while the trace runs), so the trace only moves its base.
    fn return_below(&mut self, vm: &Vm, a: u32, n: u32) -> Result<(), Abort> {
        use lunatrace_vm::object::FrameKind;
        // (A function-entry trace that meets its base case aborts: the
        // entry records again, until a recording takes the recursive path
        // and makes the up-recursion trace. LuaJIT compiles the base case
        // as a trace ending at the return, flushed when a recording
        // recurses through it; measured here, that left fib, binary
        // trees' `check` and others without their recursion traces.)
        if self.side.is_none() && !self.downrec {
            return Err(self.leaving().into());
        }
        if self.fi == 0 || self.down.len() >= 8 || self.pops.len() >= 16 {
            return Err(RETURN_STOP.into());
        }
        let th = vm.th();
        let (f, c) = (th.frames[self.fi], th.frames[self.fi - 1]);
        // A comparison metamethod returns to its comparison, whose jump
        // the trace then takes or skips as recorded (the result's type is
        // guarded); nothing is stored.
        let cmp = matches!(f.kind, FrameKind::Compare { .. });
        let multi_ok = f.nresults >= 0 || (self.downrec_on && self.down.is_empty());
        if !(f.kind == FrameKind::Lua || cmp) || !multi_ok || c.kind == FrameKind::Native {
            // (A protected call's, or one from a native: the trace ends
            // at the return, which the interpreter makes.)
            return Err(RETURN_STOP.into());
        }
        let cfunc = th.stack[c.func as usize];
        let Some(cproto) = lunatrace_vm::debuginfo::func_proto(cfunc) else {
            return Err(RETURN_STOP.into());
        };
        // SAFETY: live upvalue.
        let open = th
            .open_upvals
            .last()
            .is_some_and(|&u| unsafe { (*u.as_ptr()).idx } >= f.base as usize);
        if open && !(self.down.is_empty() && self.pops.is_empty()) {
            return Err("NYI: return with open upvalues".into());
        }
        let caller_op = match c.pc {
            0 => None,
            pc => Some(bc::op(jitrt_code(cproto, pc as usize - 1))),
        };
        let expected = if cmp {
            matches!(
                caller_op,
                Some(opc::ISLT | opc::ISGE | opc::ISLE | opc::ISGT | opc::ISEQV | opc::ISNEV)
            )
        } else {
            // A call, or a metamethod frame an exit rebuilt (arithmetic
            // and `__index` results go to the instruction's register A).
            matches!(
                caller_op,
                Some(
                    opc::CALL | opc::CALLM | opc::ADDVN
                        ..=opc::MODVV | opc::POW | opc::UNM | opc::TGETV | opc::TGETS | opc::TGETB
                )
            )
        };
        if !expected {
            return Err("NYI: return to a non-CALL".into());
        }
        let delta = f.base - c.base;
        let call_a = f.ret - c.base;
        let guarded = self.downrec_on
            && self.down.is_empty()
            && f.kind == FrameKind::Lua
            && f.nvarargs == 0
            && f.ret + 1 == f.base
            && caller_op == Some(opc::CALL)
            && delta < 0x10000
            && (c.pc as usize) < (1 << 31);
        if guarded {
            if open {
                self.close_frame_upvals(vm)?;
            }
            return self.return_guarded(vm, a, n, cfunc, cproto, c.pc, delta, f.nresults as i32);
        }
        if !self.pops.is_empty() || self.side.is_none() || f.nresults < 0 {
            return Err(RETURN_STOP.into());
        }
        if open {
            self.close_frame_upvals(vm)?;
        }
        let mut vals = Vec::with_capacity(n as usize);
        for i in 0..n {
            vals.push(self.slot(vm, a + i)?);
        }
        // SAFETY: live prototype.
        let fs = unsafe { (*cproto.as_ptr()).framesize } as usize;
        let nres = if cmp { 0 } else { f.nresults as u32 };
        let len = (fs + 1).max((call_a + nres) as usize + 1);
        self.slots = vec![None; len];
        self.written = vec![false; len];
        self.parent_types.clear();
        self.t.emit_lit(Op::RETF, Ty::Void, delta as i32, 0);
        self.t.shift += delta;
        self.t.retdepth += 1;
        let nil = self.kpri(Ty::Nil);
        for i in 0..nres {
            let r = vals.get(i as usize).copied().unwrap_or(nil);
            self.gset(call_a + i, r)?;
        }
        self.down.push(DownFrame {
            nres: f.nresults as i32,
            delta,
            call_a,
            func: cfunc.bits(),
            pc: c.pc,
            kind: f.kind,
        });
        self.fi -= 1;
        self.proto = cproto;
        self.func = cfunc;
        Ok(())
    }

    /// A return from the base frame that pops it (RETG: guarded by the
    /// caller's closure `cfunc` and resume pc `cpc`, the frame `delta`
    /// slots above it wanting `nres` results, -1: all, as MULTRES for the
    /// caller's next instruction, whose exits then resume there with the
    /// count); the recording continues in the caller. Returning a second time into a function it returned
    /// into already, away from the start of a down-recursion trace, the
    /// recording restarts as a down-recursion trace at this return.
    #[allow(clippy::too_many_arguments)]
    fn return_guarded(
        &mut self,
        vm: &Vm,
        a: u32,
        n: u32,
        cfunc: Value,
        cproto: NonNull<Proto>,
        cpc: u32,
        delta: u32,
        nres: i32,
    ) -> Result<(), Abort> {
        let again = self.pops.contains(&cproto);
        let at_start = self.downrec
            && self.side.is_none()
            && self.cur_pc == self.pc0
            && self.proto == self.start_proto;
        if again && !at_start {
            return Err(DOWNREC_RESTART.into());
        }
        let mut vals = Vec::with_capacity(n as usize);
        for i in 0..n {
            vals.push(self.slot(vm, a + i)?);
        }
        let fk = self.kptr(cfunc.as_func_ptr().unwrap().as_ptr() as u64, Ty::Func);
        if !self.roots.iter().any(|r| r.bits() == cfunc.bits()) {
            self.roots.push(cfunc);
        }
        // SAFETY: live prototypes.
        let plain = unsafe { !(*self.proto.as_ptr()).is_vararg && !(*cproto.as_ptr()).is_vararg };
        let mut packed = ((cpc as u64) << 32) | ((delta as u64) << 16) | (nres + 1) as u64;
        if makes_closures(self.proto) {
            packed |= RETG_UPVALS;
        }
        if plain {
            packed |= RETG_PLAIN;
        }
        let kp = self.kptr(packed, Ty::Ptr);
        // (The call link the caller's CALL gave the frame: see RETG.)
        let link = lunatrace_vm::object::call_link(lunatrace_vm::debuginfo::proto(cproto), cpc);
        let kl = self.kptr(link, Ty::Ptr);
        let args = self.t.emit(Op::CARG, Ty::Void, fk, kl);
        self.parent_types.clear();
        self.t.emit(Op::RETG, Ty::Void, args, kp);
        self.t.shift += delta;
        // SAFETY: live prototype.
        let fs = unsafe { (*cproto.as_ptr()).framesize } as usize;
        let call_a = delta - 1;
        let nset = if nres < 0 { n } else { nres as u32 };
        let len = (fs + 1).max((call_a + nset) as usize + 1);
        self.slots = vec![None; len];
        self.written = vec![false; len];
        let nil = self.kpri(Ty::Nil);
        for i in 0..nset {
            let r = vals.get(i as usize).copied().unwrap_or(nil);
            self.gset(call_a + i, r)?;
        }
        self.pops.push(cproto);
        self.fi -= 1;
        self.proto = cproto;
        self.func = cfunc;
        if nres < 0 {
            // The frame returned from is gone: exits of the consumer
            // resume at it with the count.
            let (map, frames) = self.snap_state();
            self.multres = Some((n, cpc as usize, map, frames));
        }
        Ok(())
    }

    /// Guarded returns (RETG) of this trace into frames of prototype `p`.
    pub fn pops_of(&self, p: NonNull<Proto>) -> usize {
        self.pops.iter().filter(|&&q| q == p).count()
    }

    /// A side trace starting at an exit inside inlined frames keeps them
    /// as its own inlined frames (same base as its parent; the recording
    /// continues in the innermost).
    pub fn inherit_frames(&mut self, frames: &[SnapFrame]) {
        let mut caller_base = 0;
        for f in frames {
            let func = Value::from_bits(f.func);
            let Some(proto) = lunatrace_vm::debuginfo::func_proto(func) else {
                return;
            };
            let fs = lunatrace_vm::debuginfo::proto(proto).framesize as u32;
            self.ensure_slots((f.base + fs + 1) as usize);
            let fslot = f.base - f.fdelta;
            self.frames.push(RFrame {
                base: f.base,
                proto,
                func,
                call_pc: f.ret_pc as usize - 1,
                call_a: fslot - caller_base,
                nres: f.nres,
                ret: (f.ret != fslot).then_some(f.ret),
                fdelta: f.fdelta,
                nvarargs: f.nvarargs,
                cmp: f.cmp,
                pcall: f.pcall,
                xpcall: f.xpcall,
                poly: f.poly,
            });
            self.roots.push(func);
            caller_base = f.base;
        }
        self.start_proto = self.cur_proto();
    }

    /// A return from the trace's base frame with open upvalues on it: every
    /// slot the trace wrote is stored (an upvalue the interpreter opened
    /// before the trace may point at any of them; the trace keeps them in
    /// registers), then the frame's upvalues are closed, as the
    /// interpreter's return does.
    fn close_frame_upvals(&mut self, vm: &Vm) -> Result<(), Abort> {
        for s in 0..self.slots.len() {
            if let (Some(r), true) = (self.slots[s], self.written.get(s).copied().unwrap_or(false))
            {
                let b = self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE);
                self.parent_types.clear();
                self.t.emit(Op::SSTORE, Ty::Void, Ref(s as i32), b);
            }
        }
        self.close_upvals_at(vm, 0)
    }

    /// Close the open upvalues at or above trace slot `level` (as UCLO,
    /// returns and tail calls do in the interpreter): the slots they point
    /// at are stored first (the trace keeps them in registers). The set
    /// is the one at record time: open upvalues of the trace's frames are
    /// made by its own FNEWs.
    pub(crate) fn close_upvals_at(&mut self, vm: &Vm, level: u32) -> Result<(), Abort> {
        let tbase = Self::base(vm, self.fi);
        let lvl = tbase + level as usize;
        // SAFETY: live upvalues.
        let open: Vec<usize> = vm
            .th()
            .open_upvals
            .iter()
            .map(|u| unsafe { (*u.as_ptr()).idx })
            .filter(|&i| i != usize::MAX && i >= lvl)
            .collect();
        if open.is_empty() {
            return Ok(());
        }
        for idx in open {
            let s = idx - tbase;
            if s >= self.slots.len() {
                return Err("NYI: upvalue above the trace's frames".into());
            }
            // Even a slot the trace has not touched yet is loaded and
            // stored: in the loop copy (opt_loop) it may be carried in a
            // register while the stack slot is stale (a closure over a
            // `for ... in` variable saw the value the trace entered with).
            let r = match self.slots[s] {
                Some(r) => r,
                None => {
                    let v = vm.th().stack[idx];
                    self.gslot(v, s as u32)?
                }
            };
            let b = self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE);
            self.parent_types.clear();
            self.t.emit(Op::SSTORE, Ty::Void, Ref(s as i32), b);
        }
        self.t.emit_lit(Op::UCLOSE, Ty::Void, level as i32, 0);
        Ok(())
    }

    /// Record a return of `n` values from register `a` of an inlined frame.
    fn inline_return(&mut self, vm: &Vm, a: u32, n: u32) -> Result<(), Abort> {
        let Some(f) = self.frames.last().copied() else {
            return self.return_below(vm, a, n);
        };
        if f.cmp.is_some() {
            // A comparison metamethod: the result's type (guarded) fixes
            // the branch the interpreter takes next; nothing is stored.
            if n > 0 {
                self.slot(vm, a)?;
            }
            self.close_upvals_at(vm, f.base)?;
            self.frames.pop();
            self.forget_slots((f.base - f.fdelta) as usize, self.slots.len());
            return Ok(());
        }
        let mut vals = Vec::with_capacity(n as usize + 1);
        if f.pcall {
            // A protected call that returns: `true`, then its results.
            vals.push(self.kpri(Ty::True));
        }
        for i in 0..n {
            vals.push(self.slot(vm, a + i)?);
        }
        let n = vals.len() as u32;
        self.close_upvals_at(vm, f.base)?;
        self.frames.pop();
        let dst = f.ret.unwrap_or(self.cur_base() + f.call_a);
        let nil = self.kpri(Ty::Nil);
        let nres = if f.nres < 0 {
            // All results, as MULTRES for the next instruction.
            let (pc, map, frames) = self.ins_state.take().ok_or("NYI: multres state")?;
            self.multres = Some((n, pc, map, frames));
            n
        } else {
            f.nres as u32
        };
        if (dst + nres) as usize >= self.slots.len() {
            self.slots.resize((dst + nres) as usize + 1, None);
            self.written.resize((dst + nres) as usize + 1, false);
        }
        for i in 0..nres {
            let r = vals.get(i as usize).copied().unwrap_or(nil);
            self.gset(dst + i, r)?;
        }
        // The callee's registers are dead now (a metamethod frame's start
        // above the caller's registers).
        let dead = if f.ret.is_some() && !f.pcall {
            f.base - f.fdelta
        } else {
            dst + nres
        };
        self.forget_slots(dead as usize, self.slots.len());
        Ok(())
    }

    /// Whether exits of the instruction at `pc` go back to the start of the
    /// trace's own loop (`snap0`).
    fn restarts_loop(&mut self, pc: usize, orig_of: &dyn Fn(u32) -> u32) -> bool {
        if self.snap0.is_none() {
            let ins = jitrt_code(self.cur_proto(), pc);
            let ins = match bc::op(ins) {
                opc::JFORL | opc::JLOOP => orig_of(bc::d(ins)),
                _ => ins,
            };
            let at_loop = pc == self.pc0 && matches!(bc::op(ins), opc::FORL | opc::LOOP);
            self.snap0 = Some(at_loop && self.own_loop() && self.frames.is_empty());
            return false;
        }
        if self.snap0 != Some(true) {
            return false;
        }
        let effect = self.t.ins[self.snap0_scanned..]
            .iter()
            .any(|i| i.op.flags().store());
        self.snap0_scanned = self.t.ins.len();
        // (A conditional branch keeps its own snapshot, at the branch, and
        // ends the restarts: its exit is the other path, which a side trace
        // from there records, as LuaJIT snapshots a comparison's other
        // target. mandelbrot's `while` conditions exited to the loop's
        // start, and their side traces ran an iteration again first.)
        let ins = jitrt_code(self.cur_proto(), pc);
        let branch = bc::is_cond(bc::op(ins));
        if effect || branch {
            self.snap0 = Some(false);
            return false;
        }
        // (Nor loads: their guards check the loaded value's type, data
        // that may alternate between iterations, as sieve's `comp[i]`
        // between true and false; a side trace from the load serves the
        // other value and links back, where a side loop would be entered
        // and left at every change. The guards on the loop's structure
        // that follow, table shapes and sizes, function identities, the
        // types of the slots the loop entered with, change by phases.)
        !matches!(
            bc::op(ins),
            opc::TGETV | opc::TGETS | opc::TGETB | opc::GGET | opc::UGET
        )
    }

    /// Whether the trace closes its own loop at `pc0`: a root trace, or a
    /// side trace that loops (`side_loop`).
    pub(crate) fn own_loop(&self) -> bool {
        self.side.is_none() || self.side_loop
    }

    /// Integer narrowing of the trace's own `for` loop: when the counter,
    /// the step and the limit (rounded towards the start) were int32 values,
    /// the counter becomes an int (guarded conversions, hoisted for the
    /// limit and step; an overflow-checked add). Returns the stepped counter
    /// and the limit to compare it with, or None to stay with numbers.
    fn narrow_forl(
        &mut self,
        own: bool,
        refs: (Ref, Ref, Ref),
        vals: (f64, f64, f64),
    ) -> Option<(Ref, Ref)> {
        let (i, l, s) = refs;
        let (iv, lv, sv) = vals;
        let is_i32 = |x: f64| x == (x as i32) as f64;
        // Rounding the limit keeps the comparison: for an int counter,
        // i <= l iff i <= floor(l) (and i >= l iff i >= ceil(l)).
        let lr = if sv > 0.0 { lv.floor() } else { lv.ceil() };
        if !(own && self.narrow && is_i32(iv) && is_i32(sv) && sv != 0.0 && is_i32(lr)) {
            return None;
        }
        let ii = self.t.emit(Op::TOINT, Ty::Int, i, Ref::NONE);
        let si = self.t.emit(Op::TOINT, Ty::Int, s, Ref::NONE);
        let l = if lr == lv {
            l
        } else {
            let f = if sv > 0.0 {
                FpMath::Floor
            } else {
                FpMath::Ceil
            };
            self.t.emit_lit(Op::FPMATH, Ty::Num, l.0, f as i32)
        };
        let li = self.t.emit(Op::TOINT, Ty::Int, l, Ref::NONE);
        self.t.note_seen(li, lr as i32);
        if !li.is_const() {
            // A variable limit: guard that it leaves room for one more
            // step (limit <= INT_MAX - step going up, >= INT_MIN - step
            // going down; the step's sign is guarded), so that the peeled
            // loop's counter, which never passes the limit, needs no
            // overflow check (`abc`'s overflow-free counters).
            // Loop-invariant: the copy's twin is CSE'd away. Not made when
            // the limit has no room now (it would fail on every entry); the
            // counter then keeps its check.
            let (edge, op) = if sv >= 0.0 {
                (i32::MAX, Op::LE)
            } else {
                (i32::MIN, Op::GE)
            };
            let room = edge as f64 - sv;
            if (sv >= 0.0 && lr <= room) || (sv < 0.0 && lr >= room) {
                let k = if s.is_const() {
                    self.t.kint(room as i32)
                } else {
                    // (Cannot overflow: the step has the guarded sign.)
                    let e = self.t.kint(edge);
                    self.t.emit(Op::SUBOV, Ty::Int, e, si)
                };
                self.t.emit(op, Ty::Void, li, k);
            }
        }
        let n = self.t.emit(Op::ADDOV, Ty::Int, ii, si);
        Some((n, li))
    }

    /// A FORI whose loop has a trace (JFORI), about to enter the loop: the
    /// trace ends here and continues in the loop's trace, which starts at
    /// the FORL step, so the counter is set one step before the start
    /// (guarded to be exact). Returns the FORL's pc and trace, or None to
    /// record an ordinary FORI.
    pub fn fori_link(
        &mut self,
        vm: &Vm,
        pc: usize,
        ins: u32,
    ) -> Result<Option<(usize, u32)>, Abort> {
        let a = bc::a(ins);
        let forl_pc = (pc as i64 + bc::jump(ins) as i64) as usize;
        let forl = jitrt_code(self.cur_proto(), forl_pc);
        let (vi, vl, vs) = (self.val(vm, a), self.val(vm, a + 1), self.val(vm, a + 2));
        if bc::op(forl) != opc::JFORL || !(vi.is_num() && vl.is_num() && vs.is_num()) {
            return Ok(None);
        }
        let (iv, lv, sv) = (vi.num_unchecked(), vl.num_unchecked(), vs.num_unchecked());
        let go = if sv >= 0.0 { iv <= lv } else { iv >= lv };
        if !go || ((iv - sv) + sv).to_bits() != iv.to_bits() {
            return Ok(None);
        }
        self.nrec += 1;
        self.cur_pc = pc;
        self.snap(pc);
        let (i, l, s) = (
            self.num_slot(vm, a)?,
            self.num_slot(vm, a + 1)?,
            self.num_slot(vm, a + 2)?,
        );
        self.step_dir_guard(s, sv);
        let op = if sv >= 0.0 { Op::LE } else { Op::GE };
        self.cmp_guard(op, i, l, true);
        let prev = self.t.emit(Op::SUB, Ty::Num, i, s);
        let back = self.t.emit(Op::ADD, Ty::Num, prev, s);
        // Bit for bit (a start of -0 must stay -0).
        let (bb, bi) = (
            self.t.emit(Op::BOX, Ty::Val, back, Ref::NONE),
            self.t.emit(Op::BOX, Ty::Val, i, Ref::NONE),
        );
        self.t.emit(Op::EQ, Ty::Void, bb, bi);
        self.set(a, prev)?;
        Ok(Some((forl_pc, bc::d(forl))))
    }

    /// Constant limit and step of the `for` loop whose FORL (at `pc`) is
    /// `ins`: the hidden control slots are written only by the header code
    /// before FORI, so a KSHORT/KNUM just before FORI (the step is set
    /// last, the limit before it) that no jump skips is their value on
    /// every entry.
    fn const_for_args(&self, pc: usize, ins: u32) -> (Option<f64>, Option<f64>) {
        let a = bc::a(ins);
        let fori = (pc as i64 + bc::jump(ins) as i64) as usize;
        let p = self.cur_proto();
        let code = &lunatrace_vm::debuginfo::proto(p).code;
        if fori < 2 || fori >= code.len() || !matches!(bc::op(code[fori]), opc::FORI | opc::JFORI) {
            return (None, None);
        }
        // A jump landing on the constant's successor (a conditional step
        // or limit expression) makes it one value among others.
        let jumped_to = |at: usize| {
            code.iter().enumerate().any(|(q, &i)| {
                let o = bc::op(i);
                // (JFORL, JITERL and JLOOP hold a trace number, not a
                // jump; JFORI keeps FORI's jump.)
                let trace_id = matches!(o, opc::JFORL | opc::JITERL | opc::JLOOP);
                !trace_id
                    && bc::OP_MODES
                        .get(o as usize)
                        .is_some_and(|m| m.2 == bc::Mode::Jump)
                    && q as i64 + 1 + bc::jump(i) as i64 == at as i64
            })
        };
        let k = |at: usize, slot: u32| -> Option<f64> {
            let i = code[at];
            if bc::a(i) != slot || jumped_to(at + 1) {
                return None;
            }
            match bc::op(i) {
                opc::KSHORT => Some(bc::d(i) as u16 as i16 as f64),
                opc::KNUM => Some(self.kval(bc::d(i)).num_unchecked()),
                _ => None,
            }
        };
        let ks = k(fori - 1, a + 2);
        let kl = ks.and_then(|_| k(fori - 2, a + 1));
        (kl, ks)
    }

    /// The step's sign decides the loop direction: guard it unless constant.
    fn step_dir_guard(&mut self, s: Ref, sv: f64) {
        if self.t.get_const(s).is_none() {
            let z = self.knum(0.0);
            self.cmp_guard(Op::GE, s, z, sv >= 0.0);
        }
    }

    /// `bit.tobit` of number `x`, observed as `v`. A sum of numbers
    /// that are int32 values (`tobit(a + f + k + w)` of an MD5-style
    /// round) is their wrapping int sum: the double sum of int32 values
    /// is exact, and `tobit` is modulo 2^32. The parts that are ints
    /// converted to numbers (`TONUM`) or integral constants need nothing;
    /// numbers read from memory (table loads, slots; at most 4) are
    /// guarded to be exact int32 values (`TOINT`; in the loop copy,
    /// carried ints fold). See `fold::int_expr`. Only when `v` is
    /// integral (else the sum has a fraction and some part is not an
    /// int).
    fn tobit(&mut self, x: Ref, v: f64) -> Ref {
        const MAX_GUARDED: usize = 4;
        let sum = self
            .t
            .ins_of(x)
            .is_some_and(|i| matches!(i.op, Op::ADD | Op::SUB));
        if sum
            && v.fract() == 0.0
            && v.abs() < 4294967296.0 * 16.0
            && lunatrace_ir::fold::int_expr(&self.t, x, Some(MAX_GUARDED))
        {
            return lunatrace_ir::fold::emit_int_expr(&mut self.t, x);
        }
        self.t.emit(Op::TOBIT, Ty::Int, x, Ref::NONE)
    }

    /// Upvalue `i` of the current closure as a constant, when the
    /// closure is (guarded by identity) and the upvalue is immutable
    /// (`Proto::uvimm`: its variable is never assigned after its
    /// declaration, so it holds this value for good): functions, numbers,
    /// strings, booleans and nil, as LuaJIT constifies them (not tables,
    /// userdata or threads, which a trace would keep alive).
    fn immutable_upval(&mut self, vm: &Vm, i: u32) -> Option<Ref> {
        if self.cur_poly() || i >= 64 || vm.debug_writes != 0 {
            return None;
        }
        let pr = lunatrace_vm::debuginfo::proto(self.cur_proto());
        if pr.uvimm.get() & (1 << i) == 0 {
            return None;
        }
        // SAFETY: the recorded closure is live.
        let f = unsafe { &*self.cur_func().as_func_ptr()?.as_ptr() };
        let uv = f.upvals.get(i as usize)?.as_ptr();
        // SAFETY: live upvalue.
        let v = unsafe { *(*uv).v };
        if v.is_num() {
            return Some(self.knum(v.num_unchecked()));
        }
        Some(match v.tag() {
            tag::NIL => self.kpri(Ty::Nil),
            tag::FALSE => self.kpri(Ty::False),
            tag::TRUE => self.kpri(Ty::True),
            tag::STR => self.kptr(v.payload(), Ty::Str),
            tag::FUNC => self.kptr(v.payload(), Ty::Func),
            _ => return None,
        })
    }

    /// Upvalue `i` of the recorded closure; refuses open upvalues that
    /// alias this frame's slots (the trace keeps those in registers).
    ///
    /// In a frame whose closure is known by its prototype only, the
    /// observed closure's upvalue stands for the runtime one as follows:
    /// closed, the runtime one is loaded from the closure (`FUVAL`) and
    /// guarded closed; open on a slot of the trace's frames, guarded to
    /// point at that slot (`UVPTR` = `SREF`), except for a closure made in
    /// this trace (`FNEW`), whose open upvalues are its frame's slots by
    /// construction; open below the trace, its identity is guarded.
    fn upval(&mut self, vm: &Vm, i: u32) -> Result<Uv, Abort> {
        // SAFETY: the recorded closure is live.
        let f = unsafe { &*self.cur_func().as_func_ptr().unwrap().as_ptr() };
        let uv = f
            .upvals
            .get(i as usize)
            .ok_or("NYI: upvalue index")?
            .as_ptr();
        // SAFETY: live upvalue.
        let idx = unsafe { (*uv).idx };
        let base = Self::base(vm, self.fi);
        // (Open on this thread's stack: an upvalue open in another
        // coroutine's frames has an index into that stack.)
        let th = vm.th();
        // SAFETY: live upvalue; only addresses are compared.
        let here = idx < th.stack.len()
            && std::ptr::eq(unsafe { (*uv).v }, th.stack.as_ptr().wrapping_add(idx));
        let found = if idx != usize::MAX && idx >= base && here {
            // Open, aliasing a slot the trace keeps in registers.
            let s = (idx - base) as u32;
            if s as usize >= self.slots.len() {
                return Err("NYI: upvalue above the trace's frames".into());
            }
            Uv::Slot(s)
        } else {
            Uv::Obj(uv)
        };
        if !self.cur_poly() {
            if let Uv::Slot(s) = found {
                // The closure is a constant: guard that its upvalue is
                // still open on this slot of the trace's frames (another
                // activation of the loop may call the same closure).
                let k = self.kptr(uv as u64, Ty::Ptr);
                let p = self.t.emit(Op::UVPTR, Ty::Ptr, k, Ref::NONE);
                let sr = self.t.emit_lit(Op::SREF, Ty::Ptr, s as i32, 0);
                self.t.emit(Op::EQ, Ty::Void, p, sr);
            }
            return Ok(found);
        }
        let fr = self.frame_fref(vm)?;
        let u = self.t.emit_lit(Op::FUVAL, Ty::Ptr, fr.0, i as i32);
        if idx == usize::MAX {
            self.t.emit(Op::UVCLOSED, Ty::Void, u, Ref::NONE);
            return Ok(Uv::Dyn(u, uv));
        }
        let made_here = self.t.ins_of(fr).is_some_and(|i| i.op == Op::FNEW);
        match found {
            // (Made here: its open upvalues are its frame's slots.)
            Uv::Slot(_) if made_here => {}
            Uv::Slot(s) => {
                // Open on a slot of the trace's frames: guard that the
                // runtime one points at the same slot (a new instance of
                // the variable each time round is a new object).
                let p = self.t.emit(Op::UVPTR, Ty::Ptr, u, Ref::NONE);
                let k = self.t.emit_lit(Op::SREF, Ty::Ptr, s as i32, 0);
                self.t.emit(Op::EQ, Ty::Void, p, k);
            }
            _ => {
                let k = self.kptr(uv as u64, Ty::Ptr);
                self.t.emit(Op::EQ, Ty::Void, u, k);
            }
        }
        Ok(found)
    }

    /// `t[key]` with `__index` tables followed (as observed, each step
    /// guarded), as a typed (unboxed) value.
    pub(crate) fn index_chain(
        &mut self,
        mut tp: NonNull<Table>,
        mut t: Ref,
        key: Value,
        kref: Option<Ref>,
    ) -> Result<Ref, Abort> {
        for _ in 0..8 {
            let v = lunatrace_vm::table::get(tp, key);
            let raw = self.table_load(tp, t, key, kref)?;
            let ty = ty_of(v)?;
            let r = self.t.emit(Op::UNBOX, ty, raw, Ref::NONE);
            if !v.is_nil() {
                return Ok(r);
            }
            // Observed nil: the metatable decides.
            // SAFETY: live table.
            let meta = unsafe { (*tp.as_ptr()).meta };
            if !t.is_const() && self.lacks_mm(tp, MM::Index) {
                // Whichever metatable, as long as it has no `__index`: no
                // identity guard (tables of one site often differ in
                // metatable, which would grow a side trace per table).
                self.no_mm(t, MM::Index);
                return Ok(r);
            }
            let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
            let km = self.kptr(meta as u64, Ty::Ptr);
            self.t.emit(Op::EQ, Ty::Void, m, km);
            if meta.is_null() {
                return Ok(r);
            }
            // SAFETY: live metatable.
            let mt = unsafe { NonNull::new_unchecked(meta) };
            let mtr = self.kptr(meta as u64, Ty::Tab);
            let ikey = self.index_key;
            let idx = lunatrace_vm::table::get_str(mt, ikey);
            // The metatable is a constant: its `__index` entry is found
            // at a known slot (HREFK) when present.
            let raw_idx = self.table_load(mt, mtr, ikey, None)?;
            let ity = ty_of(idx)?;
            let ir = self.t.emit(Op::UNBOX, ity, raw_idx, Ref::NONE);
            match idx.as_table_ptr() {
                None if idx.is_nil() => return Ok(r),
                None => return self.index_meta_call(t, key, kref, idx, ir),
                Some(next) => {
                    let kn = self.kptr(next.as_ptr() as u64, Ty::Tab);
                    self.t.emit(Op::EQ, Ty::Void, ir, kn);
                    tp = next;
                    t = kn;
                }
            }
        }
        Err("NYI: long __index chain".into())
    }

    /// The address of array slot `key` (a number observed inside the array
    /// part), with the integer-key and bounds guards; None when the key is
    /// not in the array part.
    fn array_slot(
        &mut self,
        tp: NonNull<Table>,
        t: Ref,
        key: Value,
        kref: Option<Ref>,
    ) -> Option<Ref> {
        let n = key.num_unchecked();
        // SAFETY: live table.
        let alen = unsafe { (*tp.as_ptr()).alen };
        let zero = lunatrace_vm::table::zero(tp);
        if !(n == (n as i32) as f64 && n >= 0.0 && n as u32 <= alen) {
            return None;
        }
        let k = match kref {
            Some(r) => self.t.emit(Op::TOINT, Ty::Int, r, Ref::NONE),
            None => self.t.kint(n as i32),
        };
        let len = self.t.emit(Op::TALEN, Ty::Int, t, Ref::NONE);
        self.t.note_seen(len, alen as i32);
        if n == 0.0 || (kref.is_some() && !zero.is_nil()) {
            // Key 0, or a variable key into a table using key 0 (a
            // 0-based array): one guard for 0..=alen; key 0's slot is
            // just before key 1's (`Table::arr`).
            self.t.emit(Op::ABCZ, Ty::Void, k, len);
        } else {
            self.t.emit(Op::ABC, Ty::Void, k, len);
        }
        let arr = self.t.emit(Op::TARR, Ty::Ptr, t, Ref::NONE);
        Some(self.t.emit(Op::AREF, Ty::Ptr, arr, k))
    }

    /// Raw load of `t[key]` as a boxed value.
    pub(crate) fn table_load(
        &mut self,
        tp: NonNull<Table>,
        t: Ref,
        key: Value,
        kref: Option<Ref>,
    ) -> Result<Ref, Abort> {
        if key.is_num() {
            // A constant number key of a table made in the trace: the
            // value its stores left there, wherever the key lives (after
            // `{...}` or `t[1] = v`: no array-part load, so the table may
            // sink). Not key 0 (a -0 store is the same key, other bits).
            let n = key.num_unchecked();
            if n != 0.0 && kref.is_none_or(|r| r.is_const()) {
                let kb = Value::num(n).bits();
                if let Some(v) = lunatrace_ir::fwd::known_value(&mut self.t, t, kb, false) {
                    return Ok(v);
                }
            }
            if let Some(aref) = self.array_slot(tp, t, key, kref) {
                return Ok(self.t.emit(Op::ALOAD, Ty::Val, aref, Ref::NONE));
            }
            if kref.is_none() {
                // Constant key in the hash part: specialise to its entry.
                if let Some(i) = lunatrace_vm::table::hash_part(tp).slot_of(key) {
                    let addr = self.hrefk(t, key, i);
                    return Ok(self.t.emit(Op::HLOAD, Ty::Val, addr, Ref::NONE));
                }
            }
            let kb = match kref {
                Some(r) => self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE),
                None => self.t.konst(Const::Val(key.bits())),
            };
            return Ok(self.t.emit(Op::HGET, Ty::Val, t, kb));
        }
        if key.is_str() {
            if kref.is_none() {
                // Constant key present: specialise to its entry.
                if let Some(i) = lunatrace_vm::table::hash_part(tp).slot_of(key) {
                    let addr = self.hrefk(t, key, i);
                    return Ok(self.t.emit(Op::HLOAD, Ty::Val, addr, Ref::NONE));
                }
            }
            let k = match kref {
                Some(r) => r,
                None => self.kptr(key.payload(), Ty::Str),
            };
            return Ok(self.t.emit(Op::HGETS, Ty::Val, t, k));
        }
        // Any other key (tables, functions, booleans, userdata...): the
        // boxed key, compared by identity in the hash part.
        let kb = match kref {
            Some(r) => self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE),
            None => self.t.konst(Const::Val(key.bits())),
        };
        Ok(self.t.emit(Op::HGET, Ty::Val, t, kb))
    }

    /// The boxed field `name` (a string) of table `tab`, constant `tr`,
    /// read raw: from the address of its hash entry (HREFK guards the key
    /// stays there) when it is in the table now, else looked up (HGETS).
    /// (Metamethod lookups in metatables the trace fixed.)
    pub(crate) fn const_field(&mut self, tab: NonNull<Table>, tr: Ref, name: Value) -> Ref {
        if let Some(i) = lunatrace_vm::table::hash_part(tab).slot_of(name) {
            let addr = self.hrefk(tr, name, i);
            return self.t.emit(Op::HLOAD, Ty::Val, addr, Ref::NONE);
        }
        let kk = self.kptr(name.payload(), Ty::Str);
        self.t.emit(Op::HGETS, Ty::Val, tr, kk)
    }

    /// Address of the value of `key`'s hash entry, observed at index `i`.
    fn hrefk(&mut self, t: Ref, key: Value, i: usize) -> Ref {
        let kk = self.t.konst(Const::Val(key.bits()));
        let ki = self.t.kint(i as i32);
        let arg = self.t.emit(Op::CARG, Ty::Void, kk, ki);
        self.t.emit(Op::HREFK, Ty::Ptr, t, arg)
    }

    /// Guard that table `t` has no metatable, or one without `mm`
    /// (whichever metatable: no identity guard).
    fn no_mm(&mut self, t: Ref, mm: MM) {
        self.t.emit(Op::NOMM, Ty::Void, t, Ref(mm as i32));
    }

    /// Whether table `tp`'s metatable (if any) lacks `mm` now.
    fn lacks_mm(&self, tp: NonNull<Table>, mm: MM) -> bool {
        // SAFETY: live table and metatable.
        let meta = unsafe { (*tp.as_ptr()).meta };
        let key = match mm {
            MM::NewIndex => self.newindex_key,
            _ => self.index_key,
        };
        meta.is_null()
            || unsafe { lunatrace_vm::table::get_str(NonNull::new_unchecked(meta), key) }.is_nil()
    }

    /// Store `t[key] = val` (an unboxed, typed value) as the interpreter
    /// would, for the cases without a `__newindex` call.
    fn table_store(
        &mut self,
        tp: NonNull<Table>,
        t: Ref,
        key: Value,
        kref: Option<Ref>,
        val: Ref,
    ) -> Result<(), Abort> {
        if self.newindex_meta_call(tp, t, key, kref, val)? {
            return Ok(());
        }
        let vty = self.t.ty(val);
        let boxed = self.t.emit(Op::BOX, Ty::Val, val, Ref::NONE);
        let old = lunatrace_vm::table::get(tp, key);
        if key.is_num() {
            if let Some(aref) = self.array_slot(tp, t, key, kref) {
                if no_meta(Value::from_table(tp)) {
                    // No metatable, no __newindex whatever the slot holds
                    // (the guard is loop-invariant: hoisted).
                    let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
                    let z = self.kptr(0, Ty::Ptr);
                    self.t.emit(Op::EQ, Ty::Void, m, z);
                } else if old.is_nil() {
                    // Storing into a nil slot consults __newindex: none.
                    if !self.lacks_mm(tp, MM::NewIndex) {
                        return Err("NYI: store to nil slot with __newindex".into());
                    }
                    self.no_mm(t, MM::NewIndex);
                } else {
                    let cur = self.t.emit(Op::ALOAD, Ty::Val, aref, Ref::NONE);
                    let nil = self.t.konst(Const::Val(NIL_BITS));
                    self.t.emit(Op::NE, Ty::Void, cur, nil);
                }
                self.t.emit(Op::ASTORE, Ty::Void, aref, boxed);
                return Ok(());
            }
        }
        if old.is_nil() && key.is_num() && no_meta(Value::from_table(tp)) {
            // SAFETY: live table.
            let alen = unsafe { (*tp.as_ptr()).alen };
            if key.num_unchecked() == alen as f64 + 1.0 {
                // Append: guard no metatable and key == #array + 1.
                let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
                let z = self.kptr(0, Ty::Ptr);
                self.t.emit(Op::EQ, Ty::Void, m, z);
                let k = match kref {
                    Some(r) => self.t.emit(Op::TOINT, Ty::Int, r, Ref::NONE),
                    None => self.t.kint(alen as i32 + 1),
                };
                let len = self.t.emit(Op::TALEN, Ty::Int, t, Ref::NONE);
                let one = self.t.kint(1);
                let next = self.t.emit(Op::IADD, Ty::Int, len, one);
                self.t.emit(Op::EQ, Ty::Void, k, next);
                self.t.emit(Op::TAPPEND, Ty::Void, t, boxed);
                return Ok(());
            }
        }
        if old.is_nil() && !t.is_const() && !no_meta(Value::from_table(tp)) {
            // A new key of a table with a metatable: whichever metatable,
            // as long as it has no `__newindex`.
            if !self.lacks_mm(tp, MM::NewIndex) {
                return Err("NYI: __newindex".into());
            }
            self.no_mm(t, MM::NewIndex);
        } else if old.is_nil() {
            // SAFETY: live table.
            let meta = unsafe { (*tp.as_ptr()).meta };
            let m = self.t.emit(Op::TMETA, Ty::Ptr, t, Ref::NONE);
            let km = self.kptr(meta as u64, Ty::Ptr);
            self.t.emit(Op::EQ, Ty::Void, m, km);
            if !meta.is_null() {
                // A metatable without __newindex does not change the store.
                // SAFETY: live metatable.
                let mt = unsafe { NonNull::new_unchecked(meta) };
                let nk = self.newindex_key;
                if !lunatrace_vm::table::get_str(mt, nk).is_nil() {
                    return Err("NYI: __newindex".into());
                }
                let mtr = self.kptr(meta as u64, Ty::Tab);
                let kk = self.kptr(nk.payload(), Ty::Str);
                let raw = self.t.emit(Op::HGETS, Ty::Val, mtr, kk);
                self.t.emit(Op::UNBOX, Ty::Nil, raw, Ref::NONE);
            }
        }
        if old.is_nil() {
            let kb = match kref {
                Some(r) => self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE),
                None => self.t.konst(Const::Val(key.bits())),
            };
            let args = self.t.emit(Op::CARG, Ty::Void, kb, boxed);
            self.t.emit(Op::TSETNEW, Ty::Void, t, args);
            // The store may have grown the table: a due collection runs
            // in the interpreter, after this instruction.
            self.snap(self.cur_pc + 1);
            self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
            return Ok(());
        }
        if (key.is_str() || key.is_num()) && kref.is_none() && vty != Ty::Nil && vty != Ty::Val {
            if let Some(i) = lunatrace_vm::table::hash_part(tp).slot_of(key) {
                // Existing key with a value: no __newindex, no growth.
                let addr = self.hrefk(t, key, i);
                let cur = self.t.emit(Op::HLOAD, Ty::Val, addr, Ref::NONE);
                let nil = self.t.konst(Const::Val(NIL_BITS));
                self.t.emit(Op::NE, Ty::Void, cur, nil);
                self.t.emit(Op::HSTORE, Ty::Void, addr, boxed);
                return Ok(());
            }
        }
        let kb = match kref {
            Some(r) => self.t.emit(Op::BOX, Ty::Val, r, Ref::NONE),
            None => self.t.konst(Const::Val(key.bits())),
        };
        let args = self.t.emit(Op::CARG, Ty::Void, kb, boxed);
        self.t.emit(Op::HSET, Ty::Void, t, args);
        Ok(())
    }

    /// Whether a trace ending at compiled loop `to` in an inlined frame
    /// can push the inlined frames and continue in it (RECLINK, as a
    /// function-entry link does): plain Lua call frames only (vararg ones
    /// too); not in a down-recursion or function-entry trace.
    /// (After a guarded return (RETG), in recursion and after allocations
    /// too: the wrong results once seen there came from the driver, which
    /// took the activation a chain returned from and the one it pushed at
    /// the same depth for one (`exits::same_activation`).)
    pub fn link_loop(&mut self, to: u32) -> bool {
        // (`jit_push_frame` takes at most 255 arguments, 255 varargs.)
        let plain = self
            .frames
            .iter()
            .all(|f| f.cmp.is_none() && !f.pcall && f.fdelta <= 255 && f.nvarargs <= 255);
        if self.frames.is_empty() || !plain || self.downrec || self.funcf || self.rec_link.is_some()
        {
            return false;
        }
        self.rec_link = Some(to);
        self.loop_link = true;
        true
    }

    /// End a side trace at `pc` (a trace entry): an unconditional exit that
    /// writes back every written slot; the driver links it to that trace.
    pub fn close_side(&mut self, pc: usize) -> Result<u32, Abort> {
        // A stitched CALLM: the driver makes the call at `pc` with the
        // values its producer left (stored by the exit).
        let callm = match (self.stitch == Some(pc), self.consumed) {
            (true, Some(n))
                if bc::op(lunatrace_vm::jitrt::code_at(self.cur_proto(), pc)) == opc::CALLM =>
            {
                Some(n)
            }
            _ => None,
        };
        if callm.is_none() {
            self.multres_exit_ok(pc)?;
        }
        self.purge_dead(pc)?;
        match callm {
            Some(n) => self.snap_multres(pc, n),
            None => self.snap(pc),
        }
        self.poll();
        let s = if self.loop_link {
            // Pushing the frames needs room for them and for the loop
            // trace's slots above the innermost base: a failing check
            // exits (no side trace) and the interpreter enters the loop.
            let nframes = self.frames.len() as i32;
            let base = self.cur_base() as i32;
            let chk = self.t.emit_lit(Op::STKCHK, Ty::Void, nframes, base);
            let mut c = self.t.snaps[self.t.ins[chk.idx()].snap as usize].clone();
            c.at = self.t.ins.len() as u32;
            self.t.snaps.push(c);
            self.t.snaps.len() as u32 - 1
        } else {
            self.t.commit_snapshot()
        };
        let op = if self.rec_link.is_some() {
            Op::RECLINK
        } else {
            Op::EXIT
        };
        let r = self.t.push(op, Ty::Void, 0, 0);
        self.t.ins[r.idx()].snap = s;
        Ok(s)
    }

    /// Drop from the slots written back at loop instruction `pc` those that
    /// are dead there: at and above the loop's first body local (FORL
    /// rewrites its visible copy A+3). A virtual reference cdata must not
    /// survive into them (the trace entered next reads boxed values).
    fn purge_dead(&mut self, pc: usize) -> Result<(), Abort> {
        self.purge_dead_at(pc, false)
    }

    /// `purge_dead`; `loop_close`: the root trace's own loop, whose
    /// peeling carries virtual pointers as addresses (checked after it).
    fn purge_dead_at(&mut self, pc: usize, loop_close: bool) -> Result<(), Abort> {
        let ins = lunatrace_vm::jitrt::code_at(self.cur_proto(), pc);
        let dead_from = match bc::op(ins) {
            opc::FORL | opc::IFORL | opc::JFORL => self.cur_base() + bc::a(ins) + 3,
            opc::LOOP | opc::ILOOP | opc::JLOOP => self.cur_base() + bc::a(ins),
            // A function's entry: only its parameters are live.
            opc::FUNCF | opc::IFUNCF | opc::JFUNCF if pc == 0 => {
                self.cur_base() + lunatrace_vm::debuginfo::proto(self.cur_proto()).numparams as u32
            }
            _ => u32::MAX,
        } as usize;
        for s in dead_from..self.written.len() {
            self.written[s] = false;
        }
        if !loop_close {
            // A side trace linking to a trace that reads boxed values:
            // virtual pointers and integers are boxed here (a new cdata
            // holding the value), then the GC debt is checked.
            let mut boxed = false;
            for s in 0..self.slots.len() {
                let Some(r) = self.slots[s].filter(|_| self.written[s]) else {
                    continue;
                };
                if !self.is_virtual_ptr(r) {
                    continue;
                }
                let i = self.t.ins_of(r).unwrap();
                let (v, ct) = (Ref(i.a), i.b & !(lunatrace_ffi::cdata::VIRTUAL_PTR as i32));
                let o = self.t.emit_lit(Op::CNEW, Ty::Cdata, ct, 8);
                let p = self.t.emit(Op::CDPTR, Ty::Ptr, o, Ref::NONE);
                let args = self.t.emit(Op::CARG, Ty::Void, p, v);
                let code = lunatrace_ir::CScalar::Ptr.code();
                self.t.emit(Op::XSTORE, Ty::Void, args, Ref(code));
                self.slots[s] = Some(o);
                boxed = true;
            }
            if boxed {
                self.snap(pc);
                self.t.emit(Op::GCSTEP, Ty::Void, Ref::NONE, Ref::NONE);
            }
        }
        if (0..self.slots.len()).any(|s| {
            self.written[s]
                && self.t.ty(self.slots[s].unwrap()) == Ty::CRef
                && !(loop_close && self.is_virtual_ptr(self.slots[s].unwrap()))
        }) {
            return Err("NYI: pointer or reference cdata carried across iterations".into());
        }
        Ok(())
    }

    /// Under a count hook (`poll`): before the trace's end (its loop's back
    /// edge, a link to another trace, an exit that may become one), count
    /// the hook's countdown down by the instructions recorded, exiting to
    /// the interpreter (which then calls the hook) when it runs out, with
    /// the state of the pending snapshot (the end's). A peeled loop has it
    /// twice: after the first iteration and at the copy's back edge. The
    /// exit is never linked or grown into a side trace (`install`).
    fn poll(&mut self) {
        if self.poll {
            let n = self.nrec.clamp(1, i32::MAX as usize) as i32;
            self.t.emit_lit(Op::POLL, Ty::Void, n, 0);
        }
    }

    /// `r` is a virtual pointer cdata (`CREF` with `VIRTUAL_PTR`).
    fn is_virtual_ptr(&self, r: Ref) -> bool {
        self.t.ins_of(r).is_some_and(|i| {
            i.op == Op::CREF && i.b as u32 & lunatrace_ffi::cdata::VIRTUAL_PTR != 0
        })
    }

    /// A side trace starts where its parent's exit stored the addresses of
    /// virtual references (`slot`, C type): it keeps them virtual.
    pub fn inherit_crefs(&mut self, crefs: &[(u32, u32)]) {
        for &(slot, ct) in crefs {
            // (The raw bits: an address, or a virtual cdata's value, which
            // 64-bit integer operations take as a ptr-typed value.)
            let ty = if ct & lunatrace_ffi::cdata::VIRTUAL_PTR != 0 {
                Ty::Ptr
            } else {
                Ty::Val
            };
            let l = self.t.emit_lit(Op::SLOAD, ty, slot as i32, 0);
            let r = self.t.emit(Op::CREF, Ty::CRef, l, Ref(ct as i32));
            self.slots[slot as usize] = Some(r);
            self.written[slot as usize] = true;
        }
    }

    /// Close the loop: the LOOP instruction writes back every written slot
    /// and jumps to the start.
    pub fn close(&mut self) -> Result<(), Abort> {
        self.purge_dead_at(self.pc0, self.peel)?;
        self.snap(self.pc0);
        self.poll();
        let s = self.t.commit_snapshot();
        let r = self.t.push(Op::LOOP, Ty::Void, 0, 0);
        self.t.ins[r.idx()].snap = s;
        self.t.loop_at = Some(r.idx());
        Ok(())
    }
}

/// Instruction `pc` of prototype `p`.
fn jitrt_code(p: NonNull<Proto>, pc: usize) -> u32 {
    lunatrace_vm::jitrt::code_at(p, pc)
}

/// A cdata `v` is an integer (arithmetic on it is 64-bit integer
/// arithmetic, not a metamethod).
fn ffi_state_has_int(vm: &Vm, v: Value) -> bool {
    let st = vm
        .ffi
        .as_ref()
        .and_then(|f| f.downcast_ref::<lunatrace_ffi::state::FfiState>());
    match (st, lunatrace_ffi::cdata::cdata_of(v)) {
        (Some(st), Some((ct, _))) => matches!(
            st.types.kind(ct),
            lunatrace_ffi::ctype::Kind::Int { .. }
                | lunatrace_ffi::ctype::Kind::Enum(_)
                | lunatrace_ffi::ctype::Kind::Float
                | lunatrace_ffi::ctype::Kind::Double
        ),
        _ => false,
    }
}

/// A table value without a metatable.
pub(crate) fn no_meta(v: Value) -> bool {
    // SAFETY: live table.
    v.as_table_ptr()
        .is_some_and(|t| unsafe { (*t.as_ptr()).meta.is_null() })
}
