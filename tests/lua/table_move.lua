-- table.move (LuaJIT 2.1): raw copies, overlapping ranges both ways,
-- another destination table, empty ranges, the returned table.
local function show(t, n)
  local o = {}
  for i = 1, n do o[#o + 1] = tostring(t[i]) end
  return table.concat(o, ",")
end
print(show(table.move({ 1, 2, 3, 4, 5 }, 1, 3, 2), 6))
print(show(table.move({ 1, 2, 3, 4, 5 }, 2, 5, 1), 6))
print(show(table.move({ 1, 2, 3 }, 1, 3, 1, {}), 4))
print(show(table.move({ 1, 2, 3 }, 3, 1, 1, { 9 }), 4))
print(show(table.move({ 1, 2, 3 }, 1, 3, 3), 6))
local a = {}
print(table.move({}, 1, 0, 1, a) == a)
-- Raw: neither __index nor __newindex runs.
local p = setmetatable({}, { __index = function(_, k) return k * 10 end })
local q = table.move(p, 1, 3, 1, {})
print(q[1], q[2], rawget(q, 3))
local calls = 0
local r = setmetatable({}, { __newindex = function(t, k, v) calls = calls + 1 rawset(t, k, v) end })
table.move({ 1, 2 }, 1, 2, 1, r)
print(rawget(r, 1), rawget(r, 2), calls)
-- Hash keys and negative indices.
local h = table.move({ [-1] = "m", [0] = "z", [1] = "o" }, -1, 1, 10)
print(h[9], h[10], h[11], h[12])
print(pcall(table.move, 1, 1, 2, 3))
print(pcall(table.move, {}, 1, 2, 3, "x"))
for i = 1, 100 do
  local t = { i, i + 1, i + 2 }
  table.move(t, 1, 3, 2)
  if t[4] ~= i + 2 then print("bad", i) end
end
print("done")
