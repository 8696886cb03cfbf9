-- Exits at instructions that consume a variable number of values (CALLM,
-- CALLMT, RETM, TSETM): the interpreter must resume with the right count.
-- Side traces that end at such an instruction (print is not compiled)
-- used to leave a stale count: "11" instead of "11 11".
for i = 1, 14 do
  for j = 1, 100 do end
  print(i, math.floor(i))
end

local function two() return 7, 8 end
for i = 1, 14 do
  local t = { two() }
  for j = 1, 100 do end
  print(i, math.floor(i + 0.5), #t)
end

-- multi-result producers as last arguments, after inner loops
local function three(x) return x, x + 1, x + 2 end
local acc = {}
for i = 1, 30 do
  for j = 1, 20 do end
  acc[#acc + 1] = select('#', three(i))
  acc[#acc + 1] = select(2, three(i))
  local t = { three(i) }
  acc[#acc + 1] = #t
  acc[#acc + 1] = math.max(three(i))
  acc[#acc + 1] = string.format("%d-%d", math.floor(i / 2), math.floor(i / 3))
end
print(table.concat(acc, " "))

-- return f() (RETM/CALLMT) from inlined calls
local function pass(...) return ... end
local function tail(x) return three(x) end
local s = 0
for i = 1, 50 do
  local a, b, c = pass(three(i))
  local d, e, f = tail(i)
  s = s + a + b + c + d + e + f + select('#', pass(three(i)))
  if i % 7 == 0 then io.write(tostring(math.floor(s)), " ") end
end
print()
print(s)
