-- Recursive Fibonacci, Ackermann and Takeuchi: call-heavy benchmarks.
local N = tonumber(arg and arg[1]) or 38

local function fib(n)
  if n < 2 then return n end
  return fib(n - 1) + fib(n - 2)
end

local function ack(m, n)
  if m == 0 then return n + 1 end
  if n == 0 then return ack(m - 1, 1) end
  return ack(m - 1, ack(m, n - 1))
end

local function tak(x, y, z)
  if y >= x then return z end
  return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))
end

-- fib through a global function and a closure to exercise other call paths
function gfib(n)
  if n < 2 then return n end
  return gfib(n - 1) + gfib(n - 2)
end

local memo_calls = 0
local function make_fib()
  local self
  self = function(n)
    memo_calls = memo_calls + 1
    if n < 2 then return n end
    return self(n - 1) + self(n - 2)
  end
  return self
end

print(string.format("fib(%d) = %d", N, fib(N)))
print(string.format("gfib(%d) = %d", N - 4, gfib(N - 4)))
local cf = make_fib()
print(string.format("cfib(%d) = %d calls=%d", N - 6, cf(N - 6), memo_calls))
local acc = 0
for n = 1, 7 do acc = acc + ack(2, n * 50) end
-- ack(3, n) recurses about 2^(n+3) deep; keep n small for Lua 5.1's call limit
local a3 = 0
for n = 1, 9 do a3 = a3 + ack(3, n) end
print(string.format("ack(3,9) = %d  sum ack(3,1..9) = %d  sum ack(2,*) = %d", ack(3, 9), a3, acc))
print(string.format("tak(24,16,8) = %d", tak(24, 16, 8)))
