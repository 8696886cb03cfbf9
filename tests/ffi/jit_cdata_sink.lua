-- Cdata made in hot loops and sunk (allocated only at the exits that
-- hold them): temporaries of metatype arithmetic, members read back by
-- forwarding, kept in tables by side exits; int members (not forwarded).
local ffi = require("ffi")
ffi.cdef[[ typedef struct { double x, y; } pt; typedef struct { double a; int n; } mix; ]]
local P
P = ffi.metatype("pt", { __mul = function(a, k) return P(a.x * k, a.y * k) end,
  __add = function(a, b) return P(a.x + b.x, a.y + b.y) end })
local keep = {}
local s = 0
for i = 1, 100 do
  local v = P(i, i * 2)
  local w = v * 2
  if i % 10 == 0 then keep[#keep + 1] = w; keep[#keep + 1] = v end
  s = s + w.x + w.y
end
print(s, #keep, keep[1].x, keep[2].y, keep[19].x, keep[20].y)
local m = 0
for i = 1, 100 do
  local q = ffi.new("mix", i + 0.5, i)
  q.a = q.a * 2
  q.n = q.n + 1
  m = m + q.a + q.n
  if i == 77 then keep.q = q end
end
print(m, keep.q.a, keep.q.n)
local acc = P(0, 0)
for i = 1, 100 do
  local t = P(i, 1) + P(1, i)
  if i > 95 then acc = acc + t end
end
print(acc.x, acc.y)
