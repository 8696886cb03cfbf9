-- Fasta: generate DNA sequences with an LCG; print a checksum summary.
local N = tonumber(arg and arg[1]) or 1500000

local IM, IA, IC = 139968, 3877, 29573
local last = 42
local function random(max)
  last = (last * IA + IC) % IM
  return max * last / IM
end

local alu = table.concat{
  "GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG",
  "GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA",
  "CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT",
  "ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA",
  "GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG",
  "AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC",
  "AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA",
}

local iub = {
  { "a", 0.27 }, { "c", 0.12 }, { "g", 0.12 }, { "t", 0.27 },
  { "B", 0.02 }, { "D", 0.02 }, { "H", 0.02 }, { "K", 0.02 },
  { "M", 0.02 }, { "N", 0.02 }, { "R", 0.02 }, { "S", 0.02 },
  { "V", 0.02 }, { "W", 0.02 }, { "Y", 0.02 },
}

local homosapiens = {
  { "a", 0.3029549426680 }, { "c", 0.1979883004921 },
  { "g", 0.1975473066391 }, { "t", 0.3015094502008 },
}

-- Output sink: instead of writing, we hash the lines and count letters.
local hash, lines, chars = 0, 0, 0
local counts = {}
local function emit(line)
  lines = lines + 1
  chars = chars + #line
  local h = hash
  for i = 1, #line, 7 do
    h = (h * 31 + line:byte(i)) % 2147483647
  end
  hash = h
  counts[line] = (counts[line] or 0) + 1
end

local function header(s)
  emit(s)
end

local WIDTH = 60

local function repeat_fasta(src, n)
  local len = #src
  local s2 = src .. src:sub(1, WIDTH)
  local pos = 1
  for _ = 1, n, WIDTH do
    local l = n < WIDTH and n or WIDTH
    emit(s2:sub(pos, pos + l - 1))
    pos = pos + l
    if pos > len then pos = pos - len end
    n = n - WIDTH
  end
end

local function random_fasta(tbl, n)
  local chars_, probs = {}, {}
  local acc = 0
  for i, e in ipairs(tbl) do
    chars_[i] = e[1]
    acc = acc + e[2]
    probs[i] = acc
  end
  local nt = #tbl
  local buf = {}
  local char = string.char
  while n > 0 do
    local l = n < WIDTH and n or WIDTH
    for i = 1, l do
      local r = random(1.0)
      local k = 1
      while k < nt and r >= probs[k] do k = k + 1 end
      buf[i] = chars_[k]
    end
    for i = l + 1, #buf do buf[i] = nil end
    emit(table.concat(buf))
    n = n - l
  end
end

header(">ONE Homo sapiens alu")
repeat_fasta(alu, N * 2)
header(">TWO IUB ambiguity codes")
random_fasta(iub, N * 3)
header(">THREE Homo sapiens frequency")
random_fasta(homosapiens, N * 5)

local distinct = 0
for _ in pairs(counts) do distinct = distinct + 1 end
print(string.format("lines=%d chars=%d distinct=%d hash=%d last=%d", lines, chars, distinct, hash, last))
