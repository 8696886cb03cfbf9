-- dkjson (Debian lua-dkjson): encode/decode round trips of a large nested
-- document. Object keys are encoded in a fixed order (keyorder), so the
-- JSON text, and so its digest, is the same under every engine.
local json = require "dkjson"

local ROUNDS = 6

local seed = 4242
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local syll = { "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze" }
local function word()
  local t = {}
  for i = 1, 2 + rnd(4) do t[i] = syll[1 + rnd(#syll)] end
  return table.concat(t)
end

local specials = { "tab\there", "quote\"d", "back\\slash", "line\nbreak",
  "caf\195\169", "\226\130\172 euro", "ctl\1\31" }

local function text()
  if rnd(8) == 0 then return specials[1 + rnd(#specials)] end
  local t = {}
  for i = 1, 1 + rnd(8) do t[i] = word() end
  return table.concat(t, " ")
end

local function item(i)
  local attrs = {}
  for j = 1, rnd(5) do
    attrs[j] = { key = word(), value = (rnd(3) == 0) and rnd(1000) or text() }
  end
  return {
    id = i,
    title = text(),
    price = rnd(1000000) / 100,
    ratio = rnd(1000) / 1024,
    stock = rnd(3) == 0 and json.null or rnd(500),
    flags = { featured = rnd(2) == 0, hidden = rnd(5) == 0 },
    attrs = attrs,
    history = { rnd(100), rnd(100) - 50, rnd(100) * 1.5, -rnd(1000000) },
  }
end

local doc = { meta = { name = "catalogue", version = 3, tags = { "a", "b" } },
  sections = {} }
for s = 1, 40 do
  local items = {}
  for i = 1, 60 do items[i] = item(s * 1000 + i) end
  doc.sections[s] = { name = word(), depth = { level1 = { level2 = {
    level3 = { text(), text(), { deep = true } } } } }, items = items }
end

local keyorder = { "id", "name", "title", "version", "meta", "tags", "price",
  "ratio", "stock", "flags", "featured", "hidden", "attrs", "key", "value",
  "history", "depth", "level1", "level2", "level3", "deep", "items",
  "sections" }

local function sdig(s)
  local h = #s
  for k = 1, #s, 3 do h = (h * 31 + s:byte(k)) % 1000000007 end
  return h
end

local first, bytes = nil, 0
local compact, pretty
for round = 1, ROUNDS do
  compact = json.encode(doc, { keyorder = keyorder })
  pretty = json.encode(doc, { keyorder = keyorder, indent = true })
  bytes = bytes + #compact + #pretty
  local back, pos, err = json.decode(compact, 1, json.null)
  assert(back, err)
  local back2 = json.decode(pretty, 1, json.null)
  -- Round trip: re-encoding the decoded documents gives the same text.
  local again = json.encode(back, { keyorder = keyorder })
  assert(again == compact, "round trip differs")
  assert(json.encode(back2, { keyorder = keyorder }) == compact)
  first = first or sdig(compact)
  doc = back
end

print("compact", #compact, sdig(compact))
print("pretty", #pretty, sdig(pretty))
print("bytes", bytes, first)
