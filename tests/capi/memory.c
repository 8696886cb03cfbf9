/* memory.c -- C hosts running out of memory through the C API.
 *
 * "allocf": a state made by lua_newstate with a host allocator that counts
 * the bytes it hands out and refuses (returns NULL) past a budget. The
 * heap's chunks and large blocks come from it, so a program that keeps
 * allocating gets "not enough memory" from lua_pcall (LUA_ERRMEM) once the
 * budget is spent -- interpreted and with the JIT forced hot -- and the
 * state goes on working. The host's count never passes the budget, and
 * after lua_close every byte has been given back.
 *
 * "rlimit": a host under an address-space limit (setrlimit, as `ulimit
 * -v`) with luaL_newstate: the heap's limit (half of it) turns the same
 * program's failure into LUA_ERRMEM, and the state goes on working. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

typedef struct {
  size_t used;    /* bytes handed out and not freed */
  size_t peak;    /* highest `used` */
  size_t budget;  /* refuse what would pass this */
  long refused;   /* requests refused */
  long blocks;    /* blocks live */
} Budget;

static void *limited_alloc(void *ud, void *p, size_t osize, size_t nsize) {
  Budget *b = (Budget *)ud;
  if (nsize == 0) {
    if (p) {
      b->used -= osize;
      b->blocks--;
    }
    free(p);
    return NULL;
  }
  if (b->used - (p ? osize : 0) + nsize > b->budget) {
    b->refused++;
    return NULL;
  }
  void *q = realloc(p, nsize);
  if (q) {
    b->used = b->used - (p ? osize : 0) + nsize;
    if (!p) b->blocks++;
    if (b->used > b->peak) b->peak = b->used;
  }
  return q;
}

/* Load and call `code` protected; print the status and message or the
 * first result. */
static int run(lua_State *L, const char *tag, const char *code) {
  int st = luaL_loadstring(L, code);
  if (st == 0) st = lua_pcall(L, 0, 1, 0);
  const char *name = st == 0 ? "ok" : st == LUA_ERRMEM ? "LUA_ERRMEM"
                     : st == LUA_ERRRUN ? "LUA_ERRRUN" : "other";
  printf("%s: %s %s\n", tag, name, lua_isnil(L, -1) ? "nil" : lua_tostring(L, -1));
  lua_pop(L, 1);
  return st;
}

/* Grows a table of tables until memory runs out. */
static const char *HOG =
    "local t = {} for i = 1, 1e8 do t[i] = {i} end return 'no error'";
/* One big string: a single large block. */
static const char *BIG = "return #string.rep('x', 2^26)";
/* Normal work after the failure. */
static const char *WORK =
    "local t = {} for i = 1, 2000 do t[i] = tostring(i) .. '!' end "
    "local s = 0 for i = 1, #t do s = s + #t[i] end "
    "collectgarbage() return s .. ' ' .. table.concat(t, ',', 1998, 2000)";

static int with_allocf(void) {
  int m, fails = 0;
  for (m = 0; m < 2; m++) {
    Budget b = {0, 0, 0, 0, 0};
    b.budget = (size_t)16 << 20;
    lua_State *L = lua_newstate(limited_alloc, &b);
    void *ud = NULL;
    if (lua_getallocf(L, &ud) != limited_alloc || ud != &b) {
      printf("lua_getallocf: wrong allocator\n");
      fails++;
    }
    luaL_openlibs(L);
    run(L, "mode", m == 0 ? "jit.off() return 'interpreted'"
                          : "jit.on() jit.opt.start('hotloop=1') return 'hot'");
    if (run(L, "hog", HOG) != LUA_ERRMEM) fails++;
    if (run(L, "work", WORK) != 0) fails++;
    if (run(L, "big", BIG) != LUA_ERRMEM) fails++;
    if (run(L, "work", WORK) != 0) fails++;
    if (run(L, "hog again", HOG) != LUA_ERRMEM) fails++;
    if (run(L, "work", WORK) != 0) fails++;
    printf("refused: %s, peak within budget: %s, in use: %s\n",
           b.refused > 0 ? "yes" : "no", b.peak <= b.budget ? "yes" : "no",
           b.used > 0 ? "yes" : "no");
    lua_close(L);
    printf("after lua_close: %lu bytes in %ld blocks\n", (unsigned long)b.used,
           b.blocks);
  }
  /* A generous budget: the same work runs through the allocator. */
  Budget b = {0, 0, (size_t)1 << 40, 0, 0};
  lua_State *L = lua_newstate(limited_alloc, &b);
  luaL_openlibs(L);
  if (run(L, "unlimited", WORK) != 0) fails++;
  if (run(L, "unlimited", BIG) != 0) fails++;
  printf("allocator used: %s, refused: %ld\n", b.peak > ((size_t)1 << 26) ? "yes" : "no",
         b.refused);
  lua_close(L);
  printf("after lua_close: %lu bytes in %ld blocks\n", (unsigned long)b.used, b.blocks);
  return fails;
}

static int with_rlimit(void) {
  struct rlimit r;
  r.rlim_cur = r.rlim_max = (rlim_t)400 << 20;
  if (setrlimit(RLIMIT_AS, &r) != 0) {
    perror("setrlimit");
    return 1;
  }
  int fails = 0;
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  if (run(L, "hog", HOG) != LUA_ERRMEM) fails++;
  if (run(L, "work", WORK) != 0) fails++;
  if (run(L, "big", "return #string.rep('x', 2^30)") != LUA_ERRMEM) fails++;
  if (run(L, "work", WORK) != 0) fails++;
  lua_close(L);
  return fails;
}

int main(int argc, char **argv) {
  int fails;
  if (argc > 1 && strcmp(argv[1], "rlimit") == 0)
    fails = with_rlimit();
  else
    fails = with_allocf();
  printf("%s\n", fails ? "FAILED" : "done");
  return fails != 0;
}
