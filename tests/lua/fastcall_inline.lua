-- math.* and bit.* called with numbers run inline in the interpreter
-- (vm/src/fastcall.rs); the same calls through pcall run the library's
-- natives. Both must give the same values, and luajit's interpreter's
-- (`luajit -joff`; luajit's compiled math.min/max differ on NaN).
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
