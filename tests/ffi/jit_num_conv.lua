-- Numbers converted to C integers as LuaJIT on x86-64 converts them, on
-- every target and in compiled code as in the interpreter: out-of-range
-- and NaN values truncate to INT32_MIN (types narrower than 32 bits and
-- int32_t, then cut) or INT64_MIN (int64_t, uint32_t), uint64_t takes
-- 2^63..2^64 exactly; int64 arithmetic with a uint64_t converts a number
-- as to uint64_t.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { int32_t i; uint8_t u; int16_t s; uint32_t w; int8_t c; uint16_t us; } conv_small;
typedef struct { int64_t l; uint64_t ul; } conv_wide;
]]
local vals = {3e9, -3e9, 2^31, -2^31-1, 1e20, -1e20, 0/0, 1/0, -1/0, 300.7,
  -1.5, 2^63, -2^63, 2^64, 1.8e19, -2^63-5000, 1e300, 2^53+1, -0.0,
  4294967295.5, 7, -7, 65535.9, -129}

local s, w = ffi.new("conv_small"), ffi.new("conv_wide")
local ia, ua = ffi.new("int32_t[1]"), ffi.new("uint8_t[1]")
local out = {}
for j = 1, #vals do
  local v = vals[j]
  for _ = 1, 3 do
    s.i = v; s.u = v; s.s = v; s.w = v; s.c = v; s.us = v
  end
  for _ = 1, 3 do
    ia[0] = v; ua[0] = v
  end
  for _ = 1, 3 do
    w.l = v; w.ul = v
  end
  out[#out + 1] = table.concat({tostring(v), s.i, s.u, s.s, s.w, s.c, s.us,
    ia[0], ua[0], tostring(w.l), tostring(w.ul)}, " ")
end
print(table.concat(out, "\n"))

local r = {}
for j = 1, #vals do
  local v = vals[j]
  local a, b, c, d
  for _ = 1, 3 do
    a = v + 1LL; b = v + 0ULL; c = (v < 5ULL); d = (v == 0x8000000000000000ULL)
  end
  local e, f, g, h
  for _ = 1, 3 do
    e = ffi.cast("int32_t", v); f = ffi.cast("uint64_t", v)
    g = ffi.cast("uint8_t", v); h = ffi.cast("uint32_t", v)
  end
  r[#r + 1] = table.concat({tostring(a), tostring(b), tostring(c), tostring(d),
    tonumber(e), tostring(f), tonumber(g), tonumber(h)}, " ")
end
print(table.concat(r, "\n"))
print(tonumber(ffi.new("int32_t", 3e9)), tonumber(ffi.new("int16_t", 1e10)),
  tostring(ffi.new("uint64_t", -1)), tostring(ffi.new("int64_t", 0/0)))
