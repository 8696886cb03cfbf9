-- Big-number arithmetic on arrays of base-10^7 limbs: factorials and
-- powers of two, printing digit sums and lengths.
local BASE = 10000000
local N = tonumber(arg and arg[1]) or 5000

local function mul_small(a, m)
  local carry = 0
  for i = 1, #a do
    local v = a[i] * m + carry
    carry = math.floor(v / BASE)
    a[i] = v - carry * BASE
  end
  while carry > 0 do
    local q = math.floor(carry / BASE)
    a[#a + 1] = carry - q * BASE
    carry = q
  end
end

local function add(a, b)
  local r, carry = {}, 0
  local n = math.max(#a, #b)
  for i = 1, n do
    local v = (a[i] or 0) + (b[i] or 0) + carry
    if v >= BASE then r[i] = v - BASE; carry = 1 else r[i] = v; carry = 0 end
  end
  if carry > 0 then r[n + 1] = carry end
  return r
end

local function digits(a)
  local sum, len = 0, 0
  for i = 1, #a do
    local v = a[i]
    local k = 0
    while v > 0 do
      local q = math.floor(v / 10)
      sum = sum + (v - q * 10)
      v = q
      k = k + 1
    end
    if i < #a then len = len + 7 else len = len + k end
  end
  return sum, len
end

local f = { 1 }
for i = 2, N do mul_small(f, i) end
print("factorial", N, digits(f))
local p = { 1 }
for _ = 1, 4 * N do p = add(p, p) end
print("2^" .. 4 * N, digits(p))
