-- Lua -> C pointer conversions in compiled FFI calls and pointer stores
-- (strings, nil, arrays, structs, references, pointers), and pointer
-- results of C calls used inside the loop.
local ffi = require "ffi"
ffi.cdef [[
int atoi(const char *s);
int strcmp(const char *a, const char *b);
char *strcpy(char *d, const char *s);
char *strchr(const char *s, int c);
void *memset(void *p, int c, size_t n);
double strtod(const char *s, char **end);
int memcmp(const void *a, const void *b, size_t n);
typedef struct { int a, b; } pair_t;
typedef struct { const char *s; void *p; int n; } holder_t;
]]
local C = ffi.C

-- strings to const char *
local words = { "a", "bb", "ccc", "", "hello world", "x\0y" }
local nums_s = { "12", "-7", "x", "300abc", "" }
local total = 0
for i = 1, 300 do
  total = total + C.atoi(nums_s[i % #nums_s + 1]) + C.strcmp(words[i % #words + 1], "bb")
end
print("atoi strcmp strings", total)

-- nil to a pointer parameter, numbers back from C
local sum = 0
local nums = { "1.5", "2", "-0.25", "1e3", "abc" }
for i = 1, 300 do
  sum = sum + C.strtod(nums[i % #nums + 1], nil)
end
print("strtod", sum)

-- arrays, pointers and references to void * / const char *
local buf = ffi.new("char[16]")
local bp = ffi.cast("char *", buf)
local pairs_ = ffi.new("pair_t[4]")
local acc = 0
for i = 1, 300 do
  C.memset(buf, 65 + i % 26, 8)
  buf[8] = 0
  acc = acc + C.strcmp(bp, "MMMMMMMM") + buf[i % 8]
  C.memset(pairs_[i % 4], i % 7, 8)
  acc = acc + pairs_[i % 4].a % 1000
end
print("arrays and refs", acc)

-- a struct object to void *
local one = ffi.new("pair_t")
local z = 0
for i = 1, 200 do
  one.a, one.b = i, -i
  C.memset(one, 0, 4)
  z = z + one.a + one.b
end
print("struct", z)

-- pointer results: compared with nil, indexed, passed on
local text = "the quick brown fox jumps over the lazy dog"
local hits, where = 0, 0
for i = 1, 300 do
  local p = C.strchr(text, string.byte("abcdefghijklmnopqrstuvwxyz!", i % 27 + 1))
  if p ~= nil then
    hits = hits + 1
    where = where + C.atoi(p) + p[0] + C.strcmp(p, "o")
  end
end
print("strchr", hits, where)

local r = 0
for i = 1, 200 do
  local q = C.strcpy(buf, words[i % #words + 1])
  r = r + q[0] + (q == nil and 1000 or 0) + C.atoi(C.memset(buf, 48 + i % 10, 4))
end
print("memset result", r)

-- stores into pointer members: strings, nil, arrays, pointers
local h = ffi.new("holder_t")
local n = 0
for i = 1, 300 do
  h.s = words[i % #words + 1]
  h.p = (i % 3 == 0) and nil or buf
  n = n + C.strcmp(h.s, "ccc") + (h.p == nil and 100 or 1)
end
print("pointer members", n)

-- memcmp of strings and arrays
local same = 0
ffi.copy(buf, "hello")
for i = 1, 200 do
  if C.memcmp(buf, i % 2 == 0 and "hello" or "jello", 5) == 0 then same = same + 1 end
end
print("memcmp", same)
