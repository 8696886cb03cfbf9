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

-- More modules: lexer, sip, stringio, text, array2d, comprehension, func,
-- data, permute, MultiMap, xml, lapp (argument parsing without exiting).
local lexer = require "pl.lexer"
local toks = {}
for t, v in lexer.lua("local x = 10 + y.z -- comment\nreturn 'str', 3.5e2, x ~= nil") do
  toks[#toks + 1] = t .. ":" .. tostring(v)
end
print(table.concat(toks, " "))
local ctoks = {}
for t, v in lexer.cpp("int main(void) { return a->b + 0x1F; }") do ctoks[#ctoks + 1] = t .. ":" .. v end
print(table.concat(ctoks, " "))

local sip = require "pl.sip"
local res = {}
local pat = sip.compile("$v{name} = $d{val} ($S{unit})")
print(pat("width = 120 (px)", res), res.name, res.val, res.unit)
print(sip.match("$d{a}-$d{b}", "12-34", res), res.a, res.b)

local stringio = require "pl.stringio"
local sf = stringio.create()
for i = 1, 5 do sf:write("line ", i, "\n") end
local rf = stringio.open(sf:value())
local got = {}
for l in rf:lines() do got[#got + 1] = l end
print(#got, got[5], rf:read())

local text = require "pl.text"
print(text.dedent("    a\n      b\n    c\n"))
print(table.concat(text.wrap("The quick brown fox jumps over the lazy dog and keeps running far away.", 20), "|"))
print(text.indent("x\ny\n", 2))
local Tmpl = text.Template("Dear ${name}, you owe $amount.")
print(Tmpl:substitute({ name = "Ann", amount = "5 EUR" }))

local array2d = require "pl.array2d"
local grid = array2d.new(4, 5, function(i, j) return i * 10 + j end)
print(pretty.write(array2d.slice(grid, 2, 2, 3, 4), ""))
print(pretty.write(array2d.column(grid, 3), ""), array2d.reduce_rows("+", grid)[2])
print(pretty.write(array2d.map(function(v) return v % 7 end, grid), ""))

local comp = require "pl.comprehension".new()
print(pretty.write(comp "x^2 for x" { 1, 2, 3, 4 }, ""))
print(pretty.write(comp "{x, y} for x = 1, 2 for y = 3, 4" (), ""))
print(comp "sum(x for x)" { 1, 2, 3, 10 })

local func = require "pl.func"
local _1, _2 = func._1, func._2
local addmul = func.I(_1 + _2 * 10)
print(addmul(3, 4), func.compose(math.floor, math.sqrt)(50), func.bind1(string.rep, "ab")(3))

local data = require "pl.data"
local d = data.read(stringio.open("name,age,score\nann,31,7.5\nbob,25,9\ncid,40,6.25\n"), { csv = true })
print(pretty.write(d.fieldnames, ""), #d, d[2][1], d[3][3])
local ages = {}
for name, age in d:select("name,age where age > 26") do ages[#ages + 1] = name .. "=" .. age end
print(table.concat(ages, " "))

local permute = require "pl.permute"
local perms = {}
for p in permute.iter({ "a", "b", "c" }) do perms[#perms + 1] = table.concat(p) end
table.sort(perms)
print(table.concat(perms, " "))

local MultiMap = require "pl.MultiMap"
local mm = MultiMap()
mm:set("k", 1); mm:set("k", 2); mm:set("j", 3)
print(pretty.write(mm.k, ""), pretty.write(mm.j, ""))

local xml = require "pl.xml"
local doc = xml.parse("<root a='1'><item id='x'>one</item><item id='y'>two<b>bold</b></item></root>", false, true)
print(doc.tag, doc.attr.a, #doc, xml.tostring(doc))
local ids = {}
for item in doc:childtags() do ids[#ids + 1] = item.attr.id .. "=" .. item:get_text() end
print(table.concat(ids, " "))

local lapp = require "pl.lapp"
lapp.show_usage_error = false
local ok, a = pcall(lapp, [[
Test program
  -v,--verbose  verbose output
  -n (default 10) count
  <file> (string) input
]], { "-v", "-n", "42", "in.txt" })
print(ok, a.verbose, a.n, a.file)

-- A loop over the string-heavy helpers.
local cnt = 0
for i = 1, 300 do
  local line = string.format("key%d = %d (unit%d)", i, i * 7, i % 4)
  local r = {}
  if sip.match("$v{k} = $d{v} ($v{u})", line, r) then cnt = cnt + r.v end
  local w = text.wrap("word " .. string.rep("w" .. i .. " ", 8), 16)
  cnt = cnt + #w
end
print("sip loop", cnt)
