-- Sieve of Eratosthenes, repeated with slightly varying limits; counts primes
-- and twin primes.
local N = tonumber(arg and arg[1]) or 1000000
local REPS = 40

local function sieve(n)
  local composite = {}
  for i = 2, n do composite[i] = false end
  local i = 2
  while i * i <= n do
    if not composite[i] then
      for j = i * i, n, i do composite[j] = true end
    end
    i = i + 1
  end
  return composite
end

local total, twins, sum = 0, 0, 0
for rep = 1, REPS do
  local n = N - rep * 997
  local comp = sieve(n)
  local count, prev = 0, -10
  local s = 0
  for i = 2, n do
    if not comp[i] then
      count = count + 1
      if i - prev == 2 then twins = twins + 1 end
      prev = i
      s = (s + i) % 1000000007
    end
  end
  total = total + count
  sum = (sum * 7 + s) % 1000000007
  if rep == 1 or rep == REPS then
    print(string.format("primes <= %d: %d", n, count))
  end
end
print(string.format("total=%d twins=%d sum=%d", total, twins, sum))
