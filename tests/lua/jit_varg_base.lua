-- VARG in the trace's base frame: loops inside vararg functions read
-- `...` (select('#', ...), select(i, ...), {...}, forwarding); calls with
-- a different number of varargs leave the trace (the count is guarded).
-- (reference: luajit -joff, and lua5.1 agrees: Debian's luajit 2.1 with
-- its JIT on gives wrong sums for first_two once the count changes.)
local function sum(...)
  local s = 0
  for i = 1, select("#", ...) do s = s + select(i, ...) end
  return s
end
local function pack_sum(...)
  local s = 0
  for r = 1, 20 do
    local t = { ... }
    for i = 1, #t do s = s + t[i] end
  end
  return s
end
local function first_two(...)
  local acc = 0
  for r = 1, 30 do
    local a, b = ...
    acc = acc + a * (b or 1)
  end
  return acc
end
local function fwd(f, ...)
  local acc = 0
  for r = 1, 25 do acc = acc + f(...) end
  return acc
end
local function add3(a, b, c) return a + (b or 0) + (c or 0) end
local out = {}
for n = 1, 6 do
  out[#out + 1] = sum(1, 2, 3) + sum(n, n) + sum()
  out[#out + 1] = pack_sum(1, 2, 3, n) + pack_sum(n)
  out[#out + 1] = first_two(n, 2, 3) + first_two(n)
  out[#out + 1] = fwd(add3, n, 1) + fwd(add3, 1, 2, n)
end
print(table.concat(out, " "))
