-- string.upper, string.lower, string.len and string.reverse.
local words = {}
for i = 1, 64 do words[i] = ("Word%dMixedCase"):format(i) end
local n = 0
for r = 1, 40000 do
  for i = 1, #words do
    local w = words[i]
    n = n + #w:upper() + #w:lower() + w:len() + (r % 8 == 0 and #w:reverse() or 0)
  end
end
print(n)
