-- __index / __newindex functions and __call, recorded as inlined calls.
local log = {}
local P = {__index = function(t, k) return k * 2 end}
local p = setmetatable({}, P)
local s = 0
for i = 1, 200 do s = s + p[i] + p[3] end
print(s)

-- String keys, inheritance through a table then a function.
local Base = setmetatable({}, {__index = function(t, k) return #k end})
local Obj = setmetatable({}, {__index = Base})
local n = 0
for i = 1, 100 do n = n + Obj.abc + Obj.hello end
print(n)

-- __index function changed mid-loop, and replaced by a table.
local M = {__index = function(t, k) return 1 end}
local o = setmetatable({}, M)
local z = 0
for i = 1, 300 do
  if i == 100 then M.__index = function(t, k) return 10 end end
  if i == 200 then M.__index = {x = 100} end
  z = z + o.x
end
print(z)

-- Multiple results from __index keep the registers around.
local Q = setmetatable({}, {__index = function(t, k) return 5, 6, 7 end})
local a, b, c = 1, 2, 3
for i = 1, 100 do
  a = Q.foo
  c = c + b
end
print(a, b, c)

-- __newindex function, on absent keys only.
local store = {}
local W = setmetatable({}, {__newindex = function(t, k, v) store[k] = v * 10 end})
W.present = 0
for i = 1, 200 do
  W[i] = i
  W.present = i
  W.name = i
end
local sum = 0
for i = 1, 200 do sum = sum + store[i] end
print(sum, W.present, store.name, rawget(W, "name"), store.present)

-- __newindex changed mid-loop; rawset in it makes keys present.
local cnt = 0
local R = {}
R.__newindex = function(t, k, v) cnt = cnt + 1; rawset(t, k, v) end
local r = setmetatable({}, R)
for i = 1, 300 do
  if i == 150 then R.__newindex = function(t, k, v) cnt = cnt + 100 end end
  r[i % 50 + 1] = i
end
print(cnt, r[1], r[50])

-- __call on tables.
local C = setmetatable({k = 3}, {__call = function(self, x, y) return self.k * x + (y or 0) end})
local acc = 0
for i = 1, 200 do acc = acc + C(i) + C(i, 1) end
print(acc)
local D = setmetatable({}, {__call = function(self, ...) return select("#", ...) end})
local m = 0
for i = 1, 100 do m = m + D(1, 2) end
print(m)

-- __call changed mid-loop.
local CM = {__call = function(self, x) return x end}
local cc = setmetatable({}, CM)
local q = 0
for i = 1, 300 do
  if i == 120 then CM.__call = function(self, x) return -x end end
  if i == 240 then cc = function(x) return 2 * x end end
  q = q + cc(i)
end
print(q)

-- Errors inside __index functions.
local bad = setmetatable({}, {__index = function(t, k)
  if k > 150 then error("no key " .. k) end
  return k
end})
print(pcall(function()
  local t = 0
  for i = 1, 300 do t = t + bad[i] end
  return t
end))

-- The metatable's __index entry replaced, removed and moved (the
-- metatable grows) while a method-call loop runs.
do
  local A = { f = function() return 1 end }
  local B = { f = function() return 2 end }
  local mt = { __index = A }
  local o = setmetatable({}, mt)
  local s = 0
  for i = 1, 300 do
    if i == 100 then mt.__index = B end
    if i == 150 then mt.__index = nil end
    if i == 200 then mt.__index = A; for k = 1, 20 do mt["x" .. k] = k end end
    if i == 250 then o.f = function() return 5 end end
    local f = o.f
    s = s + (f and f() or 10)
  end
  print(s)
end
