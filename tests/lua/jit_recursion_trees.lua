-- Binary trees: a function that allocates and recurses twice
-- (`{ make(d), make(d) }`), called from a loop. Its base case returns to
-- two call sites; the exits at those returns (which share a state with
-- the allocation's collection check) grow side traces, so the trees are
-- made in compiled code, not the interpreter.
local function make(d)
  if d == 0 then return {} end
  d = d - 1
  return { make(d), make(d) }
end

local function check(t)
  if t[1] then
    return 1 + check(t[1]) + check(t[2])
  end
  return 1
end

local total = 0
for i = 1, 400 do
  total = total + check(make(i % 7 + 3))
end
print(total)
print(check(make(12)))
