//! Number <-> string conversions with LuaJIT's rules: `tostring` prints
//! `%.14g` (`1e+15`, `0.1`, `-0`, `inf`, and `nan` whatever its sign bit),
//! and string coercion accepts decimal and hex numerals (with fractions and
//! binary exponents) and `inf`/`infinity`/`nan` words, surrounded by
//! whitespace.

/// Round a digit string (ASCII digits) to `keep` digits, half away from
/// zero as LuaJIT does (looking at the digits after `keep`). Returns the
/// digits and whether rounding carried into a new leading digit.
fn round_digits(d: &[u8], keep: usize) -> (Vec<u8>, bool) {
    let mut out = d[..keep.min(d.len())].to_vec();
    if d.len() > keep && d[keep] >= b'5' {
        let mut i = out.len();
        loop {
            if i == 0 {
                out.insert(0, b'1');
                return (out, true);
            }
            i -= 1;
            if out[i] == b'9' {
                out[i] = b'0';
            } else {
                out[i] += 1;
                break;
            }
        }
    }
    (out, false)
}

/// Extra digits requested from Rust's exact formatter before rounding.
const GUARD: usize = 40;

/// `prec+1` significant digits and the decimal exponent of |n| (finite).
pub fn digits_e(n: f64, prec: usize) -> (Vec<u8>, i32) {
    let s = format!("{:.*e}", prec + GUARD, n.abs());
    let (mant, exp) = s.split_once('e').unwrap();
    let mut x: i32 = exp.parse().unwrap();
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    let (mut r, carry) = round_digits(&digits, prec + 1);
    if carry {
        x += 1;
        r.truncate(prec + 1);
    }
    (r, x)
}

/// `%.{prec}e` body of |n| (no sign).
pub fn fmt_e_abs(n: f64, prec: usize, alt: bool) -> String {
    let (d, x) = digits_e(n, prec);
    let mut s = String::new();
    s.push(d[0] as char);
    if prec > 0 || alt {
        s.push('.');
    }
    for &c in &d[1..] {
        s.push(c as char);
    }
    s.push_str(&format!("e{}{:02}", if x < 0 { '-' } else { '+' }, x.abs()));
    s
}

/// `%.{prec}f` body of |n| (no sign).
pub fn fmt_f_abs(n: f64, prec: usize, alt: bool) -> String {
    let s = format!("{:.*}", prec + GUARD, n.abs());
    let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
    let mut digits = ip.as_bytes().to_vec();
    digits.extend_from_slice(fp.as_bytes());
    let (r, carry) = round_digits(&digits, ip.len() + prec);
    let ilen = ip.len() + carry as usize;
    let mut out = String::from_utf8(r[..ilen].to_vec()).unwrap();
    if prec > 0 || alt {
        out.push('.');
        out.push_str(std::str::from_utf8(&r[ilen..]).unwrap());
    }
    out
}

/// `%.{prec}g` formatting (C printf rules, no `#` flag). NaN and
/// infinities are spelled as LuaJIT does (NaN never shows a sign).
pub fn fmt_g(n: f64, prec: usize, upper: bool) -> String {
    if n.is_nan() {
        return "nan".into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    let p = prec.max(1);
    let (_, x) = digits_e(n, p - 1);
    let sign = if n.is_sign_negative() { "-" } else { "" };
    let mut s = if x >= -4 && x < p as i32 {
        strip_zeros(&fmt_f_abs(n, (p as i32 - 1 - x) as usize, false))
    } else {
        let e = fmt_e_abs(n, p - 1, false);
        let (m, ex) = e.split_once('e').unwrap();
        format!("{}e{}", strip_zeros(m), ex)
    };
    s.insert_str(0, sign);
    if upper {
        s = s.to_uppercase();
    }
    s
}

/// Drop trailing fraction zeros (and a trailing '.').
fn strip_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0');
    t.trim_end_matches('.').to_string()
}

/// `tostring` of a number, as LuaJIT prints it.
pub fn fmt_num(n: f64) -> String {
    // Fast path for integers that print exactly.
    if n.fract() == 0.0 && n.abs() < 1e14 && !(n == 0.0 && n.is_sign_negative()) {
        return format!("{}", n as i64);
    }
    fmt_g(n, 14, false)
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn trim(s: &[u8]) -> &[u8] {
    let mut a = 0;
    let mut b = s.len();
    while a < b && is_space(s[a]) {
        a += 1;
    }
    while b > a && is_space(s[b - 1]) {
        b -= 1;
    }
    &s[a..b]
}

/// Lua's string-to-number coercion (`tonumber(s)`, arithmetic on strings):
/// decimal or hex, optional sign, surrounding whitespace; None otherwise.
pub fn str_to_num(s: &[u8]) -> Option<f64> {
    let t = trim(s);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.eq_ignore_ascii_case(b"inf") || body.eq_ignore_ascii_case(b"infinity") {
        return Some(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        });
    }
    if body.eq_ignore_ascii_case(b"nan") {
        return Some(f64::NAN);
    }
    if body.is_empty() || !(body[0].is_ascii_digit() || body[0] == b'.') {
        return None;
    }
    let v = crate::lex::parse_number(body)?;
    Some(if neg { -v } else { v })
}

/// `tonumber(s, base)` for bases 2..36, with LuaJIT's `strtoul` rules:
/// leading whitespace, an optional sign, digits of that base (plus an
/// optional `0x` prefix in base 16), trailing whitespace. The string ends
/// at its first NUL byte, and values beyond 2^64-1 saturate.
pub fn str_to_num_base(s: &[u8], base: u32) -> Option<f64> {
    let s = match s.iter().position(|&c| c == 0) {
        Some(z) => &s[..z],
        None => s,
    };
    let mut t = trim(s);
    let neg = match t.first() {
        Some(b'-') => {
            t = &t[1..];
            true
        }
        Some(b'+') => {
            t = &t[1..];
            false
        }
        _ => false,
    };
    if !t.first().is_some_and(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    if base == 16
        && t.len() > 2
        && t[0] == b'0'
        && (t[1] == b'x' || t[1] == b'X')
        && t[2].is_ascii_hexdigit()
    {
        t = &t[2..];
    }
    let mut v: u64 = 0;
    let mut overflow = false;
    for &c in t {
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        match v
            .checked_mul(base as u64)
            .and_then(|x| x.checked_add(d as u64))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    let v = if overflow { u64::MAX } else { v } as f64;
    Some(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tostring_like_luajit() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (-3.0, "-3"),
            (0.1, "0.1"),
            (0.1 + 0.2, "0.3"),
            (1e15, "1e+15"),
            (1e14, "1e+14"),
            (12345678901234.0, "12345678901234"),
            (123456789012345.0, "1.2345678901235e+14"),
            (-2.5e-7, "-2.5e-07"),
            (2f64.powi(53), "9.007199254741e+15"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e100, "1e+100"),
            (1.23456789012345, "1.2345678901235"),
            (-1.5, "-1.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (5e-324, "4.9406564584125e-324"),
        ];
        for &(n, s) in cases {
            assert_eq!(fmt_num(n), s, "{:e}", n);
        }
        assert_eq!(fmt_num(f64::from_bits(0xFFF8_0000_0000_0000)), "nan");
        assert_eq!(fmt_num(f64::from_bits(0x7FF8_0000_0000_0000)), "nan");
    }

    #[test]
    fn coercion_like_luajit() {
        assert_eq!(str_to_num(b" 10 "), Some(10.0));
        assert_eq!(str_to_num(b"0x10"), Some(16.0));
        assert_eq!(str_to_num(b"-0x10"), Some(-16.0));
        assert_eq!(str_to_num(b" 0x1p4 "), Some(16.0));
        assert_eq!(str_to_num(b"1e2"), Some(100.0));
        assert_eq!(str_to_num(b".5"), Some(0.5));
        assert_eq!(str_to_num(b"0x"), None);
        assert_eq!(str_to_num(b"1e"), None);
        assert_eq!(str_to_num(b" -Infinity "), Some(f64::NEG_INFINITY));
        assert!(str_to_num(b"nan").is_some_and(f64::is_nan));
        assert_eq!(str_to_num(b"infx"), None);
        assert_eq!(str_to_num(b""), None);
        assert_eq!(str_to_num(b"- 1"), None);
        assert_eq!(str_to_num(b"1 2"), None);
        assert_eq!(str_to_num_base(b"ff", 16), Some(255.0));
        assert_eq!(str_to_num_base(b"z", 36), Some(35.0));
        assert_eq!(str_to_num_base(b"8", 8), None);
        assert_eq!(str_to_num_base(b" -101 ", 2), Some(-5.0));
        assert_eq!(str_to_num_base(b"0x10", 16), Some(16.0));
        assert_eq!(str_to_num_base(b"0x10", 8), None);
        assert_eq!(str_to_num_base(b"0x", 16), None);
        assert_eq!(str_to_num_base(b"+10\0junk", 16), Some(16.0));
    }
}
