-- Pattern searches skip to the positions where the pattern's first literal
-- byte occurs; results and errors must be those of a full scan.
print(pcall(string.find, "xyz", "a["))
print(pcall(string.find, "xaz", "a["))
print(pcall(string.gsub, "hello world", "o", "0"))
print(string.gsub("a.b.c", "%.", "/"))
print(string.gsub("((a))", "(%(+)", "<%1>"))
print(string.find("abcabc", "(c)(a)", 2))
for w in string.gmatch("k=v, x=y", "(%w)=") do io.write(w, ";") end print()
print(string.gsub("abc", "x*", "-"))
print(string.gsub("aXbXc", "X", "%%", 1))
print(string.match("  [link](url) ", "%[(.-)%]%((.-)%)"))
print(string.find("aaa", "a", 10), string.find("aaa", "a", 3), string.find("", "a"))
print(pcall(string.gsub, "abc", "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))", "x"))
print(pcall(string.gsub, "bbb", "(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))", "x"))
-- a first literal that is an escaped punctuation, after captures
print(string.gsub("x*y**z", "(%*+)", "[%1]"))
print(string.find("abc", "()b()"))
-- a loop so the JIT sees the searches too
local n = 0
for i = 1, 200 do
  local s = ("ab"):rep(i % 7) .. "c" .. i
  n = n + select(2, s:gsub("b", "B")) + (s:find("c%d") or 0)
end
print(n)
