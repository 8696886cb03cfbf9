-- Strings stored as values of weak tables are values, not objects: they
-- survive collections (array part, key 0, hash part).
local t = setmetatable({}, {__mode = "v"})
for i = 1, 100 do t[i] = string.rep("x", 10) .. i end
t[0] = string.rep("z", 5) .. "0"
t.k = string.rep("w", 5) .. "k"
t[200] = {} -- an object: collected
collectgarbage(); collectgarbage()
local junk = {}
for i = 1, 1000 do junk[i] = string.rep("q", 100) .. i end
print(t[1], t[50], t[100], t[0], t.k, t[200])
local n = 0
for k, v in pairs(t) do n = n + 1 end
print(n)
