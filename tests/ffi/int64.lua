-- 64-bit integer cdata: LL/ULL literals, arithmetic, division and modulo
-- (C semantics: truncation), comparisons with Lua numbers, tostring,
-- tonumber, mixing int64 and uint64, bit operations, hex literals.
local ffi = require "ffi"

print(123LL, 123ULL, -5LL, 0x10LL, 0xffffffffffffffffULL)
print(tostring(18446744073709551615ULL), tostring(-9223372036854775807LL - 1))
print(type(1LL), tostring(ffi.typeof(1LL)), tostring(ffi.typeof(1ULL)))

local a, b = 7LL, -2LL
print("add", a + b, a + 1, 1 + a, a + 0.5)
print("sub", a - b, 10 - a)
print("mul", a * b, a * 3)
print("div", a / b, -7LL / 2, 7LL / 2)
print("mod", a % b, -7LL % 2, 7LL % -2)
print("pow", 2LL ^ 10, 3LL ^ 0)
print("unm", -a, -(-a))
print("u64", 10ULL - 11, 0ULL - 1, 2ULL ^ 63)
print("u64 div", 18446744073709551615ULL / 2, 18446744073709551615ULL % 10)
print("mix", 1LL + 1ULL, -1LL + 0ULL, 5ULL * -1LL)
print("wrap", 9223372036854775807LL + 1)
print("big mul", 4294967296LL * 4294967296LL)

print("cmp", 1LL < 2, 2 < 3LL, 3LL == 3, 3LL == 3LL, 3LL <= 2LL, -1LL < 0ULL)
print("cmp mixed types", -1LL < 1ULL, 0ULL > -1LL)
print("eq number", 0LL == 0, 1LL ~= 1, 2^53 == 9007199254740992LL)
print("tonumber", tonumber(42LL), tonumber(2^53 + 0LL), type(tonumber(42LL)))
print("tonumber big", tonumber(18446744073709551615ULL))
print("new", ffi.new("int64_t", -3), ffi.new("uint64_t", 3))
print("cast", ffi.cast("int64_t", 3.9), tonumber(ffi.cast("int32_t", 4294967297LL)))
print("tostring neg", tostring(-1LL), tostring(-123456789012345LL))

-- table keys: cdata are keys by identity, tonumber gives the value
local t = {}
t[tonumber(5LL)] = "five"
print("key", t[5])

-- bit operations accept 64-bit cdata in LuaJIT 2.1
local bit = require "bit"
print("bit", bit.band(0xff00ff00ff00LL, 0xffff), bit.bor(1LL, 2), bit.lshift(1LL, 40))
print("bit tohex", bit.tohex(255LL), bit.tohex(-1LL))
print("bit shr", bit.rshift(-1LL, 60), bit.arshift(-16LL, 2))

-- loops over 64-bit counters
local s = 0LL
for i = 1, 100 do s = s + i * 1000000000LL end
print("sum", s)
local f = 1ULL
for i = 1, 20 do f = f * i end
print("20!", f)
local x = 0xdeadbeefcafebabeULL
local h = 0ULL
for i = 1, 64 do h = h * 31 + (x % 7); x = x / 3 end
print("hash", h)

-- errors
print(pcall(function() return 1LL + {} end))
print(pcall(function() return 1LL / 0LL end))
print(pcall(function() return 1LL < "x" end))
