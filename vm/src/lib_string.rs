//! The `string` library and the string metatable (`("x"):rep(3)`).

use crate::error::LuaResult;
use crate::object::str_bytes;
use crate::state::Vm;
use crate::strpat::{self, CapValue, Matcher, Start};
use crate::value::{tag, Value};

pub fn open(vm: &mut Vm) {
    let s = vm.register_lib(
        "string",
        &[
            ("byte", byte),
            ("char", char),
            ("dump", dump),
            ("find", find),
            ("format", crate::strfmt::format),
            ("gmatch", gmatch),
            ("gsub", gsub),
            ("len", len),
            ("lower", lower),
            ("match", match_),
            ("rep", rep),
            ("reverse", reverse),
            ("sub", sub),
            ("upper", upper),
        ],
    );
    crate::fastfunc::tag(vm, "string", s);
    crate::builtin_id::note_fn("aux", "gmatch_aux", gmatch_aux);
    let meta = vm.new_table(0, 1);
    vm.set_field(Value::from_table(meta), "__index", s);
    vm.type_meta[tag::STR as usize] = meta.as_ptr();
}

/// Position argument relative to the length (negative counts from the end).
pub(crate) fn posrelat(pos: i64, len: usize) -> i64 {
    if pos < 0 {
        len as i64 + pos + 1
    } else {
        pos
    }
}

fn push_str(vm: &mut Vm, b: &[u8]) -> LuaResult<usize> {
    let v = vm.intern(b);
    vm.push(v);
    Ok(1)
}

/// Push the string built in `out` (a `Vm::take_buf` buffer, kept).
fn push_buf(vm: &mut Vm, out: Vec<u8>) -> LuaResult<usize> {
    let v = vm.intern_buf(out);
    vm.push(v);
    Ok(1)
}

fn len(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    vm.push(Value::num(s.len() as f64));
    Ok(1)
}

fn sub(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let l = s.len();
    let mut i = posrelat(vm.opt_int(2, 1)?, l);
    let mut j = posrelat(vm.opt_int(3, -1)?, l);
    if i < 1 {
        i = 1;
    }
    if j > l as i64 {
        j = l as i64;
    }
    if i > j {
        return push_str(vm, b"");
    }
    push_str(vm, &s[i as usize - 1..j as usize])
}

fn byte(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let l = s.len();
    let i = posrelat(vm.opt_int(2, 1)?, l);
    let j = posrelat(
        if vm.arg(3).is_nil() {
            i
        } else {
            vm.check_int(3)?
        },
        l,
    );
    let i = i.max(1);
    let j = j.min(l as i64);
    if i > j {
        return Ok(0);
    }
    let n = (j - i + 1) as usize;
    vm.ensure_stack(n)?;
    for k in i..=j {
        vm.push(Value::num(s[k as usize - 1] as f64));
    }
    Ok(n)
}

fn char(vm: &mut Vm) -> LuaResult<usize> {
    let n = vm.nargs();
    let mut out = vm.take_buf();
    for i in 1..=n {
        let c = vm.check_int(i)?;
        if !(0..=255).contains(&c) {
            return Err(vm.arg_error(i, "invalid value"));
        }
        out.push(c as u8);
    }
    push_buf(vm, out)
}

fn dump(vm: &mut Vm) -> LuaResult<usize> {
    let f = vm.check_func(1)?;
    let strip = vm.arg(2).truthy();
    match crate::debuginfo::func_proto(f) {
        Some(p) => {
            let b = crate::bcdump::dump(vm, p, strip);
            push_str(vm, &b)
        }
        None => Err(vm.rt_error("unable to dump given function")),
    }
}

/// Change the ASCII letters of `b` to upper case (`upper`) or lower case
/// in place, 8 bytes at a time: in each byte, bit 7 of `x + (0x80 - lo)`
/// says `x >= lo` (for the low seven bits; bytes with bit 7 set are no
/// letters), so the letters of the range are the bytes at or above its
/// first and not above its last, and flipping their 0x20 bit changes case.
pub fn ascii_case(b: &mut [u8], upper: bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let (lo, hi) = if upper { (b'a', b'z') } else { (b'A', b'Z') };
    let flip = |w: u64| {
        let low7 = w & (0x7f * ONES);
        let ge_lo = low7 + (0x80 - lo as u64) * ONES;
        let gt_hi = low7 + (0x80 - hi as u64 - 1) * ONES;
        let letter = ge_lo & !gt_hi & !w & (0x80 * ONES);
        w ^ (letter >> 2)
    };
    let mut chunks = b.chunks_exact_mut(8);
    for c in &mut chunks {
        let w = u64::from_le_bytes((&*c).try_into().unwrap());
        c.copy_from_slice(&flip(w).to_le_bytes());
    }
    for x in chunks.into_remainder() {
        if (lo..=hi).contains(x) {
            *x ^= 0x20;
        }
    }
}

/// `s` with its ASCII letters in upper or lower case, in `out` (padded
/// with zeros to whole words for `ascii_case`, then cut).
fn case_into(out: &mut Vec<u8>, s: &[u8], upper: bool) {
    out.extend_from_slice(s);
    out.resize(s.len().next_multiple_of(8), 0);
    ascii_case(out, upper);
    out.truncate(s.len());
}

fn lower(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let mut out = vm.take_buf();
    case_into(&mut out, s, false);
    push_buf(vm, out)
}

fn upper(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let mut out = vm.take_buf();
    case_into(&mut out, s, true);
    push_buf(vm, out)
}

fn reverse(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let mut out = vm.take_buf();
    out.extend(s.iter().rev());
    push_buf(vm, out)
}

/// Results of `string.rep` up to this many bytes are built on the stack.
const REP_SMALL: usize = 256;

fn rep(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let n = vm.check_int(2)?;
    let sep = match vm.opt_str(3)? {
        Some(v) => str_bytes(v),
        None => &[],
    };
    if n <= 0 {
        return push_str(vm, b"");
    }
    let total = (s.len() as u128 + sep.len() as u128) * n as u128;
    if total >= 1 << 31 {
        return Err(vm.memory_error());
    }
    let total = total as usize;
    if total <= REP_SMALL {
        // A short result: built on the stack, then interned (no buffer).
        let mut buf = [0u8; REP_SMALL];
        fill_rep(&mut buf[..total], s, sep);
        return push_str(vm, &buf[..total - sep.len()]);
    }
    // (The buffer and the string made from it: checked, fallible.)
    let mut out = vm.take_buf();
    vm.grow_out(&mut out, total)?;
    out.resize(total, 0);
    fill_rep(&mut out, s, sep);
    // (The last `sep` goes.)
    out.truncate(total - sep.len());
    push_buf(vm, out)
}

/// Fill `dst` (a whole number of `s .. sep` units long) with copies of
/// `s .. sep`: one byte repeated is a fill; otherwise one unit, then the
/// copy doubled (a copy per byte of `rep("x", 100)` was most of its time).
fn fill_rep(dst: &mut [u8], s: &[u8], sep: &[u8]) {
    if let ([c], []) = (s, sep) {
        dst.fill(*c);
        return;
    }
    let unit = s.len() + sep.len();
    dst[..s.len()].copy_from_slice(s);
    dst[s.len()..unit].copy_from_slice(sep);
    let mut len = unit;
    while len < dst.len() {
        let k = (dst.len() - len).min(len);
        dst.copy_within(..k, len);
        len += k;
    }
}

/// Push capture `i` of a match.
fn push_capture(vm: &mut Vm, m: &Matcher, i: usize, s: usize, e: usize) -> LuaResult<()> {
    match m.capture(i, s, e) {
        Ok(CapValue::Str(b)) => {
            let v = vm.intern(b);
            vm.push(v);
        }
        Ok(CapValue::Pos(p)) => vm.push(Value::num(p as f64)),
        Err(msg) => return Err(vm.rt_error(&msg)),
    }
    Ok(())
}

fn push_captures(vm: &mut Vm, m: &Matcher, s: usize, e: usize, whole: bool) -> LuaResult<usize> {
    let n = if m.level == 0 && whole { 1 } else { m.level };
    vm.ensure_stack(n)?;
    for i in 0..n {
        push_capture(vm, m, i, s, e)?;
    }
    Ok(n)
}

/// The 0-based index `string.find`/`match` start at for argument `init`.
fn start_index(init: i64, len: usize) -> usize {
    let init = posrelat(init, len);
    // LuaJIT clamps a start beyond the end to just past the last byte, so
    // an empty pattern still matches there.
    if init < 1 {
        0
    } else {
        (init as u64 - 1).min(len as u64) as usize
    }
}

/// What `string.find(s, p, init, plain)` returns, for compiled code
/// (`jitrt::jit_sfind`), which leaves `Other` to the interpreter.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The 1-based start and end of the match.
    At(usize, usize),
    None,
    /// Captures (more results) or a malformed pattern (an error).
    Other,
}

/// `string.find(s, p, init, plain)` as positions (see `Found`).
pub fn find_positions(s: &[u8], p: &[u8], init: i64, plain: bool) -> Found {
    let init = start_index(init, s.len());
    if plain || strpat::is_plain(p) {
        return match strpat::find_plain(s, p, init) {
            Some(i) => Found::At(i + 1, i + p.len()),
            None => Found::None,
        };
    }
    let mut m = Matcher::new(s, p);
    match first_match(&mut m, s.len(), p, init) {
        Ok(Some((b, e))) if m.level == 0 => Found::At(b + 1, e),
        Ok(None) => Found::None,
        _ => Found::Other,
    }
}

/// The first match of pattern `p` (in `m`) at or after 0-based `init` of a
/// subject of `len` bytes (only at `init` when anchored with `^`): its
/// start and end, captures left in `m`.
fn first_match(
    m: &mut Matcher,
    len: usize,
    p: &[u8],
    init: usize,
) -> Result<Option<(usize, usize)>, String> {
    let anchor = p.first() == Some(&b'^');
    let hint = if anchor { Start::Any } else { m.start_hint(0) };
    let mut i = init;
    loop {
        match m.next_start(i, hint) {
            Some(k) => i = k,
            None => return Ok(None),
        }
        if let Some(e) = m.match_at(i, anchor as usize)? {
            return Ok(Some((i, e)));
        }
        i += 1;
        if anchor || i > len {
            return Ok(None);
        }
    }
}

fn str_find_aux(vm: &mut Vm, find: bool) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let p = vm.check_bytes(2)?;
    let init = start_index(vm.opt_int(3, 1)?, s.len());
    if find && (vm.arg(4).truthy() || strpat::is_plain(p)) {
        return match strpat::find_plain(s, p, init) {
            Some(i) => {
                vm.push(Value::num((i + 1) as f64));
                vm.push(Value::num((i + p.len()) as f64));
                Ok(2)
            }
            None => {
                vm.push(Value::NIL);
                Ok(1)
            }
        };
    }
    let mut m = Matcher::new(s, p);
    match first_match(&mut m, s.len(), p, init) {
        Err(msg) => Err(vm.rt_error(&msg)),
        Ok(Some((i, e))) if find => {
            vm.push(Value::num((i + 1) as f64));
            vm.push(Value::num(e as f64));
            let n = push_captures(vm, &m, i, e, false)?;
            Ok(n + 2)
        }
        Ok(Some((i, e))) => push_captures(vm, &m, i, e, true),
        Ok(None) => {
            vm.push(Value::NIL);
            Ok(1)
        }
    }
}

/// What `string.match(s, p, init)` gives, for the recorder and compiled
/// code (`jitrt::jit_smatch`), when it is one value: Some(Some(b)) a
/// match giving string `b` (the whole match or the only capture);
/// Some(None) no match (nil); None for anything else (several captures,
/// a position capture, a malformed pattern).
pub fn match_first<'a>(s: &'a [u8], p: &'a [u8], init: f64) -> Option<Option<&'a [u8]>> {
    let init = start_index(crate::state::num_to_int(init), s.len());
    let mut m = Matcher::new(s, p);
    match first_match(&mut m, s.len(), p, init).ok()? {
        None => Some(None),
        Some((i, e)) => only_string(&m, i, e).map(Some),
    }
}

fn find(vm: &mut Vm) -> LuaResult<usize> {
    str_find_aux(vm, true)
}

fn match_(vm: &mut Vm) -> LuaResult<usize> {
    str_find_aux(vm, false)
}

fn gmatch_aux(vm: &mut Vm) -> LuaResult<usize> {
    let sv = vm.native_upvalue(1);
    let pv = vm.native_upvalue(2);
    let pos = vm.native_upvalue(3).as_num().unwrap_or(0.0) as usize;
    let (s, p) = (str_bytes(sv), str_bytes(pv));
    let mut m = Matcher::new(s, p);
    match gmatch_find(&mut m, s, pos) {
        Err(msg) => Err(vm.rt_error(&msg)),
        Ok(Some((i, e))) => {
            vm.set_native_upvalue(3, Value::num(after_match(i, e) as f64));
            push_captures(vm, &m, i, e, true)
        }
        Ok(None) => {
            vm.set_native_upvalue(3, Value::num((s.len() + 1) as f64));
            Ok(0)
        }
    }
}

fn gmatch(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_str(1)?;
    let p = vm.check_str(2)?;
    let f = vm.new_native_closure(gmatch_aux, "gmatch_aux", vec![s, p, Value::num(0.0)]);
    crate::fastfunc::tag_value(f, crate::object::ffid::GMATCH_AUX);
    vm.push(f);
    Ok(1)
}

/// What the next call of gmatch iterator `f` gives, without making it:
/// Some(true) a match with at most one string capture, Some(false) the
/// end; None for anything else (several or position captures, an error,
/// another function). The recorder compiles the first two (`GMATCH`).
pub fn gmatch_peek(f: std::ptr::NonNull<crate::object::Func>) -> Option<bool> {
    let (sv, pv, pos) = gmatch_state(f)?;
    let (s, p) = (str_bytes(sv), str_bytes(pv));
    let mut m = Matcher::new(s, p);
    match gmatch_find(&mut m, s, pos).ok()? {
        Some((i, e)) => only_string(&m, i, e).map(|_| true),
        None => Some(false),
    }
}

/// Where a gmatch iterator goes on after a match of `i..e`: an empty
/// match advances by one to avoid looping.
fn after_match(i: usize, e: usize) -> usize {
    if e == i {
        e + 1
    } else {
        e
    }
}

/// The one string a match of `i..e` gives: its only capture, or the
/// whole match (None for several captures or a position capture).
fn only_string<'a>(m: &Matcher<'a>, i: usize, e: usize) -> Option<&'a [u8]> {
    match m.capture(0, i, e) {
        Ok(CapValue::Str(b)) if m.level <= 1 => Some(b),
        _ => None,
    }
}

/// A gmatch iterator's subject, pattern and position (None for another
/// function).
fn gmatch_state(f: std::ptr::NonNull<crate::object::Func>) -> Option<(Value, Value, usize)> {
    // SAFETY: a live function object, read only here.
    let fo = unsafe { &*f.as_ptr() };
    let aux = gmatch_aux as crate::object::NativeFn as *const ();
    if fo.native.map(|n| n as *const ()) != Some(aux) || fo.cupvals.len() != 3 {
        return None;
    }
    Some((
        fo.cupvals[0],
        fo.cupvals[1],
        fo.cupvals[2].as_num()? as usize,
    ))
}

/// The next match at or after `pos` (start, end), `Ok(None)` at the end,
/// or the pattern's error.
fn gmatch_find(m: &mut Matcher, s: &[u8], pos: usize) -> strpat::PResult<Option<(usize, usize)>> {
    let hint = m.start_hint(0);
    let mut i = pos;
    while i <= s.len() {
        match m.next_start(i, hint) {
            Some(k) => i = k,
            None => break,
        }
        if let Some(e) = m.match_at(i, 0)? {
            return Ok(Some((i, e)));
        }
        i += 1;
    }
    Ok(None)
}

/// One step of a `string.gmatch` iterator for compiled code
/// (`jitrt::jit_gmatch`), where the trace was recorded with a match
/// (`want_match`) or with the end: the match's only capture (or the whole
/// match) interned, or nil at the end, the iterator advanced as
/// `gmatch_aux` does. None, changing nothing, when `f` is another
/// function, the pattern has several captures, a position capture or an
/// error (the interpreter raises it), or the outcome is not the one
/// recorded: the trace exits and the interpreter makes the call.
pub fn gmatch_step(
    vm: &mut Vm,
    f: std::ptr::NonNull<crate::object::Func>,
    want_match: bool,
) -> Option<Value> {
    let (sv, pv, pos) = gmatch_state(f)?;
    let set_pos = |p: usize| {
        // SAFETY: the same live closure; no reference to its upvalues is
        // held.
        unsafe { (*f.as_ptr()).cupvals[2] = Value::num(p as f64) };
    };
    let (s, p) = (str_bytes(sv), str_bytes(pv));
    let mut m = Matcher::new(s, p);
    match gmatch_find(&mut m, s, pos).ok()? {
        Some((i, e)) if want_match => {
            let v = vm.intern(only_string(&m, i, e)?);
            set_pos(after_match(i, e));
            Some(v)
        }
        Some(_) => None,
        None if want_match => None,
        None => {
            set_pos(s.len() + 1);
            Some(Value::NIL)
        }
    }
}

/// Append the replacement for one match to `out`.
fn add_value(
    vm: &mut Vm,
    m: &Matcher,
    s: usize,
    e: usize,
    repl: Value,
    out: &mut Vec<u8>,
) -> LuaResult<()> {
    let src = m.src;
    if repl.is_str() || repl.is_num() {
        let r = if repl.is_num() {
            crate::number::fmt_num(repl.num_unchecked()).into_bytes()
        } else {
            str_bytes(repl).to_vec()
        };
        let mut i = 0;
        while i < r.len() {
            let c = r[i];
            // (Room for a capture or the match is made below.)
            vm.grow_out(out, 1)?;
            if c != b'%' {
                out.push(c);
                i += 1;
                continue;
            }
            i += 1;
            // As in LuaJIT, '%' before a non-digit just emits that byte, and
            // a trailing '%' emits the NUL that terminates the C string.
            let d = r.get(i).copied().unwrap_or(0);
            if !d.is_ascii_digit() {
                out.push(d);
            } else if d == b'0' {
                vm.grow_out(out, e - s)?;
                out.extend_from_slice(&src[s..e]);
            } else {
                match m.capture((d - b'1') as usize, s, e) {
                    Ok(CapValue::Str(b)) => {
                        vm.grow_out(out, b.len())?;
                        out.extend_from_slice(b)
                    }
                    Ok(CapValue::Pos(p)) => {
                        vm.grow_out(out, 24)?;
                        out.extend_from_slice(p.to_string().as_bytes())
                    }
                    Err(msg) => return Err(vm.rt_error(&msg)),
                }
            }
            i += 1;
        }
        return Ok(());
    }
    // Table or function: the first capture (or the whole match) is the key/argument.
    let base = vm.th().top;
    let key = {
        push_capture(vm, m, 0, s, e)?;
        vm.th().stack[base]
    };
    let v = if repl.is_table() {
        vm.index(repl, key)?
    } else {
        let n = push_captures(vm, m, s, e, true)?;
        let args: Vec<Value> = vm.th().stack[base + 1..base + 1 + n].to_vec();
        vm.call1(repl, &args)?
    };
    vm.th().top = base;
    if !v.truthy() {
        vm.grow_out(out, e - s)?;
        out.extend_from_slice(&src[s..e]);
    } else if v.is_str() {
        // (`v` is pushed: reachable if making room collects.)
        vm.push(v);
        vm.grow_out(out, str_bytes(v).len())?;
        vm.th().top = base;
        out.extend_from_slice(str_bytes(v));
    } else if let Some(n) = v.as_num() {
        vm.grow_out(out, 32)?;
        crate::number::push_num(out, n);
    } else {
        return Err(vm.rt_error(&format!("invalid replacement value (a {})", v.type_name())));
    }
    Ok(())
}

fn gsub(vm: &mut Vm) -> LuaResult<usize> {
    let s = vm.check_bytes(1)?;
    let p = vm.check_bytes(2)?;
    let repl = vm.arg(3);
    if !(repl.is_num() || repl.is_str() || repl.is_table() || repl.is_func()) {
        return Err(vm.arg_error(3, "string/function/table expected"));
    }
    let max_n = if vm.arg(4).is_nil() {
        i64::MAX
    } else {
        vm.check_int(4)?
    };
    let (r, n) = gsub_core(vm, s, p, repl, max_n)?;
    vm.push(r);
    vm.push(Value::num(n as f64));
    Ok(2)
}

/// `string.gsub(s, p, repl, max_n)` for compiled code
/// (`jitrt::jit_sgsub`): the result string, when `repl` is a string (no
/// Lua code can run: no metamethod, no call); None, having changed
/// nothing, for another replacement or an error (a malformed pattern,
/// memory): the trace exits and the interpreter makes the call.
pub fn gsub_str(vm: &mut Vm, s: Value, p: Value, repl: Value) -> Option<Value> {
    if !(s.is_str() && p.is_str() && repl.is_str()) {
        return None;
    }
    gsub_core(vm, str_bytes(s), str_bytes(p), repl, i64::MAX)
        .ok()
        .map(|r| r.0)
}

/// gsub's work: the result (interned) and the number of matches.
fn gsub_core(vm: &mut Vm, s: &[u8], p: &[u8], repl: Value, max_n: i64) -> LuaResult<(Value, i64)> {
    let anchor = p.first() == Some(&b'^');
    let p0 = anchor as usize;
    let mut m = Matcher::new(s, p);
    let hint = if anchor { Start::Any } else { m.start_hint(0) };
    let mut out = vm.take_buf();
    vm.grow_out(&mut out, s.len())?;
    let mut i = 0;
    let mut n = 0i64;
    while n < max_n {
        match m.next_start(i, hint) {
            Some(k) => {
                vm.grow_out(&mut out, k - i)?;
                out.extend_from_slice(&s[i..k]);
                i = k;
            }
            None => break,
        }
        let r = match m.match_at(i, p0) {
            Err(msg) => return Err(vm.rt_error(&msg)),
            Ok(r) => r,
        };
        if let Some(e) = r {
            n += 1;
            add_value(vm, &m, i, e, repl, &mut out)?;
        }
        match r {
            Some(e) if e > i => i = e,
            _ => {
                if i < s.len() {
                    vm.grow_out(&mut out, 1)?;
                    out.push(s[i]);
                    i += 1;
                } else {
                    break;
                }
            }
        }
        if anchor {
            break;
        }
    }
    if i < s.len() {
        vm.grow_out(&mut out, s.len() - i)?;
        out.extend_from_slice(&s[i..]);
    }
    Ok((vm.intern_buf(out), n))
}

#[cfg(test)]
mod tests {
    use super::ascii_case;

    #[test]
    fn ascii_case_changes_letters_only() {
        // Every byte value, at every position of a word and in the tail.
        for shift in 0..9 {
            let bytes: Vec<u8> = (0..=255u8).cycle().skip(shift).take(256 + shift).collect();
            for upper in [true, false] {
                let mut b = bytes.clone();
                ascii_case(&mut b, upper);
                let want: Vec<u8> = bytes
                    .iter()
                    .map(|c| {
                        if upper {
                            c.to_ascii_uppercase()
                        } else {
                            c.to_ascii_lowercase()
                        }
                    })
                    .collect();
                assert_eq!(b, want, "shift {shift}, upper {upper}");
            }
        }
    }
}
