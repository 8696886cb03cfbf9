-- Conway's Game of Life on a torus, a glider gun-like soup; counts live
-- cells every 50 generations.
local W, H = 128, 128
local GENS = tonumber(arg and arg[1]) or 3000

local cur, nxt = {}, {}
for y = 0, H - 1 do
  cur[y], nxt[y] = {}, {}
  for x = 0, W - 1 do
    -- a deterministic pseudo-random soup
    local v = (x * 37 + y * 91 + x * y * 13) % 7
    cur[y][x] = (v < 2) and 1 or 0
    nxt[y][x] = 0
  end
end

local function step(a, b)
  for y = 0, H - 1 do
    local up, row, down = a[(y - 1) % H], a[y], a[(y + 1) % H]
    local out = b[y]
    for x = 0, W - 1 do
      local l, r = (x - 1) % W, (x + 1) % W
      local n = up[l] + up[x] + up[r] + row[l] + row[r] + down[l] + down[x] + down[r]
      if n == 3 or (n == 2 and row[x] == 1) then out[x] = 1 else out[x] = 0 end
    end
  end
end

for g = 1, GENS do
  step(cur, nxt)
  cur, nxt = nxt, cur
  if g % 50 == 0 then
    local live = 0
    for y = 0, H - 1 do
      local row = cur[y]
      for x = 0, W - 1 do live = live + row[x] end
    end
    print(g, live)
  end
end
