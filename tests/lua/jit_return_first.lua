-- Side traces whose first instruction is a return the trace cannot
-- follow (into a native caller: `encode` is `gsub`'s replacement
-- function, as in Markdown's code spans): the loop's exit at its end
-- goes on in the interpreter, without recording attempts ("return from
-- the trace's base frame to this frame").
-- (an array, not a hash: LuaJIT's `pairs` order varies from run to run)
local subst = { { "&", "&amp;" }, { "<", "&lt;" }, { ">", "&gt;" } }
local function encode(s)
  for _, kv in ipairs(subst) do
    s = s:gsub(kv[1], kv[2])
  end
  return s
end
local n = 0
for i = 1, 400 do
  local r = ("a<b> &c " .. i):gsub("%S+", encode)
  n = n + #r
end
print(n)
