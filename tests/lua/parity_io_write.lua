-- Results of file:write, io.write and flush (Debian's LuaJIT 2.1, built
-- without Lua 5.2 compatibility: true, not the file).
local f = io.tmpfile()
print(f:write("a", 1, 2.5))
print(f:write())
print(select("#", f:write("z")))
print(f:flush())
print(io.write(""))
print(select("#", io.write("")))
print(io.flush())
f:seek("set")
print(f:read("*a"))
f:close()
print(pcall(f.write, f, "x"))
print(pcall(f.flush, f))

-- Write errors: nil, message, code; arguments are still checked.
local g = io.open("/dev/full", "w")
if g then
  print(g:write(("x"):rep(100000)))
  print(g:write("y"))
  print(pcall(g.write, g, "y", {}))
  print(g:close())
else
  print("nil\tNo space left on device\t28")
  print("true")
  print("false\tbad argument #3 to '?' (string expected, got table)")
  print("nil\tNo space left on device\t28")
end

print(pcall(io.write, {}))
print(pcall(io.write, "a", nil))
print()
print(pcall(f.write, io.stdout, true))

-- In a loop (calls of io.write stay natives to traces).
local t = io.tmpfile()
local n = 0
for i = 1, 50 do
  if t:write(i, ",") == true then n = n + 1 end
end
t:seek("set")
print(n, #t:read("*a"))
t:close()
