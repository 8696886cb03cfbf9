-- markdown.lua (Debian lua-markdown): render a ~250 KB Markdown document
-- built deterministically from varied sections (headings, paragraphs with
-- emphasis, code spans and links, nested lists, code blocks, blockquotes,
-- text tables, raw HTML tables). Prints sizes, tag counts and a digest.
local markdown = require "markdown"

local seed = 777
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local vocab = { "trace", "loop", "guard", "snapshot", "register", "value",
  "table", "string", "closure", "upvalue", "frame", "stack", "heap", "slot",
  "constant", "branch", "exit", "record", "compile", "native", "parser",
  "lexer", "token", "buffer", "module", "number", "integer", "float" }

local function word() return vocab[1 + rnd(#vocab)] end

local function sentence()
  local t = {}
  for i = 1, 6 + rnd(10) do
    local w = word()
    local r = rnd(40)
    if r == 0 then w = "*" .. w .. "*"
    elseif r == 1 then w = "**" .. w .. "**"
    elseif r == 2 then w = "`" .. w .. "()`"
    elseif r == 3 then w = "[" .. w .. "](http://example.org/" .. w .. "/" .. rnd(100) .. ")"
    elseif r == 4 then w = "[" .. w .. "][ref" .. rnd(20) .. "]"
    elseif r == 5 then w = w .. " & " .. word()
    elseif r == 6 then w = "_" .. w .. "_"
    end
    t[i] = w
  end
  local s = table.concat(t, " ")
  return s:sub(1, 1):upper() .. s:sub(2) .. "."
end

local function paragraph()
  local t = {}
  for i = 1, 2 + rnd(5) do t[i] = sentence() end
  return table.concat(t, " ")
end

local out = {}
local function add(s) out[#out + 1] = s end

local n = 0
local section = 0
while n < 200000 do
  section = section + 1
  local kind = section % 7
  if section % 5 == 1 then
    add("Part " .. section .. ": " .. word() .. "\n" .. string.rep("=", 12) .. "\n\n")
  else
    add(string.rep("#", 2 + rnd(3)) .. " Section " .. section .. " " .. word() .. "\n\n")
  end
  add(paragraph() .. "\n\n")
  if kind == 0 then
    for i = 1, 3 + rnd(6) do
      add("* " .. sentence() .. "\n")
      if rnd(3) == 0 then
        for j = 1, 1 + rnd(3) do add("    - " .. sentence() .. "\n") end
      end
    end
    add("\n")
  elseif kind == 1 then
    for i = 1, 3 + rnd(5) do add(i .. ". " .. sentence() .. "\n") end
    add("\n")
  elseif kind == 2 then
    add("    local function " .. word() .. "(a, b)\n")
    for i = 1, 2 + rnd(6) do
      add("      if a < " .. rnd(100) .. " then return b * " .. rnd(10) .. " end -- <" .. word() .. ">\n")
    end
    add("      return a & b\n    end\n\n")
  elseif kind == 3 then
    add("> " .. sentence() .. "\n> " .. sentence() .. "\n>\n> " .. paragraph() .. "\n\n")
  elseif kind == 4 then
    -- A text table as a code block, then the same as raw HTML.
    local rows = 3 + rnd(5)
    add("    name        count   ratio\n    ----------  ------  -----\n")
    local html = { "<table>\n<tr><th>name</th><th>count</th><th>ratio</th></tr>\n" }
    for i = 1, rows do
      local w, c, r = word(), rnd(10000), rnd(1000) / 100
      add(string.format("    %-10s  %6d  %5.2f\n", w, c, r))
      html[#html + 1] = string.format("<tr><td>%s</td><td>%d</td><td>%.2f</td></tr>\n", w, c, r)
    end
    html[#html + 1] = "</table>\n\n"
    add("\n" .. table.concat(html))
  elseif kind == 5 then
    add("Line one with a break  \nline two with <http://example.com/" .. section .. "> and <user" .. section .. "@example.com>.\n\n")
    add("- - -\n\n")
  else
    add(paragraph() .. "\n\n")
  end
  n = 0
  for i = 1, #out do n = n + #out[i] end
end
for i = 0, 19 do
  add("[ref" .. i .. "]: http://example.net/ref/" .. i .. " \"Reference " .. i .. "\"\n")
end

local src = table.concat(out)
local html = markdown(src)

local function count(s, pat)
  local c = 0
  for _ in s:gmatch(pat) do c = c + 1 end
  return c
end

local h = 0
for k = 1, #html, 5 do h = (h * 31 + html:byte(k)) % 1000000007 end
print("markdown", #src, "html", #html, "digest", h)
for _, tag in ipairs { "h1", "h2", "h3", "h4", "p", "li", "pre", "blockquote",
  "em", "strong", "a", "code", "table", "hr", "br" } do
  io.write(tag, "=", count(html, "<" .. tag .. "[ >/]"), " ")
end
io.write("\n")
