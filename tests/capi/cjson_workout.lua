-- Workout of Debian's lua-cjson (a Lua 5.1 C module) under lunatrace.
local cjson = require "cjson"
local function check(c, msg) if not c then error("check failed: " .. msg, 2) end end

-- Round trips of nested documents.
local doc = {
  name = "lunatrace", version = 1.5, tags = {"vm", "jit", "c-api"},
  nested = {deep = {deeper = {value = true, list = {1, 2, {3, 4}}}}},
  empty_obj = setmetatable({}, {}), unicode = "h\195\169llo \226\130\172",
  escapes = "tab\tnl\nquote\"back\\slash/", neg = -42, small = 1e-7,
}
local s = cjson.encode(doc)
local back = cjson.decode(s)
check(back.name == "lunatrace" and back.version == 1.5, "scalars")
check(#back.tags == 3 and back.tags[3] == "c-api", "array")
check(back.nested.deep.deeper.list[3][2] == 4, "nesting")
check(back.unicode == doc.unicode and back.escapes == doc.escapes, "strings")
check(back.neg == -42 and math.abs(back.small - 1e-7) < 1e-20, "numbers")
check(cjson.encode(cjson.decode(s)) == cjson.encode(back), "stable")

-- Decoding details.
local t = cjson.decode('[null, true, false, "\\u00e9\\u20ac", 1e3, -0.5, {"k": []}]')
check(t[1] == cjson.null and t[2] == true and t[3] == false, "literals")
check(t[4] == "\195\169\226\130\172", "unicode escapes")
check(t[5] == 1000 and t[6] == -0.5 and #t[7].k == 0, "numbers/empty")
check(cjson.decode('"just a string"') == "just a string", "top-level string")
check(cjson.decode("  12  ") == 12, "top-level number")

-- Many values (GC pressure through the API).
local big = {}
for i = 1, 5000 do big[i] = {id = i, name = "item" .. i, vals = {i, i * 2}} end
local bs = cjson.encode(big)
local bb = cjson.decode(bs)
check(#bb == 5000 and bb[4321].name == "item4321" and bb[5000].vals[2] == 10000, "big")
collectgarbage()

-- Errors raised by the C module come back through pcall.
local bad = {'{"a":', '[1,2', '{"a" 1}', 'nul', '"unterminated', '[1,]', ''}
for _, b in ipairs(bad) do
  local ok, err = pcall(cjson.decode, b)
  check(not ok and type(err) == "string" and err:find("Expected") or err:find("unexpected"),
        "decode error for " .. b .. ": " .. tostring(err))
end
local ok, err = pcall(cjson.encode, {f = function() end})
check(not ok and err:find("Cannot serialise"), "encode error: " .. tostring(err))
local cyc = {} cyc.self = cyc
ok, err = pcall(cjson.encode, cyc)
check(not ok and err:find("nesting"), "cycle: " .. tostring(err))
ok, err = pcall(cjson.encode, {[1] = 1, [1000] = 2})
check(not ok and err:find("sparse"), "sparse: " .. tostring(err))
cjson.encode_sparse_array(true)
check(cjson.encode({[1] = 1, [3] = 2}) == "[1,null,2]", "sparse allowed")

-- Independent instances and options.
local c2 = cjson.new()
c2.encode_number_precision(3)
check(c2.encode(math.pi) == "3.14", "precision " .. c2.encode(math.pi))
check(cjson.encode(0.5) == "0.5", "default precision")
print(cjson.encode({a = {1, 2, 3}}))
print("ok")
