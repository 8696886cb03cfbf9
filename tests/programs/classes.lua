-- classes.lua: a small class library built on metatables

local function class(name, parent)
  local cls = { __name = name, super = parent, __mixins = {} }
  cls.__index = function(self, key)
    -- property getters take precedence
    local getter = cls.__getters and cls.__getters[key]
    if getter then return getter(self) end
    local v = cls[key]
    if v ~= nil then return v end
    return nil
  end
  cls.__newindex = function(self, key, value)
    local setter = cls.__setters and cls.__setters[key]
    if setter then return setter(self, value) end
    if cls.__readonly and cls.__readonly[key] then
      error("property '" .. key .. "' of " .. name .. " is read-only", 2)
    end
    rawset(self, key, value)
  end
  -- metamethods are inherited by copying at definition time
  if parent then
    for _, mm in ipairs({ "__tostring", "__eq", "__lt", "__le", "__add", "__concat", "__call", "__len", "__unm" }) do
      if rawget(parent, mm) then cls[mm] = parent[mm] end
    end
    cls.__getters = setmetatable({}, { __index = parent.__getters })
    cls.__setters = setmetatable({}, { __index = parent.__setters })
    cls.__readonly = setmetatable({}, { __index = parent.__readonly })
  else
    cls.__getters, cls.__setters, cls.__readonly = {}, {}, {}
  end
  setmetatable(cls, {
    __index = parent,
    __call = function(c, ...)
      local obj = setmetatable({}, c)
      if c.init then c.init(obj, ...) end
      return obj
    end,
    __tostring = function(c) return "class " .. c.__name end,
  })
  return cls
end

local function include(cls, mixin)
  for k, v in pairs(mixin) do
    if k ~= "included" then cls[k] = v end
  end
  cls.__mixins[#cls.__mixins + 1] = mixin
  if mixin.included then mixin.included(cls) end
  return cls
end

local function instanceof(obj, cls)
  if type(obj) ~= "table" then return false end
  local c = getmetatable(obj)
  while c do
    if c == cls then return true end
    for _, m in ipairs(c.__mixins or {}) do
      if m == cls then return true end
    end
    c = c.super
  end
  return false
end

---------------------------------------------------------------------------
-- Shape hierarchy: Shape -> Rect -> Square
---------------------------------------------------------------------------
local Shape = class("Shape")
local instances = 0
function Shape:init(name)
  instances = instances + 1
  rawset(self, "_id", instances)
  self.name = name or "shape"
end
function Shape:area() return 0 end
function Shape:describe()
  return string.format("%s #%d (%s) area=%.2f", self.__name, self._id, self.name, self:area())
end
Shape.__tostring = function(self) return self.__name .. "<" .. self.name .. ">" end
Shape.__eq = function(a, b) return a:area() == b:area() end
Shape.__lt = function(a, b) return a:area() < b:area() end
Shape.__le = function(a, b) return a:area() <= b:area() end
Shape.__add = function(a, b)
  local s = Shape("sum")
  local total = a:area() + b:area()
  s.area = function() return total end
  return s
end
Shape.__concat = function(a, b)
  return tostring(a) .. "&" .. tostring(b)
end
Shape.__getters.kind = function(self) return string.lower(self.__name) end
Shape.__readonly.kind = true

local Rect = class("Rect", Shape)
function Rect:init(w, h, name)
  Shape.init(self, name or "rect")
  self.w, self.h = w, h
end
function Rect:area() return self.w * self.h end
function Rect:perimeter() return 2 * (self.w + self.h) end
Rect.__getters.dims = function(self) return self.w .. "x" .. self.h end
Rect.__setters.dims = function(self, v)
  local w, h = v:match("^(%d+)x(%d+)$")
  if not w then error("bad dims: " .. tostring(v), 3) end
  rawset(self, "w", tonumber(w)); rawset(self, "h", tonumber(h))
end
Rect.__call = function(self, factor)
  return Rect(self.w * factor, self.h * factor, self.name .. "*" .. factor)
end

local Square = class("Square", Rect)
function Square:init(side, name)
  Rect.init(self, side, side, name or "square")
end
function Square:describe()
  return "[square] " .. Rect.describe(self)
end
Square.__setters.side = function(self, v) rawset(self, "w", v); rawset(self, "h", v) end
Square.__getters.side = function(self) return self.w end

local Circle = class("Circle", Shape)
function Circle:init(r) Shape.init(self, "circle"); self.r = r end
function Circle:area() return 3 * self.r * self.r end -- integer-friendly pi
Circle.__len = function(self) return self.r end
Circle.__unm = function(self) return Circle(-self.r) end

print(tostring(Shape), tostring(Rect), tostring(Square))
local r = Rect(3, 4)
local s = Square(5)
local c = Circle(2)
print(r:describe())
print(s:describe())
print(c:describe())
print(tostring(r), tostring(s), tostring(c))
print("perimeter", r:perimeter(), s:perimeter())
print("kind", r.kind, s.kind, c.kind)
print("dims", r.dims, s.dims)
r.dims = "6x7"
print("after set dims", r.w, r.h, r:area(), r.dims)
s.side = 9
print("square side", s.side, s:area(), rawget(s, "side"))

local ok, err = pcall(function() r.kind = "x" end)
print("readonly:", ok, (err:gsub("^.-:%d+: ", "")))
ok, err = pcall(function() r.dims = "huge" end)
print("bad setter:", ok, (err:gsub("^.-:%d+: ", "")))

-- comparisons
local a1, a2 = Rect(2, 6), Rect(3, 4)
print("eq", a1 == a2, rawequal(a1, a2), a1 ~= a2)
print("lt/le", a1 < r, r < a1, a1 <= a2, a1 > a2, a1 >= a2)
local sum = r + s
print("add", tostring(sum), sum:area(), sum.kind)
print("concat", r .. s, r .. c)
local big = r(2)
print("call", big:describe())
print("len", #c, #r, #{ 1, 2, 3 })
local nc = -c
print("unm", nc.r, nc:area())

-- sorting
local shapes = { Rect(1, 1, "tiny"), Square(4, "mid"), Circle(3), Rect(10, 1, "long"), Square(2, "small"), Rect(5, 5, "quarter") }
table.sort(shapes)
local names = {}
for i, sh in ipairs(shapes) do names[i] = sh.name .. "=" .. sh:area() end
print("sorted asc:", table.concat(names, " "))
table.sort(shapes, function(x, y) return x > y end)
names = {}
for i, sh in ipairs(shapes) do names[i] = sh.name end
print("sorted desc:", table.concat(names, " "))

-- instanceof
print("instanceof", instanceof(s, Square), instanceof(s, Rect), instanceof(s, Shape),
  instanceof(r, Square), instanceof(c, Rect), instanceof(42, Shape), instanceof({}, Shape))

---------------------------------------------------------------------------
-- Mixins
---------------------------------------------------------------------------
local Serializable = {
  serialize = function(self)
    local keys = {}
    for k, v in pairs(self) do
      if type(v) ~= "function" and k:sub(1, 1) ~= "_" then keys[#keys + 1] = k end
    end
    table.sort(keys)
    local out = {}
    for i, k in ipairs(keys) do out[i] = k .. "=" .. tostring(self[k]) end
    return self.__name .. "{" .. table.concat(out, ",") .. "}"
  end,
  included = function(cls) cls.serializable = true end,
}
local Observable = {
  on = function(self, ev, fn)
    local l = rawget(self, "_listeners")
    if not l then l = {}; rawset(self, "_listeners", l) end
    l[ev] = l[ev] or {}
    table.insert(l[ev], fn)
  end,
  emit = function(self, ev, ...)
    local l = rawget(self, "_listeners")
    local n = 0
    if l and l[ev] then
      for _, fn in ipairs(l[ev]) do fn(self, ...); n = n + 1 end
    end
    return n
  end,
}
include(Rect, Serializable)
include(Rect, Observable)
print("serialize", r:serialize(), s:serialize(), Square.serializable)
print("mixin instanceof", instanceof(s, Serializable), instanceof(c, Serializable))
local log = {}
s:on("grow", function(self, by) log[#log + 1] = self.name .. "+" .. by end)
s:on("grow", function(self, by) self.side = self.side + by end)
print("emit", s:emit("grow", 3), s:emit("shrink"), table.concat(log, ";"), s.side)

---------------------------------------------------------------------------
-- Private state via closures; weak caches
---------------------------------------------------------------------------
local function Account(owner, initial)
  local balance = initial or 0
  local history = {}
  local self = {}
  function self.deposit(n)
    if n <= 0 then error("deposit must be positive", 2) end
    balance = balance + n
    history[#history + 1] = "+" .. n
  end
  function self.withdraw(n)
    if n > balance then return false, "insufficient funds" end
    balance = balance - n
    history[#history + 1] = "-" .. n
    return true
  end
  function self.balance() return balance end
  function self.history() return table.concat(history, " ") end
  return setmetatable(self, { __tostring = function() return owner .. ": " .. balance end })
end

local acct = Account("alice", 100)
acct.deposit(50)
print("withdraw", acct.withdraw(500))
print("withdraw", acct.withdraw(30))
print(tostring(acct), acct.history(), acct.balance(), rawget(acct, "balance") ~= nil)
print("deposit err", select(2, pcall(acct.deposit, -5)):gsub("^.-:%d+: ", ""))

local area_cache = setmetatable({}, { __mode = "k" })
local computed = 0
local function cached_area(shape)
  local v = area_cache[shape]
  if v == nil then
    computed = computed + 1
    v = shape:area()
    area_cache[shape] = v
  end
  return v
end
local temp = {}
for i = 1, 5 do temp[i] = Square(i) end
local total = 0
for round = 1, 3 do
  for i = 1, 5 do total = total + cached_area(temp[i]) end
end
print("cache", total, computed)
local live = 0
for _ in pairs(area_cache) do live = live + 1 end
print("live before gc", live)
temp = nil
collectgarbage()
collectgarbage()
live = 0
for _ in pairs(area_cache) do live = live + 1 end
print("live after gc", live)
print("mode", getmetatable(area_cache).__mode)

-- method lookup through 3 levels and super calls
local Base = class("Base")
function Base:greet() return "base" end
function Base:chain() return "B" end
local Mid = class("Mid", Base)
function Mid:chain() return "M>" .. Mid.super.chain(self) end
local Leaf = class("Leaf", Mid)
function Leaf:chain() return "L>" .. Leaf.super.chain(self) end
local leaf = Leaf()
print("super chain", leaf:chain(), leaf:greet(), Leaf.super == Mid, Mid.super == Base, Base.super)
print("rawget method", rawget(Leaf, "greet"), rawget(Base, "greet") ~= nil)
print("instances created", instances)
