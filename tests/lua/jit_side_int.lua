-- Side traces inherit which slots their parent left as ints: integer
-- arithmetic on them narrows (a modulo by a power of two is a mask), and
-- a slot that later holds a non-integer is still right.
local S = { 7, 12, 17, 22 }
local acc, facc = 0, 0
for i = 0, 199 do
  local r
  if i < 50 then
    r = S[1 + i % 4] + (5 * i + 1) % 16
  elseif i < 100 then
    r = S[1 + (i - 1) % 4] - i % 8
  else
    r = (i * 3) % 1024 + (-i) % 4
  end
  acc = acc + r
  local x = i
  if i % 3 == 0 then x = i + 0.5 end
  if x < 1e9 then facc = facc + x % 4 end
end
print(acc, facc)
-- Negative counters and a step down: the floored modulo of a power of
-- two on ints.
local s = 0
for i = 60, -60, -1 do
  if i > 0 then s = s + i % 8 else s = s - (i % 4) * 2 end
end
print(s)
