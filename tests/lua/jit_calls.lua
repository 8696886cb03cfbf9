-- JIT: Lua function calls inlined into traces, exits inside callees,
-- returns of several values, missing arguments.
local function sq(x) return x * x end
local function add3(a, b, c) return a + b + (c or 100) end
local function pair(x) return x, x + 1 end
local function maybe(i)
  if i % 17 == 0 then return "s" end
  return i
end

local s = 0
for i = 1, 500 do s = s + sq(i) end
print(s)
local t = 0
for i = 1, 300 do t = t + add3(i, 1) + add3(i, 2, 3) end
print(t)
local u = 0
for i = 1, 200 do local a, b = pair(i); u = u + a * b end
print(u)
local m = 0
for i = 1, 300 do
  local v = maybe(i)
  if type(v) == "number" then m = m + v else m = m + 1000 end
end
print(m)

local Vec = {}
Vec.__index = Vec
function Vec.new(x, y) return setmetatable({x = x, y = y}, Vec) end
function Vec:len2() return self.x * self.x + self.y * self.y end
function Vec:scale(k) self.x = self.x * k; self.y = self.y * k end
local v = Vec.new(1, 2)
local acc = 0
for i = 1, 400 do
  acc = acc + v:len2()
  if i % 100 == 0 then v:scale(0.5) end
end
print(acc)

local function A(i, j)
  local ij = i + j - 1
  return 1.0 / (ij * (ij - 1) * 0.5 + i)
end
local sum = 0
for i = 1, 60 do for j = 1, 60 do sum = sum + A(i, j) end end
print(string.format("%.10f", sum))

local function deep3(x) return x + 3 end
local function deep2(x) return deep3(x) * 2 end
local function deep1(x) return deep2(x) - 1 end
local d = 0
for i = 1, 300 do d = d + deep1(i) end
print(d)

local function errs(i) if i == 250 then error("bad " .. i) end return i end
print(pcall(function() local z = 0 for i = 1, 300 do z = z + errs(i) end return z end))

local function upv()
  local count = 0
  return function() count = count + 1 return count end
end
local c = upv()
local cs = 0
for i = 1, 200 do cs = cs + c() end
print(cs)

local mm = 0
for i = 1, 300 do
  local v = (i == 150) and 0/0 or i
  mm = mm + math.min(v, 100) + math.max(50, v % 80) + math.min(v, v)
end
print(mm ~= mm, math.min(1, 0/0), math.max(0/0, 1) ~= math.max(0/0, 1))
local kinds = {}
local vals = {1, "a", {}, true, print, nil}
for i = 1, 120 do
  local t = type(vals[(i % 6) + 1])
  kinds[t] = (kinds[t] or 0) + 1
end
print(kinds.number, kinds.string, kinds.table, kinds.boolean, kinds["function"], kinds["nil"])
