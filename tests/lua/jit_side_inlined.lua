-- Side traces grown from exits inside inlined calls: the exit's frames
-- become real frames and the side trace runs in the innermost one, returns
-- below it and links back to the loop.

local function has(state, flag) return state % (flag * 2) >= flag end

local yes, no = 0, 0
for i = 1, 300 do
  if has(i % 8, 4) then yes = yes + 1 else no = no + 1 end
end
print("has", yes, no)

-- Two levels of inlined calls, the branch in the innermost.
local function classify(x)
  if x % 3 == 0 then return "fizz" elseif x % 5 == 0 then return "buzz" end
  return "num"
end
local function wrap(x) local c = classify(x); return c .. "!" end
local tally = {}
for i = 1, 400 do
  local k = wrap(i)
  tally[k] = (tally[k] or 0) + 1
end
print("wrap", tally["fizz!"], tally["buzz!"], tally["num!"])

-- Methods with state changes (a scheduler-like loop).
local Task = {}
Task.__index = Task
function Task.new(id, state) return setmetatable({ id = id, state = state, runs = 0 }, Task) end
function Task:held() return self.state % 2 == 1 end
function Task:run()
  self.runs = self.runs + 1
  if self.runs % 7 == 0 then self.state = self.state + 1 end
  return self.runs
end
local tasks = {}
for i = 1, 5 do tasks[i] = Task.new(i, i) end
local total = 0
for step = 1, 2000 do
  local t = tasks[step % 5 + 1]
  if t:held() then
    t.state = t.state + 1
  else
    total = total + t:run()
  end
end
local states = {}
for i = 1, 5 do states[i] = tasks[i].state .. "/" .. tasks[i].runs end
print("tasks", total, table.concat(states, " "))

-- Closures of one prototype with different upvalues, called alternately.
local function adder(k) return function(x) if x > 50 then return x + k end return x - k end end
local fs = { adder(1), adder(10), adder(100) }
local acc = 0
for i = 1, 600 do acc = acc + fs[i % 3 + 1](i % 100) end
print("closures", acc)

-- An error raised in an inlined frame after a side exit: the traceback
-- names the right functions.
local function check(x)
  if x > 250 then error("too big: " .. x) end
  return x
end
local function step(x) return check(x) + 1 end
local ok, err = pcall(function()
  local s = 0
  for i = 1, 300 do s = s + step(i) end
  return s
end)
print("error", ok, err)

-- Varargs through inlined frames with branches.
local function pick(n, ...)
  if n > 2 then return (select(2, ...)) end
  return (select(1, ...))
end
local vs = 0
for i = 1, 300 do vs = vs + pick(i % 4, i, 2 * i, 3 * i) end
print("varargs", vs)

-- Allocation in inlined calls with side traces: collections still happen
-- (a GC exit always reaches the interpreter), memory stays bounded.
local P = {}
P.__index = P
local function pt(x, y) return setmetatable({ x = x, y = y }, P) end
P.__add = function(a, b) return pt(a.x + b.x, a.y + b.y) end
P.__sub = function(a, b) if a.x > b.x then return pt(a.x - b.x, 0) end return pt(0, a.y - b.y) end
local accp = pt(0, 0)
local peak = 0
for i = 1, 200000 do
  accp = accp + (pt(i % 13, i % 7) - pt(i % 5, i % 11))
  if i % 1000 == 0 then
    local kb = collectgarbage("count")
    if kb > peak then peak = kb end
  end
end
print("points", accp.x, accp.y, peak < 20000)
