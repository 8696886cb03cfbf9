-- `return native(...)` in a function inlined into a compiled loop, where
-- the native is not compiled: the trace ends before the call, the JIT
-- makes it and returns its results to the caller, and the trace recorded
-- after it goes on in the caller.
local function fsub(str, pattern, repl)
  if str:find(pattern) then
    return str:gsub(pattern, repl)
  else
    return str
  end
end
local n, out = 0, {}
for i = 1, 300 do
  local s = fsub("a-b-" .. i, "%-", "+")
  n = n + #s
  if i % 100 == 0 then out[#out + 1] = s end
end
print("one result", n, table.concat(out, " "))

-- Both results wanted, two levels of inlined frames.
local function count(s) return s:gsub("%d", "#") end
local function outer(s) local r, k = count(s) return r, k + 1 end
local ks = 0
for i = 1, 300 do
  local r, k = outer("x" .. i * 7)
  ks = ks + k + #r
end
print("two results", ks)

-- next through a helper (pairs-like iteration over a table).
local function first(t, k) return next(t, k) end
local keys = 0
for i = 1, 300 do
  local t = { x = i }
  local k, v = first(t)
  keys = keys + v + #k
end
print("next", keys)

-- An error raised by the native: the same message as interpreted.
local function bad(x) return ("x"):rep(x) end
local errs = 0
for i = 1, 300 do
  local ok, e = pcall(function() return bad(i % 50 == 0 and {} or 2) end)
  if not ok then errs = errs + 1 last = e end
end
print("errors", errs, last)
