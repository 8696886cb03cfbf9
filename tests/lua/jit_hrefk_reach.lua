-- Constant-key lookups of one table in a trace share one check of the
-- table's entry count (the largest index any of them asks for): tables
-- with fewer entries, with the keys in other places, or that grow and
-- are compacted between iterations must still read the right values.
local objs = {}
for i = 1, 40 do
  local o = {a = i, b = 2 * i, c = 3 * i, d = 4 * i, e = 5 * i}
  if i % 5 == 0 then o = {a = i, b = 2 * i} end              -- fewer entries
  if i % 7 == 0 then o = {e = 5 * i, d = 4 * i, c = 3 * i, b = 2 * i, a = i} end
  if i % 11 == 0 then o.b = nil; o.f = 6 * i; o.b = 7 * i end -- key moved
  objs[i] = o
end
local s = 0
for r = 1, 30 do
  for i = 1, #objs do
    local o = objs[i]
    s = s + o.a + (o.b or 0) + (o.e or 0) + (o.d or 0)
    if r == 15 and i % 13 == 0 then
      -- Shrink by compaction: nil most keys, then add new ones.
      o.c = nil; o.d = nil; o.e = nil
      for k = 1, 6 do o["x" .. k] = k end
    end
  end
end
print(s)
