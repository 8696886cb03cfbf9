-- bench/programs/raytrace.lua at N = 6 (vectors with metamethods, a
-- recursive trace() whose callee's loop is compiled): under GC stress
-- with side traces forced hot, a trace linked to that loop in an
-- inlined frame (RECLINK) after allocating got wrong results.
-- Small recursive ray tracer: spheres + plane, diffuse/specular shading,
-- shadows and reflections. Prints a checksum over the quantized pixels.
local N = 6

local sqrt, floor, max = math.sqrt, math.floor, math.max

local Vec = {}
Vec.__index = Vec
local function vec(x, y, z) return setmetatable({ x = x, y = y, z = z }, Vec) end
function Vec.__add(a, b) return vec(a.x + b.x, a.y + b.y, a.z + b.z) end
function Vec.__sub(a, b) return vec(a.x - b.x, a.y - b.y, a.z - b.z) end
function Vec.__mul(a, s) return vec(a.x * s, a.y * s, a.z * s) end
function Vec.__unm(a) return vec(-a.x, -a.y, -a.z) end
function Vec:dot(b) return self.x * b.x + self.y * b.y + self.z * b.z end
function Vec:mulv(b) return vec(self.x * b.x, self.y * b.y, self.z * b.z) end
function Vec:len() return sqrt(self:dot(self)) end
function Vec:norm()
  local l = self:len()
  return vec(self.x / l, self.y / l, self.z / l)
end
function Vec:cross(b)
  return vec(self.y * b.z - self.z * b.y, self.z * b.x - self.x * b.z, self.x * b.y - self.y * b.x)
end

-- Objects ---------------------------------------------------------------
local Sphere = {}
Sphere.__index = Sphere
local function sphere(center, radius, color, refl)
  return setmetatable({ c = center, r2 = radius * radius, color = color, refl = refl }, Sphere)
end
function Sphere:intersect(o, d)
  local oc = o - self.c
  local b = oc:dot(d)
  local c = oc:dot(oc) - self.r2
  local disc = b * b - c
  if disc < 0 then return nil end
  local s = sqrt(disc)
  local t = -b - s
  if t > 1e-6 then return t end
  t = -b + s
  if t > 1e-6 then return t end
  return nil
end
function Sphere:normal(p) return (p - self.c):norm() end
function Sphere:colorAt(p) return self.color end

local Plane = {}
Plane.__index = Plane
local function plane(n, d, refl) return setmetatable({ n = n, d = d, refl = refl }, Plane) end
function Plane:intersect(o, d)
  local denom = self.n:dot(d)
  if denom > -1e-9 and denom < 1e-9 then return nil end
  local t = -(self.n:dot(o) + self.d) / denom
  if t > 1e-6 then return t end
  return nil
end
function Plane:normal(p) return self.n end
function Plane:colorAt(p)
  local cx = floor(p.x) + floor(p.z)
  if cx % 2 == 0 then return vec(0.9, 0.9, 0.9) end
  return vec(0.15, 0.15, 0.2)
end

-- Scene -----------------------------------------------------------------
local objects = {
  plane(vec(0, 1, 0), 1.0, 0.3),
  sphere(vec(0, 0, 4), 1.0, vec(0.9, 0.2, 0.2), 0.4),
  sphere(vec(-1.8, -0.3, 5), 0.7, vec(0.2, 0.9, 0.3), 0.2),
  sphere(vec(1.7, -0.4, 3.5), 0.6, vec(0.2, 0.3, 0.95), 0.5),
  sphere(vec(0.4, -0.75, 2.4), 0.25, vec(0.95, 0.9, 0.2), 0.1),
}
local lights = {
  { pos = vec(-5, 6, -2), color = vec(0.8, 0.8, 0.8) },
  { pos = vec(4, 4, 0), color = vec(0.4, 0.35, 0.3) },
}
local ambient = 0.1
local MAX_DEPTH = 4

local function closest(o, d)
  local best, bobj = 1e30, nil
  for i = 1, #objects do
    local obj = objects[i]
    local t = obj:intersect(o, d)
    if t and t < best then best, bobj = t, obj end
  end
  return bobj, best
end

local function shadowed(p, ldir, ldist)
  for i = 1, #objects do
    local t = objects[i]:intersect(p, ldir)
    if t and t < ldist then return true end
  end
  return false
end

local function trace(o, d, depth)
  local obj, t = closest(o, d)
  if not obj then
    local k = 0.5 * (d.y + 1)
    return vec(0.6 - 0.3 * k, 0.7 - 0.2 * k, 1.0)
  end
  local p = o + d * t
  local n = obj:normal(p)
  local base = obj:colorAt(p)
  local col = base * ambient
  for i = 1, #lights do
    local L = lights[i]
    local tol = L.pos - p
    local ldist = tol:len()
    local ldir = tol * (1 / ldist)
    local diff = n:dot(ldir)
    if diff > 0 and not shadowed(p, ldir, ldist) then
      col = col + base:mulv(L.color) * diff
      local h = (ldir - d):norm()
      local spec = n:dot(h)
      if spec > 0 then
        spec = spec * spec; spec = spec * spec; spec = spec * spec
        spec = spec * spec; spec = spec * spec   -- spec^32
        col = col + L.color * spec
      end
    end
  end
  if depth < MAX_DEPTH and obj.refl > 0 then
    local rd = d - n * (2 * d:dot(n))
    local rc = trace(p, rd, depth + 1)
    col = col * (1 - obj.refl) + rc * obj.refl
  end
  return col
end

local eye = vec(0, 0.3, -1.5)
local lookat = vec(0, -0.2, 4)
local fwd = (lookat - eye):norm()
local right = vec(0, 1, 0):cross(fwd):norm()
local up = fwd:cross(right)

local function clamp8(v)
  if v < 0 then v = 0 elseif v > 1 then v = 1 end
  return floor(v * 255 + 0.5)
end

local checksum, rsum, gsum, bsum = 0, 0, 0, 0
for y = 0, N - 1 do
  local sy = 1 - 2 * (y + 0.5) / N
  for x = 0, N - 1 do
    local sx = 2 * (x + 0.5) / N - 1
    local d = (fwd + right * (sx * 0.8) + up * (sy * 0.8)):norm()
    local c = trace(eye, d, 0)
    local r, g, b = clamp8(c.x), clamp8(c.y), clamp8(c.z)
    rsum, gsum, bsum = rsum + r, gsum + g, bsum + b
    checksum = (checksum * 131 + r * 65536 + g * 256 + b) % 2147483629
  end
end
print(string.format("%dx%d r=%d g=%d b=%d checksum=%d", N, N, rsum, gsum, bsum, checksum))
