-- Hot loops over string buffers: the methods are natives the JIT does
-- not compile, so each loop's trace stitches their calls (-jv: "stitch
-- put" ...) and the continuation links back to the loop.
local buffer = require "string.buffer"

local b = buffer.new()
for i = 1, 300 do
  b:put(i, ";")
end
print(#b, b:get(12), #b)

local f = buffer.new()
local n = 0
for i = 1, 300 do
  f:putf("%03d|", i)
  if i % 4 == 0 then n = n + #f:get(10) end
end
print(n, #f, f:get(8))

local e, sum = buffer.new(), 0
for i = 1, 300 do
  local s = buffer.encode({i, k = "v" .. i})
  local t = e:set(s):decode()
  sum = sum + t[1] + #t.k
end
print(sum)

local r = buffer.new()
for i = 1, 200 do
  local p = r:reserve(4)
  p[0], p[1], p[2], p[3] = 65 + i % 26, 66, 67, 10
  r:commit(4)
end
print(#r, r:get(8))
