-- A native the trace does not compile, called for all its results (the
-- last argument of a call, a return, a table constructor): the trace ends
-- before it, the JIT makes the call, and the trace recorded after it
-- starts at the consumer with as many values; a different count goes
-- through the interpreter.
package.preload["shape"] = function() return { __index = { kind = "shape" } } end
local n, kinds = 0, 0
for i = 1, 300 do
  local v = "$" .. i
  n = n + tonumber(v:match("^%$(%d+)"))
  local t = setmetatable({}, require("shape"))
  if t.kind == "shape" then kinds = kinds + 1 end
end
print("match/require", n, kinds)

-- The count changes: gsub's two results, then a pattern with 1 or 2
-- captures.
local function count(...) return select("#", ...) end
local c, parts = 0, {}
for i = 1, 300 do
  c = c + count(("a-b-c"):gsub("-", "+"))
  local pat = i % 3 == 0 and "(%d)(%d)" or "(%d)"
  c = c + count(("x" .. i * 11):match(pat))
  if i % 100 == 0 then parts[#parts + 1] = table.concat({ ("k" .. i):match("(%a)(%d+)") }, ":") end
end
print("counts", c, table.concat(parts, " "))

-- Returned from an inlined function (RETM).
local function caps(s) return s:match("(%w+)=(%w+)") end
local kv = 0
for i = 1, 300 do
  local k, v = caps("key" .. i .. "=v" .. i)
  kv = kv + #k + #v
end
print("returned", kv)
