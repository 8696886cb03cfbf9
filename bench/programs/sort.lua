-- Sorting: hand-written quicksort, heapsort and merge sort plus table.sort
-- with and without a comparator. Keys are distinct so results are unique.
local N = tonumber(arg and arg[1]) or 200000

local seed = 12345
local function rnd()
  seed = (seed * 16807) % 2147483647
  return seed
end

local function make_data(n)
  local t, seen = {}, {}
  local i = 0
  while i < n do
    local v = rnd() % (n * 20)
    if not seen[v] then seen[v] = true; i = i + 1; t[i] = v end
  end
  return t
end

local function copy(t) local c = {} for i = 1, #t do c[i] = t[i] end return c end

local function quicksort(a, lo, hi)
  while lo < hi do
    local p = a[(lo + hi - (lo + hi) % 2) / 2]
    local i, j = lo, hi
    while i <= j do
      while a[i] < p do i = i + 1 end
      while a[j] > p do j = j - 1 end
      if i <= j then a[i], a[j] = a[j], a[i]; i = i + 1; j = j - 1 end
    end
    if j - lo < hi - i then quicksort(a, lo, j); lo = i
    else quicksort(a, i, hi); hi = j end
  end
end

local function heapsort(a, n)
  local function sift(start, stop)
    local root = start
    while true do
      local child = root * 2
      if child > stop then return end
      if child + 1 <= stop and a[child] < a[child + 1] then child = child + 1 end
      if a[root] < a[child] then
        a[root], a[child] = a[child], a[root]
        root = child
      else
        return
      end
    end
  end
  for start = (n - n % 2) / 2, 1, -1 do sift(start, n) end
  for stop = n, 2, -1 do
    a[stop], a[1] = a[1], a[stop]
    sift(1, stop - 1)
  end
end

local function mergesort(a, n)
  local b = {}
  local width = 1
  local src, dst = a, b
  while width < n do
    local i = 1
    while i <= n do
      local mid = i + width
      if mid > n + 1 then mid = n + 1 end
      local hi = i + 2 * width
      if hi > n + 1 then hi = n + 1 end
      local l, r, k = i, mid, i
      while l < mid and r < hi do
        if src[l] <= src[r] then dst[k] = src[l]; l = l + 1
        else dst[k] = src[r]; r = r + 1 end
        k = k + 1
      end
      while l < mid do dst[k] = src[l]; l = l + 1; k = k + 1 end
      while r < hi do dst[k] = src[r]; r = r + 1; k = k + 1 end
      i = hi
    end
    src, dst = dst, src
    width = width * 2
  end
  return src
end

local function checksum(t)
  local h = 0
  for i = 1, #t do h = (h * 31 + t[i]) % 2147483647 end
  return h
end

local function is_sorted(t, desc)
  for i = 2, #t do
    if desc then if t[i - 1] < t[i] then return false end
    elseif t[i - 1] > t[i] then return false end
  end
  return true
end

local data = make_data(N)
local q = copy(data); quicksort(q, 1, #q)
local h = copy(data); heapsort(h, #h)
local m = mergesort(copy(data), #data)
local s = copy(data); table.sort(s)
local d = copy(data); table.sort(d, function(x, y) return x > y end)
local strs = {}
for i = 1, N / 4 do strs[i] = string.format("k%08d", data[i]) end
table.sort(strs)

print(string.format("quick  sorted=%s chk=%d", tostring(is_sorted(q)), checksum(q)))
print(string.format("heap   sorted=%s chk=%d", tostring(is_sorted(h)), checksum(h)))
print(string.format("merge  sorted=%s chk=%d", tostring(is_sorted(m)), checksum(m)))
print(string.format("table  sorted=%s chk=%d", tostring(is_sorted(s)), checksum(s)))
print(string.format("desc   sorted=%s chk=%d", tostring(is_sorted(d, true)), checksum(d)))
print(string.format("strings first=%s last=%s", strs[1], strs[#strs]))
