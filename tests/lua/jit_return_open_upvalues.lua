-- Functions that return while closures still hold their locals (open
-- upvalues): the values the closures see after the return are the last
-- ones the function gave those locals, compiled or not.
local function counter(start, n)
  local c = start
  local function get() return c end
  for i = 1, n do
    c = c + i          -- the trace keeps c in a register
  end
  return get           -- return with an open upvalue on c
end

local sum = 0
for k = 1, 300 do
  local g = counter(k, 5 + k % 7)
  sum = sum + g()
end
print(sum)

-- Two closures sharing one local, one of them changing it after the
-- return; a local captured before the loop that the loop reassigns.
local function pair(x)
  local v = x
  local get = function() return v end
  local add = function(d) v = v + d end
  local t = {}
  for i = 1, 4 do t[i] = i * x; v = v + t[i] end
  return get, add
end

local acc = 0
for k = 1, 300 do
  local get, add = pair(k)
  add(k)
  acc = acc + get()
end
print(acc)

-- The closure made before the function is called (upvalue opened by the
-- interpreter) and the returning function a trace's side path.
local function maybe(flag, n)
  local a, b = n, n * 2
  local f = function() return a + b end
  if flag then
    for i = 1, 3 do a = a + i end
  else
    for i = 1, 3 do b = b - i end
  end
  return f
end
local tot = 0
for k = 1, 400 do
  tot = tot + maybe(k % 3 == 0, k)()
end
print(tot)
