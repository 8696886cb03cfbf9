-- A small demo: closures, tables, string formatting and coroutines.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end

local squares = {}
for i = 1, 10 do squares[#squares + 1] = i * i end
print("squares: " .. table.concat(squares, " "))
print(string.format("fib(25) = %d", fib(25)))

local gen = coroutine.wrap(function()
  for i = 1, 3 do coroutine.yield("tick " .. i) end
end)
for _ = 1, 3 do print(gen()) end

local Point = {}
Point.__index = Point
function Point.new(x, y) return setmetatable({x = x, y = y}, Point) end
function Point.__add(a, b) return Point.new(a.x + b.x, a.y + b.y) end
function Point:__tostring() return "(" .. self.x .. ", " .. self.y .. ")" end
print("sum of points: " .. tostring(Point.new(1, 2) + Point.new(3, 4)))
