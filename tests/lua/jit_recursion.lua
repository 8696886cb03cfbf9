-- Recursion traces: function-entry traces of recursive functions
-- (up-recursion pushing frames, tail-recursion loops), side traces
-- linking to them, deep recursion to "stack overflow".

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end
print("fib", fib(22))

local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print("ack", ack(2, 30), ack(3, 4))

local function tak(x, y, z)
  if y >= x then return z end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end
print("tak", tak(18, 12, 6))

-- Tail recursion with an accumulator.
local function sum(n, acc)
  if n == 0 then return acc end
  return sum(n - 1, acc + n)
end
print("sum", sum(5000, 0), sum(100, 0.5))

-- Mutual recursion.
local iseven, isodd
function iseven(n) if n == 0 then return true end return isodd(n - 1) end
function isodd(n) if n == 0 then return false end return iseven(n - 1) end
print("even", iseven(1000), isodd(777), iseven(31))

-- Mutual non-tail recursion.
local f, g
function f(n) if n <= 0 then return 1 end return g(n - 1) + 1 end
function g(n) if n <= 0 then return 2 end return f(n - 1) * 2 end
print("fg", f(20), g(21))

-- Recursion over a tree (table results, strings).
local function build(d)
  if d == 0 then return { v = 1 } end
  return { l = build(d - 1), r = build(d - 1), v = d }
end
local function walk(t)
  if not t.l then return t.v end
  return walk(t.l) + walk(t.r) + t.v
end
print("tree", walk(build(10)))
local function str(n)
  if n == 0 then return "" end
  return str(n - 1) .. (n % 10)
end
print("str", str(40))

-- Type changes mid-recursion.
local function mix(n)
  if n <= 0 then return 0 end
  local r = mix(n - 1)
  if n == 50 then return "s" .. r end
  if type(r) == "string" then return r end
  return r + n
end
print("mix", mix(40), mix(80))

-- Deep recursion: "stack overflow" as the interpreter raises it.
local depth = 0
local function deep(n)
  depth = n
  return deep(n + 1) + 1
end
local ok, err = pcall(deep, 1)
print("deep", ok, (tostring(err):gsub("^.-:%d+: ", "")), depth > 1000)
local function deep2(n)
  if n == 0 then return 0 end
  return 1 + deep2(n - 1)
end
print("deep2", pcall(deep2, 10000))
print("deep2", deep2(5000))
-- A second overflow after traces exist.
ok, err = pcall(deep, 1)
print("deep again", ok, (tostring(err):gsub("^.-:%d+: ", "")))
