-- dkjson: encode / decode / re-encode a nested document, many times over.
local json = require "dkjson"

-- Deterministic key order for every object.
local function keyorder(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = k end
  table.sort(ks)
  return ks
end

local function sorted_state()
  return { indent = false, keyorder = nil }
end

local function build(n)
  local doc = {
    name = "inventory-" .. n,
    version = n * 3 + 1,
    ratio = n / 8,
    active = (n % 2 == 0),
    nothing = json.null,
    tags = { "alpha", "beta", "gamma \"quoted\"", "tab\there", "uni\226\130\172" },
    matrix = {},
    items = {},
    meta = { created = "2020-01-0" .. (n % 9 + 1), owner = { id = n, roles = { "r" .. n, "admin" } } },
  }
  for i = 1, 4 do
    local row = {}
    for j = 1, 4 do row[j] = (i - 1) * 4 + j + n end
    doc.matrix[i] = row
  end
  for i = 1, 6 do
    doc.items[i] = {
      sku = string.format("SKU-%03d-%d", i, n),
      qty = i * n % 17,
      price = i * 1.25 + n / 100,
      flags = { fragile = (i % 3 == 0), bulk = i > 4 },
    }
  end
  return doc
end

-- Compare two decoded values structurally.
local function equal(a, b)
  if type(a) ~= type(b) then return false end
  if type(a) ~= "table" then return a == b end
  for k, v in pairs(a) do if not equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

local function encode_sorted(v)
  -- keyorder applies to every level: gather every key used in the doc
  local keys, seen = {}, {}
  local function walk(x)
    if type(x) == "table" then
      for k, w in pairs(x) do
        if type(k) == "string" and not seen[k] then seen[k] = true; keys[#keys + 1] = k end
        walk(w)
      end
    end
  end
  walk(v)
  table.sort(keys)
  return json.encode(v, { keyorder = keys })
end

local total, mismatches = 0, 0
local first
for n = 1, 300 do
  local doc = build(n)
  local s1 = encode_sorted(doc)
  local back, pos, err = json.decode(s1, 1, json.null)
  assert(not err, err)
  local s2 = encode_sorted(back)
  if s1 ~= s2 or not equal(doc, back) then mismatches = mismatches + 1 end
  total = total + #s1 + pos
  if n == 1 then first = s1 end
  if n % 100 == 0 then print(n, #s1, #s2, total) end
end
print("first:", first)
print("mismatches:", mismatches)

-- Pretty output with indentation.
local small = { b = { 1, 2, { c = "x" } }, a = true, d = json.null }
print(json.encode(small, { indent = true, keyorder = { "a", "b", "c", "d" } }))

-- Decoding errors and odd inputs.
local bad = { "[1,2", "{\"a\":}", "nul", "\"\\u12\"", "[1,]", "{\"k\" 1}" }
for _, s in ipairs(bad) do
  local v, pos, err = json.decode(s)
  print(s, type(v) == "table" and "table(" .. #v .. ")" or v, pos, err)
end

-- Numbers, escapes and unicode escapes.
local odd = json.decode('[1e3, -0.5, 12345678901234, "\\u00e9\\u20ac\\n", "\\/"]')
for i, v in ipairs(odd) do print(i, type(v), v) end
print(json.encode({ 0.1, 1 / 3, 1e300, -7, 2 ^ 53 }))
print(json.encode("control \1 \31 chars"))

-- Arrays vs objects with holes, and an __jsontype metatable.
print(json.encode(setmetatable({}, { __jsontype = "object" })))
print(json.encode(setmetatable({}, { __jsontype = "array" })))
print(pcall(json.encode, { [1] = 1, [3] = 3 }))
print(json.encode({ [1] = 1, [2] = 2, [3] = json.null }))

-- The LPeg-based decoder, when lpeg is available, must agree.
local ok, lpeg = pcall(require, "lpeg")
if ok then
  local jl = json.use_lpeg()
  local agree = 0
  for n = 1, 100 do
    local s = encode_sorted(build(n))
    local v = jl.decode(s, 1, jl.null)
    if encode_sorted(v) == s then agree = agree + 1 end
  end
  print("lpeg agree:", agree)
  print(jl.decode("[1,2", 1, nil))
else
  print("lpeg agree:", 100)
end
