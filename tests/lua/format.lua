-- string.format conformance
local function f(fmt, ...) 
  local ok, r = pcall(string.format, fmt, ...)
  if ok then print(fmt, "[" .. r .. "]") else print(fmt, "ERR", r) end
end
local function e(fn) print(pcall(fn)) end

print("-- %d %i")
f("%d", 42); f("%d", -42); f("%5d", 42); f("%-5d|", 42); f("%05d", 42); f("%+d", 42)
f("% d", 42); f("%.3d", 7); f("%8.3d", 7); f("%-8.3d|", -7); f("%i", 12); f("%d", 3.0)
f("%d", "17"); f("%d", 2^31); f("%d", -2^31); f("%d", 2^53); f("%d", 0); f("%+05d", 3)
f("%d", 3.7); f("%d", -3.7); f("%x", 2^32 + 5)

print("-- %u %c %o %x %X")
f("%u", 42); f("%c", 65); f("%c%c%c", 76, 117, 97); f("%5c|", 66); f("%-3c|", 67)
f("%o", 8); f("%o", 511); f("%#o", 8); f("%x", 255); f("%X", 255); f("%#x", 255); f("%#X", 255)
f("%x", -1); f("%X", -255); f("%08x", 3054); f("%-8x|", 3054); f("%.4x", 10); f("%o", -1)
f("%x", 0); f("%#x", 0); f("%x", 1.5)

print("-- %f %e %g")
f("%f", 3.14159); f("%.2f", 3.14159); f("%5.2f", 3.14159); f("%-8.2f|", 3.14159)
f("%08.3f", -3.14159); f("%+.1f", 2.25); f("%.0f", 2.5); f("%.0f", 3.5); f("%#.0f", 3)
f("%f", 1e15); f("%.3f", 1/3); f("%10.4f", -0.0); f("%f", 1/0); f("%f", -1/0)
f("%e", 12345.6789); f("%.2e", 12345.6789); f("%E", 0.000123); f("%12.3e|", 1); f("%-12.3e|", 1)
f("%g", 100000); f("%g", 1000000); f("%g", 1e-4); f("%g", 1e-5); f("%g", 0.1); f("%.3g", 3.14159)
f("%G", 1e-10); f("%#g", 1); f("%g", 2^53); f("%.14g", 0.1); f("%.17g", 0.1); f("%g", -0.0)
f("%g", 1/0); f("%5g|", 1/0); f("%-6g|", -1/0); f("%.20f", 0.1); f("%.0e", 5)
f("%5.1f|%-5.1f|", 1.25, 1.35)

print("-- %a")
f("%a", 1); f("%a", 0.5); f("%a", 255.5); f("%A", 1); f("%.2a", 1/3); f("%a", 0); f("%a", -2)

print("-- %s")
f("%s", "hello"); f("%10s|", "hi"); f("%-10s|", "hi"); f("%.2s", "hello"); f("%5.1s|", "hello")
f("%s", 42); f("%s", 1.5); f("%s", nil); f("%s", true); f("%s %s", 1, 2); f("%s", "")
f("%s", "a\0b"); print(#string.format("%s", "a\0b\0c"), #string.format("%s|%s", "\0", "\0\0"))
f("%-3s|%3s|", "abcdef", "abcdef")
local mt = {__tostring = function() return "OBJ" end}
f("%s", setmetatable({}, mt)); f("%10s|", setmetatable({}, mt))
local ok, r = pcall(string.format, "%s", {}); print(ok, r:match("^table: ") ~= nil)
ok, r = pcall(string.format, "%s", print); print(ok, r:match("^builtin: ") ~= nil or r:match("^function: ") ~= nil)

print("-- %q")
f("%q", "hello"); f("%q", 'he said "hi"'); f("%q", "a\nb"); f("%q", "back\\slash")
f("%q", "\0"); f("%q", "\r\t\1\127"); f("%q", "\0001"); f("%q", 42); f("%q", "\200\255")
print(string.format("%q", "line1\nline2\0end") == '"line1\\\nline2\\0end"')
print(loadstring("return " .. string.format("%q", "x\0y\n\"z\\\r"))() == "x\0y\n\"z\\\r")

print("-- %%")
f("%%"); f("100%%"); f("%d%%", 50); f("%%d"); f("%5%")

print("-- multiple & misc")
f("%s=%d (%5.2f) [%x]", "k", 10, 1.5, 255)
f("no specifiers"); f(""); f("%s"); f("%d")
f("%s %s", "only one")
f("%d", "x"); f("%d", {}); f("%f", "1e2"); f("%x", "0x10")
f("%y", 1); f("%", 1); f("%10.3q", "x"); f("%123d", 1); f("%1234d", 1); f("%.123d", 1)
f("%-+ #05d", 1); f("%--5d", 1); f("%ld", 1)
f("%c", 0); print(#string.format("%c", 0))
e(function() local r = string.format(); return r end)
e(function() local r = string.format("%d", "z"); return r end)
e(function() local r = ("%d %d"):format(1); return r end)
e(function() local r = string.format("%z", 1); return r end)
e(function() local r = string.format("%s", setmetatable({}, {__tostring = function() return 1 end})); return r end)
print(string.format("%5s|%-5s|%05.1f|%+.2e", "a", "b", 3.14159, 12345))
print(string.format("%3d|%-3d|%03d", 1, 2, 3), ("%x"):format(48879))
print(string.format("%.3s", "\0\0\0\0"):len())
print(string.format("%s", 1e100), string.format("%d", -0), string.format("%.1f", 0.05))
print(string.format("%g %g %g", 1e20, 123456, 1234567))
print(string.format("%i", -2^53), string.format("%.0f", 2^63))
-- %p (LuaJIT 2.1): an object's address as tostring shows it, NULL for
-- values without one; width and precision ignored.
local pt = {}
print(("%p"):format(pt) == tostring(pt):match("0x%x+"), ("%p|%p|%p|%5p"):format(nil, 1, true, false))
print(("%20p"):format(pt) == ("%p"):format(pt), ("%p"):format("s"):match("^0x%x+$") ~= nil, pcall(string.format, "%p"))
