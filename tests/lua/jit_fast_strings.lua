-- string.byte/len/sub/char and # in traces, string methods, GC pressure.
local s = "hello, world"
local sum = 0
for i = 1, 200 do
  local k = (i % #s) + 1
  sum = sum + string.byte(s, k) + string.len(s) + #s
end
print("byte/len", sum)

-- negative indexes, default index, out-of-range falls back
local t = {}
for i = 1, 30 do
  local k = -((i % 5) + 1)
  t[#t + 1] = string.byte(s, k) .. ":" .. string.byte(s)
end
print(table.concat(t, " "))
local r = {}
for i = 1, 20 do
  r[#r + 1] = (string.byte("abc", i % 5)) or "none"
end
print(table.concat(r, ","))

-- string.sub in all forms
local parts = {}
for i = 1, 40 do
  local j = i % 7
  parts[#parts + 1] = string.sub(s, j) .. "|" .. string.sub(s, j, j + 2) .. "|" .. string.sub(s, -j, -1) .. "|" .. s:sub(2, -3 + j)
end
print(parts[1], parts[7], parts[13], parts[40], #table.concat(parts))
local subs = 0
for i = -20, 20 do
  subs = subs + #string.sub("abcdefghij", i, i + 3) + #string.sub("abcdefghij", 1.5, i * 0.5)
end
print("subs", subs)

-- string.char
local cs = {}
for i = 1, 50 do
  cs[#cs + 1] = string.char(65 + i % 26, 97 + i % 26)
end
print(table.concat(cs))
local ok, err = pcall(function()
  local x
  for i = 250, 260 do x = string.char(i) end
  return x
end)
print(ok, (tostring(err):gsub("^[^:]*:%d+: ", "")))

-- methods on strings
local m = 0
for i = 1, 100 do
  local w = ("word" .. i)
  m = m + w:len() + w:byte(1) + #w:sub(2)
end
print("methods", m)

-- many fresh strings: collections run in between
local keep = {}
for i = 1, 20000 do
  local x = string.sub("abcdefghijklmnopqrstuvwxyz", i % 26, (i * 7) % 26) .. i
  if i % 1000 == 0 then keep[#keep + 1] = x end
end
print(table.concat(keep, ","))
collectgarbage()
print(collectgarbage("count") < 100000)

-- type changes exit the trace
local vals = {"abc", "de", "f", "ghij", 12345}
local out = {}
for i = 1, 25 do
  local v = vals[i % 5 + 1]
  out[#out + 1] = string.len(v) .. string.sub(v, 2)
end
print(table.concat(out, ";"))
-- string.lower / string.upper (method and function forms).
local cased = {}
for i = 1, 40 do
  local w = ("Word" .. i .. "ÄbC")
  cased[#cased + 1] = w:lower() .. string.upper(w) .. ("x"):upper()
end
print(#cased, cased[1], cased[40])
