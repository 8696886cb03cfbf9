-- Side traces that continue in their loop through the loop root's
-- mid-entry: the root was recorded on a rare path (its pre-roll's exits
-- are the common ones), or a side trace replaced what the body took as
-- invariant. Each loop runs long enough for its region to form.

-- 1. Rare first path: the recorded iteration sees a marker value.
local t = {}
for i = 1, 64 do t[i] = (i % 16 == 1) and 5 or (i % 7) end
local s = 0
for rep = 1, 300 do
  for i = 1, #t do
    local v = t[i]
    if v == 5 then s = s + 100 else s = s + v * 2 end
  end
end
print("rare", s)

-- 2. A side trace replaces the table the body reads (an invariant slot).
local a, b = {}, {}
for i = 1, 50 do a[i] = i; b[i] = -2 * i end
local cur = a
local acc = 0
for i = 1, 20000 do
  local k = i % 50 + 1
  acc = acc + cur[k]
  if k == 50 then
    if cur == a then cur = b else cur = a end
  end
end
print("swap", acc)

-- 3. A carried value changes type on a side path.
local x = 0
local n = 0
for i = 1, 20000 do
  if i % 97 == 0 then x = x + 0.5 else x = x + 1 end
  if x > 1000 then x = x - 1000; n = n + 1 end
end
print("types", x, n)

-- 4. A side trace stores into the array the body loads from.
local arr = {}
for i = 1, 40 do arr[i] = 1 end
local total = 0
for i = 1, 30000 do
  local k = i % 40 + 1
  local v = arr[k]
  if v > 3 then arr[k] = 1 else arr[k] = v + 1 end
  total = total + v
end
print("stores", total)

-- 5. A table grown by a side trace (the body's bounds checks rely on
-- its length).
local g = {}
local sum = 0
for i = 1, 20000 do
  if i % 100 == 0 then g[#g + 1] = i end
  sum = sum + #g + (g[1] or 0)
end
print("grow", sum, #g)
