-- A side trace starting at an exit whose instruction takes the values a
-- call left (MULTRES): `f(debug.getlocal(1, 1))` is stitched (the trace
-- ends before the native call, a continuation starts at the CALLM with
-- its two results); the callee `f` changes with no branch picking it, so
-- the continuation's callee guard fails at the CALLM, and its side trace
-- starts there with the two values on the stack.
local base = 7
local function add(name, v) return #name + v end
local function mul(name, v) return #name * v end
local function cnt(...) return select('#', ...) * 100 end
local fs, gs = { add, mul }, { add, cnt }
local floor = math.floor
local s, n = 0, 0
for i = 1, 3000 do
  local f = fs[1 + floor((i % 10) / 9)]
  s = s + f(debug.getlocal(1, 1))
  local g = gs[1 + floor((i % 7) / 6)]
  n = n + g(debug.getlocal(1, 1))
end
print(s, n, base)
