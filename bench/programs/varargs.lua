-- Vararg forwarding: wrappers that pass `...` along, select('#') and select(n).
local N = tonumber(arg and arg[1]) or 10000000

local function add3(a, b, c) return a + b + c end
local function fwd(...) return add3(...) end
local function fwd2(...) return fwd(...) end

local function count(...) return select('#', ...) end
local function second(...) return (select(2, ...)) end

local function sum(...)
  local s = 0
  for k = 1, select('#', ...) do s = s + (select(k, ...)) end
  return s
end

local function pack2(...) return { n = select('#', ...), ... } end

local s = 0
for i = 1, N do
  s = s + fwd2(i, 1, 2)
end
print(s)

local c = 0
for i = 1, N do
  c = c + count(i, i, nil, i) + second(i, i + 1, i + 2)
end
print(c)

local t = 0
for i = 1, N / 4 do
  t = t + sum(i, 2, 3, 4, 5)
end
print(t)

local m = 0
for i = 1, N / 10 do
  local p = pack2(i, i)
  m = m + p.n + p[2]
end
print(m)
