-- ffi.typeof / ffi.istype / tostring of ctypes, ffi.cast between numbers and
-- pointers, and conversions of Lua values when storing into cdata.
local ffi = require "ffi"

ffi.cdef [[
struct foo { int a; double b; };
typedef struct foo foo_t;
union u { int i; };
typedef int (*binop)(int, int);
struct holder { int i; unsigned char u8; bool flag; const char *str; void *ptr; float f; };
]]

-- tostring of ctype objects
for _, t in ipairs {
  "int", "unsigned int", "struct foo", "struct foo *", "foo_t", "foo_t *",
  "const char *", "int[4]", "int(*)[4]", "double", "union u",
  "int64_t", "uint8_t", "void *", "char", "bool", "float[2][3]",
} do
  print(t, tostring(ffi.typeof(t)))
end

-- typeof of cdata and parameterised types
local f = ffi.new("struct foo")
print("typeof(cdata)", tostring(ffi.typeof(f)))
print("typeof $", tostring(ffi.typeof("$ *", ffi.typeof("struct foo"))))
print("typeof $[n]", tostring(ffi.typeof("$[$]", ffi.typeof("int"), 5)))
print("type()", type(ffi.typeof("int")), type(f), type(ffi.new("int")))
print("ctype equality", ffi.typeof("foo_t") == ffi.typeof("struct foo"))

-- istype
print("istype struct", ffi.istype("struct foo", f), ffi.istype("foo_t", f))
print("istype other", ffi.istype("union u", f), ffi.istype("int", 1), ffi.istype("int", "x"))
print("istype ptr", ffi.istype("struct foo *", ffi.new("struct foo *")),
  ffi.istype("struct foo *", f))
local arr = ffi.new("int[3]")
print("istype arr", ffi.istype("int[3]", arr), ffi.istype("int *", arr))
print("istype qualifiers", ffi.istype("const int", ffi.new("int", 1)))

-- casts: numbers
print("double->int", tonumber(ffi.cast("int", 3.99)), tonumber(ffi.cast("int", -3.99)))
print("int->uint8", tonumber(ffi.cast("uint8_t", 257)), tonumber(ffi.cast("uint8_t", -1)))
print("int->int16", tonumber(ffi.cast("int16_t", 40000)))
print("->uint32", tonumber(ffi.cast("uint32_t", -1)))
print("->double", tonumber(ffi.cast("double", 7)))
print("->float", tonumber(ffi.cast("float", 0.1)) == 0.1, tonumber(ffi.cast("float", 0.5)))
print("->bool", tonumber(ffi.cast("bool", 5)), tonumber(ffi.cast("bool", 0)))
print("->int64", ffi.cast("int64_t", 2^40), ffi.cast("uint64_t", 2^63), ffi.cast("int64_t", -1))

-- casts: pointers
local p = ffi.cast("void *", 0x1234)
print("int->ptr", p ~= nil, tonumber(ffi.cast("intptr_t", p)))
print("ptr->uintptr", ffi.cast("uintptr_t", p))
local null = ffi.cast("void *", 0)
print("null", null == nil, null ~= nil, tostring(null):match("^cdata<[^>]*>"))
local buf = ffi.new("uint8_t[8]", { 1, 2, 3, 4, 5, 6, 7, 8 })
local ip = ffi.cast("uint32_t *", buf)
print("reinterpret", ip[0], ip[1])
local bp = ffi.cast("uint8_t *", ip + 1)
print("back", bp[0], bp[-1])
local sp = ffi.cast("struct foo *", ffi.new("struct foo", 4, 0.5))
print("ptr from cdata", sp.a, sp.b)
print("cast keeps type", tostring(ffi.typeof(ffi.cast("int *", buf))))

-- conversions on stores
local h = ffi.new("struct holder")
h.i = 3.7;   print("int field 3.7", h.i)
h.i = -3.7;  print("int field -3.7", h.i)
h.u8 = 513;  print("u8 field 513", h.u8)
h.flag = true; print("bool true", h.flag)
h.flag = 0;  print("bool 0", h.flag)
h.flag = nil == nil and 1 or 0; print("bool 1", h.flag)
h.str = "hello"; print("string->const char*", ffi.string(h.str))
h.ptr = nil; print("nil->NULL", h.ptr == nil)
h.f = 1/3;   print("float rounding", h.f == 1/3, string.format("%.6f", h.f))
h.i = ffi.new("int64_t", 12); print("int64->int", h.i)
h.i = true and 1 or 0
print(pcall(function() h.i = "12" end))
print(pcall(function() h.i = {} end))
print(pcall(function() h.ptr = 1 end))
print(pcall(function() h.str = 1 end))
print(pcall(function() local x = ffi.cast("struct foo", 1); return x end))
print(pcall(ffi.cast, "struct foo", 1))
