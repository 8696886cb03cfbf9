-- A generated data table of 40,000 constant rows in one function: the
-- rows are template tables (TDUP), whose strings and numbers take no
-- constant slots of their own (no "constant table overflow", as in
-- luajit).
local src = { "local t = {" }
for i = 1, 40000 do src[#src + 1] = ("{%d, 's%d', %d.5},"):format(i, i, i) end
src[#src + 1] = "} return t"
local big = assert(loadstring(table.concat(src, "\n")))()
print(#big, big[1][2], big[40000][3], big[12345][1])
