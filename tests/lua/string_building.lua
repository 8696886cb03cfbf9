-- Strings built by the library and the .. operator, interning, one-byte
-- strings across collections, plain and pattern searches, and array
-- appends through the interpreter's fast path (with and without
-- metatables).

local function hex(s)
  return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

-- Every length around the word sizes the intern table compares by: the
-- same bytes made five ways are one string (one table key).
do
  local t, n = {}, 0
  for len = 0, 40 do
    local a = string.rep("ab", len):sub(1, len)
    local b = ("ab"):rep(len + 1):sub(1, len)
    local c = ""
    for i = 1, len do c = c .. (i % 2 == 1 and "a" or "b") end
    local parts = {}
    for i = 1, len do parts[i] = (i % 2 == 1 and "a" or "b") end
    local d = table.concat(parts)
    local e = string.format("%s", a)
    t[a] = len
    assert(t[b] == len and t[c] == len and t[d] == len and t[e] == len, len)
    -- One byte changed anywhere: a different key.
    for i = 1, len do
      local x = a:sub(1, i - 1) .. "x" .. a:sub(i + 1)
      assert(t[x] == nil, len .. ":" .. i)
    end
    n = n + len
  end
  print("lengths", n)
end

-- string.rep: counts, separators (LuaJIT accepts one), empty pieces.
do
  print(string.rep("ab", 0), string.rep("ab", -3), string.rep("", 5))
  print(string.rep("ab", 1), string.rep("ab", 5), string.rep("x", 17))
  print(string.rep("ab", 3, ", "), string.rep("", 3, "-"), string.rep("q", 1, "sep"))
  local total = 0
  for i = 0, 300, 7 do total = total + #string.rep("xyz", i) end
  print("rep total", total)
end

-- upper, lower and reverse over every byte value, at every alignment.
do
  local all = {}
  for i = 0, 255 do all[#all + 1] = string.char(i) end
  all = table.concat(all)
  for shift = 0, 8 do
    local s = all:sub(1 + shift) .. all:sub(1, shift)
    local u, l = s:upper(), s:lower()
    for i = 1, #s do
      local c = s:byte(i)
      local wu = (c >= 97 and c <= 122) and c - 32 or c
      local wl = (c >= 65 and c <= 90) and c + 32 or c
      assert(u:byte(i) == wu and l:byte(i) == wl, shift .. ":" .. i)
    end
    assert(s:reverse():reverse() == s)
  end
  print(("MiXeD cAsE 123 ÄÖ"):upper(), ("MiXeD cAsE 123 ÄÖ"):lower())
  print(hex(("\0\127\128\255azAZ@[`{"):upper()), hex(("\0\127\128\255azAZ@[`{"):lower()))
  print(("abc"):reverse(), (""):reverse(), ("x"):reverse())
end

-- One-byte strings stay one string each across collections: as table
-- keys, made by char, sub, format and concatenation.
do
  local t = {}
  for i = 0, 255 do t[string.char(i)] = i end
  collectgarbage()
  collectgarbage()
  local s = {}
  for i = 0, 255 do s[#s + 1] = string.char(i) end
  s = table.concat(s)
  local ok = 0
  for i = 0, 255 do
    local a, b = s:sub(i + 1, i + 1), string.format("%c", i)
    if t[a] == i and t[b] == i and a == b and #a == 1 then ok = ok + 1 end
    if i % 64 == 0 then collectgarbage() end
  end
  print("one-byte keys", ok)
  -- Made, dropped, collected, made again.
  local weak = setmetatable({}, { __mode = "k" })
  for r = 1, 3 do
    for i = 65, 90 do weak[{}] = string.char(i) end
    collectgarbage()
    local u = {}
    for i = 65, 90 do u[#u + 1] = string.char(i) end
    assert(table.concat(u) == "ABCDEFGHIJKLMNOPQRSTUVWXYZ", r)
  end
  print("one-byte after collections ok")
end

-- Buffers in use by an outer call when an inner one builds a string:
-- gsub's replacement function formats, repeats and concatenates;
-- __concat and __tostring build strings while .. and format run.
do
  local r = ("a-b-c"):gsub("%a", function(c)
    return string.rep(c, 3, "|") .. string.format("<%s%d>", c:upper(), #c) .. table.concat({ c, c }, ".")
  end)
  print(r)
  local mt = {}
  mt.__concat = function(a, b)
    local x = type(a) == "table" and a.v or a
    local y = type(b) == "table" and b.v or b
    return setmetatable({ v = ("(" .. x .. "+" .. y .. ")"):rep(1) }, mt)
  end
  mt.__tostring = function(o) return string.format("[%s]", o.v .. "") end
  local o = setmetatable({ v = "o" }, mt)
  local c = "x" .. o .. "y" .. 1 .. 2.5
  print(tostring(c), string.format("%s|%s", tostring(o), "z"))
end

-- table.concat: separators, ranges, numbers, errors leave nothing behind.
do
  local t = { 1, "two", 3.5, -0.0, 1e100, "" }
  print(table.concat(t), table.concat(t, ", "), table.concat(t, "-", 2, 4), table.concat(t, "x", 4, 3))
  local ok, err = pcall(table.concat, { 1, {}, 3 }, ",")
  print(ok, err)
  print(table.concat({}, ","), table.concat({ "only" }, ","))
end

-- find: plain and pattern, the first byte searched for first.
do
  local s = string.rep("the quick brown fox ", 30) .. "needle"
  print(s:find("needle", 1, true), s:find("needle"), s:find("needle", #s - 5), s:find("needle", #s - 4))
  print(s:find("fox", 1, true), s:find("fox", 18, true), s:find("fox", 600), s:find("cat", 1, true))
  print(s:find("l%a+e"), s:find("q%a+k", 100), s:find("n", 1, true), s:find("", 10), s:find("", #s + 2))
  print(("aaa"):find("aa", 2, true), ("abc"):find("c", -1, true), ("abc"):find("a", -10, true))
  print(("x\0y\0z"):find("\0z", 1, true), ("x\0y"):find("%z"), ("abcabc"):find("[c]", 4))
  print(s:match("(b%a+)"), s:match("f(o)x", 30), ("key = value"):match("^(%w+)%s*=%s*(%w+)$"))
end

-- Appends and stores into array parts.
do
  -- Plain appends, and appends after a hole is filled.
  local t = {}
  for i = 1, 100 do t[i] = i * 2 end
  t[102] = 204
  t[101] = 202
  print(#t, t[100], t[101], t[102])

  -- A metatable without __newindex: appends and nil slots are raw.
  local log = {}
  local mt = {}
  local a = setmetatable({ 1, 2, 3 }, mt)
  for i = 4, 40 do a[i] = i end
  a[2] = nil
  a[2] = 22
  print(#a, a[2], a[40], rawget(a, 40))

  -- Once __newindex exists, an absent key (past the end, or a nil slot)
  -- goes to it; present keys are stored raw.
  mt.__newindex = function(t, k, v)
    log[#log + 1] = k
    rawset(t, k, v * 10)
  end
  a[41] = 41
  a[3] = nil
  a[3] = 3
  a[4] = 44
  print(a[41], a[3], a[4], table.concat(log, ","))

  -- __newindex removed again: raw once more.
  mt.__newindex = nil
  a[42] = 42
  a[43] = 43
  print(a[42], a[43], #log)

  -- A table with a hash part: keys past the end move into the array.
  local h = { 1, 2, x = "x" }
  h[4] = 4
  h[3] = 3
  local n = 0
  for _ in ipairs(h) do n = n + 1 end
  print(n, h.x)

  -- A __newindex table: appends land there.
  local store = {}
  local p = setmetatable({}, { __newindex = store })
  for i = 1, 5 do p[i] = i end
  print(#p, #store, store[5])

  -- A metatable with __index only: appends are raw, reads of the
  -- missing go to __index.
  local q = setmetatable({}, { __index = function(_, k) return "d" .. k end })
  for i = 1, 10 do q[i] = i end
  print(#q, q[10], q[11])
end
