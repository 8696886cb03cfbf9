-- Short inner loops re-entered from their outer loop's side trace: in a
-- loop region that side trace continues in a copy of the inner loop's
-- root taking the slots it wrote from registers, unchecked
-- (`region_loop::start_copies`). Results as interpreted, also when the
-- values the outer loop passes change type or the tables change.

-- n-body's shape: the j loop runs 4, 3, 2, 1, 0 times per i.
local bodies = {}
for i = 1, 5 do
  bodies[i] = { x = i * 1.5, y = -i, vx = 0, vy = 0, m = 1 / i }
end
local function step(b, n, dt)
  for i = 1, n do
    local bi = b[i]
    local bx, by, bm = bi.x, bi.y, bi.m
    local vx, vy = bi.vx, bi.vy
    for j = i + 1, n do
      local bj = b[j]
      local dx, dy = bx - bj.x, by - bj.y
      local d2 = dx * dx + dy * dy + 0.01
      local mag = dt / (d2 * math.sqrt(d2))
      vx = vx - dx * bj.m * mag
      vy = vy - dy * bj.m * mag
      bj.vx = bj.vx + dx * bm * mag
      bj.vy = bj.vy + dy * bm * mag
    end
    bi.vx, bi.vy = vx, vy
    bi.x = bx + dt * vx
    bi.y = by + dt * vy
  end
end
for _ = 1, 300 do step(bodies, #bodies, 0.01) end
for i = 1, 5 do
  print("body", i, string.format("%.9f %.9f", bodies[i].x, bodies[i].y))
end

-- FFT's shape: the inner loop's start, limit and step are numbers the
-- outer loop computes (a doubling step), two to eight iterations.
local data = {}
for i = 1, 64 do data[i] = i * 0.25 end
local dual = 1
while dual < 32 do
  for a = 1, dual do
    for b = a, 63, 2 * dual do
      data[b] = data[b] + data[b + 1] * 0.5
    end
  end
  dual = dual * 2
end
local s = 0
for i = 1, 64 do s = s + data[i] end
print("butterflies", string.format("%.6f", s))

-- The slots the outer loop passes change type mid-run: a number that
-- becomes a string, and a table that becomes another of other size.
local out = {}
local t1, t2 = { 1, 2, 3, 4 }, { 10, 20 }
for r = 1, 60 do
  local k = (r % 20 < 10) and 2 or "2"
  local t = (r < 40) and t1 or t2
  local acc = 0
  for i = 1, #t do
    acc = acc + t[i] * (tonumber(k) or 0)
  end
  out[#out + 1] = acc
end
print("types", table.concat(out, ","))

-- An inner loop reading an outer counter that becomes fractional.
local f = 0
for r = 1, 40 do
  local m = (r > 25) and r + 0.5 or r
  for i = 1, 3 do f = f + m * i end
end
print("fraction", f)
