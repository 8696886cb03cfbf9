-- `next` called directly (not as a generic-for iterator) in compiled
-- code: as a fast function, in a while loop, in a pcall'd tail call
-- (Penlight's "safe" pairs), at the end of a table, with keys of several
-- types, and with a key that is not in the table (the error).

-- Penlight's pairs: `return next(t, k)` in a function that pcall calls.
local function safe_pairs(t)
  local k, v, ok
  local getter = function() return next(t, k) end
  return function()
    ok, k, v = pcall(getter)
    if not ok then return end
    return k, v
  end
end

local s, c = 0, 0
for i = 1, 300 do
  local t = { a = i, b = 2, c = 3, [1] = 4 }
  for k, v in safe_pairs(t) do
    c = c + 1
    if type(v) == "number" then s = s + v end
  end
end
print("safe_pairs", s, c)

-- A while loop over next, counting keys and summing numbers.
local function count(t)
  local n, sum = 0, 0
  local k, v = next(t)
  while k ~= nil do
    n = n + 1
    if type(v) == "number" then sum = sum + v end
    k, v = next(t, k)
  end
  return n, sum
end
local tn, ts = 0, 0
for i = 1, 200 do
  local t = { x = i, y = "s", [true] = 1, [i] = 2 }
  if i % 3 == 0 then t[{}] = 5 end
  local n, sum = count(t)
  tn, ts = tn + n, ts + sum
end
print("count", tn, ts)

-- Emptiness tests: `next(t) == nil`.
local empty = 0
for i = 1, 200 do
  local t = {}
  if i % 2 == 0 then t.k = i end
  if next(t) == nil then empty = empty + 1 end
end
print("empty", empty)

-- Overwriting existing fields while traversing is allowed.
local t = {}
for i = 1, 50 do t["k" .. i] = i end
for i = 1, 100 do
  local k = next(t)
  while k do
    t[k] = t[k] + 1
    k = next(t, k)
  end
end
local total = 0
for _, v in pairs(t) do total = total + v end
print("overwrite", total)

-- A key that is not in the table: next raises an error.
local errs = 0
for i = 1, 100 do
  local ok, e = pcall(next, { a = 1 }, i % 10 == 0 and "zz" or nil)
  if not ok then errs = errs + 1 end
end
print("errors", errs)
