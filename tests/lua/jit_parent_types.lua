-- Side traces load the slots their parent's exit wrote (or checked)
-- without type checks: values of every kind cross the exit, and the side
-- trace's results must be the interpreter's.
local t = {1, 2, 3}
local s, n, f, b, z = "a", 0, print, true, nil
local acc, cnt = 0, 0
for i = 1, 300 do
  local x = i * 0.5
  local name = s .. "b"
  local tab = t
  if i % 3 == 0 then
    -- (side trace: reads x, name, tab, b, z and the loop's own slots)
    acc = acc + x + #name + tab[2]
    if b and z == nil then cnt = cnt + 1 end
  elseif i % 5 == 0 then
    acc = acc - #tab + (f == print and 1 or 0)
  end
  n = n + 1
end
print(acc, cnt, n)

-- A side trace that returns to the caller of the loop's function and
-- reads that frame's slots there (the base moves: not the parent's).
local function inner(k)
  local r = 0
  for j = 1, k do
    if j % 4 == 0 then r = r + j else r = r - 1 end
  end
  return r
end
local out = {}
for i = 1, 60 do
  local tag = (i % 2 == 0) and "even" or 7
  out[#out + 1] = inner(i % 9) .. ":" .. tostring(tag)
end
print(table.concat(out, ",", 1, 12), #out)

-- Slot types that change between iterations, seen by side traces.
local v = 0
local log = {}
for i = 1, 200 do
  if i % 7 == 0 then v = "s" .. i elseif i % 11 == 0 then v = {i} else v = i end
  local k = type(v)
  if k == "string" then log[#log + 1] = v
  elseif k == "table" then log[#log + 1] = v[1] end
end
print(#log, log[1], log[2], log[#log])
