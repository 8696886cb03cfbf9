//! Type table and parser tests; expected values were produced by LuaJIT 2.1.

use lunatrace_ffi::abi::{AbiType, Scalar};
use lunatrace_ffi::cparse::{cdef, parse_type, TypeParam};
use lunatrace_ffi::ctype::CTypes;

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
