-- template.lua: a tiny template engine compiled to Lua functions

local Template = {}

local filters = {
  upper = string.upper,
  lower = string.lower,
  len = function(s) return #tostring(s) end,
  trim = function(s) return (tostring(s):gsub("^%s+", ""):gsub("%s+$", "")) end,
  title = function(s)
    return (tostring(s):gsub("(%a)([%w_']*)", function(a, b) return a:upper() .. b:lower() end))
  end,
  reverse = function(s) return tostring(s):reverse() end,
  money = function(n) return string.format("$%.2f", tonumber(n) or 0) end,
  count = function(t) return #t end,
  join = function(t) return table.concat(t, ", ") end,
}
Template.filters = filters

local html_escapes = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }

local function escape_html(s)
  return (tostring(s):gsub("[&<>\"']", html_escapes))
end

-- Compile an expression with optional filter chain: name.path|f1|f2
local function compile_expr(expr, lineno)
  local parts = {}
  for piece in (expr .. "|"):gmatch("([^|]*)|") do
    parts[#parts + 1] = piece:match("^%s*(.-)%s*$")
  end
  local code = parts[1]
  if code == "" then error(string.format("line %d: empty expression", lineno), 0) end
  local raw = false
  for i = 2, #parts do
    local f = parts[i]
    if f == "raw" then
      raw = true
    elseif not filters[f] then
      error(string.format("line %d: unknown filter '%s'", lineno, f), 0)
    else
      code = string.format("_F[%q](%s)", f, code)
    end
  end
  if raw then return "_S(" .. code .. ")" end
  return "_E(" .. code .. ")"
end

function Template.compile(src, name)
  name = name or "template"
  local out = { "local _out = {}\nlocal _n = 0\n" }
  local function emit(s) out[#out + 1] = s end
  local stack = {}
  local pos = 1
  local lineno = 1
  while true do
    local s, e, kind = src:find("{([{%%#])", pos)
    local text = src:sub(pos, (s or #src + 1) - 1)
    if #text > 0 then
      emit(string.format("_n = _n + 1; _out[_n] = %q\n", text))
      local _, nl = text:gsub("\n", "")
      lineno = lineno + nl
    end
    if not s then break end
    local close = kind == "{" and "}}" or (kind == "%" and "%}" or "#}")
    local cs, ce = src:find(close, e + 1, true)
    if not cs then
      error(string.format("%s:%d: unclosed tag '{%s'", name, lineno, kind), 0)
    end
    local body = src:sub(e + 1, cs - 1):match("^%s*(.-)%s*$")
    if kind == "{" then
      emit("_n = _n + 1; _out[_n] = " .. compile_expr(body, lineno) .. "\n")
    elseif kind == "%" then
      local var, list = body:match("^for%s+([%a_][%w_]*)%s+in%s+(.+)$")
      local k2, v2, list2 = body:match("^for%s+([%a_][%w_]*)%s*,%s*([%a_][%w_]*)%s+in%s+(.+)$")
      if k2 then
        emit(string.format("for _, %s, %s in _PAIRS(%s) do\n", k2, v2, list2))
        stack[#stack + 1] = "for"
      elseif var then
        emit(string.format("for loop_index, %s in ipairs(%s) do\n", var, list))
        stack[#stack + 1] = "for"
      elseif body:match("^if%s") then
        emit("if " .. body:sub(4) .. " then\n")
        stack[#stack + 1] = "if"
      elseif body:match("^elseif%s") then
        if stack[#stack] ~= "if" then error(string.format("%s:%d: elseif outside if", name, lineno), 0) end
        emit("elseif " .. body:sub(8) .. " then\n")
      elseif body == "else" then
        if stack[#stack] ~= "if" then error(string.format("%s:%d: else outside if", name, lineno), 0) end
        emit("else\n")
      elseif body == "end" then
        if #stack == 0 then error(string.format("%s:%d: unexpected end", name, lineno), 0) end
        stack[#stack] = nil
        emit("end\n")
      else
        error(string.format("%s:%d: unknown statement '%s'", name, lineno, body), 0)
      end
    end -- comments ({# ... #}) produce nothing
    pos = ce + 1
  end
  if #stack > 0 then
    error(string.format("%s: missing end for '%s'", name, stack[#stack]), 0)
  end
  emit("return table.concat(_out)\n")
  local code = table.concat(out)
  local fn, err = loadstring(code, "=" .. name)
  if not fn then error("compile error: " .. err, 0) end
  return function(ctx)
    local env = setmetatable({
      _E = function(v) if v == nil then return "" end return escape_html(v) end,
      _S = function(v) if v == nil then return "" end return tostring(v) end,
      _F = filters,
      _PAIRS = function(t)
        local keys = {}
        for k in pairs(t) do keys[#keys + 1] = k end
        table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
        local i = 0
        return function()
          i = i + 1
          local k = keys[i]
          if k ~= nil then return i, k, t[k] end
        end
      end,
      ipairs = ipairs, table = table, tostring = tostring,
    }, { __index = ctx })
    setfenv(fn, env)
    return fn()
  end, code
end

function Template.render(src, ctx, name)
  local f = Template.compile(src, name)
  return f(ctx)
end

---------------------------------------------------------------------------
local function show(title, src, ctx)
  print("--- " .. title .. " ---")
  local ok, res = pcall(Template.render, src, ctx, title)
  if ok then
    io.write(res)
    if res:sub(-1) ~= "\n" then io.write("\n") end
  else
    print("ERROR: " .. tostring(res))
  end
end

show("simple", "Hello, {{ name }}! You are {{age}} years old.\n", { name = "World", age = 42 })

show("filters", "{{ name|upper }} / {{ name | lower }} / {{ name|reverse|upper }} / {{ name|len }}\n",
  { name = "Lunatrace" })

show("title+trim", "[{{ text|trim }}] [{{ text|trim|title }}]\n", { text = "   the QUICK brown fox's tail  " })

show("escaping", "<p>{{ html }}</p>\n<p>{{ html|raw }}</p>\n",
  { html = [[<a href="x?a=1&b=2">Tom's</a>]] })

show("loop", [[
<ul>
{% for item in items %}  <li>{{ loop_index }}. {{ item.name }} - {{ item.price|money }}</li>
{% end %}</ul>
]], { items = { { name = "Apple", price = 1.5 }, { name = "Bread", price = 3 }, { name = "Cheese & Wine", price = 12.999 } } })

show("if/else", [[
{% for u in users %}{% if u.admin %}[admin] {{ u.name }}
{% elseif u.guest %}[guest] {{ u.name }}
{% else %}[user] {{ u.name }}
{% end %}{% end %}]], { users = { { name = "root", admin = true }, { name = "anon", guest = true }, { name = "bob" } } })

show("nested loops", [[
{% for row in rows %}{% for cell in row %}{{ cell }}{% if loop_index < #row %},{% end %}{% end %}
{% end %}]], { rows = { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } } })

show("pairs", "{% for k, v in config %}{{ k }}={{ v }};{% end %}\n",
  { config = { port = 8080, host = "localhost", debug = false, name = "srv" } })

show("comments+expr", "{# this is ignored #}sum={{ a + b }} prod={{ a * b }} cnt={{ list|count }} all={{ list|join }}\n",
  { a = 6, b = 7, list = { "x", "y", "z" } })

show("missing var", "before[{{ nothing }}]after\n", {})

show("unknown filter", "{{ name|shout }}", { name = "x" })
show("unclosed tag", "line one\nline two {{ name \nline three", { name = "x" })
show("unclosed block", "{% for x in xs %}{{ x }}", { xs = { 1 } })
show("stray end", "text {% end %}", {})
show("bad statement", "{% while true %}", {})
show("runtime error", "{{ obj.field.sub }}", { obj = {} })
show("syntax error", "{{ 1 + }}", {})

-- compiled templates are reusable and isolated from globals
print("--- reuse ---")
local card = Template.compile("{{ n }}: {{ word|title }}{% if n % 2 == 0 %} (even){% end %}\n", "card")
local words = { "alpha", "beta", "gamma delta", "epsilon" }
for i, w in ipairs(words) do io.write(card({ n = i, word = w })) end
print(rawget(_G, "_out"), rawget(_G, "_n"))

-- inspect generated code size (deterministic)
local _, code = Template.compile("a{{b}}c{% if d %}e{% end %}", "x")
local lines = 0
for _ in code:gmatch("\n") do lines = lines + 1 end
print("generated lines:", lines)
print(code)

-- custom filter registration
Template.filters.stars = function(s) return (tostring(s):gsub(".", "*")) end
show("custom filter", "password: {{ pw|stars }} ({{ pw|len }} chars)\n", { pw = "hunter2" })

-- large render
local items = {}
for i = 1, 100 do items[i] = { name = "n" .. i, price = i * 0.25 } end
local big = Template.render("{% for it in items %}{{ it.name }}:{{ it.price|money }}\n{% end %}", { items = items })
local total = 0
for p in big:gmatch("%$(%d+%.%d+)") do total = total + tonumber(p) end
print("big render", #big, total, select(2, big:gsub("\n", "")))
