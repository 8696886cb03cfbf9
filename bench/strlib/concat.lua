-- table.concat and the .. operator building strings.
local n = 0
for i = 1, 30000 do
  local t = {}
  for j = 1, 50 do t[j] = "item" .. j end
  local s = table.concat(t, ",")
  local u = ""
  for j = 1, 20 do u = u .. t[j] end
  n = n + #s + #u
end
print(n)
