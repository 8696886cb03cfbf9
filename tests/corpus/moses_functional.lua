-- Moses: functional helpers over arrays, tables and functions, plus
-- chaining, applied repeatedly to generated data.
local M = require "moses"

local function show(t)
  if type(t) ~= "table" then return tostring(t) end
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    if type(a) == type(b) then return a < b end
    return type(a) < type(b)
  end)
  local out, n = {}, #t
  for _, k in ipairs(keys) do
    if type(k) == "number" and k >= 1 and k <= n and k % 1 == 0 then
      out[#out + 1] = show(t[k])
    else
      out[#out + 1] = tostring(k) .. "=" .. show(t[k])
    end
  end
  return "{" .. table.concat(out, ",") .. "}"
end

-- Collect what a coroutine-based iterator yields.
local function collect(it)
  local out = {}
  for v in it do out[#out + 1] = v end
  return out
end

local nums = M.range(1, 20)
print(show(nums))
print(show(M.map(nums, function(v) return v * v end)))
print(M.reduce(nums, function(a, b) return a + b end), M.sum(nums), M.product(M.range(1, 10)))
print(show(M.select(nums, function(v) return v % 3 == 0 end)), show(M.reject(nums, function(v) return v > 5 end)))
print(M.all(nums, function(v) return v > 0 end), M.include(nums, 7), M.detect(nums, 15), M.count({ 1, 2, 1, 1 }, 1))
print(M.max(nums), M.min(nums), M.mean(nums), M.median({ 5, 1, 4, 2 }))
print(show(M.sort({ 5, 2, 8, 1, 9 })), show(M.reverse({ 1, 2, 3 })), show(M.unique({ 1, 2, 2, 3, 1 })))
print(show(M.flatten({ 1, { 2, { 3, { 4 } } } })), show(M.flatten({ 1, { 2, { 3 } } }, true)))
print(show(M.chunk({ 1, 1, 2, 3, 3, 4 }, function(v) return v % 2 end)))
print(show(collect(M.partition(M.range(1, 7), 3, 0))), show(collect(M.aperture(M.range(1, 5), 3))))
print(show(collect(M.overlapping(M.range(1, 6), 3))), show(collect(M.pairwise({ 1, 2, 3 }))))
print(show(M.zip({ 1, 2, 3 }, { "a", "b", "c" }, { true, false, true })))
print(show(M.union({ 1, 2 }, { 2, 3 }, { 4 })), show(M.intersection({ 1, 2, 3 }, { 2, 3, 4 })), show(M.difference({ 1, 2, 3 }, { 2 })))
print(show(M.groupBy(M.range(1, 10), function(v) return v % 2 == 0 and "even" or "odd" end)))
print(show(M.countBy(M.range(1, 10), function(v) return v % 3 end)))
print(show(M.pluck({ { a = 1 }, { a = 2 }, { b = 3 } }, "a")), show(M.where({ { a = 1, b = 2 }, { a = 1, b = 3 } }, { b = 3 })))
print(show(M.first(nums, 3)), show(M.last(nums, 2)), show(M.initial({ 1, 2, 3, 4 }, 1)), show(M.rest({ 1, 2, 3, 4 }, 3)))
print(show(M.slice(nums, 4, 7)), show(M.compact({ 0, false, 1, nil, 2 })), M.indexOf(nums, 12), M.lastIndexOf({ 1, 2, 1 }, 1))
print(show(M.fill({ 1, 2, 3, 4 }, 0, 2, 3)), show(M.rep("x", 3)), show(M.powerset({ 1, 2, 3 })))
print(show(collect(M.permutation({ 1, 2, 3 }))))
print(show(M.xprod({ 1, 2 }, { "a", "b" })), show(M.interleave({ 1, 2, 3 }, { "a", "b" })), show(M.interpose({ 1, 2, 3 }, 0)))
print(M.concat({ 1, 2, 3 }, "-"), show(M.sortBy({ "ccc", "a", "bb" }, function(s) return #s end)))

-- Tables / objects.
local obj = { a = 1, b = 2, c = { d = 3 } }
print(show(M.sort(M.keys(obj))), show(M.pick(obj, "a", "c")), show(M.omit(obj, "a")), show(M.invert({ x = "y", z = "w" })))
print(M.has(obj, "b"), M.isEqual({ 1, { 2 } }, { 1, { 2 } }), M.isEqual({ 1 }, { 2 }), show(M.clone(obj)))
print(show(M.extend({}, { a = 1 }, { b = 2 })), show(M.template({ a = 1 }, { a = 9, b = 8 })), M.path(obj, "c", "d"))
print(M.isArray({ 1, 2 }), M.isArray({ a = 1 }), M.isEmpty({}), M.isCallable(print), M.isInteger(3), M.isNaN(0 / 0), M.type("s"))
print(show(M.toObj({ { "k1", 1 }, { "k2", 2 } })), show(M.flattenPath({ a = { b = 2 } }, "a")))

-- Functions.
local add = function(a, b) return a + b end
local inc = M.bind(add, 1)
local compose = M.compose(function(x) return x * 2 end, inc)
local pipe = M.pipe(3, inc, function(x) return x * 10 end)
print(inc(5), compose(5), pipe, M.flip(function(a, b) return a - b end)(1, 10))
local calls = 0
local mem = M.memoize(function(n) calls = calls + 1 return n * n end)
for _ = 1, 50 do mem(7); mem(8) end
print(mem(7), calls)
local once = M.once(function(x) return x * 3 end)
print(once(2), once(5))
local curried = M.curry(function(a, b, c) return a + b + c end, 3)
print(curried(1)(2)(3), M.partial(add, 10)(5), M.partialRight(function(a, b) return a .. b end, "!")("hi"))
print(M.times(function(i) return i * i end, 4)[4], show(M.times(function(i) return i end, 3)))
local it = M.iterator(function(x) return x * 2 end, 1, 5)
local seen = {}
for v in it do seen[#seen + 1] = v end
print(show(seen), M.uniqueId("id_%s"), M.uniqueId("id_%s"))

-- Chaining.
local chained = M.chain(M.range(1, 30))
  :map(function(v) return v * 3 end)
  :select(function(v) return v % 2 == 0 end)
  :reduce(function(a, b) return a + b end)
  :value()
print("chain", chained)

-- Hot loop: the same pipelines over many inputs.
local acc, checks = 0, 0
for i = 1, 300 do
  local arr = M.range(i % 10 + 1, i % 10 + 25)
  local sq = M.map(arr, function(v) return v * v % 97 end)
  local evens = M.select(sq, function(v) return v % 2 == 0 end)
  local u = M.unique(evens)
  acc = acc + M.sum(u) + #M.sort(u) + M.max(sq)
  local g = M.countBy(arr, function(v) return v % 4 end)
  checks = checks + (g[0] or 0) + #M.zip(arr, sq)
  if i % 100 == 0 then print(i, acc, checks, show(u)) end
end
