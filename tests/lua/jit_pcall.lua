-- pcall of a Lua function inside compiled loops: the protected call is
-- inlined (true, then the results); an error met after an exit unwinds to
-- the rebuilt protected frame; multiple results, results as MULTRES,
-- nested protected calls, errors every few iterations (side traces).
local function add(a, b) return a + b end
local function two(a) return a, a * 2 end
local function maybe(i)
  if i % 7 == 0 then error("bad " .. i, 0) end
  if i % 11 == 0 then error({ code = i }) end
  return i
end
local s, n = 0, 0
for i = 1, 300 do
  local ok, v = pcall(add, i, 1)
  if ok then s = s + v end
  local ok2, x, y = pcall(two, i)
  s = s + x + y
  local ok3, r = pcall(maybe, i)
  if ok3 then s = s + r
  elseif type(r) == "table" then n = n + r.code
  else n = n + #r end
end
print(s, n)
local t = {}
for i = 1, 100 do
  t[#t + 1] = select("#", pcall(two, i))
end
for i = 1, 100 do
  local ok, inner_ok, v = pcall(pcall, add, i, i)
  if not (ok and inner_ok and v == 2 * i) then t[#t + 1] = "x" end
end
print(#t, t[1], t[100])
-- The error value and the protected call's own result slot.
local msgs = {}
for i = 1, 60 do
  local ok, e = pcall(maybe, i)
  if not ok then msgs[#msgs + 1] = type(e) == "table" and ("t" .. e.code) or e:gsub("^.-: ", "") end
end
print(#msgs, msgs[1], msgs[2], msgs[#msgs])
