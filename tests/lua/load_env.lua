-- load / loadstring / loadfile take an environment table as their last
-- argument (LuaJIT 2.1, as Lua 5.2); non-table values are ignored.
local env = { x = 42 }
local f = load("x = x + 1; return x, function() return x end", "=c", "t", env)
local a, g = f()
print(a, g(), getfenv(f) == env, getfenv(g) == env, rawget(_G, "x"))

print(load("return y", nil, nil, { y = "nil name and mode" })())
print(loadstring("return y", "=ls", "t", { y = "loadstring too" })())

local parts, i = { "return ", "z" }, 0
print(load(function() i = i + 1 return parts[i] end, "=fn", "t", { z = "reader" })())

-- Not a table: ignored (globals stay the environment).
w = "global w"
print(load("return w", "=n", "t", 5)(), load("return w", "=n", nil, "str")())
print(getfenv(load("return 1", "=g", "t", nil)) == _G)

-- Mode checks still come first.
print(load("return 1", "=b", "b", {}))
print(load(string.dump(function() return 2 end), "=t", "t", {}))
print(load(string.dump(function() return 2 end), "=bt", "bt", {})())

-- loadfile(name, mode, env)
local p = os.tmpname()
local fh = io.open(p, "w")
fh:write("v = (v or 0) + 1\nreturn v, u")
fh:close()
local e2 = { u = "file env" }
print(loadfile(p, "t", e2)())
print(loadfile(p, nil, e2)())
print(e2.v, rawget(_G, "v"))
print(loadfile(p, "b"))
print(select("#", loadfile(p, "bt", 7)), loadfile(p, "bt", 7)())
os.remove(p)
