-- Driven by tests/capi.rs (cframes.so on package.cpath): C levels in
-- tracebacks and dumpstack, as luajit shows them (its outputs, addresses
-- aside, are tests/capi/cframes.expected).
local m = require "cframes"
print(m.call(debug.traceback, "msg"))
print(select(2, pcall(m.call, error, "boom")))
print(select(2, xpcall(function() m.call(function() error("deep") end) end, debug.traceback)))
print(m.tb("from C"))
-- A C function called from C has no name: its own address is shown.
local nested = m.call(m.tb, "nested")
print(nested)
print(nested:find("[C]: at " .. ("%p"):format(m.tb_addr()), 1, true) ~= nil)
local co = coroutine.create(function() m.call(function() print(debug.traceback("in co")) end) end)
print(coroutine.resume(co))
local p = require "jit.profile"
m.call(function() print(p.dumpstack("f;", 5)) print(p.dumpstack("l;", 5)) end)
print(m.call(p.dumpstack, "f;", 5))
local ds = m.call(function() return p.dumpstack("l;", 3) end)
print(ds:find("@" .. ("%p"):format(m.tb_addr()), 1, true) == nil)
m.call(function() error("uncaught") end)
