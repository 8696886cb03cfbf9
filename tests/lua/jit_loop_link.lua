-- A trace that reaches a compiled loop inside a function it inlined
-- pushes the inlined frames itself and continues in the loop's trace
-- (RECLINK), vararg frames included: the loop trace then reads the
-- varargs (select('#'), select(k), ...) of the frame the trace pushed.

-- 1. vararg function with a counted loop over its arguments
local function sum(...)
  local s = 0
  for k = 1, select('#', ...) do s = s + (select(k, ...)) end
  return s
end
local t = 0
for i = 1, 400 do
  t = t + sum(i, 2, 3, 4, 5)
  if i % 97 == 0 then t = t + sum(i) + sum() end
end
print(1, t)

-- 2. fixed parameters plus varargs, a while loop (LOOP) inside
local function walk(a, b, ...)
  local n, acc = select('#', ...), a * b
  local k = 1
  while k <= n do
    acc = acc + (select(k, ...)) * k
    k = k + 1
  end
  return acc, n
end
local u, cnt = 0, 0
for i = 1, 300 do
  local x, n = walk(i, 2, i, i + 1, i + 2)
  u = u + x
  cnt = cnt + n
end
print(2, u, cnt)

-- 3. two inlined levels: the loop is in the inner function
local function inner(v, n)
  local s = 0
  for j = 1, n do s = s + v[j] * j end
  return s
end
local function outer(v, n, ...)
  return inner(v, n) + select('#', ...)
end
local vec = {}
for j = 1, 8 do vec[j] = j * 0.5 end
local w = 0
for i = 1, 300 do
  w = w + outer(vec, 1 + i % 8, i, i)
end
print(3, w)

-- 4. a generic for over ipairs (ITERL) inside a vararg function
local function isum(tbl, ...)
  local s = select('#', ...)
  for _, x in ipairs(tbl) do s = s + x end
  return s
end
local z = 0
for i = 1, 300 do z = z + isum(vec, i, i, i) end
print(4, z)

-- 5. varargs of different counts reaching the same compiled loop
local r = 0
for i = 1, 300 do
  if i % 3 == 0 then r = r + sum(i, i)
  elseif i % 3 == 1 then r = r + sum(i, 1, 2, 3, 4, 5, 6, 7)
  else r = r + sum(i) end
end
print(5, r)

-- 6. deep recursion around the loop: frames pushed by the trace keep
-- tracebacks and error positions intact
local function deep(n, ...)
  if n == 0 then
    local s = 0
    for k = 1, select('#', ...) do s = s + select(k, ...) end
    return s
  end
  return deep(n - 1, ...) + 1
end
local d = 0
for i = 1, 200 do d = d + deep(i % 4, i, 1) end
print(6, d)
local ok, msg = pcall(function()
  for i = 1, 200 do sum(i, i, i % 150 == 0 and {} or 1) end
end)
print(7, ok, msg)
