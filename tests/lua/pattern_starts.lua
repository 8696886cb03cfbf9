-- find, match, gsub and gmatch over patterns whose matches can only
-- start at a byte of a class or set (the search skips to those), at a
-- literal byte, or anywhere; malformed patterns and errors included.
-- The second part: `.-` before a literal (the search for it skips
-- ahead), runs of one class under `*` and `+`.

local function show(...)
  local t = { ... }
  for i = 1, select("#", ...) do t[i] = tostring(t[i]) end
  return table.concat(t, ",")
end

-- Every pattern over every subject: find and match from each of `inits`,
-- gsub (also limited to 2 replacements when `limited`), and the gmatch
-- results (at most `most` when given).
local function run(pats, subs, inits, limited, most)
  local out = {}
  for _, p in ipairs(pats) do
    for _, s in ipairs(subs) do
      for _, init in ipairs(inits) do
        out[#out + 1] = show(pcall(string.find, s, p, init))
        out[#out + 1] = show(pcall(string.match, s, p, init))
      end
      out[#out + 1] = show(pcall(string.gsub, s, p, "<%0>"))
      if limited then out[#out + 1] = show(pcall(string.gsub, s, p, "#", 2)) end
      local ok, e = pcall(function()
        local r = {}
        for a, b in s:gmatch(p) do
          if most and #r >= most then break end
          r[#r + 1] = tostring(a) .. "/" .. tostring(b)
        end
        return table.concat(r, " ")
      end)
      out[#out + 1] = tostring(ok) .. ":" .. tostring(e)
    end
  end
  print(table.concat(out, "\n"))
end

run({ "%a+", "%d+", "[%w_]+", "[^%s]+", "(%a)(%a*)", "((%d))", "%s*=%s*", "[a-c]+", "[]]", "[^]]+", "[%]x]",
  "%a", "%u%l*", "[%a-]+", "(%a+)%s", "%p", "[.]", "%.", "%w-", "%d?x", "(%d+)-(%d+)", "[abc", "%", "%d[", "(%a",
  "%bxy", "%f[%a]%a+", "%f[%d]", "%z", "[%z]", "%S+", "%x+", "[_%a][_%w]*", "()%a+()", "%1", "(a)%1", "[^%a%d]",
  "[a-]", "[-a]", "[%a%d]+$", "^%a+", "^[%d]+", "%A+", "%D", "[^]", "[^", "x*", "%a*", "[%a]-%d" },
  { "alpha 12 beta 345 gamma", "  key_1 = value_2 ; # c", "a]b]]c", "x-y--z", "", "123-456 789-0",
  "\0a\0b", "MiXeD_Case09!?", "xyxxyy(x(y))", "...", "abcabc", "THE END" },
  { -3, 0, 3, 6 }, true)

run({ ".-x", "(.-)%*", "a.-b", ".-$", "^(.-)%s*$", ".-%", "(.-)(%d)", "x.-", ".-()", "%*%*(.-)%*%*",
  "<(.-)>", "%[(.-)%]%((.-)%)", ".*x", "[%w_]*", "%s*(.-)%s*$", "(.-)\n", ".-%f[%a]", ".-%b()", ".-(x)%1",
  "(.-)%%", ".-[xy]", ".-x*", ".-x?y", ".-x-", ".+", ".*", "x*", "[^\n]*", "%a*%d", ".-%z", "^.-$", "(.-)$",
  ".-", "()", "a*", "(a*(.)%w(%s*))", ".-(%a+)" },
  { "hello **bold** and *em* x", "<a><b>c</b></a>", "[link](url) [x](y)", "a\nb\n\nc", "   trim me   ",
  "xxxyyy", "", "no x here", "12%34%", "(()) (x)", "x\0y\0x", "**", "a b c d e f g x" },
  { 1, 4 }, false, 50)
