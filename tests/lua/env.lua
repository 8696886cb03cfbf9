-- environments, loading, modules
local function e(f, ...) print(pcall(f, ...)) end

print("-- _G / _VERSION")
print(_VERSION, type(_G), _G._G == _G, _G.print == print)
x_global = 5; print(_G.x_global, rawget(_G, "x_global"))
_G.y_global = 6; print(y_global)

print("-- getfenv / setfenv")
print(getfenv() == _G, getfenv(0) == _G, getfenv(1) == _G, getfenv(print) == _G)
local function envf() return someglobal end
local newenv = {someglobal = "from env"}
print(setfenv(envf, newenv) == envf, envf(), getfenv(envf) == newenv)
local function level2() local r = getfenv(2); return r end
local function caller() local r = level2(); return r end
setfenv(caller, newenv)
print(caller() == newenv)
local function setter() setfenv(1, {print = print, tag = "L1"}); return tag end
print(setter())
e(setfenv, 1.5, {})
e(setfenv, print, {})
e(setfenv, envf, 5)
e(getfenv, 100)
e(getfenv, -1)
local sandbox = setmetatable({}, {__index = _G})
local chunk = loadstring("newvar = 1; return newvar + (x_global or 0)")
setfenv(chunk, sandbox)
print(chunk(), rawget(sandbox, "newvar"), rawget(_G, "newvar"))

print("-- loadstring / load")
local f = loadstring("return 1 + 1"); print(f())
f = loadstring("local a, b = ...; return a * b"); print(f(6, 7))
print(loadstring("syntax error here"))
print(loadstring("return ...", "=named")(1, 2))
local parts = {"return ", "'pie", "ces'"}
local i = 0
f = load(function() i = i + 1; return parts[i] end); print(f())
i = 0
f = load(function() i = i + 1; if i == 1 then return "return 7" end return nil end, "=loadfn"); print(f())
print(type(load(function() return nil end)))
e(load, function() error("reader err") end)
print(load("return 'str load'")())
print(pcall(load, 5))
f = loadstring("x = 1", "=chunkname"); print(type(f))
print(type(loadstring("error('in chunk')", "=mine")))
print(pcall(loadstring("error('in chunk')", "=mine")))
print(pcall(loadstring("error('in chunk')", "@path/file.lua")))
print(pcall(loadstring("\n\nerror('line3')")))

print("-- string.dump roundtrip")
local function adder(a, b) return a + b, "dumped" end
local dumped = string.dump(adder)
print(type(dumped), #dumped > 0, dumped:sub(1, 1) == "\27")
local g = loadstring(dumped); print(g(2, 3))
local withup = (function() local u = 10; return function() return u end end)()
local dumpedup = loadstring(string.dump(withup)); print(pcall(dumpedup))
e(string.dump, print)
e(string.dump)
local nested = string.dump(function(n) local function fact(k) if k <= 1 then return 1 end return k * fact(k - 1) end return fact(n) end)
print(loadstring(nested)(6))
local d2 = string.dump(loadstring("local t = {1, 2, 3, x = 'y'}; return #t, t.x, 1.5, 2^40"))
print(loadstring(d2)())
print(loadstring(d2, "=dumpname") ~= nil)

print("-- dofile / loadfile")
local tmp = os.tmpname()
local fh = io.open(tmp, "w"); fh:write("local a = ... ; return (a or 0) + 40, 'from file'\n"); fh:close()
print(dofile(tmp))
local lf = loadfile(tmp); print(type(lf), lf(2))
fh = io.open(tmp, "w"); fh:write("#!/usr/bin/env lua\nreturn 'shebang ok'\n"); fh:close()
print(dofile(tmp))
fh = io.open(tmp, "w"); fh:write("return = 1\n"); fh:close()
local nf, msg = loadfile(tmp); print(nf, (msg:gsub("^.*:(%d+):", "FILE:%1:")))
print((select(2, pcall(dofile, tmp)):gsub("^.*:(%d+):", "FILE:%1:")))
fh = io.open(tmp, "w"); fh:write("error('runtime in file')\n"); fh:close()
local ok, m = pcall(dofile, tmp); print(ok, (m:gsub("^.*:(%d+):", "FILE:%1:")))
os.remove(tmp)
local nf2, m2 = loadfile("/nonexistent/dir/file.lua"); print(nf2, m2)
e(dofile, "/nonexistent/dir/file.lua")
print(loadfile("helper_mod.lua") ~= nil)

print("-- require / package")
package.path = "./?.lua"
package.cpath = "./?.so"
print(type(package.loaded), package.loaded.string == string, package.loaded._G == _G)
print(type(package.preload), type(package.loaders), #package.loaders, type(package.cpath), package.path)
local hm = require("helper_mod")
print(type(hm), hm.name, hm.loads, hm.add(2, 3), hm.greet("lua"))
local hm2 = require("helper_mod"); print(hm2 == hm, hm2.loads, package.loaded.helper_mod == hm)
package.loaded.helper_mod = nil
local hm3 = require("helper_mod"); print(hm3 == hm, hm3.loads)
package.preload.virtual = function(name) return {virt = name} end
print(require("virtual").virt, package.loaded.virtual.virt)
package.preload.returns_nothing = function() end
print(require("returns_nothing"), package.loaded.returns_nothing)
package.preload.sets_loaded = function(name) package.loaded[name] = "custom" end
print(require("sets_loaded"))
local ok3, err3 = pcall(require, "no_such_module_xyz")
print(ok3, err3)
e(require)
package.preload.errs = function() error("module init failed") end
e(require, "errs")
print(package.searchpath("helper_mod", package.path))
print(package.searchpath("nope_mod", "./?.lua;./?/init.lua"))
print(package.searchpath("a.b.c", "./?.x", ".", "/"))
print(package.searchpath("a.b", "?.x;?.y"))
print(type(package.seeall), type(module))

print("-- module()")
local om = require("helper_oldmod")
print(type(om), om == helper_oldmod, om.value, om.twice(21), om.getprint(), om._NAME, om._PACKAGE)
print(type(om._M), om._M == om, package.loaded.helper_oldmod == om)
print(rawget(om, "print"))
