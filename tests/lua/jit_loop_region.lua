-- Side traces of a loop body's exits that continue in the loop body
-- (loop regions, `ir/region_loop.rs`), and the shapes that must not: a
-- carried value the side trace changes (type or value), an invariant
-- slot it writes, a pre-roll guard the body relies on, a bounds check
-- ABC dropped. Results equal the interpreter's.

-- 1. Life on a ring: the side trace stores into the output row and
--    continues in the body.
local W = 64
local a, b = {}, {}
for x = 0, W - 1 do
  a[x] = (x * 7) % 3 == 0 and 1 or 0
  b[x] = 0
end
for _ = 1, 60 do
  for x = 0, W - 1 do
    local l, r = (x - 1) % W, (x + 1) % W
    local n = a[l] + a[x] + a[r]
    if n == 2 then b[x] = 1 else b[x] = 0 end
  end
  a, b = b, a
end
local s = 0
for x = 0, W - 1 do s = s + a[x] * x end
print("life", s)

-- 2. A carried number the side trace makes fractional, then integral.
local acc, v = 0, 0
for i = 1, 400 do
  if i % 3 == 0 then v = v + 0.5 else v = v + 1 end
  acc = acc + v
end
print("carried", acc, v)

-- 3. A side trace that replaces the table the body indexes.
local t, u = { 1, 2, 3 }, { 10, 20, 30 }
local sum = 0
for i = 1, 300 do
  sum = sum + t[1 + i % 3]
  if i % 50 == 0 then t, u = u, t end
end
print("invariant", sum)

-- 4. A guard of the pre-roll the body does not repeat (it depends on
--    the outer loop's counter only).
for i = 1, 120 do
  local k = 0
  while true do
    k = k + 1
    if k > 3 or (i / 3) >= 7 then break end
  end
  sum = sum + k
end
print("hoisted", sum)

-- 5. An inner loop restarted by the outer one: the bounds checks ABC
--    dropped hold only for the counter's own values.
local h = {}
for i = -3, 10 do h[i] = i end
for _ = 1, 40 do
  for i = -3, 10 do h[i] = h[i] + 1 end
  h[0] = h[0] + 1
end
local hs = {}
for i = -3, 10 do hs[#hs + 1] = h[i] end
print("restart", table.concat(hs, " "))

-- 6. A counter the side trace bumps by a fraction.
local x = 0
for i = 1, 400 do
  x = x + 1
  if i % 7 == 0 then x = x + 0.25 end
end
print("int", x)

-- 7. A side trace that grows the table the body reads.
local g, gs = { 1, 2, 3, 4 }, 0
for i = 1, 300 do
  gs = gs + g[1 + i % 4]
  if i % 60 == 0 then g[#g + 1] = i end
end
print("grow", gs, #g)
