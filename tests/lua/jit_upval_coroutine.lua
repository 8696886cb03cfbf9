-- A loop running in a coroutine that reads upvalues open in the main
-- thread's frame (their stack indices are into the main thread's stack,
-- not the coroutine's: the trace must not take them for its own slots),
-- and the same closure called from two activations of one loop.
local pad1, pad2, pad3 = 1, 2, 3
local tag = { name = "main" }
local k = 7
local co = coroutine.wrap(function()
  local s, n, m = 0, 0, 0
  for i = 1, 300 do
    n = n + #tag.name + k
    s = s + i
  end
  return n, s, m
end)
print(co())
print(pad1 + pad2 + pad3)

-- A closure made by the first activation and kept, called by the loop of
-- a later activation: its upvalue is the first activation's variable.
local keep
local function run(first)
  local x = 0
  local function inc() x = x + 1 return x end
  if first then keep = inc end
  local f = keep
  local acc = 0
  for i = 1, 200 do acc = acc + f() end
  return acc, x
end
local r1 = { run(true) }
local r2 = { run(false) }
print(r1[1], r1[2], r2[1], r2[2])
