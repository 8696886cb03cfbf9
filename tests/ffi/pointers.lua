-- cdata indexing and pointers: struct fields through pointers, arrays,
-- pointer arithmetic and difference, comparisons, NULL and nil, pointers to
-- pointers, references to nested aggregates, boolean-ness of cdata.
local ffi = require "ffi"
ffi.cdef [[
struct node { int value; struct node *next; };
struct pair { int a[2]; struct sub_s { short s; } sub; };
]]

local arr = ffi.new("int[10]")
for i = 0, 9 do arr[i] = i * 3 end
local p = ffi.cast("int *", arr)
print("p[0]", p[0], "p[9]", p[9])
local q = p + 4
print("p+4", q[0], q[-1], (q - 2)[0])
print("diff", q - p, p - q, type(q - p))
print("cmp", p < q, q < p, p <= p, p == p + 0, p ~= q)
print("eq after arith", p + 4 == q, q - 4 == p)
local pp = p
pp = pp + 1
pp[0] = 100
print("store through pointer", arr[1])
local cp = ffi.cast("char *", p)
print("byte offset", ffi.cast("int *", cp + 8)[0])
print("ptr diff bytes", (cp + 8) - cp)

-- NULL and nil
local null = ffi.new("struct node *")
print("null", null == nil, nil == null, null ~= nil)
print("cast 0", ffi.cast("void *", 0) == nil, ffi.cast("int *", nil) == nil)
print("truthy", not not null, null and "cdata is true" or "false")
print("null ptr eq", null == ffi.cast("struct node *", 0))

-- A linked list built from an array of nodes
local nodes = ffi.new("struct node[5]")
for i = 0, 4 do
  nodes[i].value = (i + 1) * 10
  nodes[i].next = i < 4 and nodes + i + 1 or nil
end
local sum, n = 0, nodes + 0
while n ~= nil do sum = sum + n.value; n = n.next end
print("list sum", sum)
print("list ptr field", nodes[0].next == nodes + 1, nodes[4].next == nil)
print("arrow and index", nodes[1].next.value, (nodes + 2).value, nodes[3].next[0].value)

-- References to nested aggregates alias the parent
local pr = ffi.new("struct pair")
local inner = pr.a
inner[1] = 42
print("alias array", pr.a[1], tostring(ffi.typeof(inner)))
local sub = pr.sub
sub.s = -7
print("alias struct", pr.sub.s, tostring(ffi.typeof(sub)))

-- Pointer to pointer
local pv = ffi.new("int *[1]")
pv[0] = arr + 2
print("ptr to ptr", pv[0][0], pv[0][1])
local ppv = ffi.cast("int **", pv)
print("int **", ppv[0][0])

-- Address of a field via ffi.offsetof and char pointers
local nd = ffi.new("struct node", 77)
local base = ffi.cast("char *", nd)
local vp = ffi.cast("int *", base + ffi.offsetof("struct node", "value"))
print("offsetof addr", vp[0])

-- Pointers into a VLA walked with a moving pointer
local N = 50
local vla = ffi.new("double[?]", N)
for i = 0, N - 1 do vla[i] = i / 2 end
local s, cur, stop = 0, ffi.cast("double *", vla), vla + N
while cur < stop do s = s + cur[0]; cur = cur + 1 end
print("walk", s, cur == stop, stop - vla)

-- Indexing errors
print(pcall(function() local x = arr.field; return x end))
print(pcall(function() local x = p + p; return x end))
print(pcall(function() local x = ffi.new("struct node").nope; return x end))
