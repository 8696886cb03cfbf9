-- Calls whose results are all passed on (CALLM, RETM, CALLMT), in traces.

local function two(x) return x, x * 2 end
local function three(x)
  if x % 5 == 0 then return x end
  return x, x + 1, x + 2
end
local function add(a, b, c) return a + (b or 0) + (c or 0) end
local function count(...) return select("#", ...) end

local s, n = 0, 0
for i = 1, 300 do
  s = s + add(two(i))
  s = s + add(three(i))
  s = s + add(1, two(i))
end
print("callm", s)

-- return f(...) into a caller that wants everything.
local function pass(x) return three(x) end
local function pass2(x) return two(x) end
local t = 0
for i = 1, 300 do
  t = t + add(pass(i)) + add(pass2(i))
end
print("retm", t)

-- Results of fast functions as the last argument.
local u = 0
for i = 1, 300 do
  u = u + add(i, math.floor(i / 3)) + add(math.max(i, 7))
end
print("fast", u)

-- Tail call with the multiple results as arguments.
local function tc(x) return add(two(x)) end
local v = 0
for i = 1, 300 do v = v + tc(i) end
print("callmt", v)

-- Values collected into a table constructor (TSETM: stays in the
-- interpreter) and returned through several levels.
local function lvl3(x) return x, -x end
local function lvl2(x) return lvl3(x + 1) end
local function lvl1(x) return lvl2(x * 2) end
local w = 0
for i = 1, 300 do
  local a, b = lvl1(i)
  w = w + a - b
  local tt = { lvl1(i) }
  w = w + #tt
end
print("levels", w)

-- Type changes of the passed-on results.
local function mixed(i)
  if i % 3 == 0 then return "s", i end
  return i, "s"
end
local function kinds(a, b) return type(a) == "number" and 1 or 10 end
local seen = 0
for i = 1, 300 do
  seen = seen + kinds(mixed(i))
end
print("mixed", seen)

-- The consumer's callee changes: its guard exits to the producer.
local function sub(a, b) return a - b end
local g = add
local z = 0
for i = 1, 300 do
  if i == 150 then g = sub end
  z = z + g(two(i))
  local h = i % 7 == 0 and sub or add
  z = z + h(two(i))
end
print("switch", z)
