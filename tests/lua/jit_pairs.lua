-- pairs/ipairs loops in traces: mixed key and value types, holes, key 0,
-- nested loops, breaks, updates of existing keys during the traversal,
-- an invalid key for next (error), tables with metatables (raw).
local t = {}
for i = 1, 50 do t[i] = i end
t[0] = 1000
t.a, t.b, t.c = 1.5, 2.5, "s"
local sum, nk, ns = 0, 0, 0
for r = 1, 60 do
  for k, v in pairs(t) do
    if type(v) == "number" then sum = sum + v else ns = ns + #v end
    if type(k) == "number" then nk = nk + k end
  end
end
print(sum, nk, ns)

-- ipairs stops at the first hole; values of several types.
local u = { 1, 2, "x", 4, true, 6 }
u[8] = 8
local cnt, acc = 0, 0
for r = 1, 80 do
  for i, v in ipairs(u) do
    cnt = cnt + i
    if type(v) == "number" then acc = acc + v end
  end
end
print(cnt, acc)

-- Nested traversals and a break.
local m = { {1, 2, 3}, {4, 5}, {6}, {} }
local tot, firsts = 0, 0
for r = 1, 50 do
  for _, row in ipairs(m) do
    for _, x in ipairs(row) do
      tot = tot + x
      if x > 4 then break end
    end
  end
  for k in pairs(m) do firsts = firsts + k end
end
print(tot, firsts)

-- Assigning existing keys during the traversal is allowed.
local w = { x = 1, y = 2, z = 3 }
for r = 1, 40 do
  for k, v in pairs(w) do w[k] = v + 1 end
end
print(w.x + w.y + w.z)

-- pairs ignores __index; ipairs reads raw values.
local base = { 9, 9, 9 }
local p = setmetatable({ 1, 2 }, { __index = base })
local ps = 0
for r = 1, 40 do
  for _, v in ipairs(p) do ps = ps + v end
  for _, v in pairs(p) do ps = ps + v end
end
print(ps)

-- Count entries of a table that shrinks between traversals.
local big = {}
for i = 1, 30 do big["k" .. i] = i end
local seen = 0
for r = 1, 30 do
  for k, v in pairs(big) do seen = seen + 1 end
  big["k" .. r] = nil
end
print(seen)

-- next with a key that is not in the table: the error surfaces.
local ok, err = pcall(function()
  local q = { 1, 2, 3 }
  local n = 0
  for r = 1, 100 do
    for k, v in next, q, (r > 50 and "nokey" or nil) do n = n + v end
  end
  return n
end)
print(ok, err)
