-- lua-markdown: render a multi-section document (and variations of it).
local markdown = require "markdown"

local doc = [[
Project Notes
=============

An *introduction* with **strong** words, `inline code`, and a
[link](http://example.com/page "Title here") plus an automatic
<http://example.org/auto> link and an e-mail <someone@example.net>.

Second paragraph with a line break  
right here, and some entities: 4 < 5 & 6 > 3, "quotes" & 'apostrophes'.

Setup
-----

1. First step
2. Second step with *emphasis*
3. Third step

   Continued paragraph inside the third item.

* Bullet one
* Bullet two
    * Nested bullet
    * Another nested
* Bullet three

### Code

Here is a block:

    local function greet(name)
      return "hello, " .. name   -- <tag> & stuff
    end

> A quote with **bold** text.
> > And a nested quote.
>
> Back to the first level.

Reference links
---------------

See [the docs][docs] and [another one][] and ![an image](/img/pic.png "Pic").

[docs]: http://example.com/docs  "Documentation"
[another one]: http://example.com/other

* * *

#### Escapes and HTML

Literal \*asterisks\*, \_underscores\_ and a backslash \\.

<div class="raw">
  <p>Raw HTML block is passed through.</p>
</div>

Final line with trailing __underscored strong__ and _underscored em_.
]]

local html = markdown(doc)
io.write(html, "\n")

-- Render many generated sections so the renderer's loops get hot.
local total, lines = 0, 0
local digest = 0
for i = 1, 150 do
  local parts = {}
  parts[#parts + 1] = "Section " .. i .. "\n" .. string.rep("-", 8 + #tostring(i)) .. "\n"
  for j = 1, 4 do
    parts[#parts + 1] = "Paragraph " .. j .. " of *section* " .. i .. " with `code " .. j .. "` and [a link](http://x/" .. i .. "/" .. j .. ")."
  end
  parts[#parts + 1] = "* item " .. i .. "\n* item " .. (i + 1) .. "\n* **item** " .. (i + 2)
  parts[#parts + 1] = "    code line " .. i .. "\n    another < line"
  parts[#parts + 1] = "> quoted " .. i
  local out = markdown(table.concat(parts, "\n\n"))
  total = total + #out
  for _ in out:gmatch("\n") do lines = lines + 1 end
  for k = 1, #out, 3 do digest = (digest * 7 + out:byte(k)) % 999983 end
  if i % 50 == 0 then print(i, #out, total, lines, digest) end
  if i == 150 then io.write(out, "\n") end
end
