-- Index expressions narrowed to int arithmetic with overflow guards
-- (TOINT of sums, differences and products by constants of ints and
-- numbers from slots): results as interpreted, also where a guard fails
-- (a fractional part, an overflow in a part, a product past int32) and
-- the trace exits.
local t = {}
for i = 1, 64 do t[i] = i * 10 end

-- FFT-like: data[2 * (b + d) + 1], d a number from a slot.
local s = 0
for r = 1, 3 do
  local d = r
  for b = 0, 20 do s = s + t[2 * (b + d) + 1] + t[2 * b + 2] end
end
print("fft", s)

-- Differences and a constant minus a counter.
s = 0
local n = 40
for i = 1, 30 do s = s + t[n - i + 1] + t[50 - i] + t[(i - 1) * 2 + 1] end
print("sub", s)

-- A leaf with a fraction that cancels out: 2 * (i + 0.5) is an integer;
-- the narrowed guard fails and the trace exits, same results.
s = 0
for i = 1, 30 do
  local h = (i % 3 == 0) and 0.5 or 1
  s = s + (t[2 * (i + h)] or -1)
end
print("fraction", s)

-- Parts past int32 with an in-range result (the guard exits), and a
-- product by a constant past int32 (no element: nil).
s = 0
local big = 2147483647
for i = 1, 30 do
  s = s + (t[(big + i) - big] or -1) + (t[i * 65536 * 4] or 0)
end
print("overflow", s)

-- Negative and zero indexes through the hash part.
local u = {}
for i = -10, 10 do u[i] = i end
s = 0
for i = 1, 20 do s = s + u[3 * (i % 7) - 10] + u[5 - i % 11] end
print("negative", s)

-- Six levels (FFT's `data[j + 1]`, `j = 2 * (b + a + d) + 1`), and the
-- overflow guards of sums and differences of two variables: `hi + a`
-- and `lo - a` leave int32 for some `a` (the trace exits there).
s = 0
local lo, hi = -2147483647, 2147483647
local as, ds = {}, {}
for i = 1, 30 do as[i], ds[i] = i % 5, (i % 3) * 4 end
for i = 1, 30 do
  local a, d = as[i], ds[i]
  local j = 2 * (i + a + d) + 1
  s = s + (t[j + 1] or 0) + (t[j] or 0)
  s = s + (t[(hi + a) - hi + 1] or -1) + (t[(lo - a) - lo + 2] or -1)
  s = s + (t[(i - hi) + hi] or -1)
end
print("deep and flags", s)
