-- Hot loops over cdata so the JIT compiles them at -Ohotloop=1: struct
-- field updates, array walks, pointer walks, int64 accumulators, libc calls,
-- conversions in the loop, metatype methods, loops that leave the trace
-- (type changes, nil pointers) and calls through function pointers.
local ffi = require "ffi"
ffi.cdef [[
typedef struct { int count; double total; int64_t big; uint8_t small; float f; } stats_t;
typedef struct particle { float x, y, vx, vy; } particle;
int abs(int x);
size_t strlen(const char *s);
double fabs(double x);
int snprintf(char *buf, size_t n, const char *fmt, ...);
]]
local C = ffi.C

local st = ffi.new("stats_t")
for i = 1, 1000 do
  st.count = st.count + 1
  st.total = st.total + i * 0.5
  st.big = st.big + i * 1000000
  st.small = st.small + 3          -- wraps modulo 256
  st.f = st.f + 0.25
end
print("struct", st.count, st.total, st.big, st.small, st.f)

local N = 1000
local a = ffi.new("int32_t[?]", N)
for i = 0, N - 1 do a[i] = (i * 7919) % 1009 - 500 end
local sum, mx, mn = 0, -1e9, 1e9
for i = 0, N - 1 do
  local v = a[i]
  sum = sum + v
  if v > mx then mx = v end
  if v < mn then mn = v end
end
print("array", sum, mx, mn)

local d = ffi.new("double[?]", N)
for i = 0, N - 1 do d[i] = i / 4 end
local p, e, s = ffi.cast("double *", d), d + N, 0
while p < e do s = s + p[0]; p = p + 1 end
print("ptr walk", s)

local abssum, lens = 0, 0
for i = 1, 1000 do
  abssum = abssum + C.abs(500 - i)
  lens = lens + tonumber(C.strlen("abc" .. (i % 10)))
end
print("libc", abssum, lens)

local fsum = 0
for i = 1, 1000 do fsum = fsum + C.fabs(-i * 0.5) end
print("fabs", fsum)

local buf = ffi.new("char[32]")
local total = 0
for i = 1, 300 do
  local n = C.snprintf(buf, 32, "%d", ffi.new("int", i * i))
  total = total + n
end
print("snprintf", total, ffi.string(buf))

-- truncating conversions inside a trace
local ib = ffi.new("int[1]")
local acc = 0
for i = 1, 1000 do
  ib[0] = i * 1.75
  acc = acc + ib[0]
end
print("truncation", acc)

-- uint8 and int16 wrapping inside a trace
local u8 = ffi.new("uint8_t[1]")
local i16 = ffi.new("int16_t[1]")
for i = 1, 1000 do u8[0] = u8[0] + 7; i16[0] = i16[0] + 100 end
print("wrap", u8[0], i16[0])

-- int64 arithmetic in a trace
local h = 1469598103934665603ULL
for i = 1, 1000 do h = (h * 1099511628211ULL) + i end
print("fnv-ish", h)
local q = 0LL
for i = 1, 1000 do q = q + (i * 1000003LL) % 97 - (-i * 3LL) / 7 end
print("int64 divmod", q)

-- metatype methods in a trace
local P = ffi.metatype("particle", {
  __index = {
    step = function(self, dt)
      self.x = self.x + self.vx * dt
      self.y = self.y + self.vy * dt
      if self.y < 0 then self.y = -self.y; self.vy = -self.vy end
      self.vy = self.vy - 1
    end,
  },
})
local ps = ffi.new("particle[10]")
for i = 0, 9 do ps[i].x = i; ps[i].vx = 1; ps[i].vy = i end
for t = 1, 200 do
  for i = 0, 9 do ps[i]:step(0.125) end
end
local sx, sy = 0, 0
for i = 0, 9 do sx = sx + ps[i].x; sy = sy + ps[i].y end
print("particles", sx, string.format("%.3f", sy))

-- a loop where the type of a value changes (side exits)
local mixed = 0
local box = ffi.new("double[1]")
for i = 1, 1000 do
  local v = (i % 3 == 0) and ffi.new("int", i) or i
  box[0] = box[0] + tonumber(v)
  if i % 100 == 0 then mixed = mixed + 1 end
end
print("mixed", box[0], mixed)

-- nil pointer checks in a loop
ffi.cdef "struct lnode { int v; struct lnode *next; };"
local nodes = ffi.new("struct lnode[100]")
for i = 0, 99 do
  nodes[i].v = i
  nodes[i].next = (i % 10 ~= 9) and nodes + i + 1 or nil
end
local chains, vs = 0, 0
for start = 0, 99, 10 do
  local n = nodes + start
  while n ~= nil do vs = vs + n.v; n = n.next end
  chains = chains + 1
end
print("chains", chains, vs)

-- calls through a function pointer and a Lua callback
local fp = ffi.cast("int (*)(int)", C.abs)
local fs = 0
for i = -500, 499 do fs = fs + fp(i) end
print("fnptr", fs)
local cb = ffi.cast("int (*)(int)", function(x) return x * 2 end)
local cs = 0
for i = 1, 300 do cs = cs + cb(i) end
print("callback", cs)
cb:free()

-- struct copies and allocation in a loop
local acc2 = 0
local T = ffi.typeof("struct { int a, b; }")
for i = 1, 1000 do
  local t = T(i, -i)
  local u = T(t)
  u.a = u.a * 2
  acc2 = acc2 + u.a + t.b
end
print("alloc", acc2)
