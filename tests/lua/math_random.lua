-- math.random draws LuaJIT 2.1's sequence: the default seed, randomseed
-- with integers, fractions, negatives, huge values and NaN, and the
-- unchecked bounds (an empty interval is no error).
print(math.random(), math.random(10), math.random(5, 9))
math.randomseed(42) print(math.random(), math.random(100))
print(math.random(0), pcall(math.random, 3, 1), math.random(-5))
math.randomseed(1.5) local s = 0 for i = 1, 1000 do s = s + math.random(1000) end print(s)
math.randomseed(-7) print(math.random(), math.random(2^40))
math.randomseed(0) print(math.random())
math.randomseed(1e300) print(math.random())
math.randomseed(0/0) print(math.random())
