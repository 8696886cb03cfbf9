-- collectgarbage("step"/"count") as in LuaJIT 2.1 / PUC 5.1's gc.lua: a
-- step returns true when it finished a cycle, a loop of steps finishes
-- one, bigger steps need fewer calls, and the count (KB, a float) drops
-- once the garbage is collected.

-- Live data, so a cycle is more than a few basic steps.
local live = {}
for i = 1, 2000 do live[i] = {i} end

local function garbage(n)
  local junk = {}
  for i = 1, n do junk[i] = {i, i} end
  return #junk
end

local function dosteps(siz)
  collectgarbage()
  collectgarbage("stop")
  garbage(500)
  local x = collectgarbage("count")
  local i = 0
  repeat
    i = i + 1
    local r = collectgarbage("step", siz)
    assert(type(r) == "boolean")
  until r
  local after = collectgarbage("count")
  assert(after < x, "count did not drop")
  return i
end

local s0, s2, s6, sbig = dosteps(0), dosteps(2), dosteps(6), dosteps(10000)
print("step 0 needs more than 10 calls", s0 > 10)
print("bigger steps need fewer calls", s6 < s2, s2 < s0)
print("one huge step", sbig)
print(collectgarbage("step", 1000000), collectgarbage("step", 1000000))
print("negative size finishes a cycle", collectgarbage("step", -1))

-- A step restarts a stopped collector, and so does a full collection.
collectgarbage("stop")
print(collectgarbage("isrunning"), collectgarbage("step"), collectgarbage("isrunning"))
collectgarbage("stop")
print(collectgarbage("isrunning"), collectgarbage("collect"), collectgarbage("isrunning"))
collectgarbage("restart")

-- stepmul 0: no step limit, every step is a whole cycle.
print(collectgarbage("setstepmul", 0))
print(collectgarbage("step", 0), collectgarbage("step", 0))
print(collectgarbage("setstepmul", 200))

-- count: KB as a number with the bytes as fraction; gcinfo is its floor.
collectgarbage()
local c = collectgarbage("count")
print(type(c), c > 0, (c * 1024) % 1 == 0, gcinfo() == math.floor(c))
local before = collectgarbage("count")
garbage(5000)
local grown = collectgarbage("count")
collectgarbage()
local after = collectgarbage("count")
print("grows with garbage", grown > before + 50, "drops after collect", after < grown - 50)

-- The size argument is an integer (truncated) and must be a number.
print(pcall(collectgarbage, "step", "x"))
print(collectgarbage("step", 0.5) ~= nil)
print(pcall(collectgarbage, "bogus"))
print(#live)
