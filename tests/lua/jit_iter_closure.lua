-- Generic for loops over Lua iterators in traces: a closure iterator made
-- anew for every run of the loop (known by its prototype), upvalues
-- stored and read back in one iteration, a stateless iterator, nested
-- loops, and a run with an iterator of another prototype.
local function cells(g, n)
  local x, y, z = 1, 1, 0
  return function()
    z = z + 1
    if z > n then
      z = 1; y = y + 1
      if y > n then y = 1; x = x + 1 end
    end
    if x > n then return nil end
    return x, y, z, g[x][y][z]
  end
end
local function step(limit, i)
  i = i + 1
  if i <= limit then return i end
end
local function range(n) return step, n, 0 end
local n = 6
local g = {}
for x = 1, n do
  g[x] = {}
  for y = 1, n do
    g[x][y] = {}
    for z = 1, n do g[x][y][z] = x + 2 * y + 3 * z end
  end
end
local s1, s2 = 0, 0
for r = 1, 30 do
  for x, y, z, v in cells(g, n) do s1 = s1 + v + x - y + z end
  for x in range(n) do
    local px = g[x]
    for y in range(n) do
      local py = px[y]
      for z in range(n) do s2 = s2 + py[z] end
    end
  end
end
print(s1, s2)
-- Another prototype in the loop's iterator slot on some runs.
local function evens(m)
  local i = 0
  return function() i = i + 2 if i <= m then return i end end
end
local function odds(m)
  local i = -1
  return function() i = i + 2 if i <= m then return i end end
end
local acc = 0
for r = 1, 40 do
  local it = (r % 7 == 0) and odds(20) or evens(20)
  for v in it do acc = acc + v * r end
end
print(acc)
-- An upvalue written through two closures sharing it.
local function counter()
  local c = 0
  return function() c = c + 1 return c end, function() c = c * 2 return c end
end
local inc, dbl = counter()
local t = 0
for i = 1, 100 do
  t = t + inc() + inc()
  if i % 10 == 0 then t = t + dbl() end
end
print(t, inc())
