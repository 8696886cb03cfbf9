-- reference-fails: joff hot
-- luaJIT_setmode from C called by a compiled trace: "JIT mode change is
-- detected while executing the trace", under the sandwich policy.
--   sandwich=error: raised as a Lua error in the JIT modes (pcall), the
--   loop completes with -joff (.expected vs .expected-hot).
--   sandwich=exit: the change is made (the JIT is turned off), the trace
--   is left after the call;
--   results equal -joff.
-- Hand-written expectations (sum of 2i + 1 for i = 1..200 is 40400).
local T = dofile("sandwich_common.lua")
local lib = T.lib
lib.sw_set_threshold(150)
local function loop()
  local acc = 0
  for i = 1, 200 do acc = acc + lib.sw_setmode(i) end
  return acc
end
jit.opt.start("sandwich=error")
local ok, r = pcall(loop)
print("error", ok, ok and r or tostring(r):gsub("^[^:]*:%d+: ", ""))
jit.opt.start("sandwich=exit")
print("exit", loop())
