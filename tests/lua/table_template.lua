-- Table constructors with constant items: the constant part is a template
-- copied by TDUP (LuaJIT's scheme), applied before the computed items.
-- Semantics as luajit's, including a key given twice; template copies in
-- compiled loops (their loads forwarded and the copies sunk). (A table
-- of 40,000 constant rows: `big_constants.lua`.)
local function f() return 2 end
local t = { x = f(), x = 1 }
print(t.x)
local u = { f(), [1] = 5 }
print(u[1])
local v = { [1] = 5, f() }
print(v[1])
local w = { 1, 2, nil, 4, n = "s", [10] = true, [-0] = "zero", [0.5] = "half", [2] = "two" }
print(w[1], w[2], w[3], w[4], w.n, w[10], w[0], w[0.5])
local x = { x = 1, x = nil, y = nil, z = false }
print(x.x, x.y, x.z)
print(pcall(function() return { [0/0] = 1 } end))
print(pcall(function() local k return { [k] = 1 } end))
-- Copies are independent of each other and of the template.
local function mk() return { a = 1, b = { 2 }, "p", "q" } end
local m1, m2 = mk(), mk()
m1.a, m1[1], m1.b[1] = 10, "P", 20
print(m2.a, m2[1], m2.b[1], #m2, m1 == m2, m1.b == m2.b)

-- In a compiled loop: a constant-shaped object updated and read.
local s = 0
for i = 1, 300 do
  local p = { x = 0, y = 1, name = "p", i }
  p.x = p.x + i
  s = s + p.x + p.y + #p.name + p[1]
end
print(s)
local s2 = 0
for i = 1, 300 do
  local p = { x = 0, y = 1, name = "p" }
  p.x = p.x + i
  s2 = s2 + p.x + p.y + #p.name
end
print(s2)
-- Escaping copies (kept in a list), some exits making them.
local list = {}
for i = 1, 300 do
  local o = { kind = "o", n = 0, i }
  if i % 7 == 0 then o.n = i end
  if i % 50 == 0 then list[#list + 1] = o end
end
print(#list, list[1].kind, list[1].n, list[6][1])

