-- JIT: tail calls inside inlined functions, method dispatch through
-- metatables, multiple assignment from calls.
local function leaf(x) return x * 2 end
local function mid(x) return leaf(x + 1) end
local function top(x) return mid(x) end
local s = 0
for i = 1, 300 do s = s + top(i) end
print(s)

local function even(n, acc) if n == 0 then return acc end return even(n - 1, acc + 1) end
local e = 0
for i = 1, 100 do e = e + even(3, 0) end
print(e)

local Task = {}
Task.__index = Task
function Task.new(n) return setmetatable({n = n, done = 0}, Task) end
function Task:step() self.done = self.done + 1 return self:check() end
function Task:check() return self.done >= self.n end
local t = Task.new(250)
local finished = 0
for i = 1, 300 do if t:step() then finished = finished + 1 end end
print(t.done, finished)

local function sel(i) if i % 2 == 0 then return leaf(i) else return mid(i) end end
local z = 0
for i = 1, 200 do z = z + sel(i) end
print(z)

-- Constructors: `return setmetatable(...)` inlined; fast functions in tail
-- position of inlined frames.
local P = {}
P.__index = P
local function newp(x) return setmetatable({x = x}, P) end
function P:get() return self.x end
local function root2(v) return math.sqrt(v) end
local ps, rs = 0, 0
for i = 1, 300 do
  local p = newp(i)
  ps = ps + p:get() + (getmetatable(p) == P and 1 or 0)
  rs = rs + root2(i * i)
end
print(ps, rs)
local ok, err = pcall(function()
  local prot = setmetatable({}, {__metatable = "locked"})
  for i = 1, 100 do if i == 60 then setmetatable(prot, {}) end end
end)
print(ok, err)
