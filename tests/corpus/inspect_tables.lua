-- inspect.lua: human-readable dumps of nested tables (with cycles,
-- metatables, options), repeated over generated data.
local inspect = require "inspect"

local t = {
  1, 2, "three", { 4, 5 },
  name = "root",
  ["key with spaces"] = true,
  [10] = "sparse",
  [1.5] = "float key",
  nested = { a = { b = { c = { d = "deep" } } } },
  list = { "x", "y", { z = { 1, 2, 3 } } },
  esc = "line1\nline2\t\"quoted\"\0nul\127",
}
t.self = t
t.nested.back = t.nested
print(inspect(t))
print(inspect(t, { depth = 2 }))
print(inspect(t.list, { newline = " ", indent = "" }))

local mt = { __index = function() return "dflt" end, __tostring = function() return "OBJ" end }
local obj = setmetatable({ field = 1 }, mt)
print(inspect({ obj = obj, obj2 = obj }))

-- process: drop metatables and replace some values.
print(inspect(obj, {
  process = function(item, path)
    if path[#path] == inspect.METATABLE then return nil end
    if item == 1 then return "one" end
    return item
  end,
}))

print(inspect(nil), inspect(1.25), inspect("str"), inspect(true), inspect({}))
print(inspect({ [true] = 1, [-3] = "neg", [0] = "zero" }))
print(inspect(setmetatable({}, { __metatable = "locked" })))

-- Many generated tables: the formatter's loops get hot.
local total, lines = 0, 0
for i = 1, 300 do
  local rec = {
    id = i,
    tags = { "t" .. i % 7, "u" .. i % 3 },
    pos = { x = i * 0.5, y = -i, z = i % 11 },
    [i % 5 + 1] = i * 2,
  }
  if i % 4 == 0 then rec.parent = { id = i - 1, kind = "link" } end
  local s = inspect(rec)
  total = total + #s
  for _ in s:gmatch("\n") do lines = lines + 1 end
  if i % 100 == 0 then print(i, #s, total, lines); print(s) end
end
