do
-- find, match, gsub and gmatch over patterns whose matches can only
-- start at a byte of a class or set (the search skips to those), at a
-- literal byte, or anywhere; malformed patterns and errors included.
-- The second part: `.-` before a literal (the search for it skips
-- ahead), runs of one class under `*` and `+`.
local pats = { "%a+", "%d+", "[%w_]+", "[^%s]+", "(%a)(%a*)", "((%d))", "%s*=%s*", "[a-c]+", "[]]", "[^]]+", "[%]x]",
  "%a", "%u%l*", "[%a-]+", "(%a+)%s", "%p", "[.]", "%.", "%w-", "%d?x", "(%d+)-(%d+)", "[abc", "%", "%d[", "(%a",
  "%bxy", "%f[%a]%a+", "%f[%d]", "%z", "[%z]", "%S+", "%x+", "[_%a][_%w]*", "()%a+()", "%1", "(a)%1", "[^%a%d]",
  "[a-]", "[-a]", "[%a%d]+$", "^%a+", "^[%d]+", "%A+", "%D", "[^]", "[^", "x*", "%a*", "[%a]-%d" }
local subs = { "alpha 12 beta 345 gamma", "  key_1 = value_2 ; # c", "a]b]]c", "x-y--z", "", "123-456 789-0",
  "\0a\0b", "MiXeD_Case09!?", "xyxxyy(x(y))", "...", "abcabc", "THE END" }
local out = {}
local function show(...)
  local t = { ... }
  for i = 1, select("#", ...) do t[i] = tostring(t[i]) end
  return table.concat(t, ",")
end
for _, p in ipairs(pats) do
  for _, s in ipairs(subs) do
    for init = -3, 6, 3 do
      out[#out + 1] = show(pcall(string.find, s, p, init))
      out[#out + 1] = show(pcall(string.match, s, p, init))
    end
    out[#out + 1] = show(pcall(string.gsub, s, p, "<%0>"))
    out[#out + 1] = show(pcall(string.gsub, s, p, "#", 2))
    local ok, e = pcall(function()
      local r = {}
      for a, b in s:gmatch(p) do r[#r + 1] = tostring(a) .. "/" .. tostring(b) end
      return table.concat(r, " ")
    end)
    out[#out + 1] = tostring(ok) .. ":" .. tostring(e)
  end
end
print(table.concat(out, "\n"))
end
do
local out
local pats2 = { ".-x", "(.-)%*", "a.-b", ".-$", "^(.-)%s*$", ".-%", "(.-)(%d)", "x.-", ".-()", "%*%*(.-)%*%*",
  "<(.-)>", "%[(.-)%]%((.-)%)", ".*x", "[%w_]*", "%s*(.-)%s*$", "(.-)\n", ".-%f[%a]", ".-%b()", ".-(x)%1",
  "(.-)%%", ".-[xy]", ".-x*", ".-x?y", ".-x-", ".+", ".*", "x*", "[^\n]*", "%a*%d", ".-%z", "^.-$", "(.-)$",
  ".-", "()", "a*", "(a*(.)%w(%s*))", ".-(%a+)" }
local subs2 = { "hello **bold** and *em* x", "<a><b>c</b></a>", "[link](url) [x](y)", "a\nb\n\nc", "   trim me   ",
  "xxxyyy", "", "no x here", "12%34%", "(()) (x)", "x\0y\0x", "**", "a b c d e f g x" }
out = {}
local function show2(...)
  local t = { ... }
  for i = 1, select("#", ...) do t[i] = tostring(t[i]) end
  return table.concat(t, ",")
end
for _, p in ipairs(pats2) do
  for _, s in ipairs(subs2) do
    for init = 1, 4, 3 do
      out[#out + 1] = show2(pcall(string.find, s, p, init))
      out[#out + 1] = show2(pcall(string.match, s, p, init))
    end
    out[#out + 1] = show2(pcall(string.gsub, s, p, "<%0>"))
    local ok, e = pcall(function()
      local r, n = {}, 0
      for a, b in s:gmatch(p) do
        n = n + 1
        if n > 50 then break end
        r[#r + 1] = tostring(a) .. "/" .. tostring(b)
      end
      return table.concat(r, " ")
    end)
    out[#out + 1] = tostring(ok) .. ":" .. tostring(e)
  end
end
print(table.concat(out, "\n"))
end
