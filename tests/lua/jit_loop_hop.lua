-- An exit that makes an inlined frame real at a compiled loop of that
-- frame continues in the loop's trace directly (the shape of n-body's
-- advance(): the outer loop's side trace returns from the function, the
-- caller's loop calls it again, and its inner loop is compiled).
local function advance(b, n)
  for i = 1, n do
    local bi = b[i]
    for j = i + 1, n do
      local bj = b[j]
      bi.v = bi.v + (bj.x - bi.x) * 0.5
      bj.v = bj.v - (bj.x - bi.x) * 0.25
    end
    bi.x = bi.x + bi.v * 0.01
  end
end
local bodies = {}
for i = 1, 5 do bodies[i] = { x = i * 1.5, v = 0 } end
for _ = 1, 3000 do advance(bodies, #bodies) end
for i = 1, 5 do print(i, string.format("%.6f %.6f", bodies[i].x, bodies[i].v)) end
