-- Arithmetic metamethods recorded as inlined Lua calls.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({x = x, y = y}, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y) end
V.__mul = function(a, b)
  if type(a) == "number" then return vec(a * b.x, a * b.y) end
  if type(b) == "number" then return vec(a.x * b, a.y * b) end
  return a.x * b.x + a.y * b.y
end
V.__div = function(a, b) return vec(a.x / b, a.y / b) end
V.__mod = function(a, b) return vec(a.x % b, a.y % b) end
V.__pow = function(a, b) return a.x ^ b end
V.__unm = function(a) return vec(-a.x, -a.y) end

local acc = vec(0, 0)
for i = 1, 200 do
  local v = vec(i, i * 2)
  acc = acc + v
  acc = acc - vec(1, 1)
  local d = v * v
  acc = acc + 2 * vec(d % 7, 1)
  acc = (acc * 0.5) / 0.5
  acc = -(-acc)
  acc = acc % 1000
end
print(acc.x, acc.y)

-- Metamethod from the second operand; numbers on the left.
local N = {}
N.__add = function(a, b)
  local x = type(a) == "table" and a.v or a
  local y = type(b) == "table" and b.v or b
  return x + y
end
local n = setmetatable({v = 3}, N)
local s = 0
for i = 1, 100 do
  s = s + (i + n) + (n + i) + (10 + n)
end
print(s)

-- Metatables and metamethods changed mid-loop.
local A = {__add = function(a, b) return 1 end}
local B = {__add = function(a, b) return 2 end}
local t = setmetatable({}, A)
local r = 0
for i = 1, 300 do
  if i == 100 then setmetatable(t, B) end
  if i == 150 then A.__add = function(a, b) return 5 end end
  if i == 200 then setmetatable(t, A) end
  if i == 250 then setmetatable(t, nil); t = setmetatable({}, {__add = function(a, b) return b end}) end
  r = r + (t + i)
end
print(r)

-- A metamethod returning several values gives the first; none gives nil.
local M = {__add = function(a, b) return 7, 8, 9 end, __sub = function() end}
local m = setmetatable({}, M)
local keep, cnt = 42, 0
for i = 1, 100 do
  local x, y = m + i, keep
  if (m - i) == nil then cnt = cnt + 1 end
  keep = y
  cnt = cnt + x
end
print(keep, cnt)

-- Errors raised inside a metamethod after many iterations.
local E = {__add = function(a, b)
  if b > 150 then error("too big: " .. b) end
  return b
end}
local e = setmetatable({}, E)
local ok, msg = pcall(function()
  local z = 0
  for i = 1, 300 do z = z + (e + i) end
  return z
end)
print(ok, msg)

-- Arithmetic error when neither operand has a metamethod.
local plain = setmetatable({}, {})
local ok2, msg2 = pcall(function()
  local z = 0
  for i = 1, 100 do
    local o = i < 90 and n or plain
    z = z + (o + 1)
  end
  return z
end)
print(ok2, msg2)
