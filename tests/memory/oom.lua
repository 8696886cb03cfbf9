-- Out of memory under a process limit (run by tests/memory.rs with
-- `ulimit -v`): each case must end in a catchable "not enough memory",
-- and the VM must work after it.
local mode = arg[1]
if mode == "loop" then
  local ok, e = pcall(function() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(200) .. i end end)
  print("loop", ok, e)
elseif mode == "co" then
  local co = coroutine.create(function() local t = {} for i = 1, 1e9 do t[i] = {i, i + 1, tostring(i)} end end)
  print("co", coroutine.resume(co))
elseif mode == "rep" then
  local ok, e = pcall(string.rep, ("x"):rep(1000), 1e6)
  print("rep", ok, e)
elseif mode == "concat" then
  local big = ("y"):rep(1000000)
  local t = {}
  for i = 1, 400 do t[i] = big end
  local ok, e = pcall(table.concat, t)
  print("concat", ok, e)
  local ok2, e2 = pcall(function() local s = big for i = 1, 1000 do s = s .. big end end)
  print("cat", ok2, e2)
elseif mode == "read" then
  -- Read buffers: /dev/zero has no end and no newline.
  local f = assert(io.open("/dev/zero"))
  for _, fmt in ipairs{"*a", "*l", "*L", 2^30} do
    print("read", fmt, pcall(f.read, f, fmt))
  end
  print("lines", pcall(function() for l in f:lines() do end end))
  print("still open", io.type(f), #f:read(10))
  f:close()
end
-- usable after
local s = 0
for i = 1, 1000 do s = s + #tostring(i) end
collectgarbage()
print("after", s)
