-- Integer conversions of string.format and tostring/concatenation of
-- numbers (written without allocating): signs, widths, flags, bases,
-- the int32 and 2^53 edges, fractions truncated.
for _, v in ipairs{0, 1, -1, 255, -255, 2^31, -2^31, 2^53, -2^53, 1e15, 123456789012, -0.0, 3.7, -3.7} do
  print(string.format("%d|%5d|%-5d|%05d|%.3d|%+d|% d|%x|%X|%#x|%o|%#o|%u|%8.4x", v, v, v, v, v, v, v, v, v, v, v, v, v, v), tostring(v), v .. "")
end
