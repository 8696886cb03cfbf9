-- A side trace that boxes a 64-bit integer cdata before it links back to
-- its root trace (c > limit: false while the loop gets hot, then true):
-- the collection check after the box must leave the traces so that the
-- collector runs during the loop (a finaliser of garbage made before the
-- loop runs then, seen by the loop), not follow the link.
local ffi = require "ffi"
-- (The loops' roots are recorded on the path they later leave, on purpose:
-- Lunatrace would record them again or loop the other path; not LuaJIT.)
pcall(jit.opt.start, "-rerecord", "-sideloop")
collectgarbage()
local fin = false
local function garbage()
  ffi.gc(ffi.new("int[4]"), function() fin = true end)
end
garbage()
local c, big, seen = 0LL, 0, nil
for i = 1, 300000 do
  local x = ffi.cast("int", i)
  c = c + x
  if c > 1000000LL then big = big + 1 end
  if fin and not seen then seen = i end
end
print("sum", c, big)
print("collected during the loop", seen ~= nil and seen < 300000)

-- The same with a uint64_t value and an unsigned comparison.
collectgarbage()
fin, seen = false, nil
garbage()
local u, n = 0ULL, 0
for i = 1, 300000 do
  u = u + ffi.cast("uint32_t", i * 7)
  if u >= 7000000ULL then n = n + 1 end
  if fin and not seen then seen = i end
end
print("usum", u, n)
print("collected during the loop", seen ~= nil and seen < 300000)
