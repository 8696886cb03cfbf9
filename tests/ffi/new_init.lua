-- ffi.new with initialisers: scalars, tables for structs and arrays, nested
-- aggregates, partial initialisation (rest zero-filled), VLA and VLS,
-- ffi.typeof'd constructors.
local ffi = require "ffi"

ffi.cdef [[
struct pt { int x, y; };
struct rect { struct pt tl, br; const char *name; };
struct arrs { int n; double v[4]; };
struct vls { int n; int items[?]; };
union num { double d; int64_t i; };
]]

local i = ffi.new("int", 42)
print("int", tonumber(i), ffi.new("int") == 0)
print("double", tonumber(ffi.new("double", 2.5)))
print("uint8 wrap", tonumber(ffi.new("uint8_t", 300)))
print("int8 wrap", tonumber(ffi.new("int8_t", 200)))
print("bool", ffi.new("bool", 1) == true, tonumber(ffi.new("bool", true)))

local p = ffi.new("struct pt", 3, 4)
print("pt positional", p.x, p.y)
p = ffi.new("struct pt", { 5, 6 })
print("pt table", p.x, p.y)
p = ffi.new("struct pt", { y = 8 })
print("pt named", p.x, p.y)
p = ffi.new("struct pt", { x = 1.9 })
print("pt truncation", p.x, p.y)
p = ffi.new("struct pt")
print("pt zero", p.x, p.y)

local r = ffi.new("struct rect", { { 1, 2 }, { x = 30, y = 40 } })
print("rect nested", r.tl.x, r.tl.y, r.br.x, r.br.y, r.name == nil)
r = ffi.new("struct rect", { tl = { 7, 8 } })
print("rect named nested", r.tl.x, r.tl.y, r.br.x, r.br.y)

local a = ffi.new("int[5]", { 1, 2, 3 })
print("array partial", a[0], a[1], a[2], a[3], a[4])
a = ffi.new("int[5]", 9)
print("array single value fills", a[0], a[1], a[4])
a = ffi.new("int[5]", { 9 })
print("array table one elem", a[0], a[1], a[4])
a = ffi.new("int[3]", 1, 2, 3)
print("array positional", a[0], a[1], a[2])
local d = ffi.new("double[2][2]", { { 1.5, 2.5 }, { 3.5, 4.5 } })
print("2d", d[0][0], d[0][1], d[1][0], d[1][1])
local ar = ffi.new("struct arrs", { 2, { 0.5, 0.25 } })
print("struct with array", ar.n, ar.v[0], ar.v[1], ar.v[2], ar.v[3])
local pts = ffi.new("struct pt[3]", { { 1, 2 }, { 3, 4 } })
print("array of structs", pts[0].x, pts[0].y, pts[1].x, pts[1].y, pts[2].x, pts[2].y)

-- Variable-length arrays and structs.
local n = 6
local vla = ffi.new("int[?]", n)
print("vla size", ffi.sizeof(vla), vla[0], vla[5])
for k = 0, n - 1 do vla[k] = k * k end
print("vla values", vla[0], vla[1], vla[5])
vla = ffi.new("double[?]", 3, { 1, 2, 3 })
print("vla init", vla[0], vla[1], vla[2])
vla = ffi.new("double[?]", 4, 7)
print("vla fill", vla[0], vla[3])
local vls = ffi.new("struct vls", 4)
vls.n = 4
for k = 0, 3 do vls.items[k] = 10 + k end
print("vls", ffi.sizeof(vls), vls.n, vls.items[0], vls.items[3])
vls = ffi.new("struct vls", 2, { 2, { 5, 6 } })
print("vls init", vls.n, vls.items[0], vls.items[1])

-- Constructors made by ffi.typeof.
local pt_t = ffi.typeof("struct pt")
local q = pt_t(11, 12)
print("ctor", q.x, q.y, ffi.istype(pt_t, q))
local arr_t = ffi.typeof("int[?]")
local z = arr_t(3, { 4, 5, 6 })
print("vla ctor", z[0], z[1], z[2], ffi.sizeof(z))
local u = ffi.new("union num", { 1.0 })
print("union init first member", u.d, u.i)

-- Strings initialise char arrays.
local s = ffi.new("char[8]", "hi")
print("char array", ffi.string(s), s[2], ffi.sizeof(s))
local s2 = ffi.new("char[?]", 6, "hello")
print("char vla", ffi.string(s2))

-- Too many initialisers is an error.
print(pcall(ffi.new, "int[2]", { 1, 2, 3 }))
print(pcall(ffi.new, "struct pt", 1, 2, 3))
