-- string.format with integers, floats, strings and widths.
local n = 0
for i = 1, 600000 do
  n = n + #string.format("%d: %s=%5.2f [%x] %g", i, "item", i / 7, i, i * 0.25)
end
print(n)
