-- Synthetic: closures. (1) a fresh closure per iteration passed to a
-- higher-order function; (2) one polymorphic call site over many closures
-- of one prototype (different upvalues); (3) closures over a loop variable
-- and over a shared mutable upvalue; (4) closures of several prototypes.
-- Prints one checksum per part.

local function apply(f, x) return f(x) end

-- (1) apply(function(x) return x*k+1 end, i), a new closure each time.
local s1 = 0
for k = 1, 1200 do
  for i = 1, 10000 do
    s1 = s1 + apply(function(x) return x * k + 1 end, i)
  end
  s1 = s1 % 1000000007
end

-- (2) Many closures of one prototype, called from one site.
local function make_affine(a, b) return function(x) return (a * x + b) % 65521 end end
local fs = {}
for i = 1, 256 do fs[i] = make_affine(i, 1000 - i) end
local s2 = 0
local x = 1
for r = 1, 36000000 do
  x = fs[r % 256 + 1](x)
  s2 = s2 + x
end
s2 = s2 % 1000000007

-- (3) Counters sharing an upvalue; closures over the loop variable.
local function make_counter()
  local n = 0
  return function(d) n = n + d; return n end, function() return n end
end
local s3 = 0
for r = 1, 6000 do
  local inc, get = make_counter()
  local adders = {}
  for i = 1, 100 do adders[i] = function() return inc(i) end end
  for i = 1, 100 do s3 = s3 + adders[i]() end
  s3 = (s3 + get()) % 1000000007
end

-- (4) A call site over closures of several prototypes.
local makers = {
  function(k) return function(x) return x + k end end,
  function(k) return function(x) return x * 2 - k end end,
  function(k) return function(x) return (x * k) % 1009 end end,
  function(k) return function(x) if x > k then return x - k end return x + k end end,
}
local gs = {}
for i = 1, 64 do gs[i] = makers[i % 4 + 1](i) end
local s4, y = 0, 7
for r = 1, 16000000 do
  y = gs[r % 64 + 1](y) % 100003
  s4 = s4 + y
end
s4 = s4 % 1000000007

print("apply", s1)
print("poly", s2)
print("counters", s3)
print("mixed", s4)
