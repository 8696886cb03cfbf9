//! `string.format`: conversions `%d %i %u %c %x %X %o %e %E %f %F %g %G
//! %a %A %q %s %%` with flags, width and precision, as LuaJIT formats them.

use crate::error::LuaResult;
use crate::number::{digits_e, fmt_e_abs, fmt_f_abs, fmt_f_abs_into, fmt_g_into};
use crate::object::str_bytes;
use crate::state::Vm;
use crate::value::Value;

#[derive(Default, Clone, Copy)]
struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// Append the digits of finite `n` (sign excluded) for conversion `conv`
/// (`e E f F g G a A`) to `out` (`%f` and `%g`, the usual ones, without
/// making a string).
fn float_body(n: f64, conv: u8, sp: &Spec, out: &mut Vec<u8>) {
    let upper = conv.is_ascii_uppercase();
    match conv {
        b'e' | b'E' => {
            let s = fmt_e_abs(n, sp.prec.unwrap_or(6), sp.alt);
            let start = out.len();
            out.extend_from_slice(s.as_bytes());
            if upper {
                out[start..].make_ascii_uppercase();
            }
        }
        b'f' | b'F' => fmt_f_abs_into(n, sp.prec.unwrap_or(6), sp.alt, out),
        b'g' | b'G' => {
            let p = sp.prec.unwrap_or(6).max(1);
            if sp.alt {
                out.extend_from_slice(fmt_g_alt(n.abs(), p, upper).as_bytes());
            } else {
                fmt_g_into(n.abs(), p, upper, out);
            }
        }
        _ => out.extend_from_slice(fmt_hexfloat(n, sp.prec, upper, sp.alt).as_bytes()),
    }
}

/// The sign `pad` places before a number's digits (or none).
fn sign_of(sp: &Spec, neg: bool, numeric: bool) -> &'static [u8] {
    if neg {
        b"-"
    } else if sp.plus && numeric {
        b"+"
    } else if sp.space && numeric {
        b" "
    } else {
        b""
    }
}

/// Pad `body` (digits without sign) with the sign and width rules.
fn pad(out: &mut Vec<u8>, sp: &Spec, neg: bool, body: &[u8], numeric: bool) {
    pad_with(out, sp, sign_of(sp, neg, numeric), body, numeric);
}

/// Pad `body` after `sign` (a sign, or `%#x`'s "0x": a `0` flag's zeros
/// go between them) to the width.
fn pad_with(out: &mut Vec<u8>, sp: &Spec, sign: &[u8], body: &[u8], numeric: bool) {
    let start = out.len();
    out.extend_from_slice(body);
    place(out, start, sp, sign, numeric);
}

/// `pad` for a number's digits already appended to `out` at `start`.
fn pad_appended(out: &mut Vec<u8>, start: usize, sp: &Spec, neg: bool) {
    place(out, start, sp, sign_of(sp, neg, true), true);
}

/// Lay out the body at `out[start..]`: `sign` and the fill before it
/// (zeros after the sign with a `0` flag), or the fill after it (`-`).
fn place(out: &mut Vec<u8>, start: usize, sp: &Spec, sign: &[u8], numeric: bool) {
    let fill = sp.width.saturating_sub(sign.len() + out.len() - start);
    let sign = sign.iter().copied();
    if sp.left {
        if sign.len() > 0 {
            out.splice(start..start, sign);
        }
        out.extend(std::iter::repeat_n(b' ', fill));
    } else if fill + sign.len() == 0 {
        // (Nothing to insert: the usual `%d`, `%s`.)
    } else if sp.zero && numeric {
        out.splice(start..start, sign.chain(std::iter::repeat_n(b'0', fill)));
    } else {
        out.splice(start..start, std::iter::repeat_n(b' ', fill).chain(sign));
    }
}

/// The digits of `n` in base `radix` (8, 10 or 16), written at the end
/// of `buf`.
fn radix_text(n: u64, radix: u64, upper: bool, buf: &mut [u8; 24]) -> &[u8] {
    let i = crate::number::digits_at_end(n, radix, upper, buf);
    &buf[i..]
}

/// A number converted to a 64-bit integer as LuaJIT's `%d` does
/// (truncation; out of range gives the minimum integer).
fn to_i64(n: f64) -> i64 {
    // The range of i64 is [-2^63, 2^63).
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        n as i64
    } else {
        i64::MIN
    }
}

/// `%a` body of |n| (finite). Like LuaJIT, subnormals are shown
/// normalised (`0x1p-1074`), rounding is half away from zero and may carry
/// into the leading digit (`%.0a` of 1.5 is `0x2p+0`), and `#` forces the
/// point.
fn fmt_hexfloat(n: f64, prec: Option<usize>, upper: bool, alt: bool) -> String {
    let n = n.abs();
    let (lead, digits, exp) = if n == 0.0 {
        (0u64, "0".repeat(prec.unwrap_or(0)), 0i64)
    } else {
        let bits = n.to_bits();
        let mut exp = ((bits >> 52) & 0x7ff) as i64;
        let mut mant = bits & ((1u64 << 52) - 1);
        if exp == 0 {
            // Subnormal: shift the first set bit up into the implicit one.
            exp = -1022;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                exp -= 1;
            }
        } else {
            exp -= 1023;
            mant |= 1u64 << 52;
        }
        match prec {
            Some(p) if p < 13 => {
                let shift = (13 - p) * 4;
                let rem = mant & ((1u64 << shift) - 1);
                let mut q = mant >> shift;
                if rem >= 1u64 << (shift - 1) {
                    q += 1;
                }
                let fbits = p * 4;
                let frac = q & ((1u64 << fbits) - 1);
                let digits = if p == 0 {
                    String::new()
                } else {
                    format!("{:0w$x}", frac, w = p)
                };
                (q >> fbits, digits, exp)
            }
            Some(p) => {
                let frac = mant & ((1u64 << 52) - 1);
                let digits = format!("{:013x}{}", frac, "0".repeat(p - 13));
                (1, digits, exp)
            }
            None => {
                let frac = mant & ((1u64 << 52) - 1);
                let digits = format!("{:013x}", frac).trim_end_matches('0').to_string();
                (1, digits, exp)
            }
        }
    };
    let dot = if digits.is_empty() && !alt { "" } else { "." };
    let s = format!(
        "0x{}{}{}p{}{}",
        lead,
        dot,
        digits,
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    );
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

/// `%#.{prec}g` body of |n| (finite, `prec` >= 1): the `%g` choice of
/// style, but trailing zeros and the point are kept.
fn fmt_g_alt(n: f64, prec: usize, upper: bool) -> String {
    let (_, x) = digits_e(n, prec - 1);
    let s = if x >= -4 && x < prec as i32 {
        fmt_f_abs(n, (prec as i32 - 1 - x) as usize, true)
    } else {
        fmt_e_abs(n, prec - 1, true)
    };
    if upper {
        s.to_uppercase()
    } else {
        s
    }
}

/// `%q` quoting of a string.
fn quote(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'"' | b'\\' | b'\n' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\r' | 0..=31 | 127 => {
                let next_digit = s.get(i + 1).is_some_and(|d| d.is_ascii_digit());
                if next_digit {
                    out.extend_from_slice(format!("\\{:03}", c).as_bytes());
                } else {
                    out.extend_from_slice(format!("\\{}", c).as_bytes());
                }
            }
            _ => out.push(c),
        }
    }
    out.push(b'"');
}

/// `%d` / `%i` of `n`, appended.
fn fmt_int(out: &mut Vec<u8>, mut sp: Spec, n: i64) {
    let mut buf = [0u8; 24];
    let digits = crate::number::int_text(n, &mut buf);
    // (The digits without the sign, which `pad` places; none for a zero
    // with precision 0, as in C and LuaJIT.)
    let digits = if n == 0 && sp.prec == Some(0) {
        &digits[..0]
    } else {
        &digits[(n < 0) as usize..]
    };
    if let Some(p) = sp.prec.filter(|&p| p > digits.len()) {
        let mut body = vec![b'0'; p - digits.len()];
        body.extend_from_slice(digits);
        sp.zero = false;
        pad(out, &sp, n < 0, &body, true);
    } else {
        if sp.prec.is_some() {
            sp.zero = false;
        }
        pad(out, &sp, n < 0, digits, true);
    }
}

/// `%u`, `%x`, `%X` or `%o` (`conv`) of `n`, appended.
fn fmt_unsigned(out: &mut Vec<u8>, mut sp: Spec, n: u64, conv: u8) {
    let mut buf = [0u8; 24];
    let (radix, upper) = match conv {
        b'u' => (10, false),
        b'x' => (16, false),
        b'X' => (16, true),
        _ => (8, false),
    };
    let digits = radix_text(n, radix, upper, &mut buf);
    // (None for a zero with precision 0, as in C and LuaJIT.)
    let digits = if n == 0 && sp.prec == Some(0) {
        &digits[..0]
    } else {
        digits
    };
    // `#`: "0x" before a non-zero hex number, with the zeros of a `0` flag
    // after it (LuaJIT: `%#05x` of 10 is `0x00a`); a leading zero for
    // octal (also for a zero with precision 0).
    let zeros = sp.prec.map_or(0, |p| p.saturating_sub(digits.len()));
    let prefix: &[u8] = match conv {
        b'x' if sp.alt && n != 0 => b"0x",
        b'X' if sp.alt && n != 0 => b"0X",
        b'o' if sp.alt && zeros == 0 && digits.first() != Some(&b'0') => b"0",
        _ => b"",
    };
    if sp.prec.is_some() {
        sp.zero = false;
    }
    if zeros == 0 {
        pad_with(out, &sp, prefix, digits, true);
    } else {
        let mut body = vec![b'0'; zeros];
        body.extend_from_slice(digits);
        pad_with(out, &sp, prefix, &body, true);
    }
}

/// `string.format(fmt, ...)`.
pub fn format(vm: &mut Vm) -> LuaResult<usize> {
    let mut out = vm.take_buf();
    format_into(vm, 1, &mut out)?;
    let r = vm.intern_buf(out);
    vm.push(r);
    Ok(1)
}

/// Format with the format string in argument `first` and the values in
/// the arguments after it, appending to `out` (`string.format`, and the
/// string buffer's `putf` with `first` = 2: errors name the real
/// argument positions).
pub fn format_into(vm: &mut Vm, first: usize, out: &mut Vec<u8>) -> LuaResult<()> {
    let fmt = vm.check_bytes(first)?;
    vm.grow_out(out, fmt.len() + 16)?;
    let mut arg = first;
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if i < fmt.len() && fmt[i] == b'%' {
            out.push(b'%');
            i += 1;
            continue;
        }
        let start = i;
        let mut sp = Spec::default();
        while i < fmt.len() {
            match fmt[i] {
                b'-' => sp.left = true,
                b'+' => sp.plus = true,
                b' ' => sp.space = true,
                b'#' => sp.alt = true,
                b'0' => sp.zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut nd = 0;
        while i < fmt.len() && fmt[i].is_ascii_digit() {
            sp.width = sp.width * 10 + (fmt[i] - b'0') as usize;
            i += 1;
            nd += 1;
        }
        let mut bad = nd > 2;
        let mut fail_end = if bad { i - (nd - 3) } else { 0 };
        if i < fmt.len() && fmt[i] == b'.' {
            i += 1;
            let mut p = 0;
            let mut pd = 0;
            while i < fmt.len() && fmt[i].is_ascii_digit() {
                p = p * 10 + (fmt[i] - b'0') as usize;
                i += 1;
                pd += 1;
            }
            if !bad && pd > 2 {
                bad = true;
                fail_end = i - (pd - 3);
            }
            sp.prec = Some(p);
        }
        let conv = fmt.get(i).copied().unwrap_or(0);
        let known = matches!(
            conv,
            b'd' | b'i'
                | b'u'
                | b'c'
                | b'x'
                | b'X'
                | b'o'
                | b'e'
                | b'E'
                | b'f'
                | b'F'
                | b'g'
                | b'G'
                | b'a'
                | b'A'
                | b'q'
                | b's'
                | b'p'
        );
        if bad || !known {
            let end = if fail_end > 0 {
                fail_end
            } else {
                (i + 1).min(fmt.len())
            };
            let opt = String::from_utf8_lossy(&fmt[start..end]).into_owned();
            return Err(vm.rt_error(&format!("invalid option '%{}' to 'format'", opt)));
        }
        i += 1;
        arg += 1;
        if arg > vm.nargs() {
            return Err(vm.arg_error(arg, "value expected"));
        }
        // (Room for the literal text up to the next directive and a
        // number's widest form; strings make their own room.)
        vm.grow_out(out, fmt.len() - i + sp.width + 64)?;
        match conv {
            b'd' | b'i' => fmt_int(out, sp, to_i64(vm.check_num(arg)?)),
            b'u' | b'x' | b'X' | b'o' => {
                fmt_unsigned(out, sp, to_i64(vm.check_num(arg)?) as u64, conv)
            }
            b'c' => {
                let n = vm.check_int(arg)?;
                pad(out, &sp, false, &[n as u8], false);
            }
            b'e' | b'E' | b'f' | b'F' | b'g' | b'G' | b'a' | b'A' => {
                let n = vm.check_num(arg)?;
                let upper = conv.is_ascii_uppercase();
                let neg = n.is_sign_negative() && !n.is_nan();
                if !n.is_finite() {
                    let s = if n.is_nan() { "nan" } else { "inf" };
                    let s = if upper {
                        s.to_uppercase()
                    } else {
                        s.to_string()
                    };
                    // Never zero padded; NaN shows no sign and ignores '+'
                    // (a ' ' flag still applies), as in LuaJIT.
                    let mut sp2 = sp;
                    sp2.zero = false;
                    if n.is_nan() {
                        sp2.plus = false;
                    }
                    pad(out, &sp2, neg, s.as_bytes(), true);
                    continue;
                }
                let start = out.len();
                float_body(n, conv, &sp, out);
                pad_appended(out, start, &sp, neg);
            }
            b'p' => {
                // (LuaJIT 2.1's `%p`: the address of an object or light
                // userdata, as `tostring` shows it; "NULL" for other values
                // and a null pointer. Width, flags and precision are
                // ignored, as LuaJIT does.)
                let v = vm.check_any(arg)?;
                let addr = if v.is_num() || v.is_nil() || v.is_bool() {
                    0
                } else {
                    v.payload()
                };
                if addr == 0 {
                    out.extend_from_slice(b"NULL");
                } else {
                    out.extend_from_slice(format!("0x{:08x}", addr).as_bytes());
                }
            }
            b'q' => {
                let v = vm.check_any(arg)?;
                let s = vm.tostring_fmt(v)?;
                // (`s` is pushed: reachable if making room collects.)
                vm.push(s);
                vm.grow_out(out, str_bytes(s).len() + 2)?;
                vm.th().top -= 1;
                quote(out, str_bytes(s));
            }
            _ => {
                // 's'
                let v = vm.check_any(arg)?;
                let s = vm.tostring_fmt(v)?;
                vm.push(s);
                vm.grow_out(out, str_bytes(s).len() + sp.width)?;
                vm.th().top -= 1;
                let b = str_bytes(s);
                let b = match sp.prec {
                    Some(p) if p < b.len() => &b[..p],
                    _ => b,
                };
                pad(out, &sp, false, b, false);
            }
        }
    }
    Ok(())
}

/// One directive of a format the JIT formats itself: flags, at most two
/// width and precision digits, and a conversion of `d i s f F g G e E`.
/// Returns the spec, the conversion and the index after it.
fn jit_spec(fmt: &[u8], mut i: usize) -> Option<(Spec, u8, usize)> {
    let mut sp = Spec::default();
    while let Some(&c) = fmt.get(i) {
        match c {
            b'-' => sp.left = true,
            b'+' => sp.plus = true,
            b' ' => sp.space = true,
            b'#' => sp.alt = true,
            b'0' => sp.zero = true,
            _ => break,
        }
        i += 1;
    }
    let digits = |i: &mut usize| -> Option<usize> {
        let mut n = 0;
        let mut nd = 0;
        while let Some(&c) = fmt.get(*i).filter(|c| c.is_ascii_digit()) {
            n = n * 10 + (c - b'0') as usize;
            *i += 1;
            nd += 1;
        }
        (nd <= 2).then_some(n)
    };
    sp.width = digits(&mut i)?;
    if fmt.get(i) == Some(&b'.') {
        i += 1;
        sp.prec = Some(digits(&mut i)?);
    }
    let conv = *fmt.get(i)?;
    if !b"diuxXosfFgGeE".contains(&conv) {
        return None;
    }
    Some((sp, conv, i + 1))
}

/// Whether `string.format` with format `fmt` is compiled in traces (every
/// directive accepted by `format_values`).
pub fn jit_supported(fmt: &[u8]) -> bool {
    let mut i = 0;
    while i < fmt.len() {
        if fmt[i] != b'%' {
            i += 1;
        } else if fmt.get(i + 1) == Some(&b'%') {
            i += 2;
        } else {
            match jit_spec(fmt, i + 1) {
                Some((_, _, next)) => i = next,
                None => return false,
            }
        }
    }
    true
}

/// `string.format(fmt, args...)` for the JIT's subset: numbers for the
/// numeric conversions (finite for the floating ones), strings or numbers
/// for `%s`, as many arguments as directives. None for anything else (the
/// trace exits and the interpreter formats, or raises the error).
pub fn format_values(fmt: &[u8], args: &[Value]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(fmt.len() + 16);
    let mut args = args.iter();
    let mut i = 0;
    while i < fmt.len() {
        let c = fmt[i];
        i += 1;
        if c != b'%' {
            out.push(c);
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        let (sp, conv, next) = jit_spec(fmt, i)?;
        i = next;
        let v = *args.next()?;
        match conv {
            b'd' | b'i' => fmt_int(&mut out, sp, to_i64(v.as_num()?)),
            b'u' | b'x' | b'X' | b'o' => {
                fmt_unsigned(&mut out, sp, to_i64(v.as_num()?) as u64, conv)
            }
            b's' => {
                let owned;
                let b: &[u8] = if let Some(n) = v.as_num() {
                    owned = crate::number::fmt_num(n);
                    owned.as_bytes()
                } else if v.is_str() {
                    str_bytes(v)
                } else {
                    return None;
                };
                let b = match sp.prec {
                    Some(p) if p < b.len() => &b[..p],
                    _ => b,
                };
                pad(&mut out, &sp, false, b, false);
            }
            _ => {
                let n = v.as_num().filter(|n| n.is_finite())?;
                let neg = n.is_sign_negative();
                let start = out.len();
                float_body(n, conv, &sp, &mut out);
                pad_appended(&mut out, start, &sp, neg);
            }
        }
    }
    Some(out)
}
