-- Closure creation in traces (closures over upvalues only).
local k = 10
local fs = {}
local function maker()
  local made = {}
  for i = 1, 200 do
    made[i] = function(x) return x + k end
  end
  return made
end
fs = maker()
local s = 0
for i = 1, 200 do s = s + fs[i](i) end
print(s, fs[1] ~= fs[2])
k = 20
print(fs[3](1), fs[200](1))

-- Closures made and called in the same loop; upvalue changed mid-loop.
local function outer()
  local step = 1
  return function()
    local acc = 0
    for i = 1, 300 do
      if i == 150 then step = 3 end
      local f = function() return step end
      acc = acc + f()
    end
    return acc
  end
end
print(outer()())

-- Many closures: collections run in between.
local function many()
  local keep = {}
  for i = 1, 20000 do
    local f = function() return k end
    if i % 1000 == 0 then keep[#keep + 1] = f end
  end
  return keep
end
local keep = many()
collectgarbage()
local t = 0
for i = 1, #keep do t = t + keep[i]() end
print(#keep, t)
