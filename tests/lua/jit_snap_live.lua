-- Exits skip slots the interpreter writes before reading; slots captured
-- by closures stay stored (a metamethod reads them through upvalues).
local seen = {}
local x = 0
local obj = setmetatable({}, { __index = function(_, k) seen[#seen + 1] = x; return 1 end })
local s = 0
for i = 1, 60 do
  x = i
  s = s + obj.foo -- reads x through the closure's upvalue
  x = -1
end
print(s, #seen, seen[1], seen[30], seen[60])

-- Temporaries overwritten after a guard fails mid-iteration.
local vals = {}
for i = 1, 120 do vals[i] = (i % 40 == 0) and "s" .. i or i end
local acc, cnt = 0, 0
for i = 1, 120 do
  local v = vals[i]
  local t1 = i * 2
  if type(v) == "number" then
    acc = acc + v + t1
  else
    cnt = cnt + #v + t1
  end
  t1 = 0
end
print(acc, cnt)

-- A value kept only in a slot that a later branch reads.
local out = 0
for i = 1, 100 do
  local a, b = i, i * 3
  if i % 7 == 0 then out = out + b else out = out + a end
end
print(out)
