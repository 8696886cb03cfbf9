-- reference-fails: joff hot
-- Every re-entering API with the re-entry from the first iteration on,
-- before the loop is hot: a trace recording the call is aborted ("never
-- record across a VM entrance"), so no compiled trace ever runs it and the
-- output is the same in every mode.
local T = dofile("sandwich_common.lua")
for _, name in ipairs(T.apis) do
  print(name, T.run(name, 1))
end
