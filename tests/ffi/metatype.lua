-- ffi.metatype: __index as a table and as a function, __newindex,
-- arithmetic and comparison metamethods, __tostring, __len, __call,
-- __concat, __unm, __gc; pointers to the struct share the metatable.
local ffi = require "ffi"
ffi.cdef [[
typedef struct vec2 { double x, y; } vec2;
typedef struct { int n; int data[8]; } ivec;
typedef struct { int id; } handle;
]]

local vec2
local mt = {
  __add = function(a, b) return vec2(a.x + b.x, a.y + b.y) end,
  __sub = function(a, b) return vec2(a.x - b.x, a.y - b.y) end,
  __mul = function(a, b)
    if type(a) == "number" then return vec2(a * b.x, a * b.y) end
    if type(b) == "number" then return vec2(a.x * b, a.y * b) end
    return a.x * b.x + a.y * b.y
  end,
  __unm = function(a) return vec2(-a.x, -a.y) end,
  __eq = function(a, b) return a.x == b.x and a.y == b.y end,
  __lt = function(a, b) return a:len() < b:len() end,
  __le = function(a, b) return a:len() <= b:len() end,
  __len = function(a) return 2 end,
  __tostring = function(a) return "vec2(" .. a.x .. ", " .. a.y .. ")" end,
  __concat = function(a, b) return tostring(a) .. tostring(b) end,
  __call = function(self, k) return k == 1 and self.x or self.y end,
  __index = {
    len = function(a) return math.sqrt(a.x * a.x + a.y * a.y) end,
    scaled = function(a, k) return vec2(a.x * k, a.y * k) end,
    kind = "vector",
  },
}
vec2 = ffi.metatype("vec2", mt)

local a, b = vec2(3, 4), vec2(1, 2)
print("tostring", tostring(a), tostring(b))
print("add", tostring(a + b), "sub", tostring(a - b))
print("mul", tostring(a * 2), tostring(2 * a), a * b)
print("unm", tostring(-a))
print("eq", a == vec2(3, 4), a == b, a ~= b)
print("lt", b < a, a < b, a <= a, a > b)
print("len op", #a)
print("method", a:len(), tostring(a:scaled(0.5)), a.kind)
print("concat", a .. b, "x" .. tostring(a))
print("call", a(1), a(2))
print("fields still work", a.x, a.y)
a.x = 6
print("set field", tostring(a))

-- A pointer to the struct uses the same metamethods for indexing.
local p = ffi.new("vec2[1]", { { 5, 12 } })
local ptr = ffi.cast("vec2 *", p)
print("via pointer", ptr:len(), ptr.kind, tostring(ptr[0]))

-- __index / __newindex as functions
local gets, sets = {}, {}
local ivec = ffi.metatype("ivec", {
  __index = function(self, k)
    gets[#gets + 1] = tostring(k)
    if type(k) == "number" then return self.data[k - 1] end
    if k == "size" then return self.n end
    return nil
  end,
  __newindex = function(self, k, v)
    sets[#sets + 1] = tostring(k)
    self.data[k - 1] = v
    self.n = math.max(self.n, k)
  end,
  __len = function(self) return self.n end,
})
local v = ivec()
for i = 1, 5 do v[i] = i * i end
print("ivec", #v, v[1], v[5], v.size, v.missing)
print("gets", table.concat(gets, " "))
print("sets", table.concat(sets, " "))

-- metatype __gc
local collected = 0
local handle = ffi.metatype("handle", { __gc = function(h) collected = collected + h.id end })
for i = 1, 10 do handle(i) end
collectgarbage(); collectgarbage()
print("metatype __gc", collected)

-- a metatype can be set only once
print(pcall(ffi.metatype, "vec2", {}))
-- a missing method is an error
print(pcall(function() return a:nomethod() end))
-- a missing field of a struct without __index
ffi.cdef "struct named_s { int a; };"
print(pcall(function() local x = ffi.new("struct named_s"); return x.b end))
