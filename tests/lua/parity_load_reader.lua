-- load with a reader function reads only as far as the lexer needs: a
-- syntax error stops the reading (LuaJIT's lexer calls the reader when it
-- needs the character after the end of the current piece).
local function count_load(pieces, ...)
  local n = 0
  local f, err = load(function()
    n = n + 1
    return pieces[n]
  end, ...)
  local res = f and "ok" or err
  if f then
    local ok, r = pcall(f)
    res = res .. " -> " .. tostring(r)
  end
  return n, res
end
local cases = {
  {"x = ", "1 +", " + 2", "junk", "more", "more2"},
  {"return 1", " + 2", "", "never"},
  {"x = 1 ", "@", "y = 2", "z = 3"},
  {"local a = ", "(", "", "never"},
  {"return f(", ")", " end", "never"},
  {"return f(", "", "never"},
  {"return 1", "2", "3 x", " y", "z"},
  {"return [[abc", "def", "]] x y", "z"},
  {"return 'abc", "\n", "x"},
  {"return ", "1", nil, "never"},
  {"\239\187\191return 1", " + 1", nil, "never"},
  {"\239", "\187\191return 1", "never x x"},
  {"\239\187\191", "return 7", nil, "never"},
  {"#!shebang", " line\nreturn", " 5", nil},
  {"#!shebang", " line", "\n", "return", " @"},
  {"# only a comment line", nil, "never"},
  {"return", " ", "(", "1", ")", " x x", "never"},
  {"return (", "1)", "x", "never"},
  {"return", " end", "never"},
  {"return ", "1", " ", "==", " 2", ")", "never"},
  {"return ", "1.", "5e", "+", "3", "q", "!", "never"},
  {"t = {a", "= 1", ", ", "b", " 2}", "never"},
  {"--[[ comm", "ent ]] x", " = = ", "never"},
  {"return '\\", "n'", " ~", "= 3 !", "never"},
  {"return 0x", "1", "0", " .", ".", " 'a'", nil},
  {"return 1", "\r", "\n", "+ 1", nil},
  {"local s = [", "==[", "a]=", "]b]==", "] return s", nil},
  {"return 2 ", "-", "-", " comment", "\n", "+ 3", nil},
  {"return 1 .", ".", ". 2", nil},
  {"if x then", " else", " elseif", " end", "never"},
  {"return 'a", "b' .", ". 'c'", nil},
  {"return (", "1 ", "+", "", "never"},
}
for i, c in ipairs(cases) do
  print(i, count_load(c))
end

-- Reading a character at a time.
local src = "local t = {} for i = 1, 10 do t[i] = i * i end return t[10] + #'abc' $ 1"
local pos, calls = 0, 0
local f, err = load(function()
  calls = calls + 1
  pos = pos + 1
  return src:sub(pos, pos)
end, "=chars")
print(f, err, calls, #src, src:find("%$"))
pos, calls = 0, 0
src = src:gsub(" %$ 1", "")
f = load(function() calls = calls + 1; pos = pos + 1; return src:sub(pos, pos) end)
print(f(), calls, #src)

-- A long string one byte at a time.
local long = "return '" .. ("x"):rep(5000) .. "' .. 1 )"
pos, calls = 0, 0
print(load(function() calls = calls + 1; pos = pos + 1; return long:sub(pos, pos) end))
print(calls, #long)

-- Reader failures are load's result; nothing is read after them.
local n = 0
local function try(f, ...)
  n = 0
  local ok, g, e = pcall(load, f, ...)
  return ok, type(g), type(e) == "string" and e or type(e), n
end
print(try(function() n = n + 1; if n == 2 then error("reader broke", 0) end; return "x = " end))
print(try(function() n = n + 1; if n == 2 then return {} end; return "return " end))
print(try(function() n = n + 1; if n == 2 then return true end; return "return " end))
print(try(function() n = n + 1; if n == 2 then error({}) end; return "return " end))
-- Numbers are their text.
print(try(function() n = n + 1; if n == 1 then return 42 end end))
print(try(function() n = n + 1; if n == 2 then return 42 end return "return " end))
print(try(function() n = n + 1; if n == 2 then return -1.5 end return "return " end))
print(try(function() n = n + 1; return ({"return ", 2, "", "x"})[n] end))
-- A reader cannot yield.
local co = coroutine.wrap(function() return load(function() coroutine.yield(1) end) end)
print(pcall(co))

-- Modes: decided on the first bytes.
print(try(function() n = n + 1; return ({"return 1", " + 1"})[n] end, "chunk", "b"))
print(try(function() n = n + 1; return ({"return 1", " + 1"})[n] end, "chunk", "t"))
local dump = string.dump(function() return "dumped" end)
local parts = {}
for i = 1, #dump, 7 do parts[#parts + 1] = dump:sub(i, i + 6) end
n = 0
local g = load(function() n = n + 1; return parts[n] end, "bin", "b")
print(g())
print(try(function() n = n + 1; return parts[n] end, "bin", "t"))
-- Control characters in messages.
print(try(function() n = n + 1; return ({"x = ", "\27", "1"})[n] end))
print(load("x = 1\n\1"))

-- The environment and chunk name.
n = 0
local h = load(function() n = n + 1; return ({"return ", "who", ""})[n] end, "=named", "t", {who = "env"})
print(h(), n)
print(try(function() n = n + 1; return ({"return ", "+"})[n] end, "=named"))

-- Collections while reading: the reader allocates (and asks for them).
local big = {}
pos = 0
local body = {"local t = {"}
for i = 1, 200 do body[#body + 1] = ("{%d, 'k%d'},"):format(i, i) end
body[#body + 1] = "} local s = 0 for i = 1, #t do s = s + t[i][1] end return s, t[200][2]"
local text = table.concat(body)
f = load(function()
  for i = 1, 50 do big[#big + 1] = {i, tostring(i)} end
  if pos % 100 == 0 then collectgarbage() end
  pos = pos + 1
  return text:sub(pos, pos)
end)
print(f())
big = nil

-- A reader calling load itself.
local outer = 0
f = load(function()
  outer = outer + 1
  if outer == 1 then
    local k = 0
    local g2 = load(function() k = k + 1; return ({"return 'in", "ner'"})[k] end)
    return "return '" .. g2() .. "', " .. k
  end
end)
print(f())
print(outer)

-- A long string in many pieces (more than the lexer rescans per piece).
local chunks = {"return #'"}
for i = 1, 3000 do chunks[#chunks + 1] = ("y"):rep(100) end
chunks[#chunks + 1] = "'"
n = 0
print(load(function() n = n + 1; return chunks[n] end)(), n == #chunks + 1)
