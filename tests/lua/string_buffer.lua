-- LuaJIT 2.1's string buffer library (require "string.buffer"): every
-- method, its errors, the serializer's bytes (compared with LuaJIT's by
-- the .expected file) and round trips, and loops that build big strings.
-- (Hash parts of several keys are not compared byte by byte: their order
-- is the table's traversal order, which differs between engines.)
local buffer = require "string.buffer"
local ffi = require "ffi"

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Deterministic text of a value (sorted keys) for round-trip checks.
local function show(v, seen)
  if type(v) ~= "table" then
    if type(v) == "string" then return string.format("%q", v) end
    return tostring(v)
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) ~= type(b) then return type(a) < type(b) end
    if type(a) == "table" or type(a) == "boolean" then return tostring(a) < tostring(b) end
    return a < b
  end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = "[" .. show(k) .. "]=" .. show(v[k])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

print("== module")
print(type(buffer), type(buffer.new), type(buffer.encode), type(buffer.decode))
print(require("string.buffer") == buffer, package.loaded["string.buffer"] == buffer)
local b = buffer.new()
print(type(b), getmetatable(b), #b, tostring(b) == "")
local mt = debug.getmetatable(b)
print(mt.__index == mt, mt.__tostring == mt.tostring, type(mt.__gc), type(mt.__len))
local names = {}
for k, v in pairs(mt) do if type(v) == "function" then names[#names + 1] = k end end
table.sort(names)
print(table.concat(names, " "))

print("== new")
print(#buffer.new(100), #buffer.new(0), #buffer.new(5.5), #buffer.new(nil))
print(#buffer.new({}), #buffer.new(10, {}), #buffer.new({}, 5))
print(pcall(buffer.new, "5"))
print(pcall(buffer.new, false))
print(pcall(buffer.new, -1))
print(pcall(buffer.new, 2^31))
print(pcall(buffer.new, 0/0))
print(pcall(buffer.new, 10, 5))
print(pcall(buffer.new, nil, nil))
print(pcall(buffer.new, {dict = {1}}))
print(pcall(buffer.new, {metatable = {1}}))
print(pcall(buffer.new, {dict = {"a", {}}}))
print(pcall(function() buffer.new({metatable = {{}, "x"}}) end))
print(pcall(buffer.new, {dict = 5, metatable = 1, other = true}))
print(pcall(buffer.new, {dict = {"a", false, "b"}, metatable = {false, {}}}))

print("== put")
b = buffer.new()
print(b:put("ab", 1, 2.5, -0.0, 1e100, 0/0, 1/0, -1/0, 2^53, 2^63, -7, 0.1) == b)
print(b:tostring(), #b)
local ts = setmetatable({}, {__tostring = function() return "TS" end})
local tn = setmetatable({}, {__tostring = function() return 42 end})
b:reset():put(ts, "|", tn, "|", buffer.new():put("other"))
print(b:tostring())
print(b:put() == b, b:tostring())
print(pcall(b.put, b, {}))
print(pcall(b.put, b, nil))
print(pcall(b.put, b, true))
print(pcall(b.put, b, "x", print))
print(pcall(b.put, b, b))
print(pcall(b.put, b, setmetatable({}, {__tostring = function() return true end})))
print(pcall(b.put, b, setmetatable({}, {__tostring = function() return {} end})))
print(pcall(b.put, b, setmetatable({}, {__tostring = function() error("boom", 0) end})))
print(pcall(function() b:put({}) end))
print(pcall(function() b.put("z") end))
print(pcall(b.put))
print(pcall(b.put, {}, "x"))
print(b:tostring())
-- A __tostring that writes to the buffer: its result is appended after.
b:reset()
b:put(setmetatable({}, {__tostring = function() b:put("inner,") return "outer" end}))
print(b:get())
local i64 = buffer.new():put(1LL, "/", 2ULL, "/", -3LL):tostring()
print(i64)

print("== putf")
b:reset()
print(b:putf("%d-%s-%5.2f|%q|%x|%c|%g|%%|%-4s|", 42, "x", 3.14159, "a\nb", 255, 65, 0.1, "ab") == b)
print(b:get())
print(b:putf("abc"):putf(5, 1):putf("%s %s", ts, buffer.new():put("buf")):get())
print(pcall(b.putf, b))
print(pcall(b.putf, b, "%d"))
print(pcall(b.putf, b, "%d", "x"))
print(pcall(b.putf, b, "%y", 1))
print(pcall(b.putf, b, {}))
print(pcall(function() b:putf("%d", {}) end))
print(#b)

print("== get")
b = buffer.new():put("abcdefghij")
print(b:get(1), b:get(2), b:get(0), #b)
print(b:get(1.7), b:get(2.5), b:get(-0.5), #b)
print(b:get(2, 1, nil))
print(select("#", b:get()), b:get() == "", b:get(5) == "")
b:put("hello world")
print(b:get(2, nil, 3))
print(select("#", b:get(1, 2, 3)), select("#", b:get(nil, nil)))
b:put("xyz")
print(pcall(b.get, b, -1))
print(pcall(b.get, b, 2^31))
print(pcall(b.get, b, 2^32 + 3))
print(pcall(b.get, b, 1/0))
print(pcall(b.get, b, 0/0))
print(pcall(b.get, b, "1"))
print(pcall(b.get, b, {}))
print(pcall(function() b:get("z") end))
print(b:get(100), #b)

print("== skip reset free set")
b = buffer.new():put("abcdef")
print(b:skip(2):get(), b:put("abc"):skip(10):get() == "")
print(b:put("abcdef"):skip(2.7):get())
print(pcall(b.skip, b, -5))
print(pcall(b.skip, b, "1"))
print(pcall(b.skip, b))
print(b:put("x"):reset() == b, #b, b:put("y"):tostring())
print(b:put("abc"):free() == b, #b, b:put("z"):tostring())
print(b:set("hello") == b, #b, b:get(2), b:tostring())
b:set("abcdef") b:put("X") print(b:get())
print(b:set(""):tostring() == "", #b)
print(pcall(b.set, b, b))
print(pcall(b.set, b, 1))
print(pcall(b.set, b, {}))
print(pcall(b.set, b))

print("== tostring len concat")
b = buffer.new():put("xyz")
local c = buffer.new():put("12")
print(tostring(b), type(tostring(b)), #b, #c)
print(b .. c, "s" .. b, 1 .. b, b .. 2, b .. b, b .. "-" .. c .. "-" .. 3)
print(type(b .. c), #b, #c)
print(pcall(function() return b .. {} end))
print(pcall(function() return {} .. b end))
print(pcall(function() return b .. nil end))
local cm = setmetatable({}, {__concat = function(x, y)
  return "cat(" .. tostring(x) .. "," .. tostring(y) .. ")"
end})
print((b .. cm):gsub("0x%x+", "ADDR"), (cm .. b):gsub("0x%x+", "ADDR"))
print(b == b, b == c, pcall(function() return b < c end))
io.write(b, "|", c, "\n")
io.stdout:write(buffer.new():put("via file"), "\n")
print(b:tostring(), b:tostring() == tostring(b))

print("== chaining")
b = buffer.new()
print(b:reset() == b, b:free() == b, b:put() == b, b:putf("") == b, b:skip(0) == b)
print(b:set("") == b, b:encode(1) == b, b:reset():encode("x"):decode())
print(b:put("a"):put("b"):putf("%d", 3):skip(1):get())

print("== ffi")
b = buffer.new()
local p, n = b:reserve(10)
print(ffi.typeof(p) == ffi.typeof("uint8_t *"), n >= 10, #b)
for i = 0, 4 do p[i] = 65 + i end
print(b:commit(5) == b, b:tostring(), #b)
local p2, n2 = b:ref()
print(n2, ffi.string(p2, n2), p2[0])
p2[0] = 97
print(b:tostring())
b:skip(2)
local p3, n3 = b:ref()
print(n3, p3[0], ffi.string(p3, n3))
print(pcall(b.commit, b, 1000))
print(pcall(b.commit, b, -1))
print(pcall(b.reserve, b, -1))
print(pcall(b.reserve, b, "1"))
local arr = ffi.new("uint8_t[3]", {120, 121, 122})
print(b:putcdata(arr, 3):tostring())
print(b:set(arr, 2):tostring(), #b)
print(b:putcdata(ffi.cast("const char *", "hello"), 4):tostring())
print(b:putcdata(arr, 0):putcdata(arr, 1.9):tostring())
print(pcall(b.putcdata, b, arr, -1))
print(pcall(b.putcdata, b, arr, "1"))
print(pcall(b.putcdata, b, 5, 1))
print(pcall(b.putcdata, b, "abc", 2))
print(pcall(b.putcdata, b, nil, 0))
print(pcall(b.putcdata, b, ffi.new("int", 3), 1))
print(pcall(b.putcdata, b, 1LL, 0))
print(pcall(b.set, b, arr))
local e = buffer.new()
local pe, ne = e:ref()
print(pe == nil, ne)
local _, nr = e:reserve(0)
print(nr)
-- A C read-style loop: reserve, fill, commit.
local rb = buffer.new()
for round = 1, 5 do
  local q, len = rb:reserve(7)
  for i = 0, 6 do q[i] = 48 + round end
  rb:commit(7)
end
print(rb:tostring(), #rb)

print("== encode: primitives")
for _, v in ipairs({0, 1, -1, 0.5, 42, 2^31, 2^31 - 1, -2^31, -2^31 - 1, 2^53, 1e100, -0.0, 1/0, -1/0, 1e-300}) do
  print(v, hex(buffer.encode(v)))
end
print(hex(buffer.encode(nil)), hex(buffer.encode(true)), hex(buffer.encode(false)))
print(hex(buffer.encode("")), hex(buffer.encode("abc")), hex(buffer.encode("a\0b")))
for _, len in ipairs({0xbf, 0xc0, 0x1fbf, 0x1fc0, 70000}) do
  local s = buffer.encode(("x"):rep(len))
  print(len, #s, hex(s:sub(1, 6)))
end
print(hex(buffer.encode(1LL)), hex(buffer.encode(-2LL)), hex(buffer.encode(3ULL)))
print(hex(buffer.encode(ffi.new("int64_t", 5))), hex(buffer.encode(ffi.new("uint64_t", 6))))
print(hex(buffer.encode(buffer.decode("\x12\0\0\0\0\0\0\248\63\0\0\0\0\0\0\0\64"))))
print(hex(buffer.encode(buffer.decode("\x04\1\0\0\0"))), hex(buffer.encode(buffer.decode("\x05\1\0\0\0\0\0\0\0"))))
print(hex(buffer.encode(buffer.decode("\x05\1\0\0\0\1\0\0\0"))), hex(buffer.encode(buffer.decode("\x03"))))

print("== encode: tables")
print(hex(buffer.encode({})))
print(hex(buffer.encode({1, 2, 3})))
print(hex(buffer.encode({[0] = 1, 2, 3})))
print(hex(buffer.encode({a = 1})))
print(hex(buffer.encode({1, 2, a = 1})))
print(hex(buffer.encode({[0] = 5, 1, 2, a = 1})))
print(hex(buffer.encode({nil, 2})))
print(hex(buffer.encode({1, 2, 3, nil, nil})))
print(hex(buffer.encode({nil, nil})), hex(buffer.encode({n = nil})))
print(hex(buffer.encode({[true] = false})), hex(buffer.encode({[1.5] = 2})))
print(hex(buffer.encode({{}, {{}}, "s"})))
print(hex(buffer.encode({x = {y = {z = true}}})))
local t = {} for i = 1, 10 do t[i] = i end t[5] = nil
print(hex(buffer.encode(t)))
t = {} t[0] = 1 print(hex(buffer.encode(t)))
t = {} t[0] = 1 t[1] = 2 print(hex(buffer.encode(t)))
t = {} for i = 1, 5 do t[i] = i * 10 end print(hex(buffer.encode(t)))
t = {a = 1} t.a = nil print(hex(buffer.encode(t)))
local big = {} for i = 1, 300 do big[i] = true end
print(hex(buffer.encode(big)):sub(1, 12), #buffer.encode(big))

print("== options")
local ob = buffer.new({dict = {"a", "bb", "a"}})
print(hex(ob:encode({a = 1}):get()))
print(hex(ob:encode({bb = "a"}):get()))
print(hex(ob:encode({"a", {"bb"}}):get()))
print(hex(ob:encode({a = {a = "a"}}):get()))
print(hex(ob:encode("a"):get()))
print(hex(ob:encode({cc = 1}):get()))
print(show(ob:set("\x09\1\x0f\1\x0f\0"):decode()))
print(pcall(ob.decode, ob:set("\x0f\2")))
local m1, m2 = {}, {__index = {kind = "m2"}}
local mb = buffer.new({metatable = {m1, m2}})
print(hex(mb:encode(setmetatable({}, m1)):get()))
print(hex(mb:encode(setmetatable({7}, m2)):get()))
print(hex(mb:encode(setmetatable({}, {})):get()))
local back = mb:set(mb:encode(setmetatable({7}, m2)):get()):decode()
print(getmetatable(back) == m2, back.kind, back[1])
print(getmetatable(buffer.decode(buffer.encode(setmetatable({}, m1)))))
print(pcall(mb.decode, mb:set("\x0e\0\1")))
print(pcall(mb.decode, mb:set("\x0e\0\x0e\0\x08")))
print(pcall(mb.decode, mb:set("\x0e\2\x08")))
local hb = buffer.new({dict = {"a", false, "b"}, metatable = {false, m1}})
print(hex(hb:encode({b = 1}):get()), hex(hb:encode(setmetatable({}, m1)):get()))
print(pcall(hb.decode, hb:set("\x09\1\x0f\1\2")))
print(pcall(hb.decode, hb:set("\x0e\0\x08")))
-- The documented encoder/decoder pair.
local opts = {dict = {"commonly", "used", "string", "keys"}}
local enc, dec = buffer.new(opts), buffer.new(opts)
local obj = {commonly = 1, used = {string = "keys"}, other = {1, 2, 3}}
local s1 = enc:reset():encode(obj):get()
print(#s1, show(dec:set(s1):decode()))

print("== round trips")
local samples = {
  0, -1.5, 1e308, "", "hello\0world", true, false,
  {}, {1, 2, 3}, {a = 1, b = 2, c = {d = {e = "f"}}},
  {1, 2, nil, 4, x = "y", [10] = 10, [-1] = -1, [0.5] = "half"},
  {[0] = "zero", "one", "two", k = {[true] = false}},
  {{1, {2, {3, {4}}}}, name = ("n"):rep(300)},
}
for _, v in ipairs(samples) do
  local s = buffer.encode(v)
  print(show(buffer.decode(s)) == show(v), show(v))
end
local keyed = {}
for i = 1, 50 do keyed["k" .. i] = i end
for i = 1, 50 do keyed[i] = -i end
print(show(buffer.decode(buffer.encode(keyed))) == show(keyed))
print(buffer.decode(buffer.encode(1LL)), buffer.decode(buffer.encode(18446744073709551615ULL)))
print(ffi.typeof(buffer.decode(buffer.encode(-5LL))) == ffi.typeof("int64_t"))
-- Streaming: encodings appended and decoded one at a time.
local st = buffer.new()
st:encode(1):encode("two"):encode({3}):encode(nil):encode(false)
while #st ~= 0 do
  local v = st:decode()
  print(type(v), show(v))
end
local st2 = buffer.new():put(buffer.encode("a"), buffer.encode({b = "c"}))
print(show(st2:decode()), show(st2:decode()), #st2)

print("== encode errors")
print(pcall(buffer.encode, print))
print(pcall(buffer.encode, {1, print}))
print(pcall(buffer.encode, coroutine.create(print)))
print(pcall(buffer.encode, io.stdout))
print(pcall(buffer.encode, buffer.new()))
print(pcall(buffer.encode, ffi.new("int", 5)))
print(pcall(buffer.encode, ffi.new("uint8_t[4]")))
print(pcall(function() buffer.encode(print) end))
print(pcall(buffer.encode))
local cyc = {} cyc[1] = cyc
print(pcall(buffer.encode, cyc))
local function nest(n)
  local d = {} local x = d
  for _ = 1, n - 1 do x[1] = {} x = x[1] end
  return d
end
for n = 99, 101 do print(n, (pcall(buffer.encode, nest(n)))) end
b = buffer.new():put("ab")
print(pcall(b.encode, b, {1, 2, print}))
print(#b, hex(b:tostring()))
print(pcall(b.encode, b))

print("== decode errors")
local bad = {
  "", "\255", "\0\0", "\7\0\0", "\x13", "\x1f", "\x0f\0", "\x0e\0\8", "\x23ab",
  "\xe0", "\xff\x13\0\0\0", "\xff\1\0\0\0", "\x09\1\0\1", "\x09\1\0", "\x09\2\0",
  "\x09\1\7\0\0\0\0\0\0\248\255\1", "\x0a\3\1", "\x09\2\1\1", "\x0c\x10\x13",
  "\x0c\255\255\255\255\255", "\x09\255\255\255\255\255",
  "\x0c\255\2\0\0\8", "\x09\255\1\0\0\4", "\x0d\1\255\1\0\0\4",
  "\x0a\0", "\x0c\0", "\x0c\1", "\x0b\0\0", "\x09\1\x08\1", "\x06\1\0\0\0", "\x06\255\255\255\255",
  "\x10\1\0\0", "\x12\0\0",
}
for _, s in ipairs(bad) do
  local ok, r = pcall(buffer.decode, s)
  print(hex(s), ok, ok and show(r) or r)
end
local function nestd(n) return string.rep("\x0c\2", n - 1) .. "\x08" end
for n = 99, 101 do print(n, (pcall(buffer.decode, nestd(n)))) end
print(pcall(buffer.decode))
print(pcall(buffer.decode, 12))
print(pcall(buffer.decode, buffer.new():put("\0")))
print(pcall(function() buffer.decode("\x13") end))
b = buffer.new()
print(pcall(b.decode, b))
print(pcall(b.decode, b:set("\0\1")), #b)
print(b:set("\0\1\2"):decode(), b:decode(), b:decode(), #b)
print(pcall(b.decode, b:set("\x0c\3\7")), #b)
print(pcall(b.decode, b:set("abc")), #b, b:tostring())

print("== big strings")
local bb = buffer.new()
for i = 1, 20000 do
  bb:put(i, ",")
end
local s = bb:tostring()
print(#s, #bb, s:sub(1, 20), s:sub(-12))
local sum = 0
for i = 1, #s, 997 do sum = sum + s:byte(i) end
print(sum)
-- Consumed space is recycled: a FIFO that never empties.
local fifo = buffer.new()
local out = 0
for i = 1, 20000 do
  fifo:put("abcdefgh")
  if i % 3 == 0 then out = out + #fifo:get(20) end
end
print(out, #fifo, out + #fifo == 20000 * 8)
-- putf and chained calls in a loop.
local fb = buffer.new()
for i = 1, 5000 do
  fb:putf("%d:%s;", i, i % 2 == 0 and "even" or "odd"):put(i % 10)
end
local fs = fb:get()
print(#fs, fs:sub(1, 24), #fb)
-- Encode and decode in a loop.
local eb, total = buffer.new(), 0
for i = 1, 3000 do
  eb:reset():encode({i, tostring(i), {x = i * 2}})
  local v = buffer.decode(eb:get())
  total = total + v[1] + #v[2] + v[3].x
end
print(total)
-- Length, tostring and concatenation in a loop.
local lb, acc = buffer.new(), 0
for i = 1, 3000 do
  lb:put("ab")
  acc = acc + #lb + #tostring(lb) % 7 + #(lb .. i) % 5
end
print(acc, #lb)
