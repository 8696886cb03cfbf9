-- Side loops: a loop whose compiled trace was recorded on one path, then
-- takes another from the start of an iteration (a phase change, a slot of
-- another type, a third path), runs that path as a loop of its own.

-- 1. Rows filled by appending on the first pass, then overwritten in place
-- on every later pass (LU's copy of a matrix into reused rows).
local rows = {}
local src = {}
for j = 1, 60 do src[j] = j * 0.5 end
local check = 0
for pass = 1, 40 do
  for r = 1, 30 do
    local dst = rows[r] or {}
    for j = 1, 60 do dst[j] = src[j] + pass end
    rows[r] = dst
  end
  check = check + rows[30][60] + rows[1][1]
end
print("copy", check, #rows, #rows[1])

-- 2. A counter that starts integral, then fractional: the loop's slots
-- change type between entries.
local tot = 0
for k = 1, 200 do
  local st = (k > 60) and 1.5 or 1
  for i = st, 40 do tot = tot + i end
end
print("start type", tot)

-- 3. Three paths, by the argument of a fast function: the root, a side
-- loop, and a side loop of the side loop; none of them may hand an
-- iteration back to one that fails it again.
local sf = 0
for i = 1, 3000 do
  sf = sf + select(i % 3 + 1, 7, 8, 9, 10)
end
print("select", sf)
local runs = 0
for i = 1, 3000 do
  local k = math.floor(i / 500) % 3 + 1
  runs = runs + select(k, 1, 20, 300)
end
print("select runs", runs)

-- 4. A `while` loop whose root was recorded on small strings, then sees
-- tables: a loaded value's type is data, so a side trace from the load
-- serves the table path (no side loop).
local vals = {}
for i = 1, 40 do vals[i] = "s" .. i end
for i = 41, 400 do vals[i] = {i} end
local n, acc = 0, 0
while n < #vals do
  n = n + 1
  local v = vals[n]
  if type(v) == "table" then acc = acc + v[1] else acc = acc + #v end
end
print("while", n, acc)

-- 5. A side path that leaves the loop early (break) goes on as a plain
-- side trace.
local found = {}
for rep = 1, 60 do
  local lim = (rep > 20) and 7 or 1000
  local last = 0
  for i = 1, 50 do
    if i > lim then break end
    last = i
  end
  found[#found + 1] = last
end
print("break", table.concat(found, ",", 18, 24))

-- 6. A side path that adds keys to a new table each time (a fill starting
-- at key 2 goes to the hash part first): it links back, no side loop.
local sizes = 0
for rep = 1, 30 do
  local t = {}
  for i = 2, 3000 do t[i] = i end
  sizes = sizes + #t + (t[3000] or 0)
end
print("fill", sizes)

-- 7. An inner loop over an array whose elements change type halfway
-- (again a load's type: side traces, no side loop).
local data = {}
for i = 1, 100 do data[i] = i end
local s7 = 0
for rep = 1, 80 do
  if rep == 40 then
    for i = 1, 100 do data[i] = tostring(i) end
  end
  for i = 1, 100 do
    local v = data[i]
    s7 = s7 + (type(v) == "string" and #v or v)
  end
end
print("element type", s7)
