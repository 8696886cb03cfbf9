-- Closures over loop variables made inside compiled loops: each closure
-- must capture its own iteration's value, also after the loop is peeled
-- (the variable is carried in a register there, the stack slot is stale).
local src = {}
for i = 1, 40 do src[i] = string.char(64 + i) end

local fs = {}
for _, v in ipairs(src) do fs[#fs + 1] = function() return v end end
local out = {}
for i = 1, #fs do out[i] = fs[i]() end
print("ipairs", table.concat(out))

fs = {}
for i = 1, 40 do fs[i] = function() return i * 2 end end
local s = 0
for i = 1, #fs do s = s + fs[i]() end
print("numeric for", s)

fs = {}
local keys = {}
for k, v in pairs({ a = 1, b = 2, c = 3, d = 4, e = 5 }) do
  fs[#fs + 1] = function() return k .. v end
end
for i = 1, #fs do keys[i] = fs[i]() end
table.sort(keys)
print("pairs", table.concat(keys, ","))

fs = {}
local j = 0
while j < 40 do
  j = j + 1
  local k = j * 3
  fs[j] = function() k = k + 1; return k end
end
s = 0
for i = 1, #fs do s = s + fs[i]() + fs[i]() end
print("while locals", s)

-- the captured value changed by the loop body after capture
fs = {}
for _, v in ipairs(src) do
  local w = v
  fs[#fs + 1] = function() return w end
  w = w:lower()
end
out = {}
for i = 1, #fs do out[i] = fs[i]() end
print("changed after capture", table.concat(out))
