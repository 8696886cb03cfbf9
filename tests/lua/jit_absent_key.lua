-- Lookups of constant string keys that a table lacks (methods reached
-- through __index), then has: compiled code must see keys added later,
-- removed, and tables of every size.
local C = {}
C.__index = C
function C:get() return self.v end
function C.other() return -1 end

local objs = {}
for i = 1, 12 do
  local o = setmetatable({ v = i }, C)
  -- Objects of several sizes (small and indexed hash parts).
  for j = 1, i do o["f" .. j] = j end
  objs[i] = o
end

local s = 0
for n = 1, 600 do
  local o = objs[n % 12 + 1]
  s = s + o:get()
  if n == 300 then
    -- Shadow the method in some objects: the lookup must find it now.
    objs[3].get = C.other
    objs[11].get = C.other
  end
  if n == 450 then
    objs[3].get = nil
  end
end
print(s)

-- A plain field that is absent, then present, then absent again.
local t = { a = 1 }
local acc = 0
for i = 1, 300 do
  local x = t.b
  if x then acc = acc + x else acc = acc + 1000 end
  if i == 100 then t.b = 7 end
  if i == 200 then t.b = nil end
end
print(acc)

-- Many keys, the one looked up among them or not.
local big = {}
for i = 1, 40 do big["k" .. i] = i end
local hits = 0
for i = 1, 200 do
  if big.k17 then hits = hits + big.k17 end
  if big.missing then hits = hits + 1e6 end
  if i == 150 then big.missing = true end
end
print(hits)
