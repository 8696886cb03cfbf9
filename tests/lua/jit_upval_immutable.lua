-- Upvalues whose variables are never assigned after their declaration
-- are read as constants by traces (LuaJIT's immutable upvalues); any
-- assignment, here or in a nested function, and debug.setupvalue /
-- debug.setlocal keep them variable (LuaJIT keeps the old constant in
-- its traces there: parts 8 and 9 expect `luajit -joff`'s output).
local band, bor = bit.band, bit.bor
local K = 7
local name = "k"
local flag = true
local function F(x, y) return bor(band(x, y), K) end

local s = 0
for i = 1, 300 do s = s + F(i, 12) + (flag and #name or 0) end
print(1, s)

-- assigned after the closure was made: not immutable
local m = 1
local function getm() return m end
local t = 0
for i = 1, 300 do
  t = t + getm()
  if i == 150 then m = 10 end
end
print(2, t)

-- assigned in a nested function
local c = 0
local function bump() c = c + 1 end
local function getc() return c end
local u = 0
for i = 1, 300 do
  u = u + getc()
  if i % 50 == 0 then bump() end
end
print(3, u)

-- an upvalue of an upvalue, assigned two levels down
local function outer()
  local v = 1
  local function mid()
    local function set(x) v = x end
    local function get() return v end
    return set, get
  end
  return mid()
end
local set, get = outer()
local w = 0
for i = 1, 300 do
  w = w + get()
  if i == 200 then set(5) end
end
print(4, w)

-- an immutable upvalue of an upvalue
local function mk()
  local base = 100
  return function()
    return function(x) return x + base end
  end
end
local add = mk()()
local z = 0
for i = 1, 300 do z = z + add(i) end
print(5, z)

-- loop variables captured per iteration: each closure its own value
local fs = {}
for i = 1, 5 do fs[i] = function() return i * 2 end end
local q = 0
for j = 1, 300 do q = q + fs[1 + j % 5]() end
print(6, q)

-- recursive local function (captures itself)
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
local fsum = 0
for i = 1, 300 do fsum = fsum + fact(i % 8) end
print(7, fsum)

-- debug.setupvalue on an immutable upvalue: traces see the new value
local limit = 3
local function lim() return limit end
local r = 0
for i = 1, 300 do
  r = r + lim()
  if i == 100 then debug.setupvalue(lim, 1, 30) end
end
print(8, r, limit)

-- debug.setlocal on a captured local
local function probe()
  local kk = 2
  local function get2() return kk end
  local acc = 0
  for i = 1, 300 do
    acc = acc + get2()
    if i == 120 then debug.setlocal(1, 1, 20) end
  end
  return acc
end
print(9, probe())
-- reference: luajit -joff (LuaJIT's traces keep the old constant)
