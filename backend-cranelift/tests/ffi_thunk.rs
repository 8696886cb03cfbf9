//! FFI thunks and callbacks against real C code: `tests/ffi/abi.c` is
//! compiled with the system C compiler at test time and dlopen'ed.

#![allow(clippy::upper_case_acronyms)] // struct names mirror the C ones

use std::ffi::{c_void, CStr, CString};
use std::sync::OnceLock;

use lunatrace_backend_cranelift::ffi_thunk::FfiCode;
use lunatrace_ffi::abi::{AbiSig, AbiType, Scalar};

use Scalar::*;

fn lib() -> usize {
    static LIB: OnceLock<usize> = OnceLock::new();
    *LIB.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("lunatrace-ffi-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let so = dir.join("libabi.so");
        let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ffi/abi.c");
        let st = std::process::Command::new("cc")
            .args(["-shared", "-fPIC", "-O1", "-fexceptions", "-o"])
            .arg(&so)
            .arg(src)
            .status()
            .expect("run cc");
        assert!(st.success(), "cc failed");
        let path = CString::new(so.to_str().unwrap()).unwrap();
        // SAFETY: dlopen of a library we just built; it has no constructors.
        let h = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW) };
        assert!(!h.is_null(), "dlopen failed");
        h as usize
    })
}

fn sym(name: &str) -> *const u8 {
    let n = CString::new(name).unwrap();
    // SAFETY: the handle is a live dlopen handle.
    let p = unsafe { libc::dlsym(lib() as *mut c_void, n.as_ptr()) };
    assert!(!p.is_null(), "dlsym {}", name);
    p as *const u8
}

fn libc_sym(name: &str) -> *const u8 {
    let n = CString::new(name).unwrap();
    // SAFETY: RTLD_DEFAULT lookup of a libc symbol.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, n.as_ptr()) };
    assert!(!p.is_null(), "dlsym {}", name);
    p as *const u8
}

fn s(x: Scalar) -> AbiType {
    AbiType::Scalar(x)
}

fn st(size: u32, align: u32, fields: &[(u32, Scalar)]) -> AbiType {
    AbiType::Struct {
        size,
        align,
        fields: fields.to_vec(),
    }
}

fn sig(args: Vec<AbiType>, ret: Option<AbiType>) -> AbiSig {
    let nfixed = args.len();
    AbiSig { args, ret, nfixed }
}

#[repr(C, align(16))]
#[derive(Clone, Copy)]
struct Ret([u8; 64]);

impl Ret {
    fn get<T: Copy>(&self) -> T {
        assert!(std::mem::size_of::<T>() <= 64);
        // SAFETY: T is a plain-old-data type that fits; read unaligned.
        unsafe { std::ptr::read_unaligned(self.0.as_ptr() as *const T) }
    }
}

/// Call `name` through the thunk for `sig` with `args`.
fn call(code: &mut FfiCode, sig: &AbiSig, target: *const u8, args: &[u64]) -> Ret {
    let t = code.thunk(sig).expect("thunk");
    let mut ret = Ret([0xAA; 64]);
    // SAFETY: `sig` describes the C function at `target`, `args` holds one
    // slot per argument, `ret` has 64 bytes of room.
    unsafe { t(target, args.as_ptr(), ret.0.as_mut_ptr()) };
    ret
}

fn f32a(x: f32) -> u64 {
    u64::from(x.to_bits())
}
fn f64a(x: f64) -> u64 {
    x.to_bits()
}
fn ptr<T>(p: &T) -> u64 {
    p as *const T as u64
}

#[test]
fn integer_returns_are_narrow_and_extended() {
    let mut c = FfiCode::new().unwrap();
    let r = call(&mut c, &sig(vec![], Some(s(I8))), sym("ret_i8_m1"), &[]);
    assert_eq!(r.get::<i8>(), -1);
    assert_eq!(r.0[1], 0xAA, "I8 result stored in its natural width");
    let r = call(&mut c, &sig(vec![], Some(s(U8))), sym("ret_u8_max"), &[]);
    assert_eq!(r.get::<u8>(), 255);
    let r = call(&mut c, &sig(vec![], Some(s(I16))), sym("ret_i16_m2"), &[]);
    assert_eq!(r.get::<i16>(), -2);
    let r = call(&mut c, &sig(vec![], Some(s(U16))), sym("ret_u16_max"), &[]);
    assert_eq!(r.get::<u16>(), 65535);
    assert_eq!(r.0[2], 0xAA);
    let r = call(&mut c, &sig(vec![], Some(s(I32))), sym("ret_i32_m3"), &[]);
    assert_eq!(r.get::<i32>(), -3);
    let r = call(&mut c, &sig(vec![], Some(s(U32))), sym("ret_u32_max"), &[]);
    assert_eq!(r.get::<u32>(), u32::MAX);
    let r = call(&mut c, &sig(vec![], Some(s(I64))), sym("ret_i64_m4"), &[]);
    assert_eq!(r.get::<i64>(), -4);
    let r = call(&mut c, &sig(vec![], Some(s(U64))), sym("ret_u64_max"), &[]);
    assert_eq!(r.get::<u64>(), u64::MAX);
    let r = call(&mut c, &sig(vec![], Some(s(U8))), sym("ret_true"), &[]);
    assert_eq!(r.get::<u8>(), 1);
    let bs = sig(vec![s(U8)], Some(s(U8)));
    assert_eq!(call(&mut c, &bs, sym("not_bool"), &[1]).get::<u8>(), 0);
    assert_eq!(call(&mut c, &bs, sym("not_bool"), &[0]).get::<u8>(), 1);
}

#[test]
fn integer_arguments() {
    let mut c = FfiCode::new().unwrap();
    let m1 = u64::MAX; // -1 sign-extended
    let r = call(
        &mut c,
        &sig(vec![s(I8), s(I8)], Some(s(I64))),
        sym("add_i8"),
        &[m1, (-100i64) as u64],
    );
    assert_eq!(r.get::<i64>(), -101);
    let r = call(
        &mut c,
        &sig(vec![s(U8), s(U8)], Some(s(U64))),
        sym("add_u8"),
        &[255, 255],
    );
    assert_eq!(r.get::<u64>(), 510);
    let r = call(
        &mut c,
        &sig(vec![s(I16), s(I16)], Some(s(I64))),
        sym("add_i16"),
        &[m1, (-30000i64) as u64],
    );
    assert_eq!(r.get::<i64>(), -30001);
    let r = call(
        &mut c,
        &sig(vec![s(U16), s(U16)], Some(s(U64))),
        sym("add_u16"),
        &[65535, 65535],
    );
    assert_eq!(r.get::<u64>(), 131070);
    let r = call(
        &mut c,
        &sig(vec![s(I32), s(I32)], Some(s(I64))),
        sym("add_i32"),
        &[m1, (i32::MIN as i64) as u64],
    );
    assert_eq!(r.get::<i64>(), i32::MIN as i64 - 1);
    let r = call(
        &mut c,
        &sig(vec![s(U32), s(U32)], Some(s(U64))),
        sym("add_u32"),
        &[u32::MAX as u64, u32::MAX as u64],
    );
    assert_eq!(r.get::<u64>(), 2 * u32::MAX as u64);
    let r = call(
        &mut c,
        &sig(vec![s(I64), s(I64)], Some(s(I64))),
        sym("add_i64"),
        &[m1, 1 << 40],
    );
    assert_eq!(r.get::<i64>(), (1 << 40) - 1);
    let r = call(&mut c, &sig(vec![s(I8)], Some(s(I8))), sym("neg_i8"), &[5]);
    assert_eq!(r.get::<i8>(), -5);
    let r = call(
        &mut c,
        &sig(vec![s(U16)], Some(s(U16))),
        sym("inc_u16"),
        &[65535],
    );
    assert_eq!(r.get::<u16>(), 0);
}

#[test]
fn floats_and_pointers() {
    let mut c = FfiCode::new().unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(F32), s(F32)], Some(s(F32))),
        sym("mul_f"),
        &[f32a(1.5), f32a(-4.0)],
    );
    assert_eq!(r.get::<f32>(), -6.0);
    let r = call(
        &mut c,
        &sig(vec![s(F64), s(F64)], Some(s(F64))),
        sym("mul_d"),
        &[f64a(1.25), f64a(3.0)],
    );
    assert_eq!(r.get::<f64>(), 3.75);
    let r = call(
        &mut c,
        &sig(vec![s(F32), s(F64), s(I32)], Some(s(F64))),
        sym("mix_fd"),
        &[f32a(0.5), f64a(2.5), 4],
    );
    assert_eq!(r.get::<f64>(), 10.5);
    let r = call(
        &mut c,
        &sig(vec![s(F64)], Some(s(F32))),
        sym("f_of_d"),
        &[f64a(2.5)],
    );
    assert_eq!(r.get::<f32>(), 2.5);
    let text = CString::new("hello").unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr), s(I32)], Some(s(Ptr))),
        sym("strchr_p"),
        &[text.as_ptr() as u64, b'l' as u64],
    );
    assert_eq!(r.get::<u64>(), text.as_ptr() as u64 + 2);
    let mut x: i32 = 0;
    call(
        &mut c,
        &sig(vec![s(Ptr), s(I32)], None),
        sym("set_int"),
        &[&mut x as *mut i32 as u64, (-9i64) as u64],
    );
    assert_eq!(x, -9);
    // The cache returns the same thunk.
    let a = c.thunk(&sig(vec![s(F64)], Some(s(F32)))).unwrap();
    let b = c.thunk(&sig(vec![s(F64)], Some(s(F32)))).unwrap();
    assert_eq!(a as usize, b as usize);
}

#[test]
fn many_arguments_spill_to_stack() {
    let mut c = FfiCode::new().unwrap();
    let ty = [
        I32, F64, I64, F32, I32, F64, I16, F64, I32, F64, I64, F64, I32, F64, U8, F64, I32, F32,
        F64,
    ];
    let vals: [f64; 19] = [
        1., 2., 3., 4., 5., 6., -7., 8., 9., 10., 11., 12., 13., 14., 200., 16., 17., 18., 19.,
    ];
    let args: Vec<u64> = ty
        .iter()
        .zip(vals.iter())
        .map(|(t, &v)| match t {
            F64 => f64a(v),
            F32 => f32a(v as f32),
            _ => (v as i64) as u64,
        })
        .collect();
    let expect: f64 = vals
        .iter()
        .enumerate()
        .map(|(i, v)| v * (if i == 0 { 1. } else { (i + 1) as f64 }))
        .sum();
    let r = call(
        &mut c,
        &sig(ty.iter().map(|&t| s(t)).collect(), Some(s(F64))),
        sym("many"),
        &args,
    );
    assert_eq!(r.get::<f64>(), expect);
    let args: Vec<u64> = (1..=10).map(|i| (i * 3) as u64).collect();
    let r = call(
        &mut c,
        &sig(vec![s(I64); 10], Some(s(I64))),
        sym("sum10"),
        &args,
    );
    assert_eq!(r.get::<i64>(), (1..=10).map(|i| i * i * 3).sum::<i64>());
}

#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct II(i32, i32);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct DD(f64, f64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct FFF(f32, f32, f32);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct ID(i32, f64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct C3([u8; 3]);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct FI(f32, i32);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct L3(i64, i64, i64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Big40(f64, i32, [i8; 27]);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Inner(i16, i8);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct Nest(Inner, f32, f64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct LD(i64, f64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct DL(f64, i64);
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
struct LL(i64, i64);

fn t_ii() -> AbiType {
    st(8, 4, &[(0, I32), (4, I32)])
}
fn t_dd() -> AbiType {
    st(16, 8, &[(0, F64), (8, F64)])
}
fn t_fff() -> AbiType {
    st(12, 4, &[(0, F32), (4, F32), (8, F32)])
}
fn t_id() -> AbiType {
    st(16, 8, &[(0, I32), (8, F64)])
}
fn t_c3() -> AbiType {
    st(3, 1, &[(0, I8), (1, I8), (2, I8)])
}
fn t_fi() -> AbiType {
    st(8, 4, &[(0, F32), (4, I32)])
}
fn t_l3() -> AbiType {
    st(24, 8, &[(0, I64), (8, I64), (16, I64)])
}
fn t_big() -> AbiType {
    let mut f = vec![(0, F64), (8, I32)];
    f.extend((0..27).map(|i| (12 + i, I8)));
    st(40, 8, &f)
}
fn t_nest() -> AbiType {
    st(16, 8, &[(0, I16), (2, I8), (4, F32), (8, F64)])
}
fn t_ld() -> AbiType {
    st(16, 8, &[(0, I64), (8, F64)])
}
fn t_dl() -> AbiType {
    st(16, 8, &[(0, F64), (8, I64)])
}
fn t_ll() -> AbiType {
    st(16, 8, &[(0, I64), (8, I64)])
}

#[test]
fn struct_arguments() {
    let mut c = FfiCode::new().unwrap();
    let r = call(
        &mut c,
        &sig(vec![t_ii()], Some(s(I32))),
        sym("ii_sum"),
        &[ptr(&II(3, 4))],
    );
    assert_eq!(r.get::<i32>(), 34);
    let r = call(
        &mut c,
        &sig(vec![t_dd()], Some(s(F64))),
        sym("dd_sum"),
        &[ptr(&DD(1.5, 0.25))],
    );
    assert_eq!(r.get::<f64>(), 15.25);
    // Exactly 12 bytes, so a read past the end would be caught by Miri-like
    // tools; here it checks the partial eightbyte.
    let r = call(
        &mut c,
        &sig(vec![t_fff()], Some(s(F32))),
        sym("fff_sum"),
        &[ptr(&FFF(1., 2., 3.))],
    );
    assert_eq!(r.get::<f32>(), 123.);
    let r = call(
        &mut c,
        &sig(vec![t_id()], Some(s(F64))),
        sym("id_sum"),
        &[ptr(&ID(4, 0.5))],
    );
    assert_eq!(r.get::<f64>(), 40.5);
    let r = call(
        &mut c,
        &sig(vec![t_c3()], Some(s(I32))),
        sym("c3_sum"),
        &[ptr(&C3([1, 2, 3]))],
    );
    assert_eq!(r.get::<i32>(), 10203);
    let r = call(
        &mut c,
        &sig(vec![t_fi()], Some(s(F64))),
        sym("fi_sum"),
        &[ptr(&FI(2.5, 7))],
    );
    assert_eq!(r.get::<f64>(), 32.0);
    let r = call(
        &mut c,
        &sig(vec![t_l3()], Some(s(I64))),
        sym("l3_sum"),
        &[ptr(&L3(1, 2, 3))],
    );
    assert_eq!(r.get::<i64>(), 123);
    let mut chars = [0i8; 27];
    for (i, ch) in chars.iter_mut().enumerate() {
        *ch = i as i8;
    }
    let r = call(
        &mut c,
        &sig(vec![t_big()], Some(s(F64))),
        sym("big_sum"),
        &[ptr(&Big40(2.0, 5, chars))],
    );
    assert_eq!(r.get::<f64>(), 2005.0 + (0..27).sum::<i32>() as f64);
    let r = call(
        &mut c,
        &sig(vec![t_nest()], Some(s(F64))),
        sym("nest_sum"),
        &[ptr(&Nest(Inner(3, 4), 0.5, 0.25))],
    );
    assert_eq!(r.get::<f64>(), 3405.25);
}

#[test]
fn struct_arguments_when_registers_run_out() {
    let mut c = FfiCode::new().unwrap();
    let sg = sig(
        vec![
            s(I32),
            s(I32),
            s(I32),
            s(I32),
            s(I32),
            t_dd(),
            t_ii(),
            t_l3(),
            t_ld(),
            s(I64),
        ],
        Some(s(F64)),
    );
    let (dd, ii, l3, ld) = (
        DD(0.5, 0.25),
        II(10, 20),
        L3(100, 200, 300),
        LD(1000, 0.125),
    );
    let r = call(
        &mut c,
        &sg,
        sym("regs_out"),
        &[1, 2, 3, 4, 5, ptr(&dd), ptr(&ii), ptr(&l3), ptr(&ld), 7],
    );
    assert_eq!(
        r.get::<f64>(),
        15.0 + 0.75 + 30.0 + 600.0 + 1000.125 + 7000.0
    );
    let sg = sig(
        vec![
            s(I64),
            s(I64),
            s(I64),
            s(I64),
            s(I64),
            t_l3(),
            t_ii(),
            s(I64),
        ],
        Some(s(I64)),
    );
    let r = call(
        &mut c,
        &sg,
        sym("split_avoid"),
        &[1, 2, 3, 4, 5, ptr(&l3), ptr(&II(6, 7)), 8],
    );
    assert_eq!(r.get::<i64>(), 15 + 670 + 8_000_000);
    let sg = sig(
        vec![s(I64), s(I64), s(I64), s(I64), s(I64), t_ll(), s(I64)],
        Some(s(I64)),
    );
    let r = call(
        &mut c,
        &sg,
        sym("ll_after5"),
        &[1, 2, 3, 4, 5, ptr(&LL(6, 7)), 8],
    );
    assert_eq!(r.get::<i64>(), 15 + 600 + 7000 + 800000);
}

#[test]
fn struct_results() {
    let mut c = FfiCode::new().unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(I32), s(I32)], Some(t_ii())),
        sym("ret_ii"),
        &[5, (-6i64) as u64],
    );
    assert_eq!(r.get::<II>(), II(5, -6));
    let r = call(
        &mut c,
        &sig(vec![s(F64), s(F64)], Some(t_dd())),
        sym("ret_dd"),
        &[f64a(1.5), f64a(-2.5)],
    );
    assert_eq!(r.get::<DD>(), DD(1.5, -2.5));
    let r = call(
        &mut c,
        &sig(vec![s(F32), s(F32), s(F32)], Some(t_fff())),
        sym("ret_fff"),
        &[f32a(1.), f32a(2.), f32a(3.)],
    );
    assert_eq!(r.get::<FFF>(), FFF(1., 2., 3.));
    let r = call(
        &mut c,
        &sig(vec![s(I32), s(F64)], Some(t_id())),
        sym("ret_id"),
        &[9, f64a(0.75)],
    );
    assert_eq!(r.get::<ID>(), ID(9, 0.75));
    let r = call(
        &mut c,
        &sig(vec![s(I64), s(F64)], Some(t_ld())),
        sym("ret_ld"),
        &[(-9i64) as u64, f64a(0.5)],
    );
    assert_eq!(r.get::<LD>(), LD(-9, 0.5));
    let r = call(
        &mut c,
        &sig(vec![s(F64), s(I64)], Some(t_dl())),
        sym("ret_dl"),
        &[f64a(0.5), 77],
    );
    assert_eq!(r.get::<DL>(), DL(0.5, 77));
    let r = call(&mut c, &sig(vec![], Some(t_c3())), sym("ret_c3"), &[]);
    assert_eq!(r.get::<C3>(), C3([1, 2, 3]));
    let r = call(
        &mut c,
        &sig(vec![s(F32), s(I32)], Some(t_fi())),
        sym("ret_fi"),
        &[f32a(1.25), 3],
    );
    assert_eq!(r.get::<FI>(), FI(1.25, 3));
    let r = call(
        &mut c,
        &sig(vec![s(I64), s(I64), s(I64)], Some(t_l3())),
        sym("ret_l3"),
        &[1, 2, 3],
    );
    assert_eq!(r.get::<L3>(), L3(1, 2, 3));
    let r = call(
        &mut c,
        &sig(vec![s(F64), s(I32)], Some(t_big())),
        sym("ret_big"),
        &[f64a(6.5), 8],
    );
    let b = r.get::<Big40>();
    assert_eq!((b.0, b.1), (6.5, 8));
    assert!(b.2.iter().enumerate().all(|(i, &x)| x == i as i8));
    let r = call(&mut c, &sig(vec![], Some(t_nest())), sym("ret_nest"), &[]);
    assert_eq!(r.get::<Nest>(), Nest(Inner(-7, 5), 2.5, 9.75));
}

#[test]
fn variadic_calls() {
    let mut c = FfiCode::new().unwrap();
    let mut buf = [0u8; 128];
    let fmt = CString::new("%g %d %s %f %ld %.3e %c|%g %g %g %g %g %g %g %g %g").unwrap();
    let word = CString::new("word").unwrap();
    let mut args = vec![
        s(Ptr),
        s(U64),
        s(Ptr),
        s(F64),
        s(I32),
        s(Ptr),
        s(F64),
        s(I64),
        s(F64),
        s(I32),
    ];
    args.extend(std::iter::repeat_n(s(F64), 9));
    let sg = AbiSig {
        args,
        ret: Some(s(I32)),
        nfixed: 3,
    };
    let mut a = vec![
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
        fmt.as_ptr() as u64,
        f64a(1.5),
        (-42i64) as u64,
        word.as_ptr() as u64,
        f64a(2.25),
        1 << 40,
        f64a(12345.678),
        b'Z' as u64,
    ];
    a.extend((1..=9).map(|i| f64a(i as f64 + 0.5)));
    let r = call(&mut c, &sg, libc_sym("snprintf"), &a);
    let out = CStr::from_bytes_until_nul(&buf).unwrap().to_str().unwrap();
    let expect =
        "1.5 -42 word 2.250000 1099511627776 1.235e+04 Z|1.5 2.5 3.5 4.5 5.5 6.5 7.5 8.5 9.5";
    assert_eq!(out, expect);
    assert_eq!(r.get::<i32>(), expect.len() as i32);

    // Doubles only, more than 8 of them (some on the stack).
    for n in [0usize, 1, 3, 8, 12] {
        let mut args = vec![s(I32)];
        args.extend(std::iter::repeat_n(s(F64), n));
        let sg = AbiSig {
            args,
            ret: Some(s(F64)),
            nfixed: 1,
        };
        let mut a = vec![n as u64];
        a.extend((0..n).map(|i| f64a(i as f64 * 1.5)));
        let r = call(&mut c, &sg, sym("vsum_d"), &a);
        assert_eq!(
            r.get::<f64>(),
            (0..n).map(|i| i as f64 * 1.5).sum::<f64>(),
            "n={}",
            n
        );
    }
    // Mixed pairs so that both the integer registers and the stack are used
    // (the stub finds the target on the stack).
    let mut args = vec![s(I32)];
    for _ in 0..10 {
        args.push(s(I64));
        args.push(s(F64));
    }
    let sg = AbiSig {
        args,
        ret: Some(s(I64)),
        nfixed: 1,
    };
    let mut a = vec![10u64];
    for i in 0..10 {
        a.push(i as u64 + 1);
        a.push(f64a(2.0));
    }
    let r = call(&mut c, &sg, sym("vsum_mixed"), &a);
    assert_eq!(r.get::<i64>(), 110);
}

// ---- callbacks ----

unsafe extern "C-unwind" fn cmp_dispatch(ctx: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: qsort passes two pointers to i32 elements.
    unsafe {
        let a = *(*args as *const i32);
        let b = *(*args.add(1) as *const i32);
        *(ctx as *mut u32) += 1;
        *(ret as *mut i32) = a.cmp(&b) as i32;
    }
}

#[test]
fn qsort_with_generated_comparator() {
    let mut c = FfiCode::new().unwrap();
    let mut calls: u32 = 0;
    let cmp = c
        .callback(
            &sig(vec![s(Ptr), s(Ptr)], Some(s(I32))),
            cmp_dispatch,
            &mut calls as *mut u32 as usize,
        )
        .unwrap();
    let mut v: Vec<i32> = vec![5, -3, 99, 0, 12, 7, -100, 42, 8, 1];
    let sg = sig(vec![s(Ptr), s(U64), s(U64), s(Ptr)], None);
    call(
        &mut c,
        &sg,
        libc_sym("qsort"),
        &[v.as_mut_ptr() as u64, v.len() as u64, 4, cmp as u64],
    );
    assert_eq!(v, vec![-100, -3, 0, 1, 5, 7, 8, 12, 42, 99]);
    assert!(calls > 0);
}

unsafe extern "C-unwind" fn ids_dispatch(ctx: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: the callback signature is (int, double, const char *) -> double.
    unsafe {
        assert_eq!(ctx, 1234);
        let i = *args as i64;
        let d = f64::from_bits(*args.add(1));
        let s = CStr::from_ptr(*args.add(2) as *const std::ffi::c_char);
        *(ret as *mut f64) = i as f64 * d + s.to_bytes().len() as f64;
    }
}

unsafe extern "C-unwind" fn ff_dispatch(_: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: (float, float) -> float.
    unsafe {
        let a = f32::from_bits(*args as u32);
        let b = f32::from_bits(*args.add(1) as u32);
        assert_eq!(*args >> 32, 0, "F32 slot zero-extended");
        *(ret as *mut f32) = a * b;
    }
}

unsafe extern "C-unwind" fn many_dispatch(_: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: 7 longs, a double, a signed char, an unsigned short -> long.
    unsafe {
        let mut sum: i64 = (0..7).map(|i| *args.add(i) as i64).sum();
        sum += (f64::from_bits(*args.add(7)) * 100.0) as i64;
        assert_eq!(*args.add(8) as i64, -3, "I8 sign-extended");
        assert_eq!(*args.add(9), 65000, "U16 zero-extended");
        sum += (*args.add(8) as i64) * 1000 + *args.add(9) as i64;
        *(ret as *mut i64) = sum;
    }
}

#[test]
fn scalar_callbacks() {
    let mut c = FfiCode::new().unwrap();
    let cb = c
        .callback(
            &sig(vec![s(I32), s(F64), s(Ptr)], Some(s(F64))),
            ids_dispatch,
            1234,
        )
        .unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr)], Some(s(F64))),
        sym("call_cb_ids"),
        &[cb as u64],
    );
    assert_eq!(r.get::<f64>(), (3.5 + 3.0) + (-2.25 + 2.0));
    let cb = c
        .callback(&sig(vec![s(F32), s(F32)], Some(s(F32))), ff_dispatch, 0)
        .unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr)], Some(s(F32))),
        sym("call_cb_f"),
        &[cb as u64],
    );
    assert_eq!(r.get::<f32>(), 4.0);
    let mut a = vec![s(I64); 7];
    a.extend([s(F64), s(I8), s(U16)]);
    let cb = c.callback(&sig(a, Some(s(I64))), many_dispatch, 0).unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr)], Some(s(I64))),
        sym("call_cb_many"),
        &[cb as u64],
    );
    assert_eq!(r.get::<i64>(), 28 + 50 - 3000 + 65000);
}

unsafe extern "C-unwind" fn struct_dispatch(_: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: (II, DD, L3) -> DD; struct slots hold pointers to the bytes.
    unsafe {
        let a = *(*args as *const II);
        let b = *(*args.add(1) as *const DD);
        let c = *(*args.add(2) as *const L3);
        *(ret as *mut DD) = DD(
            a.0 as f64 + b.0 + c.0 as f64,
            a.1 as f64 + b.1 + (c.1 + c.2) as f64,
        );
    }
}

unsafe extern "C-unwind" fn big_ret_dispatch(_: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: (long) -> L3.
    unsafe {
        let n = *args as i64;
        *(ret as *mut L3) = L3(n, n + 1, n + 2);
    }
}

#[test]
fn struct_callbacks() {
    let mut c = FfiCode::new().unwrap();
    let cb = c
        .callback(
            &sig(vec![t_ii(), t_dd(), t_l3()], Some(t_dd())),
            struct_dispatch,
            0,
        )
        .unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr)], Some(s(F64))),
        sym("call_cb_struct"),
        &[cb as u64],
    );
    assert_eq!(
        r.get::<f64>(),
        (1.0 + 3.5 + 5.0) * 10.0 + (2.0 + 4.5 + 13.0)
    );
    let cb = c
        .callback(&sig(vec![s(I64)], Some(t_l3())), big_ret_dispatch, 0)
        .unwrap();
    let r = call(
        &mut c,
        &sig(vec![s(Ptr)], Some(s(I64))),
        sym("call_cb_big"),
        &[cb as u64],
    );
    assert_eq!(r.get::<i64>(), 456);
}

unsafe extern "C-unwind" fn panicking_dispatch(_: usize, args: *const u64, ret: *mut u8) {
    // SAFETY: (int) -> int.
    let x = unsafe { *args as i32 };
    if x < 0 {
        panic!("lua error {}", x);
    }
    // SAFETY: as above.
    unsafe { *(ret as *mut i32) = x * 2 };
}

#[test]
fn panic_unwinds_through_callback_c_and_thunk() {
    let mut c = FfiCode::new().unwrap();
    let cb = c
        .callback(&sig(vec![s(I32)], Some(s(I32))), panicking_dispatch, 0)
        .unwrap();
    let sg = sig(vec![s(Ptr), s(I32)], Some(s(I32)));
    let r = call(&mut c, &sg, sym("call_cb_unwind"), &[cb as u64, 20]);
    assert_eq!(r.get::<i32>(), 41);
    for _ in 0..3 {
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            call(
                &mut c,
                &sg,
                sym("call_cb_unwind"),
                &[cb as u64, (-5i64) as u64],
            );
        }));
        let err = caught.expect_err("panic must propagate");
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert_eq!(msg, "lua error -5");
    }
    // Still usable afterwards.
    let r = call(&mut c, &sg, sym("call_cb_unwind"), &[cb as u64, 1]);
    assert_eq!(r.get::<i32>(), 3);
}
