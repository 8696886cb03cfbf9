-- string.byte and string.char: a Caesar shift over a buffer.
local s = string.rep("Lua is a powerful, efficient scripting language. ", 4)
local n = 0
for r = 1, 15000 do
  local t = {}
  for i = 1, #s do
    local b = s:byte(i)
    if b >= 97 and b <= 122 then b = (b - 97 + r) % 26 + 97 end
    t[i] = string.char(b)
  end
  n = n + #table.concat(t) + s:byte(1 + r % #s)
end
print(n)
