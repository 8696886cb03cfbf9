-- string.gmatch over words and numbers.
local s = string.rep("alpha 12 beta 345 gamma 6789 ", 20)
local n = 0
for i = 1, 30000 do
  for w in s:gmatch("%a+") do n = n + #w end
  for d in s:gmatch("%d+") do n = n + d end
end
print(n)
