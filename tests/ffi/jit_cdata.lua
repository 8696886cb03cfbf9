-- Cdata access in hot loops: element and member loads and stores compiled
-- inline, references to structs kept virtual and materialised when a side
-- exit needs them, type changes of the indexed object, int widths.
local ffi = require "ffi"
ffi.cdef [[
typedef struct { double x, y; int id; uint8_t flag; float w; } item;
typedef struct { item a, b; int16_t n[4]; } pair;
]]

local items = ffi.new("item[?]", 100)
for i = 0, 99 do
  items[i].x = i * 0.5
  items[i].y = -i
  items[i].id = i * 1000
  items[i].flag = i % 3
  items[i].w = i / 4
end

-- loads of every member type
local sx, sy, sid, sf, sw = 0, 0, 0, 0, 0
for i = 0, 99 do
  local it = items[i]
  sx = sx + it.x; sy = sy + it.y; sid = sid + it.id; sf = sf + it.flag; sw = sw + it.w
end
print("sums", sx, sy, sid, sf, sw)

-- a reference that escapes through a side exit (the branch is taken late)
local kept
for i = 0, 99 do
  local it = items[i]
  if i == 97 then kept = it end
end
print("kept", kept.id, tostring(kept):match("^cdata<[^>]*>"))

-- stores with conversions: truncation, wrap-around of small integers
for i = 0, 99 do
  items[i].id = i * 2.75
  items[i].flag = i * 7
end
local t = 0
for i = 0, 99 do t = t + items[i].id + items[i].flag end
print("stores", t, items[10].id, items[99].flag)

-- nested structs and arrays inside structs
local pairs_ = ffi.new("pair[10]")
for i = 0, 9 do
  pairs_[i].a.x = i; pairs_[i].b.y = 2 * i
  for j = 0, 3 do pairs_[i].n[j] = i * 10000 + j end
end
local s = 0
for i = 0, 9 do
  s = s + pairs_[i].a.x + pairs_[i].b.y + pairs_[i].n[3]
end
print("nested", s)

-- pointers: arithmetic result used as an array
local p = items + 10
local ps = 0
for i = 0, 9 do ps = ps + p[i].x end
print("pointer", ps)

-- the indexed object changes type in the middle of a hot loop
local d = ffi.new("double[8]", 1, 2, 3, 4, 5, 6, 7, 8)
local f = ffi.new("float[8]", 8, 7, 6, 5, 4, 3, 2, 1)
local acc = 0
for i = 1, 40 do
  local arr = (i > 30) and f or d
  acc = acc + arr[i % 8]
end
print("mixed", acc)

-- a plain Lua table and a cdata array alternating (shape change)
local tab = { [0] = 100, 100, 100, 100, 100, 100, 100, 100 }
local mix = 0
for i = 1, 40 do
  local arr = (i % 2 == 0) and tab or d
  mix = mix + arr[i % 8]
end
print("table/cdata", mix)

-- errors inside a compiled loop: a const member, and a missing member
local citem = ffi.new("const item")
print(pcall(function() for i = 1, 10 do local v = citem.x end; citem.x = 1 end))
print(pcall(function() local q = 0; for i = 1, 10 do q = q + items[i].nope end end))
