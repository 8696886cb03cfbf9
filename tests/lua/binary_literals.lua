-- LuaJIT 2.1's binary literals (0b101) in source, tonumber and string
-- arithmetic, with LL/ULL suffixes, and the malformed forms.
print(0b101, 0B11, 0b0, 0b1111111111111111111111111111111111111111111111111111111111111111)
print(0b00000000001111111111111111111111111111111111111111111111111111111111111111)
print(tonumber("0b11"), tonumber("  0b101  "), tonumber("-0b11"), tonumber("0b"), tonumber("0b2"), tonumber("0b11", 10), tonumber("0b111ULL"))
print(0b111ULL, 0b11LL, -0b1LL, 0b1111111111111111111111111111111111111111111111111111111111111111ULL)
print("0b11" + 1, "0b100" * 2)
for _, s in ipairs({"0b1.1", "0b12", "0b", "0b1e1", "0b1p1", "0b11111111111111111111111111111111111111111111111111111111111111111"}) do
  print(s, loadstring("return " .. s))
end
