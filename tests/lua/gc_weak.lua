-- garbage collector and weak tables
local function e(f, ...) print(pcall(f, ...)) end

print("-- collectgarbage options")
print(type(collectgarbage("count")), collectgarbage("count") > 0)
print(select("#", collectgarbage("count")))
print(collectgarbage("collect"), collectgarbage())
print(type(collectgarbage("step")), type(collectgarbage("step", 100)))
local oldpause = collectgarbage("setpause", 150)
print(type(oldpause), collectgarbage("setpause", oldpause))
local oldmul = collectgarbage("setstepmul", 300)
print(type(oldmul), collectgarbage("setstepmul", oldmul))
print(collectgarbage("stop"), collectgarbage("restart"))
e(function() return type(collectgarbage("isrunning")) end)
e(collectgarbage, "bogus")
e(collectgarbage, 5)
local before = collectgarbage("count")
do local junk = {}; for i = 1, 10000 do junk[i] = {i} end end
collectgarbage(); collectgarbage()
print("freed", collectgarbage("count") < before + 200)

print("-- weak values")
local wv = setmetatable({}, {__mode = "v"})
wv[1] = {}; wv[2] = "string stays"; wv[3] = 42; local keep = {}; wv[4] = keep
wv.f = function() end; wv.t = true
collectgarbage(); collectgarbage()
print(wv[1], wv[2], wv[3], wv[4] == keep, wv.t)

print("-- weak keys")
local wk = setmetatable({}, {__mode = "k"})
local k1, k2 = {}, {}
wk[k1] = "one"; wk[k2] = "two"; wk[{}] = "gone"; wk["str"] = "strkey"; wk[1] = "num"
k2 = nil
collectgarbage(); collectgarbage()
local n = 0; for k, v in pairs(wk) do n = n + 1 end
print(n, wk[k1], wk.str, wk[1])

print("-- weak kv")
local wkv = setmetatable({}, {__mode = "kv"})
local kk = {}
wkv[kk] = {}; wkv[{}] = kk; wkv[1] = {}; wkv.x = kk
collectgarbage(); collectgarbage()
n = 0; for k, v in pairs(wkv) do n = n + 1 end
print(n, wkv.x == kk, wkv[kk], wkv[1])

print("-- ephemeron-ish: value references key")
local eph = setmetatable({}, {__mode = "k"})
do local key = {}; eph[key] = {ref = key} end
collectgarbage(); collectgarbage()
n = 0; for _ in pairs(eph) do n = n + 1 end
print("k-weak with self-ref value entries", n <= 1)

print("-- __gc via newproxy")
local log = {}
do
  local p = newproxy(true)
  getmetatable(p).__gc = function(u) log[#log + 1] = "gc:" .. type(u) end
  local p2 = newproxy(p)
  print(type(p), type(p2), getmetatable(p) == getmetatable(p2))
end
collectgarbage(); collectgarbage()
print(#log, log[1], log[2])
local np = newproxy(false); print(type(np), getmetatable(np))
e(newproxy, 5)
e(newproxy, {})
local order = {}
do
  for i = 1, 3 do
    local u = newproxy(true)
    getmetatable(u).__gc = function() order[#order + 1] = i end
  end
end
collectgarbage(); collectgarbage()
table.sort(order)
print(table.concat(order, ","))
local resurrect
do
  local u = newproxy(true)
  getmetatable(u).__gc = function(x) resurrect = x end
end
collectgarbage(); collectgarbage()
print(type(resurrect))
resurrect = nil
collectgarbage()

print("-- __gc on tables (not run in 5.1)")
local tgc = 0
do setmetatable({}, {__gc = function() tgc = tgc + 1 end}) end
collectgarbage(); collectgarbage()
print(tgc)

print("-- weak table with strings and many entries")
local big = setmetatable({}, {__mode = "v"})
local anchor = {500}
for i = 1, 1000 do big[i] = (i == 500) and anchor or {i} end
collectgarbage(); collectgarbage()
n = 0; for _ in pairs(big) do n = n + 1 end
print(n, big[500] == anchor)
local mode = setmetatable({}, {__mode = "v"})
mode.s = "abc" .. "def"; mode.n = 1.5
collectgarbage()
print(mode.s, mode.n)
