-- coroutine conformance
local function e(f, ...) print(pcall(f, ...)) end

print("-- basics")
local co = coroutine.create(function(a, b)
  print("start", a, b)
  local c = coroutine.yield(a + b)
  print("got", c)
  local d, e2 = coroutine.yield(c * 2)
  print("got2", d, e2)
  return "done", 99
end)
print(type(co), coroutine.status(co))
print(coroutine.resume(co, 1, 2))
print(coroutine.status(co))
print(coroutine.resume(co, 10))
print(coroutine.resume(co, "x", "y"))
print(coroutine.status(co))
print(coroutine.resume(co))
print(coroutine.resume(co))

print("-- yield/resume value passing")
co = coroutine.create(function(...)
  print("args", select("#", ...), ...)
  print("y1", select("#", coroutine.yield()))
  print("y2", coroutine.yield(nil, nil))
  return
end)
print(coroutine.resume(co, nil, nil, 3))
print(coroutine.resume(co))
print(coroutine.resume(co, 1, 2, 3))
print(coroutine.resume(co))
print(select("#", coroutine.resume(coroutine.create(function() end))))

print("-- status / running / isyieldable")
local main, ismain = coroutine.running()
print(type(main), ismain)
print(coroutine.isyieldable())
local inner
co = coroutine.create(function()
  local me, im = coroutine.running()
  print("inside running", me == co, im, coroutine.status(me), coroutine.isyieldable())
  inner = coroutine.create(function()
    print("outer status from inner", coroutine.status(co))
    coroutine.yield()
  end)
  coroutine.resume(inner)
  print("inner status", coroutine.status(inner))
  coroutine.yield()
end)
coroutine.resume(co)
print(coroutine.status(co), coroutine.status(inner))
coroutine.resume(co)
print(coroutine.status(co))
e(coroutine.status, nil)
e(coroutine.status, {})

print("-- wrap")
local gen = coroutine.wrap(function(n) for i = 1, n do coroutine.yield(i) end return "end" end)
print(gen(3), gen(), gen(), gen())
e(gen)
local w = coroutine.wrap(function() error("wrapped error") end)
e(w)
w = coroutine.wrap(function() error({code = 1}) end)
local ok, err = pcall(w); print(ok, type(err), err.code)
w = coroutine.wrap(function() local x = nil; return x.y end)
e(w)
w = coroutine.wrap(function(...) return select("#", ...), ... end)
print(w(nil, nil))
e(coroutine.wrap, 5)
e(coroutine.create, "x")

print("-- errors inside coroutines")
co = coroutine.create(function() error("boom") end)
print(coroutine.resume(co))
print(coroutine.status(co))
print(coroutine.resume(co))
co = coroutine.create(function() error({}) end)
local r1, r2 = coroutine.resume(co); print(r1, type(r2))
co = coroutine.create(function() error("lvl0", 0) end)
print(coroutine.resume(co))
co = coroutine.create(function() local t = nil; t.x = 1 end)
print(coroutine.resume(co))
e(coroutine.resume, nil)
e(coroutine.resume, {})
co = coroutine.create(function() coroutine.resume(coroutine.running()) end)
print(coroutine.resume(co))
co = coroutine.create(function() return coroutine.resume(coroutine.running()) end)
print(coroutine.resume(co))
e(coroutine.yield, 1)

print("-- yield across pcall")
co = coroutine.create(function()
  local ok, v = pcall(function()
    local x = coroutine.yield("in pcall")
    error("after yield " .. x)
  end)
  print("pcall result", ok, v)
  local ok2, v2 = pcall(coroutine.yield, "yield as pcall fn")
  print("pcall2", ok2, v2)
  local ok3, v3 = xpcall(function() coroutine.yield("in xpcall"); error("xp") end, function(m) return "H(" .. m .. ")" end)
  print("xpcall result", ok3, v3)
  return "finished"
end)
print(coroutine.resume(co))
print(coroutine.resume(co, "X"))
print(coroutine.resume(co, "V2"))
print(coroutine.resume(co))
print(coroutine.status(co))

print("-- yield across metamethods / iterators")
co = coroutine.create(function()
  local t = setmetatable({}, {__index = function(t, k) return coroutine.yield(k) end})
  return t.foo
end)
print(coroutine.resume(co))
print(coroutine.resume(co, "meta value"))
co = coroutine.wrap(function()
  for k in function() return coroutine.yield("iter") end do return k end
end)
print(co(), co("itval"))
co = coroutine.create(function() table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end) end)
print(coroutine.resume(co))

print("-- generators")
local function range(n, step)
  return coroutine.wrap(function() for i = 1, n, step or 1 do coroutine.yield(i) end end)
end
local acc = {}
for i in range(10, 3) do acc[#acc + 1] = i end
print(table.concat(acc, ","))
local function permgen(a, n)
  n = n or #a
  if n <= 1 then coroutine.yield(a) else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local count = 0
for p in coroutine.wrap(function() permgen({1, 2, 3, 4}) end) do
  count = count + 1
  if count <= 3 then print(table.concat(p, " ")) end
end
print("perms", count)
local function fibgen()
  local a, b = 0, 1
  return coroutine.wrap(function() while true do coroutine.yield(a); a, b = b, a + b end end)
end
local fg = fibgen(); local fibs = {}
for i = 1, 12 do fibs[i] = fg() end
print(table.concat(fibs, " "))

print("-- many coroutines and deep nesting")
local cos = {}
for i = 1, 100 do cos[i] = coroutine.create(function(x) local y = coroutine.yield(x * 2); return x + y end) end
local s = 0
for i = 1, 100 do local _, v = coroutine.resume(cos[i], i); s = s + v end
for i = 1, 100 do local _, v = coroutine.resume(cos[i], 1); s = s + v end
print(s)
local function nest(n)
  if n == 0 then return coroutine.yield("bottom") end
  local c = coroutine.create(nest)
  local ok, v = coroutine.resume(c, n - 1)
  return v
end
print(coroutine.resume(coroutine.create(nest), 50))
co = coroutine.create(function() for i = 1, 3 do coroutine.yield(i) end end)
local vals = {}
while true do
  local ok, v = coroutine.resume(co)
  if coroutine.status(co) == "dead" then break end
  vals[#vals + 1] = v
end
print(table.concat(vals, ","))
