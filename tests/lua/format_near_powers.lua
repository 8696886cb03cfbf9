-- Numbers at, just under and just over powers of ten, formatted with
-- every precision of %e and %g and by tostring: the decimal exponent
-- must be the true one (1e-06 is just under 10^-6 as a double, so
-- %.17g shows 9.9999999999999995e-07).
local function neighbours(x)
  -- The doubles around x, found by halving a relative step.
  local below, above = x, x
  local d = x * 2 ^ -52
  while x - d ~= x and d > 0 do below = x - d; d = d / 2 end
  d = x * 2 ^ -52
  while x + d ~= x and d > 0 do above = x + d; d = d / 2 end
  return below, above
end
local lines = 0
for e = -30, 30 do
  local p = 10 ^ e
  local below, above = neighbours(p)
  for _, x in ipairs({ p, below, above, -p, p * 0.95, p * 9.5 }) do
    local parts = { tostring(x) }
    for prec = 0, 17 do
      parts[#parts + 1] = string.format("%." .. prec .. "e", x)
      parts[#parts + 1] = string.format("%." .. prec .. "g", x)
    end
    print(table.concat(parts, " "))
    lines = lines + 1
  end
end
print(lines)
