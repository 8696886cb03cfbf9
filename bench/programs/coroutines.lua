-- Coroutine-heavy workload: generators, producer/consumer pipelines,
-- and coroutine.wrap based iterators.
local N = tonumber(arg and arg[1]) or 3000000

local yield, resume, create, wrap, status = coroutine.yield, coroutine.resume,
  coroutine.create, coroutine.wrap, coroutine.status

-- generator of integers 1..n
local function gen_range(n)
  return wrap(function()
    for i = 1, n do yield(i) end
  end)
end

-- filter stage
local function filter(pred, src)
  return wrap(function()
    for v in src do
      if pred(v) then yield(v) end
    end
  end)
end

-- map stage
local function map(f, src)
  return wrap(function()
    for v in src do yield(f(v)) end
  end)
end

local sum = 0
for v in map(function(x) return x * 3 % 1001 end,
             filter(function(x) return x % 3 ~= 0 end, gen_range(N))) do
  sum = sum + v
end
print(string.format("pipeline sum=%d", sum))

-- producer/consumer with resume/yield passing values both ways
local producer = create(function(a)
  local total = 0
  while true do
    total = total + a
    a = yield(total % 65521)
  end
end)
local chk = 0
for i = 1, N do
  local ok, v = resume(producer, i)
  chk = (chk * 3 + v) % 1000003
end
print(string.format("pingpong chk=%d status=%s", chk, status(producer)))

-- many short-lived coroutines
local finished = 0
for i = 1, N / 10 do
  local co = create(function(x, y)
    local s = x + y
    s = s + yield(s)
    return s * 2
  end)
  local _, a = resume(co, i, 1)
  local _, b = resume(co, a)
  if status(co) == "dead" then finished = finished + b % 7 end
end
print(string.format("short-lived finished=%d", finished))

-- permutations generator (recursive yields through nested coroutines)
local function permgen(a, n)
  if n <= 1 then
    yield(a)
  else
    for i = 1, n do
      a[n], a[i] = a[i], a[n]
      permgen(a, n - 1)
      a[n], a[i] = a[i], a[n]
    end
  end
end
local function permutations(a)
  return wrap(function() permgen(a, #a) end)
end
local pcount, pchk = 0, 0
for p in permutations({ 1, 2, 3, 4, 5, 6, 7, 8 }) do
  pcount = pcount + 1
  pchk = (pchk * 7 + p[1] * 8 + p[8]) % 1000003
end
print(string.format("permutations=%d chk=%d", pcount, pchk))
