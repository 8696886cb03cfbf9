-- closures, upvalues, varargs, tail calls
local function e(f, ...) print(pcall(f, ...)) end

print("-- counters and shared upvalues")
local function counter()
  local n = 0
  return function() n = n + 1; return n end, function() return n end
end
local inc, get = counter()
inc(); inc(); print(get(), inc(), get())
local inc2 = counter(); print(inc2(), get())

local function shared()
  local x = 1
  local function setx(v) x = v end
  local function getx() return x end
  return setx, getx
end
local sx, gx = shared(); sx(42); print(gx())

print("-- per-iteration loop variables")
local fs = {}
for i = 1, 3 do fs[i] = function() return i end end
print(fs[1](), fs[2](), fs[3]())
fs = {}
for _, v in ipairs({"a", "b", "c"}) do fs[#fs + 1] = function() return v end end
print(fs[1](), fs[2](), fs[3]())
fs = {}
local j = 0
while j < 3 do j = j + 1; local k = j; fs[j] = function() k = k + 10; return k end end
print(fs[1](), fs[1](), fs[2](), fs[3]())
fs = {}
for i = 1, 2 do
  local acc = 0
  fs[i] = function() acc = acc + i; return acc end
end
print(fs[1](), fs[1](), fs[2](), fs[2]())
fs = {}
for i = 1, 3 do fs[i] = function() i = i + 1; return i end end
print(fs[1](), fs[1](), fs[2]())
fs = {}
local r = 0
repeat local c = r; fs[#fs + 1] = function() return c end; r = r + 1 until c >= 2
print(#fs, fs[1](), fs[3]())

print("-- nested upvalues")
local function outer()
  local a = 1
  return function()
    local b = 2
    return function()
      a = a + 1; b = b + 1
      return a + b
    end
  end
end
local mid = outer()
local in1, in2 = mid(), mid()
print(in1(), in1(), in2())

print("-- varargs")
local function va(...) return select("#", ...), ... end
print(va())
print(va(nil))
print(va(1, nil, 3))
print(va(nil, nil))
local function first(...) local a = ...; return a end
print(first(9, 8, 7), first())
local function pack(...) return {n = select("#", ...), ...} end
local p = pack(1, nil, 3, nil); print(p.n, p[1], p[3], #{...})
local function vtab(...) local t = {...}; return #t end
print(vtab(1, 2, 3), vtab())
local function passthrough(...) return ... end
print(passthrough(1, 2, 3), passthrough(4, 5))
print((passthrough(1, 2, 3)))
local function sel(...) return select(2, ...) end
print(sel("a", "b", "c"))
local function argcount(a, b, ...) return a, b, select("#", ...) end
print(argcount(1), argcount(1, 2, 3, 4))
local function old(...) return arg end
print(type(old(1, 2)))
print(select("#", passthrough(unpack({}, 1, 200))))
local function many(...) local s = 0; for i = 1, select("#", ...) do s = s + select(i, ...) end; return s end
local big = {}; for i = 1, 250 do big[i] = i end
print(many(unpack(big)))

print("-- tail calls")
local function tc(n, acc) if n == 0 then return acc end return tc(n - 1, acc + 1) end
print(tc(100000, 0))
local function even(n) if n == 0 then return true end return odd(n - 1) end
function odd(n) if n == 0 then return false end return even(n - 1) end
print(pcall(even, 100001))
local evn, od
evn = function(n) if n == 0 then return "even" end return od(n - 1) end
od = function(n) if n == 0 then return "odd" end return evn(n - 1) end
print(evn(100000), evn(100001))
local function tmulti(n) if n == 0 then return 1, 2, 3 end return tmulti(n - 1) end
print(tmulti(50000))
local function tcall_builtin(s) return string.upper(s) end
print(tcall_builtin("tail"))

print("-- recursion")
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20))
local function fact(n) if n <= 1 then return 1 end return n * fact(n - 1) end
print(fact(10), fact(20), fact(170) < math.huge, fact(171))
local function depth(n) if n == 0 then return 0 end return 1 + depth(n - 1) end
print(depth(5000))
local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end
print(ack(2, 3))

print("-- function values")
local function named() end
print(type(named), type(print), named == named, (function() end) == (function() end))
local t = {}
function t.f(x) return x end
function t:m(x) return self == t, x end
print(t.f(1), t:m(2))
print(t.m(t, 3))
local obj = {v = 10}
function obj.get(self) return self.v end
print(obj:get())
local function defaults(a, b) b = b or "def"; return a, b end
print(defaults(1), defaults(1, false), defaults(1, "x"))
do
  local x = 1
  local function f() return x end
  x = 2
  print(f())
end
local fns = {}
for i = 1, 3 do
  local function self_ref(n) if n > 0 then return self_ref(n - 1) end return i end
  fns[i] = self_ref
end
print(fns[1](3), fns[3](3))
print(e(function(...) local a, b = ...; return a + b end, 1, 2))
