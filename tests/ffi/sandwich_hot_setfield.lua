-- expect-hot: panic
-- reference-fails: hot
-- FFI sandwich through lua_setfield (__newindex): sw_setfield re-enters the VM only from
-- i = 150 on, when the loop below is a compiled trace.
--   -joff: the sum and the number of Lua-side calls (51) are printed.
--   -Ohotloop=1 / -O0,hotloop=1, default policy (sandwich=panic): the API
--   call made while the trace runs panics: stderr gets "PANIC: unprotected
--   error in call to Lua API (Lua VM re-entrancy is detected while
--   executing the trace)", exit status 1, and stdout has only the first
--   line (sandwich_hot_setfield.expected-hot).
-- The expected files are hand-written: LuaJIT 2.1 as packaged by Debian
-- crashes (SIGSEGV) here when the JIT is on.
local T = dofile("sandwich_common.lua")
local lib = T.lib
print("sw_setfield: re-entry from i = 150")
lib.sw_set_threshold(150)
local acc = 0
for i = 1, 200 do acc = acc + lib.sw_setfield(i) end
print(acc, T.calls)
