local ffi = require("ffi")
local function show(id)
  local ok, t = pcall(ffi.typeinfo, id)
  if not ok then print(id, "ERR", t) return end
  if type(id) ~= "number" then id = type(id) end
  if not t then print(id, nil) return end
  local keys = {}
  for k in pairs(t) do keys[#keys+1] = k end
  table.sort(keys)
  local out = {}
  for _, k in ipairs(keys) do out[#out+1] = k .. "=" .. (type(t[k]) == "number" and string.format("0x%x", t[k]) or tostring(t[k])) end
  print(id, table.concat(out, " "))
end
-- ffi.typeinfo (LuaJIT 2.1): the C type table's entries for scalars,
-- pointers, arrays and complex types; tonumber of a ctype is its id.
for i = 0, 20 do show(i) end
for _, t in ipairs{"int *", "int[4]", "const int *", "int *const", "double[?]", "volatile int", "int &", "char[]", "uint8_t[3][2]", "complex float *", "bool[2]", "int64_t *const volatile"} do
  local id = tonumber(ffi.typeof(t)); io.write(t, " "); show(id)
end
print(select("#", ffi.typeinfo(0)), select("#", ffi.typeinfo(1e7)), select("#", ffi.typeinfo(-1)))
print(pcall(ffi.typeinfo, "x"))
print(pcall(ffi.typeinfo))
print(pcall(ffi.typeinfo, {}))
show(9.7)
show(ffi.new("int", 9))
print(tonumber(ffi.typeof("int")), tonumber(ffi.typeof("double")), tonumber(ffi.typeof("complex")))
