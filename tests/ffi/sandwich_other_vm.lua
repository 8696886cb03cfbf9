-- Calling C that runs code in a second, independent lua_State (its own
-- luaL_newstate) is allowed in every mode, also from a running trace.
-- (Callbacks into this VM follow the re-entrancy policy:
-- sandwich_callback*.lua.)
local T = dofile("sandwich_common.lua")
local ffi, lib = T.ffi, T.lib

local acc = 0
for i = 1, 200 do acc = acc + lib.sw_other_vm(i % 20) end
print("other vm", acc)
print("close", lib.sw_close_other_vm(), lib.sw_close_other_vm())
acc = 0
for i = 1, 200 do acc = acc + lib.sw_other_vm(i) end
print("other vm again", acc)

-- Callbacks in loops that are not compiled (a VM entry while recording
-- aborts the recording) work in every mode.
local cb = ffi.cast("int (*)(int)", function(x) return x * 3 end)
acc = 0
for i = 1, 200 do acc = acc + lib.sw_apply(cb, i) end
print("callback", acc)
cb:set(function(x) return -x end)
acc = 0
for i = 1, 200 do acc = acc + lib.sw_apply(cb, i) end
print("callback retargeted", acc)
cb:free()
local xs = ffi.new("int[10]", { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 })
local fold = ffi.cast("double (*)(double, const int *)", function(a, p) return a * 0.5 + p[0] end)
local s = 0
for i = 1, 100 do s = s + lib.sw_fold(fold, xs, 10) end
print("fold", s)
fold:free()
