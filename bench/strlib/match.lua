-- string.match with captures.
local lines = {}
for i = 1, 100 do lines[i] = ("key%d = value_%d ; # comment %d"):format(i, i * 7, i) end
local n = 0
for r = 1, 8000 do
  for i = 1, #lines do
    local k, v = lines[i]:match("^(%w+)%s*=%s*([%w_]+)")
    n = n + #k + #v
  end
end
print(n)
