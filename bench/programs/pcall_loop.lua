-- Protected calls in a hot loop: most succeed, a few raise errors.
local N = tonumber(arg and arg[1]) or 20000000

local function checked_div(a, b)
  if b == 0 then error("division by zero") end
  return a / b
end

local function parse(x)
  return x * 2 + 1
end

local ok_sum, fails = 0, 0
for i = 1, N do
  local ok, v = pcall(checked_div, i, i % 1000)
  if ok then ok_sum = ok_sum + v else fails = fails + 1 end
end
print(string.format("%.6f", ok_sum), fails)

local acc = 0
for i = 1, N do
  local ok, v = pcall(parse, i)
  acc = acc + v
end
print(acc)

local handled = 0
local function handler(e) return "handled" end
for i = 1, N / 10 do
  local ok, v = xpcall(function() return checked_div(i, i % 100) end, handler)
  if not ok then handled = handled + 1 end
end
print(handled)
