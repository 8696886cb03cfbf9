-- Closures made in compiled loops and called inline are sunk (not
-- allocated on the trace's path); exits that need one make it: escaping
-- at a side exit, sharing an upvalue with a kept closure, held in two
-- slots at once (one object, not two).
local keep = {}
for i = 1, 100 do
  local f = function() return i end
  if i % 10 == 0 then keep[#keep + 1] = f end
end
local s = 0
for j = 1, #keep do s = s + keep[j]() end
print(#keep, s)
-- shared upvalue between a sunk and a kept closure
local out = {}
for i = 1, 60 do
  local n = i
  local inc = function() n = n + 1 end
  local get = function() return n end
  inc()
  if i % 7 == 0 then out[#out + 1] = get end
end
local t = 0
for j = 1, #out do t = t + out[j]() end
print(#out, t)
-- closure over outer variable, escaping at an exit
local acc = {}
for k = 1, 5 do
  for i = 1, 50 do
    local g = function(x) return x * k + i end
    if g(1) % 13 == 0 then acc[#acc + 1] = g end
  end
end
local u = 0
for j = 1, #acc do u = u + acc[j](2) end
print(#acc, u)
-- same closure stored in two slots, escapes at an exit: identity kept
local same = 0
for i = 1, 80 do
  local a = function() return i end
  local b = a
  if i % 9 == 0 then if rawequal(a, b) then same = same + 1 end end
end
print(same)
