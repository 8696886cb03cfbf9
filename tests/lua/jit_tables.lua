-- JIT: table allocation, appends, __index chains, GC inside hot loops.
local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
Point.kind = "point"
local Base = {greet = "hi"}
Base.__index = Base
setmetatable(Point, Base)

local p = Point.new(1, 2)
local n, g = 0, 0
for i = 1, 300 do
  if p.kind == "point" then n = n + 1 end
  if p.greet == "hi" then g = g + 1 end
  if p.missing == nil then g = g + 1 end
  if i == 150 then Point.kind = "changed" end
  if i == 200 then Base.greet = "bye" end
end
print(n, g)

local list = {}
for i = 1, 1000 do list[#list + 1] = {i, i * 2} end
local s = 0
for i = 1, #list do s = s + list[i][1] + list[i][2] end
print(#list, s)

local objs = {}
for i = 1, 5000 do
  local o = {id = i, tag = "t" .. (i % 7)}
  if i % 500 == 0 then objs[#objs + 1] = o end
end
collectgarbage()
local ids = {}
for i = 1, #objs do ids[i] = objs[i].id end
print(#objs, table.concat(ids, ","))

local sparse = {}
for i = 1, 200 do
  if i % 2 == 0 then sparse[i] = i end
end
local cnt = 0
for i = 1, 200 do if sparse[i] then cnt = cnt + 1 end end
print(cnt)

local m = setmetatable({}, {__index = {a = 1, b = 2}})
local acc = 0
for i = 1, 100 do acc = acc + m.a + m.b; if i == 50 then rawset(m, "a", 10) end end
print(acc)

local grow = {1}
for i = 2, 3000 do grow[i] = grow[i - 1] + 1 end
print(#grow, grow[3000])
local holes = {}
for i = 1, 100 do holes[i] = i end
for i = 1, 100 do if i % 10 == 0 then holes[i] = nil end end
local hs = 0
for i = 1, 100 do hs = hs + (holes[i] or 0) end
print(hs)

-- New keys stored from a trace (hash part growth, GC exits).
local recs = {}
for i = 1, 400 do
  local r = {}
  r.id = i
  r["k" .. (i % 3)] = i * 2
  r[i * 2] = true
  recs[i] = r
end
local cnt2, sum2 = 0, 0
for i = 1, 400 do
  local r = recs[i]
  if r[i * 2] then cnt2 = cnt2 + 1 end
  sum2 = sum2 + r.id + (r.k0 or 0) + (r.k1 or 0) + (r.k2 or 0)
end
print(cnt2, sum2)
local bag = {}
for i = 1, 300 do bag[(i * 7) % 101 + 0.5] = i end
local bs = 0
for k, v in pairs(bag) do bs = bs + v end
print(bs)

-- New fields on objects that have a metatable; __newindex added mid-loop.
local Cls = {}
Cls.__index = Cls
local objs2 = {}
local log = 0
for i = 1, 300 do
  local o = setmetatable({}, Cls)
  o.v = i
  o["f" .. (i % 4)] = i
  objs2[i] = o
  if i == 200 then Cls.__newindex = function(t, k, v) log = log + 1; rawset(t, k, v) end end
end
local tot = 0
for i = 1, 300 do tot = tot + objs2[i].v + (objs2[i].f1 or 0) end
print(tot, log)
