-- Side traces that return below their trace's start frame (the loop
-- exit of a callee continues in the caller).

local function sum(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return s
end
local t = {}
for i = 1, 100 do t[i] = i end
local acc = 0
for k = 1, 300 do
  acc = acc + sum(t, k % 50 + 1)
end
print("sum", acc)

-- Two results wanted, one given; the caller differs between calls.
local function find(a, x)
  local i = 1
  while a[i] do
    if a[i] == x then return i end
    i = i + 1
  end
  return nil
end
local hits, miss = 0, 0
for k = 1, 400 do
  local p, q = find(t, k % 120)
  if p then hits = hits + p else miss = miss + 1 end
  assert(q == nil)
end
print("find", hits, miss)
local function other(k) local r = find(t, k) return r end
local s2 = 0
for k = 1, 200 do s2 = s2 + (other(k % 90 + 1) or 0) end
print("other", s2)

-- Returning through several levels.
local function inner(a, n)
  local s = 0
  for i = 1, n do s = s + a[i] * 2 end
  return s, n
end
local function middle(a, n)
  local x, y = inner(a, n)
  return x + y
end
local function outer(a, n)
  local v = middle(a, n)
  return v - 1
end
local tot = 0
for k = 1, 300 do tot = tot + outer(t, k % 30 + 1) end
print("levels", tot)

-- Open upvalues in the frame returned from: closed by the interpreter.
local fns = {}
local function mk(n, capture)
  local c = 0
  if capture then fns[#fns + 1] = function() return c end end
  for i = 1, n do c = c + i end
  return c
end
local m = 0
for k = 1, 300 do m = m + mk(k % 20 + 1, k % 7 == 0) end
local sc = 0
for _, f in ipairs(fns) do sc = sc + f() end
print("upvals", m, #fns, sc)

-- Type instability in the caller after the return.
local function gen(n)
  local s = 0
  for i = 1, n do s = s + i end
  if n % 3 == 0 then return tostring(s) end
  return s
end
local parts = {}
for k = 1, 200 do
  local v = gen(k % 10 + 1)
  parts[#parts + 1] = type(v) == "string" and v or v + 0.5
end
print("mixed", parts[1], parts[2], parts[3], parts[199], #parts)

-- Called from different call sites and via pcall.
local function work(n)
  local s = 0
  for i = 1, n do s = s + i % 7 end
  return s
end
local w = 0
for k = 1, 200 do
  w = w + work(k % 25 + 2)
  local ok, r = pcall(work, k % 5 + 2)
  w = w + r
  w = w + select(2, pcall(work, 3))
end
print("pcall", w)

-- After the return, a different function is called at the level the
-- trace started at, and exits inside it.
local function scan(a, n)
  local c = 0
  for i = 1, n do c = c + a[i] end
  return c, n
end
local function post(x)
  if x % 2 == 0 then return x / 2 end
  return x * 3
end
local function driver(a, n)
  local c, m = scan(a, n)
  return post(c) + m
end
local r = 0
for k = 1, 300 do r = r + driver(t, k % 40 + 1) end
print("level", r)
