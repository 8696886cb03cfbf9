-- old-style module() helper used by env.lua
module("helper_oldmod", package.seeall)
value = 123
function twice(x) return x * 2 end
function getprint() return print ~= nil end
