-- Short-lived vector objects with arithmetic metamethods.
local N = tonumber(arg and arg[1]) or 20000000

local V = {}
V.__index = V
local function vec(x, y, z) return setmetatable({ x = x, y = y, z = z }, V) end
V.__add = function(a, b) return vec(a.x + b.x, a.y + b.y, a.z + b.z) end
V.__sub = function(a, b) return vec(a.x - b.x, a.y - b.y, a.z - b.z) end
V.__mul = function(a, s) return vec(a.x * s, a.y * s, a.z * s) end
function V:dot(o) return self.x * o.x + self.y * o.y + self.z * o.z end
function V:len() return math.sqrt(self:dot(self)) end

local pos, vel = vec(0, 0, 0), vec(1, 0.5, 0.25)
local g = vec(0, -0.001, 0)
local acc = 0
for i = 1, N do
  vel = vel + g * 0.5
  pos = pos + vel * 0.01
  local d = pos - vel
  acc = acc + d:dot(g) + (d * 2):len() * 1e-9
end
print(string.format("%.6f %.6f %.6f %.9f", pos.x, pos.y, pos.z, acc))
