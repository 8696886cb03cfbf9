-- Coroutine switches in hot loops: generators (wrap + generic for),
-- resume/yield passing values both ways, fresh coroutines per iteration,
-- nested coroutines, and the error cases (dead coroutines, errors inside
-- coroutines, yields across pcall, wrap errors). Loop bodies are long
-- enough for the traces to end at the switch, or short (aborted).
local yield, resume, create, wrap, status =
  coroutine.yield, coroutine.resume, coroutine.create, coroutine.wrap, coroutine.status

-- a generator with a long body on both sides
local function gen(n)
  return wrap(function()
    local x = 1
    for i = 1, n do
      x = (x * 31 + i) % 1000003
      x = (x * 17 + 3) % 1000003
      x = (x * 13 + 5) % 1000003
      x = (x * 7 + 11) % 1000003
      x = (x * 19 + 2) % 1000003
      x = (x * 23 + i) % 1000003
      x = (x * 29 + 7) % 1000003
      yield(x, i)
    end
  end)
end
local s, c = 0, 0
for v, i in gen(500) do
  s = (s * 3 + v) % 1000003
  s = (s * 5 + i) % 1000003
  s = (s * 7 + 1) % 1000003
  s = (s * 11 + v) % 1000003
  s = (s * 13 + 2) % 1000003
  s = (s * 17 + i) % 1000003
  s = (s * 19 + 3) % 1000003
  c = c + 1
end
print("gen", s, c)

-- short bodies (traces abort at the switch)
local g = wrap(function() for i = 1, 300 do yield(i) end end)
local t = 0
for i = 1, 300 do t = t + g() end
print("short", t)

-- resume/yield both ways, long bodies, a filter stage
local producer = create(function(a)
  local total = 0
  while true do
    total = (total + a * 3) % 65521
    total = (total * 7 + a) % 65521
    total = (total + 11) % 65521
    total = (total * 3 + a) % 65521
    total = (total * 5 + 1) % 65521
    total = (total * 11 + a) % 65521
    total = (total * 13 + 2) % 65521
    a = yield(total, a % 2 == 0)
  end
end)
local chk = 0
for i = 1, 400 do
  local ok, v, even = resume(producer, i)
  if even then chk = (chk * 3 + v) % 1000003 else chk = (chk + v) % 1000003 end
  chk = (chk * 5 + 1) % 1000003
end
print("pingpong", chk, status(producer))

-- nested: a map stage over a filter stage over a generator
local function range(n) return wrap(function() for i = 1, n do yield(i) end end) end
local function filter(p, src)
  return wrap(function() for v in src do if p(v) then yield(v) end end end)
end
local function map(f, src) return wrap(function() for v in src do yield(f(v)) end end) end
local sum = 0
for v in map(function(x) return x * 3 % 1001 end,
  filter(function(x) return x % 3 ~= 0 end, range(3000))) do
  sum = sum + v
end
print("pipeline", sum)

-- fresh coroutines per iteration, returning values
local fin = 0
for i = 1, 300 do
  local co = create(function(x, y)
    local z = x + y
    z = z + yield(z)
    return z * 2, "done"
  end)
  local _, a = resume(co, i, 1)
  local _, b, d = resume(co, a)
  local ok, e = resume(co)
  if status(co) == "dead" and d == "done" and not ok then fin = fin + b % 7 end
  if i == 300 then print("dead", ok, e) end
end
print("fresh", fin)

-- varying numbers of values both ways (multiple results)
local vco = wrap(function(...)
  local args = { ... }
  for i = 1, 200 do
    args = { yield(unpack(args)) }
  end
  return #args
end)
local cnt = 0
for i = 1, 200 do
  local r = { vco(unpack({ i, i + 1, i + 2 }, 1, i % 4)) }
  cnt = cnt + #r
end
print("varying", cnt, vco(1, 2))

-- an error inside a generator after some yields, caught around the loop
local function failing(n)
  return wrap(function()
    for i = 1, n do
      if i == n then error("gen failed at " .. i) end
      yield(i)
    end
  end)
end
local got = 0
local ok, err = pcall(function()
  for v in failing(250) do got = got + v end
end)
print("wrap error", ok, err, got)

-- error values that are not strings, and resume of a failed coroutine
local eco = create(function()
  for i = 1, 150 do yield(i) end
  error({ code = 42 })
end)
local last
for i = 1, 152 do
  local ok2, v = resume(eco)
  if not ok2 then last = type(v) == "table" and v.code or v end
end
print("table error", last, status(eco), resume(eco))

-- dead wrap functions
local once = wrap(function() return 1 end)
print("once", once(), pcall(once))

-- yields across pcall inside the coroutine, errors after a yield caught there
local pco = create(function()
  local acc = 0
  for i = 1, 200 do
    local ok3, v = pcall(function()
      local x = yield(i)
      if x % 50 == 0 then error("bad " .. x) end
      return x * 2
    end)
    if ok3 then acc = acc + v else acc = acc + 1000 end
  end
  return acc
end)
local _, first = resume(pco)
local res
for i = 1, 200 do
  local ok4, v = resume(pco, first + i)
  res = v
end
print("pcall yields", res, status(pco))

-- resuming the running and the normal coroutine
local self_co
self_co = create(function()
  local outer = coroutine.running()
  local inner = create(function() return resume(outer) end)
  local r = { resume(inner) }
  return resume(self_co), r[1], r[2], r[3]
end)
print("running", resume(self_co))
print("yield outside", pcall(yield, 1))

-- a yield across a C call boundary (a sort comparator) inside a coroutine
local cco = create(function()
  local tt = { 3, 1, 2 }
  table.sort(tt, function(a, b) yield() return a < b end)
end)
local okc, ec = resume(cco)
print("across C", okc, ec)

-- natives as coroutine bodies
local w = wrap(select)
print("native body", w("#", 1, 2, 3), pcall(w))

-- status, running and isyieldable seen from inside
local sco = create(function()
  for i = 1, 120 do yield(status(coroutine.running()), coroutine.isyieldable()) end
end)
local st
for i = 1, 120 do
  local _, a, b = resume(sco)
  st = tostring(a) .. tostring(b)
end
print("status", st, coroutine.isyieldable(), status(sco))

-- yields from nested Lua calls (a recursive generator)
local function permgen(a, n)
  if n <= 1 then
    yield(a)
  else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local pc, pk = 0, 0
for p in wrap(function() permgen({ 1, 2, 3, 4, 5, 6 }, 6) end) do
  pc = pc + 1
  pk = (pk * 7 + p[1] * 8 + p[6]) % 1000003
end
print("perms", pc, pk)

-- garbage made on both sides while switching
local gco = wrap(function()
  for i = 1, 400 do
    local tt = { i, tostring(i), { i } }
    yield(tt)
  end
end)
local gs = 0
for i = 1, 400 do
  local tt = gco()
  gs = gs + tt[1] + #tt[2] + tt[3][1]
  if i % 100 == 0 then collectgarbage() end
end
print("garbage", gs)
