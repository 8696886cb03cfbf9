//! Slow paths of the interpreter's operators: string/number coercions,
//! metamethods (`__index`, `__newindex`, arithmetic, comparison, `__len`,
//! `__concat`, `__eq`) and the errors that name the offending variable.
//! The fast paths stay inline in `interp::run`.

use crate::bytecode::opc;
use crate::debuginfo;
use crate::error::{LuaError, LuaResult};
use crate::interp_call::precall_lua;
use crate::number;
use crate::object::*;
use crate::state::{Vm, MM};
use crate::table;
use crate::value::Value;
use std::ptr::NonNull;

// ---------------------------------------------------------------------------
// Errors with variable names

/// "attempt to <what> <var> (a <type> value)", naming the register `reg`
/// of the current Lua frame when given as `(pc, reg)`.
pub(crate) fn op_error(vm: &mut Vm, what: &str, v: Value, reg: Option<(usize, usize)>) -> LuaError {
    let desc = reg.and_then(|(pc, r)| {
        let th = vm.th();
        let fr = th.frames.last()?;
        let p = debuginfo::func_proto(th.stack[fr.func as usize])?;
        debuginfo::var_name(debuginfo::proto(p), pc, r)
    });
    let msg = match desc {
        Some((kind, name)) => format!(
            "attempt to {} {} '{}' (a {} value)",
            what,
            kind,
            name,
            v.type_name()
        ),
        None => format!("attempt to {} a {} value", what, v.type_name()),
    };
    vm.rt_error_at(0, &msg)
}

impl Vm {
    /// A runtime error with the position of the Lua function at `level`
    /// (0 = the top frame).
    pub fn rt_error_at(&mut self, level: usize, msg: &str) -> LuaError {
        let s = format!("{}{}", self.where_(level), msg);
        LuaError::runtime(self.intern(s.as_bytes()))
    }
}

// ---------------------------------------------------------------------------
// Operators (coercions and metamethods)

fn arith_op(op: MM, a: f64, b: f64) -> f64 {
    match op {
        MM::Add => a + b,
        MM::Sub => a - b,
        MM::Mul => a * b,
        MM::Div => a / b,
        MM::Mod => lua_mod(a, b),
        MM::Pow => a.powf(b),
        MM::Unm => -a,
        _ => unreachable!(),
    }
}

/// Lua's `%`: `a - floor(a/b)*b`.
#[inline(always)]
pub fn lua_mod(a: f64, b: f64) -> f64 {
    a - fast_floor(a / b) * b
}

/// `floor` without a libm call (x86-64's baseline has no rounding
/// instruction): exact for every double.
#[inline(always)]
pub fn fast_floor(x: f64) -> f64 {
    // Beyond 2^52 (and for inf/NaN) doubles are already integral.
    if x.abs() < 4_503_599_627_370_496.0 {
        // SAFETY: |x| < 2^52 (so not NaN): in i64's range, where the
        // truncation is exact (no saturation code needed).
        let t = unsafe { x.to_int_unchecked::<i64>() } as f64;
        let r = if t > x { t - 1.0 } else { t };
        // Keep the sign of -0.0 and of results in (-1, -0].
        if r == 0.0 && x.is_sign_negative() {
            -0.0
        } else {
            r
        }
    } else {
        x
    }
}

/// Arithmetic with string coercion and metamethods. `regs` names the
/// operand registers for error messages (pc, reg of b, reg of c). A Lua
/// metamethod runs in a frame at `top` that returns its result to slot
/// `ret` (as `index_slow`'s).
pub(crate) fn arith_slow(
    vm: &mut Vm,
    op: MM,
    b: Value,
    c: Value,
    regs: (usize, Option<usize>, Option<usize>),
    top: usize,
    ret: usize,
) -> LuaResult<Slow<Value>> {
    let mm = match arith_mm(vm, op, b, c, regs)? {
        Ok(v) => return Ok(Slow::Done(v)),
        Err(mm) => mm,
    };
    if is_lua_func(mm) {
        push_mm_frame(vm, top, &[mm, b, c], 1, FrameKind::Lua, ret)?;
        return Ok(Slow::Frame);
    }
    vm.call1(mm, &[b, c]).map(Slow::Done)
}

/// `arith_slow` up to the metamethod: the result, or `Err(metamethod)`
/// to call with `(b, c)`.
fn arith_mm(
    vm: &mut Vm,
    op: MM,
    b: Value,
    c: Value,
    regs: (usize, Option<usize>, Option<usize>),
) -> LuaResult<Result<Value, Value>> {
    if let (Some(x), Some(y)) = (vm.tonumber(b), vm.tonumber(c)) {
        return Ok(Ok(Value::num(arith_op(op, x, y))));
    }
    if let (Some(h), true) = (vm.cdata_arith, b.is_cdata() || c.is_cdata()) {
        if let Some(v) = h(vm, op, b, c) {
            return Ok(Ok(v));
        }
    }
    if let (Some(h), true) = (vm.cdata_arith_mm, b.is_cdata() || c.is_cdata()) {
        // A metatype's Lua metamethod, called as a table's would be.
        let f = h(vm, op, b, c);
        if !f.is_nil() {
            return Ok(Err(f));
        }
    }
    let mut mm = vm.metamethod(b, op);
    if mm.is_nil() {
        mm = vm.metamethod(c, op);
    }
    if mm.is_nil() {
        let (pc, rb, rc) = regs;
        let (bad, reg) = if vm.tonumber(b).is_none() {
            (b, rb)
        } else {
            (c, rc)
        };
        return Err(op_error(
            vm,
            "perform arithmetic on",
            bad,
            reg.map(|r| (pc, r)),
        ));
    }
    Ok(Err(mm))
}

/// A comparison with a cdata operand that the FFI decides without its
/// metamethod (`Vm::cdata_compare`), if any.
#[inline]
fn cdata_compare(vm: &mut Vm, ev: MM, a: Value, b: Value) -> Option<bool> {
    match vm.cdata_compare {
        Some(h) if a.is_cdata() || b.is_cdata() => h(vm, ev, a, b),
        _ => None,
    }
}

/// Same type and same metamethod on both sides (5.1 comparison handler).
/// A cdata operand decides alone, as in LuaJIT (`1LL == 1`, `x < 2LL`).
fn comp_handler(vm: &mut Vm, a: Value, b: Value, ev: MM) -> Value {
    if a.is_cdata() || b.is_cdata() {
        return vm.metamethod(if a.is_cdata() { a } else { b }, ev);
    }
    if let (Some(x), Some(y)) = (a.as_table_ptr(), b.as_table_ptr()) {
        // (Two tables of one metatable, the common case: one lookup.)
        if let (Some(m), Some(n)) = (table::meta(x), table::meta(y)) {
            if m == n {
                return vm.mt_get(m, ev);
            }
        }
    }
    let m1 = vm.metamethod(a, ev);
    if m1.is_nil() {
        return Value::NIL;
    }
    let m2 = vm.metamethod(b, ev);
    if m1.raw_eq(m2) {
        m1
    } else {
        Value::NIL
    }
}

fn compare_error(vm: &mut Vm, a: Value, b: Value) -> LuaError {
    let (ta, tb) = (a.type_name(), b.type_name());
    if ta == tb {
        vm.rt_error_at(0, &format!("attempt to compare two {} values", ta))
    } else {
        vm.rt_error_at(0, &format!("attempt to compare {} with {}", ta, tb))
    }
}

fn str_lt(a: Value, b: Value) -> bool {
    str_bytes(a) < str_bytes(b)
}

/// `a < b` with metamethods.
pub fn less_than(vm: &mut Vm, a: Value, b: Value) -> LuaResult<bool> {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return Ok(x < y);
    }
    if a.is_str() && b.is_str() {
        return Ok(str_lt(a, b));
    }
    if let Some(r) = cdata_compare(vm, MM::Lt, a, b) {
        return Ok(r);
    }
    if a.tag() == b.tag() || a.is_cdata() || b.is_cdata() {
        let mm = comp_handler(vm, a, b, MM::Lt);
        if !mm.is_nil() {
            let r = vm.call1(mm, &[a, b])?;
            return Ok(r.truthy());
        }
    }
    Err(compare_error(vm, a, b))
}

/// The metamethod an ordered comparison instruction `o` (ISLT..ISGT) of
/// non-numbers `x`, `y` calls, with its arguments and the truthiness of
/// its result for which the comparison's JMP is taken (`less_than` and
/// `less_equal` spell out the same rules).
fn compare_handler(vm: &mut Vm, o: u8, x: Value, y: Value) -> Option<(Value, Value, Value, bool)> {
    if (x.is_str() && y.is_str()) || x.tag() != y.tag() || x.is_cdata() || y.is_cdata() {
        return None;
    }
    if matches!(o, opc::ISLT | opc::ISGE) {
        let m = comp_handler(vm, x, y, MM::Lt);
        return (!m.is_nil()).then_some((m, x, y, o == opc::ISLT));
    }
    let m = comp_handler(vm, x, y, MM::Le);
    if !m.is_nil() {
        return Some((m, x, y, o == opc::ISLE));
    }
    let m = comp_handler(vm, y, x, MM::Lt);
    (!m.is_nil()).then_some((m, y, x, o == opc::ISGT))
}

/// `a <= b` with metamethods (falls back to `not (b < a)`).
pub fn less_equal(vm: &mut Vm, a: Value, b: Value) -> LuaResult<bool> {
    if let (Some(x), Some(y)) = (a.as_num(), b.as_num()) {
        return Ok(x <= y);
    }
    if a.is_str() && b.is_str() {
        return Ok(!str_lt(b, a));
    }
    if let Some(r) = cdata_compare(vm, MM::Le, a, b) {
        return Ok(r);
    }
    if a.tag() == b.tag() || a.is_cdata() || b.is_cdata() {
        let mm = comp_handler(vm, a, b, MM::Le);
        if !mm.is_nil() {
            let r = vm.call1(mm, &[a, b])?;
            return Ok(r.truthy());
        }
        let mm = comp_handler(vm, b, a, MM::Lt);
        if !mm.is_nil() {
            let r = vm.call1(mm, &[b, a])?;
            return Ok(!r.truthy());
        }
    }
    Err(compare_error(vm, a, b))
}

/// `a == b` with `__eq` for tables and userdata.
pub fn equals(vm: &mut Vm, a: Value, b: Value) -> LuaResult<bool> {
    if a.raw_eq(b) {
        return Ok(true);
    }
    let cdata = a.is_cdata() || b.is_cdata();
    if !cdata && (a.tag() != b.tag() || !(a.is_table() || a.as_udata_ptr().is_some())) {
        return Ok(false);
    }
    if let Some(r) = cdata_compare(vm, MM::Eq, a, b) {
        return Ok(r);
    }
    let mm = comp_handler(vm, a, b, MM::Eq);
    if mm.is_nil() {
        return Ok(false);
    }
    let r = vm.call1(mm, &[a, b])?;
    Ok(r.truthy())
}

/// `#v`.
pub(crate) fn length_slow(vm: &mut Vm, v: Value, reg: Option<(usize, usize)>) -> LuaResult<Value> {
    if let Some(s) = v.as_str_ptr() {
        return Ok(Value::num(Str::bytes(s).len() as f64));
    }
    if let Some(t) = v.as_table_ptr() {
        return Ok(Value::num(table::length(t) as f64));
    }
    let mm = vm.metamethod(v, MM::Len);
    if mm.is_nil() {
        return Err(op_error(vm, "get length of", v, reg));
    }
    vm.call1(mm, &[v])
}

/// `-v`.
pub(crate) fn unm_slow(
    vm: &mut Vm,
    v: Value,
    reg: Option<(usize, usize)>,
    top: usize,
    ret: usize,
) -> LuaResult<Slow<Value>> {
    if let Some(n) = vm.tonumber(v) {
        return Ok(Slow::Done(Value::num(-n)));
    }
    let mm = vm.metamethod(v, MM::Unm);
    if mm.is_nil() {
        return Err(op_error(vm, "perform arithmetic on", v, reg));
    }
    if is_lua_func(mm) {
        push_mm_frame(vm, top, &[mm, v, v], 1, FrameKind::Lua, ret)?;
        return Ok(Slow::Frame);
    }
    vm.call1(mm, &[v, v]).map(Slow::Done)
}

/// An upper bound of the length of the concatenation of `vals` (strings
/// and numbers; a number takes at most 24 bytes).
pub(crate) fn concat_len(vals: &[Value]) -> usize {
    vals.iter()
        .map(|&v| if v.is_str() { str_bytes(v).len() } else { 24 })
        .sum()
}

fn is_str_or_num(v: Value) -> bool {
    v.is_str() || v.is_num()
}

fn append_str_or_num(buf: &mut Vec<u8>, v: Value) {
    if let Some(n) = v.as_num() {
        number::push_num(buf, n);
    } else {
        buf.extend_from_slice(str_bytes(v));
    }
}

/// Strings, numbers and string buffers (`lib_buffer`) concatenate
/// without metamethods, as in LuaJIT.
fn is_plain(vm: &Vm, v: Value) -> bool {
    is_str_or_num(v) || crate::lib_buffer::is_buffer(vm, v)
}

fn append_plain(vm: &Vm, buf: &mut Vec<u8>, v: Value) {
    match crate::lib_buffer::bytes_of(vm, v) {
        Some(b) => buf.extend_from_slice(b),
        None => append_str_or_num(buf, v),
    }
}

/// Concatenate stack slots `from..=to` (absolute indices), right to left,
/// with `__concat` where needed. `pc_base` names registers for errors.
pub(crate) fn concat(
    vm: &mut Vm,
    from: usize,
    to: usize,
    pc_base: Option<(usize, usize)>,
) -> LuaResult<Value> {
    let th = vm.th();
    if th.stack[from..=to].iter().all(|&v| is_str_or_num(v)) {
        let need = concat_len(&th.stack[from..=to]);
        if vm.heap.concat_too_big(need) {
            vm.check_alloc(2 * need)?;
        }
        let mut buf = vm.take_buf();
        buf.reserve(need);
        for i in from..=to {
            append_str_or_num(&mut buf, vm.th().stack[i]);
        }
        return Ok(vm.intern_buf(buf));
    }
    let mut acc = th.stack[to];
    let mut i = to;
    while i > from {
        i -= 1;
        let lhs = vm.th().stack[i];
        if is_plain(vm, lhs) && is_plain(vm, acc) {
            // Collect a run of plain values.
            let mut j = i;
            while j > from && is_plain(vm, vm.th().stack[j - 1]) {
                j -= 1;
            }
            let mut buf = vm.take_buf();
            for k in j..=i {
                append_plain(vm, &mut buf, vm.th().stack[k]);
            }
            append_plain(vm, &mut buf, acc);
            if vm.heap.concat_too_big(buf.len()) {
                vm.check_alloc(buf.len())?;
            }
            acc = vm.intern_buf(buf);
            i = j;
            continue;
        }
        let mut mm = vm.metamethod(lhs, MM::Concat);
        if mm.is_nil() {
            mm = vm.metamethod(acc, MM::Concat);
        }
        if mm.is_nil() {
            let (bad, slot) = if is_str_or_num(lhs) {
                (acc, i + 1)
            } else {
                (lhs, i)
            };
            let reg = pc_base.map(|(pc, b)| (pc, slot - b));
            return Err(op_error(vm, "concatenate", bad, reg));
        }
        // Keep the accumulator rooted in its slot while calling.
        vm.th().stack[i + 1] = acc;
        let r = vm.call1(mm, &[lhs, acc])?;
        acc = r;
    }
    Ok(acc)
}

/// `obj[key]` with `__index`.
pub fn index(vm: &mut Vm, obj: Value, key: Value) -> LuaResult<Value> {
    index_named(vm, obj, key, None)
}

fn index_named(
    vm: &mut Vm,
    obj: Value,
    key: Value,
    reg: Option<(usize, usize)>,
) -> LuaResult<Value> {
    match index_chain(vm, obj, key, reg)? {
        Ok(v) => Ok(v),
        Err((f, o)) => vm.call1(f, &[o, key]),
    }
}

/// Whether `f` is a Lua function (not a native).
#[inline]
fn is_lua_func(f: Value) -> bool {
    // SAFETY: live function object.
    f.as_func_ptr()
        .is_some_and(|p| unsafe { (*p.as_ptr()).native.is_none() })
}

/// Follow the `__index` chain of `obj[key]`: `Ok(value)`, or `Err((f, o))`
/// when the result is `f(o, key)` for an `__index` function `f`.
fn index_chain(
    vm: &mut Vm,
    mut obj: Value,
    key: Value,
    mut reg: Option<(usize, usize)>,
) -> LuaResult<Result<Value, (Value, Value)>> {
    for _ in 0..100 {
        let mm = if let Some(t) = obj.as_table_ptr() {
            let v = table::get(t, key);
            if !v.is_nil() {
                return Ok(Ok(v));
            }
            match table::meta(t) {
                None => return Ok(Ok(Value::NIL)),
                Some(m) => {
                    let mm = vm.mt_get(m, MM::Index);
                    if mm.is_nil() {
                        return Ok(Ok(Value::NIL));
                    }
                    mm
                }
            }
        } else {
            if let (Some(h), true) = (vm.cdata_index, obj.is_cdata()) {
                if let Some(v) = h(vm, obj, key) {
                    return Ok(Ok(v));
                }
            }
            let mm = vm.metamethod(obj, MM::Index);
            if mm.is_nil() {
                return Err(op_error(vm, "index", obj, reg));
            }
            mm
        };
        if mm.is_func() {
            return Ok(Err((mm, obj)));
        }
        obj = mm;
        // Only the original operand is named in errors.
        reg = None;
    }
    Err(vm.rt_error_at(0, "loop in gettable"))
}

/// `obj[key] = val` with `__newindex`.
pub fn set_index(vm: &mut Vm, obj: Value, key: Value, val: Value) -> LuaResult<()> {
    set_index_named(vm, obj, key, val, None)
}

fn set_index_named(
    vm: &mut Vm,
    obj: Value,
    key: Value,
    val: Value,
    reg: Option<(usize, usize)>,
) -> LuaResult<()> {
    if let Some((f, o)) = set_chain(vm, obj, key, val, reg)? {
        vm.call_values(f, &[o, key, val])?;
    }
    Ok(())
}

/// Follow the `__newindex` chain of `obj[key] = val`, storing when it ends
/// at a table; `Some((f, o))` when `f(o, key, val)` must be called.
fn set_chain(
    vm: &mut Vm,
    mut obj: Value,
    key: Value,
    val: Value,
    mut reg: Option<(usize, usize)>,
) -> LuaResult<Option<(Value, Value)>> {
    for _ in 0..100 {
        let mm = if let Some(t) = obj.as_table_ptr() {
            let m = table::meta(t);
            let mm = match m {
                None => Value::NIL,
                Some(m) => {
                    if !table::get(t, key).is_nil() {
                        Value::NIL
                    } else {
                        vm.mt_get(m, MM::NewIndex)
                    }
                }
            };
            if mm.is_nil() {
                raw_set_err(vm, t, key, val)?;
                return Ok(None);
            }
            mm
        } else {
            if let (Some(h), true) = (vm.cdata_newindex, obj.is_cdata()) {
                if h(vm, obj, key, val) {
                    return Ok(None);
                }
            }
            let mm = vm.metamethod(obj, MM::NewIndex);
            if mm.is_nil() {
                return Err(op_error(vm, "index", obj, reg));
            }
            mm
        };
        if mm.is_func() {
            return Ok(Some((mm, obj)));
        }
        obj = mm;
        // Only the original operand is named in errors.
        reg = None;
    }
    Err(vm.rt_error_at(0, "loop in settable"))
}

/// Raw store for an instruction (or a metamethod chain), whose operands
/// are registers below the saved frame top or constants: a table that
/// cannot grow may collect and retry (`Vm::set_collecting`).
pub(crate) fn raw_set_err(vm: &mut Vm, t: NonNull<Table>, k: Value, v: Value) -> LuaResult<()> {
    match vm.set_collecting(t, k, v)? {
        Ok(()) => {
            vm.heap.barrier_back(t);
            Ok(())
        }
        Err(table::KeyError::Nil) => Err(vm.rt_error_at(0, "table index is nil")),
        Err(table::KeyError::NaN) => Err(vm.rt_error_at(0, "table index is NaN")),
        Err(table::KeyError::Memory) => Err(vm.memory_error()),
    }
}

// ---------------------------------------------------------------------------
// Metamethod frames
//
// A Lua metamethod called by an instruction runs in a new frame above the
// current one (so it may yield); the interpreter loop continues in that
// frame and its return delivers the result (`interp_call::do_return`).
// Native metamethods are called through Rust (`call1`).

/// What an instruction's slow path did: computed the result (plain
/// values, coercions, native metamethods), or pushed a Lua metamethod's
/// frame, which the loop must continue in.
pub(crate) enum Slow<T> {
    Done(T),
    Frame,
}

/// Push a frame for the Lua function `args[0]` called with `args[1..]`,
/// placed at stack slot `top` (just above the current frame's registers).
/// Its `nres` results go to slot `ret`, as `kind` says.
#[inline(never)]
fn push_mm_frame(
    vm: &mut Vm,
    top: usize,
    args: &[Value],
    nres: i32,
    kind: FrameKind,
    ret: usize,
) -> LuaResult<()> {
    let th = vm.th();
    th.stack[top..top + args.len()].copy_from_slice(args);
    th.top = top + args.len();
    precall_lua(vm, top, args.len() - 1, nres, kind, ret, 0)
}

/// `t[k]` after the raw lookup in table `t` missed, for the common
/// shapes inline: no metatable or no `__index` (nil), or a chain of
/// `__index` tables (classes and their parents) ending at one that holds
/// `k` or has no metatable. `None`: the general path (`index_slow`)
/// decides (an `__index` function, a non-table, a long chain).
#[inline(always)]
pub(crate) fn index_missed(
    vm: &Vm,
    mut t: NonNull<Table>,
    k: Value,
    get: impl Fn(NonNull<Table>, Value) -> Value,
) -> Option<Value> {
    for _ in 0..8 {
        let Some(m) = table::meta(t) else {
            return Some(Value::NIL);
        };
        let idx = vm.mt_get(m, MM::Index);
        if idx.is_nil() {
            return Some(Value::NIL);
        }
        t = idx.as_table_ptr()?;
        let v = get(t, k);
        if !v.is_nil() {
            return Some(v);
        }
    }
    None
}

/// TGETV/TGETS/TGETB when the raw lookup cannot decide: follow `__index`
/// from `o` (named by `reg` in errors). A Lua `__index` function runs in a
/// frame at `top` that returns its result to slot `ret`.
#[inline(always)]
pub(crate) fn index_slow(
    vm: &mut Vm,
    o: Value,
    k: Value,
    reg: (usize, usize),
    top: usize,
    ret: usize,
) -> LuaResult<Slow<Value>> {
    match index_chain(vm, o, k, Some(reg))? {
        Ok(v) => Ok(Slow::Done(v)),
        Err((f, o)) if is_lua_func(f) => {
            push_mm_frame(vm, top, &[f, o, k], 1, FrameKind::Lua, ret)?;
            Ok(Slow::Frame)
        }
        Err((f, o)) => vm.call1(f, &[o, k]).map(Slow::Done),
    }
}

/// TSETV/TSETS/TSETB when the raw store cannot decide: store into a table
/// without metatable, or follow `__newindex` from `o` (named by `reg` in
/// errors). A Lua `__newindex` function runs in a frame at `top`; after a
/// native one (it may allocate) garbage is collected if due, with the
/// current frame's registers (below `top`) live.
#[inline(always)]
pub(crate) fn newindex_slow(
    vm: &mut Vm,
    o: Value,
    k: Value,
    v: Value,
    reg: (usize, usize),
    top: usize,
) -> LuaResult<Slow<()>> {
    match o.as_table_ptr() {
        Some(t) if table::meta(t).is_none() => raw_set_err(vm, t, k, v)?,
        _ => match set_chain(vm, o, k, v, Some(reg))? {
            None => {}
            Some((f, o)) if is_lua_func(f) => {
                push_mm_frame(vm, top, &[f, o, k, v], 0, FrameKind::Lua, top)?;
                return Ok(Slow::Frame);
            }
            Some((f, o)) => {
                vm.call1(f, &[o, k, v])?;
                if vm.heap.should_collect() {
                    vm.th().top = top;
                    vm.full_gc()?;
                }
            }
        },
    }
    Ok(Slow::Done(()))
}

/// ISLT/ISGE/ISLE/ISGT (instruction `o`) of operands that are not both
/// numbers: string order, or `__lt`/`__le`. A Lua metamethod runs in a
/// frame at `top` whose return takes or skips the instruction's JMP
/// (`FrameKind::Compare`); otherwise the comparison's outcome is returned.
#[inline(never)]
pub(crate) fn compare_slow(
    vm: &mut Vm,
    o: u8,
    x: Value,
    y: Value,
    top: usize,
) -> LuaResult<Slow<bool>> {
    if let Some((mm, p, q, jump_if)) = compare_handler(vm, o, x, y) {
        if is_lua_func(mm) {
            let kind = FrameKind::Compare { jump_if };
            push_mm_frame(vm, top, &[mm, p, q], 1, kind, top)?;
            return Ok(Slow::Frame);
        }
    }
    Ok(Slow::Done(match o {
        opc::ISLT => less_than(vm, x, y)?,
        opc::ISGE => !less_than(vm, x, y)?,
        opc::ISLE => less_equal(vm, x, y)?,
        _ => !less_equal(vm, x, y)?,
    }))
}

/// ISEQV/ISNEV of tables, userdata or cdata: whether `x == y` (with
/// `__eq`). A Lua `__eq` of two tables runs in a frame at `top` whose
/// return takes the JMP when its truthiness equals `jump_if` (as for
/// `compare_slow`).
#[inline(never)]
pub(crate) fn equal_slow(
    vm: &mut Vm,
    x: Value,
    y: Value,
    jump_if: bool,
    top: usize,
) -> LuaResult<Slow<bool>> {
    if x.is_table() && y.is_table() {
        let mm = comp_handler(vm, x, y, MM::Eq);
        if is_lua_func(mm) {
            let kind = FrameKind::Compare { jump_if };
            push_mm_frame(vm, top, &[mm, x, y], 1, kind, top)?;
            return Ok(Slow::Frame);
        }
    }
    equals(vm, x, y).map(Slow::Done)
}
