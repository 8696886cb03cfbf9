-- Reading absent globals in compiled loops: plain nil, then through a
-- metatable on _G (an __index function, strict mode's error); # of a
-- table with a metatable (Lua 5.1 ignores __len on tables).
local n = 0
for i = 1, 100 do
  if not undefined_global then n = n + 1 end
  if i == 50 then undefined_global = false end
  if i == 80 then undefined_global = 1 end
end
print(n)
setmetatable(_G, { __index = function(t, k) return k .. "!" end })
local s = 0
for i = 1, 100 do s = s + #missing_x end
print(s)
local mt = getmetatable(_G)
mt.__index = function(t, k) error("undefined variable " .. k, 0) end
print(pcall(function() local c = 0 for i = 1, 100 do c = c + 1; if i == 90 then return zzz end end end))
local L = setmetatable({}, { __len = function() return 99 end, __index = table })
local total = 0
for i = 1, 50 do L[#L + 1] = i; total = total + #L end
print(#L, total)
