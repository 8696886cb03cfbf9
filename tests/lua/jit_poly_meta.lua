-- Missing keys of tables with many different metatables (none with
-- __index) read in one compiled loop: guarded as "no __index", not by
-- metatable identity (no side trace per metatable); a metatable that has
-- or gains an __index still answers through it.
local objs = {}
for i = 1, 64 do
  objs[i] = setmetatable({ id = i }, { __tostring = function() return "o" .. i end })
end
objs[65] = { id = 65 }
local misses, ids = 0, 0
for r = 1, 20 do
  for i = 1, #objs do
    local o = objs[i]
    if o.missing == nil then misses = misses + 1 end
    ids = ids + o.id
  end
end
print(misses, ids)
-- One metatable gains an __index in the middle of the loop.
local mt = getmetatable(objs[10])
local seen = {}
for r = 1, 30 do
  if r == 15 then mt.__index = function(t, k) return k .. "!" end end
  for i = 8, 12 do
    local v = objs[i].missing
    seen[#seen + 1] = tostring(v)
  end
end
print(#seen, seen[1], seen[70], seen[72], seen[73], seen[148])
-- A table whose metatable has an __index table.
local base = { missing = "from base" }
objs[20] = setmetatable({ id = 20 }, { __index = base })
local got = {}
for r = 1, 10 do
  for i = 18, 22 do got[#got + 1] = tostring(objs[i].missing) end
end
print(table.concat(got, ",", 1, 10))
-- New fields and array slots stored into tables with metatables (none
-- with __newindex, then one gains it).
local log = {}
local shared = {}
for i = 1, 40 do
  local o = setmetatable({ 1, 2 }, i % 2 == 0 and shared or {})
  o.extra = i
  o[3] = i * 2
  if i == 30 then shared.__newindex = function(t, k, v) log[#log + 1] = k; rawset(t, k, v) end end
  log[#log + 1] = o.extra + o[3]
end
print(#log, log[1], log[29], log[30], log[31], log[32], log[33], log[#log])
