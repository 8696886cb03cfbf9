-- string.format with constant formats in hot loops (compiled as SFMT
-- where the JIT takes the format): integer, unsigned, hex and octal
-- directives with every flag, width and precision that changes them,
-- floats and strings, over numbers that hit their edge cases (zero with
-- precision 0, negatives, fractions, the 64-bit range).
local nums = { 0, 1, -1, 7, -7, 10, 255, -255, 65535, 2 ^ 31, -2 ^ 31, 2 ^ 53, 1e15, 0.5, -0.5, 2.75, -2.75, 123456789 }
local dirs = { "%d", "%i", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.0d", "%.3d", "%8.3d", "%-8.3d|", "%+.0d",
  "%x", "%X", "%#x", "%#X", "%#05x", "%08x", "%.0x", "%#.0x", "%.4x", "%o", "%#o", "%#.0o", "%.0o", "%5o",
  "%u", "%.0u", "%10u", "%s", "%5s|", "%-5s|", "%.2s", "%g", "%.3g", "%#g", "%10.4f", "%-+10.2f|", "%e", "%.0e",
  "[%d:%x:%o]", "%d%%" }
local out = {}
for _, d in ipairs(dirs) do
  local args = select(2, d:gsub("%%[^%%]", "")) -- directives taking a value
  -- A loop of its own with the format a constant in it.
  local call = "f(" .. string.format("%q", d) .. string.rep(", n", args) .. ")"
  local src = "local f = ... return function(nums) local r = {} "
    .. "for i = 1, #nums do local n = nums[i] r[i] = " .. call .. " end return r end"
  local run = loadstring(src)(string.format)
  local parts
  for _ = 1, 3 do parts = run(nums) end
  out[#out + 1] = d .. " => " .. table.concat(parts, " ")
end
print(table.concat(out, "\n"))
