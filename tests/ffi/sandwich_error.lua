-- reference-fails: joff hot
-- The "sandwich=error" policy: an API call that re-enters the VM while a
-- trace runs raises "Lua VM re-entrancy is detected while executing the
-- trace" as a Lua error, caught here by pcall; afterwards the VM works on.
--   -joff: no trace runs, every first run succeeds (sandwich_error.expected).
--   JIT modes: every first run fails at i = 150 before any Lua-side call
--   (sandwich_error.expected-hot).
-- lua_pcall (sw_pcall) is left out: whether its own rejection is returned
-- as a status or raised is not specified.
-- Hand-written expectations: LuaJIT has no sandwich policies (jit.opt.start
-- rejects the flag) and crashes on the sandwich itself.
jit.opt.start("sandwich=error")
local T = dofile("sandwich_common.lua")
local lib = T.lib

for _, name in ipairs(T.apis) do
  if name ~= "sw_pcall" then
    local loop = T.loop(name)
    lib.sw_set_threshold(150)
    T.calls = 0
    local ok, res = pcall(loop, lib)
    print(name, ok, ok and res or T.strip(res), T.calls)
    -- the same loop again, without re-entry: the trace still works
    lib.sw_set_threshold(1000)
    T.calls = 0
    print(name, "again", pcall(loop, lib))
  end
end

-- Switching to the exit policy makes the same loop succeed everywhere.
jit.opt.start("sandwich=exit")
local loop = T.loop("sw_call")
local first = { pcall(loop, lib) }
lib.sw_set_threshold(150)
T.calls = 0
print("exit policy", pcall(loop, lib))
print("calls", T.calls, first[1], first[2])
