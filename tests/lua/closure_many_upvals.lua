-- Closures with few and many upvalues (more than the 8 gathered on the
-- native stack: the rest through a Vec), from locals and from the
-- parent's upvalues, made in a loop (interpreted and by compiled FNEW).
local out = {}
local g1, g2, g3 = 100, 200, 300
for i = 1, 60 do
  local a, b, c, d, e, f, g, h, j, k, l, m = i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7, i + 8, i + 9, i + 10, i + 11
  local few = function() return a + b end
  local many = function(x)
    a = a + x
    return a + b + c + d + e + f + g + h + j + k + l + m + g1 + g2 + g3
  end
  local nested = function()
    return function() return a * m + g3 + h end
  end
  out[#out + 1] = few() + many(1) + many(2) + nested()() + a
end
print(table.concat(out, " "))
