//! Type table and parser tests; expected values were produced by LuaJIT 2.1.

use lunatrace_ffi::abi::{AbiType, Scalar};
use lunatrace_ffi::cparse::{cdef, parse_type, TypeParam};
use lunatrace_ffi::ctype::CTypes;
use lunatrace_ffi::ctype::{BitPos, Symbol};

fn name(cts: &mut CTypes, t: &str) -> String {
    match parse_type(cts, t, &[]) {
        Ok(id) => cts.type_name(id),
        Err(e) => format!("ERR {e}"),
    }
}

#[test]
fn type_names() {
    let mut cts = CTypes::new();
    cdef(
        &mut cts,
        "struct foo {int a;}; union u {int a;}; enum e {A,B};",
    )
    .unwrap();
    let cases = [
        ("int", "int"),
        ("const char *", "const char *"),
        ("int[10]", "int [10]"),
        ("int(*)(int, double)", "int (*)()"),
        ("struct foo", "struct foo"),
        ("struct foo *", "struct foo *"),
        ("union u", "union u"),
        ("enum e", "enum e"),
        ("int(&)[3]", "int (&)[3]"),
        ("uint8_t", "unsigned char"),
        ("int64_t", "int64_t"),
        ("int8_t", "char"),
        ("int16_t", "short"),
        ("uint16_t", "unsigned short"),
        ("int32_t", "int"),
        ("uint32_t", "unsigned int"),
        ("uint64_t", "uint64_t"),
        ("size_t", "uint64_t"),
        ("ssize_t", "int64_t"),
        ("intptr_t", "int64_t"),
        ("uintptr_t", "uint64_t"),
        ("ptrdiff_t", "int64_t"),
        ("wchar_t", "int"),
        ("va_list", "void *"),
        ("__builtin_va_list", "void *"),
        ("long", "int64_t"),
        ("unsigned long", "uint64_t"),
        ("long long", "int64_t"),
        ("unsigned long long", "uint64_t"),
        ("signed char", "char"),
        ("unsigned char", "unsigned char"),
        ("char", "char"),
        ("short", "short"),
        ("unsigned short", "unsigned short"),
        ("unsigned", "unsigned int"),
        ("bool", "bool"),
        ("_Bool", "bool"),
        ("float", "float"),
        ("double", "double"),
        ("void", "void"),
        ("void *", "void *"),
        ("const void *", "const void *"),
        ("char *const", "char *const"),
        ("const char *const *", "const char *const *"),
        ("int *[3]", "int *[3]"),
        ("int (*)[3]", "int (*)[3]"),
        ("int[2][3]", "int [2][3]"),
        ("int[?]", "int [?]"),
        ("int[]", "int []"),
        ("int[0]", "int [0]"),
        ("volatile int", "volatile int"),
        ("const volatile int", "const volatile int"),
        ("int (*)(void)", "int (*)()"),
        ("int (*)(int, ...)", "int (*)()"),
        ("void (*)(const char *, ...)", "void (*)()"),
        ("int (**)(int)", "int (**)()"),
        ("struct foo &", "struct foo &"),
        ("int(*[4])(int)", "int (*[4])()"),
        ("long double", "long double"),
        ("double (*(*)(int))(float)", "double (*(*)())()"),
        ("int (*const)(int)", "int (*const)()"),
        ("const int[3]", "const int [3]"),
        ("char &", "char &"),
        ("int __attribute__((stdcall)) (*)(int)", "int (*)()"),
        ("struct foo (*)(struct foo)", "struct foo (*)()"),
        ("signed", "int"),
        ("signed int", "int"),
        ("long int", "int64_t"),
        ("unsigned long int", "uint64_t"),
        ("short int", "short"),
        ("int * restrict", "int *"),
        ("int(int)", "int ()"),
        ("int *const [3]", "int *const [3]"),
        ("const int *volatile *const", "const int *volatile *const"),
        ("const struct foo *", "const struct foo *"),
        ("const struct foo", "const struct foo"),
        ("complex", "complex"),
        ("double complex", "complex"),
        ("float _Complex", "complex float"),
        ("unsigned double", "double"),
        ("int &&", "int &"),
        ("int[?][3]", "int [?][3]"),
        ("int *[?]", "int *[?]"),
        ("char[0x7fffffff]", "char [2147483647]"),
        ("int[1][2][3]", "int [1][2][3]"),
    ];
    let mut bad = Vec::new();
    for (t, want) in cases {
        let got = name(&mut cts, t);
        if got != want {
            bad.push(format!("{t:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn anonymous_ids_match_luajit() {
    let mut cts = CTypes::new();
    assert_eq!(name(&mut cts, "struct {int a;}"), "struct 97");
    assert_eq!(name(&mut cts, "struct {int a;}"), "struct 99");
    assert_eq!(name(&mut cts, "struct {int a; int b;}"), "struct 101");
    assert_eq!(name(&mut cts, "int *"), "int *");
    assert_eq!(name(&mut cts, "struct {int a;}"), "struct 105");
}

#[test]
fn interning() {
    let mut cts = CTypes::new();
    let a = parse_type(&mut cts, "int[4]", &[]).unwrap();
    let b = parse_type(&mut cts, "int[4]", &[]).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        parse_type(&mut cts, "char", &[]).unwrap(),
        parse_type(&mut cts, "signed char", &[]).unwrap()
    );
    let f1 = parse_type(&mut cts, "int(*)(int)", &[]).unwrap();
    let f2 = parse_type(&mut cts, "int(*)(int)", &[]).unwrap();
    assert_ne!(f1, f2); // as in LuaJIT
    let c = parse_type(&mut cts, "const int", &[]).unwrap();
    let i = parse_type(&mut cts, "int", &[]).unwrap();
    assert_ne!(c, i);
    assert_eq!(cts.unqualified(c), i);
}

#[test]
fn type_params() {
    let mut cts = CTypes::new();
    let i = parse_type(&mut cts, "int", &[]).unwrap();
    let p = parse_type(&mut cts, "$*", &[TypeParam::Type(i)]).unwrap();
    assert_eq!(cts.type_name(p), "int *");
    let a = parse_type(&mut cts, "$[$]", &[TypeParam::Type(p), TypeParam::Int(5)]).unwrap();
    assert_eq!(cts.type_name(a), "int *[5]");
    assert_eq!(
        parse_type(&mut cts, "$", &[]).unwrap_err(),
        "wrong number of type parameters"
    );
    let v = parse_type(&mut cts, "int[?]", &[]).unwrap();
    assert!(cts.is_vla(v));
    assert_eq!(cts.size_of(v), None);
    assert_eq!(cts.size_of_vla(v, 5), Some(20));
}

fn cdef_err(src: &str) -> String {
    let mut cts = CTypes::new();
    match cdef(&mut cts, src) {
        Ok(()) => "OK".into(),
        Err(e) => e,
    }
}

#[test]
fn cdef_errors_match_luajit() {
    let cases = [
        ("struct { int", "'<identifier>' expected near '<eof>'"),
        ("foo x;", "declaration specifier expected near 'foo'"),
        ("int x", "OK"),
        ("int x; int x;", "OK"),
        (
            "struct s {int a;}; struct s {int a;};",
            "attempt to redefine 's'",
        ),
        ("int f(int); int f(int);", "OK"),
        ("int f(int); int f(double);", "OK"),
        ("typedef int t; typedef int t;", "OK"),
        ("struct bar *p; struct bar b;", "OK"),
        ("int a[-1];", "size of C type is unknown or too large"),
        ("int (((a);", "')' expected near ';'"),
        ("enum { Q = 1/0 };", "invalid value"),
        ("enum { R = Q2 };", "unexpected symbol near 'Q2'"),
        ("int 3;", "'<identifier>' expected near '3'"),
        ("int x[?];", "OK"),
        ("#define X 1", "unexpected symbol near 'define'"),
        (
            "int a[2147483648];",
            "size of C type is unknown or too large",
        ),
        (
            "struct s3 { struct nope y; };",
            "size of C type is unknown or too large",
        ),
        ("int f() int;", "';' expected near 'int'"),
        ("int ;", "'<identifier>' expected near ';'"),
        ("enum e1 {E1}; enum e1 {E2};", "attempt to redefine 'e1'"),
        ("int $;", "wrong number of type parameters"),
        ("int a, ;", "'<identifier>' expected near ';'"),
        ("union u1; union u1 { int a; }; union u1 *p;", "OK"),
        ("struct s9; union s9;", "attempt to redefine 's9'"),
        ("int f(...);", "OK"),
        ("typedef struct s10 s10; struct s10 {int a;};", "OK"),
        ("char c = 'a';", "';' expected near '='"),
        ("int x __asm__(\"y\");", "OK"),
        ("int int x;", "'<identifier>' expected near 'int'"),
        ("struct {int a;} ;", "OK"),
        ("int a[1.5];", "'<identifier>' expected near '5'"),
        ("enum { Z = 3 }; int a[Z];", "OK"),
        ("int a[sizeof(int)];", "OK"),
        ("__attribute__((foo)) int x;", "OK"),
        ("int [3];", "'<identifier>' expected near '['"),
        ("int f(void, int);", "')' expected near ','"),
        ("int f(int, void);", "OK"),
        ("@", "declaration specifier expected near '@'"),
        ("int x; /* unterminated", "OK"),
        ("int x /", "';' expected near '/'"),
        ("int 0x1g;", "malformed number near '0x1g'"),
        ("static int y;", "invalid C type"),
        ("static const double KD = 1;", "invalid C type"),
        ("static const long L1 = 7;", "invalid C type"),
        ("int (*f)(int) = 0;", "';' expected near '='"),
        ("typedef int fn(int); fn g;", "OK"),
        ("int a[3][];", "size of C type is unknown or too large"),
        ("int a[][3];", "OK"),
        ("struct vv3 {int a[?]; int n;};", "'}' expected near 'n'"),
        ("auto int x;", "bad storage class near 'auto'"),
        ("int x:3;", "';' expected near ':'"),
        ("struct bf {int x:33;};", "invalid value near ':'"),
        ("struct bf2 {int x:0;};", "invalid value near ':'"),
        ("struct bf3 {float x:3;};", "invalid value near ':'"),
        ("struct bf4 {int :0; int :3; int a:2;};", "OK"),
        ("enum { A1 = 'x' };", "OK"),
        (
            "enum en4 {E=0x100000000};",
            "malformed number near '0x100000000'",
        ),
        (
            "enum {H7 = _Alignof(int)};",
            "unexpected symbol near '_Alignof'",
        ),
        ("#pragma once\n", "OK"),
        ("# 1 \"foo.h\"\n", "OK"),
        ("#pragma pack(2) int y;", "OK"),
        (
            &format!("enum {{A = {}1{}}};", "(".repeat(3000), ")".repeat(3000)),
            "chunk has too many syntax levels",
        ),
    ];
    let mut bad = Vec::new();
    for (src, want) in cases {
        let got = cdef_err(src);
        if got != want {
            bad.push(format!("{src:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn type_errors_match_luajit() {
    let mut cts = CTypes::new();
    let cases = [
        ("int[?][?]", "ERR size of C type is unknown or too large"),
        ("int x", "ERR '<eof>' expected near 'x'"),
        ("struct nope2", "ERR undeclared or implicit tag 'nope2'"),
        ("struct nope2 *", "ERR undeclared or implicit tag 'nope2'"),
        ("", "ERR declaration specifier expected near '<eof>'"),
        ("int(", "ERR ')' expected near '<eof>'"),
        ("int[3", "ERR ']' expected near '<eof>'"),
        ("int)", "ERR '<eof>' expected near ')'"),
        ("int[$]", "ERR wrong number of type parameters"),
        ("int & *", "ERR invalid C type"),
        ("void[3]", "ERR size of C type is unknown or too large"),
        ("int (*)(void)[3]", "ERR invalid C type"),
        ("int()()", "ERR invalid C type"),
        ("int()[3]", "ERR invalid C type"),
        ("int[3]()", "ERR size of C type is unknown or too large"),
        ("int[-1]", "ERR size of C type is unknown or too large"),
        (
            "char[0x80000000]",
            "ERR size of C type is unknown or too large",
        ),
        ("int (*)(int)[1]", "ERR invalid C type"),
        (
            &format!("{}int", "(".repeat(300)),
            "ERR declaration specifier expected near '('",
        ),
        (
            &format!("int {}", "(".repeat(300)),
            "ERR chunk has too many syntax levels",
        ),
    ];
    let mut bad = Vec::new();
    for (src, want) in cases {
        let got = name(&mut cts, src);
        if got != want {
            bad.push(format!("{src:?}: got {got:?}, want {want:?}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

const LAYOUT_SRC: &str = r#"
struct l1 {char c; double d; short s;};
struct l2 {char a; char b;};
union l3 {char c; int i; double d; char buf[13];};
struct bf5 { int a:3; int b:5; char c; int d:30; };
struct anon {int x; struct {int y; union {int z; float w;};}; };
struct al {char c; int x __attribute__((aligned(16)));};
struct __attribute__((packed)) pp {char c; int x;};
struct pr {char c; int x;} __attribute__((aligned(32)));
#pragma pack(push, 2)
struct pk3 {char c; int i; double d;};
#pragma pack(pop)
struct vw {double d; char n; char a[?];};
struct bf6 { unsigned a:1; unsigned b:31; unsigned c:2; };
struct bf7 { char a; short b:9; char c; };
struct bf8 { char a:4; char b:6; };
struct nest { struct l1 x; char y; };
struct arr { char c; int a[3]; };
enum big { BA = 1 << 4, BB = BA * 3 + (BA > 8 ? 100 : 200), BC = sizeof(struct l1) };
"#;

#[test]
fn layouts_match_luajit() {
    let mut cts = CTypes::new();
    cdef(&mut cts, LAYOUT_SRC).unwrap();
    // (type, sizeof, alignof, field, offsetof)
    let cases = [
        ("struct l1", 24, 8, "s", 16),
        ("struct l2", 2, 1, "b", 1),
        ("union l3", 16, 8, "buf", 0),
        ("struct bf5", 8, 4, "d", 4),
        ("struct anon", 12, 4, "w", 8),
        ("struct al", 32, 16, "x", 16),
        ("struct pp", 5, 1, "x", 1),
        ("struct pr", 32, 32, "x", 4),
        ("struct pk3", 14, 2, "d", 6),
        ("struct bf6", 8, 4, "c", 4),
        ("struct bf7", 6, 2, "c", 4),
        ("struct bf8", 2, 1, "b", 1),
        ("struct nest", 32, 8, "y", 24),
        ("struct arr", 16, 4, "a", 4),
    ];
    for (t, size, align, f, ofs) in cases {
        let id = parse_type(&mut cts, t, &[]).unwrap();
        assert_eq!(cts.size_of(id), Some(size), "sizeof {t}");
        assert_eq!(cts.align_of(id), align, "alignof {t}");
        assert_eq!(cts.field(id, f).unwrap().offset, ofs, "offsetof {t}.{f}");
    }
    let bf6 = parse_type(&mut cts, "struct bf6", &[]).unwrap();
    assert_eq!(
        cts.field(bf6, "b").unwrap().bits,
        Some(BitPos { pos: 1, width: 31 })
    );
    let bf7 = parse_type(&mut cts, "struct bf7", &[]).unwrap();
    let b = cts.field(bf7, "b").unwrap();
    assert_eq!((b.offset, b.bits), (2, Some(BitPos { pos: 0, width: 9 })));
    let bf5 = parse_type(&mut cts, "struct bf5", &[]).unwrap();
    let b = cts.field(bf5, "b").unwrap();
    assert_eq!((b.offset, b.bits), (0, Some(BitPos { pos: 3, width: 5 })));
    let vw = parse_type(&mut cts, "struct vw", &[]).unwrap();
    assert!(cts.is_vla(vw));
    assert_eq!(cts.size_of(vw), None);
    assert_eq!(cts.size_of_vla(vw, 5), Some(21));
    let consts: Vec<_> = ["BA", "BB", "BC"]
        .iter()
        .map(|n| match cts.symbol(n) {
            Some(Symbol::Const { value, .. }) => *value,
            _ => panic!("{n}"),
        })
        .collect();
    assert_eq!(consts, [16, 148, 24]);
}

#[test]
fn constant_expressions() {
    let mut cts = CTypes::new();
    cdef(
        &mut cts,
        "enum {F1 = 0xffffffff + 2, F2 = -1/2, F3 = 7 % -3, F4 = -7 >> 1, F5 = 1 ? 2 : 3, F6 = (1 < 2) + !0 + ~0};
         enum {G1 = 0xffffffffu / 2, G2 = -1u >> 1, G3 = 1 << 31};
         enum {H1 = -1 < 0u, H2 = sizeof(double), H3 = __alignof__(long double), H5 = sizeof(struct {char c; double d;})};
         enum {I1 = 1 && 0, I2 = 1 || 0, I3 = 3 == 3, I4 = 5 != 5, I5 = 2 >= 3, I6 = 5 ^ 3, I7 = 6 | 1, I8 = 6 & 3, I9 = 10 - 2 - 3};
         static const unsigned int U1 = 0xffffffff; static const char C1 = 300; static const short S1 = 70000;
         static const int K2 = 5, K3 = K2*2;",
    )
    .unwrap();
    let want: [(&str, i64); 25] = [
        ("F1", 1),
        ("F2", 0),
        ("F3", 1),
        ("F4", -4),
        ("F5", 2),
        ("F6", 1),
        ("G1", 2147483647),
        ("G2", 2147483647),
        ("G3", -2147483648),
        ("H1", 0),
        ("H2", 8),
        ("H3", 16),
        ("H5", 16),
        ("I1", 0),
        ("I2", 1),
        ("I3", 1),
        ("I4", 0),
        ("I5", 0),
        ("I6", 6),
        ("I7", 7),
        ("I8", 2),
        ("I9", 5),
        ("U1", 4294967295),
        ("C1", 44),
        ("S1", 4464),
    ];
    for (n, v) in want {
        match cts.symbol(n) {
            Some(Symbol::Const { value, .. }) => assert_eq!(*value, v, "{n}"),
            s => panic!("{n}: {s:?}"),
        }
    }
    assert!(matches!(
        cts.symbol("K3"),
        Some(Symbol::Const { value: 10, .. })
    ));
}

#[test]
fn symbols_and_abi() {
    let mut cts = CTypes::new();
    cdef(
        &mut cts,
        "typedef struct { float x, y; } vec2;
         struct big { double a; int b[3]; char c; };
         typedef int (*cb_t)(void *, int);
         int printf(const char *fmt, ...);
         vec2 vadd(vec2 a, vec2 b) __asm__(\"vec2_add\");
         void take(struct big b, cb_t cb, int arr[4], enum e {EA} e, bool f);
         extern int errno_like;
         typedef int a_t, *b_t;",
    )
    .unwrap();
    let Some(Symbol::Func { ty, asm }) = cts.symbol("vadd").cloned() else {
        panic!()
    };
    assert_eq!(asm.as_deref(), Some("vec2_add"));
    let sig = cts.abi_sig(ty, &[]).unwrap();
    let v2 = AbiType::Struct {
        size: 8,
        align: 4,
        fields: vec![(0, Scalar::F32), (4, Scalar::F32)],
    };
    assert_eq!(sig.args, vec![v2.clone(), v2.clone()]);
    assert_eq!(sig.ret, Some(v2));
    let Some(Symbol::Func { ty, .. }) = cts.symbol("take").cloned() else {
        panic!()
    };
    let sig = cts.abi_sig(ty, &[]).unwrap();
    assert_eq!(
        sig.args[0],
        AbiType::Struct {
            size: 24,
            align: 8,
            fields: vec![
                (0, Scalar::F64),
                (8, Scalar::I32),
                (12, Scalar::I32),
                (16, Scalar::I32),
                (20, Scalar::I8)
            ],
        }
    );
    assert_eq!(
        &sig.args[1..],
        &[
            AbiType::Scalar(Scalar::Ptr),
            AbiType::Scalar(Scalar::Ptr),
            AbiType::Scalar(Scalar::U32),
            AbiType::Scalar(Scalar::U8)
        ]
    );
    assert_eq!(sig.ret, None);
    let Some(Symbol::Func { ty, .. }) = cts.symbol("printf").cloned() else {
        panic!()
    };
    let f = parse_type(&mut cts, "float", &[]).unwrap();
    let s = parse_type(&mut cts, "short", &[]).unwrap();
    let p = parse_type(&mut cts, "char *", &[]).unwrap();
    let sig = cts.abi_sig(ty, &[f, s, p]).unwrap();
    assert_eq!(sig.nfixed, 1);
    assert_eq!(
        sig.args,
        vec![
            AbiType::Scalar(Scalar::Ptr),
            AbiType::Scalar(Scalar::F64),
            AbiType::Scalar(Scalar::I32),
            AbiType::Scalar(Scalar::Ptr)
        ]
    );
    assert!(matches!(cts.symbol("errno_like"), Some(Symbol::Var { .. })));
    let b = cts.typedef("b_t").unwrap();
    assert_eq!(cts.type_name(b), "int *");
    let cb = cts.typedef("cb_t").unwrap();
    assert_eq!(cts.type_name(cb), "int (*)()");
}

#[test]
fn forward_declarations() {
    let mut cts = CTypes::new();
    cdef(&mut cts, "struct node; typedef struct node *nodep;").unwrap();
    let n = parse_type(&mut cts, "struct node", &[]).unwrap();
    assert_eq!(cts.size_of(n), None);
    cdef(&mut cts, "struct node { nodep next; int v; };").unwrap();
    assert_eq!(cts.size_of(n), Some(16));
    assert_eq!(cts.field(n, "v").unwrap().offset, 8);
    let p = cts.typedef("nodep").unwrap();
    assert_eq!(cts.element(p), Some(n));
}

const FUZZ_SRC: &str = r#"
typedef struct foo { int a, *b; unsigned c:3; union { double d; char e[8]; }; } foo_t;
enum color { RED, GREEN = 5, BLUE = GREEN << 2 | 1 };
int printf(const char *, ...) __asm__("printf");
static const int K = sizeof(foo_t) * 2;
#pragma pack(push, 1)
struct __attribute__((packed)) p { char c; long long x __attribute__((aligned(8))); };
#pragma pack(pop)
double (*(*fp)(int, float))(struct foo *);
struct vls { int n; double v[?]; };
extern const char *const names[K];
"#;

#[test]
fn never_panics() {
    let src = FUZZ_SRC;
    for i in 0..=src.len() {
        if !src.is_char_boundary(i) {
            continue;
        }
        let mut cts = CTypes::new();
        let _ = cdef(&mut cts, &src[..i]);
        let _ = parse_type(&mut cts, &src[..i], &[]);
    }
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let alphabet = b"(){}[];,*&$?:<>=+-~!/%^|.#'\"0x1a_ \nintcharstruct";
    for _ in 0..3000 {
        let mut b = src.as_bytes().to_vec();
        for _ in 0..(1 + rnd() % 6) {
            let pos = (rnd() as usize) % b.len();
            match rnd() % 3 {
                0 => b[pos] = alphabet[(rnd() as usize) % alphabet.len()],
                1 => {
                    b.remove(pos);
                }
                _ => b.insert(pos, alphabet[(rnd() as usize) % alphabet.len()]),
            }
        }
        let s = String::from_utf8_lossy(&b);
        let mut cts = CTypes::new();
        let _ = cdef(&mut cts, &s);
        let _ = parse_type(&mut cts, &s, &[TypeParam::Int(3)]);
    }
    let deep = format!("int {}x{};", "(".repeat(10000), ")".repeat(10000));
    assert!(cdef(&mut CTypes::new(), &deep).is_err());
    let deep = format!("int {}", "*(".repeat(10000));
    assert!(parse_type(&mut CTypes::new(), &deep, &[]).is_err());
    let deep = format!("enum {{ A = {} }};", "-".repeat(10000));
    assert!(cdef(&mut CTypes::new(), &deep).is_err());
    let deep = format!("{}int a;{}", "struct {".repeat(5000), "};".repeat(5000));
    assert!(cdef(&mut CTypes::new(), &deep).is_err());
}
