-- FFI: a C `double` function called in a hot loop, and a walk over a C
-- array of structs (member loads and stores through element references).
local ffi = require "ffi"
ffi.cdef [[
double cos(double x);
typedef struct { double x, y, vx, vy; int hits; } body;
]]
local C = ffi.C
local N = tonumber(arg and arg[1]) or 20000000

-- 1. calling a C function
local s = 0
for i = 1, N do s = s + C.cos(i * 1e-6) end

-- 2. walking an array of structs
local n = 1000
local bodies = ffi.new("body[?]", n)
for i = 0, n - 1 do
  local b = bodies[i]
  b.x, b.y, b.vx, b.vy = i, -i, (i % 7) * 0.25, (i % 5) * -0.5
end
local steps = math.floor(N / 4000)
for step = 1, steps do
  for i = 0, n - 1 do
    local b = bodies[i]
    b.x = b.x + b.vx * 0.01
    b.y = b.y + b.vy * 0.01
    if b.x > 500 then b.vx = -b.vx; b.hits = b.hits + 1 end
  end
end
local cx, cy, hits = 0, 0, 0
for i = 0, n - 1 do
  cx = cx + bodies[i].x; cy = cy + bodies[i].y; hits = hits + bodies[i].hits
end
print(string.format("%.6f %.3f %.3f %d", s, cx, cy, hits))
