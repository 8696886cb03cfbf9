-- ffi.gc: finalizers run when the cdata is collected, can be removed with
-- ffi.gc(cd, nil), run once, and may be Lua functions or C functions.
local ffi = require "ffi"
ffi.cdef [[
void *malloc(size_t size);
void free(void *ptr);
struct res { int id; };
]]

local log = {}
local function fin(p) log[#log + 1] = "fin " .. p.id end

do
  local r = ffi.gc(ffi.new("struct res", 1), fin)
  print("gc returns its argument", ffi.istype("struct res", r), r.id)
end
collectgarbage(); collectgarbage()
print(table.concat(log, ","))

-- removing the finalizer
log = {}
do
  local r = ffi.gc(ffi.new("struct res", 2), fin)
  ffi.gc(r, nil)
end
collectgarbage(); collectgarbage()
print("after removal", #log)

-- replacing the finalizer
do
  local r = ffi.gc(ffi.new("struct res", 3), fin)
  ffi.gc(r, function(p) log[#log + 1] = "second " .. p.id end)
end
collectgarbage(); collectgarbage()
print(table.concat(log, ","))

-- many objects, each finalized exactly once
log = {}
local count = 0
for i = 1, 100 do
  ffi.gc(ffi.new("struct res", i), function(p) count = count + 1 end)
end
collectgarbage(); collectgarbage()
print("finalized", count)
collectgarbage()
print("still", count)

-- a live reference keeps the object
local keep = ffi.gc(ffi.new("struct res", 7), fin)
collectgarbage(); collectgarbage()
print("kept", #log, keep.id)
keep = nil
collectgarbage(); collectgarbage()
print(table.concat(log, ","))

-- a C function as finalizer: malloc'd memory freed by free
local freed = 0
do
  local p = ffi.gc(ffi.C.malloc(64), ffi.C.free)
  ffi.fill(p, 64, 0)
  print("malloc", p ~= nil)
end
collectgarbage(); collectgarbage()
print("free ran without crashing")

-- finalizers run at exit (lua_close) too
ffi.gc(ffi.new("struct res", 99), function() print("finalizer at close") end)
