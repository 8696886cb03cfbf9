-- Tail calls and calls whose caller takes every result (`f(g())`,
-- `return g()`): the interpreter's inline paths for Lua callees, and the
-- cases that leave them (open upvalues, varargs, natives, metamethods).

-- Ackermann and Takeuchi: `return f(..., f(...))` (CALLM into CALLMT).
local function ack(m, n)
  if m > 0 then
    if n > 0 then return ack(m - 1, ack(m, n - 1)) end
    return ack(m - 1, 1)
  end
  return n + 1
end
local function tak(a, b, c)
  if b < a then return tak(tak(a - 1, b, c), tak(b - 1, c, a), tak(c - 1, a, b)) end
  return c
end
print(ack(2, 30), ack(3, 4), tak(12, 8, 4))

-- Deep tail recursion runs in constant stack.
local function count(n, acc)
  if n == 0 then return acc end
  return count(n - 1, acc + 1)
end
print(count(300000, 0))

-- Fewer and more arguments than parameters.
local function p3(a, b, c) return a, b, c end
local function t0() return p3() end
local function t1(x) return p3(x) end
local function t5(x) return p3(x, 2, 3, 4, 5) end
print(t0())
print(t1(1))
print(t5(1))
print(select('#', t0()), select('#', t5(9)))

-- Results counts through multres, 0 to 4 values.
local function r(n)
  if n == 0 then return end
  if n == 1 then return 1 end
  if n == 2 then return 1, 2 end
  if n == 3 then return 1, 2, 3 end
  return 1, 2, 3, 4
end
local function tr(n) return r(n) end
for n = 0, 4 do
  print(n, select('#', r(n)), select('#', tr(n)), tr(n))
  local t = { tr(n) }
  print(#t, t[n])
end
local function pass(...) return ... end
print(pass(tr(3)), pass(tr(0)), pass(tr(2)))

-- A tail call into a vararg function, and from one.
local function va(...) return select('#', ...), ... end
local function tva(a, b) return va(b, a, nil) end
local function vat(...) return p3(...) end
print(tva(1, 2))
print(vat(7, 8, 9, 10))
print(vat())

-- Open upvalues in the tail-calling frame are closed first.
local fs = {}
local function mkc(i)
  local v = i * 10
  fs[i] = function() return v end
  return p3(v, i)
end
print(mkc(1), mkc(2), fs[1](), fs[2]())
local function loopclose(n)
  local acc = {}
  for i = 1, n do
    acc[i] = function() return i end
  end
  return p3(acc[1](), acc[n]())
end
print(loopclose(5))

-- Tail calls inside pcall'd and xpcall'd functions, and errors after.
local function fails(x) error("bad " .. x, 0) end
local function tfail(x) return fails(x) end
print(pcall(tr, 3))
print(pcall(tfail, "y"))
print(xpcall(function() return tr(2) end, print))
print(xpcall(function() return tfail("z") end, function(m) return "h:" .. m end))

-- Natives and fast functions in tail position.
local function tn(t) return rawget(t, 1) end
local function tf(x) return math.floor(x) end
local function ts(...) return select(2, ...) end
local function tsort(t) return table.concat(t, ",") end
print(tn({ 5 }), tf(2.5), ts(1, 2, 3), tsort({ 3, 1, 2 }))

-- A callable table in tail position (`__call`), and a metamethod that
-- tail-calls.
local callable = setmetatable({}, { __call = function(self, a, b) return a + b, self end })
local function tcall(a, b) return callable(a, b) end
local s, self = tcall(3, 4)
print(s, self == callable)
local mt = {
  __index = function(t, k) return p3(k, #k) end,
  __add = function(a, b) return tr(3) end,
}
local obj = setmetatable({}, mt)
print(obj.abc, obj + 1)

-- Loops over both (so a JIT forced hot compiles them).
local sum = 0
for i = 1, 200 do
  sum = sum + ack(1, i % 7) + count(i % 13, 0) + select('#', tr(i % 5))
end
print(sum)
