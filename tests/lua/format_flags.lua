-- string.format's flags, widths and precisions on integer and float
-- conversions, against LuaJIT: `#` prefixes with `0` padding after them
-- (`%#05x` of 10 is `0x00a`), precision 0 of a zero (no digits, but
-- `%#.0o`'s "0"), signs and spaces, left alignment.
local flags = {"", "-", "+", " ", "#", "0", "#0", "-#"}
local out = {}
local function row(spec, vals)
  local t = {}
  for i, v in ipairs(vals) do t[i] = "[" .. string.format(spec, v) .. "]" end
  out[#out + 1] = spec .. " " .. table.concat(t, " ")
end
for _, c in ipairs{"d", "x", "X", "o"} do
  for _, f in ipairs(flags) do
    for _, w in ipairs{"", "6"} do
      for _, p in ipairs{"", ".0", ".3"} do
        row("%" .. f .. w .. p .. c, c == "d" and {0, 10, 255, -3} or {0, 10, 255, 4096})
      end
    end
  end
end
for _, c in ipairs{"f", "g", "e"} do
  for _, f in ipairs(flags) do
    for _, w in ipairs{"", "12"} do
      for _, p in ipairs{"", ".0", ".3"} do
        row("%" .. f .. w .. p .. c, {0, -0.0, 2.5, -1e-5, 123456789.125, 1e20})
      end
    end
  end
end
print(table.concat(out, "\n"))
