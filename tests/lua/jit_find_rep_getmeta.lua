-- string.find (positions, plain and patterns, found or not), string.rep and
-- getmetatable of any value inside compiled loops.
local words = { "alpha", "beta gamma", "", "x.y.z", "  spaced  ", "%d+", "abc123def" }
local pats = { "a", "%s", "%d+", ".", "%.", "^%s*", "z$", "[aeiou]", "" }
local acc, out = 0, {}
for i = 1, 400 do
  local w = words[i % #words + 1]
  local p = pats[i % #pats + 1]
  local s, e = string.find(w, p)
  if s then acc = acc + s * 3 + e else acc = acc + 1000 end
  local ps = w:find(".", 1, true)
  acc = acc + (ps or -1)
  local s2 = string.find(w, p, i % 5 - 2)
  acc = acc + (s2 or 7)
  if i % 37 == 0 then out[#out + 1] = tostring(s) .. ":" .. tostring(e) end
  -- captures: the interpreter's job (the trace exits)
  if i % 50 == 0 then
    local a, b, c = string.find(w, "(%a)(%a)")
    out[#out + 1] = tostring(a) .. tostring(c)
  end
end
print(acc, table.concat(out, " "))

local total = 0
local pieces = {}
for i = 1, 300 do
  local r = string.rep("ab", i % 6)
  local pad = ("-"):rep(i % 4)
  total = total + #r + #pad
  if i % 60 == 0 then pieces[#pieces + 1] = r .. pad .. string.rep("x", -i) end
end
print(total, table.concat(pieces, "|"))

local mt = { __index = function() return 0 end }
local vals = { {}, setmetatable({}, mt), "str", 12, true, false, nil }
local counts = {}
for i = 1, 350 do
  local v = vals[i % 6 + 1]
  local m = getmetatable(v)
  local k = m == nil and "none" or (m == mt and "mt" or (m == getmetatable("") and "string" or "other"))
  counts[k] = (counts[k] or 0) + 1
end
print(counts.none, counts.mt, counts.string, counts.other)

-- debug.getmetatable ignores __metatable
local prot = setmetatable({}, { __metatable = "locked" })
local dgm = debug.getmetatable
local n1, n2 = 0, 0
for i = 1, 300 do
  local v = (i % 3 == 0) and prot or vals[i % 5 + 1]
  local m = dgm(v)
  if m ~= nil then n1 = n1 + 1 end
  if getmetatable(v) == "locked" then n2 = n2 + 1 end
end
print(n1, n2)
