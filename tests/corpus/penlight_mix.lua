-- Penlight: classes with inheritance, List, tablex, stringx, pretty,
-- template, utils, and a few more modules working together.
local class = require "pl.class"
local List = require "pl.List"
local tablex = require "pl.tablex"
local stringx = require "pl.stringx"
local pretty = require "pl.pretty"
local template = require "pl.template"
local utils = require "pl.utils"
local Set = require "pl.Set"
local OrderedMap = require "pl.OrderedMap"
local seq = require "pl.seq"

-- Classes -------------------------------------------------------------
local Shape = class()
function Shape:_init(name) self.name = name end
function Shape:area() return 0 end
function Shape:describe()
  return string.format("%s with area %.2f", self.name, self:area())
end
function Shape:__tostring() return "Shape(" .. self.name .. ")" end

local Rect = class(Shape)
function Rect:_init(w, h)
  self:super("rect")
  self.w, self.h = w, h
end
function Rect:area() return self.w * self.h end

local Square = class(Rect)
function Square:_init(s)
  self:super(s, s)
  self.name = "square"
end

local Circle = class(Shape)
function Circle:_init(r)
  self:super("circle")
  self.r = r
end
function Circle:area() return math.pi * self.r ^ 2 end
function Circle.__eq(a, b) return a.r == b.r end

local shapes = List()
for i = 1, 300 do
  if i % 3 == 0 then shapes:append(Square(i % 7 + 1))
  elseif i % 3 == 1 then shapes:append(Rect(i % 5 + 1, i % 4 + 2))
  else shapes:append(Circle(i % 6 + 1)) end
end
local total = 0
for s in shapes:iter() do total = total + s:area() end
print("shapes", #shapes, string.format("%.3f", total))
print(shapes[1]:describe(), shapes[2]:describe(), shapes[3]:describe())
print(tostring(shapes[3]), Square:class_of(shapes[3]), Rect:class_of(shapes[3]),
  Circle:class_of(shapes[3]), shapes[3]:is_a(Shape))
print(Circle(2) == Circle(2), Circle(2) == Circle(3))

-- pl.List ------------------------------------------------------------------
local nums = List.range(1, 400)
local evens = nums:filter(function(x) return x % 2 == 0 end)
local squares = evens:map(function(x) return x * x end)
print("list", #evens, squares:reduce("+"), squares:slice(1, 5))
local words = List { "pear", "apple", "fig", "banana", "cherry", "date" }
words:sort()
print(words, words:join(","), words:index("fig"), words:contains("kiwi"))
local l2 = List { 5, 3, 8, 1 }
l2:insert(2, 99)
l2:extend { 7, 7 }
l2:remove_value(8)
print(l2, l2:count(7), l2:len(), l2:reverse(), l2:minmax())
print(List.split("a b  c d", " "), List { 1, 2 } .. List { 3 })
local chunks = List.range(1, 10):chop(3)
print(chunks)

-- pl.tablex ------------------------------------------------------------------
local t = { b = 2, a = 1, c = 3, d = 4 }
local keys = tablex.keys(t)
table.sort(keys)
print("keys", table.concat(keys, ","))
local vals = tablex.values(t)
table.sort(vals)
print("values", table.concat(vals, ","))
print("size", tablex.size(t), tablex.deepcompare({ 1, { 2, 3 } }, { 1, { 2, 3 } }))
local merged = tablex.merge({ a = 1, b = 2 }, { b = 3, c = 4 }, true)
print(pretty.write(merged, ""))
local m = tablex.map(function(v) return v * 10 end, { 1, 2, 3 })
print(table.concat(m, " "), tablex.reduce("+", { 1, 2, 3, 4 }))
local zipped = tablex.zip({ 1, 2, 3 }, { "a", "b", "c" })
print(pretty.write(zipped, ""))
local idx = tablex.index_by({ "x", "y", "z" }, { 3, 1 })
print(table.concat(idx, ","))
print(pretty.write(tablex.count_map({ "a", "b", "a", "c", "a" }), ""))
print(tablex.find({ 10, 20, 30 }, 20), tablex.find_if({ 1, 5, 9 }, function(v) return v > 4 end))
local sorted = {}
for k, v in tablex.sort({ z = 26, m = 13, a = 1 }) do sorted[#sorted + 1] = k .. "=" .. v end
print(table.concat(sorted, " "))
local big = {}
for i = 1, 500 do big["k" .. i] = i end
local sum = 0
for _, v in pairs(tablex.copy(big)) do sum = sum + v end
print("copy sum", sum, tablex.size(tablex.filter(tablex.values(big), function(v) return v % 10 == 0 end)))

-- pl.stringx -----------------------------------------------------------------
local s = "  Hello, Penlight World  "
print("[" .. stringx.strip(s) .. "]", "[" .. stringx.lstrip(s) .. "]", "[" .. stringx.rstrip(s) .. "]")
print(stringx.startswith("foobar", "foo"), stringx.endswith("foobar", "bar"), stringx.count("banana", "an"))
print(List(stringx.split("a,b,,c", ",")), stringx.join("-", { "x", "y", "z" }))
print(stringx.replace("one two one", "one", "1"), stringx.center("mid", 9, "*"), stringx.ljust("l", 4, "."), stringx.rjust("r", 4, "."))
print(stringx.title("the quick brown fox"), stringx.shorten("a long sentence here", 10))
print(List(stringx.splitlines("l1\nl2\r\nl3")), stringx.expandtabs("a\tb", 4))
print(stringx.partition("key=value=x", "="))
local acc = 0
for i = 1, 300 do
  local line = "  field" .. i .. " , " .. (i * 3) .. " , end  "
  local parts = stringx.split(stringx.strip(line), ",")
  acc = acc + tonumber(stringx.strip(parts[2])) + #stringx.strip(parts[1])
end
print("stringx acc", acc)

-- pl.pretty -------------------------------------------------------------------
local nested = {
  name = "config",
  version = 3,
  flags = { "a", "b", "c" },
  server = { host = "localhost", port = 8080, tls = false, paths = { "/", "/api" } },
  ["with space"] = 1,
  empty = {},
}
print(pretty.write(nested))
local back = pretty.read(pretty.write(nested))
print(tablex.deepcompare(back, nested))
print(pretty.write({ 1, 2, { x = 1 } }, ""))

-- pl.template -----------------------------------------------------------------
local tmpl = [[
<ul>
# for i, item in ipairs(items) do
  <li class="$(i % 2 == 0 and 'even' or 'odd')">$(item.name): $(item.price)</li>
# end
</ul>
]]
local items = {}
for i = 1, 6 do items[i] = { name = "item" .. i, price = i * 1.5 } end
print(template.substitute(tmpl, { items = items, ipairs = ipairs }))
local ct = template.compile("Hello $(name)! You have $(n) messages.\n")
local outs = {}
for i = 1, 200 do outs[#outs + 1] = ct:render({ name = "user" .. i, n = i % 9 }) end
print(#outs, outs[1], outs[200])

-- pl.utils and friends -------------------------------------------------------
print(utils.choose(true, "yes", "no"), utils.choose(false, "yes", "no"))
local f = utils.string_lambda("|x| x * 2 + 1")
print(f(20), utils.bind1(math.max, 5)(3), utils.bind2(string.rep, 3)("ab"))
print(table.concat(utils.split("1:2:3", ":"), "+"), utils.escape("a.b*c"))
print(utils.memoize(function(x) return x * x end)(12))
print(select("#", utils.unpack({ 1, 2, nil, 4 }, 1, 4)))
print(pcall(utils.assert_arg, 1, 42, "string"))
local set = Set { "a", "b", "c" } + Set { "c", "d" }
local members = Set.values(set)
table.sort(members)
print(table.concat(members, ","), Set.len(set))
local om = OrderedMap()
om:set("zeta", 1); om:set("alpha", 2); om:set("mid", 3)
for k, v in om:iter() do io.write(k, "=", v, " ") end
print()
print(seq.sum(seq.map(function(x) return x * x end, seq.range(1, 100))))
print(List(seq.copy(seq.filter(seq.list { 4, 9, 16, 25 }, function(x) return x > 8 end))))
