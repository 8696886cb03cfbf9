-- Comparison metamethods (__lt, __le, and __le falling back to not __lt)
-- in hot loops: the metamethod runs in its own frame, whose result takes
-- or skips the comparison's jump; errors, yields and tracebacks inside it.

local V = {}
V.__index = V
V.__lt = function(a, b) return a.x < b.x or (a.x == b.x and a.y < b.y) end
V.__le = function(a, b) return not (b < a) end
local function v(x, y) return setmetatable({ x = x, y = y }, V) end

local lt, le, gt, ge = 0, 0, 0, 0
for i = 1, 400 do
  local a, b = v(i % 7, i % 3), v(i % 5, i % 4)
  if a < b then lt = lt + 1 end
  if a <= b then le = le + 1 end
  if a > b then gt = gt + 1 end
  if a >= b then ge = ge + 1 end
end
print("V", lt, le, gt, ge)

-- Only __lt: <= and >= use not (b < a).
local L = { __lt = function(a, b) return a.n < b.n end }
local function l(n) return setmetatable({ n = n }, L) end
local c = { 0, 0, 0, 0 }
for i = 1, 300 do
  local a, b = l(i % 11), l(i % 6)
  c[1] = c[1] + (a < b and 1 or 0)
  c[2] = c[2] + (a <= b and 1 or 0)
  c[3] = c[3] + ((not (a > b)) and 1 or 0)
  c[4] = c[4] + ((a >= b) and 1 or 0)
end
print("L", c[1], c[2], c[3], c[4])

-- Results that are not booleans: truthiness decides.
local T = { __lt = function(a, b) if a.n < b.n then return a.n end return nil end,
            __le = function(a, b) if a.n <= b.n then return "yes" end end }
local function t(n) return setmetatable({ n = n }, T) end
local k = 0
for i = 1, 300 do
  local a, b = t(i % 4), t(i % 9)
  if a < b then k = k + 1 end
  if a <= b then k = k + 10 end
  while a < b do a = t(a.n + 1); k = k + 100 end
end
print("T", k)

-- Sorting with __lt.
local items = {}
for i = 1, 200 do items[i] = v((i * 37) % 101, i % 3) end
table.sort(items)
local okv = true
for i = 2, #items do if items[i] < items[i - 1] then okv = false end end
print("sorted", okv, items[1].x, items[200].x)

-- The metamethod changes type of what it returns mid-loop.
local flip = 0
local F = { __lt = function(a, b) flip = flip + 1; if flip > 150 then return 1 end return false end }
local fa, fb = setmetatable({}, F), setmetatable({}, F)
local fc = 0
for i = 1, 300 do if fa < fb then fc = fc + 1 end end
print("flip", fc)

-- Errors inside the metamethod, and comparing without one.
local E = { __lt = function(a, b) if b.n > 250 then error("bad " .. b.n) end return a.n < b.n end }
local ok, err = pcall(function()
  local n = 0
  for i = 1, 300 do if setmetatable({ n = 0 }, E) < setmetatable({ n = i }, E) then n = n + 1 end end
  return n
end)
print("error", ok, err)
print(pcall(function() return {} < {} end))
print(pcall(function() return setmetatable({}, L) < setmetatable({}, V) end))

-- A yield inside a comparison metamethod.
local Y = { __lt = function(a, b) coroutine.yield(a.n) return a.n < b.n end }
local co = coroutine.wrap(function()
  local r = 0
  for i = 1, 5 do
    if setmetatable({ n = i }, Y) < setmetatable({ n = 3 }, Y) then r = r + 1 end
  end
  return "done " .. r
end)
local ys = {}
for _ = 1, 6 do ys[#ys + 1] = tostring(co()) end
print("yield", table.concat(ys, " "))

-- __eq: called only for two different tables with the same handler.
local Q = { __eq = function(a, b) return a.k % 5 == b.k % 5 end }
local R = { __eq = function(a, b) return true end }
local function q(k) return setmetatable({ k = k }, Q) end
local same, diff, self_eq, mixed, plain = 0, 0, 0, 0, 0
local shared = q(1)
for i = 1, 400 do
  local a, b = q(i), q(i + (i % 3) * 5 + (i % 2))
  if a == b then same = same + 1 else diff = diff + 1 end
  if a ~= b then diff = diff + 1 end
  if shared == shared then self_eq = self_eq + 1 end
  if a == setmetatable({ k = i }, R) then mixed = mixed + 1 end
  if a == {} then plain = plain + 1 end
end
print("eq", same, diff, self_eq, mixed, plain)

-- Metamethods are named after their event in tracebacks.
local N = { __lt = function() error("x") end, __le = function() error("x") end,
            __eq = function() error("x") end, __add = function() error("x") end,
            __index = function() error("x") end }
local na, nb = setmetatable({}, N), setmetatable({}, N)
for _, f in ipairs({ function() return na < nb end, function() return na >= nb end,
                     function() return na <= nb end, function() return na == nb end,
                     function() return na + 1 end, function() return na.field end }) do
  local tb = select(2, xpcall(f, debug.traceback))
  print("named", tb:match("in function '(__%a+)'"))
end
