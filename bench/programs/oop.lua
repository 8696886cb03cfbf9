-- OOP with metatables: classes, inheritance chains, method calls, super calls,
-- __index functions, __eq/__lt/__add/__tostring/__call metamethods.
local N = tonumber(arg and arg[1]) or 2500000

local function class(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, { __index = parent }) end
  c.super = parent
  c.new = function(...)
    local o = setmetatable({}, c)
    o:init(...)
    return o
  end
  return c
end

---------------------------------------------------------------- shapes
local Shape = class()
function Shape:init(name) self.name = name; self.moves = 0 end
function Shape:area() return 0 end
function Shape:perimeter() return 0 end
function Shape:move(dx, dy) self.x = self.x + dx; self.y = self.y + dy; self.moves = self.moves + 1 end
function Shape:describe() return self.name end
function Shape:score() return self:area() * 2 + self:perimeter() end

local Rect = class(Shape)
function Rect:init(x, y, w, h)
  Shape.init(self, "rect")
  self.x, self.y, self.w, self.h = x, y, w, h
end
function Rect:area() return self.w * self.h end
function Rect:perimeter() return 2 * (self.w + self.h) end

local Square = class(Rect)
function Square:init(x, y, s)
  Rect.init(self, x, y, s, s)
  self.name = "square"
end
function Square:score() return Rect.score(self) + 1 end

local Circle = class(Shape)
function Circle:init(x, y, r)
  Shape.init(self, "circle")
  self.x, self.y, self.r = x, y, r
end
function Circle:area() return 3 * self.r * self.r end      -- integer-friendly "pi"
function Circle:perimeter() return 6 * self.r end

local Tri = class(Shape)
function Tri:init(x, y, b, h)
  Shape.init(self, "tri")
  self.x, self.y, self.b, self.h = x, y, b, h
end
function Tri:area() return self.b * self.h / 2 end
function Tri:perimeter() return self.b * 3 end

---------------------------------------------------------------- vector with metamethods
local V2 = {}
V2.__index = V2
local function v2(x, y) return setmetatable({ x = x, y = y }, V2) end
V2.__add = function(a, b) return v2(a.x + b.x, a.y + b.y) end
V2.__sub = function(a, b) return v2(a.x - b.x, a.y - b.y) end
V2.__eq = function(a, b) return a.x == b.x and a.y == b.y end
V2.__lt = function(a, b) return a.x * a.x + a.y * a.y < b.x * b.x + b.y * b.y end
V2.__le = function(a, b) return not (b < a) end
V2.__tostring = function(a) return "(" .. a.x .. "," .. a.y .. ")" end
V2.__call = function(a, k) return a.x * k + a.y end
function V2:len2() return self.x * self.x + self.y * self.y end

---------------------------------------------------------------- accounts: __index function + __newindex
local Account = class()
function Account:init(id) self.id = id; rawset(self, "balance", 0); self.log = 0 end
function Account:deposit(v) self.balance = self.balance + v; self.log = self.log + 1 end
function Account:withdraw(v)
  if v > self.balance then return false end
  self.balance = self.balance - v
  self.log = self.log + 1
  return true
end

local Savings = class(Account)
function Savings:init(id, rate) Account.init(self, id); self.rate = rate end
function Savings:accrue() self:deposit(math.floor(self.balance * self.rate / 100)) end

-- proxy object that counts reads through an __index function
local reads = 0
local function counting_proxy(target)
  return setmetatable({}, {
    __index = function(_, k) reads = reads + 1; return target[k] end,
    __newindex = function(_, k, v) target[k] = v end,
  })
end

---------------------------------------------------------------- run
local shapes = {}
for i = 1, 100 do
  local k = i % 4
  if k == 0 then shapes[i] = Rect.new(i, -i, i % 7 + 1, i % 5 + 2)
  elseif k == 1 then shapes[i] = Square.new(-i, i, i % 9 + 1)
  elseif k == 2 then shapes[i] = Circle.new(i, i, i % 6 + 1)
  else shapes[i] = Tri.new(0, i, i % 8 + 2, i % 4 + 2) end
end

local score = 0
local namecount = {}
for it = 1, N do
  local s = shapes[it % 100 + 1]
  score = score + s:score()
  s:move(1, -1)
  if it % 97 == 0 then
    local d = s:describe()
    namecount[d] = (namecount[d] or 0) + 1
  end
end

local acc = v2(0, 0)
local lt, eq = 0, 0
for it = 1, N do
  local a = v2(it % 13, it % 7)
  local b = v2(it % 5, it % 11)
  acc = acc + (a - b)
  if a < b then lt = lt + 1 end
  if a == b then eq = eq + 1 end
  if a <= b then lt = lt + 1 end
end
local called = acc(3)

local accounts = {}
for i = 1, 50 do
  if i % 2 == 0 then accounts[i] = Savings.new(i, i % 5 + 1) else accounts[i] = Account.new(i) end
end
local fails = 0
for it = 1, N do
  local a = accounts[it % 50 + 1]
  a:deposit(it % 100)
  if not a:withdraw(it % 37 * 3) then fails = fails + 1 end
  if it % 500 == 0 and a.accrue then a:accrue() end
end
local total, logs = 0, 0
for i = 1, 50 do total = total + accounts[i].balance; logs = logs + accounts[i].log end

local p = counting_proxy(Savings.new(999, 2))
for it = 1, N / 10 do
  p:deposit(it % 10)
end
local moves = 0
for i = 1, 100 do moves = moves + shapes[i].moves end

print(string.format("score=%.1f moves=%d rect=%d square=%d circle=%d tri=%d",
  score, moves, namecount.rect or 0, namecount.square or 0, namecount.circle or 0, namecount.tri or 0))
print(string.format("vec=%s len2=%d call=%d lt=%d eq=%d", tostring(acc), acc:len2(), called, lt, eq))
print(string.format("balance=%d logs=%d fails=%d proxy=%d reads=%d", total, logs, fails, p.balance, reads))
