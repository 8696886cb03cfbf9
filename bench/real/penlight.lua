-- Penlight (Debian lua-penlight): classes with inheritance, pl.List,
-- pl.tablex, pl.stringx and pl.pretty.write over generated data. Prints
-- counts and digests of the results.
local class = require "pl.class"
local List = require "pl.List"
local tablex = require "pl.tablex"
local stringx = require "pl.stringx"
local pretty = require "pl.pretty"

local seed = 99
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local function sdig(s, h)
  h = h or #s
  for k = 1, #s, 2 do h = (h * 31 + s:byte(k)) % 1000000007 end
  return h
end

-- Classes: a small shape hierarchy.
local Shape = class()
function Shape:_init(name) self.name = name end
function Shape:area() return 0 end
function Shape:describe()
  return ("%s[%s] area=%.3f"):format(self.name, self:kind(), self:area())
end
function Shape:kind() return "shape" end

local Rect = class(Shape)
function Rect:_init(w, h)
  self:super("rect")
  self.w, self.h = w, h
end
function Rect:area() return self.w * self.h end
function Rect:kind() return "rect" end

local Square = class(Rect)
function Square:_init(s)
  self:super(s, s)
  self.name = "square"
end
function Square:kind() return "square" end

local Circle = class(Shape)
function Circle:_init(r)
  self:super("circle")
  self.r = r
end
function Circle:area() return 3.25 * self.r * self.r end
function Circle:kind() return "circle" end

local words = stringx.split("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore magna aliqua")

local total = { shapes = 0, area = 0, desc = 0, list = 0, tablex = 0,
  strings = 0, pretty = 0 }

for round = 1, 30 do
  -- Classes.
  local shapes = List()
  for i = 1, 4000 do
    local k = rnd(3)
    local s
    if k == 0 then s = Rect(1 + rnd(20), 1 + rnd(20))
    elseif k == 1 then s = Square(1 + rnd(15))
    else s = Circle(1 + rnd(10)) end
    shapes:append(s)
  end
  local squares = shapes:filter(function(s) return s:is_a(Square) end)
  local rects = shapes:filter(function(s) return s:is_a(Rect) end)
  total.shapes = total.shapes + #squares * 1000 + #rects
  total.area = total.area + shapes:map(function(s) return s:area() end):reduce("+")
  local dh = 0
  for s in shapes:iter() do dh = sdig(s:describe(), dh) end
  total.desc = (total.desc + dh) % 1000000007

  -- pl.List.
  local l = List.range(1, 3000):map(function(x) return (x * 7919) % 3001 end)
  l:sort()
  local evens = l:filter(function(x) return x % 2 == 0 end)
  local sl = l:slice(100, 400)
  l:extend(sl)
  l:insert(1, -1)
  l:remove_value(-1)
  local parts = l:partition(function(x) return x % 3 end)
  total.list = total.list + #l + #evens + l:reduce("+") % 100003
    + #parts[0] * 7 + #parts[1] * 3 + (l:index(2000) or 0) + #sl:reverse()
  total.list = total.list + #List.split("a,b,,c,d", ",") + l:count(500)

  -- pl.tablex.
  local t = {}
  for i = 1, 2000 do t["k" .. i] = rnd(1000) end
  local keys = tablex.keys(t)
  table.sort(keys)
  local vals = tablex.map(function(v) return v * 2 end, t)
  local cm = tablex.count_map(tablex.values(t))
  local merged = tablex.merge(t, { extra = 1, k1 = 5 }, true)
  local s = 0
  for _, k in ipairs(keys) do s = (s + vals[k] * #k) % 1000003 end
  local arr = tablex.range(1, 500)
  local zipped = tablex.zip(arr, tablex.imap(function(x) return x * x end, arr))
  local pairsum = tablex.reduce("+", tablex.imap(function(p) return p[2] - p[1] end, zipped))
  total.tablex = (total.tablex + s + tablex.size(cm) + tablex.size(merged)
    + pairsum % 1000003 + (tablex.deepcompare(vals, tablex.deepcopy(vals)) and 1 or 0)
    + #tablex.filter(arr, function(x) return x % 7 == 0 end)
    + tablex.find(arr, 321)) % 1000000007

  -- pl.stringx.
  local lines = {}
  for i = 1, 1500 do
    local ws = {}
    for j = 1, 3 + rnd(8) do ws[j] = words[1 + rnd(#words)] end
    lines[i] = "  " .. table.concat(ws, " ") .. " \t"
  end
  local text = table.concat(lines, "\n")
  local sh = 0
  for _, line in ipairs(stringx.splitlines(text)) do
    local st = stringx.strip(line)
    local fields = stringx.split(st, " ")
    local title = stringx.title(st)
    local rep = stringx.replace(st, "dolor", "DOLOR")
    sh = sdig(title, sh)
    sh = sdig(rep, sh)
    sh = (sh + #fields + (stringx.startswith(st, "lorem") and 1 or 0)
      + (stringx.endswith(st, "elit") and 2 or 0) + stringx.count(st, "o")) % 1000000007
    sh = sdig(stringx.shorten(st, 20), sh)
    sh = sdig(stringx.center(fields[1], 20, "."), sh)
    sh = sdig(stringx.join("|", fields), sh)
  end
  total.strings = (total.strings + sh) % 1000000007

  -- pl.pretty.write of a nested table (keys are sorted by pretty.write).
  local data = { round = round, items = {} }
  for i = 1, 300 do
    data.items[i] = { id = i, name = words[1 + rnd(#words)], weight = rnd(1000) / 8,
      tags = { words[1 + rnd(#words)], words[1 + rnd(#words)] },
      ["odd key"] = rnd(2) == 0, nested = { a = { b = { c = i } } } }
  end
  local out = pretty.write(data)
  local compact = pretty.write(data, "")
  local back = pretty.read(compact)
  assert(tablex.deepcompare(back, data), "pretty read back differs")
  total.pretty = (sdig(out, total.pretty) + #compact) % 1000000007
end

for _, k in ipairs { "shapes", "area", "desc", "list", "tablex", "strings", "pretty" } do
  print(k, total[k])
end
