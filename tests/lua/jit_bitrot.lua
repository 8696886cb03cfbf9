-- bit.rol/bit.ror and tobit of int arithmetic in traces: rotations by any
-- count (masked to 0..31), negative and large inputs, tobit of sums that
-- wrap, an MD5-like mixing round over string.byte with several results.
local bit = require("bit")
local rol, ror, tobit, band, bor, bxor, bnot = bit.rol, bit.ror, bit.tobit, bit.band, bit.bor, bit.bxor, bit.bnot
local s = 0
for i = 1, 200 do
  s = s + rol(i, i) + ror(i * 977, i % 40) + rol(-i, 31) + ror(0x7fffffff + i, 1)
  s = s + tobit(i + 0x7fffffff) + tobit((i * 65536) * 65536 + i) + tobit(i - 2147483649)
  s = tobit(s)
end
print(s)
local t = {}
for i = 1, 100 do
  t[#t + 1] = bit.tohex(rol(0x12345678, i)) .. bit.tohex(ror(0x12345678, -i))
end
print(t[1], t[37], t[100])
local data = {}
for i = 1, 256 do data[i] = string.char((i * 37) % 256) end
data = table.concat(data)
local a, b, c, d = 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476
local w = {}
for off = 1, #data - 63, 64 do
  for j = 0, 15 do
    local p = off + j * 4
    local b0, b1, b2, b3 = string.byte(data, p, p + 3)
    w[j] = bor(b0, bit.lshift(b1, 8), bit.lshift(b2, 16), bit.lshift(b3, 24))
  end
  for i = 0, 63 do
    local f, g
    if i < 16 then f, g = bor(band(b, c), band(bnot(b), d)), i
    elseif i < 32 then f, g = bor(band(b, d), band(c, bnot(d))), (5 * i + 1) % 16
    else f, g = bxor(b, bxor(c, d)), (3 * i + 5) % 16 end
    local tmp = d
    d = c
    c = b
    b = tobit(b + rol(tobit(a + f + w[g]), 7 + i % 4 * 5))
    a = tmp
  end
end
print(bit.tohex(a), bit.tohex(b), bit.tohex(c), bit.tohex(d))
-- A rotation of a non-number errs the same way compiled.
local ok, e = pcall(function()
  local r = 0
  for i = 1, 50 do r = r + rol(i < 40 and i or "x", 3) end
  return r
end)
print(ok, (tostring(e):gsub("^.-: ", "")))
