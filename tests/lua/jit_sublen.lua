-- The length of a substring without the substring (SUBLEN), next to
-- substrings that are used: bounds of every sign, past the ends,
-- fractional, and a GC check before each string.sub.
local s = "abcdefghijklmnopqrstuvwxyz"
local n, m = 0, 0
for i = -30, 30 do
  n = n + #s:sub(i) + #s:sub(i, i + 3) + #s:sub(-i, i) + #string.sub(s, 2, i)
end
print(n)
for i = 1, 60 do
  local k = i / 4
  m = m + #s:sub(k, k * 2) + #s:sub(-k)
end
print(m)
local parts = {}
for i = 1, 40 do
  local p = s:sub(i % 7, i % 7 + 2)
  parts[#parts + 1] = #p .. p
end
print(table.concat(parts, ","))
local e = 0
for i = 1, 50 do e = e + #(""):sub(i, -i) + #s:sub(0, 0) + #s:sub(27, 40) end
print(e)
-- Strings the helpers build on the stack (short) or the heap (long).
local r = {}
for i = 0, 40 do
  local x = string.rep("ab", i * 4) .. string.rep("", i) .. string.rep("xyz", 2 - i)
  r[#r + 1] = #x .. (x:upper():sub(-3)) .. string.lower("MiXeD" .. i)
end
print(table.concat(r, " "))
