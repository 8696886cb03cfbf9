-- table.concat compiled in a loop: default and explicit separators,
-- numbers formatted like tostring, tables growing between calls, an empty
-- table, and an element that is not a string or number (error, raised by
-- the interpreter after the trace exits).
local parts = {}
local out = {}
for i = 1, 60 do
  parts[#parts + 1] = (i % 3 == 0) and i / 4 or ("s" .. i)
  local joined = table.concat(parts, ",")
  local plain = table.concat(parts)
  out[#out + 1] = #joined + #plain
end
print(table.concat(out, " "))
print(table.concat({}), table.concat({}, "-"), table.concat({ 1.5, 2, "x" }, "|"))
local bad = { "a", "b" }
print(pcall(function()
  local n = 0
  for i = 1, 20 do
    if i == 15 then bad[2] = true end
    n = n + #table.concat(bad, "")
    n = n + #table.concat({ "p", "q" }, bad[1])
  end
  return n
end))
local t = { "a", "b" }
local s = 0
for i = 1, 30 do
  if i == 20 then t[2] = false end
  local ok, e = pcall(table.concat, t)
  s = s + (ok and #e or 100)
end
print(s)
