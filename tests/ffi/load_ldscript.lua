-- ffi.load of glibc's libm.so and libc.so, which are GNU ld scripts: the
-- library the script names is opened (as LuaJIT does).
local ffi = require("ffi")
ffi.cdef[[
double sqrt(double);
double cbrt(double);
double hypot(double, double);
int abs(int);
size_t strlen(const char *);
]]
local m = ffi.load("m")
print(m.sqrt(2), m.cbrt(27), m.hypot(3, 4))
local c = ffi.load("c")
print(c.abs(-5), tonumber(c.strlen("hello")))
local s = 0
for i = 1, 100 do s = s + m.sqrt(i * i) end
print(s)
print(pcall(ffi.load, "nonexistent_lt_zz"))
