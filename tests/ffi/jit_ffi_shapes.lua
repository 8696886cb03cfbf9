-- FFI shapes compiled in traces (each loop runs 300 times; the test harness
-- runs this under -joff, -Ohotloop=1 and -O0,hotloop=1, and tests/ffi_jit.rs
-- checks with -jv that every loop here becomes a trace): variadic C calls,
-- 64-bit integer arithmetic and comparisons, pointers carried from one
-- iteration to the next, ffi.new / ctype calls / metatype metamethods,
-- ffi.cast, structs passed and returned by value.
local ffi = require "ffi"
ffi.cdef [[
int snprintf(char *s, size_t n, const char *fmt, ...);
long syscall(long n, ...);
typedef struct { int quot, rem; } div_t;
div_t div(int num, int den);
typedef struct { double x, y; } lt_vec2;
typedef struct { int a, b, c; } lt_tri;
typedef struct { double v[4]; long n; } lt_big;
lt_vec2 lt_vec2_add(lt_vec2 a, lt_vec2 b);
double lt_vec2_dot(lt_vec2 a, lt_vec2 b);
lt_tri lt_tri_rot(lt_tri t, int k);
lt_big lt_big_scale(lt_big b, double k);
typedef struct node { int v; struct node *next; } node;
typedef struct { double x, y; } pt;
]]
local C = ffi.C
local L = ffi.load(os.getenv("LT_SANDWICH"))
local N = 300

-- Variadic calls: ints, doubles, strings, int64, more doubles than xmm
-- registers.
local buf = ffi.new("char[128]")
local total = 0
for i = 1, N do
  total = total + C.snprintf(buf, 128, "%d|%.3f|%s|%lld", ffi.cast("int", i), i / 7, "s", 1000000000000LL * i)
end
print("varargs", total, ffi.string(buf))
total = 0
for i = 1, N do
  total = total + C.snprintf(buf, 128, "%g %g %g %g %g %g %g %g %g %g %s", 1, 2, 3, 4, 5, 6, 7, 8, 9, i, "end")
end
print("varargs xmm", total, ffi.string(buf))
local pid = 0
for i = 1, N do pid = pid + tonumber(C.syscall(39)) % 2 end
print("syscall", pid >= 0)

-- 64-bit integers.
local acc = 0LL
for i = 1, N do acc = acc + i * 3LL - 1 end
print("int64", acc)
local u = 0ULL
for i = 1, N do u = u * 31ULL + i end
print("uint64", u)
local w = 9223372036854775800LL
for i = 1, N do w = w + 1 end
print("int64 wrap", w)
local lt, le, eq, ult = 0, 0, 0, 0
for i = 1, N do
  local x = i * 1LL
  if x < 150 then lt = lt + 1 end
  if x <= 150LL then le = le + 1 end
  if x == 77 then eq = eq + 1 end
  if -x < 5ULL then ult = ult + 1 end
end
print("int64 compare", lt, le, eq, ult)
local neg = 0LL
for i = 1, N do neg = neg + -(i * 2LL) end
print("int64 neg", neg, tonumber(neg))

-- A linked list walked with p = p.next.
local nodes = ffi.new("node[100]")
for i = 0, 98 do nodes[i].v = i nodes[i].next = nodes + i + 1 end
nodes[99].v = 99 nodes[99].next = nil
local sum = 0
for k = 1, 30 do
  local p = nodes + 0
  while p ~= nil do sum = sum + p.v p = p.next end
end
print("list", sum)

-- ffi.new, ctype calls and metatype metamethods.
local P = ffi.metatype("pt", {
  __add = function(a, b) return ffi.new("pt", a.x + b.x, a.y + b.y) end,
  __mul = function(a, k) return ffi.new("pt", a.x * k, a.y * k) end,
  __index = { len = function(p) return math.sqrt(p.x * p.x + p.y * p.y) end },
})
local q = P(0, 0)
for i = 1, N do q = q + P(1, 2) * 0.5 end
print("metatype", q.x, q.y, q:len())
local lens = 0
for i = 1, N do lens = lens + P(i, i):len() end
print("method", lens)
local made = 0
for i = 1, N do
  local d = ffi.new("double", i)
  local z = ffi.new("pt")
  made = made + d * 0 + z.x + 1
end
print("ffi.new", made)

-- ffi.cast.
local c = 0
for i = 1, N do local v = ffi.cast("int", i) c = c + v end
print("cast", c)
local c8 = 0
for i = 1, N do c8 = c8 + ffi.cast("uint8_t", i * 7) end
print("cast uint8_t", c8)
local vp = ffi.cast("void *", nodes)
local same = 0
for i = 1, N do if ffi.cast("node *", vp) == nodes + 0 then same = same + 1 end end
print("cast pointer", same)

-- Structs by value.
local a, b = ffi.new("lt_vec2", 1, 2), ffi.new("lt_vec2", 0.5, 0.25)
local dot = 0
for i = 1, N do
  a = L.lt_vec2_add(a, b)
  dot = dot + L.lt_vec2_dot(a, b)
end
print("vec2", a.x, a.y, dot)
local t = ffi.new("lt_tri", 1, 2, 3)
for i = 1, N do t = L.lt_tri_rot(t, 1) end
print("tri", t.a, t.b, t.c)
local big = ffi.new("lt_big", {{1, 2, 3, 4}, 0})
for i = 1, N do big = L.lt_big_scale(big, 1.001) end
print("big", string.format("%.6f %.6f", big.v[0], big.v[3]), tonumber(big.n))
local qs, rs = 0, 0
for i = 1, N do
  local d = C.div(i * 13, 7)
  qs = qs + d.quot
  rs = rs + d.rem
end
print("div", qs, rs)

-- A constructor in tail position (`return V(...)` in a metamethod).
local V
V = ffi.metatype("lt_vec2", { __sub = function(a, b) return V(a.x - b.x, a.y - b.y) end })
local r = V(1000, 2000)
for i = 1, N do r = r - V(i, 1) end
print("ctype tail call", r.x, r.y)

-- 64-bit integer / % ^ (division by zero gives 2^63, as LuaJIT).
local dv, md, pw = 0LL, 0LL, 0LL
for i = -10, 10 do
  dv = dv + 1000LL / i + (-7LL) / 2
  md = md + 1000LL % i + (-7LL) % 3
  pw = pw + 2LL ^ (i % 5) + (-1LL) ^ i + 3LL ^ -1
end
print("int64 div", dv, md, pw)
local ud, um, up = 0ULL, 0ULL, 0ULL
for i = 0, 20 do
  ud = ud + 100000ULL / i
  um = um + 100000ULL % i
  up = up + 3ULL ^ i
end
print("uint64 div", ud, um, up)
