-- jit.util function inspection, builtin numbers and the jit module's
-- shape: engine-independent facts only (no bytecode counts or numbers).
local jutil = require("jit.util")
print(jit.util, jutil == package.loaded["jit.util"], type(jutil.funcinfo))

local function f(a, b, ...)
  local x = "str"
  return a + b + 1.5
end
local fi = jutil.funcinfo(f)
print(fi.linedefined, fi.lastlinedefined, fi.params, fi.isvararg, fi.children)
print(fi.source, fi.loc, fi.upvalues, fi.nconsts, fi.gcconsts)
print(type(fi.bytecodes), type(fi.stackslots), fi.stackslots >= 3)
print(jutil.funcinfo(f, 0).currentline, jutil.funcinfo(f, 1e6).currentline)
print(jutil.funck(f, 0), jutil.funck(f, -1), select("#", jutil.funck(f, 1)))
print(select("#", jutil.funck(f, -3)))

-- Upvalue names and child functions.
local up1, up2 = 1, 2
local function g() return up1 + up2 end
print(jutil.funcuvname(g, 0), jutil.funcuvname(g, 1), jutil.funcuvname(g, 2))
local function outer() return function() return 7 end end
local oi = jutil.funcinfo(outer)
print(oi.children, oi.gcconsts)
local child = jutil.funck(outer, -1)
-- (LuaJIT gives a prototype object, Lunatrace a closure of it.)
print(type(child) == "proto" or type(child) == "function", jutil.funcinfo(child).linedefined, jutil.funcinfo(child).loc)

-- Instructions: two numbers, nothing past the end.
local ins, m = jutil.funcbc(f, 1)
print(type(ins), type(m), select("#", jutil.funcbc(f, 1e6)))

-- Natives.
local pi = jutil.funcinfo(print)
print(pi.ffid, type(pi.addr), pi.linedefined)
print(jutil.funcinfo(string.format).ffid, jutil.funcinfo(math.floor).ffid)
print(pcall(jutil.funcinfo, 1))
print((pcall(jutil.funcbc, print, 0)))

-- tostring of builtins shows LuaJIT's numbers.
for _, name in ipairs({"print", "pairs", "ipairs", "type", "tostring", "pcall"}) do
  print(name, tostring(_G[name]))
end
print(tostring(string.byte), tostring(table.concat), tostring(math.sqrt), tostring(io.write))
print(tostring(coroutine.wrap(function() end)), tostring(ipairs({})))
print(tostring(string.gmatch("a", "a")), tostring(io.stdout.write))
print(tostring(bit.band), tostring(os.time), tostring(debug.traceback))

-- Nothing to inspect for traces that do not exist.
print(jutil.traceinfo(12345), jutil.traceir(12345, 0), jutil.tracek(12345, 0))
print(jutil.tracesnap(12345, 0), jutil.tracemc(12345), jutil.traceexitstub(12345, 0))

-- jit.attach / detach and jit.security argument checks.
print(pcall(jit.attach, 1))
local h = function() end
jit.attach(h, "trace")
jit.attach(h)
print(pcall(jit.security))
print(type(jit.security("prng")))

-- A main chunk ends on the line of its end of input.
print(jutil.funcinfo(loadstring("a=1\nb=2\n\nc=3")).lastlinedefined,
      debug.getinfo(loadstring("a=1\n")).lastlinedefined, debug.getinfo(loadstring("")).lastlinedefined)
