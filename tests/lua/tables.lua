-- table conformance
local function e(f, ...) print(pcall(f, ...)) end
local function dump(t, n)
  local parts = {}
  for i = 1, n or #t do parts[#parts + 1] = tostring(t[i]) end
  return "{" .. table.concat(parts, ",") .. "}"
end
local function sortedkeys(t)
  local ks = {}
  for k in pairs(t) do ks[#ks + 1] = tostring(k) end
  table.sort(ks)
  return table.concat(ks, " ")
end

print("-- constructors")
local t = {1, 2, 3, x = 1, ["y"] = 2, [10] = 10, 4}
print(#t, t[4], t.x, t.y, t[10], sortedkeys(t))
t = {[1] = "a", [2] = "b", "c"}
print(t[1], t[2], #t)
local function three() return 1, 2, 3 end
t = {three()}; print(#t, dump(t))
t = {three(), three()}; print(#t, dump(t))
t = {(three())}; print(#t, dump(t))
t = {three(), 10}; print(#t, dump(t))
t = {1, 2, 3,}; print(#t)
t = {1; 2; x = 3}; print(#t, t.x)
t = {[1.0] = "one", [2^53] = "big"}; print(t[1], t[2^53])
t = {}; t[1.5] = "f"; t[-1] = "neg"; t[0] = "zero"; print(t[1.5], t[-1], t[0], #t)
e(function() local t = {}; t[nil] = 1 end)
e(function() local t = {}; t[0/0] = 1 end)
print(({}).x, ({nil}).x, #{nil}, #{nil, nil}, #{n = 1})

print("-- length of sequences")
print(#{}, #{1}, #{1, 2, 3}, #{1, 2, 3, nil}, #{nil, nil, nil})
local function isborder(t) local n = #t; return (n == 0 or t[n] ~= nil) and t[n + 1] == nil end
print(isborder({nil, 2}), isborder({1, nil, 3}), isborder({1, nil, 3, nil, 5, nil}), isborder({nil, nil, 3}))
t = {}; for i = 1, 10 do t[i] = i end; print(#t)
t[10] = nil; print(#t)
t[9] = nil; print(#t)
t = {}; t[1] = 1; t[2] = 2; t[4] = 4; print(#t == 2 or #t == 4)
t = {1, 2, 3}; t[#t + 1] = 4; print(#t)
t = {n = 3}; print(#t)
local s = ""; for i = 1, 100 do t[i] = i end; for i = 100, 51, -1 do t[i] = nil end; print(#t)

print("-- next / pairs")
t = {10, 20, 30}
print(next(t), next(t, 1), next(t, 3), next({}))
e(next, t, "nokey")
e(next)
local cnt = 0
t = {}; for i = 1, 20 do t[i] = i; t["k" .. i] = i end
for k, v in pairs(t) do t[k] = nil; cnt = cnt + 1 end
print("deleted during traversal", cnt, next(t))
t = {a = 1, b = 2, c = 3}
for k in pairs(t) do t[k] = k .. "!" end
print(t.a, t.b, t.c)
local sum = 0
for i, v in ipairs({1, 2, 3, nil, 5}) do sum = sum + v end
print("ipairs stops at hole", sum)
print(type(pairs({})), type(ipairs({})), select("#", pairs({})), select("#", ipairs({})))
local f, st, init = ipairs({"a"}); print(init, f(st, 0), f(st, 1))
e(pairs)
e(ipairs)

print("-- insert / remove")
t = {1, 2, 3}
table.insert(t, 4); print(dump(t))
table.insert(t, 1, 0); print(dump(t))
table.insert(t, 3, 99); print(dump(t))
table.insert(t, #t + 1, "end"); print(dump(t))
print(table.remove(t), dump(t))
print(table.remove(t, 1), dump(t))
print(table.remove(t, 2), dump(t))
print(table.remove({}), table.remove({}, 1), #t)
t = {1, 2, 3}; print(table.remove(t, #t + 1), dump(t))
e(table.insert, {1}, 1, 2, 3)
e(table.insert, {1})
e(table.insert, nil, 1)
e(function() local r = table.insert({}, "x", 1); return r end)
e(table.remove, nil)

print("-- concat")
print(table.concat({1, 2, 3}), table.concat({1, 2, 3}, ", "), table.concat({}, "x"))
print(table.concat({1, 2, 3}, "-", 2), table.concat({1, 2, 3}, "-", 2, 3), table.concat({1, 2, 3}, "-", 3, 2))
print(table.concat({"a", 1.5, "b"}, ""))
e(table.concat, {1, {}, 3})
e(table.concat, {1, 2}, ",", 1, 3)
e(function() local r = table.concat({true}); return r end)
e(table.concat, {1, 2}, {})

print("-- sort")
t = {5, 2, 8, 1, 9, 3}; table.sort(t); print(dump(t))
t = {5, 2, 8, 1, 9, 3}; table.sort(t, function(a, b) return a > b end); print(dump(t))
t = {"banana", "apple", "Cherry", "date"}; table.sort(t); print(dump(t))
t = {}; table.sort(t); print(dump(t))
t = {1}; table.sort(t); print(dump(t))
t = {}; for i = 1, 100 do t[i] = (i * 37) % 101 end; table.sort(t)
local okk = true; for i = 2, 100 do if t[i - 1] > t[i] then okk = false end end; print("sorted 100", okk)
t = {{n = 3}, {n = 1}, {n = 2}}; table.sort(t, function(a, b) return a.n < b.n end)
print(t[1].n, t[2].n, t[3].n)
e(table.sort, {3, "a", 1})
e(table.sort, {1, 2, 3}, 5)
local ok, msg = pcall(table.sort, {5, 4, 3, 2, 1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
  function(a, b) return true end)
print(ok, msg)
e(function() table.sort({3, 2, 1}, function(a, b) error("cmp fail") end) end)
t = {3, 1, 2}; table.sort(t, function(a, b) return a < b end); print(dump(t))

print("-- maxn/getn/foreach/foreachi")
print(table.maxn({}), table.maxn({1, 2, 3}), table.maxn({[10] = 1, [2.5] = 2}), table.maxn({a = 1, [-5] = 1}))
print(table.getn({1, 2, 3}), table.getn({}))
local out = {}
table.foreachi({"a", "b", "c"}, function(i, v) out[#out + 1] = i .. v end)
print(table.concat(out, " "))
print(table.foreachi({"a", "b"}, function(i, v) if i == 2 then return "stop" .. v end end))
local n = 0
print(table.foreach({x = 1, y = 2}, function(k, v) n = n + v end), n)
print(table.foreach({x = 1}, function(k, v) return k, v end))

print("-- unpack / select")
print(unpack({1, 2, 3}))
print(unpack({1, 2, 3}, 2))
print(unpack({1, 2, 3}, 2, 3))
print(unpack({1, 2, 3}, 3, 2))
print(unpack({1, nil, 3}, 1, 3))
print(unpack({}, 1, 2))
print(select("#", unpack({}, 1, 0)), select("#", unpack({n = 1}, 1, 5)))
print(select(2, "a", "b", "c"), select(-1, "a", "b", "c"), select(-3, "a", "b", "c"))
print(select("#"), select("#", nil), select("#", nil, nil), select(5, 1, 2))
e(select, 0, 1)
e(select, -5, 1)
e(select, "x")
e(unpack, nil)
e(unpack, {}, 1, 1e8)

print("-- table.new / table.clear")
local tnew = require("table.new")
print(type(tnew))
local nt = tnew(10, 5); print(type(nt), #nt, next(nt))
nt[1] = 1; nt.x = 2; print(#nt, nt.x)
local tclear = require("table.clear")
print(type(tclear))
nt = {1, 2, 3, a = 1}; tclear(nt); print(#nt, next(nt))
local alias = nt; nt[1] = "again"; print(alias[1])
print(type(package.loaded["table.new"]), package.loaded["table.new"] == tnew)
