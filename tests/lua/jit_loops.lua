-- JIT-focused checks: every loop here gets hot under -Ohotloop=1, and the
-- results must equal the interpreter's.

print("-- arithmetic loops")
local s = 0
for i = 1, 1000 do s = s + i * 2 - i / 4 end
print(s)
local x = 1
for i = 1, 60 do x = x * 1.5 % 1000 end
print(string.format("%.6f", x))
local neg = 0
for i = 10, 1, -1 do neg = neg - i end
print(neg)
local f = 0
for i = 0, 1, 0.125 do f = f + i end
print(f)
for i = 1, 3, 0.5 do io.write(i, " ") end print()

print("-- type instability")
local vals = {1, 2, 3, "4", 5, 6.5, "x", 8}
local acc = 0
for i = 1, #vals do
  local v = vals[i]
  if type(v) == "number" then acc = acc + v else acc = acc + #v end
end
print(acc)
local mixed = 0
for i = 1, 100 do
  local v = (i % 10 == 0) and "s" or i
  if v == "s" then mixed = mixed + 1000 else mixed = mixed + v end
end
print(mixed)

print("-- side exits")
local cnt = {0, 0, 0}
for i = 1, 300 do
  if i % 3 == 0 then cnt[1] = cnt[1] + 1
  elseif i % 3 == 1 then cnt[2] = cnt[2] + 1
  else cnt[3] = cnt[3] + 1 end
end
print(cnt[1], cnt[2], cnt[3])
local lim = 0
for i = 1, 200 do
  if i > 150 then lim = lim + 2 else lim = lim + 1 end
end
print(lim)

print("-- nested loops")
local grid = {}
for i = 1, 20 do
  grid[i] = {}
  for j = 1, 20 do grid[i][j] = i * j end
end
local tot = 0
for i = 1, 20 do for j = 1, 20 do tot = tot + grid[i][j] end end
print(tot)
local w = 0
local i = 0
while i < 100 do
  i = i + 1
  local j = 0
  repeat j = j + 1; w = w + j until j >= 5
end
print(w)

print("-- tables resized mid-loop")
local t = {}
for i = 1, 500 do t[#t + 1] = i end
print(#t, t[1], t[500])
local h = {}
for i = 1, 300 do h["k" .. (i % 50)] = i end
local hs = 0
for k, v in pairs(h) do hs = hs + v end
print(hs)
local arr = {1, 2, 3}
local sum = 0
for i = 1, 200 do
  if i == 100 then for j = 4, 400 do arr[j] = j end end
  sum = sum + arr[(i % 3) + 1]
end
print(sum, #arr)

print("-- metatables changed mid-loop")
local obj = {}
local mt1 = {__index = function(_, k) return 1 end}
local mt2 = {__index = function(_, k) return 2 end}
local ms = 0
for i = 1, 100 do
  if i == 50 then setmetatable(obj, mt1) end
  if i == 75 then setmetatable(obj, mt2) end
  ms = ms + (obj.field or 0)
end
print(ms)
local base = {v = 10}
local der = setmetatable({}, {__index = base})
local ds = 0
for i = 1, 100 do
  if i == 60 then base.v = 20 end
  if i == 80 then der.v = 1 end
  ds = ds + der.v
end
print(ds)

print("-- globals and upvalues")
G_COUNT = 0
for i = 1, 100 do G_COUNT = G_COUNT + i end
print(G_COUNT)
local up = 0
local function bump() up = up + 1 end
for i = 1, 50 do bump() end
print(up)
local closed
do local c = 5; closed = function() return c end end
local cs = 0
for i = 1, 100 do cs = cs + closed() end
print(cs)

print("-- math in loops")
local ms2 = 0
for i = 1, 100 do ms2 = ms2 + math.sqrt(i) + math.floor(i / 3) + math.abs(-i) end
print(string.format("%.6f", ms2))
local sq = math.sqrt
for i = 1, 100 do if i == 50 then sq = function(v) return -v end end ms2 = ms2 + sq(4) end
print(string.format("%.6f", ms2))

print("-- GC during long loops")
local keep = {}
for i = 1, 20000 do
  local tmp = {i, tostring(i)}
  if i % 1000 == 0 then keep[#keep + 1] = tmp end
end
collectgarbage()
print(#keep, keep[1][2], keep[20][2])

print("-- coroutines resumed from hot loops")
local gen = coroutine.wrap(function() for i = 1, 1000 do coroutine.yield(i) end end)
local gs = 0
for i = 1, 500 do gs = gs + gen() end
print(gs)

print("-- errors raised inside traces")
local ok, err = pcall(function()
  local t2 = {1, 2, 3}
  local s2 = 0
  for i = 1, 100 do s2 = s2 + t2[i] end
  return s2
end)
print(ok, err)
ok, err = pcall(function()
  local s3 = 0
  for i = 1, 100 do
    if i == 90 then error("boom at " .. i) end
    s3 = s3 + i
  end
end)
print(ok, err)

print("-- goto loops")
local gi, gsum = 0, 0
::top::
gi = gi + 1
gsum = gsum + gi
if gi < 100 then goto top end
print(gsum)
for i = 1, 50 do
  if i % 2 == 0 then goto continue end
  gsum = gsum + i
  ::continue::
end
print(gsum)

print("-- loop variable copies and strings")
local fns = {}
for i = 1, 5 do fns[i] = function() return i end end
print(fns[1](), fns[5]())
local parts = {}
for i = 1, 20 do parts[#parts + 1] = string.char(64 + i) end
print(table.concat(parts))
local eqs = 0
local names = {"a", "b", "a", "c", "a"}
for i = 1, 100 do if names[(i % 5) + 1] == "a" then eqs = eqs + 1 end end
print(eqs)
print("-- nan and infinity in loops")
local nn = 0
for i = 1, 100 do
  local v = (i == 50) and 0/0 or i
  if v ~= v then nn = nn + 1000 elseif v > 95 then nn = nn + 1 end
end
print(nn)
local inf = 0
for i = 1, 10 do inf = inf + 1/0 end
print(inf, -inf)
