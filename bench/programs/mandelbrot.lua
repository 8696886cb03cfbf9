-- Mandelbrot set; prints a checksum of the packed bitmap instead of the bitmap.
local N = tonumber(arg and arg[1]) or 2500

local w, h = N, N
local iter = 50
local limit2 = 4.0
local sum, bits_set = 0, 0
local rowsum = 0
for y = 0, h - 1 do
  local Ci = 2.0 * y / h - 1.0
  local byte, bitnum = 0, 0
  for x = 0, w - 1 do
    local Cr = 2.0 * x / w - 1.5
    local Zr, Zi, Tr, Ti = 0.0, 0.0, 0.0, 0.0
    local i = 0
    while i < iter and Tr + Ti <= limit2 do
      Zi = 2.0 * Zr * Zi + Ci
      Zr = Tr - Ti + Cr
      Tr = Zr * Zr
      Ti = Zi * Zi
      i = i + 1
    end
    byte = byte * 2
    if Tr + Ti <= limit2 then
      byte = byte + 1
      bits_set = bits_set + 1
    end
    bitnum = bitnum + 1
    if bitnum == 8 or x == w - 1 then
      if bitnum < 8 then byte = byte * 2 ^ (8 - bitnum) end
      sum = (sum * 31 + byte) % 1000000007
      byte, bitnum = 0, 0
    end
  end
end
print(string.format("%dx%d bits=%d checksum=%d", w, h, bits_set, sum))
