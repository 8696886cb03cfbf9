-- Closures of one prototype whose upvalue is open on a slot of the loop
-- frame, a new instance of the variable each round: traces guard that
-- the upvalue points at that slot (not its identity), so no chain of side
-- traces forms; results equal the interpreter.
local function make_counter()
  local n = 0
  return function(d) n = n + d; return n end, function() return n end
end
local s3 = 0
for r = 1, 2000 do
  local inc, get = make_counter()
  local adders = {}
  for i = 1, 100 do adders[i] = function() return inc(i) end end
  for i = 1, 100 do s3 = s3 + adders[i]() end
  s3 = (s3 + get()) % 1000000007
end
print(s3)
