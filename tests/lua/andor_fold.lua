-- and/or/not over constants and variables: the parser folds constants and
-- threads jump lists; every expression is compiled with load() in several
-- contexts (value, condition, negation, loop body ...) and its result is
-- checked against a direct evaluation of the expression tree.
-- Optional argument: number of random expressions (default 300).

local NRAND = tonumber(arg and arg[1]) or 300

-- Deterministic generator (same sequence on every engine).
local seed = 12345
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n + 1
end

-- Atoms: { source, value }. Locals a..e, upvalue u, global G and a few
-- comparisons come from the environment set up by each compiled chunk.
local NIL = {}
local atoms = {
  { "nil", NIL }, { "false", false }, { "true", true },
  { "0", 0 }, { "1", 1 }, { "'s'", "s" }, { "\"\"", "" },
  { "a", NIL }, { "b", false }, { "c", true }, { "d", 7 }, { "e", "x" },
  { "u", false }, { "G", 3 },
  { "(d == 7)", true }, { "(a ~= nil)", false }, { "(1 < 2)", true },
}
G = 3

local PRIO = { atom = 4, ["not"] = 3, ["and"] = 2, ["or"] = 1 }

local function src(t, paren)
  if t.op == "atom" then return t.s end
  local s
  if t.op == "not" then
    s = "not " .. src(t[1], PRIO[t[1].op] < PRIO["not"])
  else
    local p = PRIO[t.op]
    local l, r = t[1], t[2]
    -- minimal parentheses (both operators are left associative) unless
    -- the node asks for them
    local ls = src(l, PRIO[l.op] < p)
    local rs = src(r, PRIO[r.op] <= p)
    s = ls .. " " .. t.op .. " " .. rs
  end
  if paren or t.paren then s = "(" .. s .. ")" end
  return s
end

local function eval(t)
  local op = t.op
  if op == "atom" then
    if t.v == NIL then return nil end
    return t.v
  elseif op == "not" then
    return not eval(t[1])
  elseif op == "and" then
    return eval(t[1]) and eval(t[2])
  else
    return eval(t[1]) or eval(t[2])
  end
end

local function atom(i) return { op = "atom", s = atoms[i][1], v = atoms[i][2] } end

local function gen(depth)
  local k = depth <= 0 and 1 or rnd(7)
  local t
  if k <= 2 then
    t = atom(rnd(#atoms))
  elseif k == 3 then
    t = { op = "not", gen(depth - 1) }
  elseif k <= 5 then
    t = { op = "and", gen(depth - 1), gen(depth - 1) }
  else
    t = { op = "or", gen(depth - 1), gen(depth - 1) }
  end
  if t.op ~= "atom" and rnd(3) == 1 then t.paren = true end
  return t
end

local function code(v)
  if v == nil then return "n" end
  if v == false then return "f" end
  if v == true then return "t" end
  if type(v) == "number" then return tostring(v) end
  return "'" .. v .. "'"
end

local prelude = "local a, b, c, d, e = nil, false, true, 7, 'x'\n"
  .. "local u = false\n"
  .. "local function id(...) return ... end\n"
  .. "return function() local _ = u\n"

-- Contexts: a template around E and how to read the expected result.
local contexts = {
  { "value", "return %s", function(v) return v end },
  { "local", "local x = %s; return x", function(v) return v end },
  { "not", "return not (%s)", function(v) return not v end },
  { "not not", "return not not (%s)", function(v) return not not v end },
  { "arg", "return (id(%s))", function(v) return v end },
  { "args", "return select('#', id(%s, %s))", function() return 2 end },
  { "if", "if %s then return 1 else return 2 end", function(v) return v and 1 or 2 end },
  { "if not", "if not (%s) then return 1 end return 2", function(v) return v and 2 or 1 end },
  { "elseif", "if a then return 0 elseif %s then return 1 end return 2",
    function(v) return v and 1 or 2 end },
  { "while", "local n = 0 while %s do n = n + 1 if n > 2 then break end end return n",
    function(v) return v and 3 or 0 end },
  { "repeat", "local n = 0 repeat n = n + 1 until %s or n > 2 return n",
    function(v) return v and 1 or 3 end },
  { "upval", "u = %s; local r = u; u = false; return r", function(v) return v end },
  { "field", "local t = {}; t.f = %s; return t.f", function(v) return v end },
  { "ctor", "local t = { %s }; return t[1]", function(v) return v end },
  { "eqnil", "return (%s) == nil", function(v) return v == nil end },
  { "and x", "return (%s) and 'y'", function(v) return v and "y" end },
  { "or x", "return (%s) or 'y'", function(v) return v or "y" end },
  { "loop", "local r for i = 1, 3 do r = %s end return r", function(v) return v end },
}

local total, bad = 0, 0
local function check(e, ctxname, tmpl, want)
  local body = tmpl:gsub("%%s", (e:gsub("%%", "%%%%")))
  local f, err = load(prelude .. body .. "\nend")
  total = total + 1
  if not f then
    bad = bad + 1
    print("COMPILE", ctxname, e, err)
    return "?"
  end
  local got = f()()
  if got ~= want then
    bad = bad + 1
    print("MISMATCH", ctxname, e, "got " .. code(got), "want " .. code(want))
  end
  return code(got)
end

local function run(name, trees)
  for _, c in ipairs(contexts) do
    local out = {}
    for _, t in ipairs(trees) do
      out[#out + 1] = check(src(t), c[1], c[2], c[3](eval(t)))
    end
    local all = table.concat(out, " ")
    local h = 0
    for i = 1, #all do h = (h * 31 + all:byte(i)) % 2147483647 end
    print(name, c[1], #trees, h, all:sub(1, 100))
  end
end

-- The reported cases.
print(((1 or false) and true) or false)
print((10 or nil) and (true or nil))
local t0 = nil
print((t0 or nil) and 5, (t0 or false) and 5, (7 and nil) and 5)

-- Every binary combination of two atoms or negated atoms, under a third.
local small = {}
for i = 1, #atoms do
  small[#small + 1] = atom(i)
end
local pairs2 = {}
for _, op in ipairs({ "and", "or" }) do
  for i = 1, #small, 2 do
    for j = 1, #small do
      pairs2[#pairs2 + 1] = { op = op, small[i], small[j] }
      if (i + j) % 3 == 0 then
        pairs2[#pairs2 + 1] = { op = op, { op = "not", small[i] }, small[j] }
      end
    end
  end
end
run("pairs", pairs2)

-- Nested triples over constants only (the folding cases).
local consts = { 1, 2, 3, 4, 6 }
local triples = {}
for _, o1 in ipairs({ "and", "or" }) do
  for _, o2 in ipairs({ "and", "or" }) do
    for _, i in ipairs(consts) do
      for _, j in ipairs(consts) do
        for _, k in ipairs(consts) do
          triples[#triples + 1] = { op = o2, { op = o1, atom(i), atom(j), paren = true }, atom(k) }
          triples[#triples + 1] = { op = o2, atom(k), { op = o1, atom(i), atom(j), paren = true } }
        end
      end
    end
  end
end
run("triples", triples)

-- Random deeper expressions.
local random = {}
for i = 1, NRAND do random[i] = gen(2 + rnd(3)) end
run("random", random)

print("checked", total, "mismatches", bad)
