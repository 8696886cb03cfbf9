-- math.* and bit.* called with numbers run inline in the interpreter
-- (vm/src/fastcall.rs); the same calls through pcall run the library's
-- natives. Both must give the same values, and luajit's interpreter's.
-- reference: luajit -joff (luajit 2.1's compiled code disagrees with its
-- interpreter here: math.min/max with a NaN or zeros, and string.sub in
-- a loop with negative or fractional indices gives other substrings.)
local bit = require("bit")
local vals = { 0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 3, 7, 255, 2^31, 2^31 - 1,
  -2^31, 2^32, 2^32 + 5, 2^52, 2^53 + 1, -2^60, 1e300, -1e300, 1/0, -1/0, 0/0,
  123456789.75, 33, 31, 32, -33 }

local function show(x)
  if x ~= x then return "nan" end
  if x == 0 then return 1/x < 0 and "-0" or "0" end
  return string.format("%.17g", x)
end

local one = { "floor", "ceil", "sqrt", "abs", "sin", "cos", "tan", "exp", "log",
  "log10", "atan", "asin", "acos" }
local bad = 0
local lines = {}
for _, name in ipairs(one) do
  local f = math[name]
  local acc = {}
  for _, x in ipairs(vals) do
    local direct = f(x)
    local ok, via = pcall(f, x)
    if not (ok and show(direct) == show(via)) then bad = bad + 1 end
    acc[#acc + 1] = show(direct)
  end
  lines[#lines + 1] = name .. ": " .. table.concat(acc, " ")
end

local two = { band = bit.band, bor = bit.bor, bxor = bit.bxor, lshift = bit.lshift,
  rshift = bit.rshift, arshift = bit.arshift, rol = bit.rol, ror = bit.ror,
  min = math.min, max = math.max }
local names = {}
for k in pairs(two) do names[#names + 1] = k end
table.sort(names)
for _, name in ipairs(names) do
  local f = two[name]
  local h = 0
  for _, x in ipairs(vals) do
    for _, y in ipairs(vals) do
      local direct = f(x, y)
      local ok, via = pcall(f, x, y)
      if not (ok and show(direct) == show(via)) then bad = bad + 1 end
      -- A digest of all results (differences show in the line).
      local d = show(direct)
      for i = 1, #d do h = (h * 31 + d:byte(i)) % 2147483647 end
    end
  end
  lines[#lines + 1] = name .. " digest " .. h
end

-- One argument, three arguments, results wanted or not, and as the last
-- argument of another call (all results).
for _, x in ipairs({ 5, -7.5, 2^40 + 3 }) do
  lines[#lines + 1] = table.concat({ show(bit.tobit(x)), show(bit.bnot(x)),
    show(bit.band(x, 0xff, 0x0f)), show(bit.bor(x, 1, 256)), show(bit.bxor(x, 3, 5)),
    show(math.min(x, 2, -1)), show(math.max(x, 2, -1)) }, " ")
  local a, b = math.floor(x)
  lines[#lines + 1] = show(a) .. " " .. tostring(b)
  lines[#lines + 1] = select("#", math.abs(x)) .. " " .. select("#", bit.band(x))
  math.floor(x)
end

-- Not numbers: the native runs (conversion or error), as before.
lines[#lines + 1] = tostring(bit.band("12", 10)) .. " " .. tostring(math.floor("2.5"))
lines[#lines + 1] = tostring(math.log(8, 2)) .. " " .. tostring(math.log(100, 10))
for _, c in ipairs({ function() return bit.lshift(1) end, function() return bit.band() end,
  function() return math.floor() end, function() return math.sqrt({}) end,
  function() return bit.bor(1, nil) end }) do
  local ok, e = pcall(c)
  lines[#lines + 1] = tostring(ok) .. " " .. tostring(e)
end
-- A replaced library function is an ordinary function.
local saved = math.floor
math.floor = function(x) return "mine" .. x end
lines[#lines + 1] = math.floor(3)
math.floor = saved

for _, l in ipairs(lines) do print(l) end
print("mismatches", bad)

-- type and setmetatable, inline and through pcall.
local things = { nil, true, 0, "s", {}, print, coroutine.create(print), io.stdout }
for i = 1, 8 do
  local v = things[i]
  local ok, via = pcall(type, v)
  print(type(v), via, type(v) == via)
end
local mt = { __index = function(_, k) return "mt:" .. k end }
local t = {}
print(setmetatable(t, mt) == t, t.x, getmetatable(t) == mt)
print(setmetatable(t, nil) == t, t.x, getmetatable(t))
local prot = setmetatable({}, { __metatable = "locked" })
print(pcall(setmetatable, prot, {}))
print(pcall(function() return setmetatable(prot, {}) end))
print(pcall(function() return setmetatable(1, {}) end))
print(pcall(function() return setmetatable({}, 1) end))
print(pcall(function() return type(setmetatable({})) end))
print(pcall(function() return type() end))
-- In a loop (compiled under the JIT modes).
local objs = {}
for i = 1, 200 do objs[i] = setmetatable({ v = i }, mt) end
local s = 0
for i = 1, 200 do if type(objs[i]) == "table" and getmetatable(objs[i]) == mt then s = s + objs[i].v end end
print(s, objs[7].missing)

-- As tail calls: the frame returns the fast function's one result (to
-- pcall, a coroutine, a metamethod's caller; open upvalues closed).
print(pcall(function() return math.floor(2.5) end))
print(select("#", (function() return bit.band(7, 3) end)()))
local function tail(x) return setmetatable({ x = x }, mt) end
print(tail(5).x, tail(5).y)
local co = coroutine.wrap(function(a) return math.max(a, 10) end)
print(co(20))
local mt2 = { __index = function(_, k) return math.abs(-#k) end }
print(setmetatable({}, mt2).hello)
local fns = {}
local function mk(i)
  local u = i
  fns[#fns + 1] = function() return u end
  return math.floor(u)
end
print(mk(3.5), mk(-1.5), fns[1](), fns[2]())
local acc2 = 0
for i = 1, 300 do acc2 = acc2 + mk(i / 7) + tail(i).x end
print(acc2, #fns)
print(pcall(function() return bit.lshift(1) end))

-- string.byte/len/sub/char, inline and through pcall, with indices
-- negative, zero, past the end, fractional, as strings, absent.
local str = "Hello, world"
local idx = { 0, 1, 2, 5, 12, 13, 40, -1, -3, -12, -13, -40, 2.7, -2.7, "3", "-2" }
local bad2 = 0
local function same(a, b) return a == b or (a ~= a and b ~= b) end
local out = {}
for _, i in ipairs(idx) do
  local b1 = str:byte(i)
  local ok, b2 = pcall(string.byte, str, i)
  if not (ok and same(b1, b2)) then bad2 = bad2 + 1 end
  out[#out + 1] = tostring(b1)
  for _, j in ipairs(idx) do
    local s1 = str:sub(i, j)
    local ok2, s2 = pcall(string.sub, str, i, j)
    if not (ok2 and s1 == s2) then bad2 = bad2 + 1 end
    out[#out + 1] = s1
  end
  out[#out + 1] = str:sub(i)
end
print(table.concat(out, "|"))
print(str:len(), (""):len(), string.len(str), select("#", str:byte(40)), select("#", str:byte(1, 3)))
print(string.char(), string.char(72, 105), string.char(0, 255):byte(1, 2))
print(pcall(string.char, 256), pcall(function() return string.char(-1) end))
print(pcall(function() return string.char(65, "66", 67.9) end))
print(pcall(function() return ("x"):sub({}) end))
print(pcall(function() return string.byte(nil) end))
print(string.char(65, 66, 67, 68, 69, 70, 71, 72, 73, 74), string.len(12345))
local acc3 = 0
for i = 1, 500 do
  local s = str:sub(i % 13, (i * 7) % 15 - 3)
  acc3 = acc3 + #s + (s:byte(1) or 0) + #string.char(i % 256, (i * 3) % 256)
end
print(acc3, "string mismatches", bad2)

-- string.upper/lower (short ones inline, long ones the native's), bytes
-- outside ASCII unchanged.
local words = { "", "abc", "MiXeD Case 123", "\195\169t\195\169 \0 z", string.rep("aB", 40) }
local bad3 = 0
for _, w in ipairs(words) do
  local u, l = w:upper(), w:lower()
  local ok1, u2 = pcall(string.upper, w)
  local ok2, l2 = pcall(string.lower, w)
  if not (ok1 and ok2 and u == u2 and l == l2) then bad3 = bad3 + 1 end
  print(#u, u:byte(1, 4), l:byte(1, 4))
end
print(pcall(function() return string.upper(12) end), pcall(string.lower))
print("case mismatches", bad3)

-- select('#', ...) inline; other selects and errors: the native's.
local function cnt(...) return select("#", ...), (pcall(select, "#", ...)) end
local sel = {}
for i = 1, 5 do
  local n1 = select("#")
  local n2 = select("#", nil, nil)
  local n3, ok = cnt(i, nil, i)
  local okv, v = pcall(select, "#", 1, 2)
  sel[#sel + 1] = table.concat({ n1, n2, n3, tostring(ok), v, select(2, "a", "b", "c") }, ",")
end
print(table.concat(sel, " "))
print(pcall(select, "##", 1), pcall(select, 0, 1), select(-1, 1, 2, 3), select("2", "x", "y"))
print(select("#x", 1, 2), pcall(select, "", 1))
