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

/// Whether |n| (finite) lies exactly halfway between two multiples of
/// 10^p: `(k + 1/2) * 10^p`. Rust's exact formatting rounds those ties to
/// even; LuaJIT rounds them away from zero (the slow paths here do).
/// With |n| = m * 2^e, m odd: (2k+1) * 5^p * 2^(p-1) needs e = p - 1 and
/// 5^p dividing m when p > 0; (2k+1) / (2^q * 5^(q-1)), q = 1 - p, needs
/// e = -q, m * 5^(q-1) being odd either way.
fn is_tie(n: f64, p: i32) -> bool {
    let (mut m, mut e) = binary(n);
    if m == 0 {
        return false;
    }
    let tz = m.trailing_zeros();
    m >>= tz;
    e += tz as i32;
    if e != p - 1 {
        return false;
    }
    p <= 0 || (p <= 22 && m % 5u64.pow(p as u32) == 0)
}

/// |n| (finite) as m * 2^e: its significand and exponent.
fn binary(n: f64) -> (u64, i32) {
    let bits = n.abs().to_bits();
    let (be, frac) = ((bits >> 52) as i32, bits & ((1 << 52) - 1));
    if be == 0 {
        (frac, -1074)
    } else {
        (frac | (1 << 52), be - 1075)
    }
}

/// Decimal digits: in place for the usual precisions (`digits_e`'s fast
/// path, up to 31 digits), on the heap beyond.
pub enum Digits {
    Inline([u8; 48], u8),
    Heap(Vec<u8>),
}

impl std::ops::Deref for Digits {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Digits::Inline(b, n) => &b[..*n as usize],
            Digits::Heap(v) => v,
        }
    }
}

/// `prec+1` significant digits and the decimal exponent of |n| (finite).
pub fn digits_e(n: f64, prec: usize) -> (Digits, i32) {
    if let Some(r) = digits_e_fast(n, prec) {
        return r;
    }
    // Rust's exact formatting, unless |n| is a tie at the last digit kept.
    if prec < 400 {
        let s = format!("{:.*e}", prec, n.abs());
        let (mant, exp) = s.split_once('e').unwrap();
        let x: i32 = exp.parse().unwrap();
        if !is_tie(n, x - prec as i32) {
            let d = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
            return (Digits::Heap(d), x);
        }
    }
    let s = format!("{:.*e}", prec + GUARD, n.abs());
    let (mant, exp) = s.split_once('e').unwrap();
    let mut x: i32 = exp.parse().unwrap();
    let digits: Vec<u8> = mant.bytes().filter(|c| c.is_ascii_digit()).collect();
    let (mut r, carry) = round_digits(&digits, prec + 1);
    if carry {
        x += 1;
        r.truncate(prec + 1);
    }
    (Digits::Heap(r), x)
}

/// round(|n| * 10^p), halves away from zero, exactly, for -22 <= p <=
/// 22 and results that fit in 128 bits (None otherwise, and for
/// infinities and NaN). With |n| = m * 2^e: m * 10^p shifted by e, or
/// m (shifted by e) divided by 10^-p, the remainder against half the
/// divisor.
fn scaled(n: f64, p: i32) -> Option<u128> {
    if !n.is_finite() || !(-22..=22).contains(&p) {
        return None;
    }
    let (m, e) = binary(n);
    let m = m as u128;
    let round = |num: u128, den: u128| -> u128 {
        let (q, r) = (num / den, num % den);
        q + (r >= den - r) as u128
    };
    if p >= 0 {
        let num = m * 10u128.pow(p as u32);
        if e >= 0 {
            return (num.leading_zeros() as i32 > e).then(|| num << e);
        }
        let s = -e;
        if s >= 128 {
            return Some(0);
        }
        let (q, r, half) = (num >> s, num & ((1u128 << s) - 1), 1u128 << (s - 1));
        return Some(q + (r >= half) as u128);
    }
    let d = 10u128.pow((-p) as u32);
    if e >= 0 {
        return (m.leading_zeros() as i32 > e).then(|| round(m << e, d));
    }
    let s = -e;
    (d.leading_zeros() as i32 > s).then(|| round(m, d << s))
}

/// The decimal digits of `k` (at least one), in `buf`.
fn decimal(mut k: u128, buf: &mut [u8; 48]) -> &[u8] {
    if let Ok(k) = u64::try_from(k) {
        // (64-bit division: much cheaper than 128-bit.)
        let i = digits_at_end(k, 10, false, buf);
        return &buf[i..];
    }
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (k % 10) as u8;
        k /= 10;
        if k == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Powers of ten exact as doubles.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// floor(log10(a)) for a finite a > 0, or one off (then `digits_e_fast`
/// corrects it): from the binary exponent e, floor(e * log10(2)) or one
/// more (a in [2^e, 2^(e+1)) spans less than one decade), the second
/// when a reaches the next power of ten.
fn decimal_exponent(a: f64) -> i32 {
    let e2 = ((a.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    // 1233 / 4096 ~ log10(2); `>>` floors negative products too.
    let x = (e2 * 1233) >> 12;
    let p = x + 1;
    let next = match POW10.get(p.unsigned_abs() as usize) {
        Some(&t) if p >= 0 => t,
        Some(&t) => 1.0 / t,
        None => return x,
    };
    x + (a >= next) as i32
}

/// `digits_e` by `scaled`: the exponent estimated (`decimal_exponent`)
/// and corrected when the rounded digits say it was one off.
fn digits_e_fast(n: f64, prec: usize) -> Option<(Digits, i32)> {
    if n == 0.0 || !n.is_finite() || prec > 30 {
        return None;
    }
    let mut x = decimal_exponent(n.abs());
    let mut raised = false;
    for _ in 0..3 {
        let k = scaled(n, prec as i32 - x)?;
        let mut buf = [0u8; 48];
        let d = decimal(k, &mut buf);
        match d.len().cmp(&(prec + 1)) {
            std::cmp::Ordering::Equal => {
                // 10^prec may be |n| * 10^(prec - x) rounded up from
                // below 10^prec: x one too high (|n| just under 10^x).
                // Then x - 1 gives prec + 1 digits, unless those round
                // up to 10^(prec + 1), which reads as this.
                if !raised && d[0] == b'1' && d[1..].iter().all(|&c| c == b'0') {
                    let k1 = scaled(n, prec as i32 - x + 1)?;
                    let mut buf1 = [0u8; 48];
                    let d1 = decimal(k1, &mut buf1);
                    if d1.len() == prec + 1 {
                        let mut b = [0u8; 48];
                        b[..d1.len()].copy_from_slice(d1);
                        return Some((Digits::Inline(b, d1.len() as u8), x - 1));
                    }
                }
                let mut b = [0u8; 48];
                b[..d.len()].copy_from_slice(d);
                return Some((Digits::Inline(b, d.len() as u8), x));
            }
            // (Rounding up to 10^(prec+1), or x too low: one more.)
            std::cmp::Ordering::Greater => {
                x += 1;
                raised = true;
            }
            std::cmp::Ordering::Less => x -= 1,
        }
    }
    None
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
    let mut v = Vec::with_capacity(prec + 24);
    fmt_f_abs_into(n, prec, alt, &mut v);
    String::from_utf8(v).expect("ASCII digits")
}

/// `fmt_f_abs`, appended to `out`.
pub fn fmt_f_abs_into(n: f64, prec: usize, alt: bool, out: &mut Vec<u8>) {
    if let Some(k) = scaled(n, prec as i32) {
        let mut buf = [0u8; 48];
        let d = decimal(k, &mut buf);
        // Zero-padded to prec + 1 digits (one integer digit at least),
        // the point before the last prec.
        let total = d.len().max(prec + 1);
        let int = total - prec;
        out.reserve(total + 1);
        for i in 0..total {
            // (Only when prec > 0: int < total.)
            if i == int {
                out.push(b'.');
            }
            let j = i as isize - (total - d.len()) as isize;
            out.push(if j < 0 { b'0' } else { d[j as usize] });
        }
        if prec == 0 && alt {
            out.push(b'.');
        }
        return;
    }
    // Rust's exact formatting, unless |n| is a tie at the last digit kept.
    if prec < 400 && n.is_finite() && !is_tie(n, -(prec as i32)) {
        out.extend_from_slice(format!("{:.*}", prec, n.abs()).as_bytes());
        if prec == 0 && alt {
            out.push(b'.');
        }
        return;
    }
    let s = format!("{:.*}", prec + GUARD, n.abs());
    let (ip, fp) = s.split_once('.').unwrap_or((&s, ""));
    let mut digits = ip.as_bytes().to_vec();
    digits.extend_from_slice(fp.as_bytes());
    let (r, carry) = round_digits(&digits, ip.len() + prec);
    let ilen = ip.len() + carry as usize;
    out.extend_from_slice(&r[..ilen]);
    if prec > 0 || alt {
        out.push(b'.');
        out.extend_from_slice(&r[ilen..]);
    }
}

/// `%.{prec}g` formatting (C printf rules, no `#` flag). NaN and
/// infinities are spelled as LuaJIT does (NaN never shows a sign).
pub fn fmt_g(n: f64, prec: usize, upper: bool) -> String {
    let mut v = Vec::with_capacity(24);
    fmt_g_into(n, prec, upper, &mut v);
    String::from_utf8(v).expect("ASCII digits")
}

/// `fmt_g`, appended to `out`.
pub fn fmt_g_into(n: f64, prec: usize, upper: bool, out: &mut Vec<u8>) {
    // (NaN and infinities in lower case whatever `upper`, as before:
    // `string.format` spells them itself.)
    if n.is_nan() {
        out.extend_from_slice(b"nan");
        return;
    }
    if n.is_infinite() {
        out.extend_from_slice(if n < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    let p = prec.max(1);
    // (Style f with precision p-1-x rounds at the same place as p
    // significant digits: one rounding serves both styles.)
    let (d, x) = digits_e(n, p - 1);
    let start = out.len();
    g_layout(n.is_sign_negative(), &d, x, p as i32, out);
    if upper {
        out[start..].make_ascii_uppercase();
    }
}

/// `tostring` of a number, as LuaJIT prints it.
pub fn fmt_num(n: f64) -> String {
    with_num_text(n, |b| String::from_utf8_lossy(b).into_owned())
}

/// `f` of `tostring`'s text of `n`, made without allocating for the
/// integers that print exactly (|n| < 1e14, not -0: their decimal
/// digits); others go through `%.14g`.
#[inline]
pub fn with_num_text<R>(n: f64, f: impl FnOnce(&[u8]) -> R) -> R {
    if n.fract() == 0.0 && n.abs() < 1e14 && !(n == 0.0 && n.is_sign_negative()) {
        let mut buf = [0u8; 24];
        return f(int_text(n as i64, &mut buf));
    }
    f(fmt_g(n, 14, false).as_bytes())
}

/// Append `tostring`'s text of `n` to `out`.
#[inline]
pub fn push_num(out: &mut Vec<u8>, n: f64) {
    with_num_text(n, |b| out.extend_from_slice(b));
}

/// Write the digits of `k` in base `radix` (2..=16; letters upper case
/// when `upper`) at the end of `buf`, which must hold them; returns
/// where they start.
pub fn digits_at_end(mut k: u64, radix: u64, upper: bool, buf: &mut [u8]) -> usize {
    let set: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = set[(k % radix) as usize];
        k /= radix;
        if k == 0 {
            return i;
        }
    }
}

/// The decimal text of `n` (with a `-` when negative), written at the
/// end of `buf`.
pub fn int_text(n: i64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = digits_at_end(n.unsigned_abs(), 10, false, buf);
    if n < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// `%.{p}g`'s text for significant `digits` (no trailing zeros needed)
/// and decimal exponent `x`: fixed notation for -4 <= x < p, else
/// `d.ddde+XX`, trailing fraction zeros dropped.
fn g_layout(neg: bool, digits: &[u8], x: i32, p: i32, out: &mut Vec<u8>) {
    let digits = {
        let k = digits.iter().rposition(|&c| c != b'0').map_or(1, |k| k + 1);
        &digits[..k]
    };
    if neg {
        out.push(b'-');
    }
    if x >= -4 && x < p {
        if x < 0 {
            out.extend_from_slice(b"0.");
            out.extend(std::iter::repeat_n(b'0', (-x - 1) as usize));
            out.extend_from_slice(digits);
        } else {
            let int = x as usize + 1;
            if digits.len() <= int {
                out.extend_from_slice(digits);
                out.extend(std::iter::repeat_n(b'0', int - digits.len()));
            } else {
                out.extend_from_slice(&digits[..int]);
                out.push(b'.');
                out.extend_from_slice(&digits[int..]);
            }
        }
    } else {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if x < 0 { b'-' } else { b'+' });
        let a = x.unsigned_abs();
        if a < 10 {
            out.push(b'0');
        }
        let mut buf = [0u8; 24];
        out.extend_from_slice(int_text(a as i64, &mut buf));
    }
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
    fn decimal_exponent_is_exact_or_one_low() {
        let mut a = 1e-30f64;
        while a < 1e60 {
            for x in [a, a * 0.999_999_9, a * 1.000_000_1, a * 3.3, a * 9.99] {
                let d = decimal_exponent(x);
                let exact = x.log10().floor() as i32;
                assert!(d == exact || d + 1 == exact, "{x}: {d} vs {exact}");
            }
            a *= 10.0;
        }
        // Exact at and just below the powers of ten that are doubles.
        for (k, &p) in POW10.iter().enumerate() {
            assert_eq!(decimal_exponent(p), k as i32);
            if k > 0 {
                assert_eq!(
                    decimal_exponent(f64::from_bits(p.to_bits() - 1)),
                    k as i32 - 1
                );
            }
        }
    }

    #[test]
    fn ties_are_exact_halves() {
        // 0.0625 is halfway between 0.062 and 0.063 (place 10^-3); 2.5
        // between 2 and 3; 100000000000005 between 1.0000000000000e14 and
        // 1.0000000000001e14 (place 10^1); 25 between 20 and 30.
        assert!(is_tie(0.0625, -3) && is_tie(2.5, 0) && is_tie(25.0, 1));
        assert!(is_tie(100000000000005.0, 1) && is_tie(-0.5, 0));
        // Not halves: 0.1 is not exactly 0.1, 0.0625 is exact at 10^-4,
        // 35 at place 10^0, 2.675 is 2.67499999...
        assert!(!is_tie(0.1, 0) && !is_tie(0.0625, -4) && !is_tie(35.0, 0));
        assert!(!is_tie(2.675, -2) && !is_tie(0.0, 0) && !is_tie(5e-324, -324));
        assert_eq!(fmt_f_abs(0.0625, 3, false), "0.063");
        assert_eq!(fmt_f_abs(2.5, 0, false), "3");
        assert_eq!(fmt_f_abs(2.675, 2, false), "2.67");
        assert_eq!(fmt_g(100000000000005.0, 14, false), "1.0000000000001e+14");
    }

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
