-- helper module used by env.lua
local M = {}
M.name = ...
M.loads = (rawget(_G, "helper_mod_loads") or 0) + 1
helper_mod_loads = M.loads
function M.add(a, b) return a + b end
function M.greet(who) return "hello, " .. who end
return M
