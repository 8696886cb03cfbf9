-- string.gsub with a string, a table and a function replacement.
local s = string.rep("Hello World, hello lua! ", 10)
local map = { Hello = "Bye", World = "Moon" }
local n = 0
for i = 1, 40000 do
  n = n + #s:gsub("o", "0") + #s:gsub("%a+", map) + #s:gsub("(%a)(%a*)", function(a, b) return b .. a end)
end
print(n)
