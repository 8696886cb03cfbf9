-- string.byte(s, i, j) with several results in traces (the count fixed by a guard)
local s = "hello, world! \0\255 abcdefghijklmnop"
local acc = 0
for i = 1, 300 do
  local k = i % 20 + 1
  local a, b, c = s:byte(k, k + 2)
  local d, e = string.byte(s, k, k + 1)
  local t = { s:byte(k, k + i % 4) }
  acc = acc + a * 3 + b * 5 + c + d - e + #t + (t[#t] or 0)
  if i % 50 == 0 then print(i, s:byte(k, k + 1)) end
end
print(acc, select('#', s:byte(3, 2)), s:byte(-3, -1))
for i = 1, 100 do acc = acc + (s:byte(i % 40, i % 40 + 3) or 0) end
print(acc)
