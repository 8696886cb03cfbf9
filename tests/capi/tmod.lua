-- Driven by tests/capi.rs: loads tests/capi/tmod.c (built as tmod.so and
-- v2-sub.so in a temporary directory on package.cpath) with require.
local tmod = require "tmod"
print(tmod.loaded_as, package.loaded.tmod == tmod)
local c = tmod.new(5)
print(c:inc(), c:inc(10), tostring(c))
print(pcall(tmod.fail, "bad"))
print(pcall(c.inc, {}))
local doubled = tmod.map({1, 2, 3}, function(x) return x * 2 end)
print(doubled[1], doubled[2], doubled[3])
print(pcall(tmod.map, {1}, function() error("cb error") end))
print(tmod.join("a", 1, "b", 2.5))
print(#tmod.join(string.rep("x", 10000), string.rep("y", 10000)))
print(require("tmod.inner").name)
print(require("v2-sub").name)
local f, err, what = package.loadlib(TMOD_PATH, "luaopen_tmod_inner")
print(type(f), err, what)
print(f().name)
local f2, err2, what2 = package.loadlib(TMOD_PATH, "luaopen_nothere")
print(f2, type(err2), what2)
local f3, err3, what3 = package.loadlib("/nonexistent/lib.so", "luaopen_x")
print(f3, type(err3), what3)
print(package.loadlib(TMOD_PATH, "*"))
print((select(2, pcall(require, "nosuchmodule_xyz"))):match("^[^\n]*"))
-- C functions called in compiled loops: the trace ends at the call and
-- the JIT makes it (stitching); in a coroutine a C function may yield, so
-- there the interpreter makes the call.
local acc = 0
for i = 1, 300 do acc = acc + #tmod.join("a", i) end
print("stitched", acc)
local co = coroutine.wrap(function()
  local s = 0
  for i = 1, 300 do s = s + tmod.yielder(i) end
  print("coroutine sum", s)
end)
local total, v = 0, co()
while v do total = total + v v = co(v * 2) end
print("yielded", total)
