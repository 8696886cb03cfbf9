-- Coroutines as values in compiled loops: threads carried through slots,
-- tables and upvalues, compared and typed; coroutine.create in a loop
-- (a helper that allocates), coroutine.status with the status changing
-- under the trace, coroutine.running; short generator loops.
local create, resume, yield, status, wrap, running =
  coroutine.create, coroutine.resume, coroutine.yield, coroutine.status,
  coroutine.wrap, coroutine.running

-- threads in a table, compared and typed in a loop
local cos = {}
for i = 1, 8 do
  cos[i] = create(function(x) return x * i end)
end
local same, diff, types = 0, 0, 0
for i = 1, 400 do
  local a, b = cos[i % 8 + 1], cos[(i * 3) % 8 + 1]
  if a == b then same = same + 1 else diff = diff + 1 end
  if a ~= cos[1] then diff = diff + 1 end
  if type(a) == "thread" then types = types + 1 end
end
print("compare", same, diff, types)

-- a thread moved between tables and locals, and kept in an upvalue
local box = { co = cos[3] }
local up = cos[5]
local function pick(i) if i % 2 == 0 then return up end return box.co end
local hits = 0
for i = 1, 300 do
  local c = pick(i)
  local t = { c, i }
  if t[1] == up then hits = hits + 1 end
  box.last = t[1]
end
print("moved", hits, box.last == cos[3], rawequal(box.last, up))

-- a thread as a table key
local seen = {}
for i = 1, 300 do
  local c = cos[i % 4 + 1]
  seen[c] = (seen[c] or 0) + 1
end
print("keys", seen[cos[1]], seen[cos[2]], seen[cos[3]], seen[cos[4]], seen[cos[5]])

-- coroutine.create in a loop, most never resumed
local made, alive = 0, {}
for i = 1, 500 do
  local co = create(function(a) return a + i end)
  made = made + (status(co) == "suspended" and 1 or 0)
  if i % 50 == 0 then alive[#alive + 1] = co end
end
local sum = 0
for i = 1, #alive do
  local ok, v = resume(alive[i], i)
  sum = sum + (ok and v or 0)
end
print("created", made, #alive, sum, status(alive[1]))

-- create of natives and extra arguments; bad arguments raise
local nat = 0
for i = 1, 200 do
  local co = create(select, 7)
  local ok, v = resume(co, "#", 1, 2)
  if ok then nat = nat + v end
end
print("native", nat, pcall(create, 1), pcall(create))

-- fresh coroutines per iteration, status seen as they change
local fin, st = 0, {}
for i = 1, 400 do
  local co = create(function(x)
    local y = yield(x + 1)
    return y * 2
  end)
  local s1 = status(co)
  local _, a = resume(co, i)
  local s2 = status(co)
  local _, b = resume(co, a)
  local s3 = status(co)
  if s1 == "suspended" and s2 == "suspended" and s3 == "dead" then
    fin = fin + b % 11
  end
  st[s3] = (st[s3] or 0) + 1
end
print("fresh", fin, st.dead, st.suspended)

-- one status call site seeing every status
local watcher
local function note(co, acc)
  local s = status(co)
  acc[s] = (acc[s] or 0) + 1
end
local acc = {}
local inner = create(function(outer)
  for i = 1, 100 do
    note(outer, acc) -- normal: it resumed us
    note(running(), acc) -- running
    yield()
  end
end)
watcher = create(function()
  for i = 1, 100 do
    resume(inner, watcher)
    note(inner, acc) -- suspended
    yield()
  end
end)
for i = 1, 101 do
  resume(watcher)
end
note(watcher, acc) -- dead
print("statuses", acc.normal, acc.running, acc.suspended, acc.dead)

-- running in a loop: nil in the main thread, the coroutine inside one
local mains = 0
for i = 1, 200 do
  if running() == nil then mains = mains + 1 end
end
local rco
rco = create(function()
  local n = 0
  for i = 1, 200 do
    if running() == rco then n = n + 1 end
  end
  return n
end)
print("running", mains, resume(rco))

-- short generator loops: a few instructions between the switches
local g = wrap(function() for i = 1, 600 do yield(i) end end)
local t = 0
for i = 1, 600 do t = t + g() end
print("short wrap", t)
local n2 = 0
for v in wrap(function() for i = 1, 600 do yield(i % 7) end end) do
  n2 = n2 + v
end
print("short for", n2)
local pco = create(function(a)
  while true do a = yield(a * 2) end
end)
local p = 0
for i = 1, 600 do
  local _, v = resume(pco, i)
  p = (p + v) % 100003
end
print("short pingpong", p, status(pco))
