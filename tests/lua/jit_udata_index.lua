-- Indexing userdata through its metatable's __index table in compiled
-- code: file handle methods (`f:write`, `f:read`, `f:seek`, `f:close`)
-- in loops; the method lookups are traced, the calls stitched.
local name = os.tmpname()

local f = assert(io.open(name, "wb"))
for i = 1, 300 do
  f:write(i, " ", i * i, "\n")
end
print(f:seek("cur"))
f:close()

local total, lines = 0, 0
for i = 1, 60 do
  local g = assert(io.open(name, "rb"))
  local s = g:read("*a")
  total = total + #s
  g:seek("set", i)
  local l = g:read("*l")
  lines = lines + #l
  g:close()
end
print(total, lines)

-- A method that is not there: nil, then the call errors.
local errs = 0
local h = assert(io.open(name, "rb"))
for i = 1, 50 do
  local m = h.nosuchmethod
  if m == nil then errs = errs + 1 end
  if i % 10 == 0 then
    local ok = pcall(function() return h:nosuchmethod() end)
    if not ok then errs = errs + 1 end
  end
end
h:close()
print(errs)

-- Userdata and strings mixed at one site: both index their __index.
local objs = { io.stdout, "abc", io.stderr, "xyz" }
local kinds = {}
for i = 1, 80 do
  local o = objs[i % 4 + 1]
  local m = o.len or o.write
  kinds[#kinds + 1] = type(m)
end
print(#kinds, kinds[1], kinds[2])
os.remove(name)
