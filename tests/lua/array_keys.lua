-- Number keys at the edges of the array part: zero and minus zero,
-- fractions, negatives, 2^31 and 2^32 neighbours, huge values and
-- infinities, read and written through TGETV/TSETV and TGETB/TSETB.
local t = { 10, 20, 30 }
local keys = { 0, -0.0, 0.5, 1, 1.0, 2.5, 3, 4, -1, -2^31, 2^31 - 1, 2^31, 2^32 - 1,
  2^32, 2^32 + 1, 2^53, 2^63, 1e300, -1e300, 1 / 0, -1 / 0 }
for _, k in ipairs(keys) do
  t[k] = k
end
for _, k in ipairs(keys) do
  io.write(string.format("%.17g=%s ", k, tostring(t[k])))
end
print()
print(#t, t[1], t[2], t[3], t[4], t[0], t[-0.0])
local n = 0
for k, v in pairs(t) do n = n + 1 end
print(n)
-- NaN: reads nil, writes raise.
print(t[0 / 0], pcall(function() t[0 / 0] = 1 end))
-- An array grown one key at a time, then read back by float keys.
local a = {}
for i = 1, 100 do a[i] = i * 2 end
local s = 0
for i = 1, 100 do s = s + a[i + 0.0] end
print(#a, s, a[100.5], a[101], a[0], a[-1])
for i = 1, 100, 3 do a[i] = nil end
local c = 0
for i = 1, 100 do if a[i] then c = c + 1 end end
print(c)
-- Loops (so a JIT forced hot compiles them).
local b = {}
for i = 0, 300 do b[i] = i end
local sum = 0
for i = -5, 310 do sum = sum + (b[i] or 0) + (b[i + 0.5] or 0) end
print(sum)
for i = 1, 200 do b[2 ^ 32 + i] = i end
local sb = 0
for i = 1, 200 do sb = sb + b[2 ^ 32 + i] end
print(sb)
