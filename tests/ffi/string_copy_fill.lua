-- ffi.string (with and without length, embedded zeros), ffi.copy (string
-- and memory forms), ffi.fill (with and without a byte value).
local ffi = require "ffi"

local buf = ffi.new("char[16]")
ffi.copy(buf, "hello")
print("copy str", ffi.string(buf), ffi.sizeof(buf))
print("string len", ffi.string(buf, 3), #ffi.string(buf, 3))
print("string len 0", ffi.string(buf, 0) == "")
ffi.copy(buf, "ab\0cd", 5)
print("embedded zero", ffi.string(buf), #ffi.string(buf, 5), ffi.string(buf, 5):byte(3))
print("bytes", ffi.string(buf, 5):byte(1, -1))

local src = ffi.new("int[4]", { 10, 20, 30, 40 })
local dst = ffi.new("int[4]")
ffi.copy(dst, src, ffi.sizeof(src))
print("copy mem", dst[0], dst[1], dst[2], dst[3])
ffi.copy(dst + 1, src, 2 * ffi.sizeof("int"))
print("copy offset", dst[0], dst[1], dst[2], dst[3])

ffi.fill(dst, ffi.sizeof(dst))
print("fill zero", dst[0], dst[1], dst[2], dst[3])
ffi.fill(dst, 8, 1)
print("fill byte", dst[0], dst[1], dst[2], dst[3])
ffi.fill(buf, 15, 65)
buf[15] = 0
print("fill chars", ffi.string(buf))

-- ffi.string on a pointer from a Lua string conversion
local cs = ffi.cast("const char *", "lua string")
print("from const char*", ffi.string(cs), ffi.string(cs + 4, 3))
-- ffi.string of a uint8_t array
local u = ffi.new("uint8_t[3]", { 0x41, 0x42, 0x43 })
print("uint8", ffi.string(u, 3))
-- ffi.string with a number length given as cdata
print("cdata len", ffi.string(cs, ffi.new("size_t", 3)))
-- a non-pointer argument is an error (ffi.string(NULL) is undefined: not tested)
print(pcall(function() local s = ffi.string({}); return s end))

-- Building a string byte by byte in a loop
local out = ffi.new("char[27]")
for i = 0, 25 do out[i] = 97 + i end
print("alphabet", ffi.string(out))
print("lengths", #ffi.string(out), #ffi.string(out, 26), #ffi.string(out, 27))

-- Binary round trip of a double through bytes
local d = ffi.new("double[1]", 1.5)
local bytes = ffi.string(d, 8)
local d2 = ffi.new("double[1]")
ffi.copy(d2, bytes, 8)
print("roundtrip", d2[0], #bytes)
