-- Generic for with Lua iterator functions: stateless (with a state and
-- control variable), closures over upvalues, a 3-D walk with a custom
-- iterator, an iterator returning several values, and one that ends
-- early; each loop's results equal the interpreter's.
local function range(n)
  return function(s, i)
    if i < s then return i + 1 end
  end, n, 0
end
local sum = 0
for i in range(1000) do sum = sum + i end
print("stateless", sum)

local function counter(t)
  local i = 0
  return function()
    i = i + 1
    if t[i] then return i, t[i] end
  end
end
local t = {}
for i = 1, 300 do t[i] = i * 3 end
local s2 = 0
for k, v in counter(t) do s2 = s2 + k * v end
print("closure", s2)

-- A 3-D array walk with a custom iterator.
local N = 8
local grid = {}
for x = 1, N do
  grid[x] = {}
  for y = 1, N do
    grid[x][y] = {}
    for z = 1, N do grid[x][y][z] = x + y * 10 + z * 100 end
  end
end
local function cells(g)
  local x, y, z = 1, 1, 0
  return function()
    z = z + 1
    if z > N then z = 1; y = y + 1 end
    if y > N then y = 1; x = x + 1 end
    if x > N then return nil end
    return x, y, z, g[x][y][z]
  end
end
local total, count = 0, 0
for x, y, z, v in cells(grid) do
  total = total + v * (x - y + z)
  count = count + 1
end
print("3-D walk", count, total)

-- Mixed: an iterator that sometimes yields a string value, and a break.
local function mixed(n)
  return function(_, i)
    i = i + 1
    if i > n then return nil end
    if i % 10 == 0 then return i, "s" .. i end
    return i, i * 2
  end, nil, 0
end
local acc, strs = 0, 0
for i, v in mixed(500) do
  if type(v) == "string" then strs = strs + #v else acc = acc + v end
  if i == 450 then break end
end
print("mixed", acc, strs)
