-- reference-fails: hot
-- A Lua error raised by C (luaL_error) called through the FFI is not a VM
-- entry: it unwinds through the C frame to the nearest pcall in every
-- mode, also out of a compiled trace (from i = 150 on), and the same loop
-- works again afterwards.
local T = dofile("sandwich_common.lua")
local lib = T.lib
lib.sw_set_threshold(150)
local function loop()
  local acc = 0
  for i = 1, 200 do acc = acc + lib.sw_error(i) end
  return acc
end
for round = 1, 2 do
  local ok, e = pcall(loop)
  print(round, ok, (tostring(e):gsub("^[^:]*:%d+: ", "")))
end
lib.sw_set_threshold(1000)
print("no error", loop())
