-- FFI shapes in hot loops: 64-bit integer arithmetic (a hash with
-- wrap-around), a linked list walked with p = p.next, a vector type with
-- metatype arithmetic and ffi.new in the loop, ffi.cast to an integer, and
-- a variadic C call (snprintf).
local ffi = require "ffi"
ffi.cdef [[
int snprintf(char *s, size_t n, const char *fmt, ...);
typedef struct lnode { int v; struct lnode *next; } lnode;
typedef struct { double x, y; } vec2;
]]
local C = ffi.C
local N = tonumber(arg and arg[1]) or 2000000

-- 1. FNV-1a style hash over numbers in uint64_t
local h = 14695981039346656037ULL
for i = 1, N * 4 do
  h = (h + i) * 1099511628211ULL
end
print("hash", h)

-- 2. linked list walk
local n = 1000
local nodes = ffi.new("lnode[?]", n)
for i = 0, n - 1 do
  nodes[i].v = i % 17
  nodes[i].next = i + 1 < n and nodes + i + 1 or nil
end
local sum = 0
for k = 1, math.floor(N / 200) do
  local p = nodes + 0
  while p ~= nil do
    sum = sum + p.v
    p = p.next
  end
end
print("list", sum)

-- 3. metatype arithmetic with allocation
local V
V = ffi.metatype("vec2", {
  __add = function(a, b) return V(a.x + b.x, a.y + b.y) end,
  __mul = function(a, k) return V(a.x * k, a.y * k) end,
  __index = { dot = function(a, b) return a.x * b.x + a.y * b.y end },
})
local acc = V(0, 0)
local d = 0
for i = 1, N do
  local v = V(i % 10, 1) * 0.5
  acc = acc + v
  d = d + acc:dot(v) * 1e-9
end
print("vec2", acc.x, acc.y, string.format("%.3f", d))

-- 4. ffi.cast and int64 comparisons
local c, big = 0LL, 0
for i = 1, N * 2 do
  local x = ffi.cast("int", i)
  c = c + x
  if c > 1000000LL then big = big + 1 end
end
print("cast", c, big)

-- 5. a variadic C call
local buf = ffi.new("char[64]")
local len = 0
for i = 1, math.floor(N / 20) do
  len = len + C.snprintf(buf, 64, "%d:%.2f", ffi.cast("int", i), i * 0.5)
end
print("snprintf", len, ffi.string(buf))
