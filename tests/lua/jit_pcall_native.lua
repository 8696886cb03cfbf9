-- pcall of a native in a compiled loop: the trace ends before the pcall,
-- the JIT makes it (errors caught as interpreted), and the trace recorded
-- after it goes on; in a coroutine the interpreter makes it.
local ok_n, err_n, last = 0, 0, nil
for i = 1, 300 do
  local ok, v = pcall(string.rep, "ab", i % 10 == 0 and {} or 2)
  if ok then ok_n = ok_n + #v else err_n = err_n + 1 last = v end
end
print("rep", ok_n, err_n, last)

local loaded = 0
for i = 1, 300 do
  local ok, m = pcall(require, i % 2 == 0 and "string" or "no.such.module")
  if ok and m == string then loaded = loaded + 1 end
end
print("require", loaded)

local A = {}
local set = 0
for i = 1, 300 do
  local t = {}
  local ok = pcall(setmetatable, t, i % 3 == 0 and 5 or A)
  if ok and getmetatable(t) == A then set = set + 1 end
end
print("setmetatable", set)

local co = coroutine.wrap(function()
  local s = 0
  for i = 1, 300 do
    local ok, v = pcall(tostring, i)
    s = s + #v
    if i % 100 == 0 then coroutine.yield(s) end
  end
  return -1
end)
print("coroutine", co(), co(), co(), co())

-- pcall of coroutine.yield itself stays interpreted (it yields).
local co2 = coroutine.wrap(function()
  local n = 0
  for i = 1, 300 do
    local ok, v = pcall(coroutine.yield, i)
    n = n + (v or 0)
  end
  return n
end)
local r
for i = 1, 301 do r = co2(1) end
print("yield", r)
