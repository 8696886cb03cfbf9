-- string.gmatch iterators in compiled loops (GMATCH): the whole match or
-- one capture per step, empty matches, the end of the iteration inside
-- and outside the trace, patterns with position or two captures (the
-- interpreter's call), a malformed pattern's error, an iterator resumed
-- after its loop broke, and a loop variable holding other iterators.
local text = ("alpha 12 beta 345 gamma 6789 "):rep(8)

local words, digits = 0, 0
for r = 1, 30 do
  for w in text:gmatch("%a+") do words = words + #w end
  for d in text:gmatch("(%d+)") do digits = digits + d end
end
print("words", words, "digits", digits)

-- Empty matches advance by one; an anchored-looking pattern.
local empties, dots = 0, 0
for r = 1, 20 do
  for e in ("abc"):gmatch("x*") do empties = empties + 1 + #e end
  for d in ("a.b.c.d"):gmatch("%.") do dots = dots + #d end
end
print("empties", empties, "dots", dots)

-- Position captures and two captures: still right (the interpreter's call).
local pos, pairs_ = 0, 0
for r = 1, 20 do
  for p in ("hello world"):gmatch("()o") do pos = pos + p end
  for k, v in ("a=1,b=22,c=333"):gmatch("(%w+)=(%w+)") do pairs_ = pairs_ + #k + #v end
end
print("positions", pos, "pairs", pairs_)

-- Strings differ from run to run; a loop that breaks, then the same
-- iterator goes on where it stopped.
local acc = {}
for r = 1, 40 do
  local it = ("w" .. r .. " x" .. r * 2 .. " y"):gmatch("%w+")
  for w in it do
    if w == "x" .. r * 2 then break end
    acc[#acc + 1] = w
  end
  acc[#acc + 1] = it() or "end"
  acc[#acc + 1] = it() or "end"
end
print("resumed", #acc, acc[1], acc[2], acc[3], acc[#acc - 2], acc[#acc - 1], acc[#acc])

-- More results than captures: the extra variables are nil.
local nils = 0
for r = 1, 30 do
  for w, extra in ("p q r"):gmatch("%a") do
    if extra == nil then nils = nils + #w end
  end
end
print("extra nil", nils)

-- A malformed pattern raises the interpreter's error, caught.
local errs = 0
for r = 1, 30 do
  local ok, e = pcall(function()
    local n = 0
    for w in ("abc def"):gmatch(r < 25 and "%a+" or "%") do n = n + #w end
    return n
  end)
  if not ok then errs = errs + 1 end
end
print("errors", errs)

-- The loop's iterator is sometimes gmatch's, sometimes a Lua function.
local function upto(n)
  local i = 0
  return function() i = i + 1; if i <= n then return tostring(i) end end
end
local mixed = 0
for r = 1, 40 do
  local it = (r % 3 == 0) and upto(4) or ("ab cd ef"):gmatch("%a+")
  for w in it do mixed = mixed + #w end
end
print("mixed", mixed)
