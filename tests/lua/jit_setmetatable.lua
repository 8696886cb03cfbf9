-- setmetatable in compiled loops on tables that already have a
-- metatable (Penlight's makelist, class re-tagging), with the
-- `__metatable` protection respected as interpreted.
local A = { __index = { kind = function() return "A" end } }
local B = { __index = { kind = function() return "B" end } }
local n = 0
local objs = {}
for i = 1, 300 do
  local t = setmetatable({ v = i }, A)
  if i % 3 == 0 then setmetatable(t, B) end
  if i % 7 == 0 then setmetatable(t, nil) end
  n = n + (getmetatable(t) and #t:kind() or 0) + t.v
  objs[#objs + 1] = t
end
print("retag", n)

-- One object's metatable changed many times.
local o = setmetatable({}, A)
local seq = {}
for i = 1, 300 do
  setmetatable(o, i % 2 == 0 and A or B)
  if i % 50 == 0 then seq[#seq + 1] = o:kind() end
end
print("flip", table.concat(seq))

-- A protected metatable: the change fails as interpreted, from a point
-- in the loop the trace has compiled.
local P = { __metatable = "locked", __index = { kind = function() return "P" end } }
local errs, last = 0, nil
for i = 1, 300 do
  local t = setmetatable({}, i > 200 and P or A)
  local ok, e = pcall(function() return setmetatable(t, B) end)
  if not ok then errs = errs + 1 last = e end
end
print("protected", errs, last)

-- The protection added to a metatable after the trace was made.
local C = { __index = { kind = function() return "C" end } }
local fails = 0
for i = 1, 300 do
  if i == 150 then C.__metatable = false end
  local t = setmetatable({}, C)
  local ok = pcall(function() return setmetatable(t, A) end)
  if not ok then fails = fails + 1 end
end
print("late protection", fails)
