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

-- Down-recursion: returns into callers of the same function, which add
-- and return again (the return traces pop real frames).
local function sumr(n)
  if n == 0 then return 0 end
  return n + sumr(n - 1)
end
print("sumr", sumr(3000), sumr(10), sumr(2999))
local function two(n)
  if n == 0 then return 0, 1 end
  local a, b = two(n - 1)
  return b, a + b
end
print("two", two(30))
-- A caller with a closure over a local (open upvalue) gets the result.
local function cl(n)
  if n == 0 then return 1 end
  local k = n
  local get = function() return k end
  local r = cl(n - 1)
  return r + get()
end
print("cl", cl(200), cl(150))
-- Results of a tail call through MULTRES into the caller (ack's shape).
local function ak(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ak(m - 1, 1) end
  return ak(m - 1, ak(m, n - 1))
end
print("ak", ak(2, 40), ak(3, 3))
-- Recursion inside natives' callbacks, pcall and coroutines: returns
-- never pop the frames below them.
local r = {}
for i = 1, 60 do r[i] = (i * 37) % 61 end
table.sort(r, function(a, b) return sumr(a % 7) < sumr(b % 7) or (sumr(a % 7) == sumr(b % 7) and a < b) end)
print("sort", r[1], r[30], r[60])
print("gsub", (string.gsub("abcabc", "%w", function(c) return sumr(#c + 3) end)))
print("pcall", pcall(sumr, 400), pcall(fib, 15))
local co = coroutine.wrap(function(n)
  local a = fib(n)
  local b = coroutine.yield(a)
  return sumr(b) + fib(n)
end)
print("co", co(16), co(50))
-- Type changes in returned values.
local function tv(n)
  if n == 0 then return "x" end
  if n == 25 then return 0 end
  local v = tv(n - 1)
  if type(v) == "string" then return v .. n % 10 end
  return v + n
end
print("tv", tv(20), tv(60))
-- Down-recursion over two functions.
local pa, pb
function pa(n) if n <= 0 then return 1 end return pb(n - 1) + n end
function pb(n) if n <= 0 then return 2 end return pa(n - 1) - 1 end
print("pab", pa(300), pb(301))
-- Deep down-recursion, then stack overflow again.
print("sumr deep", sumr(9000))
ok, err = pcall(deep, 1)
print("deep third", ok, (tostring(err):gsub("^.-:%d+: ", "")))
