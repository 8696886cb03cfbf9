-- ffi.cdef: typedefs, structs, unions, nested and anonymous members, arrays,
-- enums, bitfields, #pragma pack, attributes; checked through
-- sizeof/alignof/offsetof and field access.
local ffi = require "ffi"

ffi.cdef [[
typedef int myint;
typedef unsigned char u8;
typedef struct point { int x, y; } point_t;
typedef struct { double re, im; } complex_t;
struct mixed { char c; double d; short s; };
union both { int i; float f; unsigned char b[4]; };
struct outer {
  int tag;
  struct { int a, b; } inner;
  union { int asint; float asfloat; };
  struct { short lo, hi; };
  point_t pts[3];
};
enum color { RED, GREEN = 5, BLUE, NEG = -3 };
typedef enum { SMALL = 1, LARGE = 100 } size_e;
struct bits { unsigned a:3; unsigned b:5; int c:4; unsigned :0; unsigned d:1; };
#pragma pack(push, 1)
struct packed { char c; int i; short s; };
#pragma pack(pop)
struct unpacked { char c; int i; short s; };
struct aligned16 { char c; } __attribute__((aligned(16)));
struct withpacked { char c; int i; } __attribute__((packed));
typedef int int4[4];
struct matrix { double m[2][3]; };
struct flex { int n; double data[?]; };
]]

local function show(name, ct)
  print(name, ffi.sizeof(ct), ffi.alignof(ct))
end

show("myint", "myint")
show("u8", "u8")
show("point_t", "point_t")
show("struct point", "struct point")
show("complex_t", "complex_t")
show("struct mixed", "struct mixed")
print("mixed offsets", ffi.offsetof("struct mixed", "c"),
  ffi.offsetof("struct mixed", "d"), ffi.offsetof("struct mixed", "s"))
show("union both", "union both")
show("struct outer", "struct outer")
print("outer offsets", ffi.offsetof("struct outer", "inner"),
  ffi.offsetof("struct outer", "asint"), ffi.offsetof("struct outer", "asfloat"),
  ffi.offsetof("struct outer", "lo"), ffi.offsetof("struct outer", "hi"),
  ffi.offsetof("struct outer", "pts"))
show("enum color", "enum color")
print("enum values", ffi.C.RED, ffi.C.GREEN, ffi.C.BLUE, ffi.C.NEG)
print("enum anon", ffi.C.SMALL, ffi.C.LARGE)
show("struct bits", "struct bits")
show("struct packed", "struct packed")
print("packed offsets", ffi.offsetof("struct packed", "i"), ffi.offsetof("struct packed", "s"))
show("struct unpacked", "struct unpacked")
print("unpacked offsets", ffi.offsetof("struct unpacked", "i"), ffi.offsetof("struct unpacked", "s"))
show("struct aligned16", "struct aligned16")
show("struct withpacked", "struct withpacked")
show("int4", "int4")
show("struct matrix", "struct matrix")
print("flex", ffi.sizeof("struct flex", 0), ffi.sizeof("struct flex", 5), ffi.alignof("struct flex"))
print("vla", ffi.sizeof("int[?]", 10), ffi.sizeof("double[?]", 3))
show("int[10]", "int[10]")
show("char *", "char *")
show("void *", "void *")
show("int64_t", "int64_t")
show("uint16_t", "uint16_t")
show("bool", "bool")
show("float", "float")
show("long", "long")
show("size_t", "size_t")
print("offsetof missing", ffi.offsetof("struct point", "z"))

-- Using the declared types.
local o = ffi.new("struct outer")
o.tag = 7
o.inner.a, o.inner.b = 1, 2
o.asfloat = 1.0
print("union alias", o.asint)
o.lo, o.hi = 3, 4
o.pts[2].y = 9
print("outer", o.tag, o.inner.a, o.inner.b, o.lo, o.hi, o.pts[2].y, o.pts[0].x)

local u = ffi.new("union both")
u.i = 0x01020304
print("union bytes", u.b[0], u.b[1], u.b[2], u.b[3])

local b = ffi.new("struct bits")
b.a = 9          -- 3 bits: 9 -> 1
b.b = 31
b.c = -3
b.d = 3          -- 1 bit -> 1
print("bits", b.a, b.b, b.c, b.d)
b.c = 7
print("bits c=7", b.c)
b.c = 8          -- wraps into the sign bit
print("bits c=8", b.c)

local m = ffi.new("struct matrix")
for i = 0, 1 do for j = 0, 2 do m.m[i][j] = i * 10 + j end end
print("matrix", m.m[0][0], m.m[0][2], m.m[1][0], m.m[1][2])

local e = ffi.new("enum color", "BLUE")
print("enum cdata", e, e == ffi.C.BLUE, tonumber(e))
local e2 = ffi.new("size_e", 100)
print("enum from int", tonumber(e2))

-- Redefinition of a struct is an error; redefinition of a compatible
-- typedef is not checked here.
print(pcall(ffi.cdef, "struct point { int x; };"))
