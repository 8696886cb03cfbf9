local out = {}
for i = 1, 20 do
  if i == 10 then debug.setmetatable(0, {__tostring = function(n) return "N" end}) end
  out[#out + 1] = tostring(i) .. string.format("%s", i)
end
print(table.concat(out, ","))
debug.setmetatable(0, nil)
local r = {}
local smt = getmetatable("")
for i = 1, 20 do
  if i == 10 then smt.__index = {sub = function() return "X" end} end
  r[#r + 1] = ("abc"):sub(1, 1)
end
print(table.concat(r))
smt.__index = string

-- tail calls and all-results calls of allocating fast functions
local function tail(s, i) return string.sub(s, i, i + 1) end
local function tailcat(i) return tostring(i) end
local acc = {}
for i = 1, 3000 do
  local x = tail("abcdefgh", i % 8) .. tailcat(i)
  if i % 500 == 0 then acc[#acc + 1] = x end
end
print(table.concat(acc, " "))
local m = {}
for i = 1, 30 do
  m[#m + 1] = select("#", string.byte("xyz", i % 4)) .. select("#", string.sub("xyz", i % 4)) .. #{tostring(i), string.char(70 + i % 10)}
end
print(table.concat(m))
