-- Inner loops with low trip counts inside a root trace: after the inner
-- loop's own recordings leave it (a low trip count), the outer loop's
-- trace unrolls it as straight code instead of aborting at it. Every
-- inner loop here sometimes runs longer than when it was recorded.

-- 1. A scanner `while true do ... return ... end` (dkjson's scanwhite).
local function skip(s, pos)
  while true do
    local c = s:byte(pos)
    if c ~= 32 then return pos end
    pos = pos + 1
  end
end
local text = ("abcdefghij klmnopqrst"):rep(20)
local acc = 0
for i = 1, #text do
  acc = acc + skip(text, i) * (i % 7)
end
print("scanner", acc)

-- 2. A repeat loop that usually runs once.
local function digits(n)
  local k = 0
  repeat
    k = k + 1
    n = math.floor(n / 10)
  until n == 0
  return k
end
local d = 0
for i = 1, 300 do
  d = d + digits(i % 9 == 0 and i * 1001 or i % 10)
end
print("digits", d)

-- 3. An inner numeric for loop of one iteration, sometimes more.
local t = {}
for i = 1, 300 do
  local s = 0
  for j = 1, (i % 50 == 0) and 4 or 1 do
    s = s + j * i
  end
  t[#t + 1] = s
end
local sum = 0
for i = 1, #t do sum = sum + t[i] end
print("fornest", sum, #t)

-- 4. ipairs over one-element lists, then longer ones.
local lists = {}
for i = 1, 300 do
  local l = { i }
  if i > 250 then l[2] = -i; l[3] = 2 * i end
  lists[i] = l
end
local tot = 0
for i = 1, #lists do
  for _, v in ipairs(lists[i]) do tot = tot + v end
end
print("ipairs", tot)

-- 5. A while loop whose trip count grows from 1 to 30 after compiling,
-- with a value carried out of it.
local function count_to(limit)
  local n, x = 0, 1.5
  while n < limit do
    n = n + 1
    x = x * 1.25
  end
  return n, x
end
local cn, cx = 0, 0
for i = 1, 400 do
  local n, x = count_to(i < 300 and 1 or i % 30)
  cn = cn + n
  cx = cx + x
end
print("growing", cn, string.format("%.6f", cx))
