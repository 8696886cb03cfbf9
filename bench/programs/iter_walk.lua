-- A 3-D array walked with custom iterators (closures and stateless ones).
local N = tonumber(arg and arg[1]) or 300

local function grid(n)
  local g = {}
  for x = 1, n do
    local px = {}
    g[x] = px
    for y = 1, n do
      local py = {}
      px[y] = py
      for z = 1, n do py[z] = x + 2 * y + 3 * z end
    end
  end
  return g
end

-- closure iterator over all cells
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

-- stateless iterator over one axis
local function step(limit, i)
  i = i + 1
  if i <= limit then return i end
end
local function range(n) return step, n, 0 end

local n = 48
local g = grid(n)
local s1, s2 = 0, 0
for _ = 1, N do
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
