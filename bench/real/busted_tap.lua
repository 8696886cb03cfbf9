-- busted (Debian lua-busted): run busted's runner from Lua, as
-- /usr/bin/busted does, on bench/real/spec/tap_spec.lua (several hundred
-- `it` blocks) with the TAP output handler, the suite repeated 16 times.
-- The TAP text (it has no timings) is captured and summarised: counts of
-- ok / not ok / skip lines, the plan and a digest.
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local spec = dir .. "/spec/tap_spec.lua"

local lines = {}
local real_write = io.write
io.write = function(...)
  for i = 1, select("#", ...) do lines[#lines + 1] = tostring((select(i, ...))) end
end

-- --repeat runs the whole suite several times (TAP restarts its count).
arg = { [0] = "busted", "--output=TAP", "--repeat=16", spec }
require "busted.runner" ({ standalone = false })
io.write = real_write

local text = table.concat(lines)
local ok, notok, skip, total = 0, 0, 0, 0
for line in text:gmatch("[^\n]+") do
  if line:match("^ok %d+ %- # SKIP") then skip = skip + 1
  elseif line:match("^ok ") then ok = ok + 1
  elseif line:match("^not ok ") then notok = notok + 1 end
  total = total + 1
end
local h = #text
for k = 1, #text do h = (h * 31 + text:byte(k)) % 1000000007 end
print("tap lines", total, "ok", ok, "not ok", notok, "skip", skip)
print("plan", text:match("\n(1%.%.%d+)\n"), "digest", h)
