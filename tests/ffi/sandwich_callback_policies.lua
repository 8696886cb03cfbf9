-- reference-fails: joff hot
-- FFI callbacks under the error and exit policies.
--   sandwich=error: in the JIT modes the callback invoked from C called by
--   the trace raises the re-entrancy error, caught by pcall; with -joff no
--   trace runs and the loop completes (.expected vs .expected-hot).
--   sandwich=exit: results equal -joff in every mode.
-- Hand-written expectations (sum of 3i + 3(i+1) for i = 1..200 is 121200):
-- LuaJIT has no sandwich policies.
local T = dofile("sandwich_common.lua")
local ffi, lib = T.ffi, T.lib
local cb = ffi.cast("int (*)(int)", function(x) return x * 3 end)
lib.sw_set_threshold(150)
local function loop()
  local acc = 0
  for i = 1, 200 do acc = acc + lib.sw_apply_from(cb, i) end
  return acc
end
jit.opt.start("sandwich=error")
local ok, r = pcall(loop)
print("error", ok, ok and r or tostring(r):gsub("^[^:]*:%d+: ", ""))
jit.opt.start("sandwich=exit")
print("exit", loop())
print("exit again", loop())
