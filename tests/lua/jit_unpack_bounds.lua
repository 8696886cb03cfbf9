-- unpack(t, i [, j]) in a compiled loop: the count guarded, elements read
-- at keys i, i + 1, ...; counts that vary leave for side traces.
local t = { 10, 20, 30, 40, 50, 60 }
local s, c = 0, 0
for r = 1, 200 do
  local a, b, d = unpack(t, 2, 4)
  s = s + a + b + d
  local x, y = unpack(t, r % 3 + 1)
  s = s + x + y
  local n = r % 4 + 1
  c = c + select("#", unpack(t, 1, n)) + (unpack(t, n, n))
  local p, q = unpack(t, 5, nil)
  s = s + p + q
end
print(s, c)
