-- Array values a loop iteration stored or loaded and the next one reads
-- (the JIT keeps them in registers: `carry`), and the cases where the
-- slot may change in between, so it must be read again. Each case runs
-- its loop often enough to be compiled; the results are the
-- interpreter's.

local function show(name, t, n)
  local parts = {}
  for i = 1, n do parts[#parts + 1] = tostring(t[i]) end
  print(name, table.concat(parts, " "))
end

local function row(n, f)
  local t = {}
  for i = 1, n do t[i] = f(i) end
  return t
end

-- SOR-like stencil: G[j] from G[j-1] (stored one iteration before), G[j]
-- (loaded as G[j+1] one iteration before) and G[j+1].
local function stencil(g, n, w)
  for j = 2, n - 1 do
    g[j] = w * (g[j - 1] + g[j + 1]) + (1 - w) * g[j]
  end
end
local g = row(40, function(i) return (i * 37 % 11) / 3 end)
for _ = 1, 30 do stencil(g, 40, 0.3) end
show("stencil", g, 40)

-- Prefix sums (a[i] = a[i-1] + a[i]), forwards.
local function prefix(a, n)
  for i = 2, n do a[i] = a[i - 1] + a[i] end
end
local a = row(30, function(i) return i % 4 - 1.5 end)
for _ = 1, 20 do prefix(a, 30) end
show("prefix", a, 30)

-- Backwards, step -1: a[i] from a[i+1], stored one iteration before.
local function suffix(b, n)
  for i = n - 1, 1, -1 do b[i] = b[i + 1] * 0.5 + b[i] end
end
local b = row(30, function(i) return (i % 5) * 0.25 end)
for _ = 1, 20 do suffix(b, 30) end
show("suffix", b, 30)

-- Step 2: c[i] reads c[i-2], stored one iteration before.
local function step2(c, n)
  for i = 3, n, 2 do c[i] = c[i - 2] + c[i] + c[i + 1] end
end
local c = row(41, function(i) return i * 0.125 end)
for _ = 1, 20 do step2(c, 40) end
show("step2", c, 41)

-- The same table under two names: a store through the other name
-- between the iterations' accesses changes the slot.
local function alias2(x, y, n)
  for i = 2, n do
    x[i] = x[i - 1] + 1
    y[i] = y[i] * 2
  end
end
local d = row(30, function(i) return i end)
for _ = 1, 10 do alias2(d, d, 30) end
show("alias", d, 30)
local d1, d2 = row(30, function(i) return i end), row(30, function(i) return -i end)
for _ = 1, 10 do alias2(d1, d2, 30) end
show("alias1", d1, 30)
show("alias2", d2, 30)

-- A store of the previous slot written one iteration later again (the
-- last store wins), and a non-number stored there.
local function rewrite(e, n)
  for i = 2, n do
    e[i] = e[i - 1] + 1
    e[i - 1] = e[i] * 0.5
  end
end
local e = row(30, function(i) return i / 7 end)
for _ = 1, 10 do rewrite(e, 30) end
show("rewrite", e, 30)
local function strs(s, n)
  for i = 2, n do
    s[i] = (s[i - 1] or 0) + 1
    if i % 3 == 0 then s[i] = tostring(s[i]) + 0 end
  end
end
local s = row(30, function(i) return i end)
for _ = 1, 10 do strs(s, 30) end
show("strs", s, 30)

-- The array grows or is rebuilt inside the loop (growth is a barrier).
local function grow(f, n)
  for i = 2, n do
    f[i] = f[i - 1] * 1.5 + f[i]
    f[#f + 1] = i
  end
end
for k = 1, 8 do
  local f = row(20, function(i) return i % 3 end)
  grow(f, 20)
  if k == 8 then show("grow", f, 40) end
end

-- A call between the accesses that writes the previous slot.
local function poke(t, i) t[i - 1] = -t[i - 1] end
local function called(h, n)
  for i = 2, n do
    h[i] = h[i - 1] + h[i]
    if i % 4 == 0 then poke(h, i + 1) end
  end
end
local h = row(30, function(i) return i * 0.5 end)
for _ = 1, 20 do called(h, 30) end
show("called", h, 30)

-- Integer-valued elements, and values that turn into non-numbers.
local function ints(m, n)
  for i = 2, n do m[i] = m[i - 1] + m[i] end
end
local m = row(25, function(i) return i end)
for _ = 1, 10 do ints(m, 25) end
show("ints", m, 25)
local ok, err = pcall(function()
  local z = row(25, function(i) return i end)
  for k = 1, 10 do
    if k == 9 then z[12] = "x" end
    ints(z, 25)
  end
end)
print("mixed", ok, (tostring(err):gsub("^.-:%d+: ", "")))

-- A field of a table the loop does not change, and an array slot at a
-- fixed index: the same slot every iteration.
local function fields(o, n)
  for i = 1, n do
    o.sum = o.sum + i * 0.5
    o.cnt = o.cnt + 1
  end
end
local o = { sum = 0, cnt = 0 }
for _ = 1, 20 do fields(o, 25) end
print("fields", o.sum, o.cnt)
local function fixed(t, n)
  for i = 1, n do t[2] = t[2] * 0.5 + i end
end
local ft = { 1, 2, 3 }
for _ = 1, 20 do fixed(ft, 25) end
print("fixed", ft[1], ft[2], ft[3])
-- The same table under another name writes the field in between.
local function twice(p, q, n)
  for i = 1, n do
    p.v = p.v + i
    q.v = q.v * 0.5
  end
end
local pq = { v = 1 }
for _ = 1, 20 do twice(pq, pq, 25) end
local p1, q1 = { v = 1 }, { v = 1 }
for _ = 1, 20 do twice(p1, q1, 25) end
print("twice", pq.v, p1.v, q1.v)
