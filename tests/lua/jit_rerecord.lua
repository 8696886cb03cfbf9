-- A loop whose first iterations (a warm-up) take a path the rest never
-- takes: its root trace is recorded in the warm-up, and afterwards every
-- entry fails in the trace's first iteration. The loop is recorded again
-- (`-jv` exit statistics: "the loop was recorded again"); the results
-- are the interpreter's.
local s, t = 0, {}
for i = 1, 200000 do
  if i >= 20 and i <= 90 then
    t[#t + 1] = i % 5          -- warm-up path, seen by the first recording
  else
    s = s + i % 7
  end
end
print(s, #t)

-- An inner loop whose first two runs take one path and the others the
-- other: its root ran its loop to the end (in the first runs), so it
-- keeps it and grows a side trace (as does a loop whose runs take the
-- other path only now and then).
local u = 0
for k = 1, 40 do
  for i = 1, 5000 do
    if k <= 2 then u = u - i % 3 else u = u + i % 5 end
  end
end
print(u)
