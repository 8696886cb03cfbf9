/* C side of backend-cranelift/tests/ffi_thunk.rs. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

signed char ret_i8_m1(void) { return (signed char)-1; }
unsigned char ret_u8_max(void) { return (unsigned char)255; }
short ret_i16_m2(void) { return (short)-2; }
unsigned short ret_u16_max(void) { return (unsigned short)65535; }
int ret_i32_m3(void) { return -3; }
unsigned ret_u32_max(void) { return 0xffffffffu; }
long long ret_i64_m4(void) { return -4; }
unsigned long long ret_u64_max(void) { return ~0ull; }
bool ret_true(void) { return true; }
bool not_bool(bool b) { return !b; }

/* Arguments: check the callee sees properly extended values. */
long long add_i8(signed char a, signed char b) { return (long long)a + b; }
unsigned long long add_u8(unsigned char a, unsigned char b) { return (unsigned long long)a + b; }
long long add_i16(short a, short b) { return (long long)a + b; }
unsigned long long add_u16(unsigned short a, unsigned short b) { return (unsigned long long)a + b; }
long long add_i32(int a, int b) { return (long long)a + b; }
unsigned long long add_u32(unsigned a, unsigned b) { return (unsigned long long)a + b; }
long long add_i64(long long a, long long b) { return a + b; }
signed char neg_i8(signed char a) { return (signed char)-a; }
unsigned short inc_u16(unsigned short a) { return (unsigned short)(a + 1); }

float mul_f(float a, float b) { return a * b; }
double mul_d(double a, double b) { return a * b; }
double mix_fd(float a, double b, int c) { return a + b * c; }
float f_of_d(double d) { return (float)d; }

const char *strchr_p(const char *s, int c) { return strchr(s, c); }
void set_int(int *p, int v) { *p = v; }

/* More than 6 integer and more than 8 float arguments, interleaved. */
double many(int a1, double d1, long a2, float f2, int a3, double d3, short a4,
            double d4, int a5, double d5, long long a6, double d6, int a7,
            double d7, unsigned char a8, double d8, int a9, float f9,
            double d10) {
  return a1 + d1 * 2 + a2 * 3 + f2 * 4 + a3 * 5 + d3 * 6 + a4 * 7 + d4 * 8 +
         a5 * 9 + d5 * 10 + a6 * 11 + d6 * 12 + a7 * 13 + d7 * 14 + a8 * 15 +
         d8 * 16 + a9 * 17 + f9 * 18 + d10 * 19;
}
long sum10(long a, long b, long c, long d, long e, long f, long g, long h,
           long i, long j) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i +
         10 * j;
}

/* Structs by value. */
typedef struct { int a, b; } II;
typedef struct { double x, y; } DD;
typedef struct { float x, y, z; } FFF;
typedef struct { int i; double d; } ID;
typedef struct { char c[3]; } C3;
typedef struct { float f; int i; } FI;
typedef struct { long a, b, c; } L3;            /* 24 bytes */
typedef struct { double a; int b; char c[27]; } BIG40; /* 40 bytes */
typedef struct { struct { short s; char c; } in; float f; double d; } NEST;
typedef struct { long a; double b; } LD;
typedef struct { double a; long b; } DL;

int ii_sum(II s) { return s.a * 10 + s.b; }
double dd_sum(DD s) { return s.x * 10 + s.y; }
float fff_sum(FFF s) { return s.x * 100 + s.y * 10 + s.z; }
double id_sum(ID s) { return s.i * 10 + s.d; }
int c3_sum(C3 s) { return s.c[0] * 10000 + s.c[1] * 100 + s.c[2]; }
double fi_sum(FI s) { return s.f * 10 + s.i; }
long l3_sum(L3 s) { return s.a * 100 + s.b * 10 + s.c; }
double big_sum(BIG40 s) {
  double r = s.a * 1000 + s.b;
  for (int i = 0; i < 27; i++) r += s.c[i];
  return r;
}
double nest_sum(NEST s) { return s.in.s * 1000 + s.in.c * 100 + s.f * 10 + s.d; }
/* Registers run out: the 5 ints use rdi..r8, the struct DD still fits in
   xmm, II needs 1 gpr (r9), L3 goes on the stack, LD needs a gpr (none left)
   and goes on the stack, the last long goes on the stack too. */
double regs_out(int a, int b, int c, int d, int e, DD x, II y, L3 z, LD w,
                long last) {
  return a + b + c + d + e + x.x + x.y + y.a + y.b + z.a + z.b + z.c + w.a +
         w.b + last * 1000;
}
/* Only 1 gpr left when a 2-gpr struct comes: whole struct on the stack, the
   following int still takes the free register. */
long split_avoid(long a, long b, long c, long d, long e, L3 big, II pair2,
                 long f) {
  (void)big;
  return a + b + c + d + e + pair2.a * 100 + pair2.b * 10 + f * 1000000;
}
typedef struct { long a, b; } LL;
long ll_after5(long a, long b, long c, long d, long e, LL s, long f) {
  return a + b + c + d + e + s.a * 100 + s.b * 1000 + f * 100000;
}

II ret_ii(int a, int b) { II r = {a, b}; return r; }
DD ret_dd(double x, double y) { DD r = {x, y}; return r; }
FFF ret_fff(float x, float y, float z) { FFF r = {x, y, z}; return r; }
ID ret_id(int i, double d) { ID r = {i, d}; return r; }
LD ret_ld(long a, double b) { LD r = {a, b}; return r; }
DL ret_dl(double a, long b) { DL r = {a, b}; return r; }
C3 ret_c3(void) { C3 r = {{1, 2, 3}}; return r; }
FI ret_fi(float f, int i) { FI r = {f, i}; return r; }
L3 ret_l3(long a, long b, long c) { L3 r = {a, b, c}; return r; }
BIG40 ret_big(double a, int b) {
  BIG40 r;
  memset(&r, 0, sizeof r);
  r.a = a;
  r.b = b;
  for (int i = 0; i < 27; i++) r.c[i] = (char)i;
  return r;
}
NEST ret_nest(void) { NEST r = {{-7, 5}, 2.5f, 9.75}; return r; }

/* Variadic. */
double vsum_d(int n, ...) {
  va_list ap;
  va_start(ap, n);
  double s = 0;
  for (int i = 0; i < n; i++) s += va_arg(ap, double);
  va_end(ap);
  return s;
}
long vsum_mixed(int n, ...) {
  /* pairs (long, double) */
  va_list ap;
  va_start(ap, n);
  double s = 0;
  for (int i = 0; i < n; i++) {
    long l = va_arg(ap, long);
    double d = va_arg(ap, double);
    s += l * d;
  }
  va_end(ap);
  return (long)s;
}

/* Callbacks. */
double call_cb_ids(double (*cb)(int, double, const char *)) {
  return cb(7, 0.5, "abc") + cb(-1, 2.25, "xy");
}
float call_cb_f(float (*cb)(float, float)) { return cb(1.5f, 2.0f) + 1.0f; }
long call_cb_many(long (*cb)(long, long, long, long, long, long, long, double,
                             signed char, unsigned short)) {
  return cb(1, 2, 3, 4, 5, 6, 7, 0.5, (signed char)-3, (unsigned short)65000);
}
double call_cb_struct(DD (*cb)(II, DD, L3)) {
  II a = {1, 2};
  DD b = {3.5, 4.5};
  L3 c = {5, 6, 7};
  DD r = cb(a, b, c);
  return r.x * 10 + r.y;
}
long call_cb_big(L3 (*cb)(long)) {
  L3 r = cb(4);
  return r.a * 100 + r.b * 10 + r.c;
}
int call_cb_unwind(int (*cb)(int), int x) {
  /* A panic raised inside cb unwinds through this frame. */
  int r = cb(x);
  return r + 1;
}
