-- Out of memory under a process limit (run by tests/memory.rs with
-- `ulimit -v`, or with `-M`): each case must end in a catchable "not
-- enough memory" (or "stack overflow" for recursion), and the VM must work
-- after it.
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
elseif mode == "table" then
  -- Array part, hash part and table.insert growing one table each: the
  -- growth is checked (the table is kept as it was), not the collector.
  local t = {}
  local ok, e = pcall(function() for i = 1, 1e9 do t[i] = i end end)
  print("array", ok, e, #t > 1000, t[#t] == #t)
  t = nil
  local h = {}
  local ok2, e2 = pcall(function() for i = 1, 1e9 do h[i + 0.5] = true end end)
  print("hash", ok2, e2, h[1.5], h[2.5])
  h = nil
  local ok3, e3 = pcall(function() local u = {} for i = 1, 1e9 do table.insert(u, i) end end)
  print("insert", ok3, e3)
elseif mode == "format" then
  local big = ("f"):rep(2 ^ 24)
  local ok, e = pcall(string.format, ("%s"):rep(8), big, big, big, big, big, big, big, big)
  print("format", ok, e)
  local ok2, e2 = pcall(function() local s = big for i = 1, 100 do s = ("%s%s"):format(s, big) end end)
  print("format2", ok2, e2, #string.format("%5s|%-3d", "ab", 7))
elseif mode == "buffer" then
  local buffer = require("string.buffer")
  local big = ("b"):rep(2 ^ 22)
  local b = buffer.new()
  local ok, e = pcall(function() for i = 1, 1e9 do b:put(big) end end)
  print("buffer", ok, e)
  b:reset()
  local ok2, e2 = pcall(function() for i = 1, 1e9 do b:putf("%s%d", big, i) end end)
  print("putf", ok2, e2)
  b:free()
  local c = buffer.new():put("a", 1, "b")
  print("buffer after", c:tostring())
elseif mode == "gsub" then
  local ok, e = pcall(string.gsub, ("x"):rep(1e4), "x", ("y"):rep(1e5))
  print("gsub", ok, e)
  local big = ("z"):rep(1e5)
  local ok2, e2 = pcall(string.gsub, ("x"):rep(1e4), "x", function() return big end)
  print("gsubf", ok2, e2, (("abc"):gsub("b", "%0%0")))
elseif mode == "deep" or mode == "costack" then
  local function f(n) return 1 + f(n + 1) end
  if mode == "deep" then
    local ok, e = pcall(f, 1)
    print("deep", ok, e:match("stack overflow") or e:match("not enough memory"))
  else
    -- A coroutine whose stack grows: its resume returns the error (the
    -- dead coroutine keeps its stack while it is reachable).
    local co = coroutine.create(function(...) return f(...) end)
    local ok, e = coroutine.resume(co, 1)
    print("costack", ok, e:match("stack overflow") or e:match("not enough memory"))
  end
  local function g(n) if n == 0 then return 0 end return 1 + g(n - 1) end
  print("deep after", g(1000), coroutine.wrap(function() return g(1000) end)())
elseif mode == "load" then
  -- A huge generated chunk: statements (code), then a constructor
  -- (a template table).
  local src = ("do local a = x + 1 x = {a, a} end\n"):rep(4e5)
  local f, e = load(src)
  print("load", f, e)
  src = nil
  local src2 = "return {" .. ("1,"):rep(4e6) .. "}"
  local f2, e2 = load(src2)
  print("load2", f2, e2)
  src2 = nil
  print("load after", load("return 1 + 1")())
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
