/* lua_pushfstring, lua_pushvfstring and luaL_error with arguments: every
 * directive LuaJIT 2.1 accepts (with flags, width and precision where it
 * honours them), the ones it rejects, more arguments than the calling
 * convention passes in registers (integer and floating-point), and
 * luaL_error raised from C functions called by Lua (caught by pcall) and
 * by lua_pcall from C, many times over (no growth of the process).
 * fstring.expected is the output of this host linked to LuaJIT's
 * libluajit-5.1.so.2 (tests/capi.rs compares with it live when the
 * library is installed). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

/* Print the string on top (bytes outside printable ASCII as \xNN), pop. */
static void show(lua_State *L, const char *what) {
  size_t n, i;
  const char *s = lua_tolstring(L, -1, &n);
  printf("%s: [", what);
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 32 && c < 127) putchar(c);
    else printf("\\x%02x", c);
  }
  printf("] %u\n", (unsigned)n);
  lua_pop(L, 1);
}

#define F(fmt, ...) (lua_pushfstring(L, fmt, __VA_ARGS__), show(L, fmt))
#define F0(fmt) (lua_pushfstring(L, fmt), show(L, fmt))

static void directives(lua_State *L) {
  const char *r;
  F0("plain text");
  F0("");
  F0("100%% sure %%%%");
  F("%s|%s|%s", "abc", "", (const char *)NULL);
  F("%q", "not quoted: \"a\"\n");
  F("[%5s][%-5s][%.1s]", "ab", "cd", "ef");
  F("%d %d %d %d", 0, -1, 2147483647, -2147483647 - 1);
  F("%i %i", 42, -42);
  F("[%5d][%-5d][%05d][%+d][% d][%.3d][%5.3d][%.0d]", 7, 7, 7, 7, 7, 7, -7, 0);
  F("[%+ d][%-+5d][%-05d][%00005d][%--3d]", 7, 7, 7, 7, 7);
  F("%u %u", 4000000000u, (unsigned)-5);
  F("%x %X %o", 255u, 255u, 8u);
  F("[%#x][%#X][%#o][%#x][%#o][%#5x][%#05x][%#.3o]", 255u, 255u, 8u, 0u, 0u,
    255u, 255u, 8u);
  F("[%8x][%-8X|][%.6x][%x]", 0xbeefu, 0xbeefu, 0xbeefu, 0xffffffffu);
  F("[%99d]", 1);
  F("[%.99d]", 1);
  F("%c%c%c", 'L', 'u', 'a');
  F("[%c][%5c][%-3c]", 0, 'x', 'y');
  F("%c", 256 + 'A');
  F("%f %f %f %f", 1.5, 0.1, -0.0, 3.0);
  F("%f %f %f", 1e15, 1e14, 123456789012345678.0);
  F("%f %f %f", 1e100, 1e-310, 5e-324);
  F("%f %f %f", 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0);
  F("%f", 9007199254740993.0);
  F("%f", 0.1 + 0.2);
  F("[%5.1f][%+f][%.0f]", 1.25, 1.0, 2.5);
  F("%e %E %g %G %a %A %F", 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5);
  F("%p %p %p", (void *)0, (void *)0x1, (void *)0x1234);
  F("%p %p", (void *)0x89abcdefUL, (void *)0x123456789UL);
  F("%p %p", (void *)0xdeadbeefcafeUL, (void *)~(size_t)0);
  F("[%10p][%-10p]", (void *)0x10, (void *)0x20);
  /* Rejected: '?' and the rest of the format is dropped. */
  F0("before %k after");
  F0("unknown %Z");
  F0("trailing %");
  F0("%5% percent with width");
  F("%100d three-digit width", 1);
  F("%.100d three-digit precision", 1);
  F("%l long", 5L);
  F("%hd short", 5);
  F("%5.", 1);
  /* The returned pointer is the pushed string's. */
  r = lua_pushfstring(L, "%s=%d", "x", 1);
  printf("returned: %s, same as top: %d\n", r, r == lua_tostring(L, -1));
  lua_pop(L, 1);
}

/* More arguments than registers: x86-64 passes 6 integer (L and fmt take
 * 2) and 8 floating-point arguments in registers, AArch64 8 and 8, RISC-V
 * 8 (floats spill to integer registers), s390x 5 and 4. */
static void many(lua_State *L) {
  F("%d %d %d %d %d %d %d %d %d %d %d %d", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
    12);
  F("%f %f %f %f %f %f %f %f %f %f %f %f", 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5,
    7.5, 8.5, 9.5, 10.5, 11.5);
  F("%d %f %s %d %f %c %d %f %p %d %f %s %d %f %x %d %f %u %d %f %i %f %f %s",
    1, 1.25, "s3", -4, 5.5, '6', 7, 7.75, (void *)0x8888, 9, 9.5, "s10", 11,
    11.25, 0xcu, 13, 13.5, 14u, 15, 15.5, -16, 16.25, 17.5, "end");
  F("%s %s %s %s %s %s %s %s %s %s", "a", "b", "c", "d", "e", "f", "g", "h",
    "i", "j");
  F("%c%c%c%c%c%c%c%c%c%c%c%c", 'm', 'a', 'n', 'y', '-', 'c', 'h', 'a', 'r',
    's', '!', '!');
}

static const char *vf(lua_State *L, const char *fmt, ...) {
  const char *s;
  va_list ap;
  va_start(ap, fmt);
  s = lua_pushvfstring(L, fmt, ap);
  va_end(ap);
  return s;
}

static void pushvf(lua_State *L) {
  vf(L, "v: %s %d %f %c %p %%", "str", -3, 0.25, 'z', (void *)0xabc);
  show(L, "pushvfstring");
  vf(L, "v: %d %d %d %d %d %d %d %d %d %f %f %f %f %f %f %f %f %f %f %s", 1, 2,
     3, 4, 5, 6, 7, 8, 9, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5,
     "last");
  show(L, "pushvfstring many");
}

/* C functions raising with luaL_error. */
static int raise_simple(lua_State *L) {
  return luaL_error(L, "bad %s (%d)", luaL_optstring(L, 1, "thing"), 42);
}

static int raise_many(lua_State *L) {
  return luaL_error(L, "%s %d %d %d %d %d %d %d %d %f %f %f %f %f %f %f %f "
                       "%f %f %c %p",
                    "many:", 1, 2, 3, 4, 5, 6, 7, 8, 0.5, 1.5, 2.5, 3.5, 4.5,
                    5.5, 6.5, 7.5, 8.5, 9.5, '!', (void *)0xfeed);
}

static int raise_rejected(lua_State *L) {
  return luaL_error(L, "rejected %d %q then %k", 5, "q");
}

/* luaL_where(L, 1) inside Lua code: a Lua function calling error-ing C
 * code reports the C level (no position); at level 1 of a Lua caller the
 * message would carry "chunk:line:". */
static int raise_after_call(lua_State *L) {
  lua_pushvalue(L, 1);
  lua_call(L, 0, 0);
  return luaL_error(L, "not reached");
}

static long rss_kb(void) {
  long pages = 0, rss = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL) return 0;
  if (fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
  fclose(f);
  return rss * 4;
}

static void run(lua_State *L, const char *code) {
  if (luaL_loadstring(L, code) || lua_pcall(L, 0, 0, 0)) {
    printf("error: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
}

static void errors(lua_State *L) {
  int st;
  lua_register(L, "raise_simple", raise_simple);
  lua_register(L, "raise_many", raise_many);
  lua_register(L, "raise_rejected", raise_rejected);
  lua_register(L, "raise_after_call", raise_after_call);
  run(L, "print(pcall(raise_simple))\n"
         "print(pcall(raise_simple, 'arg'))\n"
         "print(pcall(raise_many))\n"
         "print(pcall(raise_rejected))\n"
         "print(pcall(raise_after_call, raise_simple))\n"
         "print(select(2, pcall(raise_after_call, function() error('lua "
         "error') end)))\n"
         "local function f() return raise_simple('tail') end\n"
         "print(pcall(f))\n"
         "print(xpcall(raise_many, function(m) return 'handled: ' .. m end))\n"
         "local co = coroutine.create(function() raise_simple('in co') end)\n"
         "print(coroutine.resume(co))\n");
  /* lua_pcall from C straight on the C function. */
  lua_pushcfunction(L, raise_simple);
  lua_pushstring(L, "from lua_pcall");
  st = lua_pcall(L, 1, 0, 0);
  printf("lua_pcall: %d %s top %d\n", st, lua_tostring(L, -1), lua_gettop(L));
  lua_pop(L, 1);
  lua_pushcfunction(L, raise_many);
  st = lua_pcall(L, 0, 0, 0);
  printf("lua_pcall: %d %s top %d\n", st, lua_tostring(L, -1), lua_gettop(L));
  lua_pop(L, 1);
  /* The state goes on working. */
  run(L, "print('after errors', 1 + 1)");
}

/* Raise and catch many times: the process does not grow. */
static void repeat(lua_State *L) {
  long before, after;
  run(L, "for i = 1, 2000 do pcall(raise_many) pcall(raise_simple, 'x') end");
  lua_gc(L, LUA_GCCOLLECT, 0);
  before = rss_kb();
  run(L, "local n = 0\n"
         "for i = 1, 100000 do\n"
         "  local ok, e = pcall(raise_many)\n"
         "  if not ok and #e > 0 then n = n + 1 end\n"
         "end\n"
         "print('caught', n)");
  lua_gc(L, LUA_GCCOLLECT, 0);
  after = rss_kb();
  printf("rss growth under 4 MB: %s\n",
         after - before < 4096 ? "yes" : "no");
  if (after - before >= 4096)
    fprintf(stderr, "rss %ld kB -> %ld kB\n", before, after);
}

int main(void) {
  lua_State *L = luaL_newstate();
  setvbuf(stdout, NULL, _IONBF, 0);
  luaL_openlibs(L);
  directives(L);
  many(L);
  pushvf(L);
  errors(L);
  repeat(L);
  printf("top %d\n", lua_gettop(L));
  lua_close(L);
  return 0;
}
