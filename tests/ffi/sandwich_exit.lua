-- reference-fails: joff hot
-- The "sandwich=exit" policy: a re-entering API call made while a trace
-- runs is executed by the interpreter and the trace is left right after
-- the foreign call; results equal -joff in every mode (one .expected).
-- Each API is run with the re-entry from the first iteration (threshold 1)
-- and only once the loop is hot (threshold 150), and twice in a row.
-- Hand-written expectations (the sums equal the C fallback values): LuaJIT
-- has no sandwich policies.
jit.opt.start("sandwich=exit")
local T = dofile("sandwich_common.lua")
for _, name in ipairs(T.apis) do
  print(name, T.run(name, 1))
  print(name, T.run(name, 150))
  print(name, T.run(name, 150))
end
-- A loop where the trace is entered and left many times.
local lib = T.lib
lib.sw_set_threshold(1)
T.calls = 0
local acc = 0
for i = 1, 300 do
  if i % 3 == 0 then acc = acc + lib.sw_gettable(i) else acc = acc + i end
end
print("mixed", acc, T.calls)
-- Re-entry first on the thousandth iteration of a long-compiled loop.
lib.sw_set_threshold(1000)
T.calls = 0
local long = 0
for i = 1, 2000 do long = long + lib.sw_call(i) end
print("thousandth", long, T.calls)
