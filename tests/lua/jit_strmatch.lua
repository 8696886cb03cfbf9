-- string.match and string.gsub (string replacement) in compiled loops
-- (SMATCH, SGSUB helper calls instead of stitches): a match and no match
-- as recorded and the other way round (the trace exits, the interpreter
-- makes the call), captures, anchors and a start position, a position
-- capture first (the interpreter's call), malformed patterns and
-- replacements raising the interpreter's errors, and gsub with %0/%1 and
-- '%%' in the replacement.
local lines = {}
for i = 1, 60 do
  lines[i] = (i % 3 == 0) and ("key" .. i .. " = " .. i * 7) or ("# comment " .. i)
end

-- Match and no match alternate: both outcomes compiled (side traces).
local keys, comments = 0, 0
for r = 1, 5 do
  for i = 1, #lines do
    local k = lines[i]:match("^(%a+%d+)%s*=")
    if k then keys = keys + #k else comments = comments + 1 end
  end
end
print("keys", keys, "comments", comments)

-- The whole match, a start position, a negative start.
local acc = 0
for i = 1, 100 do
  local s = "abc" .. i .. "def"
  acc = acc + #s:match("%d+") + #(s:match("%a+", 4) or "") + #(s:match("f", -1) or "-")
end
print("whole/init", acc)

-- A position capture first: the interpreter's call, same results.
local pos = 0
for i = 1, 50 do
  local p = ("hello world " .. i):match("()o")
  pos = pos + p
end
print("position", pos)

-- gsub with string replacements: plain, %0, %1, %%, an anchor, counts
-- ignored (one result).
local out = {}
for i = 1, 80 do
  local s = "a" .. i .. " b" .. i .. " c"
  local t = s:gsub("%d", "#")
  t = t:gsub("(%a)#", "<%1>")
  t = t:gsub("^<", "[%0")
  t = t:gsub(" ", "%%")
  out[#out + 1] = t
end
print("gsub", out[1], out[9], out[80], #out)

-- gsub inside a function called from the loop (inlined), result used.
local function esc(s) return (s:gsub("&", "&amp;"):gsub("<", "&lt;")) end
local len = 0
for i = 1, 100 do len = len + #esc("x<" .. i .. "&y") end
print("escape", len)

-- Errors: a malformed pattern and a bad capture index in the replacement
-- raise the interpreter's messages from inside the loop.
local errs = {}
for i = 1, 40 do
  local pat = (i % 13 == 0) and "[" or "b"
  local ok, e = pcall(function() return (("abc"):gsub(pat, "x")) end)
  if not ok then errs[#errs + 1] = e end
  local rep = (i % 17 == 0) and "%2" or "%1"
  ok, e = pcall(function() return (("abc"):gsub("(b)", rep)) end)
  if not ok then errs[#errs + 1] = e end
  ok, e = pcall(function() return ("abc"):match(pat) end)
  if not ok then errs[#errs + 1] = e end
end
print("errors", #errs, errs[1], errs[3], errs[#errs])

-- The subject changes type: a number subject is not compiled the same
-- way (coerced by the interpreter's call).
local mixed = 0
for i = 1, 60 do
  local v = (i % 2 == 0) and i * 11 or ("n" .. i)
  local m = string.match(v, "%d")
  mixed = mixed + (tonumber(m) or 0)
  local g = string.gsub(v, "1", "one")
  mixed = mixed + #g
end
print("mixed", mixed)
