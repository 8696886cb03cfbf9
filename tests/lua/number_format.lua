-- Number formatting (tostring's %.14g, string.format's %f/%e/%g with
-- precisions): exact decimal rounding, ties (values exactly halfway
-- between two outputs) away from zero as LuaJIT does, subnormals,
-- shortest-looking values. Hand-picked values in full, then thousands of
-- generated ones as a checksum (the differential test compares with luajit).
local picked = {0.1, 0.3, 1/3, 0.0625, 0.25, 0.5, 1.5, 2.5, 8.5, 1.005, 2.675, 1.45,
  0.045, 1234.5, 12345.5, 4.35, 1e14, 1e15, 123456789012345, 100000000000005,
  99999999999999.5, 1e-5, 0.00012345, 0.000099999999999995, 1e21, 1e100, 1e-300,
  5e-324, 2.2250738585072014e-308, 2^53, 2^63, -0.0, 1/0, -1/0, 12.300000000000001,
  1.0000000000000002, 3.14159265358979, -7.25}
for _, v in ipairs(picked) do
  print(tostring(v), string.format("%.0f|%.1f|%.3f|%.14g|%.3e|%g|%#.0f|%.17g", v, v, v, v, v, v, v, v))
end
local formats = {"%.0f", "%.1f", "%.2f", "%.3f", "%f", "%.10f", "%g", "%.3g", "%.14g",
  "%.17g", "%e", "%.0e", "%.3e", "%#.3g", "%10.4f", "%-12.3e"}
local h, n, r = 0, 0, 12345
local function add(s)
  for i = 1, #s do h = (h * 31 + s:byte(i)) % 2147483647 end
  n = n + 1
end
for _ = 1, 1500 do
  r = (r * 1103515245 + 12345) % 2147483648
  local m = r / 2147483648
  for _, v in ipairs({m * 10 ^ ((r % 61) - 30), math.floor(m * 100000) / 2 ^ (r % 20), (r % 20000) / 8 - 1000}) do
    add(tostring(v))
    for _, f in ipairs(formats) do add(string.format(f, v)) end
  end
end
print(n, h)
