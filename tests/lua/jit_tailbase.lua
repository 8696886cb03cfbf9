-- Side traces that tail-call from their entry frame, or return a fast
-- function's result from it.

local function fin(s, n) return s * 2 + n end
local function walk(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return fin(s, n)
end
local t = {}
for i = 1, 100 do t[i] = i % 13 end
local acc = 0
for k = 1, 300 do acc = acc + walk(t, k % 40 + 1) end
print("tail", acc)

-- The tail-called function differs between calls.
local function fa(s) return s + 1 end
local function fb(s) return s - 1 end
local sel = fa
local function walk2(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return sel(s)
end
local acc2 = 0
for k = 1, 300 do
  if k == 200 then sel = fb end
  acc2 = acc2 + walk2(t, k % 30 + 1)
end
print("switch", acc2)

-- Tail call, then the callee loops and returns.
local function tailloop(s, n)
  for i = 1, n do s = s + i end
  return s
end
local function walk3(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return tailloop(s, n % 5)
end
local acc3 = 0
for k = 1, 300 do acc3 = acc3 + walk3(t, k % 20 + 1) end
print("tailloop", acc3)

-- Fast functions in tail position.
local function mx(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return math.floor(s / 3)
end
local function ty(t, n)
  local s = 0
  for i = 1, n do s = s + t[i] end
  return type(s)
end
local acc4, names = 0, {}
for k = 1, 300 do
  acc4 = acc4 + mx(t, k % 25 + 1)
  names[ty(t, k % 7 + 1)] = true
end
print("fast", acc4, names.number)

-- A closure over the frame's locals: its upvalues are open at the tail
-- call.
local keep = {}
local function walk4(t, n, cap)
  local s = 0
  if cap then keep[#keep + 1] = function() return s end end
  for i = 1, n do s = s + t[i] end
  return fin(s, n)
end
local acc5 = 0
for k = 1, 300 do acc5 = acc5 + walk4(t, k % 30 + 1, k % 9 == 0) end
local sk = 0
for _, f in ipairs(keep) do sk = sk + f() end
print("upval", acc5, #keep, sk)
