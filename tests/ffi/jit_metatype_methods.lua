-- reference-fails: hot
-- Metatype methods called in hot loops (looked up in the __index table,
-- guarded), and a method replaced in the middle of a loop: results follow
-- the interpreter (LuaJIT's JIT keeps calling the old method here; its
-- -joff gives these expectations).
local ffi = require "ffi"
ffi.cdef[[ typedef struct { double x, y; } vec; ]]
local methods = {}
function methods.len2(v) return v.x * v.x + v.y * v.y end
local V = ffi.metatype("vec", { __index = methods })
local a = ffi.new("vec[10]")
for i = 0, 9 do a[i].x = i; a[i].y = 1 end
local s = 0
for r = 1, 100 do
  if r == 50 then methods.len2 = function(v) return v.x end end
  for i = 0, 9 do s = s + a[i]:len2() end
end
print(s)
local v = V(3, 4)
local t = 0
for i = 1, 100 do t = t + v:len2() end
print(t)
