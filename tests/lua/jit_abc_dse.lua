-- Bounds-check elimination (abc) and dead-store elimination (dse): loops
-- whose array checks are hoisted to one check of the loop's limit, and
-- stores overwritten later in the same iteration. The results must equal
-- the interpreter's, also when the hoisted check fails (limits past the
-- array, holes, tables that grow or shrink in the loop) and when an exit
-- or an error comes between two stores.

local function sum(t)
  local s = 0
  for i = 1, #t do s = s + t[i] end
  return s
end

local function seq(n, k)
  local t = {}
  for i = 1, n do t[i] = i * (k or 1) end
  return t
end

-- 1. The plain sum loop, over tables of many lengths.
local total = 0
for n = 0, 120 do total = total + sum(seq(n)) end
print("sum", total, sum(seq(1000, 3)))

-- 2. An explicit limit past the array part: nil beyond (or 0 instead).
local function sum_to(t, n)
  local s = 0
  for i = 1, n do s = s + (t[i] or 0) end
  return s
end
local t100 = seq(100)
local acc = {}
for r = 1, 60 do
  -- In bounds while the loop gets hot, then past the end now and then.
  local n = (r % 7 == 0) and 150 or 100 - r % 5
  acc[#acc + 1] = sum_to(t100, n)
end
print("limit", table.concat(acc, " ", 1, 10), acc[#acc], acc[49], acc[56])

-- 3. Offsets and descending loops.
local function diffs(t, n)
  local s = 0
  for i = 1, n - 1 do s = s + (t[i + 1] - t[i]) * i end
  return s
end
local function rsum(t, lo)
  local s = 0
  for i = #t, lo, -1 do s = s * 0.5 + t[i] + (t[i - 1] or 100) end
  return s
end
local r3 = {}
for r = 1, 40 do
  local t = seq(50 + r % 3, 2)
  r3[#r3 + 1] = diffs(t, #t) .. "/" .. rsum(t, 1 + r % 4)
end
-- A limit one past the end of t[i + 1]: the error comes from nil.
local ok, err = pcall(diffs, seq(30), 31)
print("offsets", r3[1], r3[2], r3[40], ok, (tostring(err):gsub("^.-:%d+: ", "")))

-- 4. Holes: nil inside the array part.
local holes = seq(64)
for i = 5, 64, 9 do holes[i] = nil end
local function count(t, n)
  local c, s = 0, 0
  for i = 1, n do
    local v = t[i]
    if v then s = s + v else c = c + 1 end
  end
  return c, s
end
local hc = {}
for r = 1, 30 do
  local c, s = count(holes, 40 + r)
  hc[#hc + 1] = c .. ":" .. s
end
print("holes", hc[1], hc[15], hc[30])

-- 5. Tables that grow or shrink inside the loop.
local function grow(n)
  local t = {1, 2, 3}
  local s = 0
  for i = 1, n do
    t[#t + 1] = i
    s = s + t[i]
  end
  return s, #t
end
local function shrink(n)
  local t = seq(n)
  local s = 0
  for i = 1, n do
    s = s + (t[i] or -1)
    t[n - i + 1] = nil
  end
  return s, #t
end
local function remove(n)
  local t = seq(n)
  local s = 0
  for i = 1, n do
    s = s + (t[i] or -1000)
    table.remove(t)
  end
  return s, #t
end
local gs = {}
for r = 1, 30 do
  local a, b = grow(20 + r)
  local c, d = shrink(20 + r)
  local e, f = remove(20 + r)
  gs[#gs + 1] = table.concat({a, b, c, d, e, f}, ",")
end
print("resize", gs[1], gs[30])

-- 6. Zero-based arrays (the key-0 slot and the array part).
local function zsum(t, n)
  local s = 0
  for i = 0, n do s = s + t[i] end
  return s
end
local z = {[0] = 7}
for i = 1, 80 do z[i] = i end
local zs = 0
for r = 1, 30 do zs = zs + zsum(z, 50 + r) end
print("zero", zs, pcall(zsum, z, 81))

-- 7. String bytes: the index checked against the string's length.
local function bytes(s)
  local h = 0
  for i = 1, #s do h = (h * 31 + s:byte(i)) % 1000003 end
  return h
end
local bh = 0
for r = 1, 40 do bh = (bh + bytes(string.rep("abc", r))) % 1000003 end
print("bytes", bh)

-- 8. Stores overwritten in one iteration: hash, array, upvalue.
local o = {x = 0, y = 0}
local arr = {0, 0, 0}
local up = 0
local function bump(n)
  for i = 1, n do
    o.x = i
    arr[2] = o.y + i
    up = i
    o.x = o.x * 2 + arr[2]
    arr[2] = arr[2] + up
    up = up + 1
  end
end
bump(100)
print("stores", o.x, arr[2], up)

-- 9. An exit between two stores: the first store must be seen.
local seen = {}
local function exits(n, t)
  for i = 1, n do
    o.x = i
    if t[i] == "stop" then
      seen[#seen + 1] = o.x
    end
    o.x = -i
  end
end
local marks = seq(200)
marks[70], marks[150] = "stop", "stop"
exits(200, marks)
print("exit", o.x, seen[1], seen[2])

-- 10. An error between two stores (pcall): the first store stays.
local function fails(n, t)
  for i = 1, n do
    o.y = i
    o.x = t[i] + 1
    o.y = -i
  end
end
local bad = seq(100)
bad[80] = {}
print("error", pcall(fails, 100, bad), o.x, o.y)

-- 11. A store read by a call between (a metamethod reads it).
local log = {}
local mt = {__index = function(t, k) return o.x end}
local proxy = setmetatable({}, mt)
local function called(n)
  for i = 1, n do
    o.x = i
    log[i] = proxy.anything
    o.x = 0
  end
end
called(100)
print("call", log[1], log[57], log[100], o.x)

-- 12. Tables of different lengths through one compiled loop, some
-- shorter than the limit the loop was recorded with.
local function firstn(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return s
end
local long, short = seq(90), seq(20)
local fr = {}
for r = 1, 50 do
  local t = (r % 9 == 0) and short or long
  fr[#fr + 1] = tostring(pcall(firstn, t, 60))
end
print("mixed", table.concat(fr, ",", 1, 9))

-- 13. Variable steps (their direction guarded), limits in and out of
-- bounds, up and down.
local function stepped(t, a, n, st)
  local s = 0
  for j = a, n, st do s = s + (t[j] or 0.5) end
  return s
end
local t60 = seq(60)
local sr = {}
for r = 1, 40 do
  sr[#sr + 1] = stepped(t60, r % 5 + 1, (r % 11 == 0) and 70 or 60, r % 4 + 1)
    + stepped(t60, 60 - r % 3, (r % 13 == 0) and -3 or 1, -(r % 3 + 1))
end
print("steps", sr[1], sr[11], sr[13], sr[40])
