-- Tables made in a loop that do not escape are not allocated on the
-- trace's path (load forwarding + sinking); exits that need them make
-- them with the fields stored so far. Every result equals the
-- interpreter's.
local V = {}
V.__index = V
local function vec(x, y) return setmetatable({ x = x, y = y }, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y) end
V.__mul = function(a, s) return vec(a.x * s, a.y * s) end
function V:dot(o) return self.x * o.x + self.y * o.y end

-- 1. Temporaries with metamethods: all sink.
local acc = 0
local g = vec(1, 2)
for i = 1, 300 do
  local d = (g * i + g) * 0.5
  acc = acc + d:dot(g)
end
print("temporaries", acc)

-- 2. An exit that needs the table: kept only sometimes (side exit).
local kept = {}
for i = 1, 300 do
  local p = { a = i, b = i * 2 }
  p.a = p.a + 1 -- a store to an existing key of a sunk table
  if i % 50 == 0 then kept[#kept + 1] = p end
  acc = acc + p.a + p.b
end
print("kept", #kept, kept[1].a, kept[1].b, kept[6].a, kept[6].b, acc)

-- 3. The table escapes mid-iteration through a guard in a callee that
-- fails later (type change): the exit makes it with the stores so far.
local function f(v) return v + 1 end
local objs = {}
for i = 1, 300 do
  local v = i
  if i > 250 then v = i + 0.5 end
  local t = { first = i }
  t.second = f(v)
  t.third = t.first + t.second
  acc = acc + t.third
  if i == 300 then objs[1] = t end
end
print("midway", acc, objs[1].first, objs[1].second, objs[1].third)

-- 4. Escaping tables are not sunk (stored in another table, compared,
-- passed to a native).
local list = {}
for i = 1, 300 do
  local t = { v = i }
  list[i] = t
end
local s = 0
for i = 1, 300 do s = s + list[i].v end
print("escaped", s, #list)

-- 5. A constructor with constant fields (TDUP) then updated.
local tot = 0
for i = 1, 300 do
  local c = { n = 0, m = 1 }
  c.n = c.n + i
  c.m = c.m * 2
  tot = tot + c.n + c.m
end
print("template", tot)

-- 6. Identity and metatable queries see the real object.
local mt = { __index = function(t, k) return k .. "!" end }
local out = {}
for i = 1, 300 do
  local t = setmetatable({ k = i }, mt)
  if i % 100 == 0 then out[#out + 1] = t.missing .. t.k end
  tot = tot + t.k
end
print("meta", tot, table.concat(out, ","))

-- 7. A missing key of a sunk table without metatable is nil.
local nils = 0
for i = 1, 300 do
  local t = { a = i }
  if t.b == nil then nils = nils + 1 end
end
print("nil", nils)

-- 8. A table made in each iteration and carried to the next (q = q + d):
-- carried as its fields; exits (and the iteration that keeps it) make
-- the current one, with its metatable.
local q, d = vec(0, 0), vec(1, 0.5)
local mid, seen = nil, {}
for i = 1, 300 do
  q = q + d
  if i == 150 then mid = q end
  if i % 60 == 0 then seen[#seen + 1] = q.x + q.y end
end
print("carried", q.x, q.y, mid.x, mid.y, getmetatable(mid) == V, table.concat(seen, ","))

-- 9. Two carried tables feeding each other, and a field changing type
-- late (the copy's type guard fails; the exit makes the table).
local a, b = { v = 1, w = 0 }, { v = 2, w = 0 }
for i = 1, 300 do
  local na = { v = b.v + 1, w = a.w + (i > 280 and 0.5 or 1) }
  b = { v = a.v, w = na.w }
  a = na
end
print("pair", a.v, a.w, b.v, b.w)
