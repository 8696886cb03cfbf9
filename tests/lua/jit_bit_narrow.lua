-- bit.tobit / bit ops of sums: when every part is an int32 value the
-- trace adds ints (wrapping), guarding parts loaded from tables; parts
-- that are not int32 values (fractions, large numbers) leave the
-- compiled path and the interpreter gives the result (LuaJIT's traces
-- round part 2's fractions differently: expected from `luajit -joff`).
local bit = require("bit")
local tobit, band, bxor, rol = bit.tobit, bit.band, bit.bxor, bit.rol

-- 1. an MD5-style round: carried values, table loads, wrap-around
local K = {}
for i = 1, 64 do K[i] = tobit(math.floor(math.abs(math.sin(i)) * 4294967296)) end
local a, b, c, d = 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476
for i = 0, 999 do
  local f = bxor(b, band(c, d))
  local t = d
  d = c
  c = b
  b = tobit(b + rol(tobit(a + f + K[1 + i % 64] + i), 7))
  a = t
end
print(1, a, b, c, d)

-- 2. parts that stop being int32 values after a while
local vals = {}
for i = 1, 200 do vals[i] = i end
vals[150] = 0.5
vals[151] = 2 ^ 40 + 3
vals[152] = -0.25
local s = 0
for i = 1, 200 do
  s = s + tobit(vals[i] + i + 0.5 + 0.5) + band(vals[i] + 1, 0xff)
end
print(2, s)

-- 3. differences and constants at the int32 edges
local u = 0
for i = 1, 300 do
  u = bxor(u, tobit(0x7fffffff + i - (i % 7) + 2147483648))
  u = u + tobit(-i - 0x80000000)
end
print(3, u)

-- 4. sums whose parts are all fractions adding up to integers
local w = 0
for i = 1, 300 do w = w + tobit(i * 0.5 + i * 0.5) + tobit(i / 4 + i * 0.75) end
print(4, w)

-- 5. modulo by powers of two of integer expressions (masks of ints)
local m = 0
for i = -150, 150 do
  m = m + i % 4 + (5 * i + 1) % 16 + (-3 * i - 7) % 8 + (i - 1000) % 2
  m = m + (65536 * i) % 1024 + (2147483648 + i) % 16 + (i * 3 + i) % 1
  m = m + (i + 0.5) % 4 + (i * 0.5) % 2
end
print(5, m)
-- reference: luajit -joff (LuaJIT's traces give other results here)
