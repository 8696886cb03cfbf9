-- string.sub: prefixes, suffixes and middles.
local s = "abcdefghijklmnopqrstuvwxyz0123456789"
local n = 0
for i = 1, 3000000 do
  local k = i % 30
  n = n + #s:sub(k, k + 5) + #s:sub(-k) + #s:sub(3, -3)
end
print(n)
