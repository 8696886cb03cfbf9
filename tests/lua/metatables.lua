-- metatable conformance
local function e(f, ...) print(pcall(f, ...)) end

print("-- __index")
local base = {a = 1, b = 2}
local mid = setmetatable({b = 20}, {__index = base})
local top = setmetatable({}, {__index = mid})
print(top.a, top.b, top.c, rawget(top, "a"))
local fidx = setmetatable({}, {__index = function(t, k) return k .. "!" end})
print(fidx.x, fidx[1], rawget(fidx, "x"))
local calls = 0
local chain = setmetatable({}, {__index = setmetatable({}, {__index = function(t, k) calls = calls + 1; return k * 2 end})})
print(chain[21], calls)
local deep = {}
local cur = deep
for i = 1, 50 do local nxt = {}; setmetatable(cur, {__index = nxt}); cur = nxt end
cur.leaf = "found"; print(deep.leaf)

print("-- __newindex")
local store = {}
local proxy = setmetatable({}, {__newindex = store})
proxy.x = 5; print(rawget(proxy, "x"), store.x)
local log = {}
local p2 = setmetatable({}, {__newindex = function(t, k, v) log[#log + 1] = k .. "=" .. tostring(v); rawset(t, k, v) end})
p2.a = 1; p2.a = 2; p2.b = nil
print(table.concat(log, ","), p2.a)
local ro = setmetatable({}, {__newindex = function() error("readonly", 2) end})
e(function() ro.x = 1 end)
local chainNI = setmetatable({}, {__newindex = setmetatable({}, {__newindex = function(t, k, v) print("inner newindex", k, v) end})})
chainNI.z = 9
local existing = setmetatable({k = 1}, {__newindex = function() print("not called") end})
existing.k = 2; print(existing.k)

print("-- __call")
local callable = setmetatable({}, {__call = function(self, a, b) return type(self), a, b end})
print(callable(1, 2))
print(pcall(callable, "x"))
local cc = setmetatable({}, {__call = callable})
e(function() return cc(5) end)
print(select("#", callable()))

print("-- arithmetic metamethods")
local V = {}
V.__index = V
local function vec(x) return setmetatable({x = x}, V) end
V.__add = function(a, b) return vec((type(a) == "table" and a.x or a) + (type(b) == "table" and b.x or b)) end
V.__sub = function(a, b) return "sub" end
V.__mul = function(a, b) return "mul" end
V.__div = function(a, b) return "div" end
V.__mod = function(a, b) return "mod" end
V.__pow = function(a, b) return "pow" end
V.__unm = function(a) return "unm:" .. a.x end
V.__concat = function(a, b)
  local sa = type(a) == "table" and "V" .. a.x or tostring(a)
  local sb = type(b) == "table" and "V" .. b.x or tostring(b)
  return sa .. "&" .. sb
end
V.__len = function(a) return 42 end
V.__tostring = function(a) return "vec(" .. a.x .. ")" end
local v1, v2 = vec(1), vec(2)
print((v1 + v2).x, (v1 + 10).x, (10 + v1).x)
print(v1 - v2, v1 * 3, 3 / v1, v1 % v2, v1 ^ 2, -v1)
print(v1 .. v2, v1 .. "s", "s" .. v1, 1 .. v1, v1 .. v2 .. "e")
print(#v1, tostring(v1), v1)
print("5" + vec(1) == nil, ("x"):rep(2) .. v1)

print("-- __eq / __lt / __le")
local E = {}
E.__eq = function(a, b) print("eq called"); return a.id == b.id end
E.__lt = function(a, b) return a.id < b.id end
E.__le = function(a, b) return a.id <= b.id end
local a1, a2, a3 = setmetatable({id = 1}, E), setmetatable({id = 1}, E), setmetatable({id = 2}, E)
print(a1 == a2, a1 ~= a2, a1 == a3, a1 == a1)
print(a1 < a3, a3 < a1, a1 <= a2, a1 > a3, a3 >= a1)
print(a1 == 1, a1 == "x")
local E2 = {__eq = function() return true end}
local b1 = setmetatable({}, E2)
print(a1 == b1, b1 == setmetatable({}, E2), rawequal(b1, b1), rawequal(b1, {}))
local onlylt = {__lt = function(a, b) return true end}
local l1, l2 = setmetatable({}, onlylt), setmetatable({}, onlylt)
print(l1 < l2, pcall(function() return l1 <= l2 end))
e(function() return a1 < 1 end)
e(function() return setmetatable({}, {__lt = E.__lt}) < setmetatable({}, {__lt = function() end}) end)
print(setmetatable({}, {__eq = function() return 1 end}) == setmetatable({}, {__eq = function() return 1 end}))

print("-- __tostring / __metatable / __len")
local T = setmetatable({}, {__tostring = function() return "custom" end})
print(tostring(T), T)
e(tostring, setmetatable({}, {__tostring = function() return 42 end}))
local locked = setmetatable({}, {__metatable = "locked"})
print(getmetatable(locked))
e(setmetatable, locked, {})
local lockedf = setmetatable({}, {__metatable = false})
print(getmetatable(lockedf))
print(#setmetatable({1, 2, 3}, {__len = function() return 0 end}))
print(getmetatable("abc").__index == string, getmetatable(1), getmetatable(nil))
e(setmetatable, {}, 5)
e(setmetatable, 5, {})
print(type(setmetatable({}, nil)))

print("-- rawget / rawset / rawequal / rawlen-ish")
local r = setmetatable({}, {__index = function() return "meta" end, __newindex = function() error("no") end})
rawset(r, "k", "v"); print(r.k, rawget(r, "k"), rawget(r, "none"), r.none)
print(rawequal("a", "a"), rawequal(1, 1.0), rawequal({}, {}), rawequal(nil, nil))
e(rawget, 1, 2)
e(rawset, {}, nil, 1)
e(rawset, {})
print(rawset(r, 1, 2) == r)

print("-- errors in metamethod context")
e(function() local t = setmetatable({}, {__index = function(t, k) error("idx " .. k) end}); return t.foo end)
e(function() local x = setmetatable({}, {}); return x + 1 end)
e(function() local x = setmetatable({}, {}); return x .. "a" end)
e(function() local x = setmetatable({}, {}); return x() end)
e(function() local x = setmetatable({}, {__index = 5}); return x.y end)
e(function() local x = setmetatable({}, {__newindex = 5}); x.y = 1 end)
local loop = setmetatable({}, {})
getmetatable(loop).__index = loop
e(function() return loop.x end)

print("-- __index on non-table types via debug")
debug.setmetatable(nil, {__index = function(_, k) return "nil." .. k end})
print((nil).foo)
debug.setmetatable(nil, nil)
e(function() return (nil).foo end)
debug.setmetatable(0, {__index = math})
print((4).sqrt(16), (2):floor())
debug.setmetatable(0, nil)
local bm = debug.getmetatable(true); print(bm)
