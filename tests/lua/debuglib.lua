-- debug library conformance
local function e(f, ...) print(pcall(f, ...)) end
local function info(i, fields)
  local ks = {}
  for _, k in ipairs(fields) do
    local v = i[k]
    if type(v) == "function" or type(v) == "table" then v = type(v) end
    ks[#ks + 1] = k .. "=" .. tostring(v)
  end
  return table.concat(ks, " ")
end
local ALL = {"source", "short_src", "what", "linedefined", "lastlinedefined", "currentline",
  "name", "namewhat", "nups", "func"}

print("-- traceback")
local tb = debug.traceback()
print(type(tb), (tb:match("^[^\n]*")))
print((debug.traceback("msg"):match("^[^\n]*")))
print((debug.traceback("msg", 2):match("^[^\n]*")))
print((debug.traceback(42):match("^[^\n]*")), debug.traceback(nil), type(debug.traceback({})), debug.traceback(false))
local co = coroutine.create(function() coroutine.yield() end); coroutine.resume(co)
print((debug.traceback(co):match("^[^\n]*")), (debug.traceback(co, "comsg"):match("^[^\n]*")))
print(select(2, xpcall(function() error("tb err") end, debug.traceback)):match("^[^\n]*"))

print("-- getinfo on Lua functions")
local function sample(a, b)
  local c = a + b
  return c
end
print(info(debug.getinfo(sample), ALL))
print(info(debug.getinfo(sample, "S"), ALL))
print(info(debug.getinfo(sample, "l"), {"currentline", "what"}))
print(info(debug.getinfo(sample, "u"), {"nups", "what"}))
local up1, up2 = 1, 2
local function withups() return up1 + up2 end
print(info(debug.getinfo(withups, "u"), {"nups"}))
print(debug.getinfo(sample, "f").func == sample, debug.getinfo(sample, "L").activelines ~= nil)
local lines = {}
for l in pairs(debug.getinfo(sample, "L").activelines) do lines[#lines + 1] = l end
table.sort(lines); print(table.concat(lines, ","))
local function whoami()
  local i = debug.getinfo(1, "nSl")
  return info(i, {"name", "namewhat", "currentline", "what", "short_src", "linedefined"})
end
print(whoami())
local t = {method = function() local i = debug.getinfo(1, "n"); return i.name, i.namewhat end}
print(t.method())
print(t:method())
globalfn = function() local i = debug.getinfo(1, "n"); return i.name, i.namewhat end
print(globalfn())
local function caller() local i = debug.getinfo(2, "nl"); return i.currentline end
print(caller())
print(info(debug.getinfo(1, "S"), {"what", "source", "short_src", "linedefined"}))
print(debug.getinfo(100))
local ls = loadstring("local i = debug.getinfo(1, 'S'); return i", "=custom")()
print(info(ls, {"source", "short_src", "what", "linedefined"}))
ls = loadstring("\nlocal i = debug.getinfo(1, 'Sl'); return i")()
print(info(ls, {"source", "short_src", "what", "currentline"}))

print("-- getinfo on C functions")
print(info(debug.getinfo(print), ALL))
print(info(debug.getinfo(string.format, "Sl"), {"what", "source", "short_src", "currentline", "linedefined"}))
e(debug.getinfo, print, "X")
e(debug.getinfo, "notafunction")
e(debug.getinfo)
local function viaPcall() return debug.getinfo(2, "S").what end
print(pcall(viaPcall))

print("-- getlocal / setlocal")
local function locals(p1, p2)
  local x = "xv"
  local y = 10
  local names = {}
  local i = 1
  while true do
    local n, v = debug.getlocal(1, i)
    if not n then break end
    names[#names + 1] = n .. "=" .. (type(v) == "table" and "table" or tostring(v))
    i = i + 1
  end
  print(table.concat(names, " "))
  print(debug.setlocal(1, 4, 99), y)
  print(debug.setlocal(1, 100, 1))
  return y
end
print(locals("a", "b"))
print(pcall(function() local a = debug.getlocal(locals, 1); local b = debug.getlocal(locals, 2); local c = debug.getlocal(locals, 3); return a, b, c end))
local function va(...) return debug.getlocal(1, -1), debug.getlocal(1, -2), debug.getlocal(1, -3) end
print(va("v1", "v2"))
local function inner() local n, v = debug.getlocal(2, 1); return n, v end
local function outer() local outerlocal = "olv"; return (inner()) end
print(outer())
print((function() local n = debug.getlocal(1, 1); return n end)())
e(debug.getlocal, 100, 1)
e(debug.getlocal, 1)
do local a, b = 1, 2; local function scope() local n, v = debug.getlocal(2, 1); return n, type(v) end print(scope()) end

print("-- getupvalue / setupvalue")
local uA, uB = "A", "B"
local function ups() return uA, uB end
print(debug.getupvalue(ups, 1), debug.getupvalue(ups, 2), debug.getupvalue(ups, 3))
print(debug.setupvalue(ups, 1, "A2"), uA, ups())
print(debug.setupvalue(ups, 5, "x"))
e(debug.getupvalue, 5, 1)

print("-- upvalueid / upvaluejoin")
local s1, s2 = 1, 2
local function f1() return s1 end
local function f2() return s1 end
local function f3() return s2 end
print(type(debug.upvalueid(f1, 1)), debug.upvalueid(f1, 1) == debug.upvalueid(f2, 1), debug.upvalueid(f1, 1) == debug.upvalueid(f3, 1))
debug.upvaluejoin(f1, 1, f3, 1)
print(f1(), f2(), f3(), debug.upvalueid(f1, 1) == debug.upvalueid(f3, 1))
s2 = 22; print(f1())
e(debug.upvalueid, f1, 5)
e(debug.upvaluejoin, f1, 1, print, 1)

print("-- sethook / gethook")
if jit and jit.off then jit.off() end
print(debug.gethook())
local count = 0
local function hook(ev, line) count = count + 1 end
debug.sethook(hook, "", 100)
local h, m, c = debug.gethook()
print(h == hook, m, c)
for i = 1, 1000 do local _ = i * 2 end
debug.sethook()
print("count hook fired", count > 5)
local linelog = {}
local function lines_fn()
  local a = 1
  local b = 2
  return a + b
end
debug.sethook(function(ev, line) linelog[#linelog + 1] = ev .. ":" .. line end, "l")
lines_fn()
debug.sethook()
print(table.concat(linelog, " "))
local calls = {}
debug.sethook(function(ev) local i = debug.getinfo(2, "n"); calls[#calls + 1] = ev .. ":" .. tostring(i and i.name) end, "cr")
lines_fn()
debug.sethook()
print(table.concat(calls, " "))
print(debug.gethook())
local hm
debug.sethook(function() end, "crl"); hm = select(2, debug.gethook()); debug.sethook()
print(hm)
if jit and jit.on then jit.on() end

print("-- metatables / registry / misc")
print(type(debug.getregistry()))
local mtx = {}
print(type(debug.setmetatable(5, mtx)), debug.getmetatable(7) == mtx)
debug.setmetatable(5, nil); print(debug.getmetatable(7))
local prot = setmetatable({}, {__metatable = "protected"})
print(getmetatable(prot), type(debug.getmetatable(prot)))
print(type(debug.getfenv(print)), debug.getfenv(5))
local envd = {}; local fd = function() end
print(debug.setfenv(fd, envd) == fd, debug.getfenv(fd) == envd)
e(debug.setfenv, fd, 5)
local names = {}
for k in pairs(debug) do names[#names + 1] = k end
table.sort(names); print(table.concat(names, " "))
