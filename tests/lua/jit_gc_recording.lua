-- Objects a recording refers to must survive collections that run while
-- the recorded code runs: here every allocation collects, and the closure
-- called (inlined) in the recorded iteration is garbage before the
-- recording ends. The finished trace must not root a freed closure.
local ballast = string.rep("x", 400000)
collectgarbage("setpause", 100)
collectgarbage()
local src = [[
local acc = 0
for i = 1, 40 do
  acc = acc + (function(x) return x + i end)(1)
  local t = { i, i + 1, "s" .. i }
  acc = acc + t[2]
end
return acc
]]
local total = 0
for k = 1, 60 do
  total = total + assert(loadstring(src, "=loop" .. k))()
  local junk = {}
  for j = 1, k % 7 + 1 do junk[j] = { j, tostring(j) .. k } end
end
print(total)
collectgarbage()
print(#ballast)
