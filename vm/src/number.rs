//! Number <-> string conversions with Lua/LuaJIT rules (placeholder
//! implementations until written).

/// `tostring` of a number, as LuaJIT prints it (`%.14g`, `inf`, `-nan`...).
pub fn fmt_num(n: f64) -> String {
    if n == (n as i64) as f64 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{}", n)
    }
}

/// Lua's string-to-number coercion (`tonumber(s)` with base 10 rules,
/// hex allowed); None if the string is not a number.
pub fn str_to_num(s: &[u8]) -> Option<f64> {
    std::str::from_utf8(s).ok()?.trim().parse().ok()
}

/// `tonumber(s, base)` for bases 2..36 (placeholder).
pub fn str_to_num_base(s: &[u8], base: u32) -> Option<f64> {
    let t = std::str::from_utf8(s).ok()?.trim();
    i64::from_str_radix(t, base).ok().map(|v| v as f64)
}
