-- Cdata indexing, stores, 64-bit arithmetic and comparisons, the forms
-- the interpreter does directly (ffi/src/fast_index.rs, arith.rs
-- fast_arith/fast_compare, the ffi.cast parse cache), next to the forms
-- that must still reach the metamethods: bit fields, const members,
-- missing members, metatype handlers, errors.
local ffi = require "ffi"
ffi.cdef [[
typedef enum { RED, GREEN = 5 } colour;
typedef struct {
  int8_t i8; uint16_t u16; int32_t i32; uint32_t u32;
  int64_t i64; uint64_t u64; float f; double d; bool b; colour c;
  int *p; int arr[3];
  struct { int x, y; } pt;
  union { int asint; float asfloat; };
  unsigned bits : 3;
  const int ro;
} rec;
typedef struct { double x, y; } v2;
]]

local function show(...)
  local t = {}
  for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
  print(table.concat(t, " "))
end
local function try(label, f)
  local ok, e = pcall(f)
  print(label, ok, e)
end

local r = ffi.new("rec")
local ints = ffi.new("int[4]", 10, 20, 30, 40)
-- Stores of numbers into every numeric member (wrapping, truncating).
r.i8 = 300; r.u16 = -1; r.i32 = 2^31 - 5; r.u32 = -2; r.i64 = -7.9; r.u64 = 2^63
r.f = 1/3; r.d = 1/3; r.c = 5; r.arr[0] = 1.75; r.arr[2] = -3; r.pt.x = 8; r.pt.y = 9
r.asfloat = 1.5
show(r.i8, r.u16, r.i32, r.u32, r.i64, r.u64, r.f, r.d, tonumber(r.c))
show(r.arr[0], r.arr[1], r.arr[2], r.pt.x, r.pt.y, r.asint, r.asfloat)
-- Not numbers, bit fields, booleans, pointers: through the metamethods.
r.b = true; r.bits = 13; r.p = ints + 1; r.c = "GREEN"
show(r.b, r.bits, r.p[0], r.p[-1], r.p[2], tonumber(r.c))
r.b = 0
show(r.b, type(r.i64), type(r.p), type(r.pt))
-- A loop (hot under the JIT modes): element reads and writes, a pointer
-- walk.
local sum = 0
for i = 0, 3 do ints[i] = ints[i] * 2 + i; sum = sum + ints[i] end
local p = ints + 0
while p < ints + 4 do sum = sum + p[0]; p = p + 1 end
show(sum, p == ints + 4, p ~= nil, ints + 4 == p, p > ints)

-- Errors keep their messages.
try("missing member", function() return r.nosuch end)
try("store missing", function() r.nosuch = 1 end)
try("store const", function() r.ro = 1 end)
try("store string", function() r.i32 = "x" end)
try("index number", function() return r[1] end)
try("array member", function() return ints.x end)
try("int64 index", function() return ints[1LL] end)

-- A metatype: members first, then its __index; __newindex for others.
local V
V = ffi.metatype("v2", {
  __add = function(a, b) return V(a.x + b.x, a.y + b.y) end,
  __index = { len2 = function(a) return a.x * a.x + a.y * a.y end },
  __newindex = function(a, k, v) rawset(_G, "last_store", k .. "=" .. tostring(v)) end,
})
local acc = V(0, 0)
for i = 1, 50 do
  local v = V(i % 7, 0.5)
  acc = acc + v
  v.x = v.x * 2
end
acc.z = 3
show(acc.x, acc.y, acc:len2(), last_store)

-- 64-bit integer arithmetic and comparisons.
local a, b, big = 7LL, -3LL, 0xffffffffffffffffULL
show(a + 1, a - 10, a * b, a / b, a % b, b % a, a ^ 3, -a)
show(a / 0, 0LL / 0, big + 1, big * 2, big / 2, big % 10, 1 + big)
show(a < 8, a <= 7, a > b, b < big, big > 1, a == 7, 7 == a, a ~= b)
show(ffi.new("int32_t", 5) + 1, ffi.new("double", 2.5) * 2LL, a + 0.9)
local h = 14695981039346656037ULL
for i = 1, 100 do h = (h + i) * 1099511628211ULL end
show(h, h > 0, h == h + 0)

-- ffi.cast with a cached type string; a type declared after a failed cast.
local c = 0LL
for i = 1, 100 do c = c + ffi.cast("int", i * 1e7) end
show(c)
try("cast before typedef", function() return ffi.cast("later_t", 1) end)
ffi.cdef "typedef short later_t;"
show(tonumber(ffi.cast("later_t", 70000)), tonumber(ffi.cast("later_t", -70000)))
show(ffi.sizeof(ffi.new("int[?]", 3)), ffi.sizeof(ffi.new("int[?]", 5)))
show(ffi.typeof("$*", ffi.typeof("int")), ffi.typeof("$*", ffi.typeof("double")))
