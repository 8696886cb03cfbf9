-- The seed's follow-up (lj-flush-on-trace): C called through the FFI from
-- the loop flushes the JIT with luaJIT_setmode from the trigger on.
--   lunatrace [-Osandwich=POLICY] flush.lua HOTLOOP TRIGGER [HOLDER]
local hotloop = tonumber(arg[1]) or 1
local trigger = tonumber(arg[2]) or 1
local holder = arg[3] or "udata"
local ffi = require('ffi')
local lib = ffi.load(os.getenv('LT_LIBSANDWICH'))
ffi.cdef('void flush(struct sandwich *state, int i)')
local s = require('libsandwich')(trigger, "call", holder == "cdata" and "light" or holder)
if holder == "cdata" then s = ffi.cast('struct sandwich *', s) end
jit.opt.start('hotloop=' .. hotloop)
for i = 0, hotloop + trigger do
  lib.flush(s, i)
end
print('OK')
