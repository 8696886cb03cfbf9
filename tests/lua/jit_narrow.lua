-- Integer narrowing of numeric for loops: counters, limits and steps at the
-- edges of the int32 range, non-integral limits, steps that change sign
-- between entries of a compiled loop, counters used as numbers, loops
-- entered compiled from their FORI.
-- reference: luajit -joff (LuaJIT's JIT starts a loop from -0 at 0).

local function show(...) print(...) end

-- Counter as array index, with +-1 neighbours.
local t = {}
for i = 1, 100 do t[i] = i * 2 end
local s = 0
for i = 2, 99 do s = s + t[i] + t[i - 1] + t[i + 1] end
show("neighbours", s)

-- Counters used as numbers: division, modulo, negation, concatenation,
-- tostring, string.format, equality with numbers, table keys.
local parts = {}
for i = 1, 12 do
  parts[#parts + 1] = i .. ":" .. tostring(i / 4) .. ":" .. (i % 5) .. ":" .. (-i)
  parts[#parts + 1] = string.format("%d/%g", i, i * 0.5)
  if i == 6 then parts[#parts + 1] = "six" end
end
show(table.concat(parts, " "))
local h = {}
for i = 1, 30 do h[i * 1000] = i end
local hs = 0
for i = 1, 30 do hs = hs + h[i * 1000] end
show("hash keys", hs)

-- Non-integral limits (rounded towards the start).
local f = 0
for i = 1, 10.5 do f = f + i end
for i = 10, 1.5, -1 do f = f + i end
for i = 1, -0.5 do f = f + 1000 end
show("fractional limits", f)

-- The int32 edges: the last step overflows int32.
local c = 0
for i = 2147483640, 2147483647 do c = c + 1 end
show("to INT_MAX", c)
for i = -2147483640, -2147483648, -1 do c = c + 1 end
show("to INT_MIN", c)
local last
for i = 2147483640, 2147483647, 3 do last = i end
show("step 3 near INT_MAX", last)
for i = 2147483600, 2147483700, 7 do last = i end
show("limit beyond INT_MAX", last)
for i = -3, 3 do last = i end
show("through zero", last)

-- A loop entered with different start values: integral, fractional,
-- huge, negative zero.
local function run(a, b, st)
  local n, x = 0, 0
  for i = a, b, st do n = n + 1; x = i end
  return n, x
end
for _, args in ipairs({
  {1, 20, 1}, {1, 20, 1}, {0.5, 20, 1}, {2^31 - 3, 2^31 + 3, 1},
  {-0, 5, 1}, {20, 1, -1}, {1, 20, 2.5}, {1e10, 1e10 + 5, 1},
  {1, 20, 1}, {3, 3, 1}, {5, 1, 1},
}) do
  show("run", args[1], args[2], args[3], run(args[1], args[2], args[3]))
end

-- A step whose sign changes between entries of the same compiled loop.
local sum = 0
for k = 1, 3 do
  local st = (k == 2) and -1 or 1
  for i = 1 * st, 100 * st, st do sum = sum + i end
end
show("sign change", sum)

-- Conditional step and limit expressions (not constants).
local y = false
local z = 0
for k = 1, 20 do
  if k > 10 then y = 3 end
  for i = 1, 10, (y or 2) do z = z + i end
  for i = 1, (y or 5) do z = z + i end
end
show("conditional step", z)

-- Assigning to the visible counter does not change the loop.
local w = {}
for i = 1, 10 do
  i = i * 2
  w[#w + 1] = i
end
show(table.concat(w, ","))

-- A 0-based array walked backwards with narrowed neighbours.
local z = {}
for i = 0, 40 do z[i] = i % 7 end
local zs = 0
for i = 40, 1, -1 do zs = zs + z[i] * z[i - 1] end
show("zero-based", zs)

-- Float loops stay floats.
local fl = 0
for x = 0, 1, 0.125 do fl = fl + x end
show("float step", fl)
for x = 0.5, 10 do fl = fl + x end
show("float start", fl)

-- string.dump of a function whose loops are compiled (patched loop
-- instructions are dumped in their original form).
local function tri(n)
  local acc = 0
  for i = 1, n do acc = acc + i end
  local k = 0
  while k < n do k = k + 1 end
  for _, v in ipairs({1, 2, 3}) do acc = acc + v end
  return acc + k
end
for _ = 1, 60 do tri(30) end
local copy = loadstring(string.dump(tri))
show("dumped", copy(10), tri(10), copy(100))

-- A compiled loop entered from its FORI: the first counter value must be
-- the start exactly (-0 stays -0; a float start keeps its bits).
local function firsts(a, b, st)
  local out = {}
  for i = a, b, st do out[#out + 1] = tostring(i) end
  return table.concat(out, " ")
end
for _ = 1, 40 do firsts(1, 4, 1) end
show(firsts(-0, 2, 1), "|", firsts(0.1, 0.35, 0.1), "|", firsts(2^52, 2^52 + 2, 1), "|", firsts(-1, -3, -1))

-- Constant steps with limits at and next to the int32 edge, entering the
-- same compiled loop again: the compiled loop guards once per entry that
-- its limit leaves room for one more step, and its counter then goes
-- without an overflow check.
local function up1(a, b)
  local n, x = 0, 0
  for i = a, b do n = n + 1; x = i end
  return n, x
end
local function up3(a, b)
  local n, x = 0, 0
  for i = a, b, 3 do n = n + 1; x = i end
  return n, x
end
local function down1(a, b)
  local n, x = 0, 0
  for i = a, b, -1 do n = n + 1; x = i end
  return n, x
end
local function down3(a, b)
  local n, x = 0, 0
  for i = a, b, -3 do n = n + 1; x = i end
  return n, x
end
local M = 2^31
for _, ab in ipairs({
  {1, 60}, {1, 60}, {M - 40, M - 2}, {M - 40, M - 1}, {M - 40, M - 4},
  {M - 40, M - 3}, {M - 40, M + 7}, {M - 40, M - 1.5}, {1, 60},
}) do
  show("up", ab[1], ab[2], up1(ab[1], ab[2]), up3(ab[1], ab[2]))
end
for _, ab in ipairs({
  {60, 1}, {60, 1}, {40 - M, 1 - M}, {40 - M, -M}, {40 - M, 3 - M},
  {40 - M, 2 - M}, {40 - M, -M - 7}, {40 - M, 0.5 - M}, {60, 1},
}) do
  show("down", ab[1], ab[2], down1(ab[1], ab[2]), down3(ab[1], ab[2]))
end
-- The same with the step a variable (its room is INT_MAX - step).
local function stepped(a, b, st)
  local n, x = 0, 0
  for i = a, b, st do n = n + 1; x = i end
  return n, x
end
for _, abs in ipairs({
  {1, 60, 2}, {1, 60, 2}, {M - 40, M - 3, 2}, {M - 40, M - 2, 2},
  {M - 40, M - 1, 2}, {M - 40, M - 6, 5}, {M - 40, M - 5, 5}, {1, 60, 7},
  {60, 1, -2}, {40 - M, 2 - M, -2}, {40 - M, 1 - M, -2}, {40 - M, -M, -2},
  {40 - M, 5 - M, -5}, {40 - M, 4 - M, -5}, {1, 60, 2}, {5, 5, 0.0 + 1},
}) do
  show("stepped", abs[1], abs[2], abs[3], stepped(abs[1], abs[2], abs[3]))
end
