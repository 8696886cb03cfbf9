-- String-heavy workload: concat, gsub, find, format, table.concat, rep,
-- byte/char, sub, upper/lower, gmatch.
local N = tonumber(arg and arg[1]) or 250

local byte, char, sub, fmt, rep = string.byte, string.char, string.sub, string.format, string.rep
local find, gsub, gmatch, upper, lower = string.find, string.gsub, string.gmatch, string.upper, string.lower

local function hash_str(s, h)
  h = h or 0
  for i = 1, #s do
    h = (h * 31 + byte(s, i)) % 2147483647
  end
  return h
end

local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
                "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi" }

-- 1. build a text with format and table.concat
local function build_text(nlines)
  local lines = {}
  for i = 1, nlines do
    local w1 = words[i % #words + 1]
    local w2 = words[(i * 7) % #words + 1]
    lines[i] = fmt("%05d %s=%d; %s:%.3f [%x]", i, w1, i * 3, w2, i / 7, i * 13)
  end
  return table.concat(lines, "\n")
end

-- 2. naive concatenation in a loop
local function concat_loop(n)
  local s = ""
  for i = 1, n do
    s = s .. char(97 + i % 26)
    if #s > 200 then s = sub(s, 100) end
  end
  return s
end

-- 3. caesar via byte/char
local function caesar(s, k)
  local out = {}
  for i = 1, #s do
    local c = byte(s, i)
    if c >= 97 and c <= 122 then
      c = (c - 97 + k) % 26 + 97
    elseif c >= 65 and c <= 90 then
      c = (c - 65 + k) % 26 + 65
    end
    out[i] = char(c)
  end
  return table.concat(out)
end

-- 4. word frequency with gmatch
local function word_freq(s)
  local freq = {}
  for w in gmatch(s, "%a+") do
    freq[w] = (freq[w] or 0) + 1
  end
  local keys = {}
  for k in pairs(freq) do keys[#keys + 1] = k end
  table.sort(keys)
  local acc = 0
  for i, k in ipairs(keys) do acc = acc + i * freq[k] + #k end
  return #keys, acc
end

-- 5. find with plain and patterns
local function count_finds(s, pat, plain)
  local cnt, pos = 0, 1
  while true do
    local a, b = find(s, pat, pos, plain)
    if not a then break end
    cnt = cnt + 1
    pos = b + 1
  end
  return cnt
end

local total = 0
local text
for iter = 1, N do
  text = build_text(400 + iter)
  total = hash_str(text, total)

  -- gsub with string, function and table replacements
  local t1, n1 = gsub(text, "(%a+)=(%d+)", "%2=%1")
  local t2, n2 = gsub(t1, "%d+", function(d) return tostring(#d) end)
  local t3, n3 = gsub(t2, "%a+", { alpha = "A", beta = "B", pi = "PI" })
  total = hash_str(t3, total) + n1 + n2 + n3

  local up = upper(text)
  local low = lower(up)
  if low ~= lower(text) then total = total + 1 end

  local c = caesar(sub(text, 1, 4000), iter % 26)
  total = hash_str(c, total)

  local nk, acc = word_freq(text)
  total = (total + nk * 1000 + acc) % 2147483647

  total = total + count_finds(text, "a=", true) + count_finds(text, "%[%x+%]", false)

  local r = rep("ab", 500 + iter) .. rep("-,", iter)
  total = hash_str(r, total)
  total = hash_str(concat_loop(3000), total)

  local rev = string.reverse(sub(text, 1, 1000))
  total = hash_str(rev, total)

  local parts = {}
  for i = 1, 200 do parts[#parts + 1] = fmt("%d:%s", i, sub(text, i, i + 5)) end
  total = hash_str(table.concat(parts, "|"), total)
end

print(fmt("len=%d checksum=%d", #text, total))
