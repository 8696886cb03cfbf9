-- string.find: plain and pattern searches over a medium string.
local s = string.rep("the quick brown fox jumps over the lazy dog ", 20) .. "needle"
local n = 0
for i = 1, 300000 do
  n = n + (s:find("needle", 1, true) or 0) + (s:find("l%a+y", 1 + i % 50) or 0) + (s:find("fox", 1 + i % 100) or 0)
end
print(n)
