-- `return native(...)` returns every result of the native, also when the
-- tail call is recorded in an inlined frame (Debian's lua-markdown loops
-- forever when `return unpack(res)` returns one value: JIT_BUGS #3).
local function up(t) return unpack(t) end
local function fnd(s, p) return s:find(p) end
local function sel(...) return select(2, ...) end
local function asr(a, b) return assert(a, b) end
local function first(s, pats)
  local res = {}
  for _, p in ipairs(pats) do
    local m = { s:find(p) }
    if #m > 0 and (#res == 0 or m[1] < res[1]) then res = m end
  end
  return unpack(res)
end
local out = {}
for i = 1, 40 do
  local a, b, c = up({ i, i * 2, i * 3 })
  local d, e = fnd("abc <x> <b>", i % 2 == 0 and "<b>" or "<x>")
  local f, g, h = sel(i, "y", i + 1, "z")
  local j, k = asr(i, "msg")
  local n = select("#", up({ 1, 2 }))
  out[#out + 1] = table.concat({ a, b, c, d, e, f, g, h, j, k, n }, ",")
end
for i = 1, 40 do
  local l, m = first("abc <x>\n<b>q</b>\n", { "<b>", "zz", "<x>", "nomatch" })
  out[i] = out[i] .. "," .. l .. "," .. m
end
print(out[1])
print(out[2])
print(out[40])
local digest = 0
for i = 1, #out do
  for ch in out[i]:gmatch("%d+") do digest = (digest * 31 + tonumber(ch)) % 1000003 end
end
print(#out, digest)
