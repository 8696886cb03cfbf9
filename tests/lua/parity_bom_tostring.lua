-- This file starts with a UTF-8 byte-order mark, which is skipped (as
-- LuaJIT does), also before a chunk given to loadstring; and tostring
-- returns what __tostring returns, unchecked, while print insists on a
-- string.
print("bom skipped")
print(loadstring("\239\187\191return 1 + 1")())
local f = loadstring("\239\187\191#not a shebang")
print(f == nil)
local function with(v) return setmetatable({}, { __tostring = function() return v end }) end
print(tostring(with(nil)), tostring(with(42)), tostring(with(true)), tostring(with("s")))
print(type(tostring(with(42))), type(tostring(with({}))))
print(pcall(print, with(nil)))
print(pcall(print, with(false)))
print(with(7), with("ok"))
for i = 1, 30 do assert(tostring(with(i)) == i) end
print("done")
