-- Metamethods read from a metatable the trace fixed are loaded from their
-- hash entry (HREFK); the loop must see the metatable change: a method
-- replaced, removed (then __index used instead), or moved by a rehash
-- when many keys are added.
local ffi = require "ffi"

local mt = {}
mt.__add = function(a, b) return a.v + b end
local obj = setmetatable({ v = 1 }, mt)
local s = 0
for i = 1, 300 do
  s = s + (obj + i)
  if i == 100 then mt.__add = function(a, b) return a.v * b end end
  if i == 200 then
    for k = 1, 40 do mt["k" .. k] = k end -- rehash: entries move
  end
end
print("table add", s)

-- __index of a metatable, replaced during the loop.
local mt2 = { __index = { x = 1 } }
local o2 = setmetatable({}, mt2)
local t = 0
for i = 1, 300 do
  t = t + o2.x
  if i == 150 then mt2.__index = { x = 10 } end
end
print("index", t)

-- Metatype metamethods and methods (the metatable is never changed:
-- LuaJIT does not allow it).
ffi.cdef "typedef struct { double x, y; } hv2;"
local V
V = ffi.metatype("hv2", {
  __add = function(a, b) return V(a.x + b.x, a.y + b.y) end,
  __mul = function(a, k) return V(a.x * k, a.y * k) end,
  __index = { len2 = function(a) return a.x * a.x + a.y * a.y end },
})
local acc, d = V(0, 0), 0
for i = 1, 1000 do
  local v = V(i % 7, 2) * 0.25
  acc = acc + v
  d = d + v:len2()
end
print("metatype", acc.x, acc.y, d)
