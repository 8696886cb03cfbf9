-- Arithmetic on strings that convert to numbers (Lua 5.1's coercion) in
-- compiled loops: every operator, both operand orders, hex and spaced
-- strings, unary minus, and a string that stops converting mid-loop
-- (the trace exits; the interpreter raises the usual error).
local strs = { "1", " 2 ", "0x10", "2.5", "1e2", "-3" }
local acc = 0
for i = 1, 300 do
  local s = strs[i % #strs + 1]
  acc = acc + s + 1
  acc = acc - (2 * s)
  acc = acc + s / 4 - s % 3 + s ^ 1
  acc = acc + (-s)
  acc = acc + (s - i) * 0.5
end
print("acc", acc)

local n = 0
for i = 1, 200 do
  n = n + ("" .. i) * 2
end
print("n", n)

local vals = {}
for i = 1, 100 do vals[i] = tostring(i) end
vals[90] = "ninety"
local ok, err = pcall(function()
  local t = 0
  for i = 1, 100 do t = t + vals[i] end
  return t
end)
print("bad", ok, err)

-- Numbers mixed with strings in one slot.
local mixed = 0
for i = 1, 200 do
  local v = (i % 2 == 0) and i or tostring(i)
  mixed = mixed + v * 3
end
print("mixed", mixed)
