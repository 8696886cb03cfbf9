-- Collatz search with bit operations: the longest chain below a limit,
-- halving with bit.rshift and testing parity with bit.band.
local bit = require("bit")
local band, rshift = bit.band, bit.rshift
local LIMIT = tonumber(arg and arg[1]) or 1000000

local best, bestn, total = 0, 0, 0
for n = 1, LIMIT do
  local x, steps = n, 0
  while x ~= 1 do
    if band(x, 1) == 0 then
      x = rshift(x, 1)
    else
      x = 3 * x + 1
    end
    steps = steps + 1
  end
  total = total + steps
  if steps > best then best, bestn = steps, n end
end
print(bestn, best, total)
