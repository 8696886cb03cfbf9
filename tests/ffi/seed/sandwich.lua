-- The seed's FFI sandwich (tests/ffi_seed.rs runs it; see libsandwich.c):
--   lunatrace [-Osandwich=POLICY] sandwich.lua HOTLOOP TRIGGER [HOW [HOLDER]]
-- HOLDER is "udata" (a full userdata, the seed's shape), "light" (a light
-- userdata) or "cdata" (the light userdata cast to a struct pointer).
-- With trigger <= hotloop the C side re-enters while the loop is being
-- recorded (the recording is aborted); with trigger > hotloop the trace
-- is compiled first and re-entered while it runs.
local hotloop = tonumber(arg[1]) or 1
local trigger = tonumber(arg[2]) or 1
local how, holder = arg[3] or "call", arg[4] or "udata"
local ffi = require('ffi')
local lib = ffi.load(os.getenv('LT_LIBSANDWICH'))
ffi.cdef('int increment(struct sandwich *state, int i)')
local s = require('libsandwich')(trigger, how, holder == "cdata" and "light" or holder)
if holder == "cdata" then s = ffi.cast('struct sandwich *', s) end
jit.opt.start('hotloop=' .. hotloop)
local res
for i = 0, hotloop + trigger do
  res = lib.increment(s, i)
end
print(res)
assert(res == hotloop + trigger + 1)
