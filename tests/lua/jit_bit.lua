-- bit.* fast functions compiled inline.
local bit = bit
local h = 0
local acc = {}
for i = 1, 300 do
  local x = i * 2654435761
  h = bit.bxor(h, bit.band(x, 0xffff))
  h = bit.bor(bit.lshift(h, 3), bit.rshift(h, 29))
  h = bit.tobit(h + i)
  acc[#acc + 1] = bit.arshift(h, i % 40) + bit.bnot(i) + bit.band(i, 7, 5)
end
print(h, acc[1], acc[150], acc[300])
local s = 0
for i = 1, 300 do
  local v = (i - 150) * 1e7 + 0.5
  s = s + bit.tobit(v) % 1000 + bit.rshift(-i, 1) % 7 + bit.lshift(1, i)
  s = s + bit.bxor(i, 2^31 + i, -1) + bit.bor(i) + bit.band(2^40 + i, -1)
end
print(s)
-- NaN, huge and negative zero arguments; strings stay in the interpreter.
local t = {0/0, 1/0, -1/0, -0.0, 2^53, -2^53, 4294967295.7, "12"}
local r = {}
for k = 1, 5 do
  for i = 1, #t do r[#r + 1] = bit.tobit(t[i]) end
end
print(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], #r)
