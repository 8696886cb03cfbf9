-- string.rep, short and long (no separator: Lua 5.1 has none).
local n = 0
for i = 1, 600000 do
  n = n + #string.rep("ab", i % 20) + #string.rep("x", 100 + i % 50) + #string.rep("q, ", i % 10)
end
print(n)
