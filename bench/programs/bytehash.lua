-- A bit/byte hash: an MD5-style mixing function over string.byte and bit.*.
local bit = require("bit")
local band, bor, bxor, bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit
local byte, char = string.byte, string.char

local N = tonumber(arg and arg[1]) or 3000

local function F(x, y, z) return bor(band(x, y), band(bnot(x), z)) end
local function G(x, y, z) return bor(band(x, z), band(y, bnot(z))) end
local function H(x, y, z) return bxor(x, bxor(y, z)) end

local K = {}
for i = 1, 64 do K[i] = tobit(math.floor(math.abs(math.sin(i)) * 4294967296)) end
local S = { 7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23 }

local function digest(s)
  local a, b, c, d = 0x67452301, tobit(0xefcdab89), tobit(0x98badcfe), 0x10325476
  local w = {}
  for off = 1, #s - 63, 64 do
    for j = 0, 15 do
      local p = off + j * 4
      local b0, b1, b2, b3 = byte(s, p, p + 3)
      w[j] = bor(b0, lshift(b1, 8), lshift(b2, 16), lshift(b3, 24))
    end
    local aa, bb, cc, dd = a, b, c, d
    for i = 0, 63 do
      local f, g, r
      if i < 16 then f, g, r = F(b, c, d), i, S[1 + i % 4]
      elseif i < 32 then f, g, r = G(b, c, d), (5 * i + 1) % 16, S[5 + i % 4]
      else f, g, r = H(b, c, d), (3 * i + 5) % 16, S[9 + i % 4] end
      local t = d
      d = c
      c = b
      b = tobit(b + rol(tobit(a + f + K[i + 1] + w[g]), r))
      a = t
    end
    a, b, c, d = tobit(a + aa), tobit(b + bb), tobit(c + cc), tobit(d + dd)
  end
  return bit.tohex(a) .. bit.tohex(b) .. bit.tohex(c) .. bit.tohex(d)
end

local parts = {}
for i = 1, 4096 do parts[i] = char(i % 251) end
local data = table.concat(parts)
local h
for i = 1, N do h = digest(data .. i) end
print(h)
