-- Pointer cdata in hot loops: arithmetic, pointer-valued members (loaded
-- and stored), comparisons with nil, linked lists.
local ffi = require "ffi"
ffi.cdef[[ typedef struct node { int v; struct node *next; } node; ]]
local nodes = ffi.new("node[100]")
for i = 0, 99 do
  nodes[i].v = i
  nodes[i].next = (i % 10 ~= 9) and nodes + i + 1 or nil
end
local chains, vs = 0, 0
for start = 0, 99, 10 do
  local n = nodes + start
  while n ~= nil do vs = vs + n.v; n = n.next end
  chains = chains + 1
end
print("chains", chains, vs)
local a = ffi.new("double[64]")
for i = 0, 63 do a[i] = i end
local s = 0
for i = 0, 60 do local p = a + i; s = s + p[0] + p[3] end
print(s)
local q = a + 63
local t = 0
for i = 0, 63 do t = t + (q - i)[0] end
print(t)
local cnt = 0
for i = 0, 99 do if nodes[i].next == nil then cnt = cnt + 1 end end
print("nils", cnt)
for i = 0, 98 do nodes[i].next = nodes + (i + 1) end
nodes[99].next = nil
local len, n = 0, nodes + 0
while n ~= nil do len = len + 1; n = n.next end
print("len", len)
