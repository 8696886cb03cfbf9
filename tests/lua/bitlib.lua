-- bit library conformance
local function e(f, ...) print(pcall(f, ...)) end
local vals = {0, 1, -1, 2^31, 2^31 - 1, -2^31, 2^32, 2^32 + 1, 2^40 + 5, -2^40 - 3, 2^51 - 1, 0x12345678,
  0xdeadbeef, 1.5, -1.5, 2.5, 3.5, -2.5, 0.49999, 1e10, -1e10, 4294967295.5, -0.5}

print("-- tobit / tohex")
for _, v in ipairs(vals) do
  print(string.format("%.17g", v), bit.tobit(v), bit.tohex(v))
end
print(bit.tohex(255, 2), bit.tohex(255, -2), bit.tohex(0x12345678, 4), bit.tohex(-1, 8), bit.tohex(1, 0))
print(bit.tohex(0xabcdef, -6), bit.tohex(0x12345678, 16), bit.tohex(0x12345678, -16), bit.tohex(1, 1))
print(bit.tohex("255"), bit.tobit("0x10"), bit.tobit(" 12 "))

print("-- bnot/band/bor/bxor")
print(bit.bnot(0), bit.bnot(-1), bit.bnot(1), bit.bnot(0x7fffffff), bit.bnot(2^32))
print(bit.band(0xff, 0x0f), bit.band(-1, 0x12345678), bit.band(1, 2, 3), bit.band(7, 6, 5, 4))
print(bit.bor(1, 2), bit.bor(1, 2, 4, 8), bit.bor(0x80000000, 0), bit.bor(-1, 0), bit.bor(5))
print(bit.bxor(0xff, 0x0f), bit.bxor(-1, 1), bit.bxor(1, 2, 3), bit.bxor(0xdeadbeef, 0xdeadbeef))
print(bit.band(1.5, 3), bit.bor(2.5, 0), bit.bxor(-0.5, 0), bit.band(2^32 + 3, 7))
print(pcall(bit.band)); print(pcall(bit.bor))

print("-- shifts")
print(bit.lshift(1, 0), bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33), bit.lshift(3, -1))
print(bit.rshift(-1, 0), bit.rshift(-1, 1), bit.rshift(-1, 28), bit.rshift(0x80000000, 31), bit.rshift(16, 36))
print(bit.arshift(-1, 4), bit.arshift(-256, 4), bit.arshift(0x80000000, 31), bit.arshift(256, 4), bit.arshift(-8, 33))
print(bit.lshift(0xff, 24), bit.lshift(-1, 16), bit.rshift(0xff000000, 24), bit.arshift(0xff000000, 24))
print(bit.lshift(1.9, 1), bit.rshift(7, 1.5), bit.lshift("2", "3"))

print("-- rotates / bswap")
print(bit.rol(1, 1), bit.rol(0x80000000, 1), bit.rol(0x12345678, 8), bit.rol(1, 32), bit.rol(1, -1))
print(bit.ror(1, 1), bit.ror(0x12345678, 8), bit.ror(2, 33), bit.ror(-1, 7))
print(bit.bswap(0x12345678), bit.bswap(0xff), bit.bswap(-1), bit.bswap(0))
print(bit.tohex(bit.bswap(0x11223344)), bit.tohex(bit.rol(0xf000000f, 4)))

print("-- errors")
e(bit.band, "x")
e(bit.band, 1, nil)
e(bit.tobit)
e(bit.lshift, 1)
e(bit.tohex, {})
e(function() local r = bit.bor(1, {}); return r end)
e(function() local r = bit.bnot(); return r end)

print("-- combos")
local function popcount(x) local c = 0; while x ~= 0 do c = c + bit.band(x, 1); x = bit.rshift(x, 1) end return c end
print(popcount(0), popcount(-1), popcount(0x55555555), popcount(0xdeadbeef))
local h = 0
for i = 1, 100 do h = bit.bxor(bit.lshift(h, 5) + bit.rshift(h, 2), i) end
print(h, bit.tohex(h))
local crc = -1
for i = 1, 10 do crc = bit.bxor(bit.rshift(crc, 1), bit.band(0xEDB88320, -bit.band(crc, 1))) end
print(crc, bit.tohex(crc))
print(type(bit), type(bit.tobit), package.loaded.bit == bit)
local names = {}
for k in pairs(bit) do names[#names + 1] = k end
table.sort(names); print(table.concat(names, " "))
