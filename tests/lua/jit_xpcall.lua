-- xpcall of a Lua function inside compiled loops: inlined as a protected
-- frame (true, then the results); an error met after an exit unwinds to
-- the rebuilt xpcall frame, whose handler rewrites the message; results
-- as MULTRES, nested protected calls, no arguments, a handler that errs.
local function add(a, b) return a + b end
local function two(a) return a, a * 2 end
local function maybe(i)
  if i % 7 == 0 then error("bad " .. i, 0) end
  if i % 11 == 0 then error({ code = i }) end
  return i
end
local function handler(e)
  if type(e) == "table" then return "t" .. e.code end
  return "h:" .. e
end
local s, n, hs = 0, 0, {}
for i = 1, 300 do
  local ok, v = xpcall(add, handler, i, 1)
  if ok then s = s + v end
  local ok2, x, y = xpcall(two, handler, i)
  s = s + x + y
  local ok3, r = xpcall(maybe, handler, i)
  if ok3 then s = s + r else n = n + 1; hs[#hs + 1] = r end
end
print(s, n, hs[1], hs[2], hs[#hs])
-- All results, nested in pcall, and with no arguments.
local t = {}
local function none() return 7 end
for i = 1, 100 do
  t[#t + 1] = select("#", xpcall(two, handler, i))
  local ok, inner_ok, v = pcall(xpcall, add, handler, i, i)
  if not (ok and inner_ok and v == 2 * i) then t[#t + 1] = "x" end
  local ok4, w = xpcall(none, handler)
  if w ~= 7 then t[#t + 1] = "y" end
end
print(#t, t[1], t[100])
-- A handler that itself fails, and a handler changing between calls.
local function bad_handler(e) error("again") end
local c = 0
for i = 1, 50 do
  local ok, e = xpcall(maybe, i % 2 == 0 and handler or tostring, i)
  if not ok then c = c + #tostring(e) end
  local ok5 = xpcall(maybe, bad_handler, i)
  if not ok5 then c = c + 1 end
end
print(c)
-- An xpcall frame holds an upvalue of its caller's loop (closed on exit).
local fs = {}
for i = 1, 40 do
  local ok, f = xpcall(function(k) return function() return k + i end end, handler, i)
  fs[#fs + 1] = f
end
print(fs[1](), fs[40]())
