-- string.format (simple directives) and table.insert (append) in traces.
local lines = {}
for i = 1, 60 do
  lines[#lines + 1] = string.format("%d:%s:%g|%5.2f|%-4d|%03d|%.3s|%e|%%", i, "v" .. i, i / 3, i * 1.005, i, i % 7, "abcdef", i * 1e10)
end
print(lines[1])
print(lines[33])
print(lines[60])
print(#table.concat(lines))

-- unsupported directives and argument types exit or abort
local mixed = {}
for i = 1, 30 do
  local v = (i % 4 == 0) and "12" or i
  mixed[#mixed + 1] = string.format("%d %x %s", v, i, i % 5 == 0 and 1 / 0 or i / 7)
end
print(table.concat(mixed, ","))
local nf = {}
for i = 1, 20 do
  nf[#nf + 1] = string.format("%5.1f", i % 6 == 0 and 0 / 0 or i / 0.7)
end
print(table.concat(nf, ","))
for i = 1, 4 do
  print(pcall(string.format, "%d", i < 3 and i or "x"))
end

-- table.insert appends
local t = {}
for i = 1, 100 do
  table.insert(t, i * 2)
  if i % 10 == 0 then table.insert(t, "s" .. i) end
end
print(#t, t[1], t[11], t[110])
local h = {}
h[1] = 1
h[2] = 2
for i = 1, 10 do
  table.insert(h, i)
end
print(#h, h[12])
local mtt = setmetatable({}, {__newindex = function(t, k, v) rawset(t, k, v * 10) end})
for i = 1, 20 do
  table.insert(mtt, i)
end
print(#mtt, mtt[1], mtt[20])
local objs = {}
for i = 1, 3000 do
  table.insert(objs, {i})
end
print(#objs, objs[3000][1])
