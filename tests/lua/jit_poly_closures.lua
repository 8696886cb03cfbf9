-- Calls to many closures of one prototype: traces guard the prototype
-- and read upvalues and the environment from the closure called.
local function apply(f, x) return f(x) end

-- closures made in the loop, called at once (open upvalues of the loop)
local s = 0
for i = 1, 300 do
  local k = i % 7
  s = s + apply(function(x) return x * k + 1 end, i)
end
print("made in loop", s)

-- closures made outside, closed upvalues, called polymorphically
local fs = {}
for j = 1, 20 do fs[j] = function(x) return x * j + 1 end end
s = 0
for i = 1, 400 do s = s + fs[i % 20 + 1](i) end
print("closed upvalues", s)

-- a shared open upvalue (a local of this frame) and per-closure ones
local shared = 0
local gs = {}
for j = 1, 10 do
  gs[j] = function(x) shared = shared + 1; return x + j + shared end
end
s = 0
for i = 1, 300 do
  shared = shared + 2
  s = s + gs[i % 10 + 1](i)
end
print("shared open upvalue", s, shared)

-- upvalue writes through different closures (counters)
local counters = {}
for j = 1, 8 do
  local n = j * 100
  counters[j] = function() n = n + 1; return n end
end
s = 0
for i = 1, 400 do s = s + counters[i % 8 + 1]() end
local tail = {}
for j = 1, 8 do tail[j] = counters[j]() end
print("counters", s, table.concat(tail, " "))

-- closures with different environments (setfenv)
local function mk(j) return function(x) return x + (bonus or 0) + j end end
local hs = {}
for j = 1, 6 do
  hs[j] = mk(j)
  if j % 2 == 0 then setfenv(hs[j], { bonus = 1000 }) end
end
bonus = 5
s = 0
for i = 1, 300 do s = s + apply(hs[i % 6 + 1], i) end
print("environments", s)

-- methods of objects sharing one prototype of closure per object
local function new_obj(w)
  local self = {}
  function self.get(x) return x * w end
  return self
end
local objs = {}
for j = 1, 12 do objs[j] = new_obj(j) end
s = 0
for i = 1, 400 do s = s + objs[i % 12 + 1].get(i) end
print("object methods", s)

-- closures made in the trace, escaping and called later (closed then)
local later = {}
for i = 1, 200 do
  local v = i * 3
  later[i] = function() return v end
  v = v + 1
end
s = 0
for i = 1, 200 do s = s + later[i]() end
print("escaped", s)

-- closures of one prototype that create closures (parent upvalues)
local function outer(j)
  return function(x) return function() return x + j end end
end
local os_ = {}
for j = 1, 9 do os_[j] = outer(j) end
s = 0
for i = 1, 300 do s = s + os_[i % 9 + 1](i)() end
print("nested", s)
