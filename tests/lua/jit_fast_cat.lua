-- CAT of strings and numbers in traces.
local acc = {}
for i = 1, 100 do
  acc[#acc + 1] = "n" .. i .. "=" .. i / 4 .. "," .. -i .. ";" .. i * 1e15 .. "/" .. 0.1 * i
end
print(acc[1], acc[3], acc[50], acc[99])
print(#table.concat(acc))

local s = ""
for i = 1, 300 do
  s = s .. (i % 10)
end
print(#s, s:sub(1, 30))

local special = {1 / 0, -1 / 0, 0 / 0, -0.0, 2 ^ 53, 1e300, 1e-300, 123456789012345}
local o = {}
for i = 1, 40 do
  o[#o + 1] = "[" .. special[i % #special + 1] .. "]"
end
print(table.concat(o))

-- metamethods: the interpreter handles them
local mt = {__concat = function(a, b)
  local x = type(a) == "table" and a.v or a
  local y = type(b) == "table" and b.v or b
  return x .. "+" .. y
end}
local objs = {}
for i = 1, 30 do
  local v = (i % 3 == 0) and setmetatable({v = i}, mt) or i
  objs[#objs + 1] = "<" .. v .. ">"
end
print(table.concat(objs, " "))

-- errors keep their messages
for i = 1, 5 do
  local ok, e = pcall(function(x) return "a" .. x end, i < 4 and i or nil)
  print(ok, (tostring(e):gsub("^[^:]*:%d+: ", "")))
end

-- concatenation results used as keys and compared
local count = 0
local seen = {}
for i = 1, 200 do
  local k = "k" .. (i % 17)
  if seen[k] then count = count + 1 end
  seen[k] = true
  if k == "k3" then count = count + 100 end
end
print(count)
