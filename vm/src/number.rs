//! Number <-> string conversions with LuaJIT's rules: `tostring` prints
//! `%.14g` (`1e+15`, `0.1`, `-0`, `inf`, `-nan`), and string coercion
//! accepts decimal and hex numerals (with fractions and binary exponents)
//! surrounded by whitespace.

/// `%.{prec}g` formatting of a finite or infinite number (C printf rules,
/// lower case, no `#` flag). NaN and infinities are spelled as Lua does.
pub fn fmt_g(n: f64, prec: usize, upper: bool) -> String {
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    let p = prec.max(1);
    let e = format!("{:.*e}", p - 1, n);
    let (mant, exp) = e.split_once('e').unwrap();
    let x: i32 = exp.parse().unwrap();
    let mut s = if x >= -4 && x < p as i32 {
        let f = format!("{:.*}", (p as i32 - 1 - x) as usize, n);
        strip_zeros(&f)
    } else {
        let m = strip_zeros(mant);
        format!("{}e{}{:02}", m, if x < 0 { '-' } else { '+' }, x.abs())
    };
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
    if body.is_empty() || !(body[0].is_ascii_digit() || body[0] == b'.') {
        return None;
    }
    let v = crate::lex::parse_number(body)?;
    Some(if neg { -v } else { v })
}

/// `tonumber(s, base)` for bases 2..36: an optionally signed integer
/// numeral in that base, surrounded by whitespace.
pub fn str_to_num_base(s: &[u8], base: u32) -> Option<f64> {
    let t = trim(s);
    let (neg, body) = match t.first() {
        Some(b'-') => (true, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    let mut v = 0.0f64;
    for &c in body {
        let d = (c as char).to_digit(36)?;
        if d >= base {
            return None;
        }
        v = v * base as f64 + d as f64;
    }
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
            (2f64.powi(53), "9.007199254741e+15"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e100, "1e+100"),
            (3.14159265358979, "3.1415926535898"),
            (-1.5, "-1.5"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (5e-324, "4.9406564584125e-324"),
        ];
        for &(n, s) in cases {
            assert_eq!(fmt_num(n), s, "{:e}", n);
        }
        assert_eq!(fmt_num(f64::from_bits(0xFFF8_0000_0000_0000)), "-nan");
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
        assert_eq!(str_to_num(b"inf"), None);
        assert_eq!(str_to_num(b"nan"), None);
        assert_eq!(str_to_num(b""), None);
        assert_eq!(str_to_num(b"- 1"), None);
        assert_eq!(str_to_num(b"1 2"), None);
        assert_eq!(str_to_num_base(b"ff", 16), Some(255.0));
        assert_eq!(str_to_num_base(b"z", 36), Some(35.0));
        assert_eq!(str_to_num_base(b"8", 8), None);
        assert_eq!(str_to_num_base(b" -101 ", 2), Some(-5.0));
    }
}
