-- jit.zone (LuaJIT 2.1's module API; Lunatrace's code): a stack of zone
-- names a program marks its phases with, for profilers to read.
--   zone(name)   enter zone `name`
--   zone()       leave the current zone, returning its name
--   zone:get()   the current zone's name (nil outside any)
--   zone:flush() leave every zone
local stack = {}
local zone = {}

function zone.get()
  return stack[#stack]
end

function zone.flush()
  for i = #stack, 1, -1 do stack[i] = nil end
end

return setmetatable(zone, {
  __call = function(_, name)
    if name ~= nil then
      stack[#stack + 1] = name
    else
      local n = #stack
      local top = stack[n]
      stack[n] = nil
      return top
    end
  end,
})
