-- % and math.floor on the interpreter's fast floor (exact below 2^52,
-- identity above, signs of zero kept), over edge values.
local s = 0
for i = 1, 2000000 do s = (s + i * 7) % 65521 + (i % 3) - (-i % 5) end
print(s)
local t = {}
for _, a in ipairs({5.5, -5.5, 0, -0.0, 1e300, -1e300, 1/0, -1/0, 0/0, 2^52, -2^52, 2^52+1, 4503599627370495.5, -4503599627370495.5, 7, -7}) do
  for _, b in ipairs({3, -3, 0.5, -0.5, 1/0, -1/0, 0/0, 2^53}) do
    local r = a % b
    t[#t+1] = string.format("%.17g", r) .. (r == 0 and (1/r < 0 and "-" or "+") or "")
  end
  t[#t+1] = string.format("%.17g", math.floor(a))
end
print(table.concat(t, " "))
