-- tostring, tonumber, select, rawget/rawset/rawequal, assert, unpack in traces.
local out = {}
for i = 1, 60 do
  out[#out + 1] = tostring(i / 8) .. tostring("s" .. i % 3)
end
print(table.concat(out, " "))

local sum = 0
local strs = {"10", "0x10", " 5 ", "1e2", "abc", "", "7.5", 3, "-2"}
for i = 1, 90 do
  local v = tonumber(strs[i % #strs + 1])
  sum = sum + (v or 1000)
end
print("tonumber", sum)
local nn = 0
for i = 1, 30 do
  if tonumber(i % 2 == 0 and "x" or "4") == nil then nn = nn + 1 end
end
print("nils", nn)

local function count(...) return select("#", ...) end
local function pick(n, ...) return select(n, ...) end
local function second(...) return (select(2, ...)) end
local acc = 0
for i = 1, 100 do
  acc = acc + count(i, i, nil) + count() + pick(2, i, i * 2, i * 3) + second(1, i) + pick(-1, 5, 6, i)
  local a, b = select(2, 10, 20, 30)
  acc = acc + a + b
end
print("select", acc)
local sf = 0
for i = 1, 100 do
  local a, b = select(2, i, 20, 30)
  local c = select(-1, 1, 2, i)
  sf = sf + a + b + c + select("#", i, nil, nil) + select(i % 3 + 1, 7, 8, 9, 10)
end
print("select fixed", sf)

local t = setmetatable({}, {__index = function() return 99 end, __newindex = function() error("no") end})
local hits = 0
for i = 1, 50 do
  rawset(t, i, i * 2)
  rawset(t, "k" .. i % 5, i)
  if rawget(t, i) == i * 2 then hits = hits + 1 end
  if rawget(t, i + 100) == nil then hits = hits + 1 end
  hits = hits + rawget(t, "k" .. i % 5)
end
print("raw", hits, #t, t[1000])

local e = 0
local x, y = {}, {}
for i = 1, 40 do
  if rawequal(x, x) then e = e + 1 end
  if rawequal(x, y) then e = e + 100 end
  if rawequal(i, i + 0) then e = e + 1 end
  if rawequal("a" .. i, "a" .. i) then e = e + 1 end
  if rawequal(i, "1") then e = e + 1000 end
  if rawequal(nil, nil) then e = e + 1 end
end
print("rawequal", e)

local as = 0
for i = 1, 50 do
  local a, b, c = assert(i, "msg", i * 2)
  as = as + a + c + #b
end
print("assert", as)
for i = 1, 5 do
  print(pcall(function(v) return assert(v, "failed at " .. i) end, i < 4 or nil))
end

local u = 0
local tabs = {{1, 2, 3}, {4, 5}, {6}, {}, {7, 8, 9, 10}}
for i = 1, 60 do
  local a, b, c = unpack(tabs[i % 5 + 1])
  u = u + (a or 0) + (b or 0) + (c or 0)
  u = u + select("#", unpack(tabs[(i + 1) % 5 + 1]))
end
print("unpack", u)
local big = {}
for i = 1, 20 do big[i] = i end
local bu = 0
for i = 1, 30 do
  bu = bu + select("#", unpack(big)) + math.max(unpack({i, 3, 9}))
end
print("bigunpack", bu)
