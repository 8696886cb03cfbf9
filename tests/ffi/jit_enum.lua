-- reference-fails: joff hot
-- An enum with an unsigned underlying type read in a hot loop stays
-- unsigned in traces (as interpreted). LuaJIT prints the sum as a 64-bit
-- cdata (85899346000LL); here enum values are numbers: hand-written.
local ffi = require "ffi"
ffi.cdef[[ enum big { BIG = 0x80000001u, SMALL = 1 }; typedef struct { enum big e; } holder; ]]
local h = ffi.new("holder[4]")
for i = 0, 3 do h[i].e = (i % 2 == 0) and ffi.C.BIG or ffi.C.SMALL end
local s = 0
for r = 1, 20 do for i = 0, 3 do s = s + h[i].e end end
print(s)
