-- Tables made from varargs ({...}, {n = select("#", ...), ...}) and
-- small constructors inside a compiled loop: their fields are read from
-- the stores the trace made (fwd), so the tables sink; exits that hold
-- them make them with the fields stored so far.
local function pack2(...) return { n = select('#', ...), ... } end
local function pack3(a, b, c) return { a, b, c } end
local m = 0
local keep = {}
for i = 1, 300 do
  local p = pack2(i, i * 2)
  m = m + p.n + p[2] + p[1]
  if i % 37 == 0 then keep[#keep + 1] = p end
  local q = pack3(i, i + 1, i % 5 == 0 and "x" or i)
  if type(q[3]) == "string" then m = m + 1 else m = m + q[3] + q[1] end
  if i % 50 == 0 then keep[#keep + 1] = q end
  local r = {}
  r[1] = i; r[2] = i + 1; r.x = 3
  m = m + r[1] + r[2] + r.x + #r
  local s = pack2(i, nil, i)
  m = m + s.n + s[3] + (s[2] == nil and 1 or 0)
  if i > 250 then
    local u = pack2("a", i)
    m = m + (type(u[1]) == "string" and 7 or 0) + u[2]
  end
end
print(m)
for _, p in ipairs(keep) do print(p.n, p[1], p[2], p[3], #p) end
