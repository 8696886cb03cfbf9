-- table.remove(t) (pop form) in compiled loops: a stack pushed and popped
-- (the border moves inside the array part), popping an emptied table.
local st, out = {}, 0
for i = 1, 200 do
  st[#st + 1] = i
  st[#st + 1] = i * 2
  local x = table.remove(st)
  out = out + x + #st
  if i % 3 == 0 then out = out + table.remove(st) end
end
local t = { "a", "b", "c" }
local got = {}
for i = 1, 5 do got[#got + 1] = tostring((table.remove(t))) end
print(out, #st, table.concat(got, ","))
