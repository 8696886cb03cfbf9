-- Calls into libc through ffi.C: fixed arguments, varargs (sprintf/snprintf
-- with ints, doubles, strings), qsort with a Lua callback, getenv, memcmp,
-- strtol with an out-parameter, ffi.errno, ffi.abi.
local ffi = require "ffi"
ffi.cdef [[
size_t strlen(const char *s);
int abs(int x);
long labs(long x);
double sqrt(double x);
double floor(double x);
int sprintf(char *buf, const char *fmt, ...);
int snprintf(char *buf, size_t n, const char *fmt, ...);
void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));
char *getenv(const char *name);
int memcmp(const void *a, const void *b, size_t n);
void *memset(void *s, int c, size_t n);
char *strcpy(char *dst, const char *src);
int strcmp(const char *a, const char *b);
long strtol(const char *s, char **end, int base);
int toupper(int c);
int close(int fd);
]]
local C = ffi.C

print("strlen", C.strlen("hello"), tonumber(C.strlen("")), type(C.strlen("x")))
print("abs", C.abs(-42), C.abs(7), C.labs(-5))
print("sqrt", C.sqrt(2), C.floor(-2.5))
print("toupper", string.char(C.toupper(string.byte("q"))))

local buf = ffi.new("char[128]")
local n = C.sprintf(buf, "%d-%s-%.3f-%x", ffi.new("int", 42), "str", 3.14159, ffi.new("unsigned int", 255))
print("sprintf", n, ffi.string(buf))
n = C.snprintf(buf, 8, "%s", "truncated string")
print("snprintf", n, ffi.string(buf))
n = C.snprintf(buf, 128, "%lld|%g|%c|%5.1f", 1234567890123LL, 0.5, ffi.new("int", 65), 2.25)
print("snprintf varargs", n, ffi.string(buf))
n = C.snprintf(nil, 0, "%d", ffi.new("int", 123456))
print("snprintf measure", n)

-- qsort with a Lua comparison function as callback
local vals = { 5, 3, 9, 1, 7, 2, 8, 6, 4, 0 }
local arr = ffi.new("int[?]", #vals, vals)
local calls = 0
local cmp = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  calls = calls + 1
  local x = ffi.cast("const int *", a)[0]
  local y = ffi.cast("const int *", b)[0]
  return x < y and -1 or (x > y and 1 or 0)
end)
C.qsort(arr, #vals, ffi.sizeof("int"), cmp)
local out = {}
for i = 0, #vals - 1 do out[#out + 1] = arr[i] end
print("qsort", table.concat(out, " "), calls > 0)
-- descending, with the same callback object retargeted
cmp:set(function(a, b)
  return ffi.cast("const int *", b)[0] - ffi.cast("const int *", a)[0]
end)
C.qsort(arr, #vals, ffi.sizeof("int"), cmp)
out = {}
for i = 0, #vals - 1 do out[#out + 1] = arr[i] end
print("qsort desc", table.concat(out, " "))
cmp:free()

-- strings of structs sorted by a key
ffi.cdef "struct kv { int key; char name[8]; };"
local kvs = ffi.new("struct kv[4]", { { 3, "c" }, { 1, "a" }, { 4, "d" }, { 2, "b" } })
local kcmp = ffi.cast("int (*)(const void *, const void *)", function(a, b)
  return ffi.cast("const struct kv *", a).key - ffi.cast("const struct kv *", b).key
end)
C.qsort(kvs, 4, ffi.sizeof("struct kv"), kcmp)
print("qsort structs", ffi.string(kvs[0].name) .. ffi.string(kvs[1].name) .. ffi.string(kvs[2].name) .. ffi.string(kvs[3].name))
kcmp:free()

-- getenv
print("getenv PATH set", C.getenv("PATH") ~= nil)
print("getenv missing", C.getenv("LUNATRACE_SURELY_NOT_SET_123") == nil)

-- memcmp / memset / strcpy / strcmp
local a = ffi.new("uint8_t[4]", { 1, 2, 3, 4 })
local b = ffi.new("uint8_t[4]", { 1, 2, 3, 5 })
print("memcmp", C.memcmp(a, b, 3), C.memcmp(a, b, 4) < 0, C.memcmp(b, a, 4) > 0)
C.memset(a, 9, 4)
print("memset", a[0], a[3])
C.strcpy(buf, "copied")
print("strcpy", ffi.string(buf), C.strcmp(buf, "copied"), C.strcmp("a", "b") < 0)

-- out-parameters
local endp = ffi.new("char *[1]")
local s = "123xyz"
local v = C.strtol(s, endp, 10)
print("strtol", v, ffi.string(endp[0]))
print("strtol hex", C.strtol("ff", nil, 16), C.strtol("-0x10", nil, 0))

-- errno
ffi.errno(0)
local r = C.close(-1)
print("close(-1)", r, ffi.errno())   -- EBADF = 9 on Linux
print("errno set", ffi.errno(33), ffi.errno())

-- abi
print("abi", ffi.abi("64bit"), ffi.abi("le"), ffi.abi("be"), ffi.abi("32bit"), ffi.abi("win"))
print("abi2", ffi.abi("gc64"), ffi.abi("fpu"), ffi.abi("hardfp"), ffi.abi("softfp"), ffi.abi("eabi"), ffi.abi("uwp"), ffi.abi("pauth"), ffi.abi("nonsense"))
print("os/arch", ffi.os, ffi.arch)

-- function pointers to C functions
local fp = ffi.cast("int (*)(int)", C.abs)
print("fnptr", fp(-9), tostring(ffi.typeof(fp)):match("^ctype<int %(%*%)"))
