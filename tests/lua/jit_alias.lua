-- Loads reused across stores only when the store cannot change them:
-- aliased tables, same and different constant keys, growth mid-loop,
-- metatables set mid-loop, key 0.
local t = { x = 1, y = 2 }
local u = t -- alias
local s = 0
for i = 1, 100 do
  local a = t.x
  u.x = a + i -- same key through an alias: t.x changes
  s = s + t.x + t.y
  u.y = t.y + 1 -- different key
end
print(s, t.x, t.y)

local arr = { 1, 2, 3, 4 }
local brr = arr
local z = 0
for i = 1, 100 do
  local k = i % 4 + 1
  local v = arr[k]
  brr[k] = v + 1 -- variable key through an alias
  z = z + arr[k] + arr[1] + #arr
  brr[1] = brr[1] + 0.5 -- constant key
end
print(z, arr[1], arr[2], arr[3], arr[4])

-- The array grows inside the loop: length and storage change.
local g = {}
local total = 0
for i = 1, 200 do
  g[#g + 1] = i
  total = total + #g + g[#g] + g[1]
end
print(total, #g)

-- Key 0 slot and 1-based slots of a 0-based array.
local p = {}
for i = 0, 9 do p[i] = i end
local acc = 0
for r = 1, 100 do
  local tmp = p[0]
  for i = 0, 8 do p[i] = p[i + 1] end
  p[9] = tmp
  acc = acc + p[0] * r + p[9]
end
print(acc, p[0], p[9])

-- A metatable appears mid-loop: later reads see __index.
local m = {}
local mt = { __index = function(_, k) return 7 end }
local seen = 0
for i = 1, 100 do
  if i == 50 then setmetatable(m, mt) end
  seen = seen + (m.missing or 1)
end
print(seen)

-- A __newindex metatable appears mid-loop on an array with holes.
local h = {}
for i = 1, 100 do h[i] = (i % 3 == 0) and i or false end
for i = 1, 100, 3 do h[i] = nil end
local calls = 0
for i = 1, 100 do
  if i == 60 then setmetatable(h, { __newindex = function(t, k, v) calls = calls + 1; rawset(t, k, v) end }) end
  h[i] = i * 2
end
local hs = 0
for i = 1, 100 do hs = hs + h[i] end
print(calls, hs)
