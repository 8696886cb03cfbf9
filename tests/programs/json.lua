-- json.lua: a small pure-Lua JSON encoder/decoder with round-trip tests

local json = {}

local null = setmetatable({}, { __tostring = function() return "null" end })
json.null = null

---------------------------------------------------------------------------
-- Encoder
---------------------------------------------------------------------------
local escapes = {
  ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
  ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
}

local function encode_string(s)
  local out = s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end)
  return '"' .. out .. '"'
end

local function is_array(t)
  local n = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k <= 0 or k % 1 ~= 0 then return false end
    if k > n then n = k end
  end
  for i = 1, n do
    if t[i] == nil then return false end
  end
  return true, n
end

local function encode_number(n)
  if n ~= n or n == math.huge or n == -math.huge then
    error("cannot encode non-finite number " .. tostring(n))
  end
  if n % 1 == 0 and n > -1e15 and n < 1e15 then
    return string.format("%d", n)
  end
  return string.format("%.14g", n)
end

local encode_value

local function encode_table(t, stack)
  if stack[t] then error("circular reference") end
  stack[t] = true
  local parts = {}
  local arr, n = is_array(t)
  local result
  if arr and (n > 0 or next(t) == nil) then
    for i = 1, n do parts[i] = encode_value(t[i], stack) end
    result = "[" .. table.concat(parts, ",") .. "]"
  else
    local keys = {}
    for k in pairs(t) do
      if type(k) ~= "string" then
        error("object key must be a string, got " .. type(k))
      end
      keys[#keys + 1] = k
    end
    table.sort(keys)
    for i, k in ipairs(keys) do
      parts[i] = encode_string(k) .. ":" .. encode_value(t[k], stack)
    end
    result = "{" .. table.concat(parts, ",") .. "}"
  end
  stack[t] = nil
  return result
end

function encode_value(v, stack)
  local tv = type(v)
  if v == null or tv == "nil" then return "null"
  elseif tv == "boolean" then return tostring(v)
  elseif tv == "number" then return encode_number(v)
  elseif tv == "string" then return encode_string(v)
  elseif tv == "table" then return encode_table(v, stack)
  end
  error("cannot encode value of type " .. tv)
end

function json.encode(v)
  return encode_value(v, {})
end

---------------------------------------------------------------------------
-- Decoder
---------------------------------------------------------------------------
local function decode_error(str, pos, msg)
  local line, col = 1, 1
  for i = 1, pos - 1 do
    if str:sub(i, i) == "\n" then line = line + 1; col = 1 else col = col + 1 end
  end
  error(string.format("%s at line %d col %d (char %d)", msg, line, col, pos), 0)
end

local function skip_ws(str, pos)
  return (str:find("[^ \t\r\n]", pos)) or #str + 1
end

local function utf8_encode(cp)
  if cp < 0x80 then return string.char(cp)
  elseif cp < 0x800 then
    return string.char(0xC0 + math.floor(cp / 64), 0x80 + cp % 64)
  elseif cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 4096),
      0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  else
    return string.char(0xF0 + math.floor(cp / 262144),
      0x80 + math.floor(cp / 4096) % 64,
      0x80 + math.floor(cp / 64) % 64, 0x80 + cp % 64)
  end
end

local unescape = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
  ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }

local decode_value

local function decode_string(str, pos)
  local buf = {}
  local i = pos + 1
  while true do
    local c = str:sub(i, i)
    if c == "" then decode_error(str, pos, "unterminated string") end
    if c == '"' then return table.concat(buf), i + 1 end
    if c == "\\" then
      local e = str:sub(i + 1, i + 1)
      if e == "u" then
        local hex = str:match("^%x%x%x%x", i + 2)
        if not hex then decode_error(str, i, "invalid unicode escape") end
        local cp = tonumber(hex, 16)
        i = i + 6
        if cp >= 0xD800 and cp <= 0xDBFF then
          local lo = str:match("^\\u(%x%x%x%x)", i)
          if not lo then decode_error(str, i, "missing low surrogate") end
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (tonumber(lo, 16) - 0xDC00)
          i = i + 6
        end
        buf[#buf + 1] = utf8_encode(cp)
      elseif unescape[e] then
        buf[#buf + 1] = unescape[e]
        i = i + 2
      else
        decode_error(str, i, "invalid escape '\\" .. e .. "'")
      end
    elseif c:byte() < 32 then
      decode_error(str, i, "control character in string")
    else
      local j = str:find('["\\%c]', i) or #str + 1
      buf[#buf + 1] = str:sub(i, j - 1)
      i = j
    end
  end
end

local function decode_number(str, pos)
  local s, e = str:find("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
  if not s then decode_error(str, pos, "invalid number") end
  local text = str:sub(s, e)
  local n = tonumber(text)
  if not n or text:match("^-?0%d") then
    decode_error(str, pos, "invalid number '" .. text .. "'")
  end
  return n, e + 1
end

local literals = { ["true"] = true, ["false"] = false }

local function decode_array(str, pos)
  local arr, n = {}, 0
  pos = skip_ws(str, pos + 1)
  if str:sub(pos, pos) == "]" then return arr, pos + 1 end
  while true do
    local v
    v, pos = decode_value(str, pos)
    n = n + 1
    arr[n] = v
    pos = skip_ws(str, pos)
    local c = str:sub(pos, pos)
    if c == "]" then return arr, pos + 1 end
    if c ~= "," then decode_error(str, pos, "expected ',' or ']'") end
    pos = skip_ws(str, pos + 1)
  end
end

local function decode_object(str, pos)
  local obj = {}
  pos = skip_ws(str, pos + 1)
  if str:sub(pos, pos) == "}" then return obj, pos + 1 end
  while true do
    if str:sub(pos, pos) ~= '"' then decode_error(str, pos, "expected string key") end
    local key
    key, pos = decode_string(str, pos)
    pos = skip_ws(str, pos)
    if str:sub(pos, pos) ~= ":" then decode_error(str, pos, "expected ':'") end
    pos = skip_ws(str, pos + 1)
    obj[key], pos = decode_value(str, pos)
    pos = skip_ws(str, pos)
    local c = str:sub(pos, pos)
    if c == "}" then return obj, pos + 1 end
    if c ~= "," then decode_error(str, pos, "expected ',' or '}'") end
    pos = skip_ws(str, pos + 1)
  end
end

function decode_value(str, pos)
  pos = skip_ws(str, pos)
  local c = str:sub(pos, pos)
  if c == "{" then return decode_object(str, pos)
  elseif c == "[" then return decode_array(str, pos)
  elseif c == '"' then return decode_string(str, pos)
  elseif c == "-" or c:match("%d") then return decode_number(str, pos)
  elseif c == "" then decode_error(str, pos, "unexpected end of input")
  end
  local word = str:match("^%a+", pos)
  if word == "null" then return null, pos + 4 end
  if word and literals[word] ~= nil then return literals[word], pos + #word end
  decode_error(str, pos, "unexpected character '" .. c .. "'")
end

function json.decode(str)
  local v, pos = decode_value(str, 1)
  pos = skip_ws(str, pos)
  if pos <= #str then decode_error(str, pos, "trailing garbage") end
  return v
end

---------------------------------------------------------------------------
-- Tests
---------------------------------------------------------------------------
local function hexdump(s)
  return (s:gsub("[^%w%p ]", function(c) return string.format("<%02X>", c:byte()) end))
end

print("== encoding ==")
local docs = {
  { name = "scalar", value = 42 },
  { name = "negative float", value = -3.25 },
  { name = "exponent", value = 6.02e23 },
  { name = "tiny", value = 1.5e-7 },
  { name = "string", value = 'he said "hi"\n\ttab\\slash' },
  { name = "control", value = "bell\7 nul\0 end" },
  { name = "empty array", value = {} },
  { name = "array", value = { 1, 2, 3, "four", true, false, null } },
  { name = "object", value = { zeta = 1, alpha = { beta = { 1, { gamma = "deep" } } }, mid = null } },
  { name = "mixed", value = { users = { { id = 1, name = "Ann", tags = { "a", "b" } },
    { id = 2, name = "Bob", tags = {} } }, count = 2, ok = true } },
}
for _, d in ipairs(docs) do
  local ok, enc = pcall(json.encode, d.value)
  print(string.format("%-15s %s", d.name, ok and hexdump(enc) or ("ERR " .. enc)))
end

print("== encode errors ==")
local cyc = {}
cyc.self = cyc
local bad = { cyc, { [true] = 1 }, { f = print }, { x = 0 / 0 }, { 1, 2, nil, 4, n = 1 } }
for i, v in ipairs(bad) do
  local ok, err = pcall(json.encode, v)
  err = tostring(err):gsub("^.-:%d+: ", "")
  print(i, ok, err)
end

print("== round trip ==")
local texts = {
  '{"a":1,"b":[1,2,3],"c":{"d":null,"e":false}}',
  '[1.5, -2, 3e2, -4.5E-3, 0, 0.125, 1e100]',
  '"\\u0041\\u00e9\\u20ac\\ud83d\\ude00 \\"q\\" \\/ \\\\"',
  '  { "nested" : [ [ [ ] ] , { } , [ { "k" : "v" } ] ] }  ',
  '{"unicode":"caf\\u00e9","emoji":"\\ud83c\\udf89","tab":"a\\tb"}',
  '[true,false,null,"",[],{}]',
  '{"big":12345678901234,"neg":-0.5,"int":-17}',
}
for i, t in ipairs(texts) do
  local ok, v = pcall(json.decode, t)
  if ok then
    local enc = json.encode(v)
    local again = json.encode(json.decode(enc))
    print(i, hexdump(enc), enc == again and "stable" or "UNSTABLE")
  else
    print(i, "ERR", v)
  end
end

print("== decoded values ==")
local v = json.decode('{"list":[10,20,30],"name":"x","flag":true,"nothing":null}')
print(#v.list, v.list[1] + v.list[2] + v.list[3], v.name, v.flag, v.nothing == json.null, tostring(v.nothing))
local s = json.decode('"\\u00e9\\u20ac"')
print(#s, s:byte(1, -1))
local n = json.decode("-12.5e1")
print(n, type(n), math.floor(n))

print("== decode errors ==")
local malformed = {
  '{"a":1,}',
  '[1,2',
  '{"a" 1}',
  '"unterminated',
  '[01]',
  '{"x":tru}',
  '["bad \\q escape"]',
  '{"a":1}\n  xyz',
  '',
  '[1,\n 2,\n @]',
  '"\\u12G4"',
  '{1:2}',
}
for i, t in ipairs(malformed) do
  local ok, err = pcall(json.decode, t)
  print(string.format("%2d %-5s %s", i, tostring(ok), ok and json.encode(err) or err))
end

print("== stress ==")
local big = {}
for i = 1, 200 do
  big[i] = { id = i, sq = i * i, half = i / 2, label = "item" .. i, even = i % 2 == 0 }
end
local enc = json.encode(big)
local dec = json.decode(enc)
local sum, evens = 0, 0
for _, item in ipairs(dec) do
  sum = sum + item.sq + item.half
  if item.even then evens = evens + 1 end
end
print(#enc, #dec, sum, evens, dec[200].label, enc == json.encode(dec))
