-- control flow conformance
local function e(f, ...) print(pcall(f, ...)) end
local function collect(...) return table.concat({...}, " ") end

print("-- numeric for")
local out = {}
for i = 1, 5 do out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 5, 1, -1 do out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 1, 2, 0.5 do out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 0, 1, 0.1 do out[#out + 1] = i end; print(#out, out[#out])
out = {}; for i = 1, 0 do out[#out + 1] = i end; print(#out)
out = {}; for i = 10, 1, -3 do out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = -1, -3, -1 do out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 1.5, 3.5 do out[#out + 1] = i end; print(collect(unpack(out)))
e(function() local o = {}; for i = "1", "3" do o[#o + 1] = i end; return collect(unpack(o)) end)
out = {}; for i = 1, 3 do local x = i; i = i * 10; out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 2^53 - 3, 2^53 - 1 do out[#out + 1] = string.format("%.0f", i) end; print(collect(unpack(out)))
out = {}; for i = 1, math.huge do if i > 3 then break end out[#out + 1] = i end; print(collect(unpack(out)))
out = {}; for i = 3, 1 do out[#out + 1] = i end; print(#out)
out = {}; for i = 1, 1 do out[#out + 1] = i end; print(#out)
out = {}; for i = 0.1, 0.35, 0.05 do out[#out + 1] = i end; print(#out)
e(function() for i = 1, 10, 0 do error("ran") end return "zero step no loop?" end)
e(function() for i = "a", 2 do end end)
e(function() for i = 1, {} do end end)
e(function() for i = 1, 2, nil do end end)
e(function() local n; for i = n, 2 do end end)

print("-- generic for")
out = {}
for k, v in next, {10, 20} do out[#out + 1] = k .. "=" .. v end; print(collect(unpack(out)))
local function range(n)
  local i = 0
  return function() i = i + 1; if i <= n then return i end end
end
out = {}; for x in range(4) do out[#out + 1] = x end; print(collect(unpack(out)))
local function stateless(s, c) if c < s then return c + 1, c * c end end
out = {}; for a, b in stateless, 3, 0 do out[#out + 1] = a .. ":" .. b end; print(collect(unpack(out)))
e(function() for x in 5 do end end)
e(function() for x in nil do end end)
local callobj = setmetatable({}, {__call = function(self, s, c) if not c then return 1 end if c < 3 then return c + 1 end end})
out = {}; for v in callobj do out[#out + 1] = v end; print(collect(unpack(out)))

print("-- while / repeat")
local i = 0; while i < 5 do i = i + 1 end; print(i)
i = 0; while true do i = i + 1; if i == 7 then break end end; print(i)
i = 0; repeat local j = i; i = i + 1 until j >= 3; print(i)
i = 10; repeat i = i - 1 until true; print(i)
local cnt = 0; repeat cnt = cnt + 1; local done = cnt * cnt > 50 until done; print(cnt)
while false do print("never") end
i = 0; while i < 3 do i = i + 1; local f = function() return i end; if f() == 2 then break end end; print(i)

print("-- goto / labels")
for i = 1, 5 do
  if i % 2 == 0 then goto continue end
  io.write(i, " ")
  ::continue::
end
print()
do
  local k = 0
  ::top::
  k = k + 1
  if k < 5 then goto top end
  print("k", k)
end
for i = 1, 3 do
  for j = 1, 3 do
    if j == 2 then goto next_i end
    io.write(i, ",", j, " ")
  end
  ::next_i::
end
print()
do
  local fs = {}
  local n = 1
  ::again::
  local captured = n
  fs[#fs + 1] = function() return captured end
  n = n + 1
  if n <= 3 then goto again end
  print(fs[1](), fs[2](), fs[3]())
end
do goto skip; print("skipped") ::skip:: end
print(loadstring("goto nowhere"))
print(type(loadstring("do local x ::l:: goto l2 end ::l2::")))
print(loadstring("::a:: ::a::"))
print(loadstring("goto f; local x; ::f:: print(x)"))
print(loadstring("do goto f; local x end ::f::") ~= nil)
print(loadstring("repeat goto cont; local x ::cont:: until x"))
print(type(loadstring("local goto = 1")))

print("-- break")
for i = 1, 10 do if i == 3 then break end io.write(i, " ") end print()
for _, v in ipairs({1, 2, 3}) do while true do break end io.write(v, " ") end print()
do local found; for i = 1, 100 do if i * i > 200 then found = i; break end end; print(found) end
print(loadstring("break"))
print(loadstring("if x then break end"))
print(loadstring("return return"))

print("-- if/elseif/else, and/or")
local function classify(n)
  if n < 0 then return "neg" elseif n == 0 then return "zero" elseif n < 10 then return "small" else return "big" end
end
print(classify(-1), classify(0), classify(5), classify(50))
print(1 and 2, nil and 1, false or "x", nil or false, false and nil, 0 or 1, "" and "empty")
print(not 0, not "", not nil, not not nil)
print(1 == 1 and "yes" or "no", nil == false)
local x = nil; print(x and x.y or "safe")

print("-- nested functions and scoping")
local v = "outer"
do local v = "inner"; print(v) end
print(v)
local function f1()
  local function f2()
    local function f3() return v .. "!" end
    return f3()
  end
  return f2()
end
print(f1())
local a, b, c = 1, 2
print(a, b, c)
local d, e2 = (function() return 1, 2, 3 end)()
print(d, e2)
a, b = b, a; print(a, b)
local t = {1, 2}; local idx = 1; idx, t[idx] = 2, "set"; print(idx, t[1], t[2])
local shadow = 1; local shadow = shadow + 1; print(shadow)
