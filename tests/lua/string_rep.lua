-- string.rep: short results (built on the stack) and long ones (in a
-- buffer), with and without a separator (LuaJIT 2.1), around the
-- 256-byte boundary; pcall and direct calls agree.
local out = {}
for _, s in ipairs({ "", "a", "ab", "xyz", string.rep("q", 100) }) do
  for _, sep in ipairs({ "", ",", "--" }) do
    for _, n in ipairs({ -1, 0, 1, 2, 3, 7, 64, 85, 86, 129, 300 }) do
      local r = string.rep(s, n, sep)
      local ok, r2 = pcall(string.rep, s, n, sep ~= "" and sep or nil)
      out[#out + 1] = #r .. ":" .. (r:sub(1, 12)) .. ":" .. r:sub(-7) .. ":" .. tostring(r == r2)
    end
  end
end
print(table.concat(out, " "))
