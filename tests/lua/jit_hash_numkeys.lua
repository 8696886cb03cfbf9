-- Number keys living in the hash part (0, negative, fractional, past the
-- array) overwritten inside hot loops, mixed with array keys.
local t = {}
for i = -3, 10 do t[i] = i end
t[0.5] = 0.5
for n = 1, 60 do
  for i = -3, 10 do t[i] = t[i] + 1 end
  t[0.5] = t[0.5] * 2
  t[-0.0] = t[0] + 1 -- -0 is the key 0
end
local keys = {}
for k in pairs(t) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", t[k], " ") end
print()
-- Swaps across index 0 and the array part (fannkuch's inner loop).
local perm = {}
for i = 0, 7 do perm[i] = i end
local s = 0
for r = 1, 200 do
  local i, j = 0, r % 8
  while i < j do
    perm[i], perm[j] = perm[j], perm[i]
    i = i + 1; j = j - 1
  end
  s = s + perm[0] * r
end
print(s, perm[0], perm[7])
-- Boolean and table keys overwritten in a loop.
local k1, k2 = {}, true
local u = { [k1] = 1, [k2] = 2 }
for _ = 1, 100 do u[k1] = u[k1] + u[k2]; u[k2] = u[k2] + 1 end
print(u[k1], u[k2])
