-- Returns through the interpreter's fast paths: Lua frames wanting a
-- fixed number of results, pcall/xpcall frames (a `true` first), frames
-- with open upvalues (closed on return), and table constructors ending
-- in a call (their array part sized for its values).
local function r0() end
local function r1() return 1 end
local function r2() return 1, 2 end
local function r3() return 1, 2, 3 end
local fs = { r0, r1, r2, r3 }

for k, f in ipairs(fs) do
  local a = f()
  local b, c = f()
  local d, e, g, h = f()
  print(k - 1, a, b, c, d, e, g, h)
  local p1 = pcall(f)
  local q1, q2 = pcall(f)
  local s1, s2, s3, s4, s5 = pcall(f)
  print("pcall", p1, q1, q2, s1, s2, s3, s4, s5)
  print("pcall all", pcall(f))
  print("count", select('#', pcall(f)))
  local x1, x2, x3 = xpcall(f, print)
  print("xpcall", x1, x2, x3, select('#', xpcall(f, print)))
end

-- Errors inside pcall, then normal returns again.
for i = 1, 3 do
  local ok, err = pcall(function(n) if n == 2 then error("e" .. n, 0) end return n * 10 end, i)
  print(i, ok, err)
end
print(xpcall(function() error({}) end, function(e) return type(e) end))

-- Open upvalues in the returning frame.
local function mk(n)
  local acc = n
  local function add(d) acc = acc + d; return acc end
  return add, acc
end
local add, v = mk(5)
print(v, add(1), add(2))
local ok, add2, v2 = pcall(mk, 7)
print(ok, v2, add2(3), add2(3))

-- Recursion through pcall.
local function depth(n)
  if n == 0 then return 0 end
  local ok, d = pcall(depth, n - 1)
  return ok and d + 1
end
print(depth(50))

-- Constructors ending in calls and varargs.
local function three() return 7, 8, 9 end
local function pack(...) return { ... } end
local function mix(...) return { 1, three() }, { three(), 2 }, { ..., three() } end
local t1, t2, t3 = mix(4, 5)
print(#t1, t1[1], t1[4], #t2, t2[1], t2[2], #t3, t3[1], t3[2], t3[4])
local t4 = pack(three())
print(#t4, t4[3])
local t5 = { r0() }
print(#t5, t5[1])
local t6 = { r3(), r3() }
print(#t6, t6[1], t6[2], t6[4])
for i = 1, 100 do
  local t = { i, three() }
  if #t ~= 4 or t[4] ~= 9 then print("bad", i) end
end
