//! The `math` library, with LuaJIT 2.1's extras (`log(x, base)`) and
//! argument rules. `random` draws from LuaJIT 2.1's generator (a combined
//! Tausworthe generator, four 64-bit words of state kept in the VM,
//! seeded as LuaJIT seeds it), so a seed gives luajit's sequence.

use crate::error::LuaResult;
use crate::state::Vm;
use crate::value::Value;

pub fn open(vm: &mut Vm) {
    let m = vm.register_lib(
        "math",
        &[
            ("abs", abs),
            ("ceil", ceil),
            ("floor", floor),
            ("sqrt", sqrt),
            ("sin", sin),
            ("cos", cos),
            ("tan", tan),
            ("asin", asin),
            ("acos", acos),
            ("atan", atan),
            ("atan2", atan2),
            ("exp", exp),
            ("log", log),
            ("log10", log10),
            ("pow", pow),
            ("fmod", fmod),
            ("modf", modf),
            ("frexp", frexp),
            ("ldexp", ldexp),
            ("deg", deg),
            ("rad", rad),
            ("sinh", sinh),
            ("cosh", cosh),
            ("tanh", tanh),
            ("min", min),
            ("max", max),
            ("random", random),
            ("randomseed", randomseed),
        ],
    );
    crate::fastfunc::tag(vm, "math", m);
    vm.set_field(m, "pi", Value::num(std::f64::consts::PI));
    vm.set_field(m, "huge", Value::num(f64::INFINITY));
}

fn ret(vm: &mut Vm, n: f64) -> LuaResult<usize> {
    vm.push(Value::num(n));
    Ok(1)
}

macro_rules! unary {
    ($($name:ident => $f:expr;)*) => {
        $(fn $name(vm: &mut Vm) -> LuaResult<usize> {
            let x = vm.check_num(1)?;
            let f: fn(f64) -> f64 = $f;
            ret(vm, f(x))
        })*
    };
}

unary! {
    abs => f64::abs;
    ceil => f64::ceil;
    floor => f64::floor;
    sqrt => f64::sqrt;
    sin => f64::sin;
    cos => f64::cos;
    tan => f64::tan;
    asin => f64::asin;
    acos => f64::acos;
    atan => f64::atan;
    exp => f64::exp;
    log10 => f64::log10;
    deg => |x| x * (180.0 / std::f64::consts::PI);
    rad => |x| x * (std::f64::consts::PI / 180.0);
    sinh => f64::sinh;
    cosh => f64::cosh;
    tanh => f64::tanh;
}

fn atan2(vm: &mut Vm) -> LuaResult<usize> {
    let y = vm.check_num(1)?;
    let x = vm.check_num(2)?;
    ret(vm, y.atan2(x))
}

fn log(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    if vm.arg(2).is_nil() {
        return ret(vm, x.ln());
    }
    let b = vm.check_num(2)?;
    let r = if b == 2.0 {
        x.log2()
    } else if b == 10.0 {
        x.log10()
    } else {
        x.ln() / b.ln()
    };
    ret(vm, r)
}

fn pow(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let y = vm.check_num(2)?;
    ret(vm, x.powf(y))
}

fn fmod(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let y = vm.check_num(2)?;
    ret(vm, x % y)
}

fn modf(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let ip = x.trunc();
    // An integral (or infinite) argument has a zero fraction carrying the
    // argument's sign, as LuaJIT returns it.
    let fp = if ip == x { 0.0f64.copysign(x) } else { x - ip };
    vm.push(Value::num(ip));
    vm.push(Value::num(fp));
    Ok(2)
}

fn frexp(vm: &mut Vm) -> LuaResult<usize> {
    let x = vm.check_num(1)?;
    let (m, e) = if x == 0.0 || x.is_nan() || x.is_infinite() {
        (x, 0)
    } else {
        let bits = x.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        if exp == 0 {
            // Subnormal: scale up first.
            let y = x * 2f64.powi(64);
            let e = ((y.to_bits() >> 52) & 0x7ff) as i32 - 1022 - 64;
            (
                f64::from_bits((y.to_bits() & !(0x7ff << 52)) | (1022 << 52)),
                e,
            )
        } else {
            (
                f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52)),
                exp - 1022,
            )
        }
    };
    vm.push(Value::num(m));
    vm.push(Value::num(e as f64));
    Ok(2)
}

fn ldexp(vm: &mut Vm) -> LuaResult<usize> {
    let m = vm.check_num(1)?;
    let e = vm.check_int(2)?.clamp(-5000, 5000) as i32;
    // Two steps keep intermediate powers representable.
    let h = e / 2;
    ret(vm, m * 2f64.powi(h) * 2f64.powi(e - h))
}

// `min`/`max` fold left with the SSE `minsd`/`maxsd` rule LuaJIT uses: the
// accumulator is kept only if it compares strictly smaller (larger), else the
// next argument wins. This fixes the results for NaN and signed zeros.
/// One step of `min`'s fold (also the interpreter's inline `math.min`).
pub(crate) fn min_step(m: f64, x: f64) -> f64 {
    if m < x {
        m
    } else {
        x
    }
}

/// One step of `max`'s fold.
pub(crate) fn max_step(m: f64, x: f64) -> f64 {
    if m > x {
        m
    } else {
        x
    }
}

fn min(vm: &mut Vm) -> LuaResult<usize> {
    let mut m = vm.check_num(1)?;
    for i in 2..=vm.nargs() {
        m = min_step(m, vm.check_num(i)?);
    }
    ret(vm, m)
}

fn max(vm: &mut Vm) -> LuaResult<usize> {
    let mut m = vm.check_num(1)?;
    for i in 2..=vm.nargs() {
        m = max_step(m, vm.check_num(i)?);
    }
    ret(vm, m)
}

/// The four component generators: (k, q, s) of each Tausworthe step
/// (k significant bits; shifts q and s).
const TAUS: [(u32, u32, u32); 4] = [(63, 31, 18), (58, 19, 28), (55, 24, 7), (47, 21, 8)];

/// One step of the combined generator: a double in [1, 2) as bits (52
/// random mantissa bits).
fn next_bits(st: &mut [u64; 4]) -> u64 {
    let mut r = 0u64;
    for (z, &(k, q, s)) in st.iter_mut().zip(TAUS.iter()) {
        let x = *z;
        let y = (((x << q) ^ x) >> (k - s)) ^ ((x & (u64::MAX << (64 - k))) << s);
        r ^= y;
        *z = y;
    }
    (r & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000
}

/// The state for seed `d`: each word from a step of `d = d * pi + e`
/// (raised so that its top `64 - k` bits are not all zero), then ten
/// steps discarded.
pub fn seed_state(mut d: f64) -> [u64; 4] {
    let mut st = [0u64; 4];
    for (w, &(k, _, _)) in st.iter_mut().zip(TAUS.iter()) {
        let m = 1u64 << (64 - k);
        d = d * std::f64::consts::PI + std::f64::consts::E;
        let u = d.to_bits();
        *w = if u < m { u + m } else { u };
    }
    for _ in 0..10 {
        next_bits(&mut st);
    }
    st
}

fn random(vm: &mut Vm) -> LuaResult<usize> {
    let r = f64::from_bits(next_bits(&mut vm.rng)) - 1.0;
    // Like LuaJIT, bounds are neither floored nor range-checked: an empty
    // interval simply scales the [0,1) draw by a non-positive width.
    match vm.nargs() {
        0 => ret(vm, r),
        1 => {
            let m = vm.check_num(1)?;
            ret(vm, (r * m).floor() + 1.0)
        }
        _ => {
            let l = vm.check_num(1)?;
            let u = vm.check_num(2)?;
            ret(vm, (r * (u - l + 1.0)).floor() + l)
        }
    }
}

fn randomseed(vm: &mut Vm) -> LuaResult<usize> {
    let d = vm.check_num(1)?;
    vm.rng = seed_state(d);
    Ok(0)
}
