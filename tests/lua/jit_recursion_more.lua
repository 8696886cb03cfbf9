-- Recursion shapes beyond jit_recursion.lua: recursive calls inlined in
-- loop traces up to `callunroll` levels (a lookup walking a chain of
-- parents), function-entry traces that end at a return the interpreter
-- makes (recursive functions that mostly stop at once), returns into a
-- protected call and into a native's callback, upvalues of variables
-- never assigned taken as constants (and changed by the debug library),
-- regions of recursion traces (fib, a global function, a closure).
-- (reference: luajit -joff. The expected output is luajit's
-- interpreter's: luajit's JIT keeps an immutable upvalue's old value
-- after debug.setupvalue, setlocal and upvaluejoin.)

-- A lookup through a chain of scopes (busted's environments): each call
-- recurses two to four levels deep from a loop.
local function lookup(scope, key)
  if not scope then return nil end
  local v = scope.vars[key]
  if v ~= nil then return v end
  return lookup(scope.parent, key)
end
local root = {vars = {a = 1, b = 2}}
local mid = {vars = {c = 3}, parent = root}
local leaf = {vars = {d = 4}, parent = mid}
local sum = 0
for i = 1, 300 do
  sum = sum + lookup(leaf, "a") + lookup(leaf, "c") + lookup(leaf, "d")
  if i % 50 == 0 then sum = sum + (lookup(leaf, "zz") or 100) end
end
print("lookup", sum)

-- Mostly base cases: the function-entry trace records `return n * 2`.
local function halves(n)
  if n < 3 then return n * 2 end
  return halves(n - 3) + 1
end
local h = 0
for i = 1, 400 do h = h + halves(i % 4) + halves(i % 11) end
print("halves", h)

-- Returns into a protected call and into a native's callback.
local function depth(n) if n == 0 then return 0 end return depth(n - 1) + 1 end
local p = 0
for i = 1, 300 do
  local ok, v = pcall(depth, i % 7)
  p = p + (ok and v or -1)
  local s = string.gsub("ab", ".", function(c) return tostring(depth(i % 5)) end)
  p = p + #s
end
print("pcall/gsub", p)

-- Upvalues never assigned: constants for the traces (the closure's
-- upvalue is closed: its variable belongs to a function that returned);
-- the debug library setting one is seen.
local function mkadd(k) return function(x) return x + k end end
local addk = mkadd(10)
local u = 0
for i = 1, 300 do
  u = u + addk(i)
  if i == 150 then debug.setupvalue(addk, 1, 1000) end
end
print("const upvalue", u, debug.getupvalue(addk, 1))
local function outer()
  local c = 5
  local function g(x) return x * c end
  local t = 0
  for i = 1, 200 do
    t = t + g(i)
    if i == 100 then debug.setlocal(1, 1, 7) end
  end
  return t, c
end
print("setlocal", outer())
local A, B = 1, 2
local function ga() return A end
local function gb() return B end
local w = 0
for i = 1, 300 do
  w = w + ga()
  if i == 100 then debug.upvaluejoin(ga, 1, gb, 1) end
end
print("upvaluejoin", w)
-- Assigned later (by another closure): not a constant.
local function mkacc(k) return function(x) return x + k end, function(v) k = v end end
local addm, setm = mkacc(1)
local m = 0
for i = 1, 300 do m = m + addm(i) if i == 100 then setm(50) end end
print("assigned upvalue", m)

-- Recursion regions: fib through a local, a global and a closure.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
function gfib(n) if n < 2 then return n end return gfib(n - 1) + gfib(n - 2) end
local self
self = function(n) if n < 2 then return n end return self(n - 1) + self(n - 2) end
print("fibs", fib(24), gfib(20), self(20))
-- A closure called through a local that changes meanwhile.
local calls = 0
local function mk(k) return function(n) calls = calls + 1 if n < 2 then return n + k end return self(n - 1) + self(n - 2) end end
self = mk(1)
local x = self(15)
self = mk(2)
print("changing", x, self(15), calls)
