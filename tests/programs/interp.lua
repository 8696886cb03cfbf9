-- interp.lua: expression interpreter, coroutine pipeline, Dijkstra with a heap

---------------------------------------------------------------------------
-- Lexer
---------------------------------------------------------------------------
local function lex(src)
  local tokens = {}
  local i = 1
  local n = #src
  while i <= n do
    local c = src:sub(i, i)
    if c:match("%s") then
      i = i + 1
    elseif c:match("%d") or (c == "." and src:sub(i + 1, i + 1):match("%d")) then
      local num = src:match("^%d*%.?%d*[eE][-+]?%d+", i) or src:match("^%d*%.?%d*", i)
      tokens[#tokens + 1] = { kind = "num", value = tonumber(num), pos = i }
      i = i + #num
    elseif c:match("[%a_]") then
      local id = src:match("^[%a_][%w_]*", i)
      local kw = (id == "let" or id == "fn" or id == "if" or id == "then" or id == "else")
      tokens[#tokens + 1] = { kind = kw and id or "id", value = id, pos = i }
      i = i + #id
    else
      local two = src:sub(i, i + 1)
      if two == "==" or two == "<=" or two == ">=" or two == "!=" or two == "->" then
        tokens[#tokens + 1] = { kind = two, pos = i }
        i = i + 2
      elseif c:match("[-+*/%%^(),=<>;]") then
        tokens[#tokens + 1] = { kind = c, pos = i }
        i = i + 1
      else
        error({ pos = i, msg = "unexpected character '" .. c .. "'" })
      end
    end
  end
  tokens[#tokens + 1] = { kind = "eof", pos = n + 1 }
  return tokens
end

---------------------------------------------------------------------------
-- Parser (precedence climbing)
---------------------------------------------------------------------------
local binprec = {
  ["=="] = { 1, 1 }, ["!="] = { 1, 1 }, ["<"] = { 1, 1 }, [">"] = { 1, 1 }, ["<="] = { 1, 1 }, [">="] = { 1, 1 },
  ["+"] = { 2, 2 }, ["-"] = { 2, 2 },
  ["*"] = { 3, 3 }, ["/"] = { 3, 3 }, ["%"] = { 3, 3 },
  ["^"] = { 5, 4 }, -- right associative
}
local UNARY = 4

local Parser = {}
Parser.__index = Parser

function Parser.new(tokens) return setmetatable({ toks = tokens, i = 1 }, Parser) end
function Parser:peek() return self.toks[self.i] end
function Parser:next() local t = self.toks[self.i]; self.i = self.i + 1; return t end
function Parser:expect(kind)
  local t = self:next()
  if t.kind ~= kind then
    error({ pos = t.pos, msg = "expected '" .. kind .. "' but got '" .. t.kind .. "'" })
  end
  return t
end

function Parser:primary()
  local t = self:next()
  if t.kind == "num" then return { "num", t.value }
  elseif t.kind == "id" then
    if self:peek().kind == "(" then
      self:next()
      local args = {}
      if self:peek().kind ~= ")" then
        repeat args[#args + 1] = self:expr(0) until self:peek().kind ~= "," or not self:next()
      end
      self:expect(")")
      return { "call", t.value, args }
    end
    return { "var", t.value }
  elseif t.kind == "(" then
    local e = self:expr(0)
    self:expect(")")
    return e
  elseif t.kind == "-" then
    return { "neg", self:expr(UNARY) }
  elseif t.kind == "if" then
    local c = self:expr(0)
    self:expect("then")
    local a = self:expr(0)
    self:expect("else")
    return { "if", c, a, self:expr(0) }
  elseif t.kind == "fn" then
    self:expect("(")
    local params = {}
    if self:peek().kind ~= ")" then
      repeat params[#params + 1] = self:expect("id").value until self:peek().kind ~= "," or not self:next()
    end
    self:expect(")")
    self:expect("->")
    return { "fn", params, self:expr(0) }
  end
  error({ pos = t.pos, msg = "unexpected token '" .. t.kind .. "'" })
end

function Parser:expr(minprec)
  local left = self:primary()
  while true do
    local op = self:peek().kind
    local p = binprec[op]
    if not p or p[1] <= minprec and not (p[1] == minprec and p[2] < p[1]) then break end
    if p[1] < minprec then break end
    if p[1] == minprec and p[2] >= p[1] then break end
    self:next()
    left = { "bin", op, left, self:expr(p[2]) }
  end
  return left
end

function Parser:statement()
  if self:peek().kind == "let" then
    self:next()
    local name = self:expect("id").value
    self:expect("=")
    return { "let", name, self:expr(0) }
  end
  return self:expr(0)
end

function Parser:program()
  local stmts = {}
  repeat
    if self:peek().kind == "eof" then break end
    stmts[#stmts + 1] = self:statement()
  until self:peek().kind ~= ";" or not self:next()
  self:expect("eof")
  return stmts
end

---------------------------------------------------------------------------
-- Evaluator
---------------------------------------------------------------------------
local function bool(b) return b and 1 or 0 end
local ops = {
  ["+"] = function(a, b) return a + b end, ["-"] = function(a, b) return a - b end,
  ["*"] = function(a, b) return a * b end,
  ["/"] = function(a, b) if b == 0 then error({ msg = "division by zero" }) end return a / b end,
  ["%"] = function(a, b) return a % b end, ["^"] = function(a, b) return a ^ b end,
  ["=="] = function(a, b) return bool(a == b) end, ["!="] = function(a, b) return bool(a ~= b) end,
  ["<"] = function(a, b) return bool(a < b) end, [">"] = function(a, b) return bool(a > b) end,
  ["<="] = function(a, b) return bool(a <= b) end, [">="] = function(a, b) return bool(a >= b) end,
}

local eval
local function lookup(env, name)
  while env do
    local v = env.vars[name]
    if v ~= nil then return v end
    env = env.parent
  end
  error({ msg = "undefined variable '" .. name .. "'" })
end

function eval(node, env, depth)
  depth = depth or 0
  if depth > 150 then error({ msg = "recursion too deep" }) end
  local k = node[1]
  if k == "num" then return node[2]
  elseif k == "var" then return lookup(env, node[2])
  elseif k == "neg" then return -eval(node[2], env, depth)
  elseif k == "bin" then return ops[node[2]](eval(node[3], env, depth), eval(node[4], env, depth))
  elseif k == "if" then
    if eval(node[2], env, depth) ~= 0 then return eval(node[3], env, depth) end
    return eval(node[4], env, depth)
  elseif k == "fn" then return { params = node[2], body = node[3], env = env }
  elseif k == "let" then
    local v = eval(node[3], env, depth)
    env.vars[node[2]] = v
    return v
  elseif k == "call" then
    local f = lookup(env, node[2])
    local args = {}
    for i, a in ipairs(node[3]) do args[i] = eval(a, env, depth) end
    if type(f) == "function" then return f(unpack(args)) end
    if type(f) ~= "table" then error({ msg = "'" .. node[2] .. "' is not a function" }) end
    if #args ~= #f.params then
      error({ msg = string.format("%s expects %d args, got %d", node[2], #f.params, #args) })
    end
    local scope = { vars = {}, parent = f.env }
    for i, p in ipairs(f.params) do scope.vars[p] = args[i] end
    return eval(f.body, scope, depth + 1)
  end
  error("bad node " .. tostring(k))
end

local function run(src, env)
  local ok, res = pcall(function()
    local stmts = Parser.new(lex(src)):program()
    local last
    for _, s in ipairs(stmts) do last = eval(s, env) end
    return last
  end)
  if ok then
    if type(res) == "table" then return "<fn/" .. #res.params .. ">" end
    return tostring(res)
  end
  if type(res) == "table" then
    return "error" .. (res.pos and (" at " .. res.pos) or "") .. ": " .. res.msg
  end
  return "internal: " .. tostring(res)
end

local global = { vars = { pi = 3.5, sqrt = math.sqrt, max = math.max, floor = math.floor } }
local programs = {
  "1 + 2 * 3",
  "(1 + 2) * 3",
  "2 ^ 3 ^ 2",
  "-2 ^ 2",
  "10 - 4 - 3",
  "100 / 8 / 5",
  "17 % 5 + 1.5e1",
  "let x = 7; let y = x * 2; x + y",
  "let sq = fn(a) -> a * a; sq(12) + sq(x)",
  "let fact = fn(n) -> if n <= 1 then 1 else n * fact(n - 1); fact(10)",
  "let fib = fn(n) -> if n < 2 then n else fib(n - 1) + fib(n - 2); fib(15)",
  "let adder = fn(a) -> fn(b) -> a + b; let add5 = adder(5); add5",
  "max(3, sqrt(144), floor(pi * 3))",
  "1 < 2 == 1",
  "let loop = fn(n) -> loop(n + 1); loop(0)",
  "1 / (2 - 2)",
  "unknown + 1",
  "3 + * 4",
  "(1 + 2",
  "let = 5",
  "2 $ 3",
  "sq(1, 2)",
  "x(1)",
  ".5 + 0.25 + 1e-2",
}
for i, p in ipairs(programs) do
  print(string.format("%2d  %-70s => %s", i, p, run(p, global)))
end

---------------------------------------------------------------------------
-- Coroutine pipeline: producer -> filter -> map -> consumer
---------------------------------------------------------------------------
print("== pipeline ==")
local function producer(n)
  return coroutine.wrap(function()
    for i = 1, n do coroutine.yield(i) end
  end)
end
local function filter(pred, src)
  return coroutine.wrap(function()
    for v in src do if pred(v) then coroutine.yield(v) end end
  end)
end
local function map(f, src)
  return coroutine.wrap(function()
    for v in src do coroutine.yield(f(v)) end
  end)
end
local function take(n, src)
  return coroutine.wrap(function()
    for v in src do
      if n <= 0 then return end
      n = n - 1
      coroutine.yield(v)
    end
  end)
end
local out = {}
for v in take(8, map(function(x) return x * x end, filter(function(x) return x % 3 == 0 end, producer(100)))) do
  out[#out + 1] = v
end
print(table.concat(out, " "))

-- explicit resume/yield with values passed both ways
local acc = coroutine.create(function(first)
  local total = first
  while true do
    local v = coroutine.yield(total)
    if v == nil then break end
    total = total + v
  end
  return "done", total
end)
local res = {}
print(coroutine.resume(acc, 10))
for _, v in ipairs({ 5, 7, 11 }) do
  local ok, t = coroutine.resume(acc, v)
  res[#res + 1] = t
end
print(table.concat(res, ","), coroutine.status(acc))
print(coroutine.resume(acc))
print(coroutine.status(acc), coroutine.resume(acc))
local co = coroutine.create(function() error({ code = 42 }) end)
local ok, e = coroutine.resume(co)
print("error in coroutine", ok, type(e), e.code, coroutine.status(co))

---------------------------------------------------------------------------
-- Binary heap + Dijkstra
---------------------------------------------------------------------------
print("== dijkstra ==")
local Heap = {}
Heap.__index = Heap
function Heap.new() return setmetatable({ n = 0 }, Heap) end
function Heap:push(pri, val)
  self.n = self.n + 1
  local i = self.n
  self[i] = { pri, val }
  while i > 1 do
    local p = math.floor(i / 2)
    if self[p][1] <= self[i][1] then break end
    self[p], self[i] = self[i], self[p]
    i = p
  end
end
function Heap:pop()
  if self.n == 0 then return nil end
  local top = self[1]
  self[1] = self[self.n]
  self[self.n] = nil
  self.n = self.n - 1
  local i = 1
  while true do
    local l, r, m = 2 * i, 2 * i + 1, i
    if l <= self.n and self[l][1] < self[m][1] then m = l end
    if r <= self.n and self[r][1] < self[m][1] then m = r end
    if m == i then break end
    self[m], self[i] = self[i], self[m]
    i = m
  end
  return top[1], top[2]
end

local edges = {
  { "A", "B", 7 }, { "A", "C", 9 }, { "A", "F", 14 }, { "B", "C", 10 }, { "B", "D", 15 },
  { "C", "D", 11 }, { "C", "F", 2 }, { "D", "E", 6 }, { "E", "F", 9 }, { "G", "H", 1 },
}
local graph = {}
for _, e in ipairs(edges) do
  local a, b, w = e[1], e[2], e[3]
  graph[a] = graph[a] or {}; graph[b] = graph[b] or {}
  graph[a][b] = w; graph[b][a] = w
end

local function dijkstra(src)
  local dist, prev = { [src] = 0 }, {}
  local h = Heap.new()
  h:push(0, src)
  while true do
    local d, u = h:pop()
    if not d then break end
    if d <= dist[u] then
      local nbrs = {}
      for v in pairs(graph[u]) do nbrs[#nbrs + 1] = v end
      table.sort(nbrs)
      for _, v in ipairs(nbrs) do
        local nd = d + graph[u][v]
        if dist[v] == nil or nd < dist[v] then
          dist[v], prev[v] = nd, u
          h:push(nd, v)
        end
      end
    end
  end
  return dist, prev
end

local dist, prev = dijkstra("A")
local nodes = {}
for k in pairs(graph) do nodes[#nodes + 1] = k end
table.sort(nodes)
for _, v in ipairs(nodes) do
  local path = {}
  local cur = v
  while cur do table.insert(path, 1, cur); cur = prev[cur] end
  if dist[v] then
    print(v, dist[v], table.concat(path, "->"))
  else
    print(v, "unreachable")
  end
end

-- heap sort sanity check
local h = Heap.new()
local vals = { 42, 7, 19, 3, 88, 23, 7, 56, 1, 64, 35, 12 }
for _, v in ipairs(vals) do h:push(v, "v" .. v) end
local sorted = {}
while true do
  local p, v = h:pop()
  if not p then break end
  sorted[#sorted + 1] = v
end
print(table.concat(sorted, " "))
