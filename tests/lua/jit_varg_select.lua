-- Varargs in traces: select(k, ...) with a varying k over the base
-- frame's varargs (bounds, types changing, out of range), select('#'),
-- forwarding through wrappers, {n = select('#', ...), ...}.
local function sum(...)
  local s = 0
  for k = 1, select('#', ...) do s = s + (select(k, ...)) end
  return s
end
local t = 0
for i = 1, 300 do t = t + sum(i, 2, 3, 4, 5) + sum(i) + sum() end
print(t)
-- The k-th value changes type, k runs past the end, k from a table.
local function pick(ks, ...)
  local r = {}
  for j = 1, #ks do
    local v = (select(ks[j], ...))
    r[#r + 1] = tostring(v)
  end
  return table.concat(r, ",")
end
local out = {}
for i = 1, 60 do
  out[#out + 1] = pick({ 1, 2, 3, 1 + i % 3 }, i, i % 2 == 0 and "s" or i, nil)
end
print(out[1], out[2], out[59], out[60])
local function bad(...)
  local s = 0
  for k = 1, 5 do s = s + ((select(k, ...)) or 0) end
  return s
end
local ok, e = pcall(function()
  local r = 0
  for i = 1, 40 do r = r + bad(i, i, i, i, i) + bad(1, 2, 3) end
  return r
end)
print(ok, e)
local function neg(...)
  local s = 0
  for k = -1, -select('#', ...), -1 do s = s + (select(k, ...)) end
  return s
end
local u = 0
for i = 1, 100 do u = u + neg(i, 1, 2) end
print(u)
local function add3(a, b, c) return a + b + c end
local function fwd(...) return add3(...) end
local function fwd2(...) return fwd(...) end
local function pack2(...) return { n = select('#', ...), ... } end
local m, c = 0, 0
for i = 1, 300 do
  m = m + fwd2(i, 1, 2)
  local p = pack2(i, nil, i)
  c = c + p.n + p[1] + (p[2] or 0) + p[3]
end
print(m, c)
