-- FFI complex numbers as in LuaJIT 2.1: the complex types, imaginary
-- literals (2i, 1.5I, 0x10i), construction, .re/.im (read-only), tostring,
-- conversions; no arithmetic or ordering on them.
local ffi = require("ffi")
local function try(f, ...)
  local ok, r = pcall(f, ...)
  if ok and type(r) == "cdata" then r = tostring(r) end
  print(ok, r)
end

local c = ffi.new("complex", 1, 2)
print(c, c.re, c.im, c[0], c[1], ffi.sizeof(c), ffi.alignof(c), ffi.typeof(c))
print(ffi.new("complex float", 1.5, -2), ffi.new("complex double", 3), ffi.new("complex"))
print(ffi.new("complex", {4, 5}), ffi.new("complex", {4}), ffi.new("complex", {}))
print(ffi.new("complex", 1LL, 2ULL), ffi.new("complex", ffi.new("int", 3), ffi.new("float", 0.5)))
print(ffi.new("complex float", ffi.new("complex", 1/3, 2/3)), ffi.new("complex", ffi.new("complex float", 0.1, 0.2)))
print(ffi.typeof("complex double") == ffi.typeof("complex"), ffi.typeof("_Complex double"),
      ffi.typeof("double complex"), ffi.typeof("float complex"), ffi.typeof("__complex__ float"))
print(ffi.typeof("complex int"), ffi.typeof("complex long"), ffi.typeof("complex char"))
print(ffi.istype("complex", c), ffi.istype("complex float", c), ffi.istype("double", c))

-- Literals.
print(1i, 12.5i, 0x10i, 1e2i, .5i, 3I, 0x1p4i, 1e400i)
print(-2i, -(2.5i), - -1i, type(2i), ffi.typeof(2i), (2i).im, (2i).re)
print(tostring(1i):len(), 7i == 7i)
local function lit() return 4i end
print(lit() == lit(), lit(), load("return 6i")())
print(loadstring(string.dump(function() return 1.25i, -3i end))())
for _, src in ipairs{"return 1LLi", "return 1iLL", "return 1ii", "return 0xi", "return 1.2.3i"} do
  print(loadstring(src))
end

-- tostring of special values.
for _, p in ipairs{{1, -0.0}, {1, 0/0}, {1, -1/0}, {1/0, 1/0}, {-0.0, 0}, {0.1, 1e-7},
                   {1e15, 123456789012345678}, {2^53, -2^63}, {0/0, 0/0}, {-1/0, -1/0}} do
  io.write(tostring(ffi.new("complex", p[1], p[2])), " ")
end
print()

-- Conversions out of complex: the real part.
local d = ffi.new("double[1]")
d[0] = c
local i = ffi.new("int[1]")
i[0] = ffi.new("complex", 7.9, 3)
print(d[0], i[0], tonumber(c), tonumber(ffi.new("complex float", -2.5, 1)))
print(tonumber(ffi.cast("double", c)), tonumber(ffi.cast("int", ffi.new("complex", 9.5, 1))))

-- Arrays and structs of complex; elements are copied.
local z = ffi.new("complex[3]", {{1, 2}, {3, 4}})
print(z[0], z[1], z[2], z[1].re, z[1].im)
local e = z[0]
z[0] = 5
print(e, z[0])
z[2] = c
z[1] = {7, 8}
print(z[1], z[2])
print(ffi.new("complex[2]", 5)[1], ffi.new("complex[2]", c)[1], ffi.new("complex[2]", 1, 2)[1])
local st = ffi.new("struct { complex z; int k; complex float f; }", {{1, 2}, 3, {0.5, 0.25}})
print(st.z, st.k, st.f, st.z.im, ffi.sizeof(st))
st.z = 9i
print(st.z)

-- Equality is identity; no ordering, arithmetic, concatenation or length.
print(c == c, c == ffi.new("complex", 1, 2), c == 1, 1 == c)
local t = {}
t[c] = 1
print(t[c], t[ffi.new("complex", 1, 2)])
try(function() return c < c end)
try(function() return c + c end)
try(function() return c * 2 end)
try(function() return 2 - c end)
try(function() return -c end)
try(function() return c .. "" end)
try(function() return #c end)
try(function() return math.abs(c) end)
try(function() return c.x end)
try(function() c.re = 7 end)
try(function() c[1] = 7 end)
try(ffi.new, "complex", 1, 2, 3)
try(ffi.new, "complex", {1, 2, 3})
try(ffi.new, "complex", true)
try(ffi.new, "complex", nil)
try(ffi.new, "complex", "a")
try(ffi.new, "complex", 1, "x")
try(ffi.new, "complex", {1, "x"})
try(ffi.cast, "complex", 5)
try(ffi.cast, "complex float", c)
try(ffi.cast, "complex *", c)
try(function() return ffi.string(ffi.cast("const char *", c), 0) end)
print(string.format("%s|%10s", c, 1i))

-- In loops (traces may abort on complex values; results stay right).
local s = 0
for k = 1, 100 do
  local w = ffi.new("complex", k, -k)
  s = s + w.re + w.im * 2 + w[1] + (2.5i).im
end
print(s)
local acc = {}
for k = 1, 30 do acc[#acc + 1] = tostring(ffi.new("complex float", k / 4, 1 - k)) end
print(table.concat(acc, " "))
local arr = ffi.new("complex[10]")
for k = 0, 9 do arr[k] = {k, k * 2} end
local sum = 0
for k = 1, 100 do local w = arr[k % 10]; sum = sum + w.re - w.im end
print(sum)
