-- expect-hot: panic
-- reference-fails: hot
-- FFI callbacks are VM entries too (DESIGN §6): C called from a compiled
-- trace that calls back into Lua through a callback follows the policy.
--   -joff: the sums are printed.
--   -Ohotloop=1 / -O0,hotloop=1, default policy (sandwich=panic): the
--   callback invoked by sw_apply while the trace runs panics (exit 1) after
--   the first line (sandwich_callback.expected-hot). The callback is
--   invoked only from i = 150 on, when the loop is a compiled trace.
-- Hand-written expectations: LuaJIT crashes here with the JIT on.
local T = dofile("sandwich_common.lua")
local ffi, lib = T.ffi, T.lib
print("callback from i = 150")
local cb = ffi.cast("int (*)(int)", function(x) return x * 3 end)
lib.sw_set_threshold(150)
local acc = 0
for i = 1, 200 do acc = acc + lib.sw_apply_from(cb, i) end
print("callback", acc)
cb:free()
