-- Trace stitching: a call of a native the JIT does not compile ends the
-- trace; the driver makes the call and the trace recorded after it goes
-- on. Results, errors, frames seen by the native and Lua code it calls
-- back must be as in the interpreter.

-- Natives in the loop's own frame (reverse: not compiled; match is).
local words = {}
for i = 1, 200 do words[i] = "w" .. (i % 17) .. "x" end
local n, total = 0, 0
for i = 1, #words do
  local s = words[i]
  local r = s:reverse()
  total = total + #r
  local d = s:match("%d+")
  n = n + tonumber(d)
end
print("base frame", n, total)

-- A native inside an inlined function, with the frame's line visible to
-- debug.getinfo (the inlined frame must exist for real during the call).
local function tag(s, i)
  local line = debug.getinfo(1, "l").currentline
  return (s:gsub("%a", string.upper)) .. i .. ":" .. line
end
local acc = {}
for i = 1, 100 do acc[#acc + 1] = tag("ab", i) end
print("inlined", acc[1], acc[50], acc[100])

-- A native calling back into Lua (sort with a comparator; gsub with a
-- function) from inside a compiled loop.
local sum = 0
for i = 1, 100 do
  local t = { i % 7, i % 5, i % 3, 9 }
  table.sort(t, function(a, b) return a > b end)
  sum = sum + t[1] * 1000 + t[4]
  local s = ("k1 k2 k3"):gsub("%d", function(c) return c + i end)
  sum = sum + #s
end
print("callbacks", sum)

-- Errors raised by the native: caught by pcall around it, with the
-- message and position the interpreter gives.
local msgs = {}
for i = 1, 60 do
  local ok, e = pcall(function()
    if i % 20 == 0 then return ("x"):rep(1, 2, 3) .. error("boom " .. i) end
    return (("abc"):gsub("b", string.upper))
  end)
  if not ok then msgs[#msgs + 1] = e end
end
print("errors", #msgs, msgs[1], msgs[3])

-- A bad pattern raised inside the stitched call itself.
local bad = 0
for i = 1, 50 do
  local ok, e = pcall(string.gsub, "abc", i % 10 == 0 and "[" or "b", "x")
  if not ok then bad = bad + 1 end
end
print("bad patterns", bad)

-- Numbers of results: a native wanted for 0, 1 and 3 results.
local r0, r3 = 0, 0
for i = 1, 100 do
  string.gsub("aaa", "a", string.upper)
  local a, b, c = ("x=1"):match("(%a)=(%d)")
  r3 = r3 + (tonumber(b) or 0) + (c == nil and 1 or 0)
  r0 = r0 + 1
end
print("results", r0, r3)

-- A hot loop inside the callback of a stitched native.
local deep = 0
for i = 1, 40 do
  local s = ("abc"):gsub("b", function(c)
    local k = 0
    for j = 1, 200 do k = k + j end
    return tostring(k)
  end)
  deep = deep + #s
end
print("nested loop", deep)

-- gmatch's iterator in a generic for: one capture or none is a helper
-- call in the trace (jit_gmatch.lua); two captures stitch the ITERC.
local text = ("alpha beta gamma delta "):rep(30)
local cnt, len = 0, 0
for w in text:gmatch("%a+") do
  cnt = cnt + 1
  len = len + #w
end
print("gmatch", cnt, len)
local kv = {}
for k, v in ("a=1, b=2, c=3, d=4"):rep(10):gmatch("(%w+)=(%w+)") do
  kv[#kv + 1] = k .. v
end
print("gmatch pairs", #kv, kv[1], kv[40])

-- A coroutine.wrap iterator (a native: stitched) whose body runs a
-- compiled numeric for loop: that Lua runs while the JIT is out of the
-- VM, and a JFORI must start its loop at the right value (Moses'
-- partition).
local function slice(arr, s, f)
  local r = {}
  for k = s, f do r[#r + 1] = arr[k] end
  return r
end
local arr = { 1, 2, 3, 4, 5, 6, 7 }
for _ = 1, 20 do slice(arr, 1, 7) end
local parts = {}
for round = 1, 4 do
  for v in coroutine.wrap(function()
    for i = 0, #arr, 3 do coroutine.yield(slice(arr, i + 1, i + 3)) end
  end) do
    parts[#parts + 1] = table.concat(v, ",")
  end
end
print("wrap iterator", #parts, parts[2], parts[3], parts[11], parts[12])
