-- Constant-key lookups in one table around stores that grow its hash
-- part: a compiled loop must not keep using the old hash part.
local function run(n)
  local sum = 0
  local t = { a = 1, b = 2, c = 3 }
  for i = 1, n do
    local x = t.a + t.b
    t["k" .. i] = i          -- new key: the hash part grows now and then
    sum = sum + x + t.c + t.b
    t.a = t.a + 1
  end
  return sum, t.a, t.b, t.c, t.k7
end
print(run(100))

-- Two tables, lookups interleaved, one of them rebuilt every iteration.
local function two(n)
  local p = { x = 1, y = 2, z = 3 }
  local acc = 0
  for i = 1, n do
    local q = { x = i, y = 2 * i, z = 3 * i }
    acc = acc + p.x * q.y + p.y * q.z + p.z * q.x
    p.x, p.y, p.z = q.y % 7, q.z % 5, q.x % 3
  end
  return acc
end
print(two(200))

-- A key removed and re-added (the node index stays or moves).
local function churn(n)
  local t = { u = 1, v = 2 }
  local s = 0
  for i = 1, n do
    s = s + t.u + t.v
    if i % 10 == 0 then
      t.u = nil
      for j = 1, 20 do t[j * 1.5] = j end
      t.u = i
    end
  end
  return s
end
print(churn(300))
