-- Closures over locals created in traces: open upvalues point at the
-- frame's stack slots (the trace keeps them in registers), UCLO, returns
-- and tail calls close them after storing the slots.
local fs = {}
for i = 1, 100 do
  local x = i * 2
  fs[i] = function() return x end
end
local s = 0
for i = 1, 100 do s = s + fs[i]() end
print(s)
-- closure modifies a local that the loop also uses
local total = 0
for i = 1, 200 do
  local acc = i
  local function add(k) acc = acc + k end
  add(1); add(2)
  total = total + acc
end
print(total)
-- counter generator
local function counter() local c = 0; return function() c = c + 1; return c end end
local cs = {}
for i = 1, 50 do cs[i] = counter() end
local t2 = 0
for r = 1, 3 do for i = 1, 50 do t2 = t2 + cs[i]() end end
print(t2)
-- upvalue shared between two closures, outer local
local shared = 0
local gets = {}
for i = 1, 100 do
  local function inc() shared = shared + i end
  inc()
  gets[#gets + 1] = function() return shared end
end
print(shared, gets[1](), gets[100]())
-- break out of a loop with captured locals
local out
for i = 1, 300 do
  local v = i
  local f = function() return v end
  if i == 250 then out = f; break end
end
print(out())

-- A closure made in an inlined call that returns it (its upvalue closes
-- on return), called later.
local function make(k)
  local m = k * 3
  return function(d) m = m + d; return m end
end
local made = {}
for i = 1, 200 do made[i] = make(i) end
local ms = 0
for i = 1, 200 do ms = ms + made[i](1) + made[i](2) end
print("made", ms)

-- Tail call from a frame with open upvalues.
local function sink(f) return f() end
local function tc(i)
  local y = i + 0.5
  local g = function() return y end
  return sink(g)
end
local ts = 0
for i = 1, 200 do ts = ts + tc(i) end
print("tail", ts)

-- while loop with a captured local modified after the closure is made.
local later = {}
local j = 0
while j < 200 do
  j = j + 1
  local z = j
  later[j] = function() return z end
  z = z * 10
end
print("while", later[1](), later[200](), later[77]())

-- Closures that capture the loop counter and a float.
local prs = {}
for i = 1, 120 do
  local f = i / 4
  prs[i] = function() return i + f end
end
local ps = 0
for i = 1, 120 do ps = ps + prs[i]() end
print("counter", ps)
