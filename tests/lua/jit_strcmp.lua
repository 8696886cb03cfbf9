-- String order comparisons in traces (bytewise), all four forms, with
-- outcomes changing inside the loop.
local words = { "apple", "app", "banana", "b", "", "apples", "Apple", "zeta", "a\0b", "a" }
local lt, le, gt, ge = 0, 0, 0, 0
for r = 1, 30 do
  for i = 1, #words do
    local x, y = words[i], words[(i + r) % #words + 1]
    if x < y then lt = lt + 1 end
    if x <= y then le = le + 1 end
    if x > y then gt = gt + 1 end
    if x >= y then ge = ge + 1 end
  end
end
print(lt, le, gt, ge)
-- Insertion sort of strings (comparisons drive the inner loop).
local t = {}
for i = 1, 60 do t[i] = string.char(97 + (i * 7) % 26) .. string.char(97 + (i * 3) % 26) end
for i = 2, #t do
  local v, j = t[i], i - 1
  while j >= 1 and t[j] > v do t[j + 1] = t[j]; j = j - 1 end
  t[j + 1] = v
end
print(t[1], t[30], t[60], table.concat(t, "", 1, 5))
