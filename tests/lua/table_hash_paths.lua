-- Hash-part lookups and stores along the interpreter's fast paths: small
-- parts (scanned, with the key signature for misses), indexed parts
-- (grown, compacted, rebuilt), method lookup through an `__index` class,
-- fields set to nil and given a value again, `__newindex` appearing after
-- the fast path has cached its absence.

-- Indexed parts: keys added one by one past the small size, every one
-- found, absent ones not, after deletions and compaction too.
local t = {}
for i = 1, 300 do t["k" .. i] = i end
local sum, miss = 0, 0
for i = 1, 320 do
  local v = t["k" .. i]
  if v then sum = sum + v else miss = miss + 1 end
end
print("indexed", sum, miss)
for i = 1, 300, 2 do t["k" .. i] = nil end
for i = 301, 600 do t["k" .. i] = i end          -- compaction on growth
sum, miss = 0, 0
for i = 1, 620 do
  local v = t["k" .. i]
  if v then sum = sum + v else miss = miss + 1 end
end
print("after compaction", sum, miss)
local n = 0
for k, v in pairs(t) do n = n + 1; assert(t[k] == v) end
print("pairs", n)

-- Sizes around the small part's limit: each table's keys all found.
for size = 1, 12 do
  local u = {}
  for i = 1, size do u["f" .. i] = i * 10 end
  local s, m = 0, 0
  for i = 1, size + 3 do
    local v = u["f" .. i]
    if v then s = s + v else m = m + 1 end
  end
  io.write(size, ":", s, "/", m, " ")
end
print()

-- Mixed key types in one hash part (numbers off the array, booleans,
-- tables, strings).
local key = {}
local mixed = {[1.5] = "a", [true] = "b", [key] = "c", s = "d", [-3] = "e",
               [false] = "f", [2^40] = "g", x1 = 1, x2 = 2, x3 = 3, x4 = 4}
print(mixed[1.5], mixed[true], mixed[key], mixed.s, mixed[-3], mixed[false],
      mixed[2^40], mixed[{}], mixed[2.5], mixed.x4)

-- Methods through an `__index` class, big and small classes, a missing
-- method (nil), a chain of two classes, an `__index` function.
local Big = {}
Big.__index = Big
for i = 1, 20 do Big["m" .. i] = function(self) return self.v + i end end
local Small = {get = function(self) return self.v end}
Small.__index = Small
local Base = {base = function() return "base" end}
Base.__index = Base
local Derived = setmetatable({derived = function() return "derived" end}, Base)
Derived.__index = Derived
local Fn = setmetatable({}, {__index = function(_, k) return "fn:" .. k end})
local objs = {
  setmetatable({v = 1, a = 1, b = 2, c = 3}, Big),
  setmetatable({v = 2}, Small),
  setmetatable({v = 3, w = 4, z = 5}, Derived),
}
local acc = {}
for i = 1, 50 do
  acc[#acc + 1] = objs[1]:m7() + objs[2]:get()
  acc[#acc + 1] = objs[3]:derived() .. objs[3]:base()
  acc[#acc + 1] = tostring(objs[1].nothing) .. tostring(objs[2].m7)
  acc[#acc + 1] = Fn.abc
end
print(acc[1], acc[2], acc[3], acc[4], #acc)

-- A field set to nil and given a value again, in objects with and
-- without a metatable, before and after the class gains `__newindex`.
local Class = {}
Class.__index = Class
local log = {}
local o = setmetatable({a = 1, b = 2, c = 3}, Class)
local plain = {a = 1, b = 2, c = 3}
for round = 1, 3 do
  o.b = nil; plain.b = nil
  o.b = round; plain.b = round
  o["new" .. round] = round
end
print("revived", o.b, plain.b, o.new1, o.new3)
Class.__newindex = function(tt, k, v) log[#log + 1] = k; rawset(tt, k, v) end
for round = 1, 3 do
  o.b = nil
  o.b = round * 10            -- dead entry: `__newindex` runs
  o.a = round                 -- live entry: raw
  o["late" .. round] = round  -- new key: `__newindex` runs
end
print("newindex", o.b, o.a, o.late3, table.concat(log, ","))
Class.__newindex = nil
o.b = nil
o.b = "again"
o.fresh = "raw"
print("removed", o.b, o.fresh, #log)

-- A metatable given `__index` after its absence was cached by reads.
local M = {}
local p = setmetatable({x = 1, y = 2, z = 3}, M)
local before = {}
for i = 1, 5 do before[i] = tostring(p.missing) end
M.__index = {missing = "found"}
print(table.concat(before, ","), p.missing)

-- Fields set to nil during a traversal, with collections in between:
-- `next` goes on from a key whose entry is dead (the collector saw no
-- other reference to the key's object than the loop's variable).
local w = {}
for i = 1, 40 do w["key" .. i] = i; w[{}] = i end
local seen = 0
for k in pairs(w) do
  seen = seen + 1
  w[k] = nil
  if seen % 7 == 0 then collectgarbage() end
end
print("cleared", seen, next(w))
-- New keys made after the old ones' objects were collected (an address
-- may be reused) find their own entries.
for round = 1, 5 do
  for i = 1, 30 do w["r" .. round .. "_" .. i] = i end
  for i = 1, 30, 2 do w["r" .. round .. "_" .. i] = nil end
  collectgarbage()
end
local cnt, bad = 0, 0
for k, v in pairs(w) do cnt = cnt + 1; if w[k] ~= v then bad = bad + 1 end end
print("rounds", cnt, bad)
