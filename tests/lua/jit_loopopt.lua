-- JIT: values carried around loops and loads that must not be hoisted
-- past stores of earlier iterations.
local t = {0, 0}
for i = 1, 300 do t[1] = t[1] + 1; t[2] = t[2] + t[1] end
print(t[1], t[2])
G = 0
for i = 1, 300 do G = G + i end
print(G)
local o = {n = 0, m = 1}
for i = 1, 300 do o.n = o.n + o.m; if i % 50 == 0 then o.m = o.m + 1 end end
print(o.n, o.m)
local x, y = 1, 0
for i = 1, 100 do x, y = y, x + y end
print(x, y)
local s = "a"
local n = 0
for i = 1, 100 do if s == "a" then n = n + 1 end; if i == 60 then s = "b" end end
print(n)
local a = {}
for i = 1, 200 do a[i] = i end
local acc = 0
for i = 2, 200 do a[i] = a[i] + a[i - 1]; acc = acc + a[i] % 7 end
print(a[200], acc)
local k = 10
local w = 0
while k > 0 do w = w + k * 2; k = k - 1 end
print(w, k)
local flip = true
local f1 = 0
for i = 1, 101 do flip = not flip; if flip then f1 = f1 + 1 end end
print(f1, flip)
local u = 0
local function inc() u = u + 1 end
for i = 1, 250 do inc(); if u % 100 == 0 then u = u + 1000 end end
print(u)
-- A carried slot stored as is (boxed) before it is updated.
local xs, seq = 0, {}
for i = 1, 100 do seq[i] = xs; xs = xs + 0.5 end
print(seq[1], seq[2], seq[100], xs)
local names, nm = {}, "a"
for i = 1, 60 do names[#names + 1] = nm; if i % 20 == 0 then nm = nm .. "b" end end
print(names[1], names[21], names[60], #names)
-- Table identity in loops (with and without __eq).
local ta, tb = {}, {}
local same, diff = 0, 0
for i = 1, 100 do
  local x = (i % 2 == 0) and ta or tb
  if x == ta then same = same + 1 end
  if x ~= ta then diff = diff + 1 end
end
print(same, diff)
local E = {__eq = function() return true end}
local e1, e2 = setmetatable({}, E), setmetatable({}, E)
local eqs = 0
for i = 1, 100 do if e1 == e2 then eqs = eqs + 1 end end
print(eqs)
-- x == x must stay a real comparison: NaN appears without a branch change.
local nans, zs = 0, {}
for i = 1, 100 do zs[i] = (i == 70) and 0 or 1 end
for i = 1, 100 do
  local q = zs[i] / zs[i]
  if q == q then nans = nans + 1 end
end
print(nans)
