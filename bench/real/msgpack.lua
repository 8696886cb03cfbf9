-- lua-MessagePack (Debian lua-messagepack): pack and unpack ~20,000
-- records, several rounds. Prints sizes and an order-independent digest.
local mp = require "MessagePack"

local N, ROUNDS = 20000, 3

-- Deterministic pseudo-random numbers (LCG; exact in doubles).
local seed = 12345
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local words = { "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta",
  "theta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron", "pi" }

local function make_record(i)
  local tags = {}
  for j = 1, 1 + rnd(5) do tags[j] = words[1 + rnd(#words)] end
  return {
    id = i,
    name = words[1 + rnd(#words)] .. "-" .. i,
    score = rnd(100000) / 64,          -- exact binary fraction
    delta = -rnd(70000),               -- negative ints of several widths
    big = rnd(32768) * 262144 + rnd(65536), -- beyond 32 bits at times
    active = rnd(2) == 1,
    tags = tags,
    pos = { x = rnd(1000) - 500, y = rnd(1000) - 500, z = rnd(3) },
    note = (rnd(10) == 0) and string.rep("x", 40 + rnd(300)) or nil,
  }
end

local records = {}
for i = 1, N do records[i] = make_record(i) end

-- Digest of a value, independent of the traversal order of pairs.
local digest
local function sdig(s)
  local h = #s
  for k = 1, #s, 7 do h = (h * 31 + s:byte(k)) % 1000000007 end
  return h
end
function digest(v)
  local t = type(v)
  if t == "number" then
    return (math.floor(v * 64) % 1000000007 + 1000000007) % 1000000007
  elseif t == "string" then
    return sdig(v)
  elseif t == "boolean" then
    return v and 17 or 29
  elseif t == "table" then
    local h = 7
    for k, x in pairs(v) do
      h = (h + (digest(k) * 131 + digest(x)) * 7919) % 1000000007
    end
    return h
  end
  return 1
end

local want = 0
for i = 1, N do want = (want + digest(records[i]) * (i % 97 + 1)) % 1000000007 end

local total_bytes, total = 0, 0
for round = 1, ROUNDS do
  -- Records one by one, then the whole array as one message.
  local got = 0
  for i = 1, N do
    local s = mp.pack(records[i])
    total_bytes = total_bytes + #s
    local r = mp.unpack(s)
    got = (got + digest(r) * (i % 97 + 1)) % 1000000007
  end
  assert(got == want, "round " .. round .. ": per-record digest differs")
  local whole = mp.pack(records)
  total_bytes = total_bytes + #whole
  local back = mp.unpack(whole)
  assert(#back == N)
  local g2 = 0
  for i = 1, N do g2 = (g2 + digest(back[i]) * (i % 97 + 1)) % 1000000007 end
  assert(g2 == want, "round " .. round .. ": whole-array digest differs")
  total = total + g2
end

print("records", N, "rounds", ROUNDS)
print("bytes", total_bytes)
print("digest", want, total)
