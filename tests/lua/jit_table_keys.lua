-- Tables, functions and booleans as keys of table reads in compiled
-- loops (sets of objects, parent maps): raw hash lookups by identity.
local seen, objs = {}, {}
for i = 1, 50 do objs[i] = { i } end
local f1, f2 = function() end, print
local hits = 0
for r = 1, 4 do
  for i = 1, 50 do
    local o = objs[i]
    if seen[o] then hits = hits + 1 else seen[o] = i end
    if seen[true] then hits = hits + 1 end
    if i == 25 then seen[true] = 1; seen[f1] = 2 end
    hits = hits + (seen[f1] or 0) + (seen[f2] or 0) + (seen[false] or 0)
  end
end
print(hits)
