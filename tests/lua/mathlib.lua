-- math library conformance
local function e(f, ...) print(pcall(f, ...)) end
local function r(x) return string.format("%.10g", x) end

print("-- constants")
print(math.pi, math.huge, -math.huge, r(math.pi))
print(math.huge > 1e308, math.huge == 1/0)

print("-- abs/floor/ceil")
print(math.abs(-3), math.abs(3), math.abs(-0.5), math.abs(-math.huge), math.abs(-0.0))
print(math.floor(3.7), math.floor(-3.7), math.floor(-3), math.floor(0.5), math.floor(-0.5))
print(math.ceil(3.2), math.ceil(-3.2), math.ceil(3), math.ceil(-0.5), math.ceil(0.0))
print(math.floor(2^53 + 0.5), math.floor(-2^40 - 0.5), math.ceil(1e100))
print(math.floor(math.huge), math.ceil(-math.huge), math.floor("3.5"))
e(math.floor)
e(math.floor, "x")
e(math.abs, nil)

print("-- sqrt/exp/log")
print(math.sqrt(16), math.sqrt(2), math.sqrt(0), math.sqrt(-1) ~= math.sqrt(-1), math.sqrt(math.huge))
print(math.exp(0), r(math.exp(1)), math.exp(-math.huge), math.exp(math.huge))
print(math.log(1), r(math.log(10)), math.log(0), math.log(-1) ~= math.log(-1), math.log(math.huge))
print(math.log(8, 2), math.log(100, 10), math.log(27, 3), r(math.log(2, 8)), math.log(1, 5))
print(math.log10(1000), math.log10(0.01), math.log10(0))
print(math.log(1024, 2), math.log(0.5, 2), math.log(10, 10))
e(math.log)
e(math.sqrt, "a")

print("-- pow/fmod/modf")
print(math.pow(2, 10), math.pow(2, 0.5), math.pow(-2, 3), math.pow(0, 0), math.pow(2, -2))
print(math.fmod(7, 3), math.fmod(-7, 3), math.fmod(7, -3), math.fmod(-7, -3), math.fmod(7.5, 2))
print(math.fmod(1, 0) ~= math.fmod(1, 0), math.fmod(0, 5), math.fmod(5, math.huge), math.fmod(-6, 3))
print(math.modf(3.7)); print(math.modf(-3.7)); print(math.modf(5)); print(math.modf(-0.5))
print(math.modf(math.huge)); print(math.modf(-math.huge)); print(math.modf(0))
e(math.fmod, 1)
e(math.pow, 2)

print("-- frexp/ldexp")
print(math.frexp(8)); print(math.frexp(1)); print(math.frexp(0.5)); print(math.frexp(-3))
print(math.frexp(0)); print(math.frexp(1e300)); print(math.frexp(3.5))
print(math.ldexp(1, 3), math.ldexp(0.5, 1), math.ldexp(3, -1), math.ldexp(1, 1024), math.ldexp(1, -1080))
print(math.ldexp(0.75, 4), math.ldexp(-1, 10), math.ldexp(5, 0))
e(math.ldexp, 1)

print("-- trig")
print(math.sin(0), math.cos(0), math.tan(0), r(math.sin(math.pi / 2)), r(math.cos(math.pi)))
print(r(math.asin(1)), r(math.acos(0)), r(math.atan(1)), math.asin(0), math.acos(1))
print(r(math.atan2(1, 1)), r(math.atan2(1, -1)), r(math.atan2(-1, -1)), math.atan2(0, 1), r(math.atan2(1, 0)))
print(r(math.sinh(1)), r(math.cosh(1)), r(math.tanh(1)), math.sinh(0), math.cosh(0), math.tanh(math.huge))
print(r(math.deg(math.pi)), r(math.rad(180)), math.deg(0), math.rad(0), math.deg(1) == 180 / math.pi)
print(math.asin(2) ~= math.asin(2), r(math.atan(math.huge)), r(math.atan2(0, -1)))

print("-- min/max")
print(math.min(3, 1, 2), math.max(3, 1, 2), math.min(5), math.max(-1, -5), math.min(1.5, 1))
print(math.max(-math.huge, 0), math.min(math.huge, 1e308), math.max(1, 2.5, "3"))
print(math.min(-0.0, 0.0), math.max(0, -1, 1))
e(math.min)
e(math.max)
e(math.max, 1, "x")
e(function() local v = math.min(1, {}); return v end)

print("-- random")
math.randomseed(42)
local okr = true
for i = 1, 1000 do local v = math.random(); if v < 0 or v >= 1 then okr = false end end
print("random() in [0,1)", okr)
okr = true
local seen = {}
for i = 1, 2000 do local v = math.random(6); seen[v] = true; if v < 1 or v > 6 or v ~= math.floor(v) then okr = false end end
print("random(6) in 1..6", okr, seen[1] and seen[6] and true)
okr = true
for i = 1, 1000 do local v = math.random(-3, 3); if v < -3 or v > 3 or v ~= math.floor(v) then okr = false end end
print("random(-3,3)", okr)
print(math.random(1, 1), math.random(5, 5))
math.randomseed(7); local a1, a2 = math.random(), math.random(100)
math.randomseed(7); local b1, b2 = math.random(), math.random(100)
print("seed reproducible", a1 == b1, a2 == b2)
local function rs(...) local ok, v = pcall(math.random, ...); print(ok, ok and type(v) or v) end
rs(0); rs(2, 1); rs(1, 2, 3); rs(-5)
e(math.random, "x")
local v39 = math.random(3.9); print(v39 >= 1 and v39 <= 4 and v39 == math.floor(v39))

print("-- coercion and misc")
print(math.abs("-2"), math.sqrt("4"), math.max("10", 9))
print(math.floor(-0.0), 1 / math.floor(-0.0), math.ceil(-0.3), 1 / math.ceil(-0.3))
print(math.fmod(5.5, 2), math.fmod(-5.5, 2), math.fmod(2^53, 3))
print(8 % 3 == math.fmod(8, 3), -8 % 3, math.fmod(-8, 3))
print(type(math.mod), type(math.gamma), type(math.type), type(math.tointeger))
local names = {}
for k in pairs(math) do names[#names + 1] = k end
table.sort(names); print(table.concat(names, " "))
