-- error handling conformance
local function e(f, ...) print(pcall(f, ...)) end

print("-- error values")
e(error, "msg")
e(error, "msg", 0)
e(error, 42)
e(error, nil)
e(error, true)
e(error)
local ok, v = pcall(error, {code = 7}); print(ok, type(v), v.code)
local tv = setmetatable({}, {__tostring = function() return "TOSTR" end})
ok, v = pcall(error, tv); print(ok, v == tv, tostring(v))
e(function() error("in func") end)
e(function() error("level0", 0) end)
e(function() error("level1", 1) end)
e(function() error(12) end)
e(function() error(12.5, 1) end)
local function lvl2() error("level2", 2) end
e(function()
  lvl2()
end)
local function lvl3() local function inner() error("level3", 3) end inner() end
e(function()
  lvl3()
end)
e(function() error("x", 50) end)
e(function() error() end)
e(function() error(nil, 2) end)

print("-- pcall / xpcall")
print(pcall(function(...) return ... end, 1, 2, 3))
print(pcall(function() end))
print(select("#", pcall(function() end)))
e(pcall)
print(xpcall(function() return "ok", 2 end, print))
print(xpcall(function() error("bad") end, function(m) return "handled: " .. m end))
print(xpcall(function() error({}) end, function(m) return type(m) end))
print(xpcall(function() error("x") end, function(m) return 1, 2, 3 end))
print(xpcall(function() local x = nil; return x.f end, function(m) return "H:" .. m end))
print(xpcall(function() error("inner") end, function(m) error("handler fails") end))
print(pcall(xpcall))
print(xpcall(error, function(m) return "got " .. tostring(m) end, "arg"))
print(pcall(pcall, error, "nested"))
print(pcall(error, "a", "b"))
local function thrower() error("deep", 1) end
print(pcall(function() local ok, m = pcall(thrower); error("rethrow: " .. m, 0) end))

print("-- runtime error messages")
e(function() local x; return x.field end)
e(function() local x; x.field = 1 end)
e(function() local x = 5; return x[1] end)
e(function() return undefined_global.y end)
e(function() undefined_fn() end)
e(function() local t = {}; t.method() end)
e(function() local t = {}; t:method() end)
e(function() local t = {a = {}}; return t.a.b.c end)
e(function() local t = {y = "s"}; return t.y + 1 end)
e(function() local t = {}; return t.y * 2 end)
e(function() local t = {}; return 1 < t.z end)
e(function() return 1 < nil end)
e(function() return {} < 1 end)
e(function() return "a" < 1 end)
e(function() return nil > nil end)
e(function() local s = "x"; return s .. nil end)
e(function() local t = {}; return "a" .. t end)
e(function() local b = true; return b .. "x" end)
e(function() return #nil end)
e(function() local n = 5; return #n end)
e(function() return -{} end)
e(function() local up = nil; return (function() return up.x end)() end)
e(function() local up = nil; return (function() up() end)() end)
e(function() local t = {}; t[nil] = 1 end)
e(function() return ("x")() end)
e(function() return math.nofunc() end)
e(function() return string.sub.x end)
e(function() local a = {}; return a.b.c.d end)
e(function() local t = setmetatable({}, {__index = function() error("from index") end}); return t.x end)
e(function() return 1 + {} end)
e(function() local f = 5; f() end)
e(function() local a = "abc"; return a:nomethod() end)
e(function() return (nil)[1] end)
e(function() glob_t = nil; glob_t.x = 1 end)

print("-- stack overflow")
local function rec() return 1 + rec() end
local ok2, m2 = pcall(rec)
print(ok2, type(m2), string.find(m2, "stack overflow", 1, true) ~= nil)
local function rec2(n) local t = {rec2(n + 1)} return t end
ok2, m2 = pcall(rec2, 1)
print(ok2, string.find(tostring(m2), "stack overflow", 1, true) ~= nil)
local mt = {}; mt.__index = function(t, k) return t[k] end
ok2, m2 = pcall(function() return setmetatable({}, mt).x end)
print(ok2, string.find(tostring(m2), "stack overflow", 1, true) ~= nil or string.find(tostring(m2), "C stack overflow", 1, true) ~= nil)
print(pcall(string.rep, "x", -1))

print("-- syntax errors via loadstring")
local srcs = {
  "x = ", "x = 1 +", "local 1 = 2", "if x then", "for i = 1 do end", "return 1 1",
  "x = }", "f(", "local t = {1, 2", "x = 'unterminated", "x = [[long", "--[[ unterminated comment",
  "x = 1e", "x = 0x", "a.b:c = 1", "return ...", "function f() return ... end", "x = @",
  "local function end", "x = \"bad \\q escape\"", "x = '\\300'", "while true do", "until x",
  "return not", "local a <const> = 1", "x = 3 .. 4", "x = #", "elseif", "a, b = 1", "(f)",
  "f() = 1", "local x = 1\nlocal y = \n\n", "x = \"abc\ndef\"", "return 1 == == 2", "::lbl",
  "x = {[1] 2}", "local t = {} t.1 = 2", "return 0x1g", "break", "goto 1",
}
for i, s in ipairs(srcs) do
  local f, err = loadstring(s)
  print(i, f and "ok" or err)
end
print(loadstring("x = ", "=mychunk"))
print(loadstring("x = ", "@file.lua"))
print(loadstring("x = ", "some code"))
print(loadstring("\n\n\nx = ", "a very long chunk name that goes on and on and on and on and on and on"))
print(loadstring("x = \n", "line1\nline2"))
print(pcall(loadstring, nil))
print(type(loadstring("")), loadstring("return")())
