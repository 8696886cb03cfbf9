-- Method lookups (`o:m()`, a key the object lacks, found through its
-- metatable) in loops that store other fields of the object: the JIT
-- reads the method once (a store into another key's entry changes no
-- lookup), and again when the loop stores the method's own key or adds
-- keys. Results are the interpreter's.

local C = {}
C.__index = C
function C.step(self, x) self.n = self.n + x; return self.n end
function C.other(self, x) self.n = self.n - x; return -self.n end

local function plain(o, k)
  local s = 0
  for i = 1, k do
    s = s + o:step(i)
    o.last = i
  end
  return s
end
for _ = 1, 5 do
  print("plain", plain(setmetatable({ n = 0, last = 0 }, C), 40))
end

-- The object gets its own `step` half-way (a new key: the lookup changes).
local function shadow(o, k)
  local s = 0
  for i = 1, k do
    s = s + o:step(i)
    if i == k / 2 then o.step = C.other end
  end
  return s
end
for _ = 1, 5 do
  print("shadow", shadow(setmetatable({ n = 0 }, C), 40))
end

-- The object has its own `step` entry and the loop replaces it (a store
-- into the looked-up key's entry).
local function replace(o, k)
  local s = 0
  for i = 1, k do
    s = s + o:step(i)
    o.step = (i % 3 == 0) and C.other or C.step
    o.n = o.n + 1
  end
  return s
end
for _ = 1, 5 do
  print("replace", replace(setmetatable({ n = 0, step = C.step }, C), 40))
end

-- The metatable's method itself is replaced during the loop.
local function meta(o, k)
  local s = 0
  for i = 1, k do
    s = s + o:step(i)
    o.n = o.n * 0.5
    if i == 30 then C.step, C.other = C.other, C.step end
  end
  C.step, C.other = C.other, C.step
  return s
end
for _ = 1, 5 do
  print("meta", meta(setmetatable({ n = 1 }, C), 40))
end
