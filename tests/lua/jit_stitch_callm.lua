-- Natives the JIT does not compile, called with a MULTRES argument list
-- (CALLM: `f(x, g())`): the trace ends before the call, whose extra
-- arguments are the values the producer recorded in the trace left; the
-- driver makes the call and the trace recorded after it goes on.
local format, sub, concat = string.format, string.sub, table.concat

-- %q is not compiled; its last argument comes from string.sub.
local out = {}
local src = 'say "hi"\n and \\ bye'
for i = 1, 120 do
  out[#out + 1] = format("%q", sub(src, 1, i % #src + 1))
end
print(#out, out[5], out[#out])

-- table.concat with i and j from a multiple-result call.
local function range(n) return 1, n end
local words = { "a", "b", "c", "d", "e", "f" }
local acc = {}
for i = 1, 100 do
  acc[#acc + 1] = concat(words, "-", range(i % 6 + 1))
end
print(acc[1], acc[2], acc[100])

-- The producer's count changes between runs: a vararg function passes
-- on one, two or three values.
local function pass(...) return ... end
local n = 0
for i = 1, 150 do
  local k = i % 3
  local s
  if k == 0 then
    s = format("%q|%q", pass("x", "y"))
  elseif k == 1 then
    s = format("%q|%q|%q", pass("x", "y", i))
  else
    s = format("%q", pass(i))
  end
  n = n + #s
end
print(n)

-- An error raised by the stitched call is caught.
local errs = 0
for i = 1, 100 do
  local ok = pcall(function() return format("%q", sub("abc", 1, 1), nil) end)
  local ok2 = pcall(function() return format("%d", pass("zz")) end)
  if not ok2 then errs = errs + 1 end
  if ok then errs = errs + 1 end
end
print(errs)
