-- lua-MessagePack: pack / unpack round trips of many kinds of values.
local mp = require "MessagePack"

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

local function sorted_keys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) < type(b)
  end)
  return ks
end

-- Canonical text of a value (keys sorted), for comparisons and output.
local function show(v)
  if type(v) ~= "table" then
    if type(v) == "string" then return string.format("%q", v) end
    return tostring(v)
  end
  local parts = {}
  for _, k in ipairs(sorted_keys(v)) do
    parts[#parts + 1] = show(k) .. "=" .. show(v[k])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Scalars at every encoding boundary.
local scalars = {
  0, 1, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ^ 40,
  -1, -32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649,
  0.5, -0.25, 3.14159, 1e300, -1e-300, 1 / 0, -1 / 0,
  true, false, "", "a", string.rep("x", 31), string.rep("y", 32),
  string.rep("z", 255), string.rep("w", 256), string.rep("v", 70000),
}
for i, v in ipairs(scalars) do
  local s = mp.pack(v)
  local back = mp.unpack(s)
  local shown = type(v) == "string" and (#v .. " chars") or tostring(v)
  print(i, shown, #s, hex(s:sub(1, 9)), back == v)
end
print("nil", hex(mp.pack(nil)), mp.unpack(mp.pack(nil)))
local nan = mp.unpack(mp.pack(0 / 0))
print("nan", nan ~= nan)

-- Many structured values, packed and unpacked in a loop.
local ok, bytes = 0, 0
local digest = 0
for n = 1, 400 do
  local v = {
    id = n,
    name = "item" .. n,
    score = n * 0.75,
    neg = -n * 1000,
    big = n * 100000,
    list = { n, n + 1, n + 2, "s" .. n, n % 2 == 0 },
    nested = { deep = { deeper = { n, { n * 2 } } } },
    [n] = "numeric key",
  }
  if n % 5 == 0 then v.long = string.rep("ab", n) end
  local s = mp.pack(v)
  bytes = bytes + #s
  -- (map order follows pairs, so only order-free facts of the bytes)
  for i = 1, #s do digest = (digest + s:byte(i)) % 1000003 end
  local back = mp.unpack(s)
  if show(back) == show(v) then ok = ok + 1 end
  if n % 100 == 0 then print(n, #s, bytes, digest) end
end
print("structured ok:", ok)

-- Streams: several values in one string, read with unpacker.
local parts = {}
for i = 1, 50 do parts[#parts + 1] = mp.pack({ i, i * i, tostring(i) }) end
local stream = table.concat(parts)
local count, sum = 0, 0
for _, v in mp.unpacker(stream) do
  count = count + 1
  sum = sum + v[2]
end
print("stream", count, sum)

-- Options: arrays with holes, floats, string flavours.
mp.set_array "with_hole"
print(hex(mp.pack({ 1, nil, 3 })), show(mp.unpack(mp.pack({ 1, nil, 3 }))))
mp.set_array "always_as_map"
print(hex(mp.pack({ 7, 8 })))
mp.set_array "without_hole"
mp.set_number "float"
print(hex(mp.pack(0.5)), mp.unpack(mp.pack(0.5)))
mp.set_number "double"
mp.set_string "binary"
print(hex(mp.pack("bin")))
mp.set_string "string"
print(hex(mp.pack("str")))
mp.set_string "string_compat"
mp.set_integer "signed"
print(hex(mp.pack(200)), hex(mp.pack(70000)))
mp.set_integer "unsigned"

-- Extensions.
local ext_s = string.char(0xd6, 0x05) .. "wxyz"
local old = mp.build_ext
mp.build_ext = function(tag, data) return { tag = tag, data = data } end
local ext = mp.unpack(ext_s)
print(type(ext), ext.tag, ext.data)
mp.build_ext = old
print(pcall(mp.unpack, ext_s))

-- Errors.
print(pcall(mp.unpack, string.char(0xc1)))
print(pcall(mp.unpack, string.char(0x92, 0x01)))
print(pcall(mp.pack, print))
print(pcall(mp.set_array, "bogus"))
