-- arithmetic conformance
local function show(...) print(...) end
local function e(f, ...) print(pcall(f, ...)) end

print("-- basic ops")
show(1 + 2, 5 - 7, 3 * 4, 7 / 2, 2 ^ 10, 7 % 3)
show(-7 % 3, 7 % -3, -7 % -3, 7.5 % 2, -7.5 % 2, 5.25 % -2)
show(0 % 5, 3 % math.huge, -3 % math.huge, 3 % -math.huge)
show(1 / 0, -1 / 0, 0 / 0 ~= 0 / 0)
show(tostring(1/0), tostring(-1/0))
show(5 % 0 ~= 5 % 0, 5.5 % 0 ~= 5.5 % 0)
show(math.huge % 2 ~= math.huge % 2)
show(2 ^ 0.5, 2 ^ -1, 0 ^ 0, 0 ^ -1, 1 ^ (0/0))
show(-2 ^ 2, (-2) ^ 2, 2 ^ 3 ^ 2, -2 ^ -2)
show(1 - -1, - - 2, -(-3))
show(3 * -0.5, 1e308 * 10, -1e308 * 10)
show(100 / 3, 2 / 3, 1 / 3 * 3 == 1)

print("-- precedence")
show(2 + 3 * 4, (2 + 3) * 4, 2 * 3 ^ 2, -3 ^ 2, 1 .. 2 .. 3)
show(1 + 2 .. "", 2 ^ -2, not nil == true, 1 < 2 == true)
show("10" + 0 == 10, 1 .. "" == "1")

print("-- string coercion")
show("10" + 5, "3" * "4", "2" ^ "3", "10" / "4", "7" % "3", -"2")
show("0x10" + 0, " 5 " + 1, "1e2" + 0, "  0x1A  " * 1)
show(10 .. 20, 1.5 .. "", -0.0 .. "", 2^63 .. "")
e(function() return "abc" + 1 end)
e(function() return {} + 1 end)
e(function() return 1 + nil end)
e(function() local s = "x"; return s * 2 end)
e(function() return "1" + "z" end)
e(function() return -{} end)
e(function() return -"abc" end)
e(function() return 2 ^ "q" end)
e(function() return 1 % {} end)
e(function() return ("5"):len() + "5" end)

print("-- comparisons")
show(1 < 2, 2 <= 2, "a" < "b", "abc" < "abd", "" < "a", "Z" < "a")
show(1 == 1.0, "1" == 1, 0 == -0, 0/0 == 0/0, math.huge == math.huge)
show("a\0b" < "a\0c", "a" < "a\0", "10" < "9")
e(function() return 1 < "2" end)
e(function() return {} < {} end)
e(function() return nil < 1 end)
e(function() return "a" <= 1 end)
e(function() return true > false end)

print("-- tostring of numbers")
local nums = {1e15, 1e16, 1e100, 0.1, -0.0, 0.0, 2^53, 2^53 + 1, 2^63, 2^64, -2^63,
  123456789012345, 1234567890123456, 12345678901234567, 3.14159265358979,
  1/3, 100, 100.0, 1e-5, 1e-4, 123e-7, 5e-324, 1.7976931348623157e308,
  255, -1, 1e14, 1e17, 0.5, 2.5e-10, 99999999999999.9, 1e21, -1.5e300}
for i, v in ipairs(nums) do
  print(i, v, tostring(v), string.format("%.17g", v))
end
print(tostring(1/0), tostring(-1/0), tostring(0/0) == tostring(0/0))

print("-- hex literals")
show(0x10, 0xff, 0XFF, 0xDeadBeef, 0x7fffffff, 0xffffffff, 0x100000000)
show(0x1p4, 0x1P-1, 0x.8, 0xA.8p1, 0x1.8p1, 0x10p-2)
show(1e2, 1E-2, .5, 5., 3e0, 0.0e0)
show(0xffffffffffffffff, 0x7fffffffffffffff)

print("-- tonumber")
show(tonumber("10"), tonumber("  10  "), tonumber("0x10"), tonumber("1e1"))
show(tonumber("10", 16), tonumber("ff", 16), tonumber("FF", 16), tonumber("zz", 36))
show(tonumber("777", 8), tonumber("1010", 2), tonumber("12", 2), tonumber("8", 8))
show(tonumber(""), tonumber(" "), tonumber("abc"), tonumber("1 2"), tonumber("1e"))
show(tonumber("0x"), tonumber("0x1p4"), tonumber(".5"), tonumber("5."), tonumber("-.5"))
show(tonumber(nil), tonumber(true), tonumber({}) , tonumber(42), tonumber("-0"))
show(tonumber("inf"), tonumber("nan"), tonumber("1e500"), tonumber("-1e500"))
show(tonumber("  -7  ", 10), tonumber("-ff", 16), tonumber("z", 36), tonumber("Z", 36))
show(tonumber("10", 10), tonumber("1.5", 10), tonumber("", 10))
show(tonumber("0x10", 16), tonumber("10", 36))
e(tonumber, "10", 1)
e(tonumber, "10", 37)
e(tonumber)
show(tonumber("\t\n12\r"), tonumber("1\0"))

print("-- integer-ish float formatting")
for _, v in ipairs({1, -1, 1.25, -1.25, 10/2, 3*1.1, 1e15+0.5, 2^31, -2^31, 2^32}) do
  io.write(tostring(v), " ")
end
print()
show(math.floor(3.7), math.floor(-3.7), 7 / 7, 2^0)
show(8 % 3.5, -8 % 3.5, 2^53 % 2, (2^53+2) % 3)
show(0.1 + 0.2, 0.1 + 0.2 == 0.3, 1 - 0.9)
show(-0.0 == 0.0, 1/(-0.0), 1/(0.0), tostring(-0.0))
local z = 0; show(-z, 0 * -1, tostring(0 * -1))

print("-- nan printing and errors with names")
show(0/0, -(0/0), math.huge - math.huge, tostring(0/0))
e(function() return tonumber("10", 1) end)
e(function() return tonumber("10", 99) end)
e(function() return tonumber() end)
local t = {x = "a"}
e(function() return t.x + 1 end)
e(function() return t.nope * 2 end)
e(function() return undefinedglobal - 1 end)
e(function() local a = {}; return a .. "x" end)
e(function() return 1 .. nil end)
e(function() return ("x"):rep(2) .. {} end)
show(2^31 + 2^31, 2^1023 * 2, -2^1023 * 2, 1e-320 / 1e10)
show(math.max(1, 0/0) , 3 == 3.0000000000000001)
e(function() local r = tonumber("10", 1); return r end)
e(function() local r = tonumber(); return r end)
