-- Calls into vararg functions and VARG with a fixed number of results.
local function first(...)
  local a = ...
  return a
end
local function second(x, ...)
  local a, b = ...
  return x + a + (b or 100)
end
local function pass(...)
  return first(...)
end
local function count(a, ...)
  local x, y, z = ...
  local n = 0
  if x then n = n + 1 end
  if y then n = n + 1 end
  if z then n = n + 1 end
  return n
end
local s = 0
for i = 1, 200 do
  s = s + first(i, 2, 3) + second(i, 1) + second(i, 1, 2)
  s = s + pass(i) + count(i) + count(i, i) + count(i, 1, 2, 3, 4)
end
print(s)

-- Varargs forwarded to a table constructor and returned.
local function pack2(...) return {...} end
local function ret(...) return ... end
local t = 0
for i = 1, 100 do
  local p = pack2(i, i + 1, i + 2)
  local a, b, c = ret(i, -i, 0)
  t = t + p[1] + p[3] + #p + a + b + c
end
print(t)

-- A vararg function that tail-calls, and one with fewer args than params.
local function add3(a, b, c) return a + b + (c or 0) end
local function tc(...) return add3(...) end
local function few(a, b, ...)
  local x = ...
  return (a or 0) + (b or 0) + (x or 0)
end
local u = 0
for i = 1, 100 do
  u = u + tc(i, 1) + tc(i, 1, 1) + few(i) + few() + few(1, 2, 3)
end
print(u)

-- Errors inside vararg functions after the loop got hot.
local function check(...)
  local v = ...
  if v > 150 then error("bad " .. v) end
  return v
end
print(pcall(function()
  local z = 0
  for i = 1, 300 do z = z + check(i, "x") end
  return z
end))

-- A vararg metamethod-free method call chain.
local obj = {n = 0}
function obj:add(...)
  local a, b = ...
  self.n = self.n + a + (b or 0)
  return self
end
for i = 1, 100 do obj:add(i):add(1, 2) end
print(obj.n)

-- Exits inside a vararg frame, then the interpreter reads its varargs.
local function mixed(k, ...)
  local x = k
  if type(k) == "string" then x = #k end
  local a, b, c = ...
  local d = ...
  return x + a + b + (c or 0) + d
end
local w = 0
for i = 1, 200 do
  local k = i % 50 == 0 and "str" or i
  w = w + mixed(k, 1, 2) + mixed(k, 1, 2, 3)
end
print(w)

-- Varargs changed mid-loop in count and type; __add on the results.
local V = {__add = function(a, b) return (type(a) == "table" and a.v or a) + (type(b) == "table" and b.v or b) end}
local function sum(...)
  local a, b = ...
  return a + b
end
local vv = setmetatable({v = 5}, V)
local acc = 0
for i = 1, 200 do
  if i < 100 then acc = acc + sum(i, 1, 0) else acc = acc + sum(vv, i) end
end
print(acc)
