-- string.format's %s and %q with __tostring metamethods returning values
-- of any type (LuaJIT 2.1: a string result is used; anything else is
-- shown as tostring would show it without metamethods).
local function clean(s)
  return (s:gsub("0x%x+", "ADDR"):gsub("builtin#%x+", "builtin#N"))
end

local inner = setmetatable({}, {__tostring = function() return "INNER" end})
local results = {
  {"nil", nil}, {"true", true}, {"false", false}, {"table", {}},
  {"int", 42}, {"float", 1.5}, {"neg zero", -0.0}, {"huge", 1e300},
  {"str", "str"}, {"empty", ""}, {"inner", inner}, {"builtin", print},
}
for _, r in ipairs(results) do
  local x = setmetatable({}, {__tostring = function() return r[2] end})
  local t = {}
  for _, f in ipairs{"%s", "%10s|", "%-6s|", "%.2s|", "%q", "<%s:%s>"} do
    local ok, s = pcall(string.format, f, x, x)
    t[#t + 1] = tostring(ok) .. " " .. clean(tostring(s))
  end
  print(r[1], table.concat(t, "  "))
end

-- The metamethod gets the object and is called once per directive.
local calls = 0
local obj = setmetatable({}, {__tostring = function(self)
  calls = calls + 1
  return calls
end})
print(string.format("%s %s %q", obj, obj, obj), calls)

-- Plain values with %q (no metamethods).
for _, v in ipairs{true, false, 12.5, 2^53, 1/0, -1/0} do
  print(string.format("%q", v))
end
print(clean(string.format("%q", {})))
print(string.format("%q", nil) == '"nil"')

-- Errors raised by the metamethod propagate.
local bad = setmetatable({}, {__tostring = function() error("boom", 0) end})
print(pcall(string.format, "%s", bad))
print(pcall(string.format, "%q", bad))

-- tostring and print keep their own rules.
local n = setmetatable({}, {__tostring = function() return 7 end})
print(tostring(n), type(tostring(n)))
print(pcall(print, setmetatable({}, {__tostring = function() return nil end})))

-- In a loop (the JIT formats strings and numbers itself).
local acc = {}
for i = 1, 40 do
  local v = (i % 3 == 0) and n or ((i % 3 == 1) and i or "s" .. i)
  acc[#acc + 1] = string.format("%s", v)
end
print(table.concat(acc, ","))
